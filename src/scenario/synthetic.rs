//! Synthetic variants of a scenario for scaling measurements: every firm split into `factor`
//! identical firms with `1/factor` of its share, so the market is unchanged but the agent count
//! grows. Used by the benchmarks to show how cost per tick grows with the number of firms.

use super::types::Scenario;

/// Returns `scenario` with every firm replaced by `factor` copies (`<id>_copy<n>`), each with
/// `share / factor` and `capacity / factor`.
pub fn with_firms_multiplied(scenario: &Scenario, factor: usize) -> Scenario {
    let mut out = scenario.clone();
    out.firms = scenario
        .firms
        .iter()
        .flat_map(|firm| {
            (0..factor.max(1)).map(move |n| {
                let mut copy = firm.clone();
                copy.id = format!("{}_copy{n}", firm.id);
                copy.share = firm.share / factor as f64;
                copy.capacity_usd_b = firm.capacity_usd_b.map(|c| c / factor as f64);
                copy
            })
        })
        .collect();
    out
}
