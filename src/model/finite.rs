//! Guarding against silently wrong results: every tick ends with a check that each firm's and
//! state's state variables are finite numbers. A parameter far outside its range can drive a
//! quantity to infinity or NaN (0/0, ∞−∞); instead of writing NaN rows, the run stops with an
//! error naming the tick, the entity, the variable and the mechanism that updates it
//! (docs/MODEL.md, "Numerical safety"). Recorded metric rows are checked again by the runners
//! ([`check_rows`]), since a metric can be non-finite from finite state (a share of a zero total).
//!
//! The check reads a few hundred numbers a tick, well under a microsecond for the bundled world.

use bevy_ecs::prelude::*;

use super::metrics::{NONE, Recording, Row, WORLD};
use super::world::{
    Appeal, Books, Capability, Capacity, Clock, ComputeStock, Costs, FirmInfo, InputStocks,
    Knowledge, StateInfo, Tools,
};
use crate::scenario::Scenario;

/// Which agent a non-finite value belongs to, by index in the scenario (firms order first).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Agent {
    /// A firm.
    Firm(usize),
    /// A state.
    State(usize),
}

/// The first non-finite value a run produced.
#[derive(Clone, Debug, PartialEq)]
pub struct NonFinite {
    /// The tick at whose end it was found (0-based).
    pub tick: u32,
    /// The entity, named (`firm tsmc`, `state US`, or a metric row's keys).
    pub entity: String,
    /// The variable or metric.
    pub variable: &'static str,
    /// The mechanism that updates the variable (docs/MODEL.md names each).
    pub mechanism: &'static str,
    /// The value (NaN or ±inf).
    pub value: f64,
}

impl std::fmt::Display for NonFinite {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the run became numerically invalid at tick {}: {} of {} is {} after {}; a parameter \
             is probably far outside its range (`chokepoint params` lists the defaults, \
             docs/MODEL.md the ranges)",
            self.tick, self.variable, self.entity, self.value, self.mechanism
        )
    }
}

impl std::error::Error for NonFinite {}

/// What the end-of-tick check found, if anything: the first fault (tick, agent, variable,
/// mechanism, value). A resource, so the simulation can stop once it is set.
#[derive(Resource, Clone, Debug, Default)]
pub struct FiniteCheck {
    /// The first non-finite state variable found.
    pub fault: Option<(u32, Agent, &'static str, &'static str, f64)>,
}

/// Firm variables in the order the tick's mechanisms update them, so that the first one found
/// non-finite names the mechanism where the value went wrong rather than one it flowed into.
fn firm_variables(
    books: &Books,
    stocks: &InputStocks,
    tools: &Tools,
    capacity: &Capacity,
    capability: &Capability,
    costs: &Costs,
    appeal: &Appeal,
    knowledge: &Knowledge,
) -> Option<(&'static str, &'static str, f64)> {
    // A sum of finite numbers is finite unless it overflows; one that takes in a NaN or an
    // infinity is not. So one sum tells whether all are finite, and the named search below runs
    // only when the sum is not (an overflow only sends it there to find nothing).
    let all_finite = [
        books.wanted,
        books.orders,
        books.output,
        books.revenue,
        books.planned,
        tools.capital_fill,
        tools.level,
        tools.access,
        tools.yield_share,
        capacity.0,
        knowledge.rd_usd_b,
        knowledge.stock_usd_b,
        knowledge.design_years,
        capability.0,
        costs.unit_cost,
        costs.cumulative_output,
        appeal.0,
    ]
    .iter()
    .chain(&stocks.ordered)
    .chain(&stocks.stock)
    .fold(0.0, |sum, x| sum + x)
    .is_finite();
    if all_finite {
        return None;
    }
    let scalars: [(&'static str, &'static str, f64); 15] = [
        ("books.wanted", "demand", books.wanted),
        ("books.orders", "market allocation", books.orders),
        ("books.output", "production", books.output),
        ("books.revenue", "production", books.revenue),
        ("tools.capital_fill", "production", tools.capital_fill),
        ("capacity", "finance and investment", capacity.0),
        ("books.planned", "finance and investment", books.planned),
        ("knowledge.rd_usd_b", "research", knowledge.rd_usd_b),
        ("knowledge.stock_usd_b", "research", knowledge.stock_usd_b),
        ("knowledge.design_years", "learning", knowledge.design_years),
        ("tools.level", "learning", tools.level),
        ("tools.access", "learning", tools.access),
        ("capability", "learning", capability.0),
        ("costs.unit_cost", "learning", costs.unit_cost),
        (
            "costs.cumulative_output",
            "learning",
            costs.cumulative_output,
        ),
    ];
    if let Some(&x) = stocks.ordered.iter().find(|x| !x.is_finite()) {
        return Some(("input_stocks.ordered", "demand", x));
    }
    if let Some(&x) = stocks.stock.iter().find(|x| !x.is_finite()) {
        return Some(("input_stocks.stock", "production", x));
    }
    if let Some(&found) = scalars.iter().find(|(_, _, x)| !x.is_finite()) {
        return Some(found);
    }
    if !tools.yield_share.is_finite() {
        return Some(("tools.yield_share", "learning", tools.yield_share));
    }
    (!appeal.0.is_finite()).then_some(("appeal", "calibration", appeal.0))
}

