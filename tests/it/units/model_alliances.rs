//! Tests of `src/model/alliances.rs`.

use chokepoint::model::alliances::*;
use chokepoint::scenario::params::Parameters;

/// A controller holding `direct` of the supply and `allies` equal allies holding `each`.
fn supply(direct: f64, allies: usize, each: f64) -> ControlledSupply {
    let mut by_state = vec![0.0; allies + 1];
    by_state[1..].iter_mut().for_each(|s| *s = each);
    ControlledSupply {
        direct,
        by_state,
        at_stake_usd_b: vec![0.0; allies + 1],
    }
}

#[test]
fn what_an_ally_adds_shrinks_as_others_withhold_when_the_effect_is_concave() {
    let s = supply(0.4, 3, 0.2);
    let none = [1.0, 0.0, 0.0, 0.0];
    let others = [1.0, 0.0, 1.0, 1.0];
    let alone = marginal_effect(&s, &none, 0.0, 1, 0.5);
    let covered = marginal_effect(&s, &others, 0.0, 1, 0.5);
    assert!(covered < alone, "free-riding pays: {covered} < {alone}");
}

#[test]
fn what_an_ally_adds_grows_as_others_withhold_when_the_effect_is_convex() {
    let s = supply(0.4, 3, 0.2);
    let none = [1.0, 0.0, 0.0, 0.0];
    let others = [1.0, 0.0, 1.0, 1.0];
    let alone = marginal_effect(&s, &none, 0.0, 1, 3.0);
    let covered = marginal_effect(&s, &others, 0.0, 1, 3.0);
    assert!(covered > alone, "pivotal: {covered} > {alone}");
}

#[test]
fn an_ally_with_no_share_of_the_supply_adds_nothing() {
    let mut s = supply(0.5, 2, 0.25);
    s.by_state[2] = 0.0;
    assert_eq!(marginal_effect(&s, &[1.0, 0.5, 0.5], 0.0, 2, 2.0), 0.0);
}

#[test]
fn licences_shrink_what_can_be_withheld() {
    let s = supply(0.5, 1, 0.5);
    assert!((withheld_share(&s, &[1.0, 1.0], 0.25) - 0.75).abs() < 1e-12);
}

#[test]
fn best_response_rises_with_the_net_benefit() {
    let p = Parameters::default().alliances;
    assert!((best_response(0.0, &p) - 0.5).abs() < 1e-12);
    assert!(best_response(0.2, &p) > 0.95);
    assert!(best_response(-0.2, &p) < 0.05);
}
