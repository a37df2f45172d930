//! The agent world: firm and state entities with their components, the static structure of the
//! supply chain, and the start-state calibration that makes tick 0 reproduce the cited 2022
//! market shares (docs/MODEL.md, "Initialization").

use std::collections::VecDeque;

use bevy_ecs::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::scenario::params::Parameters;
use crate::scenario::{InputRole, Scenario};

/// A firm's fixed identity: its position in the scenario's firm list, home state and sector.
#[derive(Component, Clone, Copy, Debug)]
pub struct FirmInfo {
    /// Index in the scenario's firm list (the stable order of every loop and output).
    pub index: usize,
    /// Index of the home state.
    pub home: usize,
    /// Index of the sector.
    pub sector: usize,
}

/// Technology level in frontier-years relative to the start-date frontier.
#[derive(Component, Clone, Copy, Debug)]
pub struct Capability(pub f64);

/// Production capacity, $B of start-year output per year.
#[derive(Component, Clone, Copy, Debug)]
pub struct Capacity(pub f64);

/// The firm's calibrated appeal α in the logit (absorbs everything the data do not explain).
#[derive(Component, Clone, Copy, Debug)]
pub struct Appeal(pub f64);

/// The firm's installed tools and what they allow.
#[derive(Component, Clone, Copy, Debug)]
pub struct Tools {
    /// Capability of the installed tool base, frontier-years of the tool sectors relative to their
    /// start frontier; installed tools keep their capability (denial stops it rising).
    pub level: f64,
    /// Share of this tick's capital-input orders that were delivered (1 = none short).
    pub capital_fill: f64,
    /// Access to frontier tools, 0–1: exp(−tool gap / access scale).
    pub access: f64,
    /// Share of capacity that yields good output, 0–1.
    pub yield_share: f64,
}

/// Unit cost and the experience behind it (Wright's law).
#[derive(Component, Clone, Copy, Debug)]
pub struct Costs {
    /// Unit cost and price index (start = 1).
    pub unit_cost: f64,
    /// Cumulative output, $B of start-year output.
    pub cumulative_output: f64,
    /// Cumulative output at the start.
    pub start_cumulative_output: f64,
}

/// A firm's flows this tick, all as annual rates in $B.
#[derive(Component, Clone, Copy, Debug, Default)]
pub struct Books {
    /// Output the firm plans for (drives its input orders).
    pub planned: f64,
    /// Orders received before the firm's capacity cap (what demand wanted from it).
    pub wanted: f64,
    /// Orders accepted within capacity.
    pub orders: f64,
    /// Units produced and delivered.
    pub output: f64,
    /// Sales value: output × price.
    pub revenue: f64,
}

/// A firm's research: R&D dollars, the knowledge stock they buy, and the design capability that
/// knowledge supports (docs/MODEL.md, "Innovation"). Delivered [`Capability`] is the design
/// level bounded by the supply chain's ceilings.
#[derive(Component, Clone, Copy, Debug)]
pub struct Knowledge {
    /// R&D spending as a share of revenue (from the firm's filings, or the default).
    pub rd_intensity: f64,
    /// R&D spending this tick, own and subsidised, $B/yr.
    pub rd_usd_b: f64,
    /// Knowledge stock (perpetual inventory of R&D less depreciation), $B.
    pub stock_usd_b: f64,
    /// Technology level the firm's knowledge supports, frontier-years.
    pub design_years: f64,
    /// Highest capability the supply chain lets it deliver this tick, frontier-years
    /// (`f64::INFINITY` where nothing bounds it).
    pub ceiling_years: f64,
}

/// Per-sector research references (docs/MODEL.md, "Innovation").
#[derive(Resource, Clone, Debug)]
pub struct Research {
    /// Knowledge stock of a virtual firm that holds the sector's start leader's revenue share and
    /// R&D intensity: the stock that advances `frontier_drift_years_per_year`, $B.
    pub reference_knowledge: Vec<f64>,
    /// That firm's R&D as a share of the sector's world revenue.
    pub reference_rd_share: Vec<f64>,
    /// Best design capability in each sector after last tick's learning (what followers imitate).
    pub design_frontier: Vec<f64>,
}

/// A firm's price and what sets it (`prices.rs`).
#[derive(Component, Clone, Copy, Debug)]
pub struct Pricing {
    /// List price index (start = 1): unit cost × utilisation markup. Buyers choose on it.
    pub list_price: f64,
    /// Unit cost index (start = 1): own value added plus inputs at their market prices.
    pub unit_cost: f64,
    /// Demand wanted ÷ usable capacity this tick (can exceed 1).
    pub utilization: f64,
}

