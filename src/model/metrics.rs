//! Observation (docs/MODEL.md, "Metrics"): after every tick the recorder stores the metrics a run
//! asked for as compact rows; output writers turn them into the tidy `metrics.csv`.

use bevy_ecs::prelude::*;

use super::policy::PolicyRegime;
use super::world::{
    Books, Capability, Capacity, Clock, ComputeStock, FirmInfo, InputStocks, Knowledge, Markets,
    Pricing, StateInfo, Structure, Tools,
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

/// The shape of a run's metric rows, fixed by the scenario: which states make each sector's
/// goods, which firms report input stocks and capability ceilings, which states control exports.
/// [`record_metrics`] and [`catalogue`] both read it, so the rows recorded at every tick are
/// exactly the catalogue's (MODEL.md, "Metrics": every metric always present).
#[derive(Clone, Debug, Default)]
pub struct Layout {
    /// Per sector: its firms, in scenario order.
    members: Vec<Vec<usize>>,
    /// Per sector: the home states of its firms, sorted, without repeats.
    homes: Vec<Vec<usize>>,
    /// Per sector and member: the position of the member's home in `homes`.
    home_slot: Vec<Vec<usize>>,
    /// Per firm: it uses a material input, so it reports `input_stock_months`.
    stock_months: Vec<bool>,
    /// Per firm: something in its supply chain bounds its capability (with the ceilings switch
    /// on), so it reports `capability_ceiling`.
    ceiling: Vec<bool>,
    /// States that control exports anywhere in the scenario's timeline, sorted: every other
    /// state reports its `compliance` with each of them at every tick.
    controllers: Vec<usize>,
}

impl Layout {
    /// The layout of a validated scenario.
    pub fn new(scenario: &crate::scenario::Scenario) -> Self {
        let state_of = |id: &str| scenario.states.iter().position(|s| s.id == id);
        let sector_of = |id: &str| scenario.sectors.iter().position(|s| s.id == id);
        let n_sectors = scenario.sectors.len();
        let mut members = vec![Vec::new(); n_sectors];
        let mut home_of = Vec::with_capacity(scenario.firms.len());
        for (j, f) in scenario.firms.iter().enumerate() {
            if let Some(k) = sector_of(&f.sector) {
                members[k].push(j);
            }
            home_of.push(state_of(&f.home).unwrap_or(usize::MAX));
        }
        let homes: Vec<Vec<usize>> = members
            .iter()
            .map(|m| {
                let mut h: Vec<usize> = m.iter().map(|&j| home_of[j]).collect();
                h.sort_unstable();
                h.dedup();
                h
            })
            .collect();
        let home_slot = members
            .iter()
            .zip(&homes)
            .map(|(m, h)| {
                m.iter()
                    .map(|&j| h.binary_search(&home_of[j]).unwrap_or(0))
                    .collect()
            })
            .collect();
        let ceilings_on = scenario.parameters.mechanisms.capability_ceilings;
        let (mut stock_months, mut ceiling) = (Vec::new(), Vec::new());
        for f in &scenario.firms {
            let inputs = scenario
                .sectors
                .iter()
                .find(|s| s.id == f.sector)
                .map_or(&[][..], |s| &s.inputs[..]);
            stock_months.push(
                inputs
                    .iter()
                    .any(|i| i.role == InputRole::Material && i.per_unit > 0.0),
            );
            let tools = inputs
                .iter()
                .filter(|i| i.role == InputRole::Capital)
                .map(|i| i.per_unit)
                .sum::<f64>()
                > 0.0;
            let bounding = inputs
                .iter()
                .any(|i| i.role == InputRole::Material && i.bounds_capability);
            ceiling.push(ceilings_on && (tools || bounding));
        }
        let mut controllers: Vec<usize> = scenario
            .events
            .iter()
            .filter_map(|e| match &e.action {
                crate::scenario::Action::ExportControl { controller, .. } => state_of(controller),
                _ => None,
            })
            .collect();
        controllers.sort_unstable();
        controllers.dedup();
        Layout {
            members,
            homes,
            home_slot,
            stock_months,
            ceiling,
            controllers,
        }
    }
}

/// A run's recorded metrics, stored as the rows' entities once and their values per tick: every
/// recorded tick records the same rows in the same order (the scenario's structure fixes them,
/// see [`catalogue`]), so a row is (tick, key) and only its value changes. A default run keeps
/// about half a million values; storing them without their keys takes a third of the memory and
/// of the writes of whole [`Row`]s.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Recording {
    /// The entities of one tick's rows, in recording order.
    keys: Vec<RowKey>,
    /// The recorded ticks, ascending.
    ticks: Vec<u32>,
    /// The values, tick after tick, each tick's in `keys` order.
    values: Vec<f64>,
}

