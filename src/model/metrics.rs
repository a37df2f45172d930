//! Observation (docs/MODEL.md, "Metrics"): after every tick the recorder stores the metrics a run
//! asked for as compact rows; output writers turn them into the tidy `metrics.csv`.

use bevy_ecs::prelude::*;

use super::policy::PolicyRegime;
use super::world::Pricing;
use super::world::{
    Books, Capability, Capacity, Clock, ComputeStock, InputStocks, Knowledge, Markets, Roster,
    Structure, Tools,
};
use crate::scenario::InputRole;

/// Every metric a run can record. The names are the `metric` column of `metrics.csv`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// A firm's share of a market's sales value (firm, sector, market).
    MarketShare,
    /// A home state's firms' share of a market's sales value (state, sector, market).
    StateMarketShare,
    /// Share of a state's demand in a sector delivered by its own firms, by volume (state, sector).
    SelfSufficiency,
    /// A firm's technology level, frontier-years relative to the start frontier (firm, sector).
    Capability,
    /// Best capability among a state's firms; state empty = the world frontier (state, sector).
    BestCapability,
    /// World frontier minus the state's best capability, years (state, sector).
    CapabilityGap,
    /// Units produced, $B of start-year output per year (firm, sector).
    Output,
    /// Units delivered to buyers, $B of start-year output per year (firm, sector).
    Sales,
    /// Sales value, $B per year at the prices paid (firm, sector).
    Revenue,
    /// Price that clears a market, index, start = 1 (sector, market); `world` weights markets by
    /// volume delivered.
    Price,
    /// A firm's list price, index, start = 1: unit cost × utilisation markup (firm, sector).
    ListPrice,
    /// A firm's unit cost, index, start = 1: own value added plus inputs at market prices
    /// (firm, sector).
    UnitCost,
    /// A firm's smallest material-input stock, in months of its planned use (firm, sector).
    InputStockMonths,
    /// Installed effective AI compute, start-frontier accelerator-$B equivalents (state).
    AiCompute,
    /// Capacity, $B of start-year output per year (firm, sector).
    Capacity,
    /// Access to frontier tools, 0–1 (firm, sector).
    ToolAccess,
    /// Share of capacity yielding good output, 0–1 (firm, sector).
    Yield,
    /// Demand of a market, $B per year (sector, market).
    Demand,
    /// Demand no available supplier could take, $B per year (sector, market).
    UnmetDemand,
    /// Demand blocked by policy, before stockpiles, leakage and re-choice, $B/yr (sector, market).
    BlockedDemand,
    /// Blocked demand that leaked through gray channels, $B/yr (sector, market).
    Leakage,
    /// Buyers' stockpile of soon-controlled goods, $B (sector, market).
    Stockpile,
    /// A state's compliance with a controller's controls, 0–1 (state; market = the controller).
    Compliance,
    /// A state's commitment to self-sufficiency, 0–1 (state).
    Commitment,
    /// Blocked share of a state's desired imports this tick, 0–1 (state).
    Denial,
    /// R&D spending, own and subsidised, $B per year (firm, sector).
    RdSpending,
    /// Knowledge stock bought by R&D less depreciation, $B (firm, sector).
    Knowledge,
    /// Technology level the firm's knowledge supports, before ceilings, frontier-years (firm, sector).
    DesignCapability,
    /// Highest capability the supply chain lets the firm deliver, frontier-years; recorded only
    /// where something bounds it (firm, sector).
    CapabilityCeiling,
}

impl Metric {
    /// All metrics, in output order.
    pub const ALL: [Metric; 29] = [
        Metric::MarketShare,
        Metric::StateMarketShare,
        Metric::SelfSufficiency,
        Metric::Capability,
        Metric::BestCapability,
        Metric::CapabilityGap,
        Metric::Output,
        Metric::Sales,
        Metric::Revenue,
        Metric::Price,
        Metric::ListPrice,
        Metric::UnitCost,
        Metric::InputStockMonths,
        Metric::AiCompute,
        Metric::Capacity,
        Metric::ToolAccess,
        Metric::Yield,
        Metric::Demand,
        Metric::UnmetDemand,
        Metric::BlockedDemand,
        Metric::Leakage,
        Metric::Stockpile,
        Metric::Compliance,
        Metric::Commitment,
        Metric::Denial,
        Metric::RdSpending,
        Metric::Knowledge,
        Metric::DesignCapability,
        Metric::CapabilityCeiling,
    ];

