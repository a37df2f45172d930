//! Policy choices as override paths: `control.<id>.<field>` sets a numeric field of every event of
//! the instrument with that id (`control.us_ai_chips.max_capability`,
//! `control.us_ai_chips.licence_approval_rate`, `control.big_fund.rd_usd_b_per_year` …), so that
//! sweeps and effect analyses can vary an instrument's stringency the way they vary a parameter,
//! and `chokepoint run --set control.<id>.<field>=…` repeats any such run.

use super::error::ScenarioError;
use super::types::{Action, Scenario};
use crate::scenario::params::ParamValue;

/// The prefix of control override paths.
pub const CONTROL_PREFIX: &str = "control.";

/// Whether `path` names a policy instrument rather than a model parameter.
pub fn is_control_path(path: &str) -> bool {
    path.starts_with(CONTROL_PREFIX)
}

/// The numeric fields of an action, by name, with their values.
fn numeric_fields(action: &Action) -> Vec<(String, f64)> {
    let value = serde_json::to_value(action).expect("actions serialize");
    let Some((_, fields)) = value.as_object().and_then(|o| o.iter().next()) else {
        return Vec::new();
    };
    fields
        .as_object()
        .map(|f| {
            f.iter()
                .filter_map(|(k, v)| v.as_f64().map(|x| (k.clone(), x)))
                .collect()
        })
        .unwrap_or_default()
}

/// Every control override path the scenario offers, in event order without repeats.
pub fn control_paths(scenario: &Scenario) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for event in &scenario.events {
        for (field, _) in numeric_fields(&event.action) {
            let path = format!("{CONTROL_PREFIX}{}.{field}", event.action.instrument_id());
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    paths
}

fn split(path: &str) -> Option<(&str, &str)> {
    path.strip_prefix(CONTROL_PREFIX)?.rsplit_once('.')
}

/// Sets the field named in `path` on every event of its instrument. The caller validates the
/// scenario afterwards (ranges such as rates within [0, 1] are checked there).
pub fn apply_control_override(
    scenario: &mut Scenario,
    path: &str,
    value: &ParamValue,
) -> Result<(), ScenarioError> {
    let valid = control_paths(scenario);
    if !valid.iter().any(|v| v == path) {
        let help = if valid.is_empty() {
            "this scenario has no export controls or other instruments with numeric settings; add the event first".to_string()
        } else {
            format!("valid control paths: {}", valid.join(", "))
        };
        return Err(
            ScenarioError::new(format!("unknown policy instrument path `{path}`")).with_help(help),
        );
    }
    let (id, field) = split(path).expect("listed paths split");
    let x = match value {
        ParamValue::Number(x) if x.is_finite() => *x,
        other => {
            return Err(ScenarioError::new(format!(
                "`{path}` must be a finite number, found {other}"
            )));
        }
    };
    for event in scenario
        .events
        .iter_mut()
        .filter(|e| e.action.instrument_id() == id)
    {
        let mut tree = serde_json::to_value(&event.action).expect("actions serialize");
        if let Some(slot) = tree
            .as_object_mut()
            .and_then(|o| o.values_mut().next())
            .and_then(|f| f.get_mut(field))
        {
            *slot = serde_json::Value::from(x);
        }
        event.action = serde_json::from_value(tree)
            .map_err(|e| ScenarioError::new(format!("`{path}`: {e}")))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Overrides, load_str};

    /// The value a control path has in the scenario: the field of the instrument's first event.
    fn control_value(scenario: &Scenario, path: &str) -> Option<f64> {
        let (id, field) = split(path)?;
        scenario
            .events
            .iter()
            .filter(|e| e.action.instrument_id() == id)
            .find_map(|e| {
                numeric_fields(&e.action)
                    .into_iter()
                    .find(|(f, _)| f == field)
                    .map(|(_, x)| x)
            })
    }

    fn export_control() -> Scenario {
        let (name, text) = crate::scenario::load::BUNDLED[1];
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
}
