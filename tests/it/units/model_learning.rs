//! Tests of `src/model/learning.rs`.

use chokepoint::model::learning::ramp_yield;

#[test]
fn a_new_node_starts_at_its_yield_rises_with_experience_and_matures_at_one() {
    let b = -(1.0_f64 - 0.2).log2();
    assert_eq!(ramp_yield(0.5, 0.0, b), 0.5);
    let (early, later) = (ramp_yield(0.5, 1.0, b), ramp_yield(0.5, 3.0, b));
    assert!(
        0.5 < early && early < later && later < 1.0,
        "{early} {later}"
    );
    // Cost per good unit falls by the learning rate per doubling of 1 + experience.
    assert!((ramp_yield(0.5, 1.0, b) / ramp_yield(0.5, 0.0, b) - 1.0 / 0.8).abs() < 1e-12);
    assert_eq!(ramp_yield(0.5, 1e6, b), 1.0);
    // Without learning within the node, experience buys nothing.
    assert_eq!(ramp_yield(0.5, 100.0, 0.0), 0.5);
}
