//! Learning and innovation (docs/MODEL.md, "Innovation", "Ceilings", "Learning by doing",
//! "Tools, access and yield"). A firm's design capability advances by its own knowledge relative
//! to its sector's reference (diminishing returns) and by imitating the frontier through the
//! channels controls can cut (access to frontier tools); what it delivers is that design bounded
//! by the supply chain below it. Installed tools rise toward what the home market buys and never
//! fall; cumulative output lowers unit cost (Wright's law); a fab entering a process node new to it
//! ramps its yield with its cumulative output at that node (learning by doing per node); each
//! firm's own seeded stream gives breakthroughs, setbacks and noise.

use bevy_ecs::prelude::*;
use rand::RngExt;

use super::ceilings::ceiling;
use super::policy::PolicyRegime;
use super::world::{
    Books, Capability, Costs, FirmInfo, FirmRng, Knowledge, Markets, NodeProcess, Params, Research,
    Structure, Tools, capital_mean, node_of, tool_level_of,
};

/// Per-tick buffers, kept between ticks so that a tick allocates nothing.
#[derive(Default)]
pub struct Buffers {
    /// The best capability of each state's firms in each sector, [state][sector].
    best: Vec<Vec<f64>>,
    /// Each sector's frontier after this tick's learning, built during the firm pass and moved
    /// into [`Markets::frontier`] after it (firms read last tick's frontier until then).
    frontier: Vec<f64>,
    /// The same for [`Research::design_frontier`].
    design_frontier: Vec<f64>,
    /// Per sector: the frontier of the tools its firms use (`None` without capital inputs). It
    /// reads last tick's frontiers only, so it is the same for every firm of the sector this tick
    /// and is worked out once per sector.
    tool_frontier: Vec<Option<f64>>,
}

/// The firm data learning reads and writes.
type LearningFirm = (
    &'static FirmInfo,
    &'static Books,
    &'static mut Capability,
    &'static mut Knowledge,
    &'static mut Costs,
    &'static mut Tools,
    &'static mut FirmRng,
    &'static mut NodeProcess,
);

