//! Model parameters with their built-in defaults, grouped by mechanism.
//!
//! Every parameter has a dotted path (`learning.catch_up_rate_per_year`) by which scenario files,
//! `--set`, sweeps and effect analyses address it; the path names the unit. `docs/MODEL.md` gives
//! each one's default, plausible range and source. Scenario files state only what they change.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// All parameters in force for a run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Parameters {
    /// Supplier choice in each market.
    pub market: MarketParams,
    /// Final demand: its response to price and the growth of AI compute.
    pub demand: DemandParams,
    /// Production, capacity and inputs.
    pub production: ProductionParams,
    /// Revenue and R&D.
    pub finance: FinanceParams,
    /// Prices: list prices over cost and the scarcity price that clears each market.
    pub prices: PriceParams,
    /// Capacity investment and its lead times.
    pub investment: InvestmentParams,
    /// Capability growth and costs.
    pub learning: LearningParams,
    /// Supply-chain bounds on capability.
    pub ceilings: CeilingParams,
    /// Effective AI compute.
    pub compute: ComputeParams,
    /// Gray-market and transshipment leakage.
    pub leakage: LeakageParams,
    /// Front-running between announcement and effect.
    pub stockpiling: StockpilingParams,
    /// Compliant redesign just under a threshold.
    pub redesign: RedesignParams,
    /// Allied compliance with the leader's controls.
    pub alliances: AllianceParams,
    /// The target's commitment to self-sufficiency.
    pub commitment: CommitmentParams,
    /// On/off switches, one per mechanism.
    pub mechanisms: Mechanisms,
}

/// Multinomial-logit supplier choice (MODEL.md, "Market allocation").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MarketParams {
    /// Logit scale μ: larger means buyers are less sensitive to utility differences.
    pub logit_scale: f64,
    /// Utility per frontier-year of supplier capability (β_q).
    pub capability_weight_per_year: f64,
    /// Utility per unit of log price (β_p).
    pub log_price_weight: f64,
    /// Utility bonus for suppliers whose home is the buying state.
    pub home_bias: f64,
    /// Nest dissimilarity λ of the nested logit, with domestic suppliers and imports as two
    /// nests: within a nest buyers substitute 1/λ times as readily as between the nests
    /// (Armington). 1 = the plain multinomial logit.
    pub nest_dissimilarity: f64,
    /// Rounds of capacity spill-over to the next-best supplier per market and tick.
    pub spillover_passes: u32,
    /// Months over which buyers move most (63%) of the way from last month's supplier shares to
    /// the shares today's utilities call for (qualification and contracts); 0 = no inertia.
    pub share_adjustment_months: f64,
}

/// Final demand (MODEL.md, "Demand"): its trend, and how it answers the clearing price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemandParams {
    /// Own-price elasticity of final demand for a sector whose scenario entry gives no
    /// `price_elasticity` (−d ln Q / d ln P).
    pub price_elasticity: f64,
    /// Multiplies every sector's price elasticity: 0 = demand ignores price, 1 = the sectors'
    /// figures (a single knob for sweeping the uncertainty of all of them at once).
    pub price_elasticity_scale: f64,
    /// Months over which final demand moves most (63%) of the way to what the current price calls
    /// for (budgets and contracts); the lag also keeps price and demand from chasing each other
    /// tick by tick.
    pub adjustment_months: f64,
    /// Added to the final-demand growth of every sector that counts as AI compute, per year: the
    /// low, central and high cases of AI-compute demand growth are −0.17, 0 and +0.17 on the
    /// default world's 41% (docs/MODEL.md, "Demand").
    pub ai_compute_growth_shift_per_year: f64,
}

/// Production limits (MODEL.md, "Production and yield").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductionParams {
    /// Capacity utilisation at the start and the level firms plan capacity for, 0–1.
    pub target_utilization: f64,
    /// Material inputs firms keep in stock, in months of use.
    pub input_stock_months: f64,
    /// Largest order for refilling a material stock, as a share of current use: stocks refill at a
    /// bounded rate, so a firm short of an input cannot out-order other buyers many times over.
    pub stock_refill_max_share_of_use: f64,
    /// Share of a short material input that firms can replace by substitutes or thrift in the
    /// short run (0 = fixed Leontief coefficients).
    pub material_substitutability: f64,
    /// Who is served first when a market is short: `"willingness_to_pay"` (firms, whose input is
    /// a small share of their cost, outbid final users), `"priority"` (final users first, as
    /// under a state's priority allocation) or `"pro_rata"` (everyone gets the same share).
    pub rationing: Rationing,
    /// Years by which a fab's process may run ahead of its tools before yield suffers.
    pub tool_gap_slack_years: f64,
    /// Scale of the yield loss: yield = exp(−excess / scale), excess in years beyond the slack.
    pub yield_loss_scale_years: f64,
}

