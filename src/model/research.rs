//! R&D as money (docs/MODEL.md, "Innovation"): each firm spends its R&D intensity times its
//! revenue (less levies on conditioned sales, raised by its home state's commitment), plus the
//! state funds that reach it, and accumulates the spending into a knowledge stock that
//! depreciates (perpetual inventory, `K' = R − δK`). Each sector's reference stock — what the start
//! leader would hold by keeping its revenue share and intensity — moves with the sector's revenue.

use bevy_ecs::prelude::*;

use super::policy::PolicyRegime;
use super::world::{Books, Costs, FirmInfo, Knowledge, Markets, Params, Research, Structure};

/// Per-tick buffers addressed by firm index, kept between ticks so that a tick allocates nothing.
#[derive(Default)]
pub struct Buffers {
    revenue: Vec<f64>,
    subsidy: Vec<f64>,
}

/// System: sets each firm's R&D spending, its knowledge stock and the sectors' reference stocks.
pub fn fund_research(
    params: Res<Params>,
    structure: Res<Structure>,
    regime: Res<PolicyRegime>,
    markets: Res<Markets>,
    mut research: ResMut<Research>,
    mut buffers: Local<Buffers>,
    mut firms: Query<(&FirmInfo, &Books, &Costs, &mut Knowledge)>,
) {
    // One change-detection borrow for the whole system, not one per access.
    let research = &mut *research;
    let p = &params.0;
    let dt = structure.dt_years;
    let depreciation = p.learning.knowledge_depreciation_per_year;
    let n_firms = structure.firm_home.len();
    let Buffers { revenue, subsidy } = &mut *buffers;
    revenue.resize(n_firms, 0.0);
    subsidy.clear();
    subsidy.resize(n_firms, 0.0);
    // Sums across firms go through buffers addressed by the firm's index and are reduced in index
    // order, so they never depend on the ECS's storage order.
    for (info, books, _, _) in &firms {
        revenue[info.index] = books.revenue;
    }
    // State funds are split among the state's firms in the funded sectors by revenue (equally
    // when none has revenue).
    for (state, sectors, rd, _) in regime.funds() {
        let recipient =
            |j: usize| structure.firm_home[j] == state && sectors[structure.firm_sector[j]];
        let (mut total, mut count) = (0.0, 0usize);
        for j in (0..n_firms).filter(|&j| recipient(j)) {
            total += revenue[j];
            count += 1;
        }
        for j in (0..n_firms).filter(|&j| recipient(j)) {
            subsidy[j] += if total > 0.0 {
                rd * revenue[j] / total
            } else {
                rd / count as f64
            };
        }
    }
    for (k, members) in structure.sector_firms.iter().enumerate() {
        let sector_revenue: f64 = members.iter().map(|&j| revenue[j]).sum();
        let reference_rd = research.reference_rd_share[k] * sector_revenue;
        let stock = &mut research.reference_knowledge[k];
        *stock += (reference_rd - depreciation * *stock) * dt;
    }
    // Levies exist only under conditioned sales; without any, nothing is levied (and the
    // per-market lookups are skipped).
    let levies = regime.has_revenue_levies();
    for (info, books, costs, mut knowledge) in &mut firms {
        let j = info.index;
        let levied: f64 = if levies {
            (0..structure.n_states)
                .map(|i| {
                    regime.revenue_levy(info.home, info.sector, i)
                        * markets.delivered[j][i]
                        * costs.unit_cost
                })
                .sum()
        } else {
            0.0
        };
        let boost = if p.mechanisms.target_commitment {
            1.0 + p.commitment.rd_boost * regime.commitment[info.home]
        } else {
            1.0
        };
        knowledge.rd_usd_b =
            knowledge.rd_intensity * (books.revenue - levied).max(0.0) * boost + subsidy[j];
        knowledge.stock_usd_b += (knowledge.rd_usd_b - depreciation * knowledge.stock_usd_b) * dt;
    }
}
