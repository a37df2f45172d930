//! The effect-analysis spec: a base scenario, a dose (successive rounds of events, or levels of one
//! parameter or instrument setting), outcomes at dates, replicates, and mechanisms to ablate.
//! docs/EFFECTS.md is the format reference.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::model::metrics::Metric;
use crate::scenario::controls::is_control_path;
use crate::scenario::error::{ScenarioError, nth_occurrence};
use crate::scenario::params::{ParamValue, Parameters};
use crate::scenario::{Date, Event, Scenario, Source};

/// An effect spec as written.
#[derive(Clone, Debug, Deserialize)]
#[serde(rename = "Effect", deny_unknown_fields)]
pub struct EffectSpec {
    /// Name; also the default output folder (`output/<name>`).
    pub name: String,
    /// One line on the question it answers.
    #[serde(default)]
    pub description: String,
    /// Base scenario: a path relative to the spec's folder, or a bundled scenario's name.
    pub scenario: String,
    /// Parameter overrides applied to every run (e.g. mechanisms switched off).
    #[serde(default)]
    pub parameters: BTreeMap<String, ParamValue>,
    /// What is increased from dose 0.
    pub dose: Dose,
    /// What is measured.
    pub outcomes: Vec<Outcome>,
    /// Replicates per dose (each replicate shares its random numbers across doses).
    pub replicates: usize,
    /// Master seed.
    pub seed: u64,
    /// Confidence of the intervals and the verdict, e.g. 0.95.
    #[serde(default = "default_confidence")]
    pub confidence: f64,
    /// Bootstrap resamples.
    #[serde(default = "default_resamples")]
    pub bootstrap_resamples: usize,
    /// Equivalence band of the "constant" verdict, as a share of the mean marginal effect.
    #[serde(default = "default_tolerance")]
    pub tolerance: f64,
    /// Mechanisms (`mechanisms.<name>`) to switch off one at a time; with two or more, also all
    /// together (`all_listed`). Omitted: every mechanism switch that is on, then all of them off
    /// together (`all_off`), read from the parameters so a new switch joins by itself. `[]`: the
    /// full model only.
    #[serde(default)]
    pub ablations: Option<Vec<String>>,
}

/// The most replicates an analysis may ask for (spec or `--replicates`): every replicate's
/// outcomes are held in memory, and 10,000 already give intervals far tighter than the model's
/// own uncertainty.
pub const MAX_REPLICATES: usize = 10_000;

/// The most bootstrap resamples: beyond 100,000 the percentile interval no longer moves.
pub const MAX_BOOTSTRAP_RESAMPLES: usize = 100_000;

/// Checks a replicate count (from the spec or `--replicates`) against [`MAX_REPLICATES`].
pub fn check_replicates(replicates: usize) -> Result<(), String> {
    if replicates > MAX_REPLICATES {
        return Err(format!(
            "`replicates` is {replicates}: at most {MAX_REPLICATES} (each replicate runs every dose \
             and ablation, and all outcomes are kept in memory)"
        ));
    }
    Ok(())
}

fn default_confidence() -> f64 {
    0.95
}

fn default_resamples() -> usize {
    1000
}

fn default_tolerance() -> f64 {
    0.05
}

/// The dose: dose 0 is the counterfactual, dose k the k-th step.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Dose {
    /// Dose k adds the first k of these events to the base scenario (successive rounds).
    Rounds {
        /// The rounds, in order.
        events: Vec<Event>,
    },
    /// Dose k sets one parameter (or instrument setting, `control.<id>.<field>`) to `values[k]`.
    Levels {
        /// The parameter path.
        path: String,
        /// Its value at each dose, dose 0 first.
        values: Vec<f64>,
    },
}

/// One measured outcome: the single value of a metric for an entity at a date.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outcome {
    /// Name in outputs, e.g. `cn_ai_compute_2027`.
    pub label: String,
    /// Metric name, as in `metrics.csv`.
    pub metric: String,
    /// State id, where the metric has one.
    #[serde(default)]
    pub state: Option<String>,
    /// Firm id, where the metric has one.
    #[serde(default)]
    pub firm: Option<String>,
    /// Sector id, where the metric has one.
    #[serde(default)]
    pub sector: Option<String>,
    /// Market (`world` or a state id), where the metric has one.
    #[serde(default)]
    pub market: Option<String>,
    /// The date the value is taken at (the tick containing it).
    pub date: Date,
}

/// A spec read from disk, with the text kept for locating errors.
#[derive(Clone, Debug)]
pub struct LoadedSpec {
    /// The spec.
    pub spec: EffectSpec,
    /// Its file.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
}