/// Capacity under construction (`investment.rs`), $B/yr of capacity, oldest first: one slot per tick of the lead
/// time; the front slot comes into use next.
#[derive(Component, Clone, Debug, Default)]
pub struct CapacityPipeline(pub VecDeque<f64>);

/// A firm's inputs, aligned with its sector's input list.
#[derive(Component, Clone, Debug)]
pub struct InputStocks {
    /// Stock held of each material input, $B (0 for capital inputs).
    pub stock: Vec<f64>,
    /// This tick's order of each input, $B/yr.
    pub ordered: Vec<f64>,
}

/// The firm's own random stream, so that draws do not depend on iteration order or on other firms.
#[derive(Component, Clone, Debug)]
pub struct FirmRng(pub ChaCha8Rng);

/// A state's fixed identity: its index component (loops that sum over states use it to keep
/// scenario order).
#[derive(Component, Clone, Copy, Debug)]
pub struct StateInfo {
    /// Index in the scenario's state list.
    pub index: usize,
}

/// Installed effective AI compute, in start-frontier accelerator-$B equivalents.
#[derive(Component, Clone, Copy, Debug)]
pub struct ComputeStock(pub f64);

/// One input of a sector, with indices resolved.
#[derive(Clone, Debug)]
pub struct InputSpec {
    /// Supplying sector index.
    pub sector: usize,
    /// Units per unit of output.
    pub per_unit: f64,
    /// How it binds.
    pub role: InputRole,
    /// Whether it bounds the buyer's delivered capability (MODEL.md, "Ceilings").
    pub bounds_capability: bool,
}

/// A sector with indices resolved and its start-year final demand derived.
#[derive(Clone, Debug)]
pub struct SectorSpec {
    /// Bill of materials.
    pub inputs: Vec<InputSpec>,
    /// Final demand growth, per year.
    pub growth_per_year: f64,
    /// Start-year final demand by buying state, $B/yr.
    pub start_final_demand: Vec<f64>,
    /// Whether output counts as AI compute.
    pub counts_as_ai_compute: bool,
    /// Own-price elasticity of final demand, scale applied (MODEL.md, "Demand").
    pub price_elasticity: f64,
    /// Ticks from a capacity decision to capacity in use (at least 1).
    pub lead_ticks: usize,
    /// Trend growth factor of demand over one tick, `(1 + g)^Δt` (computed once, used per firm).
    pub growth_per_tick: f64,
    /// Trend growth factor over the capacity lead time, `(1 + g)^(lead_ticks Δt)`.
    pub growth_over_lead: f64,
    /// World sales in the start year, $B/yr (the scale of node experience).
    pub start_output_usd_b: f64,
}

/// The static structure of the world: indices, bills of materials, calendar step.
#[derive(Resource, Clone, Debug)]
pub struct Structure {
    /// Sectors in scenario order.
    pub sectors: Vec<SectorSpec>,
    /// Firm indices of each sector, in scenario order.
    pub sector_firms: Vec<Vec<usize>>,
    /// Sector indices ordered so that every material input comes before its users.
    pub material_order: Vec<usize>,
    /// Number of states (buying markets).
    pub n_states: usize,
    /// Home state index of each firm.
    pub firm_home: Vec<usize>,
    /// Sector index of each firm.
    pub firm_sector: Vec<usize>,
    /// Each firm's position among its sector's firms (`sector_firms`): its column in the
    /// per-sector market tables of [`Markets`].
    pub firm_slot: Vec<usize>,
    /// Years per tick.
    pub dt_years: f64,
    /// Ticks in the run.
    pub ticks: u32,
}

/// Entities in scenario order: every loop over agents goes through here, so results never depend
/// on the ECS's storage order.
#[derive(Resource, Clone, Debug)]
pub struct Roster {
    /// Firm entities by firm index.
    pub firms: Vec<Entity>,
    /// State entities by state index.
    pub states: Vec<Entity>,
}

/// The current tick.
#[derive(Resource, Clone, Copy, Debug, Default)]
pub struct Clock {
    /// Tick number, from 0.
    pub tick: u32,
}

/// The parameters in force.
#[derive(Resource, Clone, Debug)]
pub struct Params(pub Parameters);

