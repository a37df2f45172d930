//! Policy choices as override paths: `control.<id>.<field>` sets a numeric field of every event of
//! the instrument with that id (`control.us_ai_chips.max_capability`,
//! `control.us_ai_chips.licence_approval_rate`, `control.big_fund.rd_usd_b_per_year` …), and
//! `alliance.<id>.<STATE>` (true or false) makes a state a member of an alliance or not, so that
//! sweeps and effect analyses can vary an instrument's stringency or a coalition's composition the
//! way they vary a parameter, and `chokepoint run --set …` repeats any such run.

use super::error::ScenarioError;
use super::types::{Action, Scenario};
use crate::scenario::params::ParamValue;

/// The prefix of control override paths.
pub const CONTROL_PREFIX: &str = "control.";

/// The prefix of alliance membership paths, `alliance.<alliance id>.<state id>`.
pub const ALLIANCE_PREFIX: &str = "alliance.";

/// Whether `path` names a policy instrument or an alliance membership rather than a model
/// parameter.
pub fn is_control_path(path: &str) -> bool {
    path.starts_with(CONTROL_PREFIX) || is_alliance_path(path)
}

/// Whether `path` names an alliance membership (a true/false choice).
pub fn is_alliance_path(path: &str) -> bool {
    path.starts_with(ALLIANCE_PREFIX)
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

/// Every control override path the scenario offers, in event order without repeats, then every
/// alliance membership path (each alliance × each state).
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
    for alliance in &scenario.alliances {
        for state in &scenario.states {
            paths.push(format!("{ALLIANCE_PREFIX}{}.{}", alliance.id, state.id));
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
        let controls: Vec<&str> = valid
            .iter()
            .filter(|v| !is_alliance_path(v))
            .map(String::as_str)
            .collect();
        let help = if is_alliance_path(path) {
            let alliances: Vec<&str> = scenario.alliances.iter().map(|a| a.id.as_str()).collect();
            if alliances.is_empty() {
                "this scenario lists no alliances; add one under `alliances: [...]` first"
                    .to_string()
            } else {
                format!(
                    "alliance paths are `alliance.<alliance>.<STATE>`; alliances: {}",
                    alliances.join(", ")
                )
            }
        } else if controls.is_empty() {
            "this scenario has no export controls or other instruments with numeric settings; add the event first".to_string()
        } else {
            format!("valid control paths: {}", controls.join(", "))
        };
        return Err(
            ScenarioError::new(format!("unknown policy instrument path `{path}`")).with_help(help),
        );
    }
    if let Some((alliance, state)) = path
        .strip_prefix(ALLIANCE_PREFIX)
        .and_then(|rest| rest.split_once('.'))
    {
        let ParamValue::Bool(member) = value else {
            return Err(ScenarioError::new(format!(
                "`{path}` is an alliance membership and takes true or false, found {value}"
            )));
        };
        let alliance = scenario
            .alliances
            .iter_mut()
            .find(|a| a.id == alliance)
            .expect("listed paths name alliances");
        alliance.members.retain(|m| m != state);
        if *member {
            alliance.members.push(state.to_string());
        }
        return Ok(());
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