/// Revenue, R&D and capacity investment (MODEL.md, "Finance and investment", "Innovation").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FinanceParams {
    /// Share of revenue spent on R&D by a firm whose scenario entry gives no `rd_intensity`.
    pub rd_share_of_revenue: f64,
}

/// How a short market's supply is shared among its buyers (MODEL.md, "Production and rationing").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rationing {
    /// Firms buying a material input are served before final users: the input is a small share
    /// of their cost, so they bid more for it.
    WillingnessToPay,
    /// Final users (and stockpiles) are served before firms.
    Priority,
    /// Every buyer receives the same share of its order.
    ProRata,
}

/// Prices (MODEL.md, "Prices"): each supplier's list price is its unit cost (own cost plus the
/// inputs it pays for) times a markup rising with utilisation; a market short of supply clears at
/// a scarcity multiple of the delivered list price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PriceParams {
    /// Markup added per unit of utilisation above `production.target_utilization` (demand wanted
    /// ÷ usable capacity, the excess counted up to 1).
    pub utilization_markup_slope: f64,
    /// Short-run price elasticity of demand that sets the scarcity price: a market delivering
    /// share f of its demand clears at f^(−1/ε) times the delivered list price.
    pub short_run_demand_elasticity: f64,
    /// Ceiling of the scarcity multiple.
    pub max_scarcity_multiple: f64,
    /// Months over which a list price moves most (63%) of the way to cost × markup (prices are
    /// set in quarterly contracts); 0 = at once.
    pub list_price_adjustment_months: f64,
}

/// Capacity investment (MODEL.md, "Capacity investment").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InvestmentParams {
    /// Years from a capacity decision to capacity in use, for a sector whose scenario entry gives
    /// no `capacity_lead_time_years`.
    pub capacity_lead_time_years: f64,
    /// Largest capacity cut per year, as a share of capacity (fabs are not scrapped quickly).
    pub max_capacity_cut_per_year: f64,
    /// Elasticity of desired capacity to the firm's margin (price ÷ unit cost, 1 at the start):
    /// scarcity rents draw capacity in.
    pub margin_elasticity: f64,
}

/// Capability and cost dynamics (MODEL.md, "Innovation" and "Learning by doing").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LearningParams {
    /// Frontier-years gained per year by a firm whose knowledge stock equals its sector's
    /// reference (the start leader holding its share): g, 1 by the unit's definition.
    pub frontier_drift_years_per_year: f64,
    /// Share of the knowledge stock lost per year (δ of the perpetual inventory).
    pub knowledge_depreciation_per_year: f64,
    /// Returns to relative knowledge in own progress: dq_own = g (K / K_ref)^λ, 0 < λ < 1.
    pub knowledge_returns_exponent: f64,
    /// Spill-over rate s: frontier-years gained per year per year of gap at full access, before
    /// absorption fades (dq_spill = s · access · gap · exp(−gap / absorption_gap_years)).
    pub catch_up_rate_per_year: f64,
    /// Gap at which imitation peaks: beyond it a laggard absorbs less of the frontier's knowledge
    /// the further behind it is (absorptive capacity).
    pub absorption_gap_years: f64,
    /// Access to the frontier falls as exp(−tool gap / scale).
    pub access_scale_years: f64,
    /// Wright's-law learning rate: unit cost falls by this share per doubling of cumulative output.
    pub wright_learning_rate: f64,
    /// Cumulative output at the start, in years of start output.
    pub experience_years_at_start: f64,
    /// Chance per year of a breakthrough.
    pub breakthrough_probability_per_year: f64,
    /// Size of a breakthrough, frontier-years.
    pub breakthrough_size_years: f64,
    /// Chance per year of a setback (yield problems, a failed node).
    pub setback_probability_per_year: f64,
    /// Size of a setback, frontier-years.
    pub setback_size_years: f64,
    /// Standard deviation of capability noise per √year, frontier-years.
    pub noise_sd_years: f64,
    /// Width of a process node, frontier-years: a fab whose process crosses a multiple of it has
    /// entered a new node.
    pub node_width_years: f64,
    /// Learning rate within a node: the yield loss of a new node falls by this share per doubling
    /// of the firm's cumulative output at that node.
    pub node_learning_rate: f64,
    /// Yield of a firm's first output at a node new to it, 0–1.
    pub new_node_yield: f64,
    /// The node-experience unit Q0, as a share of the sector's start-year world output: a fab's
    /// yield at a new node is `min(1, y0 (1 + Q/Q0)^b)`, Q its cumulative output there, so a large
    /// producer ramps in weeks and a small one in months to years.
    pub node_experience_unit_share: f64,
}

