//! The scenario as data: the world (sectors, states, firms, alliances), the timeline of policy
//! events and the calendar. These types are the file format documented in `docs/SCENARIOS.md`;
//! [`crate::scenario::load`] turns files into a validated [`Scenario`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::scenario::params::Parameters;

/// A calendar date as written in scenario files: `"2022-10"` or `"2022-10-07"`.
///
/// The day is optional because most policy dates in the sources are known to the month.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Date {
    /// Calendar year, e.g. 2022.
    pub year: i32,
    /// Month, 1–12.
    pub month: u32,
    /// Day of the month, when the source gives one.
    pub day: Option<u32>,
}

impl Date {
    /// Parses `YYYY-MM` or `YYYY-MM-DD`, checking that month and day exist.
    pub fn parse(text: &str) -> Result<Date, String> {
        let bad = || {
            format!(
                "`{text}` is not a date: write \"YYYY-MM\" or \"YYYY-MM-DD\", e.g. \"2022-10-07\""
            )
        };
        let parts: Vec<&str> = text.split('-').collect();
        if !(2..=3).contains(&parts.len()) || parts[0].len() != 4 || parts[1].len() != 2 {
            return Err(bad());
        }
        let year: i32 = parts[0].parse().map_err(|_| bad())?;
        let month: u32 = parts[1].parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(format!("`{text}`: month {month} does not exist (1–12)"));
        }
        let day = match parts.get(2) {
            None => None,
            Some(d) if d.len() == 2 => {
                let day: u32 = d.parse().map_err(|_| bad())?;
                let last = days_in_month(year, month);
                if !(1..=last).contains(&day) {
                    return Err(format!(
                        "`{text}`: day {day} does not exist in that month (1–{last})"
                    ));
                }
                Some(day)
            }
            Some(_) => return Err(bad()),
        };
        Ok(Date { year, month, day })
    }

    /// Months since year 0, so that dates can be compared and counted in months.
    pub fn month_index(self) -> i64 {
        i64::from(self.year) * 12 + i64::from(self.month) - 1
    }

    /// The first day of the month `index` months after year 0.
    pub fn from_month_index(index: i64) -> Date {
        Date {
            year: index.div_euclid(12) as i32,
            month: index.rem_euclid(12) as u32 + 1,
            day: Some(1),
        }
    }

    /// ISO 8601 form with the day (the first of the month when none was given).
    pub fn iso(self) -> String {
        format!(
            "{:04}-{:02}-{:02}",
            self.year,
            self.month,
            self.day.unwrap_or(1)
        )
    }
}

fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => 31,
    }
}

impl fmt::Display for Date {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.day {
            Some(day) => write!(f, "{:04}-{:02}-{:02}", self.year, self.month, day),
            None => write!(f, "{:04}-{:02}", self.year, self.month),
        }
    }
}

impl PartialOrd for Date {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Date {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        (self.year, self.month, self.day.unwrap_or(1)).cmp(&(
            other.year,
            other.month,
            other.day.unwrap_or(1),
        ))
    }
}