    /// The name used in files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Metric::MarketShare => "market_share",
            Metric::StateMarketShare => "state_market_share",
            Metric::SelfSufficiency => "self_sufficiency",
            Metric::Capability => "capability",
            Metric::BestCapability => "best_capability",
            Metric::CapabilityGap => "capability_gap",
            Metric::Output => "output",
            Metric::Sales => "sales",
            Metric::Revenue => "revenue",
            Metric::Price => "price",
            Metric::ListPrice => "list_price",
            Metric::UnitCost => "unit_cost",
            Metric::InputStockMonths => "input_stock_months",
            Metric::AiCompute => "ai_compute",
            Metric::Capacity => "capacity",
            Metric::ToolAccess => "tool_access",
            Metric::Yield => "yield",
            Metric::Demand => "demand",
            Metric::UnmetDemand => "unmet_demand",
            Metric::BlockedDemand => "blocked_demand",
            Metric::Leakage => "leakage",
            Metric::Stockpile => "stockpile",
            Metric::Compliance => "compliance",
            Metric::Commitment => "commitment",
            Metric::Denial => "denial",
            Metric::RdSpending => "rd_spending",
            Metric::Knowledge => "knowledge",
            Metric::DesignCapability => "design_capability",
            Metric::CapabilityCeiling => "capability_ceiling",
        }
    }

    /// Looks a metric up by name.
    pub fn from_name(name: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.name() == name)
    }
}

/// Marks an empty entity column.
pub const NONE: u16 = u16::MAX;
/// The `market` value meaning the whole world.
pub const WORLD: u16 = u16::MAX - 1;

/// One observation, with entities as indices into the scenario's lists (or [`NONE`]/[`WORLD`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Row {
    /// Tick number.
    pub tick: u32,
    /// Which metric.
    pub metric: Metric,
    /// State index.
    pub state: u16,
    /// Firm index.
    pub firm: u16,
    /// Sector index.
    pub sector: u16,
    /// Buying market: a state index or [`WORLD`].
    pub market: u16,
    /// The value.
    pub value: f64,
}

/// Which metrics and ticks to keep; sweeps keep few, a single run keeps all.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Selection {
    /// Metrics to keep; `None` keeps all.
    pub metrics: Option<Vec<Metric>>,
    /// Ticks to keep; `None` keeps all.
    pub ticks: Option<Vec<u32>>,
}

impl Selection {
    fn wants_metric(&self, metric: Metric) -> bool {
        self.metrics.as_ref().is_none_or(|m| m.contains(&metric))
    }

    fn wants_tick(&self, tick: u32) -> bool {
        self.ticks.as_ref().is_none_or(|t| t.contains(&tick))
    }
}

/// The rows recorded so far.
#[derive(Resource, Clone, Debug, Default)]
pub struct Recorder {
    /// What to keep.
    pub selection: Selection,
    /// Recorded rows in the order recorded.
    pub rows: Vec<Row>,
}

fn idx(i: usize) -> u16 {
    i as u16
}