impl Recording {
    /// Number of rows (recorded ticks × rows per tick).
    pub fn len(&self) -> usize {
        self.values.len()
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The entities of one tick's rows, in recording order.
    pub fn keys(&self) -> &[RowKey] {
        &self.keys
    }

    /// The recorded ticks, ascending.
    pub fn ticks(&self) -> &[u32] {
        &self.ticks
    }

    /// Row `n` in recording order (tick after tick, each in [`Recording::keys`] order).
    ///
    /// # Panics
    /// If `n >= self.len()`.
    pub fn row(&self, n: usize) -> Row {
        let per_tick = self.keys.len();
        let (metric, state, firm, sector, market) = self.keys[n % per_tick];
        Row {
            tick: self.ticks[n / per_tick],
            metric,
            state,
            firm,
            sector,
            market,
            value: self.values[n],
        }
    }

    /// The rows in recording order.
    pub fn iter(&self) -> Rows<'_> {
        self.rows_in(0..self.len())
    }

    /// The rows `range` of the recording order.
    pub fn rows_in(&self, range: std::ops::Range<usize>) -> Rows<'_> {
        Rows {
            recording: self,
            range,
        }
    }

    /// The rows as a vector (for tests and tools that filter them repeatedly).
    pub fn to_rows(&self) -> Vec<Row> {
        self.iter().collect()
    }
}

/// An iterator over a [`Recording`]'s rows, in recording order.
#[derive(Clone, Debug)]
pub struct Rows<'a> {
    recording: &'a Recording,
    range: std::ops::Range<usize>,
}

impl Iterator for Rows<'_> {
    type Item = Row;

    fn next(&mut self) -> Option<Row> {
        self.range.next().map(|n| self.recording.row(n))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl ExactSizeIterator for Rows<'_> {}

impl<'a> IntoIterator for &'a Recording {
    type Item = Row;
    type IntoIter = Rows<'a>;

    fn into_iter(self) -> Rows<'a> {
        self.iter()
    }
}

/// The recorder: what to keep, and what was kept so far.
#[derive(Resource, Clone, Debug, Default)]
pub struct Recorder {
    /// What to keep.
    pub selection: Selection,
    /// What was recorded so far.
    pub recording: Recording,
    /// The rows every tick records.
    layout: Layout,
    /// Per-firm values of this tick, by firm index (reused from tick to tick).
    firms: Vec<FirmSnapshot>,
    /// Working sums of a tick (reused from tick to tick, so that a tick allocates nothing).
    sums: Sums,
}

/// The working sums of one tick's recording, per state unless noted; see [`record_metrics`].
#[derive(Clone, Debug, Default)]
struct Sums {
    /// Sales value in each market, in the sector at hand.
    market_total: Vec<f64>,
    /// Volume delivered to each market, in the sector at hand.
    volume_total: Vec<f64>,
    /// Sales value by home state (the sector's `homes`) and market, [home × state].
    home_value: Vec<f64>,
    /// Each state's own firms' deliveries to itself, in the sector at hand.
    own_supply: Vec<f64>,
    /// Each state's best capability, in the sector at hand.
    best: Vec<f64>,
    /// Each market's total demand, in the sector at hand.
    demand: Vec<f64>,
    /// Per member of the sector at hand: its sales value over all markets.
    own_value: Vec<f64>,
    /// Each state's installed AI compute.
    compute: Vec<f64>,
}

impl Recorder {
    /// A recorder for a run of `scenario` keeping `selection`.
    pub fn new(scenario: &crate::scenario::Scenario, selection: Selection) -> Self {
        Recorder {
            selection,
            recording: Recording::default(),
            layout: Layout::new(scenario),
            firms: vec![FirmSnapshot::default(); scenario.firms.len()],
            sums: Sums::default(),
        }
    }
}