/// Per-tick market state: demand, allocation and delivery by sector and buying state.
#[derive(Resource, Clone, Debug)]
pub struct Markets {
    /// Final demand [sector][state], $B/yr.
    pub final_demand: Vec<Vec<f64>>,
    /// Demand from other sectors' firms [sector][state], $B/yr.
    pub derived_demand: Vec<Vec<f64>>,
    /// Orders each firm accepted in each market, per sector, market by market: entry
    /// `i * n + m` of `orders[k]` is firm `sector_firms[k][m]` (of `n`) in buying state `i`, the
    /// layout allocation works in. [`Markets::order`] reads one entry by firm.
    pub orders: Vec<Vec<f64>>,
    /// The buyers' side of choice with inertia: each buying state's share of its chosen demand
    /// in a sector held by each of the sector's firms last tick, laid out as `orders`. Buyers
    /// move from these toward today's logit shares (`market.rs`).
    pub held_shares: Vec<Vec<f64>>,
    /// Lock-in (`mechanisms.purchase_lock_in`): the share of each buying state's demand in a
    /// sector that buyers wanted from each firm but got from other suppliers (a control turned
    /// them away, or they have not yet come back since it eased), laid out as `orders`. Once a
    /// control eases it decays at the share adjustment pace, so buyers who switched return
    /// gradually. Kept while `locked[k]` holds.
    pub denied_shares: Vec<Vec<f64>>,
    /// Per sector: whether `denied_shares` is being kept (the sector is restricted, or a lifted
    /// control's lock-in has not yet run out).
    pub locked: Vec<bool>,
    /// Units delivered by each firm to each market [firm][state].
    pub delivered: Vec<Vec<f64>>,
    /// Demand that no available supplier could take this tick [sector][state].
    pub unmet: Vec<Vec<f64>>,
    /// Share of demand delivered [sector][state], 1 = fully supplied.
    pub fill: Vec<Vec<f64>>,
    /// Share of firms' orders (derived demand) delivered under the rationing rule [sector][state].
    pub fill_firms: Vec<Vec<f64>>,
    /// Share of final and stockpiling orders delivered under the rationing rule [sector][state].
    pub fill_final: Vec<Vec<f64>>,
    /// Price that clears each market, index (start = 1), gray-market premium included
    /// [sector][state].
    pub price: Vec<Vec<f64>>,
    /// Scarcity multiple `f^(−1/ε)` of each market [sector][state]: its price is at least this
    /// multiple of the delivered unit cost.
    pub scarcity: Vec<Vec<f64>>,
    /// Delivery-weighted capability of what each market bought [sector][state].
    pub bought_capability: Vec<Vec<f64>>,
    /// Best capability in each sector last tick (the frontier).
    pub frontier: Vec<f64>,
    /// Demand that policy blocked this tick [sector][state].
    pub blocked: Vec<Vec<f64>>,
    /// Blocked demand that leaked through gray channels [sector][state].
    pub leaked: Vec<Vec<f64>>,
    /// Stockpiles of soon-controlled goods held by buyers [sector][state], $B.
    pub stockpile: Vec<Vec<f64>>,
    /// Capability of the stockpiled goods [sector][state].
    pub stockpile_capability: Vec<Vec<f64>>,
    /// Extra demand for building stockpiles this tick [sector][state], $B/yr.
    pub stockpile_demand: Vec<Vec<f64>>,
    /// The same, by the supplier it is addressed to [firm][state], $B/yr.
    pub stockpile_orders: Vec<Vec<f64>>,
    /// Blocked demand met from stockpiles this tick [sector][state], $B/yr.
    pub stock_draw: Vec<Vec<f64>>,
    /// Share of each firm's orders in each market that is a redesigned, capped product.
    pub capped_share: Vec<Vec<f64>>,
    /// Capability of that capped product [firm][state].
    pub capped_capability: Vec<Vec<f64>>,
}

impl Markets {
    fn new(sector_sizes: &[usize], n_states: usize, n_firms: usize) -> Self {
        let n_sectors = sector_sizes.len();
        let grid = |n| vec![vec![0.0; n_states]; n];
        let by_sector = || -> Vec<Vec<f64>> {
            sector_sizes
                .iter()
                .map(|&n| vec![0.0; n * n_states])
                .collect()
        };
        Markets {
            final_demand: grid(n_sectors),
            derived_demand: grid(n_sectors),
            orders: by_sector(),
            held_shares: by_sector(),
            denied_shares: by_sector(),
            locked: vec![false; sector_sizes.len()],
            delivered: grid(n_firms),
            unmet: grid(n_sectors),
            fill: vec![vec![1.0; n_states]; n_sectors],
            fill_firms: vec![vec![1.0; n_states]; n_sectors],
            fill_final: vec![vec![1.0; n_states]; n_sectors],
            price: vec![vec![1.0; n_states]; n_sectors],
            scarcity: vec![vec![1.0; n_states]; n_sectors],
            bought_capability: grid(n_sectors),
            frontier: vec![0.0; n_sectors],
            blocked: grid(n_sectors),
            leaked: grid(n_sectors),
            stockpile: grid(n_sectors),
            stockpile_capability: grid(n_sectors),
            stockpile_demand: grid(n_sectors),
            stockpile_orders: grid(n_firms),
            stock_draw: grid(n_sectors),
            capped_share: grid(n_firms),
            capped_capability: grid(n_firms),
        }
    }

