//! Effect analysis: every replicate runs every dose with the same seed (common random numbers),
//! for the full model and with each ablated mechanism switched off; the paired differences give
//! effects, marginal effects and a curvature verdict per outcome (docs/EFFECTS.md).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::effect::spec::{self, Dose, LoadedSpec};
use crate::effect::stats::{self, DoseResponse, Estimate};
use crate::labels::{ALL_LISTED, ALL_OFF, EFFECTS_COLUMNS, FULL_MODEL, REPLICATES_COLUMNS};
use crate::model::metrics::{Metric, NONE, Selection, WORLD};
use crate::output::files::write_atomic;
use crate::output::manifest::FileRecord;
use crate::output::table::CsvText;
use crate::output::{OutputDir, OutputError, tidy};
use crate::provenance::{build_info, sha256_hex};
use crate::scenario::params::ParamValue;
use crate::scenario::scenario_hash;
use crate::scenario::{Overrides, Scenario, ScenarioError};

/// How to run an effect analysis.
#[derive(Clone, Debug)]
pub struct EffectRequest {
    /// Output folder; default `output/<spec name>`.
    pub out: Option<PathBuf>,
    /// Replace a non-empty output folder.
    pub force: bool,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
    /// Charts to draw before publishing; `None` skips them.
    pub plots: Option<crate::charts::PlotRequest>,
    /// Report progress on stderr.
    pub progress: bool,
    /// Replaces the spec's replicate count (quick checks of a large spec).
    pub replicates: Option<usize>,
}