impl Serialize for Date {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for Date {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Date::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// One layer of the supply chain, e.g. `foundry_advanced`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sector {
    /// Snake-case id used everywhere else in the file and in outputs.
    pub id: String,
    /// Human-readable name for tables and charts.
    pub name: String,
    /// World sales in the start year, $B per year; the unit of quantity is $1B of start-year output.
    pub market_size_usd_b: f64,
    /// Growth of final (non-derived) demand, fraction per year (0.05 = 5 %).
    pub demand_growth_per_year: f64,
    /// Share of the sector's final demand bought in each state's market; must sum to 1.
    pub final_demand_by_state: BTreeMap<String, f64>,
    /// Whether `final_demand_by_state` splits the sector's whole market by buying state (final
    /// demand plus the modelled firms' start-year derived demand located there, as equipment
    /// billings by fab location do) rather than its final demand alone. Default false. With
    /// true, a state's final demand is its share of the market less the derived demand located
    /// there (at least 0), scaled so that final demand still sums to the market less all derived
    /// demand (MODEL.md, 5 "Initialization").
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub demand_by_state_includes_derived: bool,
    /// Bill of materials: what one unit of this sector's output needs from other sectors.
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// Whether the sector's output is AI compute capacity (the `ai_compute` metric counts it).
    #[serde(default)]
    pub counts_as_ai_compute: bool,
    /// Own-price elasticity of the sector's final demand (−d ln Q / d ln P, ≥ 0); default
    /// `demand.price_elasticity` (MODEL.md, "Demand").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_elasticity: Option<f64>,
    /// Years from a capacity decision to capacity in use for the sector's firms (mines and
    /// refineries take longer than fabs); default `investment.capacity_lead_time_years`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity_lead_time_years: Option<f64>,
}

/// One input of a sector's bill of materials (Leontief coefficient).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// The supplying sector's id.
    pub sector: String,
    /// Units of the input per unit of output (both in $ of start-year output).
    pub per_unit: f64,
    /// How a shortage of this input binds.
    pub role: InputRole,
    /// Whether the buyer's delivered capability is bounded by this input's (an accelerator by its
    /// wafers' process; MODEL.md, "Ceilings"). Default false.
    #[serde(default)]
    pub bounds_capability: bool,
}

/// How an input enters production.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputRole {
    /// Used up in each unit of output: a shortage cuts output this tick (minerals, wafers, memory).
    Material,
    /// Tools and design resources: a shortage slows capacity growth, and the tools' capability sets
    /// the buyer's access to the frontier (equipment, EDA and IP).
    Capital,
}

/// A country or bloc (agent).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct State {
    /// ISO 3166 alpha-2 code, or a bloc code such as `EU` or `ROW`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Security dependence on other states, 0–1 (e.g. `{"US": 0.8}`); drives allied compliance.
    #[serde(default)]
    pub security_dependence: BTreeMap<String, f64>,
    /// Whether gray-market trade can route through this state (Singapore, Malaysia, UAE …).
    #[serde(default)]
    pub transshipment_hub: bool,
    /// Commitment to self-sufficiency at the start, 0–1 (docs/MODEL.md, target commitment).
    #[serde(default)]
    pub commitment: f64,
}

/// A firm (agent): belongs to one home state and one sector.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Firm {
    /// Snake-case id, e.g. `tsmc`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Home state id.
    pub home: String,
    /// Sector id.
    pub sector: String,
    /// World revenue share in its sector at the start, 0–1 (the calibration target).
    pub share: f64,
    /// Technology level in frontier-years relative to the start-date frontier (0 = frontier,
    /// −5 = five years behind).
    pub capability: f64,
    /// Capacity in $B of start-year output per year; default: start sales / target utilisation.
    #[serde(default)]
    pub capacity_usd_b: Option<f64>,
    /// R&D spending as a share of revenue, from the firm's filings; default
    /// `finance.rd_share_of_revenue`. Above 1 where R&D exceeds sales (funded by equity or the
    /// parent).
    #[serde(default)]
    pub rd_intensity: Option<f64>,
}

/// A named grouping of states (Chip 4, Quad, AUKUS …).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Alliance {
    /// Snake-case id, e.g. `chip4`.
    pub id: String,
    /// Human-readable name.
    pub name: String,
    /// Member state ids.
    pub members: Vec<String>,
    /// The state whose controls members are asked to follow.
    #[serde(default)]
    pub leader: Option<String>,
}

/// A dated policy event on the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Event {
    /// When the measure takes effect (the tick whose period contains this date).
    pub date: Date,
    /// When it was announced, if earlier than `date` (the window for front-running).
    #[serde(default)]
    pub announced: Option<Date>,
    /// Short label for tables and charts, e.g. "Oct 2022 advanced computing rule".
    #[serde(default)]
    pub label: Option<String>,
    /// What happens.
    pub action: Action,
}