/// What the rows read of one firm this tick, gathered in one pass over the firm query.
#[derive(Clone, Copy, Debug, Default)]
struct FirmSnapshot {
    capability: f64,
    list_price: f64,
    unit_cost: f64,
    output: f64,
    sales: f64,
    revenue: f64,
    capacity: f64,
    tool_access: f64,
    yield_share: f64,
    rd_usd_b: f64,
    knowledge_usd_b: f64,
    design_years: f64,
    ceiling_years: f64,
    stock_months: f64,
}

impl FirmSnapshot {
    /// The firm's value of `metric` (a per-firm metric; 0 for any other).
    fn value(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Capability => self.capability,
            Metric::Output => self.output,
            Metric::Sales => self.sales,
            Metric::Revenue => self.revenue,
            Metric::ListPrice => self.list_price,
            Metric::UnitCost => self.unit_cost,
            Metric::InputStockMonths => self.stock_months,
            Metric::Capacity => self.capacity,
            Metric::ToolAccess => self.tool_access,
            Metric::Yield => self.yield_share,
            Metric::RdSpending => self.rd_usd_b,
            Metric::Knowledge => self.knowledge_usd_b,
            Metric::DesignCapability => self.design_years,
            Metric::CapabilityCeiling => self.ceiling_years,
            _ => 0.0,
        }
    }
}

fn idx(i: usize) -> u16 {
    i as u16
}

/// The firm data the recorder reads.
type FirmQuery<'w, 's> = Query<
    'w,
    's,
    (
        &'static FirmInfo,
        &'static Capability,
        &'static Pricing,
        &'static Books,
        &'static Capacity,
        &'static Tools,
        &'static InputStocks,
        &'static Knowledge,
    ),
>;

/// The per-firm metrics a sector's firms record one after the other, in recording order.
const FIRM_METRICS: [Metric; 13] = [
    Metric::Capability,
    Metric::Output,
    Metric::Sales,
    Metric::Revenue,
    Metric::ListPrice,
    Metric::UnitCost,
    Metric::InputStockMonths,
    Metric::Capacity,
    Metric::ToolAccess,
    Metric::Yield,
    Metric::RdSpending,
    Metric::Knowledge,
    Metric::DesignCapability,
];

/// Position of `input_stock_months` in [`FIRM_METRICS`] (only firms with material inputs report it).
const STOCK_MONTHS: usize = 6;
const _: () = assert!(matches!(
    FIRM_METRICS[STOCK_MONTHS],
    Metric::InputStockMonths
));

/// `v` as a share of `total`; 0 when the total is not positive (a market that bought nothing).
fn share(v: f64, total: f64) -> f64 {
    // Divided first and then selected, which lets a block of shares compile to vector code.
    let quotient = v / total;
    if total > 0.0 { quotient } else { 0.0 }
}

/// Where one tick's rows go: their values always, their keys only at the first recorded tick
/// (later ticks record the same keys in the same order, see [`Recording`]).
struct Sink<'a> {
    first: bool,
    keys: &'a mut Vec<RowKey>,
    values: &'a mut Vec<f64>,
}

impl Sink<'_> {
    /// One row.
    fn one(&mut self, key: RowKey, value: f64) {
        if self.first {
            self.keys.push(key);
        }
        self.values.push(value);
    }

    /// One firm's rows of `metrics`, with their `values`.
    fn firm_block(&mut self, firm: u16, sector: u16, metrics: &[Metric], values: &[f64]) {
        if self.first {
            let keys = metrics.iter().map(|&m| (m, NONE, firm, sector, NONE));
            self.keys.extend(keys);
        }
        self.values.extend_from_slice(values);
    }

    /// A metric's world row and then its row for each market in state order: the block that
    /// market-level metrics write, written in one extend.
    fn markets(
        &mut self,
        metric: Metric,
        state: u16,
        firm: u16,
        sector: u16,
        world: f64,
        by_market: impl ExactSizeIterator<Item = f64>,
    ) {
        if self.first {
            let n = by_market.len();
            self.keys.push((metric, state, firm, sector, WORLD));
            self.keys
                .extend((0..n).map(|i| (metric, state, firm, sector, idx(i))));
        }
        self.values.push(world);
        self.values.extend(by_market);
    }
}