impl LoadedSpec {
    /// An error located at the first `needle` after the `nth` occurrence of `anchor`.
    pub fn error(
        &self,
        anchor: Option<(&str, usize)>,
        needle: &str,
        message: String,
    ) -> ScenarioError {
        let start = anchor
            .and_then(|(a, n)| nth_occurrence(&self.text, a, n))
            .unwrap_or(0);
        let err = ScenarioError::new(message).in_file(self.path.display().to_string());
        match self.text[start..].find(needle).map(|i| i + start) {
            Some(at) => {
                let (line, col) = crate::scenario::error::line_col(&self.text, at);
                err.at_position(&self.text, line, col, needle.chars().count())
            }
            None => err,
        }
    }

    /// Where the base scenario comes from: beside the spec, else a bundled scenario.
    pub fn base_source(&self) -> Result<Source, ScenarioError> {
        let beside = self
            .path
            .parent()
            .unwrap_or(Path::new("."))
            .join(&self.spec.scenario);
        if beside.is_file() {
            return Ok(Source::File(beside));
        }
        crate::scenario::resolve_source(Some(&self.spec.scenario)).map_err(|e| {
            let mut located = self.error(None, &format!("\"{}\"", self.spec.scenario), e.message);
            located.help = e.help;
            located
        })
    }
}

/// Reads and parses a spec file, checking what does not need the base scenario.
pub fn read(path: &Path) -> Result<LoadedSpec, ScenarioError> {
    let text = crate::scenario::load::read_input_file(path).map_err(|e| {
        ScenarioError::new(format!("cannot read effect spec: {e}"))
            .in_file(path.display().to_string())
    })?;
    let spec: EffectSpec = crate::scenario::load::parse_ron(&path.display().to_string(), &text)
        .map_err(|mut err| {
            err.help = err
                .help
                .map(|h| h.replace("docs/SCENARIOS.md", "docs/EFFECTS.md"));
            err
        })?;
    let loaded = LoadedSpec {
        spec,
        path: path.to_path_buf(),
        text,
    };
    check(&loaded)?;
    Ok(loaded)
}

fn check(l: &LoadedSpec) -> Result<(), ScenarioError> {
    let s = &l.spec;
    if !crate::scenario::types::is_folder_name(&s.name) {
        return Err(l
            .error(
                None,
                "name",
                format!("effect name `{}` cannot name an output folder", s.name),
            )
            .with_help(crate::scenario::types::FOLDER_NAME_HELP));
    }
    check_replicates(s.replicates).map_err(|e| {
        l.error(None, "replicates", e)
            .with_help("200 replicates give tight intervals on the default scenario")
    })?;
    if s.replicates < 2 {
        return Err(l
            .error(
                None,
                "replicates",
                format!(
                    "`replicates` is {}: intervals need at least 2",
                    s.replicates
                ),
            )
            .with_help("200 replicates give tight intervals on the default scenario"));
    }
    if !(s.confidence > 0.0 && s.confidence < 1.0) {
        return Err(l.error(
            None,
            "confidence",
            format!(
                "`confidence` is {}: it must be between 0 and 1",
                s.confidence
            ),
        ));
    }
    if !(100..=MAX_BOOTSTRAP_RESAMPLES).contains(&s.bootstrap_resamples) {
        return Err(l.error(
            None,
            "bootstrap_resamples",
            format!(
                "`bootstrap_resamples` is {}: it must be between 100 and {MAX_BOOTSTRAP_RESAMPLES}",
                s.bootstrap_resamples
            ),
        ));
    }
    if !(s.tolerance >= 0.0 && s.tolerance.is_finite()) {
        return Err(l.error(None, "tolerance", "`tolerance` must be ≥ 0".into()));
    }
    let doses = match &s.dose {
        Dose::Rounds { events } => events.len() + 1,
        Dose::Levels { values, path } => {
            if let Some(bad) = values.iter().find(|v| !v.is_finite()) {
                return Err(l.error(
                    None,
                    "values",
                    format!("dose value {bad} is not a finite number"),
                ));
            }
            if !is_control_path(path) && !Parameters::paths().contains(path) {
                let suggestion = crate::scenario::params::closest(path, &Parameters::paths());
                return Err(l
                    .error(
                        None,
                        &format!("\"{path}\""),
                        format!("unknown parameter `{path}`"),
                    )
                    .with_help(match suggestion {
                        Some(s) => {
                            format!("did you mean `{s}`? `chokepoint params` lists every parameter")
                        }
                        None => "`chokepoint params` lists every parameter".into(),
                    }));
            }
            values.len()
        }
    };
    if doses < 2 {
        return Err(l
            .error(
                None,
                "dose",
                format!(
                    "the dose has {doses} level(s): an effect needs dose 0 and at least one more"
                ),
            )
            .with_help("a curvature verdict needs at least three doses (0, 1, 2)"));
    }
    if s.outcomes.is_empty() {
        return Err(l.error(None, "outcomes", "no outcomes: name at least one".into()));
    }
    let mut labels = Vec::new();
    for (i, o) in s.outcomes.iter().enumerate() {
        if Metric::from_name(&o.metric).is_none() {
            let names: Vec<&str> = Metric::ALL.iter().map(|m| m.name()).collect();
            return Err(l
                .error(
                    Some(("Outcome(", i)),
                    &format!("\"{}\"", o.metric),
                    format!("outcomes[{i}]: unknown metric `{}`", o.metric),
                )
                .with_help(format!("valid metrics: {}", names.join(", "))));
        }
        if labels.contains(&o.label) {
            return Err(l.error(
                Some(("Outcome(", i)),
                "label",
                format!("outcome label `{}` is used twice", o.label),
            ));
        }
        labels.push(o.label.clone());
    }
    let mechanisms = mechanism_switches();
    let listed: &[String] = s.ablations.as_deref().unwrap_or(&[]);
    for (i, a) in listed.iter().enumerate() {
        if listed[..i].contains(a) {
            return Err(l
                .error(
                    Some(("ablations", 0)),
                    &format!("\"{a}\""),
                    format!("mechanism `{a}` is listed twice in ablations"),
                )
                .with_help("list each mechanism once"));
        }
        if !mechanisms.contains(a) {
            return Err(l
                .error(
                    Some(("ablations", 0)),
                    &format!("\"{a}\""),
                    format!("unknown mechanism `{a}` in ablations"),
                )
                .with_help(format!("valid mechanisms: {}", mechanisms.join(", "))));
        }
    }
    Ok(())
}

