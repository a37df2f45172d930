//! Learning and innovation (docs/MODEL.md, "Innovation", "Costs and learning by doing",
//! "Tools, access and yield"): capability drifts with R&D (diminishing returns), followers catch
//! up in proportion to their access to frontier tools, cumulative output lowers unit cost
//! (Wright's law) and adds capability, and each firm's own seeded stream gives breakthroughs,
//! setbacks and noise. The tool base follows what the firm's home market could buy.

use bevy_ecs::prelude::*;
use rand::RngExt;

use super::policy::PolicyRegime;
use super::world::{Books, Capability, Costs, FirmRng, Markets, Params, Roster, Structure, Tools};
use crate::scenario::InputRole;

/// System: updates tools, capability and costs of every firm, then the sector frontiers.
pub fn learn(
    params: Res<Params>,
    structure: Res<Structure>,
    roster: Res<Roster>,
    regime: Res<PolicyRegime>,
    mut markets: ResMut<Markets>,
    mut firms: Query<(
        &Books,
        &mut Capability,
        &mut Costs,
        &mut Tools,
        &mut FirmRng,
    )>,
) {
    let domestic_tools = domestic_tool_levels(&structure, &roster, &markets, &firms);
    // Each sector's revenue relative to its start: the scale R&D effort is measured against.
    let market_growth: Vec<f64> = structure
        .sector_firms
        .iter()
        .map(|members| {
            let (now, start) = members.iter().fold((0.0, 0.0), |(n, s), &j| {
                let books = firms.get(roster.firms[j]).expect("roster entity").0;
                (n + books.revenue, s + books.start_revenue)
            });
            if start > 0.0 { now / start } else { 1.0 }
        })
        .collect();
    let p = &params.0;
    let l = &p.learning;
    let m = &p.mechanisms;
    let dt = structure.dt_years;
    let wright_exponent = -(1.0 - l.wright_learning_rate).log2();
    for (j, &entity) in roster.firms.iter().enumerate() {
        let (books, mut capability, mut costs, mut tools, mut rng) =
            firms.get_mut(entity).expect("roster entity");
        let k = structure.firm_sector[j];
        let sector = &structure.sectors[k];
        let home = structure.firm_home[j];

        // Tools: the installed base moves toward what the home market bought this tick, relative
        // to the tool sectors' frontier, turning over in about a year.
        let has_tools = sector.inputs.iter().any(|i| i.role == InputRole::Capital);
        if has_tools {
            let bought = super::world::tool_level_of(sector, &markets, home);
            // A domestic-equipment quota forces that share of new tools to be domestic, where the
            // state has tool makers at all.
            let quota = regime.domestic_tool_share(home);
            let target = match domestic_tools[home]
                .as_ref()
                .and_then(|levels| capital_mix(sector, levels))
            {
                Some(domestic) if quota > 0.0 => {
                    (1.0 - quota) * bought + quota * domestic.min(bought.max(domestic))
                }
                _ => bought,
            };
            tools.level += (target - tools.level) * dt.min(1.0);
        }
        let tool_gap = (-tools.level).max(0.0);
        tools.access = (-tool_gap / l.access_scale_years).exp();
        let gap = (markets.frontier[k] - capability.0).max(0.0);
        let excess = (tool_gap - gap - p.production.tool_gap_slack_years).max(0.0);
        tools.yield_share = if m.tool_yield_limits && has_tools {
            (-excess / p.production.yield_loss_scale_years).exp()
        } else {
            1.0
        };

        // Draw every tick whether or not the mechanism is on, so streams stay aligned across
        // scenarios and doses (common random numbers).
        let u_breakthrough: f64 = rng.0.random();
        let u_setback: f64 = rng.0.random();
        let z = standard_normal(&mut rng.0);

        // R&D effort relative to what the firm would spend at its start share of today's market:
        // 1 keeps it at the frontier's pace; more buys faster progress, with diminishing returns
        // and at most `max_rd_effort_ratio` (absorptive capacity).
        let expected_rd = p.finance.rd_share_of_revenue * books.start_revenue * market_growth[k];
        let effort = if m.rd_drift && expected_rd > 0.0 {
            (books.rd_budget / expected_rd)
                .clamp(0.0, l.max_rd_effort_ratio)
                .powf(p.finance.rd_returns_exponent)
        } else {
            1.0
        };
        let mut dq = l.frontier_drift_years_per_year * effort * dt;
        if m.catch_up {
            dq += l.catch_up_rate_per_year * gap * tools.access * dt;
        }
        let before = costs.cumulative_output;
        costs.cumulative_output += books.output * dt;
        if m.learning_by_doing && before > 0.0 {
            dq +=
                l.capability_per_output_doubling_years * (costs.cumulative_output / before).log2();
            costs.unit_cost =
                (costs.cumulative_output / costs.start_cumulative_output).powf(-wright_exponent);
        }
        if m.innovation_noise {
            if u_breakthrough < l.breakthrough_probability_per_year * dt {
                dq += l.breakthrough_size_years;
            }
            if u_setback < l.setback_probability_per_year * dt {
                dq -= l.setback_size_years;
            }
            dq += l.noise_sd_years * dt.sqrt() * z;
        }
        capability.0 += dq;
    }
    for (k, members) in structure.sector_firms.iter().enumerate() {
        markets.frontier[k] = members
            .iter()
            .map(|&j| firms.get(roster.firms[j]).expect("roster entity").1.0)
            .fold(f64::NEG_INFINITY, f64::max);
    }
}

/// Best capability of each state's own firms in each sector, relative to the sector's frontier
/// (`None` where the state has no firm in the sector).
fn domestic_tool_levels(
    structure: &Structure,
    roster: &Roster,
    markets: &Markets,
    firms: &Query<(
        &Books,
        &mut Capability,
        &mut Costs,
        &mut Tools,
        &mut FirmRng,
    )>,
) -> Vec<Option<Vec<Option<f64>>>> {
    (0..structure.n_states)
        .map(|state| {
            let levels: Vec<Option<f64>> = structure
                .sector_firms
                .iter()
                .enumerate()
                .map(|(k, members)| {
                    members
                        .iter()
                        .filter(|&&j| structure.firm_home[j] == state)
                        .map(|&j| {
                            firms.get(roster.firms[j]).expect("roster entity").1.0
                                - markets.frontier[k]
                        })
                        .reduce(f64::max)
                })
                .collect();
            levels.iter().any(Option::is_some).then_some(levels)
        })
        .collect()
}

/// The coefficient-weighted domestic tool level over a sector's capital inputs, if the state
/// makes every one of them.
fn capital_mix(sector: &super::world::SectorSpec, levels: &[Option<f64>]) -> Option<f64> {
    let (mut weight, mut level) = (0.0, 0.0);
    for input in sector
        .inputs
        .iter()
        .filter(|i| i.role == InputRole::Capital)
    {
        weight += input.per_unit;
        level += input.per_unit * levels[input.sector]?;
    }
    (weight > 0.0).then(|| level / weight)
}

/// A standard normal draw by the Box–Muller transform (two uniforms, one normal; portable).
fn standard_normal(rng: &mut rand_chacha::ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random();
    let u2: f64 = rng.random();
    (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
