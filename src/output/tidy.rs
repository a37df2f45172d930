//! The tidy (long) metrics table: one row per observation with the columns
//! `tick,date,metric,state,firm,sector,market,value`, empty where a column does not apply.
//! Numbers are written in Rust's shortest round-trip form, so equal values give equal bytes.

use std::fmt::Write as _;

use crate::model::metrics::{NONE, Row, WORLD};
use crate::scenario::Scenario;

/// The header of `metrics.csv`, exactly.
pub const METRICS_HEADER: &str = "tick,date,metric,state,firm,sector,market,value";

/// Names for the index columns of metric rows.
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
            WORLD => "world",
            NONE => "",
            i => &self.scenario.states[i as usize].id,
        }
    }
}

/// Renders rows as the body of `metrics.csv`, header included.
pub fn metrics_csv(scenario: &Scenario, rows: &[Row]) -> String {
    let names = Names::new(scenario);
    let mut out = String::with_capacity(rows.len() * 48 + 64);
    out.push_str(METRICS_HEADER);
    out.push('\n');
    for r in rows {
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{}",
            r.tick,
            names.date(r.tick),
            r.metric.name(),
            names.state(r.state),
            names.firm(r.firm),
            names.sector(r.sector),
            names.market(r.market),
            r.value
        );
    }
    out
}

/// `firms.csv`: id, name, home state and sector of every firm.
pub fn firms_csv(scenario: &Scenario) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["firm", "name", "home", "sector"]);
    for f in &scenario.firms {
        let _ = w.write_record([&f.id, &f.name, &f.home, &f.sector]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// `states.csv`: id and name of every state.
pub fn states_csv(scenario: &Scenario) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["state", "name"]);
    for s in &scenario.states {
        let _ = w.write_record([&s.id, &s.name]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// `sectors.csv`: id and name of every sector.
pub fn sectors_csv(scenario: &Scenario) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(["sector", "name"]);
    for s in &scenario.sectors {
        let _ = w.write_record([&s.id, &s.name]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}