/// Supply-chain ceilings on delivered capability (MODEL.md, "Ceilings").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeilingParams {
    /// How far a product's delivered capability may exceed that of the bounding material input it
    /// is made from (an accelerator over its wafers' process), frontier-years.
    pub design_margin_years: f64,
    /// How far a fab's process may run ahead of its installed tools, frontier-years.
    pub tool_margin_years: f64,
}

/// Effective AI compute (MODEL.md, "Capability in frontier-years").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComputeParams {
    /// Years for accelerator performance per unit to double (T2).
    pub performance_doubling_years: f64,
    /// Service life of installed accelerators, years (compute stock depreciates at 1/life).
    pub service_life_years: f64,
}

/// Gray-market and transshipment leakage (MODEL.md, "Leakage").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeakageParams {
    /// Largest share of blocked demand that leaks once gray networks are built.
    pub max_share: f64,
    /// Months for gray networks to build up after a control (time constant).
    pub network_build_months: f64,
    /// Gray-market price premium with no shortage, as a share of the price.
    pub premium: f64,
    /// Premium at which leakage reaches half its maximum.
    pub premium_half_saturation: f64,
    /// Enforcement against leakage without any agreement, 0–1.
    pub base_enforcement: f64,
}

/// Front-running of announced controls (MODEL.md, "Stockpiling").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockpilingParams {
    /// Ceiling of a market's stockpile of soon-controlled goods, months of their flow.
    pub ceiling_months: f64,
}

/// Compliant redesign (MODEL.md, "Compliant redesign").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RedesignParams {
    /// How far under the threshold a redesigned product sits, frontier-years.
    pub capability_margin_years: f64,
    /// Largest capability a redesign can give up, frontier-years: a threshold further below the
    /// product (a mineral ban's −1000) leaves nothing to redesign.
    pub max_capability_cut_years: f64,
}

/// Allied compliance as each ally's best response (MODEL.md, "Allied compliance"). Benefits,
/// costs and pressure are all in one unit: a share of the ally's firms' yearly revenue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllianceParams {
    /// What the coalition's full effect (all of the controlled supply withheld from the target)
    /// is worth to an ally with full security dependence on the controller and full trust, as a
    /// share of its firms' revenue.
    pub security_value: f64,
    /// Curvature γ of the coalition's effect in the withheld share W (effect = W^γ): below 1 each
    /// further ally adds less (substitutes: free-riding pays), above 1 more (complements: every
    /// ally is pivotal), 1 additive.
    pub effect_exponent: f64,
    /// Pressure from each channel that asks an ally (each named alliance, and a direct request),
    /// as a share of revenue.
    pub channel_pressure: f64,
    /// Fixed cost of running a matching control (licensing, enforcement), as a share of revenue.
    pub implementation_cost: f64,
    /// Scale of the logit (quantal) best response: small = sharp best response, large = noisy.
    pub response_scale: f64,
    /// Speed at which compliance moves toward the best response, per year (partial adjustment).
    pub adjustment_per_year: f64,
    /// Share of a trust shock recovered per year.
    pub trust_recovery_per_year: f64,
    /// Compliance at the start and of every ally when the mechanism is switched off, 0–1.
    pub fixed_compliance: f64,
    /// Share of a firm's tools bought from the controller's firms above which extraterritorial
    /// controls reach it (de minimis), 0–1.
    pub de_minimis_tool_share: f64,
    /// The controller extends a control extraterritorially when the coalition withholds less
    /// than this share of the controlled supply (switch `extraterritorial_escalation`), 0–1.
    pub escalation_threshold_share: f64,
    /// Fall in every asked ally's trust in the controller when it escalates, 0–1.
    pub escalation_trust_cost: f64,
    /// How long a control has been in force, with allies asked, before the controller judges
    /// their compliance, years.
    pub escalation_patience_years: f64,
}

