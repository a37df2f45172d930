//! The documented range of each numeric model parameter, keyed by its dotted path (as in `--set`
//! and `chokepoint params`). A value outside a parameter's *valid* range is meaningless (a
//! probability above 1, a negative duration) and is refused when the scenario is validated; a
//! value outside its *plausible* range is allowed, with a warning, because exploring extremes is
//! legitimate — the run itself stops with a located error if the state becomes non-finite
//! (`model::finite`). docs/MODEL.md gives each parameter's meaning and the source of its default.

use super::params::Parameters;

/// One parameter's bounds: `valid` is enforced, `plausible` only warned about.
#[derive(Clone, Copy, Debug)]
pub struct ParamRange {
    /// Dotted path, e.g. `learning.wright_learning_rate`.
    pub path: &'static str,
    /// Inclusive bounds outside which the value means nothing.
    pub valid: (f64, f64),
    /// Inclusive bounds of values the model was built and calibrated for.
    pub plausible: (f64, f64),
    /// The unit or kind, for messages.
    pub what: &'static str,
}

const INF: f64 = f64::INFINITY;

const fn r(
    path: &'static str,
    valid: (f64, f64),
    plausible: (f64, f64),
    what: &'static str,
) -> ParamRange {
    ParamRange {
        path,
        valid,
        plausible,
        what,
    }
}

const SHARE: (f64, f64) = (0.0, 1.0);
const NONNEG: (f64, f64) = (0.0, INF);
const ANY: (f64, f64) = (-INF, INF);

