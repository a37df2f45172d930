//! Policy choices as override paths: `control.<id>.max_capability` sets the threshold of every
//! `ExportControl` event with that instrument id, so a sweep can vary a control's stringency and
//! `chokepoint run --set control.<id>.max_capability=…` repeats any such run.

use super::error::ScenarioError;
use super::types::{Action, Scenario};
use crate::model::params::ParamValue;

/// The prefix of control override paths.
pub const CONTROL_PREFIX: &str = "control.";

/// Whether `path` names a policy instrument rather than a model parameter.
pub fn is_control_path(path: &str) -> bool {
    path.starts_with(CONTROL_PREFIX)
}

/// Every control override path the scenario offers, in event order without repeats.
pub fn control_paths(scenario: &Scenario) -> Vec<String> {
    let mut paths: Vec<String> = Vec::new();
    for event in &scenario.events {
        if let Action::ExportControl { id, .. } = &event.action {
            let path = format!("{CONTROL_PREFIX}{id}.max_capability");
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    paths
}

/// The threshold of the first `ExportControl` event of instrument `id`, if any.
pub fn control_threshold(scenario: &Scenario, path: &str) -> Option<f64> {
    let id = control_id(path)?;
    scenario.events.iter().find_map(|e| match &e.action {
        Action::ExportControl {
            id: i,
            max_capability,
            ..
        } if i == id => Some(*max_capability),
        _ => None,
    })
}

fn control_id(path: &str) -> Option<&str> {
    path.strip_prefix(CONTROL_PREFIX)?
        .strip_suffix(".max_capability")
}

/// Sets the threshold of every `ExportControl` event of the instrument named in `path`.
pub fn apply_control_override(
    scenario: &mut Scenario,
    path: &str,
    value: &ParamValue,
) -> Result<(), ScenarioError> {
    let valid = control_paths(scenario);
    let help = || {
        if valid.is_empty() {
            "this scenario has no export controls; add an ExportControl event first".to_string()
        } else {
            format!("valid control paths: {}", valid.join(", "))
        }
    };
    let Some(id) = control_id(path).filter(|_| valid.iter().any(|v| v == path)) else {
        return Err(
            ScenarioError::new(format!("unknown policy instrument path `{path}`"))
                .with_help(help()),
        );
    };
    let threshold = match value {
        ParamValue::Number(x) if x.is_finite() => *x,
        other => {
            return Err(ScenarioError::new(format!(
                "`{path}` must be a finite number (frontier-years), found {other}"
            ))
            .with_help("e.g. -0.25 controls products within a quarter-year of the 2022 frontier"));
        }
    };
    for event in &mut scenario.events {
        if let Action::ExportControl {
            id: i,
            max_capability,
            ..
        } = &mut event.action
            && i == id
        {
            *max_capability = threshold;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{Overrides, load_str};

    fn export_control() -> Scenario {
        let (name, text) = crate::scenario::load::BUNDLED[1];
        load_str(name, text, &Overrides::default()).unwrap()
    }

    #[test]
    fn control_threshold_override_changes_every_event_of_the_instrument() {
        let mut s = export_control();
        assert_eq!(
            control_paths(&s),
            vec!["control.us_ai_chips.max_capability".to_string()]
        );
        apply_control_override(
            &mut s,
            "control.us_ai_chips.max_capability",
            &ParamValue::Number(-2.0),
        )
        .unwrap();
        assert_eq!(
            control_threshold(&s, "control.us_ai_chips.max_capability"),
            Some(-2.0)
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