    /// Orders firm `firm` accepted in buying state `state` this tick.
    pub fn order(&self, structure: &Structure, firm: usize, state: usize) -> f64 {
        let k = structure.firm_sector[firm];
        let n = structure.sector_firms[k].len();
        self.orders[k][state * n + structure.firm_slot[firm]]
    }

    /// Demand buyers spread over suppliers by choice: final and derived, without front-running.
    pub fn chosen_demand(&self, sector: usize, state: usize) -> f64 {
        self.final_demand[sector][state] + self.derived_demand[sector][state]
    }

    /// Total demand in a market, stockpile building included.
    pub fn demand(&self, sector: usize, state: usize) -> f64 {
        self.final_demand[sector][state]
            + self.derived_demand[sector][state]
            + self.stockpile_demand[sector][state]
    }

    /// Capability of what firm `j` delivered to market `i`: its own, or the capped product's for
    /// the redesigned share.
    pub fn delivered_capabilities(&self, j: usize, i: usize, own: f64) -> [(f64, f64); 2] {
        let s = self.capped_share[j][i];
        [(1.0 - s, own), (s, self.capped_capability[j][i])]
    }
}

/// Multinomial-logit shares of `utilities` at scale `mu`, written into `out` (max-subtracted for
/// numerical safety). Entries of `-inf` get share 0; all `-inf` gives all zeros.
pub fn logit_shares(utilities: &[f64], mu: f64, out: &mut [f64]) {
    let max = utilities.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        out.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    let mut total = 0.0;
    for (o, u) in out.iter_mut().zip(utilities) {
        *o = ((u - max) / mu).exp();
        total += *o;
    }
    out.iter_mut().for_each(|x| *x /= total);
}

/// Nested-logit shares (docs/MODEL.md 7.3) of `utilities` at scale `mu` with nest dissimilarity
/// `lambda`, the suppliers for which `domestic` is true forming one nest and the rest the other:
/// `P_j = (a_j / S_n) · S_n^λ / Σ_m S_m^λ` with `a_j = exp(U_j / (μλ))`. λ = 1 is the plain logit
/// ([`logit_shares`], called as such so its results stay exact).
pub fn nested_logit_shares(
    utilities: &[f64],
    domestic: &[bool],
    mu: f64,
    lambda: f64,
    out: &mut [f64],
) {
    if lambda == 1.0 {
        return logit_shares(utilities, mu, out);
    }
    let max = utilities.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::NEG_INFINITY {
        out.iter_mut().for_each(|x| *x = 0.0);
        return;
    }
    let mut sums = [0.0; 2];
    for ((o, u), &d) in out.iter_mut().zip(utilities).zip(domestic) {
        *o = ((u - max) / (mu * lambda)).exp();
        sums[usize::from(d)] += *o;
    }
    // Weights a_j · S_n^(λ−1) sum to S_n^λ over a nest, so normalising them gives the shares.
    let factor = sums.map(|s| nest_factor(s, lambda));
    let mut total = 0.0;
    for (o, &d) in out.iter_mut().zip(domestic) {
        *o *= factor[usize::from(d)];
        total += *o;
    }
    out.iter_mut().for_each(|x| *x /= total);
}

/// A nest's factor `S^(λ−1)` in the nested logit: a supplier's weight is its within-nest weight
/// times this (and the nest's home factor), so plain normalisation gives the nested shares. An
/// empty nest gets 0.
pub fn nest_factor(sum: f64, lambda: f64) -> f64 {
    if sum > 0.0 {
        sum.powf(lambda - 1.0)
    } else {
        0.0
    }
}

