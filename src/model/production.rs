//! Production and rationing (docs/MODEL.md, "Production and rationing"): sectors produce upstream
//! first; a firm's output is its accepted orders, limited by the material inputs it received plus
//! its stock (less what substitutes can replace), so a shortage upstream (a mineral ban, a
//! capacity squeeze) propagates down the bill of materials. A market that delivers less than its
//! demand shares the shortfall among firms and final users by the rationing rule, and clears at a
//! scarcity price. Capital inputs do not limit this tick's output; their delivery share feeds
//! investment and the tool base.

use bevy_ecs::prelude::*;

use super::leakage::gray_premium;
use super::prices::scarcity_multiple;
use super::world::Pricing;
use super::world::{
    Books, Capability, DemandResponse, FirmInfo, InputStocks, Markets, Params, Roster, Structure,
    Tools,
};
use crate::scenario::InputRole;
use crate::scenario::params::Rationing;

/// What a sector's members delivered to each buying state this tick, summed member by member:
/// one column per quantity, indexed by buying state (columns, so the per-member pass runs as
/// vector code).
#[derive(Default)]
struct DeliverySums {
    /// Volume delivered.
    supplied: Vec<f64>,
    /// Its value at the sellers' list prices.
    value: Vec<f64>,
    /// Its value at the sellers' unit costs.
    cost: Vec<f64>,
    /// Its value at the sellers' trend costs (DemandResponse::trend_cost).
    trend: Vec<f64>,
    /// Volume × the capability delivered.
    weighted: Vec<f64>,
}

/// One member's deliveries to each buying state, and the redesigned share and its capability
/// (rows of [`Markets`]).
struct Deliveries<'a> {
    delivered: &'a [f64],
    capped_share: &'a [f64],
    capped_capability: &'a [f64],
}

impl DeliverySums {
    /// Adds one member's deliveries; `[price, cost, trend_cost, capability]` are its list price,
    /// unit cost, trend cost and own capability.
    fn add_member(&mut self, rows: Deliveries, [price, cost, trend_cost, q]: [f64; 4]) {
        add_columns(
            [
                &mut self.supplied,
                &mut self.value,
                &mut self.cost,
                &mut self.trend,
                &mut self.weighted,
            ],
            [rows.delivered, rows.capped_share, rows.capped_capability],
            [price, cost, trend_cost, q],
        );
    }

    /// Every column `n_states` zeros.
    fn reset(&mut self, n_states: usize) {
        for column in [
            &mut self.supplied,
            &mut self.value,
            &mut self.cost,
            &mut self.trend,
            &mut self.weighted,
        ] {
            column.clear();
            column.resize(n_states, 0.0);
        }
    }
}

/// The body of [`DeliverySums::add_member`], over the first `supplied.len()` entries: as a function's own
/// `&mut` parameters they cannot overlap, so the loop compiles to vector code without run-time
/// overlap checks. Branch-free: a market the member did not deliver to adds exact zeros (every
/// factor is finite and each sum starts at +0), which leaves its sums unchanged.
fn add_columns(
    [supplied, value, cost_sum, trend, weighted]: [&mut [f64]; 5],
    [delivered, capped, capped_q]: [&[f64]; 3],
    [price, cost, trend_cost, q]: [f64; 4],
) {
    // Every slice cut to one length, so that the loop needs no bounds checks.
    let n = supplied.len();
    let (value, cost_sum, trend, weighted) = (
        &mut value[..n],
        &mut cost_sum[..n],
        &mut trend[..n],
        &mut weighted[..n],
    );
    let (delivered, capped, capped_q) = (&delivered[..n], &capped[..n], &capped_q[..n]);
    for i in 0..n {
        let d = delivered[i];
        supplied[i] += d;
        value[i] += d * price;
        cost_sum[i] += d * cost;
        trend[i] += d * trend_cost;
        // Its own capability for the share sold as designed, the capped product's for the
        // redesigned share (Markets::delivered_capabilities).
        weighted[i] += d * (1.0 - capped[i]) * q;
        weighted[i] += d * capped[i] * capped_q[i];
    }
}