/// Every mechanism switch, by name (`substitution` for `mechanisms.substitution`), in path order.
pub fn mechanism_switches() -> Vec<String> {
    Parameters::paths()
        .into_iter()
        .filter_map(|p| p.strip_prefix("mechanisms.").map(str::to_string))
        .collect()
}

/// The scenario of every dose (index = dose), built on a loaded base.
pub fn dose_scenarios(
    l: &LoadedSpec,
    base: &Scenario,
    extra: &[(String, ParamValue)],
) -> Result<Vec<Scenario>, ScenarioError> {
    let with_params =
        |s: &Scenario, more: &[(String, ParamValue)]| -> Result<Scenario, ScenarioError> {
            let mut s = s.clone();
            let all: Vec<(&str, &ParamValue)> = l
                .spec
                .parameters
                .iter()
                .map(|(k, v)| (k.as_str(), v))
                .chain(more.iter().map(|(k, v)| (k.as_str(), v)))
                .filter(|(k, _)| !is_control_path(k))
                .collect();
            s.parameters = s
                .parameters
                .with_overrides(all)
                .map_err(|e| l.error(None, "parameters", e.to_string()))?;
            for (path, value) in more.iter().filter(|(k, _)| is_control_path(k)) {
                crate::scenario::controls::apply_control_override(&mut s, path, value).map_err(
                    |e| {
                        let mut located = l.error(None, &format!("\"{path}\""), e.message);
                        located.help = e.help;
                        located
                    },
                )?;
            }
            Ok(s)
        };
    match &l.spec.dose {
        Dose::Rounds { events } => {
            let base = with_params(base, extra)?;
            (0..=events.len())
                .map(|k| {
                    let mut s = base.clone();
                    s.events.extend(events[..k].iter().cloned());
                    s.events.sort_by_key(|e| e.date);
                    crate::scenario::validate::validate_detached(&s).map_err(|e| {
                        // Report the spec's own event, not the merged scenario's index.
                        let round = k.saturating_sub(1);
                        let mut located = l.error(
                            Some(("Event(", round)),
                            "action",
                            format!("dose.events[{round}]: {}", e.message),
                        );
                        located.help = e.help;
                        located
                    })?;
                    Ok(s)
                })
                .collect()
        }
        Dose::Levels { path, values } => values
            .iter()
            .enumerate()
            .map(|(k, v)| {
                let mut more = extra.to_vec();
                more.push((path.clone(), ParamValue::Number(*v)));
                let s = with_params(base, &more).map_err(|e| {
                    // An error about the dose's own path is the dose value's: point at it.
                    if !e.message.contains(&format!("`{path}`")) {
                        return e;
                    }
                    let message = format!("dose {k} ({path} = {v}): {}", e.message);
                    let value = v.to_string();
                    let mut located = l.error(Some(("values", 0)), &value, message.clone());
                    if located.position.is_none() {
                        located = l.error(Some(("values", 0)), "values", message);
                    }
                    located.help = e.help;
                    located
                })?;
                crate::scenario::validate::validate_detached(&s).map_err(|e| {
                    let mut located = l.error(
                        Some(("values", 0)),
                        "values",
                        format!("dose {k} ({path} = {v}): {}", e.message),
                    );
                    located.help = e.help;
                    located
                })?;
                Ok(s)
            })
            .collect(),
    }
}