/// Builds the World for a validated scenario: entities, resources and calibrated appeals.
pub fn build(scenario: &Scenario) -> World {
    let params = &scenario.parameters;
    let n_states = scenario.states.len();
    let n_firms = scenario.firms.len();
    let state_index = |id: &str| {
        scenario
            .states
            .iter()
            .position(|s| s.id == id)
            .expect("validated state id")
    };
    let sector_index = |id: &str| {
        scenario
            .sectors
            .iter()
            .position(|s| s.id == id)
            .expect("validated sector id")
    };
    let firm_home: Vec<usize> = scenario
        .firms
        .iter()
        .map(|f| state_index(&f.home))
        .collect();
    let firm_sector: Vec<usize> = scenario
        .firms
        .iter()
        .map(|f| sector_index(&f.sector))
        .collect();
    let mut sector_firms = vec![Vec::new(); scenario.sectors.len()];
    for (j, &s) in firm_sector.iter().enumerate() {
        sector_firms[s].push(j);
    }
    let start_sales: Vec<f64> = scenario
        .firms
        .iter()
        .zip(&firm_sector)
        .map(|(f, &s)| f.share * scenario.sectors[s].market_size_usd_b)
        .collect();

    // Start-year derived demand: each firm buys its inputs in its home market.
    let mut derived = vec![vec![0.0; n_states]; scenario.sectors.len()];
    let inputs: Vec<Vec<InputSpec>> = scenario
        .sectors
        .iter()
        .map(|s| {
            s.inputs
                .iter()
                .map(|i| InputSpec {
                    sector: sector_index(&i.sector),
                    per_unit: i.per_unit,
                    role: i.role,
                    bounds_capability: i.bounds_capability,
                })
                .collect()
        })
        .collect();
    for j in 0..n_firms {
        for input in &inputs[firm_sector[j]] {
            derived[input.sector][firm_home[j]] += input.per_unit * start_sales[j];
        }
    }
    let sectors: Vec<SectorSpec> = scenario
        .sectors
        .iter()
        .enumerate()
        .map(|(k, s)| {
            let derived_total: f64 = derived[k].iter().sum();
            let final_total = s.market_size_usd_b - derived_total;
            let share = |i: usize| {
                let id = &scenario.states[i].id;
                s.final_demand_by_state.get(id).copied().unwrap_or(0.0)
            };
            let start_final_demand: Vec<f64> = if s.demand_by_state_includes_derived {
                // The table splits the whole market: what the modelled firms located in a state
                // buy there is already part of its share. Where they buy more than its share
                // (their input coefficients are world averages), the state's final demand is 0,
                // and the rest is scaled to the final demand there is. The residuals sum to the
                // market less all derived demand, which validation keeps positive, so some
                // residual is positive.
                let residual: Vec<f64> = (0..n_states)
                    .map(|i| (s.market_size_usd_b * share(i) - derived[k][i]).max(0.0))
                    .collect();
                let residual_total: f64 = residual.iter().sum();
                residual
                    .iter()
                    .map(|r| final_total * r / residual_total)
                    .collect()
            } else {
                (0..n_states).map(|i| final_total * share(i)).collect()
            };
            // AI-compute demand growth is a sweepable parameter: its shift applies to every sector
            // that counts as AI compute (growth stays above −100% a year).
            let shift = if s.counts_as_ai_compute {
                params.demand.ai_compute_growth_shift_per_year
            } else {
                0.0
            };
            let lead = s
                .capacity_lead_time_years
                .unwrap_or(params.investment.capacity_lead_time_years);
            let lead_ticks = ((lead * f64::from(scenario.ticks_per_year)).round() as usize).max(1);
            let growth_per_year = (s.demand_growth_per_year + shift).max(-0.99);
            let dt = 1.0 / f64::from(scenario.ticks_per_year);
            SectorSpec {
                inputs: inputs[k].clone(),
                growth_per_year,
                growth_per_tick: (1.0 + growth_per_year).powf(dt),
                growth_over_lead: (1.0 + growth_per_year).powf(lead_ticks as f64 * dt),
                start_final_demand,
                counts_as_ai_compute: s.counts_as_ai_compute,
                price_elasticity: s.price_elasticity.unwrap_or(params.demand.price_elasticity)
                    * params.demand.price_elasticity_scale,
                start_output_usd_b: s.market_size_usd_b,
                lead_ticks,
            }
        })
        .collect();
    let mut firm_slot = vec![0; n_firms];
    for members in &sector_firms {
        for (m, &j) in members.iter().enumerate() {
            firm_slot[j] = m;
        }
    }
    let structure = Structure {
        material_order: scenario
            .material_order()
            .expect("validated: no material cycle"),
        sectors,
        sector_firms,
        n_states,
        firm_home: firm_home.clone(),
        firm_sector: firm_sector.clone(),
        firm_slot,
        dt_years: 1.0 / f64::from(scenario.ticks_per_year),
        ticks: scenario.ticks,
    };

    let sector_sizes: Vec<usize> = structure.sector_firms.iter().map(Vec::len).collect();
    let mut markets = Markets::new(&sector_sizes, n_states, n_firms);
    for k in 0..scenario.sectors.len() {
        markets.final_demand[k] = structure.sectors[k].start_final_demand.clone();
        markets.derived_demand[k] = derived[k].clone();
        markets.frontier[k] = structure.sector_firms[k]
            .iter()
            .map(|&j| scenario.firms[j].capability)
            .fold(f64::NEG_INFINITY, f64::max);
    }
    let capability: Vec<f64> = scenario.firms.iter().map(|f| f.capability).collect();
    let appeal = calibrate_appeal(&structure, &markets, &capability, &start_sales, params);

    // What each market bought at the start, by capability: the starting tool level of its fabs.
    let start_alloc = start_allocation(&structure, &markets, &capability, &appeal, params);
    for k in 0..scenario.sectors.len() {
        for i in 0..n_states {
            let (mut total, mut weighted) = (0.0, 0.0);
            for &j in &structure.sector_firms[k] {
                total += start_alloc[j][i];
                weighted += start_alloc[j][i] * capability[j];
            }
            markets.bought_capability[k][i] = if total > 0.0 {
                weighted / total
            } else {
                markets.frontier[k]
            };
        }
    }

    // Research: each firm's R&D at its start revenue, and a knowledge stock in steady state for
    // R&D growing with the sector's demand (the perpetual-inventory start K0 = R0 / (δ + g)) —
    // or, where larger, the stock that makes the firm's start position stationary (below).
    let depreciation = params.learning.knowledge_depreciation_per_year;
    let rd_intensity: Vec<f64> = scenario
        .firms
        .iter()
        .map(|f| f.rd_intensity.unwrap_or(params.finance.rd_share_of_revenue))
        .collect();
    let start_knowledge: Vec<f64> = (0..n_firms)
        .map(|j| {
            let growth = structure.sectors[firm_sector[j]].growth_per_year.max(0.0);
            rd_intensity[j] * start_sales[j] / (depreciation + growth)
        })
        .collect();
    let mut research = Research {
        reference_knowledge: vec![0.0; scenario.sectors.len()],
        reference_rd_share: vec![0.0; scenario.sectors.len()],
        design_frontier: markets.frontier.clone(),
    };
    let mut start_knowledge = start_knowledge;
    for (k, members) in structure.sector_firms.iter().enumerate() {
        // The start leader: the largest firm by start sales (the first on a tie).
        let leader = members.iter().copied().reduce(|a, b| {
            if start_sales[b] > start_sales[a] {
                b
            } else {
                a
            }
        });
        if let Some(leader) = leader {
            let sector_sales: f64 = members.iter().map(|&j| start_sales[j]).sum();
            research.reference_knowledge[k] = start_knowledge[leader];
            research.reference_rd_share[k] =
                rd_intensity[leader] * start_sales[leader] / sector_sales;
            // A firm's start capability embodies knowledge it took to get there: it holds at least
            // the stock at which own progress and imitation keep pace with the frontier at the
            // start (so tick 0 is stationary, as the shares are), and that stock then moves with
            // its R&D dollars. Parameters set it, switches do not: an ablation changes dynamics,
            // not the start.
            let learning = &params.learning;
            if learning.frontier_drift_years_per_year > 0.0 {
                for &j in members {
                    let sector = &structure.sectors[k];
                    let access = match (
                        tool_level_of(sector, &markets, firm_home[j]),
                        capital_mean(sector, |s| Some(markets.frontier[s])),
                    ) {
                        (Some(level), Some(frontier)) => {
                            (-(frontier - level).max(0.0) / learning.access_scale_years).exp()
                        }
                        _ => 1.0,
                    };
                    let gap = (markets.frontier[k] - capability[j]).max(0.0);
                    let spill = learning.catch_up_rate_per_year
                        * access
                        * gap
                        * (-gap / learning.absorption_gap_years).exp();
                    let own = (1.0 - spill / learning.frontier_drift_years_per_year).max(0.0);
                    let stationary = research.reference_knowledge[k]
                        * own.powf(1.0 / learning.knowledge_returns_exponent);
                    start_knowledge[j] = start_knowledge[j].max(stationary);
                }
            }
        }
    }

    let mut world = World::new();
    let experience = params.learning.experience_years_at_start;
    let firms: Vec<Entity> = (0..n_firms)
        .map(|j| {
            let sector = &structure.sectors[firm_sector[j]];
            let capacity = scenario.firms[j]
                .capacity_usd_b
                .unwrap_or(start_sales[j] / params.production.target_utilization);
            let tool_level = tool_level_of(sector, &markets, firm_home[j]).unwrap_or(0.0);
            let stocks = sector
                .inputs
                .iter()
                .map(|i| match i.role {
                    InputRole::Material => {
                        i.per_unit * start_sales[j] * params.production.input_stock_months / 12.0
                    }
                    InputRole::Capital => 0.0,
                })
                .collect();
            let mut rng = ChaCha8Rng::seed_from_u64(scenario.seed);
            rng.set_stream(j as u64);
            world
                .spawn((
                    FirmInfo {
                        index: j,
                        home: firm_home[j],
                        sector: firm_sector[j],
                    },
                    Capability(capability[j]),
                    Capacity(capacity),
                    Appeal(appeal[j]),
                    Tools {
                        level: tool_level,
                        capital_fill: 1.0,
                        access: 1.0,
                        yield_share: 1.0,
                    },
                    Costs {
                        unit_cost: 1.0,
                        cumulative_output: start_sales[j] * experience,
                        start_cumulative_output: start_sales[j] * experience,
                    },
                    Books {
                        planned: start_sales[j],
                        wanted: start_sales[j],
                        orders: start_sales[j],
                        output: start_sales[j],
                        revenue: start_sales[j],
                    },
                    Knowledge {
                        rd_intensity: rd_intensity[j],
                        rd_usd_b: rd_intensity[j] * start_sales[j],
                        stock_usd_b: start_knowledge[j],
                        design_years: capability[j],
                        ceiling_years: f64::INFINITY,
                    },
                    InputStocks {
                        ordered: vec![0.0; sector.inputs.len()],
                        stock: stocks,
                    },
                    FirmRng(rng),
                    Pricing {
                        list_price: 1.0,
                        unit_cost: 1.0,
                        utilization: params.production.target_utilization,
                    },
                    CapacityPipeline::default(),
                    NodeProcess {
                        node: node_of(capability[j], params),
                        output_at_node: 0.0,
                        ramping: false,
                        ramp_yield: 1.0,
                    },
                ))
                .id()
        })
        .collect();
    let life = params.compute.service_life_years;
    let states: Vec<Entity> = (0..n_states)
        .map(|i| {
            // Installed compute in steady state: a service life's worth of start-year purchases.
            let bought: f64 = (0..structure.sectors.len())
                .filter(|&k| structure.sectors[k].counts_as_ai_compute)
                .map(|k| {
                    structure.sector_firms[k]
                        .iter()
                        .map(|&j| start_alloc[j][i] * performance(capability[j], params))
                        .sum::<f64>()
                })
                .sum();
            world
                .spawn((StateInfo { index: i }, ComputeStock(bought * life)))
                .id()
        })
        .collect();
    // Buyers start holding the start allocation's shares, which are the tick-0 logit shares.
    for (k, members) in structure.sector_firms.iter().enumerate() {
        let n = members.len();
        for (m, &j) in members.iter().enumerate() {
            for i in 0..n_states {
                let demand = markets.demand(k, i);
                markets.held_shares[k][i * n + m] = if demand > 0.0 {
                    start_alloc[j][i] / demand
                } else {
                    0.0
                };
                markets.orders[k][i * n + m] = start_alloc[j][i];
            }
        }
    }
    for (j, row) in start_alloc.into_iter().enumerate() {
        markets.delivered[j] = row;
    }
    world.insert_resource(Roster { firms, states });
    world.insert_resource(structure);
    world.insert_resource(markets);
    world.insert_resource(research);
    world.insert_resource(DemandResponse::new(
        scenario.sectors.len(),
        n_states,
        n_firms,
    ));
    world.insert_resource(Clock::default());
    world.insert_resource(Params(params.clone()));
    world
}

