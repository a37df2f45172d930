//! Effective AI compute (docs/MODEL.md, "Capability in frontier-years"): each state's installed
//! compute is the accelerators it received, weighted by their performance 2^(q / T2), less
//! retirement over the service life.

use bevy_ecs::prelude::*;

use super::world::{
    Capability, ComputeStock, FirmInfo, Markets, Params, StateInfo, Structure, performance,
};

/// Per-tick buffers, kept between ticks so that a tick allocates nothing.
#[derive(Default)]
pub struct Contributions {
    /// Each firm's compute delivered to each state, [firm × state], addressed by the firm's index
    /// so that the sum over firms runs in index order whatever the storage order.
    added: Vec<f64>,
    /// Per sector and state, [sector × state]: the share of this tick's deliveries installed now
    /// (the rest went into a stockpile). It depends on the market only, so it is worked out once
    /// per market instead of once per supplier.
    installed_now: Vec<f64>,
}

/// System: adds this tick's deliveries to each state's compute stock and retires old stock.
pub fn install_compute(
    params: Res<Params>,
    structure: Res<Structure>,
    markets: Res<Markets>,
    mut contributions: Local<Contributions>,
    firms: Query<(&FirmInfo, &Capability)>,
    mut states: Query<(&StateInfo, &mut ComputeStock)>,
) {
    let p = &params.0;
    let dt = structure.dt_years;
    let n_states = structure.n_states;
    let retire = (dt / p.compute.service_life_years).min(1.0);
    let Contributions {
        added,
        installed_now,
    } = &mut *contributions;
    // Sized, not cleared: every entry read below (AI-compute sectors' firms) is written first.
    added.resize(structure.firm_home.len() * n_states, 0.0);
    installed_now.resize(structure.sectors.len() * n_states, 0.0);
    for (k, sector) in structure.sectors.iter().enumerate() {
        if !sector.counts_as_ai_compute {
            continue;
        }
        for i in 0..n_states {
            // Goods bought into a stockpile are installed when drawn, not when bought.
            let demand = markets.demand(k, i);
            installed_now[k * n_states + i] = if demand > 0.0 {
                1.0 - markets.stockpile_demand[k][i] / demand
            } else {
                1.0
            };
        }
    }
    for (info, capability) in &firms {
        let k = info.sector;
        if !structure.sectors[k].counts_as_ai_compute {
            continue;
        }
        let j = info.index;
        // The firm's own design performs the same in every market; a redesigned product's only
        // counts where some was sold (elsewhere its term is 0 whatever its performance).
        let own_performance = performance(capability.0, p);
        // The firm's and its sector's rows, taken once: the market loop reads them in step.
        let rows = added[j * n_states..(j + 1) * n_states]
            .iter_mut()
            .zip(&installed_now[k * n_states..(k + 1) * n_states])
            .zip(&markets.delivered[j])
            .zip(
                markets.capped_share[j]
                    .iter()
                    .zip(&markets.capped_capability[j]),
            );
        for (((added, &installed_now), &delivered), (&capped_share, &capped_q)) in rows {
            // As `Markets::delivered_capabilities`: the redesigned share at its capped
            // capability, the rest at the firm's own.
            let own_share = 1.0 - capped_share;
            let capped_performance = if capped_share == 0.0 {
                0.0
            } else {
                performance(capped_q, p)
            };
            *added = [
                delivered * own_share * own_performance,
                delivered * capped_share * capped_performance,
            ]
            .iter()
            .sum::<f64>()
                * installed_now
                * dt;
        }
    }
    for (info, mut stock) in &mut states {
        let i = info.index;
        let mut installed = 0.0;
        for (k, sector) in structure.sectors.iter().enumerate() {
            if !sector.counts_as_ai_compute {
                continue;
            }
            for &j in &structure.sector_firms[k] {
                installed += added[j * n_states + i];
            }
            installed +=
                markets.stock_draw[k][i] * performance(markets.stockpile_capability[k][i], p) * dt;
        }
        stock.0 = stock.0 * (1.0 - retire) + installed;
    }
}