/// The firm components the check reads.
type FirmState = (
    &'static FirmInfo,
    &'static Books,
    &'static InputStocks,
    &'static Tools,
    &'static Capacity,
    &'static Capability,
    &'static Costs,
    &'static Appeal,
    &'static Knowledge,
);

/// The end-of-tick system: records the first non-finite firm or state variable.
pub fn check_finite(
    clock: Res<Clock>,
    mut check: ResMut<FiniteCheck>,
    firms: Query<FirmState>,
    states: Query<(&StateInfo, &ComputeStock)>,
) {
    if check.fault.is_some() {
        return;
    }
    // The lowest firm index wins, so the report does not depend on query order.
    let mut found: Option<(Agent, &'static str, &'static str, f64)> = None;
    for (info, books, stocks, tools, capacity, capability, costs, appeal, knowledge) in &firms {
        if let Some((variable, mechanism, value)) = firm_variables(
            books, stocks, tools, capacity, capability, costs, appeal, knowledge,
        ) && found.is_none_or(|(a, ..)| Agent::Firm(info.index) < a)
        {
            found = Some((Agent::Firm(info.index), variable, mechanism, value));
        }
    }
    if found.is_none() {
        for (info, stock) in &states {
            if !stock.0.is_finite() && found.is_none_or(|(a, ..)| Agent::State(info.index) < a) {
                found = Some((
                    Agent::State(info.index),
                    "compute_stock",
                    "AI compute",
                    stock.0,
                ));
            }
        }
    }
    if let Some((agent, variable, mechanism, value)) = found {
        check.fault = Some((clock.tick, agent, variable, mechanism, value));
    }
}

/// Names a fault the check recorded, with the scenario's ids.
pub fn describe(
    scenario: &Scenario,
    (tick, agent, variable, mechanism, value): (u32, Agent, &'static str, &'static str, f64),
) -> NonFinite {
    let entity = match agent {
        Agent::Firm(i) => format!(
            "firm `{}`",
            scenario.firms.get(i).map_or("?", |f| f.id.as_str())
        ),
        Agent::State(i) => format!(
            "state `{}`",
            scenario.states.get(i).map_or("?", |s| s.id.as_str())
        ),
    };
    NonFinite {
        tick,
        entity,
        variable,
        mechanism,
        value,
    }
}

/// The first recorded metric row whose value is not finite, named with the scenario's ids.
pub fn check_rows(scenario: &Scenario, rows: &Recording) -> Result<(), NonFinite> {
    let Some(row) = rows.iter().find(|r| !r.value.is_finite()) else {
        return Ok(());
    };
    Err(describe_row(scenario, &row))
}

/// Names a metric row's entity: its state, firm, sector and market, where set.
pub fn describe_row(scenario: &Scenario, row: &Row) -> NonFinite {
    let mut parts = Vec::new();
    let id = |list: Vec<&str>, i: u16| list.get(usize::from(i)).copied().unwrap_or("?").to_string();
    if row.state != NONE {
        parts.push(format!(
            "state `{}`",
            id(
                scenario.states.iter().map(|s| s.id.as_str()).collect(),
                row.state
            )
        ));
    }
    if row.firm != NONE {
        parts.push(format!(
            "firm `{}`",
            id(
                scenario.firms.iter().map(|f| f.id.as_str()).collect(),
                row.firm
            )
        ));
    }
    if row.sector != NONE {
        parts.push(format!(
            "sector `{}`",
            id(
                scenario.sectors.iter().map(|s| s.id.as_str()).collect(),
                row.sector
            )
        ));
    }
    if row.market == WORLD {
        parts.push("the world market".into());
    } else if row.market != NONE {
        parts.push(format!(
            "market `{}`",
            id(
                scenario.states.iter().map(|s| s.id.as_str()).collect(),
                row.market
            )
        ));
    }
    NonFinite {
        tick: row.tick,
        entity: if parts.is_empty() {
            "the world".into()
        } else {
            parts.join(", ")
        },
        variable: row.metric.name(),
        mechanism: "metric recording",
        value: row.value,
    }
}