/// Performance per unit of an accelerator of capability `q`, relative to the start frontier.
pub fn performance(q: f64, params: &Parameters) -> f64 {
    (q / params.compute.performance_doubling_years).exp2()
}

/// The capability of the tools a firm buys in its home market: the coefficient-weighted mean,
/// over its capital inputs, of what that market bought (frontier-years of the tool sectors).
/// `None` where the sector has no capital inputs.
pub fn tool_level_of(sector: &SectorSpec, markets: &Markets, home: usize) -> Option<f64> {
    capital_mean(sector, |k| Some(markets.bought_capability[k][home]))
}

/// The coefficient-weighted mean of `level(input sector)` over a sector's capital inputs, or
/// `None` where it has none or `level` gives `None` for one of them.
pub fn capital_mean(sector: &SectorSpec, level: impl Fn(usize) -> Option<f64>) -> Option<f64> {
    let (mut weight, mut total) = (0.0, 0.0);
    for input in sector
        .inputs
        .iter()
        .filter(|i| i.role == InputRole::Capital)
    {
        weight += input.per_unit;
        total += input.per_unit * level(input.sector)?;
    }
    (weight > 0.0).then(|| total / weight)
}

/// Utility of firm `j` to buyers in market `i`, before policy masks.
pub fn utility(
    appeal: f64,
    capability: f64,
    price: f64,
    is_home: bool,
    params: &Parameters,
) -> f64 {
    let m = &params.market;
    appeal + m.capability_weight_per_year * capability - m.log_price_weight * price.ln()
        + if is_home { m.home_bias } else { 0.0 }
}