/// System: updates tools, design and delivered capability and costs of every firm, then the
/// sector frontiers.
pub fn learn(
    params: Res<Params>,
    structure: Res<Structure>,
    regime: Res<PolicyRegime>,
    mut markets: ResMut<Markets>,
    mut research: ResMut<Research>,
    mut buffers: Local<Buffers>,
    mut firms: Query<LearningFirm>,
) {
    // One change-detection borrow for the whole system, not one per access.
    let markets = &mut *markets;
    let research = &mut *research;
    let p = &params.0;
    let l = &p.learning;
    let m = &p.mechanisms;
    let dt = structure.dt_years;
    let wright_exponent = -(1.0 - l.wright_learning_rate).log2();
    let node_exponent = -(1.0 - l.node_learning_rate).log2();
    let n_sectors = structure.sectors.len();
    let Buffers {
        best,
        frontier,
        design_frontier,
        tool_frontier,
    } = &mut *buffers;
    tool_frontier.clear();
    let frontier_of_tools = |sector| capital_mean(sector, |s| Some(markets.frontier[s]));
    tool_frontier.extend(structure.sectors.iter().map(frontier_of_tools));
    // States' best capabilities are read only under a domestic-equipment quota: without any in
    // force, the table (a pass over every firm) is not built and not read.
    let quotas = regime.has_equipment_quotas();
    if quotas {
        best.resize_with(structure.n_states, Vec::new);
        for row in best.iter_mut() {
            row.clear();
            row.resize(n_sectors, f64::NEG_INFINITY);
        }
        // A maximum does not depend on the order it is taken in: plain iteration suffices.
        for (info, _, capability, ..) in &firms {
            let slot = &mut best[info.home][info.sector];
            *slot = slot.max(capability.0);
        }
    }
    for buffer in [&mut *frontier, &mut *design_frontier] {
        buffer.clear();
        buffer.resize(n_sectors, f64::NEG_INFINITY);
    }
    for (info, books, mut capability, mut knowledge, mut costs, mut tools, mut rng, mut node) in
        &mut firms
    {
        let k = info.sector;
        let sector = &structure.sectors[k];

        // Tools: the installed base rises toward what the home market bought this tick, turning
        // over in about a year; denial stops it rising but does not take installed tools away.
        // A domestic-equipment quota forces that share of new tools to be domestic, where the
        // state makes every tool its fabs use.
        let bought = tool_level_of(sector, markets, info.home);
        let tool_level = bought.map(|bought| {
            let quota = if quotas {
                regime.domestic_tool_share(info.home)
            } else {
                0.0
            };
            // The state's own tools count only under a quota (and `best` is built only then).
            let own = if quota > 0.0 {
                capital_mean(sector, |s| {
                    let level = best[info.home][s];
                    level.is_finite().then_some(level)
                })
            } else {
                None
            };
            let target = match own {
                Some(own) => (1.0 - quota) * bought + quota * own.min(bought),
                None => bought,
            };
            if target > tools.level {
                tools.level += (target - tools.level) * dt.min(1.0);
            }
            tools.level
        });
        let tool_gap = match (tool_level, tool_frontier[k]) {
            (Some(level), Some(frontier)) => (frontier - level).max(0.0),
            _ => 0.0,
        };
        tools.access = exp_or_one(-tool_gap / l.access_scale_years);

        // Draw every tick whether or not the mechanism is on, so streams stay aligned across
        // scenarios and doses (common random numbers).
        let u_breakthrough: f64 = rng.0.random();
        let u_setback: f64 = rng.0.random();
        let z = standard_normal(&mut rng.0);

        // Own progress: knowledge relative to the sector's reference, with diminishing returns.
        let reference = research.reference_knowledge[k];
        let relative = if m.rd_drift && reference > 0.0 {
            (knowledge.stock_usd_b / reference).powf(l.knowledge_returns_exponent)
        } else {
            1.0
        };
        let mut dq = l.frontier_drift_years_per_year * relative * dt;
        // Imitation through channels controls can cut: it vanishes as the gap closes, fades when
        // a laggard is too far behind to absorb what it sees, and never carries a firm past the
        // frontier it imitates.
        let gap = (research.design_frontier[k] - knowledge.design_years).max(0.0);
        if m.catch_up && gap > 0.0 {
            let spill = l.catch_up_rate_per_year
                * tools.access
                * gap
                * (-gap / l.absorption_gap_years).exp();
            dq += (spill * dt).min(gap);
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
        knowledge.design_years += dq;

        // Delivered capability: the design, bounded by the chain below.
        knowledge.ceiling_years = if m.capability_ceilings {
            ceiling(&structure, sector, info.home, tool_level, markets, p)
        } else {
            f64::INFINITY
        };
        capability.0 = knowledge.design_years.min(knowledge.ceiling_years);
        // A maximum does not depend on the order it is taken in.
        frontier[k] = frontier[k].max(capability.0);
        design_frontier[k] = design_frontier[k].max(knowledge.design_years);

        // Yield: a fab whose process runs further ahead of its installed tools than the slack
        // loses yield.
        let tool_yield = match tool_level {
            Some(level) if m.tool_yield_limits => {
                let excess = (capability.0 - level - p.production.tool_gap_slack_years).max(0.0);
                exp_or_one(-excess / p.production.yield_loss_scale_years)
            }
            _ => 1.0,
        };
        // Learning by doing per node: a fab (a firm with tools) entering a node it has not
        // reached before starts it at the new-node yield, which rises by the node learning rate
        // per doubling of its cumulative output there until the node is mature. Falling back to a
        // node already reached (a setback) starts nothing new.
        let reached = node_of(capability.0, p);
        if tool_level.is_some() && reached > node.node {
            node.node = reached;
            node.output_at_node = 0.0;
            node.ramping = true;
        }
        node.output_at_node += books.output * dt;
        node.ramp_yield = if m.node_learning && node.ramping {
            let unit = l.node_experience_unit_share * sector.start_output_usd_b;
            ramp_yield(l.new_node_yield, node.output_at_node / unit, node_exponent)
        } else {
            1.0
        };
        // Experience at a node only grows and the exponent is never negative, so a yield that
        // has reached 1 stays there: the node is mature until the firm enters the next.
        if node.ramp_yield >= 1.0 {
            node.ramping = false;
        }
        tools.yield_share = tool_yield * node.ramp_yield;

        // Learning by doing: Wright's law on cumulative output.
        costs.cumulative_output += books.output * dt;
        if m.learning_by_doing {
            costs.unit_cost =
                (costs.cumulative_output / costs.start_cumulative_output).powf(-wright_exponent);
        }
    }
    markets.frontier.copy_from_slice(frontier);
    research.design_frontier.copy_from_slice(design_frontier);
}

/// Yield at a node after cumulative output `experience` (in node-experience units) there:
/// `min(1, y0 (1 + experience)^b)`. Its inverse, the cost per good unit, falls by the node's
/// learning rate per doubling of `1 + experience` (Wright's law within a node, Irwin & Klenow
/// 1994) until the node is mature.
pub fn ramp_yield(new_node_yield: f64, experience: f64, exponent: f64) -> f64 {
    (new_node_yield * (1.0 + experience.max(0.0)).powf(exponent)).min(1.0)
}

/// `x.exp()`, without the libm call where `x` is ±0 (e^±0 is exactly 1): the common case of a
/// firm without tools (no tool gap) or within the tool slack (no excess).
fn exp_or_one(x: f64) -> f64 {
    if x == 0.0 { 1.0 } else { x.exp() }
}

/// A standard normal draw by the Box–Muller transform (two uniforms, one normal; portable).
fn standard_normal(rng: &mut rand_chacha::ChaCha8Rng) -> f64 {
    let u1: f64 = rng.random();
    let u2: f64 = rng.random();
    (-2.0 * (1.0 - u1).ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}
