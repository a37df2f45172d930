//! The scenario as data: the world (sectors, states, firms, alliances), the timeline of policy
//! events and the calendar. These types are the file format documented in `docs/SCENARIOS.md`;
//! [`crate::scenario::load`] turns files into a validated [`Scenario`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::model::params::Parameters;

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
    /// Bill of materials: what one unit of this sector's output needs from other sectors.
    #[serde(default)]
    pub inputs: Vec<Input>,
    /// Whether the sector's output is AI compute capacity (the `ai_compute` metric counts it).
    #[serde(default)]
    pub counts_as_ai_compute: bool,
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

/// A policy instrument's change. A later event with the same `id` replaces an earlier one, which
/// is how rounds are tightened or loosened.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Action {
    /// The controller's firms may not sell products above `max_capability` in `sector` to
    /// `destinations`.
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
    },
    /// Lifts a control imposed by an earlier event.
    RemoveExportControl {
        /// The id of the control to lift.
        id: String,
    },
}

impl Action {
    /// The id of the instrument this action changes.
    pub fn instrument_id(&self) -> &str {
        match self {
            Action::ExportControl { id, .. } | Action::RemoveExportControl { id } => id,
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
    #[serde(with = "crate::model::params::flat")]
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
}