/// Unconstrained logit allocation at the start: sales [firm][state].
fn start_allocation(
    structure: &Structure,
    markets: &Markets,
    capability: &[f64],
    appeal: &[f64],
    params: &Parameters,
) -> Vec<Vec<f64>> {
    let n_firms = capability.len();
    let mut sales = vec![vec![0.0; structure.n_states]; n_firms];
    for (k, firms) in structure.sector_firms.iter().enumerate() {
        let mut u = vec![0.0; firms.len()];
        let mut domestic = vec![false; firms.len()];
        let mut shares = vec![0.0; firms.len()];
        for i in 0..structure.n_states {
            let demand = markets.demand(k, i);
            if demand <= 0.0 {
                continue;
            }
            for (n, &j) in firms.iter().enumerate() {
                domestic[n] = structure.firm_home[j] == i;
                u[n] = utility(appeal[j], capability[j], 1.0, domestic[n], params);
            }
            nested_logit_shares(
                &u,
                &domestic,
                params.market.logit_scale,
                params.market.nest_dissimilarity,
                &mut shares,
            );
            for (n, &j) in firms.iter().enumerate() {
                sales[j][i] = demand * shares[n];
            }
        }
    }
    sales
}

/// Finds appeals α so that the logit over all markets reproduces each firm's start sales
/// (Berry 1994 inversion, solved by the contraction α ← α + μ ln(target / model)). A sector's total
/// demand equals its market size by construction, so the targets are share × market size.
fn calibrate_appeal(
    structure: &Structure,
    markets: &Markets,
    capability: &[f64],
    target: &[f64],
    params: &Parameters,
) -> Vec<f64> {
    let mut appeal: Vec<f64> = target.iter().map(|t| t.ln()).collect();
    for _ in 0..5000 {
        let sales = start_allocation(structure, markets, capability, &appeal, params);
        let mut worst: f64 = 0.0;
        for (j, a) in appeal.iter_mut().enumerate() {
            let model: f64 = sales[j].iter().sum();
            // A share moves by up to 1/(μλ) per unit of appeal under the nested logit: the step
            // is damped by λ so the contraction does not overshoot (λ = 1: Berry's step).
            let lambda = params.market.nest_dissimilarity;
            let step = if lambda == 1.0 {
                params.market.logit_scale * (target[j] / model).ln()
            } else {
                params.market.logit_scale * lambda * (target[j] / model).ln()
            };
            worst = worst.max(step.abs());
            *a += step;
        }
        if worst < 1e-13 {
            break;
        }
    }
    appeal
}