/// System: records the selected metrics for this tick.
pub fn record_metrics(
    clock: Res<Clock>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    markets: Res<Markets>,
    regime: Res<PolicyRegime>,
    mut recorder: ResMut<Recorder>,
    firms: Query<(
        &Capability,
        &Pricing,
        &Books,
        &Capacity,
        &Tools,
        &InputStocks,
        &Knowledge,
    )>,
    states: Query<&ComputeStock>,
) {
    let tick = clock.tick;
    if !recorder.selection.wants_tick(tick) {
        return;
    }
    let sel = recorder.selection.clone();
    let before = recorder.rows.len();
    let rows = &mut recorder.rows;
    let mut push = |metric: Metric, state: u16, firm: u16, sector: u16, market: u16, value: f64| {
        if sel.wants_metric(metric) {
            rows.push(Row {
                tick,
                metric,
                state,
                firm,
                sector,
                market,
                value,
            });
        }
    };
    let n_states = structure.n_states;
    let firm = |j: usize| firms.get(roster.firms[j]).expect("roster entity");

    for (k, members) in structure.sector_firms.iter().enumerate() {
        let sk = idx(k);
        // Sales value by firm and market, and totals.
        let mut value = vec![vec![0.0; n_states]; members.len()];
        let mut market_total = vec![0.0; n_states];
        let mut volume_total = vec![0.0; n_states];
        for (m, &j) in members.iter().enumerate() {
            let price = firm(j).1.list_price;
            for i in 0..n_states {
                value[m][i] = markets.delivered[j][i] * price;
                market_total[i] += value[m][i];
                volume_total[i] += markets.delivered[j][i];
            }
        }
        let world_total: f64 = market_total.iter().sum();
        let world_volume: f64 = volume_total.iter().sum();
        let share = |v: f64, total: f64| if total > 0.0 { v / total } else { 0.0 };

        for (m, &j) in members.iter().enumerate() {
            let fj = idx(j);
            let own: f64 = value[m].iter().sum();
            push(
                Metric::MarketShare,
                NONE,
                fj,
                sk,
                WORLD,
                share(own, world_total),
            );
            for i in 0..n_states {
                if market_total[i] > 0.0 {
                    push(
                        Metric::MarketShare,
                        NONE,
                        fj,
                        sk,
                        idx(i),
                        value[m][i] / market_total[i],
                    );
                }
            }
        }
        // Home states with firms in this sector.
        let mut homes: Vec<usize> = members.iter().map(|&j| structure.firm_home[j]).collect();
        homes.sort_unstable();
        homes.dedup();
        // Sales value by home state and market, in one pass over the firms.
        let mut home_value = vec![vec![0.0; n_states]; homes.len()];
        for (m, &j) in members.iter().enumerate() {
            let h = homes
                .binary_search(&structure.firm_home[j])
                .expect("home listed");
            for i in 0..n_states {
                home_value[h][i] += value[m][i];
            }
        }
        for (hi, &h) in homes.iter().enumerate() {
            let total: f64 = home_value[hi].iter().sum();
            push(
                Metric::StateMarketShare,
                idx(h),
                NONE,
                sk,
                WORLD,
                share(total, world_total),
            );
            for i in 0..n_states {
                if market_total[i] > 0.0 {
                    push(
                        Metric::StateMarketShare,
                        idx(h),
                        NONE,
                        sk,
                        idx(i),
                        home_value[hi][i] / market_total[i],
                    );
                }
            }
        }
        for i in 0..n_states {
            let demand = markets.demand(k, i);
            if demand > 0.0 {
                let own: f64 = members
                    .iter()
                    .filter(|&&j| structure.firm_home[j] == i)
                    .map(|&j| markets.delivered[j][i])
                    .sum();
                push(
                    Metric::SelfSufficiency,
                    idx(i),
                    NONE,
                    sk,
                    NONE,
                    own / demand,
                );
            }
        }
        // Capabilities.
        let frontier = members
            .iter()
            .map(|&j| firm(j).0.0)
            .fold(f64::NEG_INFINITY, f64::max);
        push(Metric::BestCapability, NONE, NONE, sk, NONE, frontier);
        for &h in &homes {
            let best = members
                .iter()
                .filter(|&&j| structure.firm_home[j] == h)
                .map(|&j| firm(j).0.0)
                .fold(f64::NEG_INFINITY, f64::max);
            push(Metric::BestCapability, idx(h), NONE, sk, NONE, best);
            push(
                Metric::CapabilityGap,
                idx(h),
                NONE,
                sk,
                NONE,
                frontier - best,
            );
        }
        for &j in members {
            let (capability, pricing, books, capacity, tools, stocks, knowledge) = firm(j);
            let fj = idx(j);
            push(Metric::Capability, NONE, fj, sk, NONE, capability.0);
            push(Metric::Output, NONE, fj, sk, NONE, books.output);
            push(
                Metric::Sales,
                NONE,
                fj,
                sk,
                NONE,
                markets.delivered[j].iter().sum(),
            );
            push(Metric::Revenue, NONE, fj, sk, NONE, books.revenue);
            push(Metric::ListPrice, NONE, fj, sk, NONE, pricing.list_price);
            push(Metric::UnitCost, NONE, fj, sk, NONE, pricing.unit_cost);
            let inputs = &structure.sectors[k].inputs;
            let stock_months = inputs
                .iter()
                .zip(&stocks.stock)
                .filter(|(i, _)| i.role == InputRole::Material && i.per_unit > 0.0)
                .map(|(i, &stock)| {
                    let monthly_use = i.per_unit * books.planned / 12.0;
                    if monthly_use > 0.0 {
                        stock / monthly_use
                    } else {
                        0.0
                    }
                })
                .reduce(f64::min);
            if let Some(months) = stock_months {
                push(Metric::InputStockMonths, NONE, fj, sk, NONE, months);
            }
            push(Metric::Capacity, NONE, fj, sk, NONE, capacity.0);
            push(Metric::ToolAccess, NONE, fj, sk, NONE, tools.access);
            push(Metric::Yield, NONE, fj, sk, NONE, tools.yield_share);
            push(Metric::RdSpending, NONE, fj, sk, NONE, knowledge.rd_usd_b);
            push(Metric::Knowledge, NONE, fj, sk, NONE, knowledge.stock_usd_b);
            push(
                Metric::DesignCapability,
                NONE,
                fj,
                sk,
                NONE,
                knowledge.design_years,
            );
            if knowledge.ceiling_years.is_finite() {
                push(
                    Metric::CapabilityCeiling,
                    NONE,
                    fj,
                    sk,
                    NONE,
                    knowledge.ceiling_years,
                );
            }
        }
        let world_price: f64 = (0..n_states)
            .map(|i| markets.price[k][i] * volume_total[i])
            .sum();
        push(
            Metric::Price,
            NONE,
            NONE,
            sk,
            WORLD,
            if world_volume > 0.0 {
                world_price / world_volume
            } else {
                1.0
            },
        );
        let mut world_demand = 0.0;
        let mut world_unmet = 0.0;
        for i in 0..n_states {
            let demand = markets.demand(k, i);
            world_demand += demand;
            world_unmet += markets.unmet[k][i];
            if demand > 0.0 {
                push(Metric::Price, NONE, NONE, sk, idx(i), markets.price[k][i]);
            }
            push(Metric::Demand, NONE, NONE, sk, idx(i), demand);
            push(
                Metric::UnmetDemand,
                NONE,
                NONE,
                sk,
                idx(i),
                markets.unmet[k][i],
            );
            push(
                Metric::BlockedDemand,
                NONE,
                NONE,
                sk,
                idx(i),
                markets.blocked[k][i],
            );
            push(
                Metric::Leakage,
                NONE,
                NONE,
                sk,
                idx(i),
                markets.leaked[k][i],
            );
            push(
                Metric::Stockpile,
                NONE,
                NONE,
                sk,
                idx(i),
                markets.stockpile[k][i],
            );
        }
        push(Metric::Demand, NONE, NONE, sk, WORLD, world_demand);
        push(Metric::UnmetDemand, NONE, NONE, sk, WORLD, world_unmet);
    }
    let mut controllers: Vec<usize> = regime.controls().map(|(_, c)| c.controller).collect();
    controllers.sort_unstable();
    controllers.dedup();
    for (i, &entity) in roster.states.iter().enumerate() {
        let stock = states.get(entity).expect("roster entity").0;
        push(Metric::AiCompute, idx(i), NONE, NONE, NONE, stock);
        push(
            Metric::Commitment,
            idx(i),
            NONE,
            NONE,
            NONE,
            regime.commitment[i],
        );
        push(Metric::Denial, idx(i), NONE, NONE, NONE, regime.denial[i]);
        for &c in controllers.iter().filter(|&&c| c != i) {
            push(
                Metric::Compliance,
                idx(i),
                NONE,
                NONE,
                idx(c),
                regime.compliance[i][c],
            );
        }
    }
    // After the first recorded tick the size of a tick is known: reserve the rest at once.
    if before == 0 {
        let per_tick = recorder.rows.len();
        let ticks_left = sel
            .ticks
            .as_ref()
            .map_or(structure.ticks.saturating_sub(tick) as usize, |t| {
                t.iter().filter(|&&x| x > tick).count()
            });
        recorder.rows.reserve(per_tick * ticks_left);
    }
}

