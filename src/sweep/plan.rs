//! A validated sweep: the spec checked against its base scenario, the design points drawn, every
//! run's seed and overrides fixed, and the outcome columns enumerated — all before any run, so bad
//! input is refused with nothing written. [`Plan::run`] executes one run and returns its kept
//! outcomes, one value per column (NaN where the model recorded nothing).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::design::{self, MorrisDesign, SaltelliDesign};
use super::spec::{self, DesignSpec, Dist, SensitivitySettings, SweepSpec};
use crate::labels::Names;
use crate::model::metrics::{self, Metric, NONE, RowKey, Selection, WORLD};
use crate::model::{self as sim};
use crate::provenance::{build_info, sha256_hex};
use crate::scenario::controls::{
    apply_control_override, control_paths, is_alliance_path, is_control_path,
};
use crate::scenario::error::locate;
use crate::scenario::load::BUNDLED;
use crate::scenario::params::{ParamValue, Parameters, closest};
use crate::scenario::{Overrides, Scenario, ScenarioError, Source, scenario_hash};

/// What kind of value a varied parameter takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FactorKind {
    /// A real-valued model parameter.
    Real,
    /// A whole-number model parameter (grids only).
    Whole,
    /// A switch (grids only).
    Switch,
    /// An export control's threshold (`control.<id>.max_capability`).
    Control,
}

/// One varied parameter of a plan.
#[derive(Clone, Debug, PartialEq)]
pub struct Factor {
    /// Parameter or control path.
    pub path: String,
    /// Its distribution or listed values, as in the spec.
    pub dist: Dist,
    /// What kind of value it takes.
    pub kind: FactorKind,
}

/// One kept outcome: a metric row's entities at one tick.
#[derive(Clone, Debug, PartialEq)]
pub struct Column {
    /// Header in `runs.csv`, e.g. `ai_compute[CN]@2025-06-01`.
    pub name: String,
    /// Tick.
    pub tick: u32,
    /// Metric and entity indices.
    pub key: RowKey,
}

/// The unit-cube design behind the points, where an estimator needs its structure.
#[derive(Clone, Debug, PartialEq)]
pub enum Layout {
    /// Grid, random or Latin hypercube points: no sensitivity indices.
    Plain,
    /// Saltelli blocks for Sobol' indices.
    Saltelli(SaltelliDesign),
    /// Morris trajectories for elementary effects.
    Morris(MorrisDesign),
}

/// A sweep ready to run.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The spec as parsed.
    pub spec: SweepSpec,
    /// The spec file's text, verbatim (written to `sweep.ron`).
    pub spec_text: String,
    /// The effective base scenario (spec's `ticks` applied).
    pub base: Scenario,
    /// Where the base scenario came from, for the manifest.
    pub source: String,
    /// The varied parameters, in spec order.
    pub factors: Vec<Factor>,
    /// Values of the factors at each design point.
    pub points: Vec<Vec<ParamValue>>,
    /// The design's structure, for sensitivity estimators.
    pub layout: Layout,
    /// The kept outcomes, in `runs.csv` column order.
    pub columns: Vec<Column>,
    /// Sensitivity settings in force.
    pub sensitivity: SensitivitySettings,
    /// Identity of this sweep: spec, base scenario and build (16 hex digits, see [`sweep_id`]).
    pub id: String,
    selection: Selection,
    column_of: HashMap<(u32, RowKey), usize>,
}

