//! Tests of `src/scenario/controls.rs`.

use chokepoint::scenario::Scenario;
use chokepoint::scenario::controls::*;
use chokepoint::scenario::params::ParamValue;
use chokepoint::scenario::{Overrides, load_str};

/// The value a control path has in the scenario: the field of the instrument's first event, read
/// from the action's serialized form (`{"Variant": {"field": value, …}}`), as the override sees it.
fn control_value(scenario: &Scenario, path: &str) -> Option<f64> {
    let (id, field) = path.strip_prefix(CONTROL_PREFIX)?.rsplit_once('.')?;
    scenario
        .events
        .iter()
        .filter(|e| e.action.instrument_id() == id)
        .find_map(|e| {
            let value = serde_json::to_value(&e.action).expect("actions serialize");
            let (_, fields) = value.as_object()?.iter().next()?;
            fields.get(field)?.as_f64()
        })
}

fn export_control() -> Scenario {
    let (name, text) = chokepoint::scenario::load::BUNDLED[1];
    load_str(name, text, &Overrides::default()).unwrap()
}

#[test]
fn every_numeric_field_of_an_instrument_is_a_path() {
    let s = export_control();
    let paths = control_paths(&s);
    assert!(paths.contains(&"control.us_ai_chips.max_capability".to_string()));
    assert!(paths.contains(&"control.us_ai_chips.licence_approval_rate".to_string()));
}

#[test]
fn an_override_changes_every_event_of_the_instrument() {
    let mut s = export_control();
    apply_control_override(
        &mut s,
        "control.us_ai_chips.max_capability",
        &ParamValue::Number(-2.0),
    )
    .unwrap();
    apply_control_override(
        &mut s,
        "control.us_ai_chips.licence_approval_rate",
        &ParamValue::Number(0.4),
    )
    .unwrap();
    assert_eq!(
        control_value(&s, "control.us_ai_chips.max_capability"),
        Some(-2.0)
    );
    assert_eq!(
        control_value(&s, "control.us_ai_chips.licence_approval_rate"),
        Some(0.4)
    );
}

#[test]
fn an_alliance_path_adds_or_removes_a_member() {
    let mut s = export_control();
    let chip4 = |s: &Scenario| {
        s.alliances
            .iter()
            .find(|a| a.id == "chip4")
            .expect("chip4 bundled")
            .members
            .clone()
    };
    assert!(chip4(&s).contains(&"KR".to_string()));
    apply_control_override(&mut s, "alliance.chip4.KR", &ParamValue::Bool(false)).unwrap();
    assert!(!chip4(&s).contains(&"KR".to_string()));
    apply_control_override(&mut s, "alliance.chip4.NL", &ParamValue::Bool(true)).unwrap();
    assert!(chip4(&s).contains(&"NL".to_string()));
    let err =
        apply_control_override(&mut s, "alliance.chip4.NL", &ParamValue::Number(1.0)).unwrap_err();
    assert!(err.to_string().contains("true or false"), "{err}");
}

#[test]
fn unknown_instrument_lists_the_valid_paths() {
    let mut s = export_control();
    let err = apply_control_override(
        &mut s,
        "control.us_chips.max_capability",
        &ParamValue::Number(0.0),
    )
    .unwrap_err();
    assert!(
        err.to_string()
            .contains("control.us_ai_chips.max_capability")
    );
}
