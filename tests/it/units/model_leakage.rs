//! Tests of `src/model/leakage.rs`.

use chokepoint::model::leakage::*;
use chokepoint::scenario::params::Parameters;

#[test]
fn leakage_falls_as_enforcement_rises() {
    let p = Parameters::default().leakage;
    let shares: Vec<f64> = [0.0, 0.3, 0.6, 0.9, 1.0]
        .iter()
        .map(|&e| leak_fraction(&p, 24.0, 0.2, e))
        .collect();
    assert!(
        shares.windows(2).all(|w| w[1] < w[0] || w[1] == 0.0),
        "{shares:?}"
    );
    assert_eq!(shares[4], 0.0);
}

#[test]
fn leakage_builds_up_after_a_control_and_rises_with_shortage() {
    let p = Parameters::default().leakage;
    assert_eq!(leak_fraction(&p, 0.0, 0.5, 0.3), 0.0);
    assert!(leak_fraction(&p, 6.0, 0.5, 0.3) < leak_fraction(&p, 36.0, 0.5, 0.3));
    assert!(leak_fraction(&p, 24.0, 0.0, 0.3) < leak_fraction(&p, 24.0, 0.8, 0.3));
    assert!(leak_fraction(&p, 1e6, 1.0, 0.0) <= p.max_share);
}