/// The target's substitution commitment (MODEL.md, "Target commitment").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentParams {
    /// 0 = "addiction" (commitment relaxes when access returns), 1 = "sovereignty" (it never
    /// falls); values between mix the two.
    pub regime_mix: f64,
    /// Rise of commitment per year at full denial.
    pub rise_per_year: f64,
    /// Relaxation per year at full access (scaled by 1 − regime_mix).
    pub relax_per_year: f64,
    /// Utility bonus of domestic suppliers at full commitment (procurement lists).
    pub home_utility: f64,
    /// Extra R&D for domestic firms at full commitment, as a multiple of their own R&D.
    pub rd_boost: f64,
}

/// One switch per mechanism, so that any finding can be traced to the mechanisms producing it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Mechanisms {
    /// Capacity caps sales; unmet orders spill to the next-best supplier.
    pub capacity_limits: bool,
    /// A full supplier serves buyers with no other supplier first; buyers who can turn elsewhere
    /// give way (trade diversion). Off: every market is cut pro rata.
    pub trade_diversion: bool,
    /// Material-input shortages cut output downstream.
    pub input_limits: bool,
    /// Firms adjust capacity to demand (needs capital inputs).
    pub capacity_investment: bool,
    /// Own progress scales with the knowledge stock R&D dollars buy (off: every firm advances at
    /// the reference pace).
    pub rd_drift: bool,
    /// Followers imitate the frontier through spill-overs, scaled by access to frontier tools.
    pub catch_up: bool,
    /// Unit cost falls with cumulative output (Wright's law).
    pub learning_by_doing: bool,
    /// A fab entering a process node new to it starts at a low yield that rises with its
    /// cumulative output at that node (learning by doing per node); cost per good unit follows.
    pub node_learning: bool,
    /// Final demand answers the clearing price at each sector's elasticity.
    pub price_responsive_demand: bool,
    /// Delivered capability is bounded by the bounding input's and the installed tools'.
    pub capability_ceilings: bool,
    /// Yield falls when a fab's process outruns its tools.
    pub tool_yield_limits: bool,
    /// Random breakthroughs, setbacks and noise in capability.
    pub innovation_noise: bool,
    /// Blocked demand may go to the buying state's own firms.
    pub substitution: bool,
    /// Blocked demand may go to third-country firms outside the control.
    pub backfill: bool,
    /// Part of blocked demand leaks through gray channels.
    pub leakage: bool,
    /// Buyers front-run announced controls and draw the stock down later.
    pub stockpiling: bool,
    /// Blocked suppliers offer a product just under the threshold.
    pub compliant_redesign: bool,
    /// Buyers a control turned away from a supplier stay with the suppliers they switched to
    /// (qualification, lock-in) and come back only at the share adjustment pace once the control
    /// eases. Off: they return in full the month it lifts (docs/MODEL.md 7.3).
    pub purchase_lock_in: bool,
    /// Allies' compliance is their best response: security value of what they add to the
    /// coalition's effect, against their firms' revenue at stake.
    pub allied_compliance: bool,
    /// The controller extends a control extraterritorially where allies withhold too little, at
    /// a cost in trust.
    pub extraterritorial_escalation: bool,
    /// States' commitment to self-sufficiency responds to denial.
    pub target_commitment: bool,
}