/// System: produces and delivers, sector by sector in material order, then rations and prices
/// each of the sector's markets.
pub fn produce(
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    mut markets: ResMut<Markets>,
    mut response: ResMut<DemandResponse>,
    mut firms: Query<(&FirmInfo, &mut Books, &mut InputStocks, &mut Tools)>,
    views: Query<(&FirmInfo, &Pricing, &Capability)>,
    mut buffers: Local<Buffers>,
) {
    // One change-detection borrow for the whole system, not one per access.
    let markets = &mut *markets;
    let response = &mut *response;
    let p = &params.0;
    let dt = structure.dt_years;
    // Short of a material, a firm needs only (1 − s) of it per unit: substitutes cover the rest.
    let need_share = (1.0 - p.production.material_substitutability).max(0.0);
    // List price, unit cost and capability by firm index, read in one pass over the firms;
    // revenue by firm index, written back in one pass at the end.
    let Buffers {
        price_of,
        cost_of,
        capability_of,
        revenue_of,
        prices,
        costs,
        own_capability,
        sums,
        demand_row,
    } = &mut *buffers;
    let n_firms = structure.firm_home.len();
    for buffer in [
        &mut *price_of,
        &mut *cost_of,
        &mut *capability_of,
        &mut *revenue_of,
    ] {
        buffer.resize(n_firms, 0.0);
    }
    for (info, pricing, capability) in &views {
        price_of[info.index] = pricing.list_price;
        cost_of[info.index] = pricing.unit_cost;
        capability_of[info.index] = capability.0;
    }
    for &k in &structure.material_order {
        let sector = &structure.sectors[k];
        let n = structure.sector_firms[k].len();
        for (m, &j) in structure.sector_firms[k].iter().enumerate() {
            let (_, mut books, mut inputs, mut tools) =
                firms.get_mut(roster.firms[j]).expect("roster entity");
            let home = structure.firm_home[j];
            let mut output = books.orders;
            let mut capital_fill: f64 = 1.0;
            for (n, input) in sector.inputs.iter().enumerate() {
                let fill = markets.fill_firms[input.sector][home];
                match input.role {
                    InputRole::Material => {
                        let available = inputs.stock[n] + inputs.ordered[n] * fill * dt;
                        let need = input.per_unit * dt * need_share;
                        if p.mechanisms.input_limits && need > 0.0 {
                            output = output.min(available / need);
                        }
                        inputs.stock[n] = available;
                    }
                    InputRole::Capital => capital_fill = capital_fill.min(fill),
                }
            }
            for (n, input) in sector.inputs.iter().enumerate() {
                if input.role == InputRole::Material {
                    let used = output * input.per_unit * dt;
                    inputs.stock[n] = (inputs.stock[n] - used).max(0.0);
                }
            }
            tools.capital_fill = capital_fill;
            let delivered_share = if books.orders > 0.0 {
                output / books.orders
            } else {
                0.0
            };
            let Markets {
                orders, delivered, ..
            } = &mut *markets;
            // The sector's orders are laid out market by market: this firm's are every n-th.
            let sector_orders = &orders[k];
            for (i, d) in delivered[j].iter_mut().enumerate() {
                *d = sector_orders[i * n + m] * delivered_share;
            }
            books.output = output;
        }
        let members = &structure.sector_firms[k];
        prices.clear();
        costs.clear();
        own_capability.clear();
        for &j in members {
            prices.push(price_of[j]);
            costs.push(cost_of[j]);
            own_capability.push(capability_of[j]);
        }
        let mean_price = prices.iter().sum::<f64>() / prices.len().max(1) as f64;
        // Per buying state, sums over the members (member by member, so each state's sums add
        // in member order): volume, value at list price and at unit cost, trend cost, and
        // capability-weighted volume. Filled row by row, which reads each firm's deliveries
        // contiguously.
        let n_states = structure.n_states;
        sums.reset(n_states);
        for (m, &j) in members.iter().enumerate() {
            let q = own_capability[m];
            let (price, cost, trend_cost) = (prices[m], costs[m], response.trend_cost[j]);
            sums.add_member(
                Deliveries {
                    delivered: &markets.delivered[j],
                    capped_share: &markets.capped_share[j],
                    capped_capability: &markets.capped_capability[j],
                },
                [price, cost, trend_cost, q],
            );
        }
        // Each market's demand (Markets::demand), then this sector's row of each market table,
        // taken once (the loop below runs per state).
        demand_row.clear();
        demand_row.extend((0..n_states).map(|i| markets.demand(k, i)));
        let Markets {
            derived_demand,
            stockpile_demand,
            fill: fill_row,
            fill_firms: fill_firms_row,
            fill_final: fill_final_row,
            leaked,
            unmet,
            scarcity: scarcity_row,
            price: price_row,
            bought_capability,
            stockpile,
            stockpile_capability,
            stock_draw,
            delivered,
            ..
        } = &mut *markets;
        let derived_demand = &derived_demand[k];
        let (stockpile_demand, leaked, unmet) = (&stockpile_demand[k], &leaked[k], &unmet[k]);
        let (fill_row, fill_firms_row) = (&mut fill_row[k], &mut fill_firms_row[k]);
        let (fill_final_row, scarcity_row) = (&mut fill_final_row[k], &mut scarcity_row[k]);
        let (price_row, bought_capability) = (&mut price_row[k], &mut bought_capability[k]);
        let (stockpile, stockpile_capability) = (&mut stockpile[k], &mut stockpile_capability[k]);
        let (stock_draw, trend_price) = (&stock_draw[k], &mut response.trend_price[k]);
        for i in 0..n_states {
            let (supplied, value, cost) = (sums.supplied[i], sums.value[i], sums.cost[i]);
            let (trend, weighted) = (sums.trend[i], sums.weighted[i]);
            let demand = demand_row[i];
            let fill = if demand > 0.0 {
                (supplied / demand).min(1.0)
            } else {
                1.0
            };
            fill_row[i] = fill;
            let firm_demand = derived_demand[i];
            let final_demand = demand - firm_demand;
            let (fill_firms, fill_final) =
                ration(p.production.rationing, supplied, firm_demand, final_demand);
            fill_firms_row[i] = fill_firms;
            fill_final_row[i] = fill_final;

            // The clearing price: the scarcity multiple of what was delivered at unit cost, or
            // its list prices if higher (the utilisation markup is part of the same rent, not on
            // top of it); gray-market buyers pay a premium on top for what leaked.
            let scarcity = scarcity_multiple(fill, &p.prices);
            let cleared = if supplied > 0.0 {
                (value / supplied).max(cost / supplied * scarcity)
            } else {
                mean_price.max(mean_price * scarcity)
            };
            let leaked_share = if demand > 0.0 {
                (leaked[i] / demand).min(1.0)
            } else {
                0.0
            };
            let shortage = if demand > 0.0 { unmet[i] / demand } else { 0.0 };
            scarcity_row[i] = scarcity;
            // With nothing delivered, the trend price stays where it was.
            if supplied > 0.0 {
                trend_price[i] = trend / supplied;
            }
            price_row[i] = cleared * (1.0 + leaked_share * gray_premium(&p.leakage, shortage));

            // With nothing delivered, buyers keep the tools they had: the level stays put while
            // the frontier moves on.
            if supplied > 0.0 {
                bought_capability[i] = weighted / supplied;
            }
            // Stockpiles: goods bought to stock arrive with final users' fill; drawn goods leave.
            let added = stockpile_demand[i] * fill_final * dt;
            let stock = stockpile[i];
            if added > 0.0 && supplied > 0.0 {
                stockpile_capability[i] = (stockpile_capability[i] * stock
                    + weighted / supplied * added)
                    / (stock + added);
            }
            stockpile[i] = (stock + added - stock_draw[i] * dt).max(0.0);
        }
        // Sellers are paid their list price, or their unit cost times the scarcity multiple of
        // the market they sell into where that is higher.
        for (m, &j) in members.iter().enumerate() {
            let (price, cost) = (prices[m], costs[m]);
            let revenue: f64 = delivered[j]
                .iter()
                .zip(&*scarcity_row)
                .map(|(&delivered, &scarcity)| delivered * price.max(cost * scarcity))
                .sum::<f64>();
            revenue_of[j] = revenue;
        }
    }
    for (info, mut books, ..) in &mut firms {
        books.revenue = revenue_of[info.index];
    }
}