/// A failure of an effect analysis.
#[derive(Debug, thiserror::Error)]
pub enum EffectError {
    /// Bad spec or scenario (exit code 2).
    #[error("{0}")]
    Input(#[from] ScenarioError),
    /// Writing failed.
    #[error("{0}")]
    Output(#[from] OutputError),
}

/// What a finished analysis produced.
#[derive(Clone, Debug)]
pub struct EffectSummary {
    /// The published folder.
    pub dir: PathBuf,
    /// Runs made.
    pub runs: usize,
    /// Seconds taken.
    pub seconds: f64,
    /// Verdict per (ablation, outcome) label.
    pub verdicts: Vec<(String, String, stats::Verdict)>,
    /// Charts written, or why not.
    pub charts: Result<usize, String>,
}

/// The seed of replicate `r`: the first 8 bytes (little-endian) of
/// SHA-256("chokepoint-effect-replicate" ‖ master ‖ r), both as 8-byte little-endian integers.
/// Every dose and ablation of a replicate uses it.
pub fn replicate_seed(master: u64, replicate: u64) -> u64 {
    let mut h = Sha256::new();
    h.update(b"chokepoint-effect-replicate");
    h.update(master.to_le_bytes());
    h.update(replicate.to_le_bytes());
    let digest = h.finalize();
    u64::from_le_bytes(digest[..8].try_into().expect("8 bytes"))
}

/// An outcome resolved to indices.
struct Target {
    metric: Metric,
    tick: u32,
    state: u16,
    firm: u16,
    sector: u16,
    market: u16,
}

fn resolve_outcome(l: &LoadedSpec, base: &Scenario, i: usize) -> Result<Target, ScenarioError> {
    let o = &l.spec.outcomes[i];
    let anchor = Some(("Outcome(", i));
    let find = |kind: &str, id: &Option<String>, list: Vec<&str>| -> Result<u16, ScenarioError> {
        match id {
            None => Ok(NONE),
            Some(id) if kind == "market" && id == "world" => Ok(WORLD),
            Some(id) => list
                .iter()
                .position(|x| x == id)
                .map(|p| p as u16)
                .ok_or_else(|| {
                    l.error(
                        anchor,
                        &format!("\"{id}\""),
                        format!("outcomes[{i}]: unknown {kind} `{id}`"),
                    )
                    .with_help(format!("valid: {}", list.join(", ")))
                }),
        }
    };
    let states: Vec<&str> = base.states.iter().map(|s| s.id.as_str()).collect();
    let tick = base.tick_of_date(o.date);
    if tick < 0 || tick >= i64::from(base.ticks) {
        return Err(l
            .error(
                anchor,
                &format!("\"{}\"", o.date),
                format!(
                    "outcomes[{i}]: date {} is outside the base scenario's run",
                    o.date
                ),
            )
            .with_help(format!(
                "the run covers {} to {}",
                base.start,
                base.date_of_tick(base.ticks - 1)
            )));
    }
    Ok(Target {
        metric: Metric::from_name(&o.metric).expect("checked when read"),
        tick: tick as u32,
        state: find("state", &o.state, states.clone())?,
        firm: find(
            "firm",
            &o.firm,
            base.firms.iter().map(|f| f.id.as_str()).collect(),
        )?,
        sector: find(
            "sector",
            &o.sector,
            base.sectors.iter().map(|s| s.id.as_str()).collect(),
        )?,
        market: find("market", &o.market, states)?,
    })
}

/// Runs one scenario and picks every outcome's value.
fn measure(
    scenario: &Scenario,
    targets: &[Target],
) -> Result<Vec<Option<f64>>, crate::model::finite::NonFinite> {
    let mut metrics: Vec<Metric> = targets.iter().map(|t| t.metric).collect();
    metrics.sort();
    metrics.dedup();
    let mut ticks: Vec<u32> = targets.iter().map(|t| t.tick).collect();
    ticks.sort_unstable();
    ticks.dedup();
    let last = *ticks.last().expect("at least one outcome");
    let mut s = scenario.clone();
    // Nothing after the last outcome date matters: stop there.
    s.ticks = last + 1;
    let rows = crate::model::try_run(
        &s,
        Selection {
            metrics: Some(metrics),
            ticks: Some(ticks),
        },
    )?;
    Ok(targets
        .iter()
        .map(|t| {
            rows.iter()
                .find(|r| {
                    r.metric == t.metric
                        && r.tick == t.tick
                        && r.state == t.state
                        && r.firm == t.firm
                        && r.sector == t.sector
                        && r.market == t.market
                })
                .map(|r| r.value)
        })
        .collect())
}

/// A run that became numerically invalid: the dose's parameters are out of range (exit 2).
fn non_finite(
    l: &LoadedSpec,
    dose: usize,
    replicate: usize,
) -> impl Fn(crate::model::finite::NonFinite) -> EffectError + '_ {
    move |e| {
        EffectError::Input(
            l.error(
                None,
                "dose",
                format!("dose {dose}, replicate {replicate}: {e}"),
            )
            .with_help("keep the dose inside the parameter's range (docs/MODEL.md)"),
        )
    }
}

/// The full model and each ablation: a name and the switches it sets.
type Ablation = (String, Vec<(String, ParamValue)>);

/// Everything decided before the first run: the spec, the base, the outcomes, the ablations and
/// the scenario of every (ablation, dose).
struct EffectPlan {
    l: LoadedSpec,
    base: Scenario,
    source: String,
    targets: Vec<Target>,
    ablations: Vec<Ablation>,
    /// `doses[ablation][dose]`.
    doses: Vec<Vec<Scenario>>,
    dose_labels: Vec<String>,
    /// How the verdict names dose k: the round's label, or `to <value>` for levels.
    step_names: Vec<String>,
    replicates: usize,
}

/// Runs the analysis described by the spec at `spec_path` and writes its outputs:
/// plan (read and check everything), run (every replicate × ablation × dose), analyse (the
/// statistics and verdicts), write (files, manifest, charts), then publish the folder.
impl From<EffectError> for super::error::CommandError {
    fn from(e: EffectError) -> Self {
        match e {
            EffectError::Input(e) => e.into(),
            EffectError::Output(e) => e.into(),
        }
    }
}

pub fn execute(spec_path: &Path, request: &EffectRequest) -> Result<EffectSummary, EffectError> {
    let started = Instant::now();
    let plan = plan(spec_path, request)?;
    let target = request
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(&plan.l.spec.name));
    let dir = OutputDir::create(&target, request.force)?;
    let values = run(&plan, request, &target)?;
    let results = analyse(&plan, &values);
    write(&plan, request, &values, &results, &dir, started)?;
    let charts = match &request.plots {
        Some(plots) => super::draw_charts_into(&dir.path(""), plots),
        None => Ok(0),
    };
    let dir = dir.publish()?;
    let verdicts = results
        .iter()
        .map(|(a, o, r)| {
            (
                plan.ablations[*a].0.clone(),
                plan.l.spec.outcomes[*o].label.clone(),
                r.verdict.verdict,
            )
        })
        .collect();
    Ok(EffectSummary {
        dir,
        runs: plan.ablations.len() * plan.replicates * plan.dose_labels.len(),
        seconds: started.elapsed().as_secs_f64(),
        verdicts,
        charts,
    })
}