impl Default for Parameters {
    fn default() -> Self {
        Parameters {
            market: MarketParams {
                logit_scale: 1.0,
                capability_weight_per_year: 0.3,
                log_price_weight: 2.0,
                home_bias: 1.0,
                nest_dissimilarity: 1.0,
                spillover_passes: 8,
                share_adjustment_months: 6.0,
            },
            demand: DemandParams {
                price_elasticity: 0.5,
                price_elasticity_scale: 1.0,
                adjustment_months: 6.0,
                ai_compute_growth_shift_per_year: 0.0,
            },
            production: ProductionParams {
                target_utilization: 0.9,
                input_stock_months: 2.0,
                stock_refill_max_share_of_use: 0.25,
                material_substitutability: 0.0,
                rationing: Rationing::WillingnessToPay,
                tool_gap_slack_years: 2.0,
                yield_loss_scale_years: 3.0,
            },
            finance: FinanceParams {
                rd_share_of_revenue: 0.15,
            },
            prices: PriceParams {
                utilization_markup_slope: 1.5,
                short_run_demand_elasticity: 0.2,
                max_scarcity_multiple: 10.0,
                list_price_adjustment_months: 3.0,
            },
            investment: InvestmentParams {
                capacity_lead_time_years: 2.0,
                max_capacity_cut_per_year: 0.1,
                margin_elasticity: 0.5,
            },
            learning: LearningParams {
                frontier_drift_years_per_year: 1.0,
                knowledge_depreciation_per_year: 0.2,
                knowledge_returns_exponent: 0.5,
                catch_up_rate_per_year: 0.5,
                absorption_gap_years: 5.0,
                access_scale_years: 3.0,
                wright_learning_rate: 0.2,
                experience_years_at_start: 5.0,
                breakthrough_probability_per_year: 0.05,
                breakthrough_size_years: 0.25,
                setback_probability_per_year: 0.05,
                setback_size_years: 0.25,
                noise_sd_years: 0.1,
                node_width_years: 2.0,
                node_learning_rate: 0.2,
                new_node_yield: 0.5,
                node_experience_unit_share: 0.002,
            },
            ceilings: CeilingParams {
                design_margin_years: 2.0,
                tool_margin_years: 2.5,
            },
            compute: ComputeParams {
                performance_doubling_years: 2.25,
                service_life_years: 4.0,
            },
            leakage: LeakageParams {
                max_share: 0.1,
                network_build_months: 12.0,
                premium: 0.5,
                premium_half_saturation: 0.5,
                base_enforcement: 0.3,
            },
            stockpiling: StockpilingParams {
                ceiling_months: 6.0,
            },
            redesign: RedesignParams {
                capability_margin_years: 0.1,
                max_capability_cut_years: 10.0,
            },
            alliances: AllianceParams {
                security_value: 2.0,
                effect_exponent: 2.0,
                channel_pressure: 0.02,
                implementation_cost: 0.02,
                response_scale: 0.05,
                adjustment_per_year: 2.0,
                trust_recovery_per_year: 0.2,
                fixed_compliance: 1.0,
                de_minimis_tool_share: 0.25,
                escalation_threshold_share: 0.6,
                escalation_trust_cost: 0.2,
                escalation_patience_years: 1.0,
            },
            commitment: CommitmentParams {
                regime_mix: 0.5,
                rise_per_year: 2.0,
                relax_per_year: 0.5,
                home_utility: 1.0,
                rd_boost: 1.0,
            },
            mechanisms: Mechanisms {
                capacity_limits: true,
                trade_diversion: true,
                input_limits: true,
                capacity_investment: true,
                rd_drift: true,
                catch_up: true,
                learning_by_doing: true,
                node_learning: true,
                price_responsive_demand: true,
                capability_ceilings: true,
                tool_yield_limits: true,
                innovation_noise: true,
                substitution: true,
                backfill: true,
                leakage: true,
                stockpiling: true,
                compliant_redesign: true,
                purchase_lock_in: true,
                allied_compliance: true,
                extraterritorial_escalation: false,
                target_commitment: true,
            },
        }
    }
}

/// A parameter value as written in a file or on the command line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamValue {
    /// `true` / `false`.
    Bool(bool),
    /// Any number (integers are accepted where the parameter is a whole number).
    Number(f64),
    /// Text (reserved for enumerated parameters).
    Text(String),
}

impl ParamValue {
    /// Reads a command-line value: `true`/`false`, a number, or else text.
    pub fn parse_cli(text: &str) -> ParamValue {
        match text.trim() {
            "true" => ParamValue::Bool(true),
            "false" => ParamValue::Bool(false),
            t => t
                .parse::<f64>()
                .map(ParamValue::Number)
                .unwrap_or_else(|_| ParamValue::Text(t.to_string())),
        }
    }
}

impl std::fmt::Display for ParamValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamValue::Bool(b) => write!(f, "{b}"),
            ParamValue::Number(x) => write!(f, "{x}"),
            ParamValue::Text(t) => write!(f, "\"{t}\""),
        }
    }
}

/// Why a parameter override was refused.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamError {
    /// The path names no parameter; `suggestion` is the closest valid path.
    UnknownPath {
        path: String,
        suggestion: Option<String>,
    },
    /// The value has the wrong type or is out of range.
    BadValue { path: String, message: String },
}

