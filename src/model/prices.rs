//! Prices (docs/MODEL.md, "Prices"): every supplier quotes a list price — its unit cost (its own
//! value added, which learning by doing lowers, plus what its inputs cost in its home market)
//! times a markup that rises once demand pushes utilisation past the target; a market that cannot
//! be fully supplied clears at a scarcity multiple of the delivered list price, set by the
//! short-run price elasticity of demand. The clearing price is found in closed form, so a tick
//! needs no iteration. Each firm's trend cost (learning and input prices on their trend, no
//! scarcity) is what price-responsive demand measures the clearing price against. A fab ramping a
//! new node pays for the bad dies: its own value added per good unit is divided by its ramp yield.

use bevy_ecs::prelude::*;

use super::world::{
    Costs, DemandResponse, FirmInfo, Markets, NodeProcess, Params, Pricing, Structure,
};
use crate::scenario::params::PriceParams;

/// The multiple of the delivered list price at which a market delivering share `fill` of its
/// demand clears: `fill^(−1/ε)`, at most `max_scarcity_multiple` (1 when fully supplied).
pub fn scarcity_multiple(fill: f64, p: &PriceParams) -> f64 {
    if fill >= 1.0 {
        1.0
    } else if fill <= 0.0 {
        p.max_scarcity_multiple
    } else {
        fill.powf(-1.0 / p.short_run_demand_elasticity)
            .min(p.max_scarcity_multiple)
    }
}

/// The markup over unit cost at `utilization`: 1 up to the target, then rising by
/// `utilization_markup_slope` per unit of excess (counted up to 1).
pub fn markup(utilization: f64, target: f64, p: &PriceParams) -> f64 {
    1.0 + p.utilization_markup_slope * (utilization - target).clamp(0.0, 1.0)
}

/// System: sets every firm's unit cost from this tick's input prices, and moves its list price
/// toward unit cost × markup at the rate `prices.list_price_adjustment_months` allows.
pub fn update_list_prices(
    params: Res<Params>,
    structure: Res<Structure>,
    markets: Res<Markets>,
    mut response: ResMut<DemandResponse>,
    mut firms: Query<(&FirmInfo, &Costs, &NodeProcess, &mut Pricing)>,
) {
    // One change-detection borrow for the whole system, not one per access.
    let response = &mut *response;
    let p = &params.0;
    let adjust =
        super::market::share_adjustment(p.prices.list_price_adjustment_months, structure.dt_years);
    // Each firm's prices depend on its own data and market prices only: storage order is moot.
    for (info, costs, node, mut pricing) in &mut firms {
        let j = info.index;
        let sector = &structure.sectors[structure.firm_sector[j]];
        let home = structure.firm_home[j];
        let input_share: f64 = sector.inputs.iter().map(|i| i.per_unit).sum();
        let (mut inputs, mut trend_inputs) = (0.0, 0.0);
        for i in &sector.inputs {
            inputs += i.per_unit * markets.price[i.sector][home];
            trend_inputs += i.per_unit * response.trend_price[i.sector][home];
        }
        let own = costs.unit_cost / node.ramp_yield * (1.0 - input_share).max(0.0);
        pricing.unit_cost = own + inputs;
        response.trend_cost[j] = own + trend_inputs;
        let target = pricing.unit_cost
            * markup(
                pricing.utilization,
                p.production.target_utilization,
                &p.prices,
            );
        // Sticky prices: without them a full supplier's markup pushes buyers' re-choice away,
        // it is no longer full, its markup vanishes and buyers come back: a two-tick cycle.
        pricing.list_price += adjust * (target - pricing.list_price);
    }
}