/// A fab's process node and its experience there (docs/MODEL.md, "Learning by doing"): a firm
/// whose capability crosses into a node new to it starts that node at a low yield, which rises
/// with its cumulative output at the node. Start positions are mature (yield 1): the 2022 shares
/// already embody them.
#[derive(Component, Clone, Copy, Debug)]
pub struct NodeProcess {
    /// Index of the node the firm's process is at: ⌊capability / node width⌋.
    pub node: i64,
    /// Cumulative output at that node since the firm entered it, $B of start-year output.
    pub output_at_node: f64,
    /// Whether the firm is ramping a node it entered during the run (false: its node is mature,
    /// its start node or one whose ramp yield has reached 1).
    pub ramping: bool,
    /// Share of capacity yielding good output because of the node's ramp, 0–1 (1 = mature).
    pub ramp_yield: f64,
}

/// The process node of capability `q` (frontier-years) at the parameters' node width.
pub fn node_of(q: f64, params: &Parameters) -> i64 {
    (q / params.learning.node_width_years).floor() as i64
}

/// Price-responsive final demand (docs/MODEL.md, "Demand"), by market [sector][state]: what the
/// clearing price is measured against, and how far final demand has moved in answer to it.
#[derive(Resource, Clone, Debug)]
pub struct DemandResponse {
    /// The price each market would pay without scarcity or policy: the delivery-weighted trend
    /// cost of its suppliers (learning lowers it, input prices on their trend), index (start = 1).
    pub trend_price: Vec<Vec<f64>>,
    /// Final demand as a multiple of its trend, moved toward (price ÷ trend price)^(−ε) with lag.
    pub factor: Vec<Vec<f64>>,
    /// Each firm's trend cost: its own learned value added plus its inputs at their markets' trend
    /// prices, index (start = 1), by firm index.
    pub trend_cost: Vec<f64>,
}

impl DemandResponse {
    /// Every market at its trend: factor 1, trend prices 1.
    pub fn new(n_sectors: usize, n_states: usize, n_firms: usize) -> Self {
        DemandResponse {
            trend_price: vec![vec![1.0; n_states]; n_sectors],
            factor: vec![vec![1.0; n_states]; n_sectors],
            trend_cost: vec![1.0; n_firms],
        }
    }
}
