//! How a metric row is labelled in every tidy table: the index columns
//! (`tick,date,metric,state,firm,sector,market`) and the names they hold — state, firm and sector
//! ids, `world` for the world market, empty where a column does not apply, ISO dates for ticks.
//! `metrics.csv`, a sweep's `summary.csv`, `columns.csv` and `sensitivity.csv`, the sweep's
//! outcome column names and the charts that read them all take the columns from here, so the
//! tables cannot drift apart; so do the ablation labels of an effect analysis's tables.
//! docs/OUTPUTS.md and docs/EFFECTS.md are the contract.

use crate::model::metrics::{NONE, WORLD};
use crate::scenario::Scenario;

/// The index columns of a metric row, in table order.
pub const INDEX_COLUMNS: [&str; 7] = [
    "tick", "date", "metric", "state", "firm", "sector", "market",
];

/// The columns of `metrics.csv`: the index columns, then `value`.
pub const METRICS_COLUMNS: [&str; 8] = [
    "tick", "date", "metric", "state", "firm", "sector", "market", "value",
];

/// The label of the world market in the `market` column.
pub const WORLD_MARKET: &str = "world";

/// The columns of an effect analysis's `effects.csv`.
pub const EFFECTS_COLUMNS: [&str; 9] = [
    "ablation",
    "outcome",
    "dose",
    "dose_label",
    "quantity",
    "estimate",
    "ci_low",
    "ci_high",
    "n",
];

/// The columns of an effect analysis's `replicates.csv`: `dose` is the dose index, `dose_label`
/// as in `effects.csv`, `dose_value` the parameter's level (`Levels`) or the number of rounds in
/// force (`Rounds`).
pub const REPLICATES_COLUMNS: [&str; 8] = [
    "ablation",
    "outcome",
    "dose",
    "dose_label",
    "dose_value",
    "replicate",
    "seed",
    "value",
];

/// The ablation label of the full model (no mechanism switched off) in an effect analysis's
/// `effects.csv`, `replicates.csv` and `verdict.json`.
pub const FULL_MODEL: &str = "none";
/// The ablation label of every listed mechanism switched off together.
pub const ALL_LISTED: &str = "all_listed";
/// The ablation label of every mechanism switch off together (the default ablation set's last).
pub const ALL_OFF: &str = "all_off";

/// The unit of metric `name` as a chart axis shows it (shares in percent), from the metric
/// catalogue (`model::catalogue`), so charts and tables state the same units; `None` for a name
/// that is not a metric.
pub fn axis_unit(name: &str) -> Option<&'static str> {
    crate::model::metrics::Metric::from_name(name).map(|m| m.axis_unit())
}

/// Names for the index columns of metric rows of one scenario.
pub struct Names<'a> {
    scenario: &'a Scenario,
    dates: Vec<String>,
}

impl<'a> Names<'a> {
    /// Prepares names and dates for a scenario.
    pub fn new(scenario: &'a Scenario) -> Self {
        let dates = (0..scenario.ticks)
            .map(|t| scenario.date_of_tick(t).iso())
            .collect();
        Names { scenario, dates }
    }

    /// The ISO date of a tick.
    pub fn date(&self, tick: u32) -> &str {
        &self.dates[tick as usize]
    }

    /// State id or empty.
    pub fn state(&self, i: u16) -> &str {
        if i == NONE {
            ""
        } else {
            &self.scenario.states[i as usize].id
        }
    }

    /// Firm id or empty.
    pub fn firm(&self, j: u16) -> &str {
        if j == NONE {
            ""
        } else {
            &self.scenario.firms[j as usize].id
        }
    }

    /// Sector id or empty.
    pub fn sector(&self, k: u16) -> &str {
        if k == NONE {
            ""
        } else {
            &self.scenario.sectors[k as usize].id
        }
    }

    /// Market: a state id, `world`, or empty.
    pub fn market(&self, i: u16) -> &str {
        match i {
            WORLD => WORLD_MARKET,
            NONE => "",
            i => &self.scenario.states[i as usize].id,
        }
    }
}
