//! Market allocation (docs/MODEL.md, "Market allocation"): in every sector and buying state,
//! buyers split demand over the suppliers available to them by a multinomial logit of appeal,
//! capability, price and home bias; export controls remove suppliers above a threshold; capacity
//! caps a supplier's total volume and unmet orders spill to the next-best suppliers.

use bevy_ecs::prelude::*;

use super::policy::PolicyRegime;
use super::world::{
    Appeal, Books, Capability, Capacity, Costs, Markets, Params, Roster, Structure, Tools, utility,
};

/// Relative tolerance above capacity before a supplier counts as full.
const CAPACITY_TOLERANCE: f64 = 1e-9;

/// System: allocates every market's demand to suppliers.
#[allow(clippy::too_many_arguments)]
pub fn allocate_markets(
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    regime: Res<PolicyRegime>,
    mut markets: ResMut<Markets>,
    firms: Query<(&Appeal, &Capability, &Costs, &Capacity, &Tools)>,
    mut books: Query<&mut Books>,
) {
    let p = &params.0;
    let n_states = structure.n_states;
    let mu = p.market.logit_scale;
    for (k, members) in structure.sector_firms.iter().enumerate() {
        let n = members.len();
        // Per-supplier data for this tick, in firm-index order.
        let mut capacity = vec![f64::INFINITY; n];
        let mut weight = vec![vec![0.0; n_states]; n];
        let mut utilities = vec![0.0; n];
        for i in 0..n_states {
            for (m, &j) in members.iter().enumerate() {
                let (appeal, capability, costs, _, _) =
                    firms.get(roster.firms[j]).expect("roster entity");
                let home = structure.firm_home[j];
                let allowed = capability.0 <= regime.max_capability(j, home, k, i);
                utilities[m] = if allowed {
                    utility(appeal.0, capability.0, costs.unit_cost, home == i, p)
                } else {
                    f64::NEG_INFINITY
                };
            }
            let max = utilities.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for m in 0..n {
                weight[m][i] = if max == f64::NEG_INFINITY {
                    0.0
                } else {
                    ((utilities[m] - max) / mu).exp()
                };
            }
        }
        if p.mechanisms.capacity_limits {
            for (m, &j) in members.iter().enumerate() {
                let (_, _, _, cap, tools) = firms.get(roster.firms[j]).expect("roster entity");
                capacity[m] = cap.0 * tools.yield_share;
            }
        }

        let mut orders = vec![vec![0.0; n_states]; n];
        let mut wanted = vec![0.0; n];
        let mut remaining: Vec<f64> = (0..n_states).map(|i| markets.demand(k, i)).collect();
        let mut full = vec![false; n];
        for _pass in 0..p.market.spillover_passes.max(1) {
            for (i, rest) in remaining.iter_mut().enumerate() {
                if *rest <= 0.0 {
                    continue;
                }
                let total: f64 = (0..n).filter(|&m| !full[m]).map(|m| weight[m][i]).sum();
                if total <= 0.0 {
                    continue;
                }
                for m in (0..n).filter(|&m| !full[m]) {
                    let add = *rest * weight[m][i] / total;
                    orders[m][i] += add;
                    wanted[m] += add;
                }
                *rest = 0.0;
            }
            let mut spilled = false;
            for m in 0..n {
                let total: f64 = orders[m].iter().sum();
                if !full[m] && total > capacity[m] * (1.0 + CAPACITY_TOLERANCE) {
                    let keep = capacity[m] / total;
                    for i in 0..n_states {
                        let excess = orders[m][i] * (1.0 - keep);
                        orders[m][i] -= excess;
                        remaining[i] += excess;
                    }
                    full[m] = true;
                    spilled = true;
                }
            }
            if !spilled {
                break;
            }
        }
        markets.unmet[k] = remaining;
        for (m, &j) in members.iter().enumerate() {
            let mut b = books.get_mut(roster.firms[j]).expect("roster entity");
            b.orders = orders[m].iter().sum();
            b.wanted = wanted[m];
            markets.orders[j] = std::mem::take(&mut orders[m]);
        }
    }
}