/// A policy instrument's change. Every instrument has an `id`; a later event with the same id
/// replaces it (how rounds tighten or loosen) and `Remove` lifts it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Action {
    /// The controller's firms (or `covered_firms`) may not sell products above `max_capability`
    /// in `sector` to `destinations`, except the share licensed. A mineral export ban or quota is
    /// an export control with `max_capability: -1000` and the quota as `licence_approval_rate`.
    ExportControl {
        /// Name of this control, so later events can tighten, loosen or remove it.
        id: String,
        /// The controlling state.
        controller: String,
        /// The controlled sector.
        sector: String,
        /// Products above this capability (frontier-years relative to the start frontier) are
        /// controlled; `-1000` controls everything.
        max_capability: f64,
        /// Destination states (buying markets) the control applies to.
        destinations: Vec<String>,
        /// Limits the control to these supplier firms, whatever their home (the foreign direct
        /// product rule pattern); empty means every firm of the controller in the sector.
        #[serde(default)]
        covered_firms: Vec<String>,
        /// Share of the controlled flow licensed anyway, 0–1.
        #[serde(default)]
        licence_approval_rate: f64,
        /// Also binds foreign firms whose tools come from the controller beyond the de minimis
        /// share, as far as their home state complies.
        #[serde(default)]
        extraterritorial: bool,
    },
    /// The controller asks allies to impose a matching control, directly and through named
    /// alliances; each ally's firms follow it as far as the ally chooses to comply
    /// (docs/MODEL.md, allied compliance). A state asked through several channels (a node
    /// country) feels the pressure of each.
    AllyAlignment {
        /// Name of this request.
        id: String,
        /// The export control to match.
        control: String,
        /// The states asked directly.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        allies: Vec<String>,
        /// Alliances whose members (other than the controller) are asked.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        alliances: Vec<String>,
    },
    /// Tiered access (the 2025 diffusion rule): tier 2 states may buy up to a quota over a
    /// window, tier 3 states nothing, everyone else freely.
    TieredAccess {
        /// Name of this rule.
        id: String,
        /// The controlling state.
        controller: String,
        /// The controlled sector.
        sector: String,
        /// Products above this capability are controlled.
        max_capability: f64,
        /// Tier 2 states.
        tier2: Vec<String>,
        /// Volume each tier 2 state may buy over the window, $B of start-year output.
        tier2_quota_usd_b: f64,
        /// Length of the quota window, years.
        window_years: f64,
        /// Tier 3 states (blocked).
        tier3: Vec<String>,
    },
    /// Sales allowed on condition that a share of their revenue goes to the controller's
    /// government (the H20 and H200 pattern).
    SalesCondition {
        /// Name of this condition.
        id: String,
        /// The state collecting the share.
        controller: String,
        /// The sector.
        sector: String,
        /// Markets whose sales pay the share.
        destinations: Vec<String>,
        /// Share of that revenue paid, 0–1.
        revenue_share: f64,
    },
    /// An agreement with transit states to stop transshipment, raising enforcement against
    /// leakage of the controller's goods.
    AntiTransshipment {
        /// Name of this agreement.
        id: String,
        /// The state whose controls are enforced.
        controller: String,
        /// The transit states that sign.
        hubs: Vec<String>,
        /// Enforcement achieved through the signatories, 0–1.
        enforcement: f64,
    },
    /// Outbound investment restrictions: the target's firms in these sectors lose part of their
    /// capacity expansion (foreign capital and know-how denied).
    OutboundInvestment {
        /// Name of this restriction.
        id: String,
        /// The restricting state.
        controller: String,
        /// The state whose firms are restricted.
        target: String,
        /// Sectors covered.
        sectors: Vec<String>,
        /// Share of capacity expansion lost, 0–1.
        expansion_cut: f64,
    },
    /// A buyer state discourages purchases from another state's firms in a sector.
    PurchaseDiscouragement {
        /// Name of this measure.
        id: String,
        /// The buying state.
        buyer: String,
        /// The state whose firms are discouraged.
        against: String,
        /// The sector.
        sector: String,
        /// Utility lost by the discouraged suppliers in the buyer's market.
        utility_penalty: f64,
    },
    /// An antitrust action by a state against one firm: its appeal in that state's market falls.
    AntitrustAction {
        /// Name of this action.
        id: String,
        /// The acting state.
        state: String,
        /// The firm.
        firm: String,
        /// Utility lost in the acting state's market.
        utility_penalty: f64,
    },
    /// A state fund paying R&D and capacity subsidies to the state's firms in some sectors,
    /// split by revenue.
    StateFund {
        /// Name of this fund.
        id: String,
        /// The paying state.
        state: String,
        /// Sectors whose firms receive it.
        sectors: Vec<String>,
        /// R&D subsidy, $B per year.
        rd_usd_b_per_year: f64,
        /// Capacity subsidy, $B of capacity added per year (needs tools to install).
        capacity_usd_b_per_year: f64,
    },
    /// A share of a market's demand reserved for the state's own suppliers.
    ProcurementMandate {
        /// Name of this mandate.
        id: String,
        /// The buying state.
        state: String,
        /// The sector.
        sector: String,
        /// Share of demand reserved for domestic suppliers, 0–1.
        domestic_share: f64,
    },
    /// New fab capacity in the state must use at least this share of domestic tools.
    DomesticEquipmentQuota {
        /// Name of this quota.
        id: String,
        /// The state.
        state: String,
        /// Minimum domestic share of tools, 0–1.
        domestic_share: f64,
    },
    /// A subsidised capacity addition (reshoring) that arrives on the event's date.
    ReshoringSubsidy {
        /// Name of this subsidy.
        id: String,
        /// The firm whose capacity grows.
        firm: String,
        /// Capacity added, $B of start-year output per year.
        capacity_usd_b: f64,
    },
    /// A shock to one state's trust in another (e.g. AUKUS and France), lowering compliance.
    /// Names either one `state` or an `alliance`, whose every member's trust falls.
    TrustShock {
        /// Name of this shock.
        id: String,
        /// The state whose trust falls.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        state: Option<String>,
        /// Or the alliance whose members' trust falls (all but `toward`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        alliance: Option<String>,
        /// The state it trusts less.
        toward: String,
        /// Fall in trust, 0–1.
        size: f64,
    },
    /// A supply disruption (an accident, a war, a rare-gas shortage): the firms of `state` in
    /// `sector` lose a share of their capacity while it is in force; `Remove` ends it.
    SupplyDisruption {
        /// Name of this disruption.
        id: String,
        /// Where the disrupted firms are based.
        state: String,
        /// The disrupted sector.
        sector: String,
        /// Share of capacity lost, 0–1.
        capacity_share_lost: f64,
    },
    /// Lifts the instrument with this id.
    Remove {
        /// The id of an instrument imposed by an earlier event.
        id: String,
    },
}