/// System: records the selected metrics for this tick.
pub fn record_metrics(
    clock: Res<Clock>,
    structure: Res<Structure>,
    markets: Res<Markets>,
    regime: Res<PolicyRegime>,
    mut recorder: ResMut<Recorder>,
    firms: FirmQuery,
    states: Query<(&StateInfo, &ComputeStock)>,
) {
    let tick = clock.tick;
    if !recorder.selection.wants_tick(tick) {
        return;
    }
    let recorder = &mut *recorder;
    // One pass over the firms: each value lands at its firm's index, so storage order is moot.
    // Sales are summed with the firm's other sums over the markets, in the sector pass below.
    for (info, capability, pricing, books, capacity, tools, stocks, knowledge) in &firms {
        let inputs = &structure.sectors[info.sector].inputs;
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
            .fold(f64::INFINITY, f64::min);
        recorder.firms[info.index] = FirmSnapshot {
            capability: capability.0,
            list_price: pricing.list_price,
            unit_cost: pricing.unit_cost,
            output: books.output,
            sales: 0.0,
            revenue: books.revenue,
            capacity: capacity.0,
            tool_access: tools.access,
            yield_share: tools.yield_share,
            rd_usd_b: knowledge.rd_usd_b,
            knowledge_usd_b: knowledge.stock_usd_b,
            design_years: knowledge.design_years,
            ceiling_years: knowledge.ceiling_years,
            stock_months,
        };
    }
    let layout = &recorder.layout;
    let snapshot = &mut recorder.firms;
    let Sums {
        market_total,
        volume_total,
        home_value,
        own_supply,
        best,
        demand,
        own_value,
        compute,
    } = &mut recorder.sums;
    let sel = &recorder.selection;
    let recording = &mut recorder.recording;
    // The first recorded tick also records the rows' keys; later ticks only their values.
    let first = recording.ticks.is_empty();
    recording.ticks.push(tick);
    let mut out = Sink {
        first,
        keys: &mut recording.keys,
        values: &mut recording.values,
    };
    let wants = |metric: Metric| sel.wants_metric(metric);
    let n_states = structure.n_states;
    // Every per-state sum is refilled for each sector below; sized here.
    for sums in [
        &mut *market_total,
        &mut *volume_total,
        &mut *own_supply,
        &mut *best,
    ] {
        sums.resize(n_states, 0.0);
    }

    for (k, members) in layout.members.iter().enumerate() {
        let sk = idx(k);
        let homes = &layout.homes[k];
        market_total.fill(0.0);
        volume_total.fill(0.0);
        // A state without firms here supplies itself nothing: its self-sufficiency is 0.
        own_supply.fill(0.0);
        best.fill(f64::NEG_INFINITY);
        home_value.clear();
        home_value.resize(homes.len() * n_states, 0.0);
        own_value.clear();
        demand.clear();
        demand.extend((0..n_states).map(|i| markets.demand(k, i)));
        for (m, &j) in members.iter().enumerate() {
            let price = snapshot[j].list_price;
            let h = layout.home_slot[k][m];
            let delivered = &markets.delivered[j];
            let home_row = &mut home_value[h * n_states..(h + 1) * n_states];
            let rows = delivered
                .iter()
                .zip(market_total.iter_mut())
                .zip(volume_total.iter_mut().zip(home_row));
            // The member's own sums over the markets, in market order from -0.0 as
            // `Iterator::sum` adds: taken in this pass instead of two more over its deliveries.
            let (mut own, mut sales) = (-0.0, -0.0);
            for ((&delivered, market), (volume, home)) in rows {
                let value = delivered * price;
                *market += value;
                *volume += delivered;
                *home += value;
                own += value;
                sales += delivered;
            }
            own_value.push(own);
            snapshot[j].sales = sales;
            // Member by member, so each state's sum adds in member order.
            let home = structure.firm_home[j];
            own_supply[home] += delivered[home];
            best[home] = best[home].max(snapshot[j].capability);
        }
        let world_total: f64 = market_total.iter().sum();
        let world_volume: f64 = volume_total.iter().sum();

        if wants(Metric::MarketShare) {
            for (&j, &own) in members.iter().zip(own_value.iter()) {
                let price = snapshot[j].list_price;
                let delivered = &markets.delivered[j];
                let by_market = delivered
                    .iter()
                    .zip(market_total.iter())
                    .map(|(&d, &total)| share(d * price, total));
                out.markets(
                    Metric::MarketShare,
                    NONE,
                    idx(j),
                    sk,
                    share(own, world_total),
                    by_market,
                );
            }
        }
        if wants(Metric::StateMarketShare) {
            for (hi, &h) in homes.iter().enumerate() {
                let by_market = &home_value[hi * n_states..(hi + 1) * n_states];
                let total: f64 = by_market.iter().sum();
                let by_market = by_market
                    .iter()
                    .zip(market_total.iter())
                    .map(|(&v, &total)| share(v, total));
                out.markets(
                    Metric::StateMarketShare,
                    idx(h),
                    NONE,
                    sk,
                    share(total, world_total),
                    by_market,
                );
            }
        }
        if wants(Metric::SelfSufficiency) {
            // A state is both the home of the supplying firms and the buying market.
            for (i, (&own, &demand)) in own_supply.iter().zip(demand.iter()).enumerate() {
                let value = share(own, demand);
                out.one((Metric::SelfSufficiency, idx(i), NONE, sk, idx(i)), value);
            }
        }
        // Capabilities.
        let frontier = members
            .iter()
            .map(|&j| snapshot[j].capability)
            .fold(f64::NEG_INFINITY, f64::max);
        if wants(Metric::BestCapability) {
            out.one((Metric::BestCapability, NONE, NONE, sk, NONE), frontier);
            for &h in homes {
                out.one((Metric::BestCapability, idx(h), NONE, sk, NONE), best[h]);
            }
        }
        if wants(Metric::CapabilityGap) {
            for &h in homes {
                out.one(
                    (Metric::CapabilityGap, idx(h), NONE, sk, NONE),
                    frontier - best[h],
                );
            }
        }
        let firm_metrics = FIRM_METRICS.map(wants);
        let every_firm_metric = firm_metrics.iter().all(|&wanted| wanted);
        let ceiling_wanted = wants(Metric::CapabilityCeiling);
        for &j in members {
            let f = &snapshot[j];
            let fj = idx(j);
            let values = FIRM_METRICS.map(|metric| f.value(metric));
            if every_firm_metric {
                // The whole block at once; only firms with material inputs report stock months.
                if layout.stock_months[j] {
                    out.firm_block(fj, sk, &FIRM_METRICS, &values);
                } else {
                    out.firm_block(
                        fj,
                        sk,
                        &FIRM_METRICS[..STOCK_MONTHS],
                        &values[..STOCK_MONTHS],
                    );
                    let rest = STOCK_MONTHS + 1;
                    out.firm_block(fj, sk, &FIRM_METRICS[rest..], &values[rest..]);
                }
            } else {
                for ((metric, wanted), value) in
                    FIRM_METRICS.into_iter().zip(firm_metrics).zip(values)
                {
                    if !wanted || (metric == Metric::InputStockMonths && !layout.stock_months[j]) {
                        continue;
                    }
                    out.one((metric, NONE, fj, sk, NONE), value);
                }
            }
            if layout.ceiling[j] && ceiling_wanted {
                let metric = Metric::CapabilityCeiling;
                out.one((metric, NONE, fj, sk, NONE), f.value(metric));
            }
        }
        if wants(Metric::Price) {
            let world_price: f64 = (0..n_states)
                .map(|i| markets.price[k][i] * volume_total[i])
                .sum();
            let world = if world_volume > 0.0 {
                world_price / world_volume
            } else {
                1.0
            };
            let by_market = markets.price[k].iter().copied();
            out.markets(Metric::Price, NONE, NONE, sk, world, by_market);
        }
        let by_market: [(Metric, &[f64]); 5] = [
            (Metric::Demand, demand),
            (Metric::UnmetDemand, &markets.unmet[k]),
            (Metric::BlockedDemand, &markets.blocked[k]),
            (Metric::Leakage, &markets.leaked[k]),
            (Metric::Stockpile, &markets.stockpile[k]),
        ];
        for (metric, by_state) in by_market {
            if !wants(metric) {
                continue;
            }
            let world: f64 = by_state.iter().sum();
            out.markets(metric, NONE, NONE, sk, world, by_state.iter().copied());
        }
    }
    // States, in index order whatever the storage order.
    compute.clear();
    compute.resize(n_states, 0.0);
    for (info, stock) in &states {
        compute[info.index] = stock.0;
    }
    for i in 0..n_states {
        let si = idx(i);
        if wants(Metric::AiCompute) {
            out.one((Metric::AiCompute, si, NONE, NONE, NONE), compute[i]);
        }
        if wants(Metric::Commitment) {
            out.one(
                (Metric::Commitment, si, NONE, NONE, NONE),
                regime.commitment[i],
            );
        }
        // Denial is felt by a buyer: the buying state goes in `market`.
        if wants(Metric::Denial) {
            out.one((Metric::Denial, NONE, NONE, NONE, si), regime.denial[i]);
        }
        if wants(Metric::Compliance) {
            for &c in layout.controllers.iter().filter(|&&c| c != i) {
                let value = regime.compliance[i][c];
                out.one((Metric::Compliance, si, NONE, NONE, idx(c)), value);
            }
        }
    }
    // After the first recorded tick the size of a tick is known: reserve the rest at once.
    if first {
        let ticks_left = sel
            .ticks
            .as_ref()
            .map_or(structure.ticks.saturating_sub(tick) as usize, |t| {
                t.iter().filter(|&&x| x > tick).count()
            });
        recording.values.reserve(recording.keys.len() * ticks_left);
        recording.ticks.reserve(ticks_left);
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

/// Every `(metric, entities)` a run of `scenario` records at each recorded tick, for the given
/// metrics: exactly the rows [`record_metrics`] writes, since the set depends only on the
/// scenario's structure (a share of a market that bought nothing is 0, not a missing row).
/// Sweeps use it to fix their outcome columns before any run. Order: metric (as in
/// [`Metric::ALL`]), then sector, firm, state and market indices, with [`WORLD`] before the
/// states.
pub fn catalogue(scenario: &crate::scenario::Scenario, metrics: &[Metric]) -> Vec<RowKey> {
    let layout = Layout::new(scenario);
    let n_states = scenario.states.len();
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
        for (k, members) in layout.members.iter().enumerate() {
            let homes = &layout.homes[k];
            match metric {
                Metric::MarketShare => {
                    for &j in members {
                        markets.iter().for_each(|&m| push(none, j, k, m));
                    }
                }
                Metric::StateMarketShare => {
                    for &h in homes {
                        markets.iter().for_each(|&m| push(h, none, k, m));
                    }
                }
                Metric::SelfSufficiency => (0..n_states).for_each(|i| push(i, none, k, i)),
                Metric::BestCapability => {
                    push(none, none, k, none);
                    homes.iter().for_each(|&h| push(h, none, k, none));
                }
                Metric::CapabilityGap => homes.iter().for_each(|&h| push(h, none, k, none)),
                Metric::InputStockMonths => members
                    .iter()
                    .filter(|&&j| layout.stock_months[j])
                    .for_each(|&j| push(none, j, k, none)),
                Metric::CapabilityCeiling => members
                    .iter()
                    .filter(|&&j| layout.ceiling[j])
                    .for_each(|&j| push(none, j, k, none)),
                Metric::Capability
                | Metric::Output
                | Metric::Sales
                | Metric::Revenue
                | Metric::ListPrice
                | Metric::UnitCost
                | Metric::Capacity
                | Metric::ToolAccess
                | Metric::Yield
                | Metric::RdSpending
                | Metric::Knowledge
                | Metric::DesignCapability => members.iter().for_each(|&j| push(none, j, k, none)),
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
            Metric::AiCompute | Metric::Commitment => {
                (0..n_states).for_each(|i| push(i, none, none, none))
            }
            Metric::Denial => (0..n_states).for_each(|i| push(none, none, none, i)),
            Metric::Compliance => {
                for i in 0..n_states {
                    for &c in layout.controllers.iter().filter(|&&c| c != i) {
                        push(i, none, none, c);
                    }
                }
            }
            _ => {}
        }
    }
    keys
}