/// The documented seed formula (docs/SWEEPS.md): the first 8 bytes, little-endian, of
/// SHA-256(`"chokepoint-run-seed"` ‖ master ‖ point ‖ replicate), each number as 8 bytes
/// little-endian.
pub fn run_seed(master: u64, point: u64, replicate: u64) -> u64 {
    let mut h = Sha256::new();
    h.update(b"chokepoint-run-seed");
    h.update(master.to_le_bytes());
    h.update(point.to_le_bytes());
    h.update(replicate.to_le_bytes());
    let digest = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// A ChaCha8 stream for a sweep-level purpose (`"design"`, `"bootstrap"`), keyed by the master
/// seed and an index.
pub fn purpose_rng(purpose: &str, master: u64, index: u64) -> ChaCha8Rng {
    let mut h = Sha256::new();
    h.update(b"chokepoint-");
    h.update(purpose.as_bytes());
    h.update(master.to_le_bytes());
    h.update(index.to_le_bytes());
    ChaCha8Rng::from_seed(h.finalize().into())
}

/// Reads, resolves and validates a spec file: the base scenario is looked up relative to the
/// spec's folder first, then among the bundled scenarios.
pub fn load_plan(spec_path: &Path) -> Result<Plan, ScenarioError> {
    let name = spec_path.display().to_string();
    let text = crate::scenario::load::read_input_file(spec_path).map_err(|e| {
        ScenarioError::new(format!("cannot read sweep spec: {e}"))
            .in_file(name.clone())
            .with_help("give the path of a sweep spec (.ron); examples are in scenarios/sweeps/")
    })?;
    let spec = spec::parse(&name, &text)?;
    let folder = spec_path.parent().unwrap_or(Path::new(""));
    let beside = folder.join(&spec.scenario);
    let bundled = if spec.scenario.ends_with(".ron") {
        spec.scenario.clone()
    } else {
        format!("{}.ron", spec.scenario)
    };
    let source = if beside.is_file() {
        Source::File(beside)
    } else if BUNDLED.iter().any(|(n, _)| *n == bundled) {
        Source::Bundled(bundled)
    } else {
        let names: Vec<&str> = BUNDLED
            .iter()
            .map(|(n, _)| n.trim_end_matches(".ron"))
            .collect();
        let needle = format!("\"{}\"", spec.scenario);
        let err = ScenarioError::new(format!(
            "no scenario `{}`: no file `{}` beside the spec, and no bundled scenario of that name",
            spec.scenario,
            beside.display()
        ))
        .in_file(name.clone())
        .with_help(format!(
            "give a path relative to the spec's folder, or a bundled scenario: {}",
            names.join(", ")
        ));
        return Err(match locate(&text, Some("scenario"), &needle) {
            Some((line, col)) => err.at_position(&text, line, col, needle.chars().count()),
            None => err,
        });
    };
    if let Some(Err(message)) = spec.ticks.map(crate::scenario::validate::check_ticks) {
        let err = ScenarioError::new(message).in_file(name.clone());
        return Err(match locate(&text, None, "ticks:") {
            Some((line, col)) => err.at_position(&text, line, col, "ticks".len()),
            None => err,
        });
    }
    let overrides = Overrides {
        ticks: spec.ticks,
        ..Overrides::default()
    };
    let loaded = crate::scenario::load(&source, &overrides)?;
    Plan::new(spec, text, &name, loaded.scenario, source.display())
}

/// The most design points a sweep may draw: the design is held in memory as parameter values.
pub const MAX_DESIGN_POINTS: usize = 1_000_000;

/// The most runs (design points × replicates) one sweep may have: every run's kept outcomes are
/// read back into memory to write the summaries (10 million runs of 50 columns is 4 GB).
pub const MAX_RUNS: usize = 10_000_000;

impl Plan {
    /// Validates `spec` against the effective base scenario and draws the design.
    pub fn new(
        spec: SweepSpec,
        spec_text: String,
        spec_name: &str,
        base: Scenario,
        source: String,
    ) -> Result<Plan, ScenarioError> {
        let at = |needle: &str, anchor: Option<&str>, message: String| {
            let err = ScenarioError::new(message).in_file(spec_name);
            match locate(&spec_text, anchor, needle) {
                Some((line, col)) => err.at_position(&spec_text, line, col, needle.chars().count()),
                None => err,
            }
        };
        if !crate::scenario::types::is_folder_name(&spec.name) {
            return Err(at(
                &format!("\"{}\"", spec.name),
                Some("name"),
                format!("sweep name `{}` is not a folder name", spec.name),
            )
            .with_help(crate::scenario::types::FOLDER_NAME_HELP));
        }
        let factors = check_factors(&spec, &base, &at)?;
        if spec.replicates == 0 {
            return Err(
                at("replicates", None, "replicates must be at least 1".into())
                    .with_help("each design point runs `replicates` times with different seeds"),
            );
        }
        let sensitivity = spec.sensitivity.clone().unwrap_or_default();
        if !(sensitivity.confidence > 0.0 && sensitivity.confidence < 1.0)
            || sensitivity.bootstrap == 0
        {
            return Err(at(
                "sensitivity",
                None,
                "sensitivity needs bootstrap ≥ 1 and 0 < confidence < 1".into(),
            )
            .with_help("e.g. sensitivity: Sensitivity(bootstrap: 1000, confidence: 0.95)"));
        }
        let (points, layout) = draw_design(&spec, &factors, &at)?;
        let runs = points.len().checked_mul(spec.replicates as usize);
        if runs.is_none_or(|r| r > MAX_RUNS) {
            return Err(at(
                "replicates",
                None,
                format!(
                    "the sweep has {} design points × {} replicates: more than {MAX_RUNS} runs",
                    points.len(),
                    spec.replicates
                ),
            )
            .with_help("use fewer points or replicates, or split the study into several sweeps"));
        }
        let (columns, selection) = check_keep(&spec, &base, &at)?;
        let column_of = columns
            .iter()
            .enumerate()
            .map(|(i, c)| ((c.tick, c.key), i))
            .collect();
        let id = sweep_id(&spec, &base);
        let plan = Plan {
            spec,
            spec_text,
            base,
            source,
            factors,
            points,
            layout,
            columns,
            sensitivity,
            id,
            selection,
            column_of,
        };
        plan.check_points(spec_name)?;
        Ok(plan)
    }

    /// Number of runs: design points × replicates.
    pub fn runs(&self) -> usize {
        self.points.len() * self.spec.replicates as usize
    }

    /// The design point of a run.
    pub fn point_of(&self, run: usize) -> usize {
        run / self.spec.replicates as usize
    }

    /// The replicate number of a run within its point.
    pub fn replicate_of(&self, run: usize) -> usize {
        run % self.spec.replicates as usize
    }

    /// A run's seed by the documented formula ([`run_seed`]); with common random numbers the
    /// point term is always 0.
    pub fn seed_of(&self, run: usize) -> u64 {
        let point = if self.spec.common_random_numbers {
            0
        } else {
            self.point_of(run) as u64
        };
        run_seed(self.spec.seed, point, self.replicate_of(run) as u64)
    }

    fn overrides_of(&self, point: usize) -> impl Iterator<Item = (&str, &ParamValue)> {
        self.factors
            .iter()
            .zip(&self.points[point])
            .map(|(f, v)| (f.path.as_str(), v))
    }

    /// The scenario of one run: the base with the run's seed and its point's values.
    pub fn scenario_for(&self, run: usize) -> Result<Scenario, ScenarioError> {
        let point = self.point_of(run);
        let mut scenario = self.base.clone();
        scenario.seed = self.seed_of(run);
        let params: Vec<(&str, &ParamValue)> = self
            .overrides_of(point)
            .filter(|(p, _)| !is_control_path(p))
            .collect();
        if !params.is_empty() {
            scenario.parameters = self
                .base
                .parameters
                .with_overrides(params)
                .map_err(|e| ScenarioError::new(format!("design point {point}: {e}")))?;
        }
        for (path, value) in self.overrides_of(point).filter(|(p, _)| is_control_path(p)) {
            apply_control_override(&mut scenario, path, value)?;
        }
        Ok(scenario)
    }

    /// Runs one run and returns its kept outcomes, one per column, NaN where not recorded.
    pub fn run(&self, run: usize) -> Result<Vec<f64>, String> {
        let scenario = self.scenario_for(run).map_err(|e| e.to_string())?;
        let rows = sim::try_run(&scenario, self.selection.clone()).map_err(|e| e.to_string())?;
        let mut values = vec![f64::NAN; self.columns.len()];
        for row in rows.iter() {
            if let Some(&c) = self.column_of.get(&(row.tick, row.key())) {
                values[c] = row.value;
            }
        }
        Ok(values)
    }

    /// The command that repeats run `run` alone, from inside the sweep's output folder.
    pub fn repeat_command(&self, run: usize) -> String {
        let mut cmd = format!(
            "chokepoint run scenario.ron --seed {} --out run-{run}",
            self.seed_of(run)
        );
        for (path, value) in self.overrides_of(self.point_of(run)) {
            cmd.push_str(&format!(" --set {path}={value}"));
        }
        cmd
    }

    /// Applies every design point's overrides once, so that a value out of range is refused
    /// before anything runs or is written.
    fn check_points(&self, spec_name: &str) -> Result<(), ScenarioError> {
        for point in 0..self.points.len() {
            self.scenario_for(point * self.spec.replicates as usize)
                .and_then(|scenario| {
                    // A drawn value outside a parameter's valid range (a probability above 1).
                    crate::scenario::ranges::check_parameters(&scenario.parameters)
                        .map(drop)
                        .map_err(|(_, message)| ScenarioError::new(message))
                })
                .map_err(|e| {
                    let values: Vec<String> = self
                        .overrides_of(point)
                        .map(|(p, v)| format!("{p} = {v}"))
                        .collect();
                    let err = ScenarioError::new(format!(
                        "design point {point}: {} (values: {})",
                        e.message.trim_start_matches(&format!("design point {point}: ")),
                        values.join(", ")
                    ))
                    .in_file(spec_name);
                    // Point at the factor the message names, in the spec's `parameters`.
                    let located = self
                        .factors
                        .iter()
                        .map(|f| format!("\"{}\"", f.path))
                        .filter(|needle| e.message.contains(needle.trim_matches('"')))
                        .find_map(|needle| {
                            locate(&self.spec_text, Some("parameters"), &needle)
                                .map(|(line, col)| (line, col, needle.chars().count()))
                        });
                    match located {
                        Some((line, col, width)) => err.at_position(&self.spec_text, line, col, width),
                        None => err,
                    }
                    .with_help(
                            "narrow the distribution to the parameter's valid range (a Normal is \
                             unbounded: prefer Triangular or Uniform); docs/MODEL.md gives each range",
                        )
                })?;
        }
        Ok(())
    }
}

/// The sweep's identity: SHA-256 over the spec (canonical JSON), the effective base scenario's
/// hash and the build (version and git commit), first 16 hex digits. A journal or shard from
/// another build has another id, so a resumed or merged sweep never mixes two models' runs.
pub fn sweep_id(spec: &SweepSpec, base: &Scenario) -> String {
    let spec_json = serde_json::to_string(spec).unwrap_or_default();
    let (version, commit) = build_info();
    let text = format!(
        "{spec_json}\n{}\n{version}\n{}",
        scenario_hash(base),
        commit.unwrap_or_default()
    );
    sha256_hex(text.as_bytes())[..16].to_string()
}

type At<'a> = dyn Fn(&str, Option<&str>, String) -> ScenarioError + 'a;

fn check_factors(
    spec: &SweepSpec,
    base: &Scenario,
    at: &At<'_>,
) -> Result<Vec<Factor>, ScenarioError> {
    let defaults = Parameters::default().to_flat();
    let controls = control_paths(base);
    let valid: Vec<String> = defaults.keys().cloned().chain(controls.clone()).collect();
    let mut seen = BTreeSet::new();
    let mut factors = Vec::new();
    for (i, vary) in spec.parameters.iter().enumerate() {
        let needle = format!("\"{}\"", vary.path);
        let here = |message: String| at(&needle, Some("parameters"), message);
        let kind = if is_alliance_path(&vary.path) && controls.contains(&vary.path) {
            FactorKind::Switch
        } else if controls.contains(&vary.path) {
            FactorKind::Control
        } else {
            match defaults.get(&vary.path) {
                Some(Value::Bool(_)) => FactorKind::Switch,
                Some(Value::Number(n)) if n.is_u64() => FactorKind::Whole,
                Some(_) => FactorKind::Real,
                None => {
                    let mut message = format!("unknown parameter `{}`", vary.path);
                    if let Some(s) = closest(&vary.path, &valid) {
                        message.push_str(&format!(" (did you mean `{s}`?)"));
                    }
                    return Err(here(message)
                        .at_path(format!("parameters[{i}].path"))
                        .with_help(format!("valid paths: {}", valid.join(", "))));
                }
            }
        };
        if !seen.insert(vary.path.clone()) {
            return Err(here(format!("parameter `{}` is varied twice", vary.path))
                .with_help("list each parameter once"));
        }
        match (&vary.dist, spec.design.samples()) {
            (Dist::Values(values), false) => {
                if values.is_empty() {
                    return Err(here(format!("`{}` lists no values", vary.path))
                        .with_help("give at least one value: Values([0.1, 0.2])"));
                }
            }
            (Dist::Values(_), true) => {
                return Err(here(format!(
                    "`{}` lists values, but a {} design samples distributions",
                    vary.path,
                    spec.design.name()
                ))
                .with_help("use design: Grid for listed values, or give a distribution such as Uniform(low: …, high: …)"));
            }
            (_, false) => {
                return Err(here(format!(
                    "`{}` has a distribution, but a Grid design needs listed values",
                    vary.path
                ))
                .with_help("write dist: Values([…]), or choose a sampling design (LatinHypercube, Random, Sobol, Morris)"));
            }
            (dist, true) => {
                if matches!(kind, FactorKind::Switch | FactorKind::Whole) {
                    return Err(here(format!(
                        "`{}` is a {} and cannot be sampled from a distribution",
                        vary.path,
                        if kind == FactorKind::Switch {
                            "switch (true/false)"
                        } else {
                            "whole number"
                        }
                    ))
                    .with_help("vary it in a Grid with Values([…])"));
                }
                if let Some(d) = dist.distribution()
                    && let Err(e) = d.validate()
                {
                    return Err(here(format!("`{}`: {e}", vary.path))
                        .with_help("a range needs low < high, both finite"));
                }
                if matches!(spec.design, DesignSpec::Morris { .. })
                    && matches!(dist, Dist::Normal { .. })
                {
                    return Err(here(format!(
                        "`{}`: a Morris design cannot use a Normal distribution",
                        vary.path
                    ))
                    .with_help("Morris moves on a grid that includes both ends of each range; use Uniform, LogUniform or Triangular"));
                }
            }
        }
        factors.push(Factor {
            path: vary.path.clone(),
            dist: vary.dist.clone(),
            kind,
        });
    }
    Ok(factors)
}

fn draw_design(
    spec: &SweepSpec,
    factors: &[Factor],
    at: &At<'_>,
) -> Result<(Vec<Vec<ParamValue>>, Layout), ScenarioError> {
    let dims = factors.len();
    let unfit = |e: design::DesignError| {
        at(
            "design",
            None,
            format!("the {} design does not fit: {e}", spec.design.name()),
        )
        .with_help(format!(
            "the sweep varies {dims} parameter(s); docs/SWEEPS.md gives each design's limits"
        ))
    };
    let too_large = || {
        at(
            "design",
            None,
            format!(
                "the {} design has more than {MAX_DESIGN_POINTS} points",
                spec.design.name()
            ),
        )
        .with_help("use fewer points, base samples or trajectories (docs/SWEEPS.md, \"Limits\")")
    };
    let mut rng = purpose_rng("design", spec.seed, 0);
    let (unit, layout) = match spec.design {
        DesignSpec::Grid => {
            let lists: Vec<&Vec<ParamValue>> = factors
                .iter()
                .filter_map(|f| match &f.dist {
                    Dist::Values(v) => Some(v),
                    _ => None,
                })
                .collect();
            let total = lists
                .iter()
                .try_fold(1usize, |acc, l| acc.checked_mul(l.len()))
                .filter(|&n| n <= MAX_DESIGN_POINTS)
                .ok_or_else(too_large)?;
            let points = (0..total)
                .map(|mut index| {
                    let mut values = vec![ParamValue::Bool(false); lists.len()];
                    for (slot, list) in values.iter_mut().zip(&lists).rev() {
                        *slot = list[index % list.len()].clone();
                        index /= list.len();
                    }
                    values
                })
                .collect();
            return Ok((points, Layout::Plain));
        }
        DesignSpec::Random { points } | DesignSpec::LatinHypercube { points } => {
            if dims == 0 {
                return Err(unfit(design::DesignError::ZeroDimensions));
            }
            if points == 0 {
                return Err(at(
                    "points",
                    Some("design"),
                    "a design needs at least 1 point".into(),
                ));
            }
            if points > MAX_DESIGN_POINTS {
                return Err(too_large());
            }
            let unit = if matches!(spec.design, DesignSpec::Random { .. }) {
                design::random_points(points, dims, &mut rng)
            } else {
                design::latin_hypercube(points, dims, &mut rng)
            };
            (unit, Layout::Plain)
        }
        DesignSpec::Sobol { base_samples } => {
            if base_samples
                .checked_mul(dims + 2)
                .is_none_or(|n| n > MAX_DESIGN_POINTS)
            {
                return Err(too_large());
            }
            let d = design::saltelli(base_samples, dims, &mut rng).map_err(unfit)?;
            (d.points.clone(), Layout::Saltelli(d))
        }
        DesignSpec::Morris {
            trajectories,
            levels,
        } => {
            if trajectories
                .checked_mul(dims + 1)
                .is_none_or(|n| n > MAX_DESIGN_POINTS)
            {
                return Err(too_large());
            }
            let d = design::morris(trajectories, dims, levels, &mut rng).map_err(unfit)?;
            (d.points.clone(), Layout::Morris(d))
        }
    };
    let dists: Vec<design::Distribution> = factors
        .iter()
        .filter_map(|f| f.dist.distribution())
        .collect();
    let points = unit
        .iter()
        .map(|u| {
            u.iter()
                .zip(&dists)
                .map(|(&x, d)| ParamValue::Number(d.quantile(x)))
                .collect()
        })
        .collect();
    Ok((points, layout))
}

fn check_keep(
    spec: &SweepSpec,
    base: &Scenario,
    at: &At<'_>,
) -> Result<(Vec<Column>, Selection), ScenarioError> {
    let keep = &spec.keep;
    let mut metrics = Vec::new();
    for name in &keep.metrics {
        match Metric::from_name(name) {
            Some(m) => metrics.push(m),
            None => {
                let names: Vec<String> = Metric::ALL.iter().map(|m| m.name().to_string()).collect();
                let mut message = format!("unknown metric `{name}`");
                if let Some(s) = closest(name, &names) {
                    message.push_str(&format!(" (did you mean `{s}`?)"));
                }
                return Err(at(&format!("\"{name}\""), Some("keep"), message)
                    .with_help(format!("valid metrics: {}", names.join(", "))));
            }
        }
    }
    if metrics.is_empty() {
        return Err(at("metrics", Some("keep"), "keep names no metrics".into())
            .with_help("e.g. keep: Keep(metrics: [\"ai_compute\"], ticks: [35])"));
    }
    let last = base.ticks.saturating_sub(1);
    let mut chosen: BTreeSet<u32> = keep.ticks.iter().flatten().copied().collect();
    for date in keep.dates.iter().flatten() {
        let tick = base.tick_of_date(*date);
        if tick < 0 || tick > i64::from(last) {
            return Err(at(
                &format!("\"{date}\""),
                Some("dates"),
                format!(
                    "date {date} is outside the run, which covers {} to {}",
                    base.start,
                    base.date_of_tick(last)
                ),
            )
            .with_help("the sweep's `ticks` field (or the scenario's end) sets the horizon"));
        }
        chosen.insert(tick as u32);
    }
    if keep.all_ticks {
        chosen.extend(0..=last);
    }
    let ticks: Vec<u32> = if keep.ticks.is_none() && keep.dates.is_none() && !keep.all_ticks {
        vec![last]
    } else {
        chosen.into_iter().collect()
    };
    if ticks.is_empty() {
        return Err(
            at("ticks", Some("keep"), "keep lists no ticks".into()).with_help(format!(
                "give ticks between 0 and {last} or dates, set `all_ticks: true`, or omit them for the last tick"
            )),
        );
    }
    if let Some(&bad) = ticks.iter().find(|&&t| t > last) {
        return Err(at(
            &bad.to_string(),
            Some("ticks"),
            format!("tick {bad} is beyond the run, which has ticks 0 to {last}"),
        )
        .with_help(
            "ticks are 0-based; the sweep's `ticks` field (or the scenario's) sets the horizon",
        ));
    }
    let names = Names::new(base);
    let filter = |ids: &Option<Vec<String>>,
                  valid: Vec<String>,
                  what: &str|
     -> Result<Option<Vec<bool>>, ScenarioError> {
        let Some(ids) = ids else { return Ok(None) };
        for id in ids {
            if !valid.contains(id) {
                return Err(at(
                    &format!("\"{id}\""),
                    Some("keep"),
                    format!("unknown {what} `{id}` in keep"),
                )
                .with_help(format!("valid {what}s: {}", valid.join(", "))));
            }
        }
        Ok(Some(valid.iter().map(|v| ids.contains(v)).collect()))
    };
    let states = filter(
        &keep.states,
        base.states.iter().map(|s| s.id.clone()).collect(),
        "state",
    )?;
    let firms = filter(
        &keep.firms,
        base.firms.iter().map(|f| f.id.clone()).collect(),
        "firm",
    )?;
    let sectors = filter(
        &keep.sectors,
        base.sectors.iter().map(|s| s.id.clone()).collect(),
        "sector",
    )?;
    let market_ids: Vec<String> = base
        .states
        .iter()
        .map(|s| s.id.clone())
        .chain(["world".to_string()])
        .collect();
    let markets = filter(&keep.markets, market_ids, "market")?;
    let allowed = |flags: &Option<Vec<bool>>, i: u16| match (flags, i) {
        (_, NONE) | (None, _) => true,
        (Some(flags), WORLD) => flags.last().copied().unwrap_or(false),
        (Some(flags), i) => flags.get(i as usize).copied().unwrap_or(false),
    };
    let keys: Vec<RowKey> = metrics::catalogue(base, &metrics)
        .into_iter()
        .filter(|&(_, s, f, k, m)| {
            allowed(&states, s)
                && allowed(&firms, f)
                && allowed(&sectors, k)
                && allowed(&markets, m)
        })
        .collect();
    if keys.is_empty() {
        return Err(at(
            "keep",
            None,
            "keep selects no outcomes: no row of these metrics matches the entity filters".into(),
        )
        .with_help(
            "check that the filters name entities the metrics report (e.g. ai_compute is by state)",
        ));
    }
    let mut columns = Vec::with_capacity(keys.len() * ticks.len());
    for &tick in &ticks {
        for &key in &keys {
            let (metric, s, f, k, m) = key;
            let parts: Vec<&str> = [
                names.state(s),
                names.firm(f),
                names.sector(k),
                names.market(m),
            ]
            .into_iter()
            .filter(|p| !p.is_empty())
            .collect();
            columns.push(Column {
                name: format!(
                    "{}[{}]@{}",
                    metric.name(),
                    parts.join("/"),
                    names.date(tick)
                ),
                tick,
                key,
            });
        }
    }
    Ok((
        columns,
        Selection {
            metrics: Some(metrics),
            ticks: Some(ticks),
        },
    ))
}
