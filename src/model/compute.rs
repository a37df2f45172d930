//! Effective AI compute (docs/MODEL.md, "Capability in frontier-years"): each state's installed
//! compute is the accelerators it received, weighted by their performance 2^(q / T2), less
//! retirement over the service life.

use bevy_ecs::prelude::*;

use super::world::{Capability, ComputeStock, Markets, Params, Roster, Structure, performance};

/// System: adds this tick's deliveries to each state's compute stock and retires old stock.
pub fn install_compute(
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    markets: Res<Markets>,
    firms: Query<&Capability>,
    mut states: Query<&mut ComputeStock>,
) {
    let p = &params.0;
    let dt = structure.dt_years;
    let retire = (dt / p.compute.service_life_years).min(1.0);
    for (i, &entity) in roster.states.iter().enumerate() {
        let mut added = 0.0;
        for (k, sector) in structure.sectors.iter().enumerate() {
            if !sector.counts_as_ai_compute {
                continue;
            }
            // Goods bought into a stockpile are installed when drawn, not when bought.
            let demand = markets.demand(k, i);
            let installed_now = if demand > 0.0 {
                1.0 - markets.stockpile_demand[k][i] / demand
            } else {
                1.0
            };
            for &j in &structure.sector_firms[k] {
                let q = firms.get(roster.firms[j]).expect("roster entity").0;
                for (share, capability) in markets.delivered_capabilities(j, i, q) {
                    added += markets.delivered[j][i]
                        * share
                        * performance(capability, p)
                        * installed_now
                        * dt;
                }
            }
            added +=
                markets.stock_draw[k][i] * performance(markets.stockpile_capability[k][i], p) * dt;
        }
        let mut stock = states.get_mut(entity).expect("roster entity");
        stock.0 = stock.0 * (1.0 - retire) + added;
    }
}