/// The ablations: the full model (`none`), then each mechanism off, then all of them off
/// together. Without a list in the spec, every mechanism switch that is on in the base scenario
/// with the spec's parameters (`all_off`); with a list, those (`all_listed`).
fn ablations(l: &LoadedSpec, base: &Scenario) -> Result<Vec<Ablation>, ScenarioError> {
    let off = |a: &str| (format!("mechanisms.{a}"), ParamValue::Bool(false));
    let (names, together) = match &l.spec.ablations {
        Some(listed) => (listed.clone(), ALL_LISTED),
        None => {
            let overrides: Vec<(&str, &ParamValue)> = l
                .spec
                .parameters
                .iter()
                .filter(|(k, _)| !k.starts_with("control."))
                .map(|(k, v)| (k.as_str(), v))
                .collect();
            let effective = base
                .parameters
                .with_overrides(overrides)
                .map_err(|e| l.error(None, "parameters", e.to_string()))?
                .to_flat();
            let on = spec::mechanism_switches()
                .into_iter()
                .filter(|m| {
                    effective.get(&format!("mechanisms.{m}"))
                        == Some(&serde_json::Value::Bool(true))
                })
                .collect();
            (on, ALL_OFF)
        }
    };
    let mut out: Vec<Ablation> = vec![(FULL_MODEL.into(), vec![])];
    out.extend(names.iter().map(|a| (a.clone(), vec![off(a)])));
    if names.len() >= 2 {
        out.push((together.into(), names.iter().map(|a| off(a)).collect()));
    }
    Ok(out)
}

/// Reads the spec and base, resolves outcomes, builds every dose's scenario and checks that every
/// outcome selects a value — all before anything is written.
fn plan(spec_path: &Path, request: &EffectRequest) -> Result<EffectPlan, EffectError> {
    let l = spec::read(spec_path)?;
    let source = l.base_source()?;
    let base = crate::scenario::load(&source, &Overrides::default())?.scenario;
    let targets: Vec<Target> = (0..l.spec.outcomes.len())
        .map(|i| resolve_outcome(&l, &base, i))
        .collect::<Result<_, _>>()?;
    let ablations = ablations(&l, &base)?;
    let doses: Vec<Vec<Scenario>> = ablations
        .iter()
        .map(|(_, extra)| spec::dose_scenarios(&l, &base, extra))
        .collect::<Result<_, _>>()?;

    // Every outcome must select exactly one value: check on dose 0, replicate 0, before writing.
    let probe = measure(&doses[0][0], &targets).map_err(non_finite(&l, 0, 0))?;
    if let Some(i) = probe.iter().position(Option::is_none) {
        return Err(EffectError::Input(
            l.error(Some(("Outcome(", i)), "metric", format!("outcomes[{i}] (`{}`) selects no value", l.spec.outcomes[i].label))
                .with_help("give exactly the entity columns the metric has (docs/MODEL.md section 8): e.g. ai_compute needs `state`; market_share needs `firm`, `sector` and `market`"),
        ));
    }
    let dose_labels: Vec<String> = match &l.spec.dose {
        Dose::Rounds { events } => std::iter::once("none".to_string())
            .chain(events.iter().map(|e| {
                e.label
                    .clone()
                    .unwrap_or_else(|| format!("{} {}", e.action.instrument_id(), e.date))
            }))
            .collect(),
        // The value alone: the path is in the manifest and the summary, and labels stay short on axes.
        Dose::Levels { values, .. } => values.iter().map(|v| v.to_string()).collect(),
    };
    let step_names = match &l.spec.dose {
        Dose::Rounds { .. } => dose_labels.clone(),
        Dose::Levels { .. } => dose_labels.iter().map(|v| format!("to {v}")).collect(),
    };
    let replicates = request.replicates.unwrap_or(l.spec.replicates).max(2);
    spec::check_replicates(replicates)
        .map_err(|e| ScenarioError::new(format!("--replicates: {e}")))?;
    Ok(EffectPlan {
        step_names,
        source: source.display(),
        l,
        base,
        targets,
        ablations,
        doses,
        dose_labels,
        replicates,
    })
}

