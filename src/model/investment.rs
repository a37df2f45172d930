//! Capacity investment (docs/MODEL.md, "Capacity investment"): firms order the capacity they
//! expect to need when the order comes into use, after their sector's lead time, raised by the
//! margin they earn (price over unit cost, so scarcity rents draw capacity in); what they order is
//! built for the lead time before it can be used (a supply line), so supply answers a price spike
//! late — mines and refineries later than fabs. Expansion needs the capital
//! inputs (tools) their home market could deliver, outbound investment restrictions cut it and state
//! funds' capacity subsidies add to it. Each firm then plans next tick's output.

use bevy_ecs::prelude::*;

use super::policy::PolicyRegime;
use super::world::Pricing;
use super::world::{Books, Capacity, CapacityPipeline, FirmInfo, Params, Structure, Tools};

/// Largest factor by which a margin can raise desired capacity (and smallest, inverted): a price
/// spike draws capacity in, but no firm plans on a tenfold scarcity rent lasting.
const MAX_MARGIN_FACTOR: f64 = 2.0;

/// The firm data investment reads and writes.
type InvestingFirms<'w, 's> = Query<
    'w,
    's,
    (
        &'static FirmInfo,
        &'static mut Books,
        &'static mut Capacity,
        &'static mut CapacityPipeline,
        &'static Tools,
        &'static Pricing,
    ),
>;

/// Per-tick buffers addressed by firm index, kept between ticks so that a tick allocates nothing.
#[derive(Default)]
pub struct Buffers {
    revenue: Vec<f64>,
    subsidy: Vec<f64>,
}

/// System: brings finished capacity into use, orders new capacity and plans next tick's output.
pub fn invest_capacity(
    params: Res<Params>,
    structure: Res<Structure>,
    regime: Res<PolicyRegime>,
    mut buffers: Local<Buffers>,
    mut firms: InvestingFirms,
) {
    let p = &params.0;
    let dt = structure.dt_years;
    let capacity_subsidy = fund_capacity_subsidies(&structure, &regime, &firms, &mut buffers);
    // Each firm's investment depends on its own data (and its subsidy, fixed above) only:
    // storage order is moot.
    for (info, mut books, mut capacity, mut pipeline, tools, pricing) in &mut firms {
        let j = info.index;
        let sector = structure.firm_sector[j];
        let home = structure.firm_home[j];
        let growth_per_tick = structure.sectors[sector].growth_per_tick;
        let lead_ticks = structure.sectors[sector].lead_ticks;
        let lead = lead_ticks as f64 * dt;
        if pipeline.0.len() != lead_ticks {
            // The first tick: what was under construction at the start keeps capacity on the
            // sector's trend while the first decisions are built.
            let step = growth_per_tick;
            pipeline.0 = (0..lead_ticks)
                .map(|s| capacity.0 * step.powi(s as i32) * (step - 1.0).max(0.0))
                .collect();
        }
        let finished = pipeline.0.pop_front().unwrap_or(0.0);
        capacity.0 += finished + capacity_subsidy[j] * dt * tools.capital_fill;
        let mut ordered = 0.0;
        if p.mechanisms.capacity_investment {
            // The margin: what the firm was paid per unit over its unit cost (1 at the start).
            let paid = if books.output > 0.0 {
                books.revenue / books.output
            } else {
                pricing.list_price
            };
            let margin = if pricing.unit_cost > 0.0 {
                paid / pricing.unit_cost
            } else {
                1.0
            };
            // 1^x is exactly 1: skip the `powf` in the common case of a margin at its start.
            let pull = if margin == 1.0 {
                1.0
            } else {
                margin.powf(p.investment.margin_elasticity)
            }
            .clamp(1.0 / MAX_MARGIN_FACTOR, MAX_MARGIN_FACTOR);
            let desired = books.wanted * structure.sectors[sector].growth_over_lead
                / p.production.target_utilization
                * pull;
            // Order the trend's growth of that level, plus a share (Δt / lead) of what capacity
            // in use and under way falls short of it; what is being built is not ordered twice.
            let under_way: f64 = pipeline.0.iter().sum();
            let gap = desired - capacity.0 - under_way;
            if gap > 0.0 {
                let trend = desired * (growth_per_tick - 1.0).max(0.0);
                ordered = (trend + gap * dt / lead)
                    * tools.capital_fill
                    * (1.0 - regime.expansion_cut(home, sector));
            } else {
                let cut = (-gap * dt / lead)
                    .min(p.investment.max_capacity_cut_per_year * dt * capacity.0);
                capacity.0 -= cut;
            }
        }
        pipeline.0.push_back(ordered);
        capacity.0 = capacity.0.max(0.0);
        books.planned = books.orders * growth_per_tick;
    }
}

/// Each firm's capacity subsidy ($B/yr) from state funds, by firm index: a fund's capacity money is
/// split among its state's firms in the funded sectors by revenue (equally when none has revenue).
fn fund_capacity_subsidies<'a>(
    structure: &Structure,
    regime: &PolicyRegime,
    firms: &InvestingFirms,
    buffers: &'a mut Buffers,
) -> &'a [f64] {
    let n_firms = structure.firm_home.len();
    let Buffers { revenue, subsidy } = buffers;
    subsidy.clear();
    subsidy.resize(n_firms, 0.0);
    // Without a fund in force every subsidy is 0 and the revenues are not read.
    if regime.funds().next().is_none() {
        return subsidy;
    }
    revenue.resize(n_firms, 0.0);
    for (info, books, ..) in firms {
        revenue[info.index] = books.revenue;
    }
    for (state, sectors, _, capacity) in regime.funds() {
        let recipients: Vec<usize> = (0..n_firms)
            .filter(|&j| structure.firm_home[j] == state && sectors[structure.firm_sector[j]])
            .collect();
        let total: f64 = recipients.iter().map(|&j| revenue[j]).sum();
        for &j in &recipients {
            let share = if total > 0.0 {
                revenue[j] / total
            } else {
                1.0 / recipients.len() as f64
            };
            subsidy[j] += capacity * share;
        }
    }
    subsidy
}
