//! Tests of `src/model/prices.rs`.

use chokepoint::model::prices::*;
use chokepoint::scenario::params::Parameters;

#[test]
fn scarcity_raises_the_price_and_the_ceiling_bounds_it() {
    let p = Parameters::default().prices;
    assert_eq!(scarcity_multiple(1.0, &p), 1.0);
    let short = scarcity_multiple(0.9, &p);
    let shorter = scarcity_multiple(0.6, &p);
    assert!(1.0 < short && short < shorter, "{short} {shorter}");
    assert_eq!(scarcity_multiple(0.0, &p), p.max_scarcity_multiple);
    // The calibration: a 40% cut in supply clears near the ceiling (rare earths, 2010–11).
    assert!(shorter > 0.8 * p.max_scarcity_multiple, "{shorter}");
}

#[test]
fn the_markup_starts_at_the_target_utilisation_and_is_bounded() {
    let p = Parameters::default().prices;
    assert_eq!(markup(0.5, 0.9, &p), 1.0);
    assert_eq!(markup(0.9, 0.9, &p), 1.0);
    assert!(markup(1.0, 0.9, &p) > 1.1);
    assert_eq!(markup(50.0, 0.9, &p), 1.0 + p.utilization_markup_slope);
}