/// Every run, on a rayon pool of at most as many threads as runs and cores:
/// `values[ablation × replicates + replicate][dose][outcome]`, gathered in job order whatever
/// the thread count. A run whose state becomes non-finite stops the analysis with its dose.
fn run(
    plan: &EffectPlan,
    request: &EffectRequest,
    target: &Path,
) -> Result<Vec<Vec<Vec<f64>>>, EffectError> {
    let n_doses = plan.dose_labels.len();
    let jobs: Vec<(usize, usize)> = (0..plan.ablations.len())
        .flat_map(|a| (0..plan.replicates).map(move |r| (a, r)))
        .collect();
    let threads = super::sweep::worker_threads(request.threads, jobs.len())
        .map_err(|e| ScenarioError::new(e.to_string()))?;
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .map_err(|e| OutputError::Io {
            path: target.to_path_buf(),
            source: std::io::Error::other(format!("cannot start {threads} threads: {e}")),
        })?;
    let progress = request.progress.then(|| {
        std::sync::Mutex::new(crate::runner::progress::Progress::new(
            &format!("effect {}", plan.l.spec.name),
            jobs.len() * n_doses,
            0,
        ))
    });
    let values = pool.install(|| {
        jobs.par_iter()
            .map(|&(a, r)| {
                let seed = replicate_seed(plan.l.spec.seed, r as u64);
                (0..n_doses)
                    .map(|k| {
                        let mut s = plan.doses[a][k].clone();
                        s.seed = seed;
                        let v = measure(&s, &plan.targets)
                            .map_err(non_finite(&plan.l, k, r))?
                            .into_iter()
                            .map(|x| x.unwrap_or(f64::NAN))
                            .collect();
                        if let Some(p) = &progress {
                            p.lock().expect("progress lock").advance();
                        }
                        Ok(v)
                    })
                    .collect::<Result<Vec<_>, EffectError>>()
            })
            .collect::<Result<Vec<_>, EffectError>>()
    })?;
    if let Some(p) = progress {
        p.into_inner().expect("progress lock").finish();
    }
    Ok(values)
}

/// The statistics and verdict of every (ablation, outcome), sequentially and in order; each has
/// its own bootstrap stream, so the numbers do not depend on which others are analysed.
fn analyse(plan: &EffectPlan, values: &[Vec<Vec<f64>>]) -> Vec<(usize, usize, DoseResponse)> {
    let spec = &plan.l.spec;
    let settings = stats::Settings {
        resamples: spec.bootstrap_resamples,
        confidence: spec.confidence,
        tolerance: spec.tolerance,
    };
    let (replicates, n_doses, outcomes) =
        (plan.replicates, plan.dose_labels.len(), plan.targets.len());
    let mut results = Vec::new();
    for a in 0..plan.ablations.len() {
        for o in 0..outcomes {
            let y: Vec<Vec<f64>> = (0..replicates)
                .map(|r| {
                    (0..n_doses)
                        .map(|k| values[a * replicates + r][k][o])
                        .collect()
                })
                .collect();
            let mut rng = ChaCha8Rng::seed_from_u64(replicate_seed(
                spec.seed,
                u64::MAX - (a * outcomes + o) as u64,
            ));
            let r = stats::analyse(&y, &plan.step_names, settings, &mut rng);
            results.push((a, o, r));
        }
    }
    results
}

