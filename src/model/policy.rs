//! Policy events and the instruments in force (docs/MODEL.md, "Policy events" and "Export
//! controls"). Each tick first applies the events dated in it; other systems ask the
//! [`PolicyRegime`] what a supplier may sell to a market.

use std::collections::BTreeMap;

use bevy_ecs::prelude::*;

use super::world::Clock;
use crate::scenario::{Action, Event, Scenario};

/// An export control in force, with ids resolved to indices.
#[derive(Clone, Debug, PartialEq)]
pub struct ExportControl {
    /// Controlling state index.
    pub controller: usize,
    /// Controlled sector index.
    pub sector: usize,
    /// Products above this capability may not be sold to the destinations.
    pub max_capability: f64,
    /// Destination state indices, one flag per state.
    pub destinations: Vec<bool>,
    /// Covered supplier firms, one flag per firm; `None` covers the controller's own firms.
    pub covered_firms: Option<Vec<bool>>,
}

impl ExportControl {
    /// Whether the control binds firm `firm` (of home `home`) selling into `market`.
    pub fn binds(&self, firm: usize, home: usize, sector: usize, market: usize) -> bool {
        self.sector == sector
            && self.destinations[market]
            && match &self.covered_firms {
                Some(flags) => flags[firm],
                None => self.controller == home,
            }
    }
}

/// The instruments in force and the timeline still to come.
#[derive(Resource, Clone, Debug)]
pub struct PolicyRegime {
    /// Export controls in force, by instrument id.
    pub controls: BTreeMap<String, ExportControl>,
    /// Events resolved to indices, grouped by the tick they take effect in.
    pub timeline: Vec<Vec<ResolvedAction>>,
}

/// An event's action with ids resolved to indices.
#[derive(Clone, Debug, PartialEq)]
pub enum ResolvedAction {
    /// Impose or replace a control.
    Impose(String, ExportControl),
    /// Lift a control.
    Remove(String),
}

impl PolicyRegime {
    /// Resolves a validated scenario's events into a per-tick timeline.
    pub fn new(scenario: &Scenario) -> Self {
        let state = |id: &str| {
            scenario
                .states
                .iter()
                .position(|s| s.id == id)
                .expect("validated state")
        };
        let firm = |id: &str| {
            scenario
                .firms
                .iter()
                .position(|f| f.id == id)
                .expect("validated firm")
        };
        let sector = |id: &str| {
            scenario
                .sectors
                .iter()
                .position(|s| s.id == id)
                .expect("validated sector")
        };
        let mut timeline = vec![Vec::new(); scenario.ticks as usize];
        for Event { date, action, .. } in &scenario.events {
            let tick = scenario.tick_of_date(*date) as usize;
            let resolved = match action {
                Action::ExportControl {
                    id,
                    controller,
                    sector: s,
                    max_capability,
                    destinations,
                    covered_firms,
                } => {
                    let mut flags = vec![false; scenario.states.len()];
                    for d in destinations {
                        flags[state(d)] = true;
                    }
                    let covered = (!covered_firms.is_empty()).then(|| {
                        let mut covered = vec![false; scenario.firms.len()];
                        for f in covered_firms {
                            covered[firm(f)] = true;
                        }
                        covered
                    });
                    ResolvedAction::Impose(
                        id.clone(),
                        ExportControl {
                            controller: state(controller),
                            sector: sector(s),
                            max_capability: *max_capability,
                            destinations: flags,
                            covered_firms: covered,
                        },
                    )
                }
                Action::RemoveExportControl { id } => ResolvedAction::Remove(id.clone()),
            };
            timeline[tick].push(resolved);
        }
        PolicyRegime {
            controls: BTreeMap::new(),
            timeline,
        }
    }

    /// The highest capability firm `firm` (home `home`, in `sector`) may sell to `market`
    /// (`f64::INFINITY` when no control applies).
    pub fn max_capability(&self, firm: usize, home: usize, sector: usize, market: usize) -> f64 {
        self.controls
            .values()
            .filter(|c| c.binds(firm, home, sector, market))
            .map(|c| c.max_capability)
            .fold(f64::INFINITY, f64::min)
    }
}

/// System: applies the events dated in this tick, in file order.
pub fn apply_policy_events(clock: Res<Clock>, mut regime: ResMut<PolicyRegime>) {
    let actions = std::mem::take(&mut regime.timeline[clock.tick as usize]);
    for action in &actions {
        match action {
            ResolvedAction::Impose(id, control) => {
                regime.controls.insert(id.clone(), control.clone());
            }
            ResolvedAction::Remove(id) => {
                regime.controls.remove(id);
            }
        }
    }
    regime.timeline[clock.tick as usize] = actions;
}
