//! The tidy (long) metrics table: one row per observation with the columns
//! `tick,date,metric,state,firm,sector,market,value` ([`crate::labels`]), empty where a column
//! does not apply; and the entity tables `firms.csv`, `states.csv`, `sectors.csv`. Numbers are
//! written in Rust's shortest round-trip form, so equal values give equal bytes.

use std::fmt::Write as _;

use super::table::CsvText;
use crate::labels::{METRICS_COLUMNS, Names};
use crate::model::metrics::Row;
use crate::scenario::Scenario;

/// Renders rows as the body of `metrics.csv`, header included.
pub fn metrics_csv(scenario: &Scenario, rows: &[Row]) -> String {
    let names = Names::new(scenario);
    let mut csv = CsvText::new();
    csv.record(METRICS_COLUMNS);
    // Reused for every row: this table has hundreds of thousands of rows.
    let (mut tick, mut value) = (String::new(), String::new());
    for r in rows {
        tick.clear();
        value.clear();
        let _ = write!(tick, "{}", r.tick);
        let _ = write!(value, "{}", r.value);
        csv.record([
            tick.as_str(),
            names.date(r.tick),
            r.metric.name(),
            names.state(r.state),
            names.firm(r.firm),
            names.sector(r.sector),
            names.market(r.market),
            value.as_str(),
        ]);
    }
    csv.finish()
}

/// `firms.csv`: id, name, home state and sector of every firm.
pub fn firms_csv(scenario: &Scenario) -> String {
    let mut csv = CsvText::new();
    csv.record(["firm", "name", "home", "sector"]);
    for f in &scenario.firms {
        csv.record([&f.id, &f.name, &f.home, &f.sector]);
    }
    csv.finish()
}

/// `states.csv`: id and name of every state.
pub fn states_csv(scenario: &Scenario) -> String {
    id_name_csv("state", scenario.states.iter().map(|s| [&s.id, &s.name]))
}

/// `sectors.csv`: id and name of every sector.
pub fn sectors_csv(scenario: &Scenario) -> String {
    id_name_csv("sector", scenario.sectors.iter().map(|s| [&s.id, &s.name]))
}

/// A two-column entity table: `<kind>,name`, one row per entity.
fn id_name_csv<'a>(kind: &str, rows: impl Iterator<Item = [&'a String; 2]>) -> String {
    let mut csv = CsvText::new();
    csv.record([kind, "name"]);
    for row in rows {
        csv.record(row);
    }
    csv.finish()
}