impl std::fmt::Display for ParamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ParamError::UnknownPath { path, suggestion } => {
                write!(f, "unknown parameter `{path}`")?;
                if let Some(s) = suggestion {
                    write!(f, " (did you mean `{s}`?)")?;
                }
                write!(f, "; `chokepoint params` lists every parameter")
            }
            ParamError::BadValue { path, message } => write!(f, "parameter `{path}`: {message}"),
        }
    }
}

/// Parameters that may be negative; every other number must be ≥ 0 (a signed parameter is a
/// deliberate, visible choice).
const SIGNED_PARAMETERS: [&str; 1] = ["demand.ai_compute_growth_shift_per_year"];

impl Parameters {
    /// Every parameter as `(path, value)` in path order: the manifest's record of what was in force.
    pub fn to_flat(&self) -> BTreeMap<String, Value> {
        let mut out = BTreeMap::new();
        let tree = serde_json::to_value(self).expect("parameters serialize to JSON");
        flatten_into("", &tree, &mut out);
        out
    }

    /// Every valid parameter path.
    pub fn paths() -> Vec<String> {
        Parameters::default().to_flat().into_keys().collect()
    }

    /// The current value of one parameter as a number (booleans read as 0/1), for range checks.
    pub fn get_number(&self, path: &str) -> Option<f64> {
        match self.to_flat().get(path)? {
            Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
            Value::Number(n) => n.as_f64(),
            _ => None,
        }
    }

    /// Applies overrides in order and checks the result; the parameters are unchanged on error.
    pub fn with_overrides<'a>(
        &self,
        overrides: impl IntoIterator<Item = (&'a str, &'a ParamValue)>,
    ) -> Result<Parameters, ParamError> {
        let mut tree = serde_json::to_value(self).expect("parameters serialize to JSON");
        for (path, value) in overrides {
            let slot = lookup_mut(&mut tree, path).ok_or_else(|| ParamError::UnknownPath {
                path: path.to_string(),
                suggestion: closest(path, &Parameters::paths()),
            })?;
            *slot = convert(path, slot, value)?;
            if let ParamValue::Text(_) = value
                && let Err(e) = serde_json::from_value::<Parameters>(tree.clone())
            {
                return Err(ParamError::BadValue {
                    path: path.to_string(),
                    message: e.to_string(),
                });
            }
        }
        let params: Parameters =
            serde_json::from_value(tree).map_err(|e| ParamError::BadValue {
                path: String::new(),
                message: e.to_string(),
            })?;
        params.check()?;
        Ok(params)
    }

    /// Range checks that types alone cannot express.
    pub fn check(&self) -> Result<(), ParamError> {
        for (path, value) in self.to_flat() {
            let Some(x) = value.as_f64() else { continue };
            let bad = |message: &str| {
                Err(ParamError::BadValue {
                    path: path.clone(),
                    message: message.into(),
                })
            };
            if !x.is_finite() {
                return bad("must be a finite number");
            }
            let is_probability = path.contains("probability")
                || path.ends_with("substitutability")
                || path.ends_with("utilization")
                || path.ends_with("learning_rate")
                || path.ends_with("share_of_revenue")
                || path.ends_with("cut_per_year")
                || path.ends_with("share")
                || path.ends_with("enforcement")
                || path.ends_with("regime_mix")
                || path.ends_with("fixed_compliance")
                || path.ends_with("trust_cost")
                || path.ends_with("_yield");
            if is_probability && !(0.0..=1.0).contains(&x) {
                return bad(&format!("{x} is outside [0, 1]"));
            }
            if x < 0.0 && !SIGNED_PARAMETERS.contains(&path.as_str()) {
                return bad(&format!("{x} is negative; it must be ≥ 0"));
            }
        }
        let positive = [
            ("market.logit_scale", self.market.logit_scale),
            ("alliances.response_scale", self.alliances.response_scale),
            ("alliances.effect_exponent", self.alliances.effect_exponent),
            (
                "production.target_utilization",
                self.production.target_utilization,
            ),
            (
                "production.yield_loss_scale_years",
                self.production.yield_loss_scale_years,
            ),
            (
                "investment.capacity_lead_time_years",
                self.investment.capacity_lead_time_years,
            ),
            (
                "prices.short_run_demand_elasticity",
                self.prices.short_run_demand_elasticity,
            ),
            (
                "prices.max_scarcity_multiple",
                self.prices.max_scarcity_multiple,
            ),
            (
                "learning.access_scale_years",
                self.learning.access_scale_years,
            ),
            (
                "learning.knowledge_depreciation_per_year",
                self.learning.knowledge_depreciation_per_year,
            ),
            (
                "learning.knowledge_returns_exponent",
                self.learning.knowledge_returns_exponent,
            ),
            (
                "learning.absorption_gap_years",
                self.learning.absorption_gap_years,
            ),
            (
                "learning.experience_years_at_start",
                self.learning.experience_years_at_start,
            ),
            (
                "compute.performance_doubling_years",
                self.compute.performance_doubling_years,
            ),
            (
                "compute.service_life_years",
                self.compute.service_life_years,
            ),
            ("learning.node_width_years", self.learning.node_width_years),
            (
                "learning.node_experience_unit_share",
                self.learning.node_experience_unit_share,
            ),
            ("learning.new_node_yield", self.learning.new_node_yield),
        ];
        for (path, x) in positive {
            if x <= 0.0 {
                return Err(ParamError::BadValue {
                    path: path.into(),
                    message: format!("{x} must be > 0"),
                });
            }
        }
        if self.learning.knowledge_returns_exponent > 1.0 {
            return Err(ParamError::BadValue {
                path: "learning.knowledge_returns_exponent".into(),
                message: format!(
                    "{} is above 1; returns to knowledge diminish, so it must lie in (0, 1]",
                    self.learning.knowledge_returns_exponent
                ),
            });
        }
        Ok(())
    }
}