/// Writes the tables, the verdicts, the summary and the manifest into the staging folder.
fn write(
    plan: &EffectPlan,
    request: &EffectRequest,
    values: &[Vec<Vec<f64>>],
    results: &[(usize, usize, DoseResponse)],
    dir: &OutputDir,
    started: Instant,
) -> Result<(), EffectError> {
    let (l, ablations, labels) = (&plan.l, &plan.ablations, &plan.dose_labels);
    let files = [
        ("effects.csv", effects_csv(l, ablations, results, labels)),
        (
            "replicates.csv",
            replicates_csv(l, ablations, values, plan.replicates, labels),
        ),
        ("verdict.json", verdict_json(l, ablations, results)),
        (
            "summary.md",
            summary_md(l, ablations, results, labels, &plan.base),
        ),
        // The metrics the outcomes read, described as in a run's folder.
        (
            "metrics_catalogue.csv",
            tidy::metrics_catalogue_csv(&plan.targets.iter().map(|t| t.metric).collect::<Vec<_>>()),
        ),
    ];
    let mut manifest = EffectManifest::new(l, &plan.base, &plan.source, request, ablations, labels);
    for (name, text) in &files {
        write_atomic(&dir.path(name), text.as_bytes())?;
        let rows = name
            .ends_with(".csv")
            .then(|| text.lines().count().saturating_sub(1));
        manifest.files.insert(
            name.to_string(),
            FileRecord {
                rows,
                sha256: sha256_hex(text.as_bytes()),
            },
        );
    }
    manifest.wall_time_seconds = started.elapsed().as_secs_f64();
    write_atomic(
        &dir.path("manifest.json"),
        (serde_json::to_string_pretty(&manifest).expect("manifest serializes") + "\n").as_bytes(),
    )?;
    Ok(())
}

fn csv_row(
    out: &mut CsvText,
    ablation: &str,
    outcome: &str,
    dose: usize,
    label: &str,
    quantity: &str,
    e: &Estimate,
    n: usize,
) {
    out.record([
        ablation,
        outcome,
        &dose.to_string(),
        label,
        quantity,
        &e.estimate.to_string(),
        &e.low.to_string(),
        &e.high.to_string(),
        &n.to_string(),
    ]);
}

/// `effects.csv`: `ablation,outcome,dose,dose_label,quantity,estimate,ci_low,ci_high,n`.
fn effects_csv(
    l: &LoadedSpec,
    ablations: &[(String, Vec<(String, ParamValue)>)],
    results: &[(usize, usize, DoseResponse)],
    labels: &[String],
) -> String {
    let mut out = CsvText::new();
    out.record(EFFECTS_COLUMNS);
    for (a, o, r) in results {
        let (ab, oc, n) = (&ablations[*a].0, &l.spec.outcomes[*o].label, r.verdict.n);
        for k in 0..labels.len() {
            csv_row(&mut out, ab, oc, k, &labels[k], "level", &r.level[k], n);
            csv_row(&mut out, ab, oc, k, &labels[k], "effect", &r.effect[k], n);
            if let Some(m) = &r.marginal[k] {
                csv_row(&mut out, ab, oc, k, &labels[k], "marginal", m, n);
            }
            if let Some(s) = &r.second_difference[k] {
                csv_row(&mut out, ab, oc, k, &labels[k], "second_difference", s, n);
            }
        }
    }
    out.finish()
}

/// The value of each dose as `replicates.csv` writes it: the parameter's level for `Levels`, the
/// number of rounds in force for `Rounds`.
fn dose_values(dose: &Dose, doses: usize) -> Vec<String> {
    match dose {
        Dose::Levels { values, .. } => values.iter().map(|v| v.to_string()).collect(),
        Dose::Rounds { .. } => (0..doses).map(|k| k.to_string()).collect(),
    }
}

/// `replicates.csv`: every run's outcome,
/// `ablation,outcome,dose,dose_label,dose_value,replicate,seed,value`.
fn replicates_csv(
    l: &LoadedSpec,
    ablations: &[(String, Vec<(String, ParamValue)>)],
    values: &[Vec<Vec<f64>>],
    replicates: usize,
    labels: &[String],
) -> String {
    let doses = labels.len();
    let dose_value = dose_values(&l.spec.dose, doses);
    let mut out = CsvText::new();
    out.record(REPLICATES_COLUMNS);
    for (a, (name, _)) in ablations.iter().enumerate() {
        for (o, outcome) in l.spec.outcomes.iter().enumerate() {
            for k in 0..doses {
                for r in 0..replicates {
                    out.record([
                        name,
                        &outcome.label,
                        &k.to_string(),
                        &labels[k],
                        &dose_value[k],
                        &r.to_string(),
                        &replicate_seed(l.spec.seed, r as u64).to_string(),
                        &values[a * replicates + r][k][o].to_string(),
                    ]);
                }
            }
        }
    }
    out.finish()
}