/// Every numeric parameter's range. Plausible ranges are an assumption: about ten times either
/// side of the default for scales and weights, and what the sources behind the defaults report
/// for rates (docs/MODEL.md, "Parameters").
pub const RANGES: &[ParamRange] = &[
    // Allied compliance as a best response (docs/MODEL.md 7.13).
    r(
        "alliances.security_value",
        NONNEG,
        (0.0, 10.0),
        "a share of revenue",
    ),
    r(
        "alliances.effect_exponent",
        (1e-6, INF),
        (0.1, 20.0),
        "an exponent",
    ),
    r(
        "alliances.channel_pressure",
        NONNEG,
        (0.0, 0.5),
        "a share of revenue",
    ),
    r(
        "alliances.implementation_cost",
        NONNEG,
        (0.0, 0.5),
        "a share of revenue",
    ),
    r(
        "alliances.response_scale",
        (1e-9, INF),
        (0.005, 1.0),
        "a share of revenue",
    ),
    r(
        "alliances.adjustment_per_year",
        NONNEG,
        (0.1, 24.0),
        "per year",
    ),
    r(
        "alliances.escalation_threshold_share",
        SHARE,
        SHARE,
        "a share (0–1)",
    ),
    r(
        "alliances.escalation_trust_cost",
        SHARE,
        SHARE,
        "a share (0–1)",
    ),
    r(
        "alliances.escalation_patience_years",
        NONNEG,
        (0.0, 5.0),
        "years",
    ),
    // Innovation and ceilings (docs/MODEL.md 7.10–7.11).
    r(
        "ceilings.design_margin_years",
        NONNEG,
        (0.0, 5.0),
        "frontier-years",
    ),
    r(
        "ceilings.tool_margin_years",
        NONNEG,
        (0.0, 6.0),
        "frontier-years",
    ),
    r(
        "learning.absorption_gap_years",
        (1e-9, INF),
        (1.0, 20.0),
        "frontier-years",
    ),
    r(
        "learning.knowledge_depreciation_per_year",
        SHARE,
        (0.05, 0.5),
        "a share per year",
    ),
    r(
        "learning.knowledge_returns_exponent",
        SHARE,
        (0.05, 1.0),
        "an elasticity",
    ),
    // Price-responsive final demand and AI-compute growth (docs/MODEL.md 7.2).
    r(
        "demand.price_elasticity",
        (0.0, 10.0),
        (0.1, 2.0),
        "an elasticity",
    ),
    r(
        "demand.price_elasticity_scale",
        NONNEG,
        (0.0, 3.0),
        "a multiplier",
    ),
    r("demand.adjustment_months", NONNEG, (0.0, 24.0), "months"),
    r(
        "demand.ai_compute_growth_shift_per_year",
        (-1.0, INF),
        (-0.2, 0.2),
        "a growth rate per year",
    ),
    // Learning by doing per process node and the yield ramp (docs/MODEL.md 7.12).
    r(
        "learning.node_width_years",
        (1e-9, INF),
        (1.0, 4.0),
        "frontier-years",
    ),
    r(
        "learning.node_learning_rate",
        (0.0, 0.99),
        (0.05, 0.4),
        "a learning rate (yield-loss fall per doubling, 0–1)",
    ),
    r(
        "learning.new_node_yield",
        (1e-6, 1.0),
        (0.2, 0.9),
        "a yield (0–1)",
    ),
    r(
        "learning.node_experience_unit_share",
        (1e-9, 1.0),
        (0.0002, 0.02),
        "a share of the sector's start-year output",
    ),
    // Prices, rationing and investment (docs/MODEL.md 7.6–7.8).
    r(
        "investment.capacity_lead_time_years",
        (1e-9, INF),
        (0.25, 10.0),
        "years",
    ),
    r(
        "investment.max_capacity_cut_per_year",
        SHARE,
        (0.0, 0.5),
        "a share per year",
    ),
    r(
        "investment.margin_elasticity",
        NONNEG,
        (0.0, 5.0),
        "an elasticity",
    ),
    r(
        "market.nest_dissimilarity",
        (1e-3, 1.0),
        (0.25, 1.0),
        "a nest dissimilarity (1 = plain logit)",
    ),
    r(
        "market.share_adjustment_months",
        NONNEG,
        (0.0, 36.0),
        "months",
    ),
    r(
        "prices.list_price_adjustment_months",
        NONNEG,
        (0.0, 24.0),
        "months",
    ),
    r(
        "prices.max_scarcity_multiple",
        (1.0, INF),
        (1.0, 50.0),
        "a multiple of price",
    ),
    r(
        "prices.short_run_demand_elasticity",
        (1e-9, INF),
        (0.05, 2.0),
        "an elasticity",
    ),
    r(
        "prices.utilization_markup_slope",
        NONNEG,
        (0.0, 5.0),
        "markup per unit of utilisation",
    ),
    r(
        "production.material_substitutability",
        SHARE,
        SHARE,
        "a share (0–1)",
    ),
    r(
        "production.stock_refill_max_share_of_use",
        NONNEG,
        (0.0, 2.0),
        "a share of use",
    ),
    r(
        "redesign.max_capability_cut_years",
        NONNEG,
        (0.0, 30.0),
        "frontier-years",
    ),
    r(
        "alliances.de_minimis_tool_share",
        SHARE,
        SHARE,
        "a share (0–1)",
    ),
    r("alliances.fixed_compliance", SHARE, SHARE, "a share (0–1)"),
    r(
        "alliances.trust_recovery_per_year",
        NONNEG,
        (0.0, 2.0),
        "a rate per year",
    ),
    r("commitment.home_utility", ANY, (-10.0, 10.0), "a utility"),
    r("commitment.rd_boost", NONNEG, (0.0, 10.0), "a multiplier"),
    r("commitment.regime_mix", SHARE, SHARE, "a share (0–1)"),
    r(
        "commitment.relax_per_year",
        NONNEG,
        (0.0, 20.0),
        "a rate per year",
    ),
    r(
        "commitment.rise_per_year",
        NONNEG,
        (0.0, 20.0),
        "a rate per year",
    ),
    r(
        "compute.performance_doubling_years",
        (1e-3, INF),
        (0.5, 10.0),
        "years",
    ),
    r(
        "compute.service_life_years",
        (1e-3, INF),
        (1.0, 20.0),
        "years",
    ),
    r(
        "finance.rd_share_of_revenue",
        SHARE,
        (0.0, 0.5),
        "a share of revenue (0–1)",
    ),
    r("leakage.base_enforcement", SHARE, SHARE, "a share (0–1)"),
    r("leakage.max_share", SHARE, SHARE, "a share (0–1)"),
    r(
        "leakage.network_build_months",
        NONNEG,
        (0.0, 120.0),
        "months",
    ),
    r(
        "leakage.premium",
        NONNEG,
        (0.0, 5.0),
        "a price premium (fraction)",
    ),
    r(
        "leakage.premium_half_saturation",
        (1e-9, INF),
        (0.01, 10.0),
        "a fraction",
    ),
    r(
        "learning.access_scale_years",
        (1e-3, INF),
        (0.1, 30.0),
        "years",
    ),
    r(
        "learning.breakthrough_probability_per_year",
        SHARE,
        (0.0, 0.5),
        "a probability per year (0–1)",
    ),
    r(
        "learning.breakthrough_size_years",
        NONNEG,
        (0.0, 5.0),
        "years of capability",
    ),
    r(
        "learning.catch_up_rate_per_year",
        NONNEG,
        (0.0, 1.0),
        "a rate per year",
    ),
    r(
        "learning.experience_years_at_start",
        NONNEG,
        (0.0, 50.0),
        "years",
    ),
    r(
        "learning.frontier_drift_years_per_year",
        ANY,
        (0.0, 5.0),
        "years per year",
    ),
    r(
        "learning.noise_sd_years",
        NONNEG,
        (0.0, 2.0),
        "years (a standard deviation)",
    ),
    r(
        "learning.setback_probability_per_year",
        SHARE,
        (0.0, 0.5),
        "a probability per year (0–1)",
    ),
    r(
        "learning.setback_size_years",
        NONNEG,
        (0.0, 5.0),
        "years of capability",
    ),
    r(
        "learning.wright_learning_rate",
        (0.0, 0.99),
        (0.05, 0.4),
        "a learning rate (cost fall per doubling, 0–1)",
    ),
    r(
        "market.capability_weight_per_year",
        ANY,
        (0.0, 3.0),
        "a logit weight per year of capability",
    ),
    r("market.home_bias", ANY, (-10.0, 10.0), "a logit weight"),
    r(
        "market.log_price_weight",
        ANY,
        (0.0, 20.0),
        "a logit weight",
    ),
    r(
        "market.logit_scale",
        (1e-9, INF),
        (0.1, 10.0),
        "a logit scale",
    ),
    r(
        "market.spillover_passes",
        (0.0, 1000.0),
        (0.0, 50.0),
        "a number of passes",
    ),
    r(
        "production.input_stock_months",
        NONNEG,
        (0.0, 24.0),
        "months",
    ),
    r(
        "production.target_utilization",
        (1e-3, 1.0),
        (0.5, 1.0),
        "a share of capacity (0–1)",
    ),
    r(
        "production.tool_gap_slack_years",
        NONNEG,
        (0.0, 10.0),
        "years",
    ),
    r(
        "production.yield_loss_scale_years",
        (1e-3, INF),
        (0.1, 30.0),
        "years",
    ),
    r(
        "redesign.capability_margin_years",
        NONNEG,
        (0.0, 5.0),
        "years of capability",
    ),
    r("stockpiling.ceiling_months", NONNEG, (0.0, 60.0), "months"),
];