fn flatten_into(prefix: &str, value: &Value, out: &mut BTreeMap<String, Value>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let path = if prefix.is_empty() {
                    key.clone()
                } else {
                    format!("{prefix}.{key}")
                };
                flatten_into(&path, child, out);
            }
        }
        leaf => {
            out.insert(prefix.to_string(), leaf.clone());
        }
    }
}

fn lookup_mut<'a>(tree: &'a mut Value, path: &str) -> Option<&'a mut Value> {
    let mut node = tree;
    for key in path.split('.') {
        node = node.as_object_mut()?.get_mut(key)?;
    }
    (!node.is_object()).then_some(node)
}

fn convert(path: &str, current: &Value, value: &ParamValue) -> Result<Value, ParamError> {
    let bad = |message: String| {
        Err(ParamError::BadValue {
            path: path.to_string(),
            message,
        })
    };
    match (current, value) {
        (Value::Bool(_), ParamValue::Bool(b)) => Ok(Value::Bool(*b)),
        (Value::Bool(_), other) => bad(format!("expected true or false, found {other}")),
        (Value::Number(n), ParamValue::Number(x)) if n.is_u64() || n.is_i64() => {
            if x.fract() != 0.0 || *x < 0.0 {
                return bad(format!("expected a whole number ≥ 0, found {x}"));
            }
            Ok(Value::from(*x as u64))
        }
        (Value::Number(_), ParamValue::Number(x)) => match serde_json::Number::from_f64(*x) {
            Some(n) => Ok(Value::Number(n)),
            None => bad(format!("{x} is not a finite number")),
        },
        (Value::Number(_), other) => bad(format!("expected a number, found {other}")),
        (Value::String(_), ParamValue::Text(t)) => Ok(Value::String(t.clone())),
        (_, other) => bad(format!("unexpected value {other}")),
    }
}

/// The candidate closest to `word` by edit distance, if it is reasonably close.
pub fn closest(word: &str, candidates: &[String]) -> Option<String> {
    candidates
        .iter()
        .map(|c| (strsim::levenshtein(word, c), c))
        .filter(|(d, c)| *d <= c.len().max(word.len()) / 3 + 1)
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c.clone())
}

/// Serde adapter writing [`Parameters`] as a flat map of `"path": value` pairs (every parameter)
/// and reading a map of overrides onto the defaults.
pub mod flat {
    use super::*;
    use serde::{Deserializer, Serializer};

    /// Writes every parameter as `"section.name": value`.
    pub fn serialize<S: Serializer>(params: &Parameters, serializer: S) -> Result<S::Ok, S::Error> {
        params.to_flat().serialize(serializer)
    }

    /// Reads `"section.name": value` overrides onto the defaults.
    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Parameters, D::Error> {
        let map = BTreeMap::<String, ParamValue>::deserialize(deserializer)?;
        Parameters::default()
            .with_overrides(map.iter().map(|(k, v)| (k.as_str(), v)))
            .map_err(serde::de::Error::custom)
    }
}
