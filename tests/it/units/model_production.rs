//! Tests of `src/model/production.rs`.

use chokepoint::model::production::*;
use chokepoint::scenario::params::Rationing;

#[test]
fn each_rationing_rule_serves_its_buyers_first_and_never_invents_supply() {
    // 6 supplied against firms 4 + final users 8.
    let (f, c) = ration(Rationing::ProRata, 6.0, 4.0, 8.0);
    assert_eq!((f, c), (0.5, 0.5));
    let (f, c) = ration(Rationing::WillingnessToPay, 6.0, 4.0, 8.0);
    assert_eq!((f, c), (1.0, 0.25));
    let (f, c) = ration(Rationing::Priority, 6.0, 4.0, 8.0);
    assert_eq!((f, c), (0.0, 0.75));
    for rule in [
        Rationing::ProRata,
        Rationing::WillingnessToPay,
        Rationing::Priority,
    ] {
        let (f, c) = ration(rule, 6.0, 4.0, 8.0);
        assert!((f * 4.0 + c * 8.0 - 6.0).abs() < 1e-12, "{rule:?}");
        assert_eq!(ration(rule, 20.0, 4.0, 8.0), (1.0, 1.0));
    }
}