/// The documented range of a parameter, if it has one.
pub fn range_of(path: &str) -> Option<&'static ParamRange> {
    RANGES.iter().find(|r| r.path == path)
}

/// What is wrong with a parameter's value: `Err` when it is outside the valid range, `Ok(Some)`
/// with a warning when outside the plausible one.
pub fn check_value(range: &ParamRange, value: f64) -> Result<Option<String>, String> {
    let (lo, hi) = range.valid;
    if !value.is_finite() || value < lo || value > hi {
        return Err(format!(
            "`{}` is {value}, but it is {} and must lie in [{}, {}]",
            range.path,
            range.what,
            bound(lo),
            bound(hi)
        ));
    }
    let (lo, hi) = range.plausible;
    Ok((value < lo || value > hi).then(|| {
        format!(
            "`{}` is {value}, outside its plausible range [{}, {}] ({}); the model was not built \
             for such values — check the results, a run stops if its state becomes non-finite",
            range.path,
            bound(lo),
            bound(hi),
            range.what
        )
    }))
}

fn bound(x: f64) -> String {
    if x.is_infinite() {
        if x > 0.0 {
            "∞".into()
        } else {
            "−∞".into()
        }
    } else {
        x.to_string()
    }
}

/// Checks every ranged parameter of `params`: the first invalid one as `Err((path, message))`,
/// else the warnings.
pub fn check_parameters(params: &Parameters) -> Result<Vec<String>, (&'static str, String)> {
    let mut warnings = Vec::new();
    for range in RANGES {
        let Some(value) = params.get_number(range.path) else {
            continue;
        };
        match check_value(range, value) {
            Err(message) => return Err((range.path, message)),
            Ok(Some(warning)) => warnings.push(warning),
            Ok(None) => {}
        }
    }
    Ok(warnings)
}
