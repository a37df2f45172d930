//! Demand (docs/MODEL.md, "Demand"): final demand grows at each sector's rate and answers the
//! market's clearing price at the sector's own-price elasticity, with a lag; firms order inputs
//! for their planned output, plus a bounded refill toward their target stock of each material, in
//! their home market.

use bevy_ecs::prelude::*;

use super::policy::PolicyRegime;
use super::world::{
    Books, Capability, Clock, DemandResponse, InputStocks, Markets, Params, Roster, Structure,
};
use crate::scenario::InputRole;

/// System: sets this tick's final and derived demand in every market.
pub fn update_demand(
    clock: Res<Clock>,
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    mut markets: ResMut<Markets>,
    regime: Res<PolicyRegime>,
    mut response: ResMut<DemandResponse>,
    mut firms: Query<(&Books, &mut InputStocks)>,
    capabilities: Query<&Capability>,
) {
    // One change-detection borrow for the whole system, not one per access.
    let markets = &mut *markets;
    let response = &mut *response;
    let years = f64::from(clock.tick) * structure.dt_years;
    let responsive = params.0.mechanisms.price_responsive_demand;
    let adjust =
        super::market::share_adjustment(params.0.demand.adjustment_months, structure.dt_years);
    let response = &mut *response;
    for (k, sector) in structure.sectors.iter().enumerate() {
        let growth = (1.0 + sector.growth_per_year).powf(years);
        // The sector's rows, taken once: the market loop below reads them in step.
        let rows = sector
            .start_final_demand
            .iter()
            .zip(response.factor[k].iter_mut())
            .zip(markets.final_demand[k].iter_mut())
            .zip(markets.stockpile_demand[k].iter())
            .zip(response.trend_price[k].iter().zip(&markets.price[k]));
        for ((((start, factor), final_demand), &stockpile_demand), (&trend, &price)) in rows {
            if !responsive {
                *factor = 1.0;
            } else if stockpile_demand <= 0.0 {
                // Last tick's clearing price against the trend: demand moves part of the way to
                // the constant-elasticity answer each tick (partial adjustment). Buyers who were
                // front-running an announced control caused that tick's scarcity themselves and
                // buy because they will pay: their factor holds.
                let target = if trend > 0.0 {
                    (price / trend).powf(-sector.price_elasticity)
                } else {
                    1.0
                };
                *factor += adjust * (target - *factor);
            }
            *final_demand = start * growth * *factor;
        }
        markets.derived_demand[k].iter_mut().for_each(|d| *d = 0.0);
    }
    let stock_years = params.0.production.input_stock_months / 12.0;
    let max_refill = params.0.production.stock_refill_max_share_of_use;
    for (j, &entity) in roster.firms.iter().enumerate() {
        let (books, mut inputs) = firms.get_mut(entity).expect("roster entity");
        let sector = &structure.sectors[structure.firm_sector[j]];
        let home = structure.firm_home[j];
        for (n, input) in sector.inputs.iter().enumerate() {
            let use_rate = input.per_unit * books.planned;
            let order = match input.role {
                InputRole::Material if stock_years > 0.0 => {
                    // Refill over the stock horizon, but never faster than a share of use: a firm
                    // whose stock ran down cannot out-order every other buyer many times over.
                    let target = use_rate * stock_years;
                    let refill =
                        ((target - inputs.stock[n]) / stock_years).min(max_refill * use_rate);
                    (use_rate + refill).max(0.0)
                }
                _ => use_rate,
            };
            inputs.ordered[n] = order;
            markets.derived_demand[input.sector][home] += order;
        }
    }
    front_run_announced_controls(
        &clock,
        &params,
        &structure,
        &roster,
        &regime,
        markets,
        &capabilities,
    );
}

/// Stockpiling (docs/MODEL.md, "Stockpiling"): between a control's announcement and its effect,
/// buyers in its destinations order extra of the soon-controlled goods, aiming at a ceiling of
/// months of the flow it will deny (its unlicensed share) by the effective date.
fn front_run_announced_controls(
    clock: &Clock,
    params: &Params,
    structure: &Structure,
    roster: &Roster,
    regime: &PolicyRegime,
    markets: &mut Markets,
    capabilities: &Query<&Capability>,
) {
    markets
        .stockpile_demand
        .iter_mut()
        .for_each(|row| row.iter_mut().for_each(|d| *d = 0.0));
    markets
        .stockpile_orders
        .iter_mut()
        .for_each(|row| row.iter_mut().for_each(|d| *d = 0.0));
    if !params.0.mechanisms.stockpiling {
        return;
    }
    let dt = structure.dt_years;
    for a in regime
        .announcements
        .iter()
        .filter(|a| a.pending_at(clock.tick))
    {
        let c = &a.control;
        let years_left = f64::from(a.effective_tick - clock.tick) * dt;
        // The suppliers the control will bind, and what each delivered last tick: only goods that
        // are still flowing can be front-run.
        let bound: Vec<usize> = structure.sector_firms[c.sector]
            .iter()
            .copied()
            .filter(|&j| {
                c.binds_directly(j, structure.firm_home[j])
                    && capabilities.get(roster.firms[j]).expect("roster entity").0
                        > c.max_capability
            })
            .collect();
        for i in (0..structure.n_states).filter(|&i| c.destinations[i]) {
            let flow: f64 = bound.iter().map(|&j| markets.delivered[j][i]).sum();
            if flow <= 0.0 {
                continue;
            }
            // Buyers stock up only on what the control will deny them: the licensed share of the
            // flow goes on after it takes effect.
            let denied_flow = flow * (1.0 - c.licence_approval_rate);
            let target = params.0.stockpiling.ceiling_months / 12.0 * denied_flow;
            let rate = (target - markets.stockpile[c.sector][i]).max(0.0) / years_left;
            for &j in &bound {
                markets.stockpile_orders[j][i] += rate * markets.delivered[j][i] / flow;
            }
            markets.stockpile_demand[c.sector][i] += rate;
        }
    }
}
