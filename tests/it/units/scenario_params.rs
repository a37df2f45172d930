//! Tests of `src/scenario/params.rs`.

use chokepoint::scenario::params::*;
use serde_json::Value;

#[test]
fn defaults_pass_their_own_checks() {
    assert_eq!(Parameters::default().check(), Ok(()));
}

#[test]
fn override_changes_only_the_named_parameter() {
    let base = Parameters::default();
    let v = ParamValue::Number(0.25);
    let p = base
        .with_overrides([("learning.wright_learning_rate", &v)])
        .unwrap();
    assert_eq!(p.learning.wright_learning_rate, 0.25);
    assert_eq!(p.market, base.market);
}

#[test]
fn unknown_path_suggests_the_closest_valid_one() {
    let v = ParamValue::Number(0.25);
    let err = Parameters::default()
        .with_overrides([("learning.wright_learnig_rate", &v)])
        .unwrap_err();
    assert_eq!(
        err,
        ParamError::UnknownPath {
            path: "learning.wright_learnig_rate".into(),
            suggestion: Some("learning.wright_learning_rate".into())
        }
    );
}

#[test]
fn wrong_types_and_ranges_are_refused() {
    let t = ParamValue::Text("high".into());
    assert!(
        Parameters::default()
            .with_overrides([("market.home_bias", &t)])
            .is_err()
    );
    let p = ParamValue::Number(1.5);
    assert!(
        Parameters::default()
            .with_overrides([("production.target_utilization", &p)])
            .is_err()
    );
    let n = ParamValue::Number(2.5);
    assert!(
        Parameters::default()
            .with_overrides([("market.spillover_passes", &n)])
            .is_err()
    );
    let b = ParamValue::Number(1.0);
    assert!(
        Parameters::default()
            .with_overrides([("mechanisms.catch_up", &b)])
            .is_err()
    );
}

#[test]
fn the_rationing_rule_is_chosen_by_name_and_a_wrong_name_is_refused_with_its_path() {
    let pro_rata = ParamValue::Text("pro_rata".into());
    let p = Parameters::default()
        .with_overrides([("production.rationing", &pro_rata)])
        .unwrap();
    assert_eq!(p.production.rationing, Rationing::ProRata);
    let wrong = ParamValue::Text("first_come".into());
    let err = Parameters::default()
        .with_overrides([("production.rationing", &wrong)])
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.contains("production.rationing") && text.contains("willingness_to_pay"),
        "{text}"
    );
}

#[test]
fn flat_form_round_trips() {
    let p = Parameters::default();
    let flat = p.to_flat();
    let values: Vec<(String, ParamValue)> = flat
        .iter()
        .map(|(k, v)| {
            let pv = match v {
                Value::Bool(b) => ParamValue::Bool(*b),
                Value::String(t) => ParamValue::Text(t.clone()),
                other => ParamValue::Number(other.as_f64().unwrap()),
            };
            (k.clone(), pv)
        })
        .collect();
    let back = Parameters::default()
        .with_overrides(values.iter().map(|(k, v)| (k.as_str(), v)))
        .unwrap();
    assert_eq!(back, p);
}