/// The entity columns of a metric row: `(metric, state, firm, sector, market)`.
pub type RowKey = (Metric, u16, u16, u16, u16);

impl Row {
    /// The row's metric and entities, without tick and value.
    pub fn key(&self) -> RowKey {
        (self.metric, self.state, self.firm, self.sector, self.market)
    }
}

/// Every `(metric, entities)` a run of `scenario` can record at a tick, for the given metrics:
/// a superset of what [`record_metrics`] writes (some rows, such as a firm's share of a market
/// that bought nothing, are only recorded when defined). Sweeps use it to fix their outcome
/// columns before any run. Order: metric (as in [`Metric::ALL`]), then sector, firm, state and
/// market indices, with [`WORLD`] before the states.
pub fn catalogue(scenario: &crate::scenario::Scenario, metrics: &[Metric]) -> Vec<RowKey> {
    let n_states = scenario.states.len();
    let sector_of = |id: &str| scenario.sectors.iter().position(|s| s.id == id);
    let state_of = |id: &str| scenario.states.iter().position(|s| s.id == id);
    let mut keys = Vec::new();
    for metric in Metric::ALL.into_iter().filter(|m| metrics.contains(m)) {
        let mut push = |state: usize, firm: usize, sector: usize, market: usize| {
            keys.push((
                metric,
                state as u16,
                firm as u16,
                sector as u16,
                market as u16,
            ));
        };
        let (none, world) = (NONE as usize, WORLD as usize);
        let markets: Vec<usize> = std::iter::once(world).chain(0..n_states).collect();
        for k in 0..scenario.sectors.len() {
            let members: Vec<usize> = (0..scenario.firms.len())
                .filter(|&j| sector_of(&scenario.firms[j].sector) == Some(k))
                .collect();
            let mut homes: Vec<usize> = members
                .iter()
                .filter_map(|&j| state_of(&scenario.firms[j].home))
                .collect();
            homes.sort_unstable();
            homes.dedup();
            match metric {
                Metric::MarketShare => {
                    for &j in &members {
                        for &m in &markets {
                            push(none, j, k, m);
                        }
                    }
                }
                Metric::StateMarketShare => {
                    for &h in &homes {
                        for &m in &markets {
                            push(h, none, k, m);
                        }
                    }
                }
                Metric::SelfSufficiency => (0..n_states).for_each(|i| push(i, none, k, none)),
                Metric::BestCapability => {
                    push(none, none, k, none);
                    homes.iter().for_each(|&h| push(h, none, k, none));
                }
                Metric::CapabilityGap => homes.iter().for_each(|&h| push(h, none, k, none)),
                Metric::Capability
                | Metric::Output
                | Metric::Sales
                | Metric::Revenue
                | Metric::ListPrice
                | Metric::UnitCost
                | Metric::InputStockMonths
                | Metric::Capacity
                | Metric::ToolAccess
                | Metric::Yield
                | Metric::RdSpending
                | Metric::Knowledge
                | Metric::DesignCapability
                | Metric::CapabilityCeiling => members.iter().for_each(|&j| push(none, j, k, none)),
                Metric::Price
                | Metric::Demand
                | Metric::UnmetDemand
                | Metric::BlockedDemand
                | Metric::Leakage
                | Metric::Stockpile => markets.iter().for_each(|&m| push(none, none, k, m)),
                Metric::AiCompute | Metric::Commitment | Metric::Denial | Metric::Compliance => {}
            }
        }
        match metric {
            Metric::AiCompute | Metric::Commitment | Metric::Denial => {
                (0..n_states).for_each(|i| push(i, none, none, none))
            }
            // Compliance of state i with controller c (recorded while c has a control in force).
            Metric::Compliance => {
                for i in 0..n_states {
                    (0..n_states)
                        .filter(|&c| c != i)
                        .for_each(|c| push(i, none, none, c));
                }
            }
            _ => {}
        }
    }
    keys
}

#[cfg(test)]
mod catalogue_tests {
    use super::*;
    use crate::scenario::{Overrides, load::BUNDLED, load_str};

    #[test]
    fn every_recorded_row_is_in_the_catalogue() {
        for (name, text) in BUNDLED {
            let scenario = load_str(name, text, &Overrides::default()).unwrap();
            let keys: std::collections::HashSet<RowKey> =
                catalogue(&scenario, &Metric::ALL).into_iter().collect();
            for row in crate::model::run(&scenario, Selection::default()) {
                assert!(keys.contains(&row.key()), "{name}: {row:?} not catalogued");
            }
        }
    }
}