/// Per-tick buffers addressed by firm index, kept between ticks so that a tick allocates nothing.
#[derive(Default)]
pub struct Buffers {
    price_of: Vec<f64>,
    cost_of: Vec<f64>,
    capability_of: Vec<f64>,
    revenue_of: Vec<f64>,
    /// Per member of the sector at hand: list price, unit cost, capability.
    prices: Vec<f64>,
    costs: Vec<f64>,
    own_capability: Vec<f64>,
    /// Per buying state: the sector's deliveries summed over its members.
    sums: DeliverySums,
    /// Per buying state: the sector's demand.
    demand_row: Vec<f64>,
}

/// Shares of firms' and of final users' orders delivered when `supplied` meets part of the
/// demand, under `rule`. Returns `(fill_firms, fill_final)`, each in [0, 1].
pub fn ration(rule: Rationing, supplied: f64, firms: f64, final_users: f64) -> (f64, f64) {
    let share = |got: f64, wanted: f64| {
        if wanted > 0.0 {
            (got / wanted).clamp(0.0, 1.0)
        } else {
            1.0
        }
    };
    let supplied = supplied.max(0.0);
    match rule {
        Rationing::ProRata => {
            let fill = share(supplied, firms + final_users);
            (fill, fill)
        }
        Rationing::WillingnessToPay => (
            share(supplied, firms),
            share((supplied - firms).max(0.0), final_users),
        ),
        Rationing::Priority => (
            share((supplied - final_users).max(0.0), firms),
            share(supplied, final_users),
        ),
    }
}
