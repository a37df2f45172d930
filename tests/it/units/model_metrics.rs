//! Tests of `src/model/metrics.rs`.

use chokepoint::model::metrics::*;
use chokepoint::scenario::{Overrides, load::BUNDLED, load_str};

#[test]
fn every_tick_records_exactly_the_catalogue() {
    for (name, text) in BUNDLED {
        let scenario = load_str(name, text, &Overrides::default()).unwrap();
        let mut expected: Vec<RowKey> = catalogue(&scenario, &Metric::ALL);
        expected.sort_unstable();
        let rows = chokepoint::model::run(&scenario, Selection::default()).to_rows();
        for tick in [0, scenario.ticks / 2, scenario.ticks - 1] {
            let mut keys: Vec<RowKey> = rows
                .iter()
                .filter(|r| r.tick == tick)
                .map(Row::key)
                .collect();
            keys.sort_unstable();
            assert_eq!(keys, expected, "{name}, tick {tick}");
        }
    }
}

#[test]
fn every_row_fills_exactly_the_columns_its_catalogue_entry_names() {
    for (name, text) in BUNDLED {
        let scenario = load_str(name, text, &Overrides::default()).unwrap();
        for (metric, state, firm, sector, market) in catalogue(&scenario, &Metric::ALL) {
            let filled: Vec<&str> = [("state", state), ("firm", firm)]
                .into_iter()
                .chain([("sector", sector), ("market", market)])
                .filter(|&(_, i)| i != NONE)
                .map(|(column, _)| column)
                .collect();
            let named = metric.columns();
            // The world frontier leaves `state` empty; every other row fills all it names.
            let world_frontier = metric == Metric::BestCapability && state == NONE;
            let expected: Vec<&str> = named
                .iter()
                .copied()
                .filter(|&c| !(world_frontier && c == "state"))
                .collect();
            assert_eq!(filled, expected, "{name}: {}", metric.name());
        }
    }
}

#[test]
fn a_selection_records_only_its_metrics_and_ticks() {
    let (name, text) = BUNDLED[0];
    let scenario = load_str(name, text, &Overrides::default()).unwrap();
    let metrics = vec![Metric::Denial, Metric::Capability];
    let selection = Selection {
        metrics: Some(metrics.clone()),
        ticks: Some(vec![0, 3]),
    };
    let rows = chokepoint::model::run(&scenario, selection).to_rows();
    assert_eq!(rows.len(), 2 * catalogue(&scenario, &metrics).len());
    assert!(rows.iter().all(|r| metrics.contains(&r.metric)));
    assert!(rows.iter().all(|r| r.tick == 0 || r.tick == 3));
}