#[derive(Serialize)]
struct VerdictRecord<'a> {
    ablation: &'a str,
    outcome: &'a str,
    #[serde(flatten)]
    test: &'a stats::VerdictTest,
}

fn verdict_json(
    l: &LoadedSpec,
    ablations: &[(String, Vec<(String, ParamValue)>)],
    results: &[(usize, usize, DoseResponse)],
) -> String {
    let records: Vec<VerdictRecord> = results
        .iter()
        .map(|(a, o, r)| VerdictRecord {
            ablation: &ablations[*a].0,
            outcome: &l.spec.outcomes[*o].label,
            test: &r.verdict,
        })
        .collect();
    serde_json::to_string_pretty(&serde_json::json!({ "effect": l.spec.name, "confidence": l.spec.confidence, "verdicts": records }))
        .expect("verdicts serialize")
        + "\n"
}

fn fmt(e: &Estimate) -> String {
    e.display(4)
}

/// A step's marginal effect with its direction at the stated confidence: `−21.1 ↓`, `0.3 ·`.
fn step_cell(m: &Estimate) -> String {
    let arrow = match m.sign() {
        1 => "↑",
        -1 => "↓",
        _ => "·",
    };
    format!("{:.4} {arrow}", m.estimate)
}

/// `reversal (step 2)`, `diminishing`: the verdict as the ablation table shows it.
fn verdict_cell(t: &stats::VerdictTest) -> String {
    match t.reversal_step {
        Some(k) => format!("{} (step {k})", t.verdict.name()),
        None => t.verdict.name().to_string(),
    }
}

fn summary_md(
    l: &LoadedSpec,
    ablations: &[(String, Vec<(String, ParamValue)>)],
    results: &[(usize, usize, DoseResponse)],
    labels: &[String],
    base: &Scenario,
) -> String {
    let s = &l.spec;
    let mut out = String::new();
    let _ = writeln!(out, "# Effect analysis `{}`\n", s.name);
    if !s.description.is_empty() {
        let _ = writeln!(out, "{}\n", s.description);
    }
    if let Dose::Levels { path, .. } = &s.dose {
        let _ = writeln!(
            out,
            "Dose: `{path}`, set to the value in each row's label.\n"
        );
    }
    let _ = writeln!(
        out,
        "Base scenario `{}` (SHA-256 `{}`), {} doses, {} replicates per dose with common random numbers, master seed {}, \
         {:.0}% percentile-bootstrap intervals ({} resamples).\n",
        base.name,
        &scenario_hash(base)[..16],
        labels.len(),
        results
            .first()
            .map_or(s.replicates, |(_, _, r)| r.verdict.n),
        s.seed,
        s.confidence * 100.0,
        s.bootstrap_resamples
    );
    for (o, outcome) in s.outcomes.iter().enumerate() {
        let _ = writeln!(
            out,
            "## {} — `{}` at {}\n",
            outcome.label, outcome.metric, outcome.date
        );
        let full = &results
            .iter()
            .find(|(a, oo, _)| *a == 0 && *oo == o)
            .expect("full model analysed")
            .2;
        let _ = writeln!(
            out,
            "| dose | label | level | effect vs dose 0 | marginal effect |\n|---|---|---|---|---|"
        );
        for k in 0..labels.len() {
            let marginal = full.marginal[k].as_ref().map_or("—".to_string(), fmt);
            let _ = writeln!(
                out,
                "| {k} | {} | {} | {} | {marginal} |",
                labels[k],
                fmt(&full.level[k]),
                fmt(&full.effect[k])
            );
        }
        let v = &full.verdict;
        let _ = writeln!(
            out,
            "\n**Verdict: {}.** {}\n\nThe test: {}.\n",
            v.verdict.name().replace('_', "-"),
            v.statement,
            v.test
        );
        if ablations.len() > 1 {
            let _ = writeln!(
                out,
                "Ablations: the marginal effect of each step with the mechanism switched off (↑ / ↓: \
                 the step moves the outcome up / down at {:.0}% confidence; ·: indistinguishable from zero). \
                 **changes** marks an ablation whose verdict differs from the full model's: the mechanism \
                 switched off is needed for the full model's shape.\n",
                s.confidence * 100.0
            );
            let _ = writeln!(
                out,
                "| ablation | {} | verdict | vs full model |\n|---|{}---|---|",
                (1..labels.len())
                    .map(|k| format!("step {k}"))
                    .collect::<Vec<_>>()
                    .join(" | "),
                "---|".repeat(labels.len() - 1)
            );
            for (a, (name, _)) in ablations.iter().enumerate() {
                let r = &results
                    .iter()
                    .find(|(aa, oo, _)| *aa == a && *oo == o)
                    .expect("analysed")
                    .2;
                let steps: Vec<String> = (1..labels.len())
                    .map(|k| step_cell(&r.marginal[k].expect("k ≥ 1")))
                    .collect();
                let same = verdict_cell(&r.verdict) == verdict_cell(v);
                let _ = writeln!(
                    out,
                    "| {name} | {} | {} | {} |",
                    steps.join(" | "),
                    if same {
                        verdict_cell(&r.verdict)
                    } else {
                        format!("**{}**", verdict_cell(&r.verdict))
                    },
                    if a == 0 {
                        "—"
                    } else if same {
                        "same"
                    } else {
                        "**changes**"
                    }
                );
            }
            let _ = writeln!(out);
        }
    }
    out
}