impl Action {
    /// The id of the instrument this action changes.
    pub fn instrument_id(&self) -> &str {
        match self {
            Action::ExportControl { id, .. }
            | Action::AllyAlignment { id, .. }
            | Action::TieredAccess { id, .. }
            | Action::SalesCondition { id, .. }
            | Action::AntiTransshipment { id, .. }
            | Action::OutboundInvestment { id, .. }
            | Action::PurchaseDiscouragement { id, .. }
            | Action::AntitrustAction { id, .. }
            | Action::StateFund { id, .. }
            | Action::ProcurementMandate { id, .. }
            | Action::DomesticEquipmentQuota { id, .. }
            | Action::ReshoringSubsidy { id, .. }
            | Action::TrustShock { id, .. }
            | Action::SupplyDisruption { id, .. }
            | Action::Remove { id } => id,
        }
    }
}

/// A fully resolved, validated scenario: what a run executes, and what `scenario.ron` records.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Short name; also the default output folder name.
    pub name: String,
    /// One-line description shown by `chokepoint scenarios`.
    pub description: String,
    /// The date of tick 0 (a month).
    pub start: Date,
    /// Number of ticks to run.
    pub ticks: u32,
    /// Ticks per year: 12 (months), 4 (quarters), 2, 1 …; must divide 12.
    pub ticks_per_year: u32,
    /// Master seed of the run's random streams.
    pub seed: u64,
    /// Supply-chain layers.
    pub sectors: Vec<Sector>,
    /// States and blocs.
    pub states: Vec<State>,
    /// Firms.
    pub firms: Vec<Firm>,
    /// Alliances.
    pub alliances: Vec<Alliance>,
    /// Model parameters in force, written as `"section.name": value` pairs.
    #[serde(with = "crate::scenario::params::flat")]
    pub parameters: Parameters,
    /// The policy timeline, in date order.
    pub events: Vec<Event>,
}

