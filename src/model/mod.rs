//! The model: agents, their state and the systems of one tick. It never does I/O, never reads the
//! clock and never draws an unseeded random number; docs/MODEL.md describes it in ODD form.
//!
//! One tick runs these systems in order (MODEL.md, "Process overview and scheduling"):
//! policy events → allied compliance → demand → market allocation (with leakage) → production
//! (rationing, clearing prices) → list prices → AI compute → capacity investment → R&D funding →
//! learning → target commitment → metrics → finiteness check.

pub mod alliances;
pub mod catalogue;
pub mod ceilings;
pub mod commitment;
pub mod compute;
pub mod demand;
pub mod finite;
pub mod investment;
pub mod leakage;
pub mod learning;
pub mod market;
pub mod metrics;
pub mod policy;
pub mod prices;
pub mod production;
pub mod research;
pub mod world;

use bevy_ecs::prelude::*;
use bevy_ecs::schedule::{LogLevel, ScheduleBuildSettings, SingleThreadedExecutor};

use crate::scenario::Scenario;
use metrics::{Recorder, Recording, Selection};
use world::Clock;

/// A world and its tick schedule, built together and run together (a bevy Schedule is bound to
/// the World it first ran on).
pub struct Simulation {
    world: World,
    schedule: Schedule,
    ticks: u32,
}

fn advance_clock(mut clock: ResMut<Clock>) {
    clock.tick += 1;
}

impl Simulation {
    /// Builds the world for a validated scenario, recording the selected metrics.
    pub fn new(scenario: &Scenario, selection: Selection) -> Self {
        let mut world = world::build(scenario);
        world.insert_resource(policy::PolicyRegime::new(
            scenario,
            scenario.parameters.alliances.fixed_compliance,
        ));
        let ties = scenario
            .states
            .iter()
            .map(|s| {
                scenario
                    .states
                    .iter()
                    .map(|o| s.security_dependence.get(&o.id).copied().unwrap_or(0.0))
                    .collect()
            })
            .collect();
        world.insert_resource(alliances::SecurityTies(ties));
        world.insert_resource(finite::FiniteCheck::default());
        world.insert_resource(Recorder::new(scenario, selection));
        let mut schedule = Schedule::default();
        // Parallelism lives at the run level (one World per run); a small world runs fastest on
        // one thread, and bevy's own threads would fight rayon's.
        schedule.set_executor(SingleThreadedExecutor::new());
        schedule.set_build_settings(ScheduleBuildSettings {
            ambiguity_detection: LogLevel::Error,
            ..Default::default()
        });
        schedule.add_systems(
            (
                policy::apply_policy_events,
                alliances::update_compliance,
                demand::update_demand,
                market::allocate_markets,
                production::produce,
                prices::update_list_prices,
                compute::install_compute,
                investment::invest_capacity,
                research::fund_research,
                learning::learn,
                commitment::update_commitment,
                metrics::record_metrics,
                finite::check_finite,
                advance_clock,
            )
                .chain(),
        );
        Simulation {
            world,
            schedule,
            ticks: scenario.ticks,
        }
    }

    /// Runs one tick; returns false once every tick has run, or once a state variable has
    /// become non-finite ([`Simulation::fault`] says which).
    pub fn step(&mut self) -> bool {
        if self.world.resource::<Clock>().tick >= self.ticks
            || self.world.resource::<finite::FiniteCheck>().fault.is_some()
        {
            return false;
        }
        self.schedule.run(&mut self.world);
        true
    }

    /// Runs the remaining ticks and returns the recorded metrics.
    pub fn run(mut self) -> Recording {
        while self.step() {}
        std::mem::take(&mut self.world.resource_mut::<Recorder>().recording)
    }

    /// The first non-finite state variable, if the run produced one.
    pub fn fault(&self) -> Option<(u32, finite::Agent, &'static str, &'static str, f64)> {
        self.world.resource::<finite::FiniteCheck>().fault
    }

    /// The world, for inspection in tests and tools.
    pub fn world(&self) -> &World {
        &self.world
    }
}

/// Runs a validated scenario to the end and returns the selected metrics, or the first
/// non-finite state variable or metric (the run stops there).
pub fn try_run(scenario: &Scenario, selection: Selection) -> Result<Recording, finite::NonFinite> {
    let mut simulation = Simulation::new(scenario, selection);
    while simulation.step() {}
    if let Some(fault) = simulation.fault() {
        return Err(finite::describe(scenario, fault));
    }
    let rows = simulation.run();
    finite::check_rows(scenario, &rows)?;
    Ok(rows)
}

/// Runs a validated scenario to the end and returns the selected metrics.
pub fn run(scenario: &Scenario, selection: Selection) -> Recording {
    Simulation::new(scenario, selection).run()
}