/// `manifest.json` of an effect analysis.
#[derive(Serialize)]
struct EffectManifest {
    kind: &'static str,
    effect: String,
    description: String,
    spec: String,
    spec_sha256: String,
    scenario: String,
    scenario_source: String,
    scenario_sha256: String,
    seed: u64,
    seed_formula: &'static str,
    replicates: usize,
    doses: Vec<String>,
    outcomes: Vec<String>,
    /// Outcome label → metric name, so charts label axes with the metric's unit.
    outcome_metrics: BTreeMap<String, String>,
    ablations: Vec<String>,
    confidence: f64,
    bootstrap_resamples: usize,
    tolerance: f64,
    parameters: BTreeMap<String, serde_json::Value>,
    chokepoint_version: String,
    git_commit: Option<String>,
    command_line: Vec<String>,
    wall_time_seconds: f64,
    files: BTreeMap<String, FileRecord>,
}

impl EffectManifest {
    fn new(
        l: &LoadedSpec,
        base: &Scenario,
        source: &str,
        request: &EffectRequest,
        ablations: &[(String, Vec<(String, ParamValue)>)],
        doses: &[String],
    ) -> Self {
        let (version, commit) = build_info();
        EffectManifest {
            kind: "effect",
            effect: l.spec.name.clone(),
            description: l.spec.description.clone(),
            spec: l.path.display().to_string(),
            spec_sha256: sha256_hex(l.text.as_bytes()),
            scenario: base.name.clone(),
            scenario_source: source.to_string(),
            scenario_sha256: scenario_hash(base),
            seed: l.spec.seed,
            seed_formula: "replicate r: first 8 bytes, little-endian, of SHA-256(\"chokepoint-effect-replicate\" || seed as u64 LE || r as u64 LE); the same for every dose and ablation",
            replicates: request.replicates.unwrap_or(l.spec.replicates).max(2),
            doses: doses.to_vec(),
            outcomes: l.spec.outcomes.iter().map(|o| o.label.clone()).collect(),
            outcome_metrics: l
                .spec
                .outcomes
                .iter()
                .map(|o| (o.label.clone(), o.metric.clone()))
                .collect(),
            ablations: ablations.iter().map(|(a, _)| a.clone()).collect(),
            confidence: l.spec.confidence,
            bootstrap_resamples: l.spec.bootstrap_resamples,
            tolerance: l.spec.tolerance,
            parameters: base.parameters.to_flat(),
            chokepoint_version: version,
            git_commit: commit,
            command_line: request.command_line.clone(),
            wall_time_seconds: 0.0,
            files: BTreeMap::new(),
        }
    }
}