impl Scenario {
    /// The calendar date of a tick.
    pub fn date_of_tick(&self, tick: u32) -> Date {
        let months_per_tick = i64::from(12 / self.ticks_per_year);
        Date::from_month_index(self.start.month_index() + i64::from(tick) * months_per_tick)
    }

    /// The tick whose period contains `date`, which may lie before 0 or after the last tick.
    pub fn tick_of_date(&self, date: Date) -> i64 {
        let months_per_tick = i64::from(12 / self.ticks_per_year);
        (date.month_index() - self.start.month_index()).div_euclid(months_per_tick)
    }

    /// The index of the state with id `id`, in scenario order (the order agents are indexed in).
    pub fn state_index(&self, id: &str) -> Option<usize> {
        self.states.iter().position(|s| s.id == id)
    }

    /// The index of the sector with id `id`, in scenario order.
    pub fn sector_index(&self, id: &str) -> Option<usize> {
        self.sectors.iter().position(|s| s.id == id)
    }

    /// The index of the firm with id `id`, in scenario order.
    pub fn firm_index(&self, id: &str) -> Option<usize> {
        self.firms.iter().position(|f| f.id == id)
    }

    /// Sector indices ordered so that every `Material` input precedes its users, or `None` when
    /// material inputs form a cycle.
    pub fn material_order(&self) -> Option<Vec<usize>> {
        let scenario = self;
        let n = scenario.sectors.len();
        let index = |id: &str| self.sector_index(id);
        let mut order = Vec::with_capacity(n);
        let mut placed = vec![false; n];
        while order.len() < n {
            let ready = (0..n).find(|&s| {
                !placed[s]
                    && scenario.sectors[s]
                        .inputs
                        .iter()
                        .filter(|i| i.role == InputRole::Material)
                        .all(|i| index(&i.sector).is_none_or(|k| placed[k]))
            })?;
            placed[ready] = true;
            order.push(ready);
        }
        Some(order)
    }
}

/// The longest folder name a scenario, sweep or effect may have (file systems allow 255 bytes;
/// the hidden staging and lock names add a few).
pub const MAX_FOLDER_NAME_CHARS: usize = 100;

/// Whether `name` can name an output folder: 1 to [`MAX_FOLDER_NAME_CHARS`] ASCII letters, digits,
/// `_` and `-` (so never `.`, `..`, a hidden name, a path or a name with spaces).
pub fn is_folder_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= MAX_FOLDER_NAME_CHARS
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The help line for a name that [`is_folder_name`] refuses.
pub const FOLDER_NAME_HELP: &str =
    "use 1 to 100 letters, digits, `_` and `-` (the name is the default output folder)";
