//! The outputs of a finished sweep — `runs.csv`, `summary.csv`, `columns.csv`,
//! `sensitivity.csv` (Sobol and Morris designs), `scenario.ron`, `sweep.ron` and `manifest.json`
//! (written last: its presence means the folder is complete). Every file is a pure function of the
//! plan and the runs' records in run order, so a sweep gives the same bytes at any thread count,
//! after any number of resumes, and when merged from shards. docs/SWEEPS.md documents the columns.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use serde::Serialize;
use serde_json::Value;

use super::files::{AtomicFile, OutputError, io_error};
use super::manifest::{FileRecord, build_info, scenario_hash, sha256_hex};
use super::tidy::Names;
use crate::scenario::params::ParamValue;
use crate::sweep::plan::{Layout, Plan, purpose_rng};
use crate::sweep::sensitivity::{morris_indices, sobol_indices};
use crate::sweep::stats::{self, summarize};

/// Quotes a CSV field when it needs it.
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// A number in shortest round-trip form; NaN (not recorded) as an empty field.
fn number(x: f64) -> String {
    if x.is_nan() {
        String::new()
    } else {
        x.to_string()
    }
}

/// A parameter value as written in CSV and in `--set`.
pub fn value_text(v: &ParamValue) -> String {
    match v {
        ParamValue::Number(x) => x.to_string(),
        ParamValue::Bool(b) => b.to_string(),
        ParamValue::Text(t) => t.clone(),
    }
}

/// The sweep's manifest: provenance, design and files. It holds no wall time or command line,
/// so that it too is byte-identical across thread counts, resumes and shard merges.
#[derive(Clone, Debug, Serialize)]
pub struct SweepManifest {
    /// Always `"sweep"`.
    pub kind: &'static str,
    /// Sweep name.
    pub name: String,
    /// Sweep description.
    pub description: String,
    /// Sweep identity (spec, base scenario, model version).
    pub sweep_id: String,
    /// SHA-256 of the spec file's text.
    pub spec_sha256: String,
    /// Base scenario name.
    pub scenario: String,
    /// Where the base scenario was read from.
    pub scenario_source: String,
    /// SHA-256 of the effective base scenario (what `scenario.ron` holds).
    pub scenario_sha256: String,
    /// Ticks per run.
    pub ticks: u32,
    /// Ticks per year.
    pub ticks_per_year: u32,
    /// Date of the first tick.
    pub start: String,
    /// Date of the last tick.
    pub end: String,
    /// Every parameter of the base scenario.
    pub parameters: BTreeMap<String, Value>,
    /// The design.
    pub design: DesignRecord,
    /// Outcome columns kept per run (`columns.csv`).
    pub outcomes: usize,
    /// Crate version.
    pub chokepoint_version: String,
    /// Git commit of the build, when known.
    pub git_commit: Option<String>,
    /// The files written, with row counts and digests.
    pub files: BTreeMap<String, FileRecord>,
}

/// The design part of the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct DesignRecord {
    /// `grid`, `random`, `latin_hypercube`, `sobol` or `morris`.
    pub kind: &'static str,
    /// The design as in the spec.
    pub spec: Value,
    /// Design points.
    pub points: usize,
    /// Replicates per point.
    pub replicates: u32,
    /// Total runs.
    pub runs: usize,
    /// Master seed.
    pub seed: u64,
    /// Whether every point uses the same seeds replicate by replicate.
    pub common_random_numbers: bool,
    /// How each run's seed is computed.
    pub seed_formula: String,
    /// How design draws (Latin hypercube, random, Morris) and bootstrap resamples are seeded.
    pub design_rng: String,
    /// The varied parameters.
    pub parameters: Vec<FactorRecord>,
    /// Bootstrap resamples and confidence (Sobol designs).
    pub sensitivity: Option<Value>,
}

/// One varied parameter in the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct FactorRecord {
    /// Path.
    pub path: String,
    /// Distribution or values.
    pub dist: Value,
}

/// The seed formula, as stated in the manifest and docs/SWEEPS.md.
pub const SEED_FORMULA: &str = "seed = u64 little-endian from the first 8 bytes of SHA-256(\"chokepoint-run-seed\" || le64(master seed) || le64(point, or 0 with common_random_numbers) || le64(replicate)); run = point * replicates + replicate";

/// How the sweep's own random streams are seeded.
pub const DESIGN_RNG: &str = "ChaCha8 seeded with SHA-256(\"chokepoint-\" || purpose || le64(master seed) || le64(index)); purpose \"design\" index 0 draws the design, purpose \"bootstrap\" index c resamples outcome column c";

/// The finished runs' kept outcomes, read one run at a time (from a journal or shard files), so
/// that writing outputs never holds every run in memory.
pub trait RunValues {
    /// The kept outcomes of `run`, one per column.
    fn values(&mut self, run: usize) -> Result<Vec<f64>, OutputError>;
}

/// Writes every output of a finished sweep into `dir` (manifest last), reading the runs' records
/// in run order.
pub fn write_outputs(
    dir: &Path,
    plan: &Plan,
    records: &mut dyn RunValues,
) -> Result<(), OutputError> {
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let mut files = BTreeMap::new();
    files.insert("runs.csv".to_string(), runs_csv(dir, plan, records)?);
    files.insert("summary.csv".to_string(), summary_csv(dir, plan, records)?);
    files.insert("columns.csv".to_string(), columns_csv(dir, plan)?);
    if !matches!(plan.layout, Layout::Plain) {
        files.insert(
            "sensitivity.csv".to_string(),
            sensitivity_csv(dir, plan, records)?,
        );
    }
    for (name, text) in [
        ("scenario.ron", crate::scenario::to_ron(&plan.base)),
        ("sweep.ron", plan.spec_text.clone()),
    ] {
        super::files::write_atomic(&dir.join(name), text.as_bytes())?;
        files.insert(
            name.to_string(),
            FileRecord {
                rows: None,
                sha256: sha256_hex(text.as_bytes()),
            },
        );
    }
    let manifest = manifest(plan, files);
    let json = serde_json::to_string_pretty(&manifest).unwrap_or_default() + "\n";
    super::files::write_atomic(&dir.join("manifest.json"), json.as_bytes())
}

fn manifest(plan: &Plan, files: BTreeMap<String, FileRecord>) -> SweepManifest {
    let (version, commit) = build_info();
    let base = &plan.base;
    SweepManifest {
        kind: "sweep",
        name: plan.spec.name.clone(),
        description: plan.spec.description.clone(),
        sweep_id: plan.id.clone(),
        spec_sha256: sha256_hex(plan.spec_text.as_bytes()),
        scenario: base.name.clone(),
        scenario_source: plan.source.clone(),
        scenario_sha256: scenario_hash(base),
        ticks: base.ticks,
        ticks_per_year: base.ticks_per_year,
        start: base.date_of_tick(0).iso(),
        end: base.date_of_tick(base.ticks.saturating_sub(1)).iso(),
        parameters: base.parameters.to_flat(),
        design: DesignRecord {
            kind: plan.spec.design.name(),
            spec: to_json(&plan.spec.design),
            points: plan.points.len(),
            replicates: plan.spec.replicates,
            runs: plan.runs(),
            seed: plan.spec.seed,
            common_random_numbers: plan.spec.common_random_numbers,
            seed_formula: SEED_FORMULA.into(),
            design_rng: DESIGN_RNG.into(),
            parameters: plan
                .factors
                .iter()
                .map(|f| FactorRecord {
                    path: f.path.clone(),
                    dist: to_json(&f.dist),
                })
                .collect(),
            sensitivity: (!matches!(plan.layout, Layout::Plain))
                .then(|| to_json(&plan.sensitivity)),
        },
        outcomes: plan.columns.len(),
        chokepoint_version: version,
        git_commit: commit,
        files,
    }
}

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

fn param_header(plan: &Plan) -> String {
    plan.factors
        .iter()
        .map(|f| format!(",{}", field(&f.path)))
        .collect()
}

fn param_values(plan: &Plan, point: usize) -> String {
    plan.points[point]
        .iter()
        .map(|v| format!(",{}", field(&value_text(v))))
        .collect()
}

fn runs_csv(
    dir: &Path,
    plan: &Plan,
    records: &mut dyn RunValues,
) -> Result<FileRecord, OutputError> {
    let mut out = AtomicFile::create(&dir.join("runs.csv"))?;
    let outcome_header: String = plan
        .columns
        .iter()
        .map(|c| format!(",{}", field(&c.name)))
        .collect();
    out.line(&format!(
        "run,point,replicate,seed{}{outcome_header},repeat",
        param_header(plan)
    ))?;
    for run in 0..plan.runs() {
        let values = records.values(run)?;
        let point = plan.point_of(run);
        let mut line = format!(
            "{run},{point},{},{}{}",
            plan.replicate_of(run),
            plan.seed_of(run),
            param_values(plan, point)
        );
        for &v in &values {
            line.push(',');
            line.push_str(&number(v));
        }
        line.push(',');
        line.push_str(&field(&plan.repeat_command(run)));
        out.line(&line)?;
    }
    out.commit(1)
}

fn entity_fields(names: &Names<'_>, plan: &Plan, c: usize) -> String {
    let col = &plan.columns[c];
    let (metric, s, f, k, m) = col.key;
    format!(
        "{},{},{},{},{},{},{}",
        col.tick,
        names.date(col.tick),
        metric.name(),
        names.state(s),
        names.firm(f),
        names.sector(k),
        names.market(m)
    )
}

fn summary_csv(
    dir: &Path,
    plan: &Plan,
    records: &mut dyn RunValues,
) -> Result<FileRecord, OutputError> {
    let names = Names::new(&plan.base);
    let mut out = AtomicFile::create(&dir.join("summary.csv"))?;
    out.line(&format!(
        "point{},tick,date,metric,state,firm,sector,market,mean,sd,p05,p25,p50,p75,p95,n",
        param_header(plan)
    ))?;
    let reps = plan.spec.replicates as usize;
    let mut values = Vec::with_capacity(reps);
    for point in 0..plan.points.len() {
        let runs: Vec<Vec<f64>> = (point * reps..(point + 1) * reps)
            .map(|run| records.values(run))
            .collect::<Result<_, _>>()?;
        let params = param_values(plan, point);
        for c in 0..plan.columns.len() {
            values.clear();
            values.extend(runs.iter().map(|r| r[c]));
            let stats = match summarize(&values) {
                Some(s) => {
                    let p = s.percentiles.map(number);
                    format!(
                        "{},{},{},{}",
                        number(s.mean),
                        number(s.sd),
                        p.join(","),
                        s.n
                    )
                }
                None => ",,,,,,,0".to_string(),
            };
            out.line(&format!(
                "{point}{params},{},{stats}",
                entity_fields(&names, plan, c)
            ))?;
        }
    }
    out.commit(1)
}

fn columns_csv(dir: &Path, plan: &Plan) -> Result<FileRecord, OutputError> {
    let names = Names::new(&plan.base);
    let mut out = AtomicFile::create(&dir.join("columns.csv"))?;
    out.line("column,tick,date,metric,state,firm,sector,market")?;
    for (c, col) in plan.columns.iter().enumerate() {
        out.line(&format!(
            "{},{}",
            field(&col.name),
            entity_fields(&names, plan, c)
        ))?;
    }
    out.commit(1)
}

fn sensitivity_csv(
    dir: &Path,
    plan: &Plan,
    records: &mut dyn RunValues,
) -> Result<FileRecord, OutputError> {
    let names = Names::new(&plan.base);
    let mut out = AtomicFile::create(&dir.join("sensitivity.csv"))?;
    out.line(
        "column,tick,date,metric,state,firm,sector,market,parameter,index,estimate,ci_low,ci_high,note",
    )?;
    // The replicate mean of each design point and outcome (points × columns): the estimators
    // see one output per point. Missing (NaN) in any replicate leaves the mean missing.
    let reps = plan.spec.replicates as usize;
    let columns = plan.columns.len();
    let mut means = vec![0.0; plan.points.len() * columns];
    let mut replicates: Vec<Vec<f64>> = Vec::with_capacity(reps);
    let mut column_values = Vec::with_capacity(reps);
    for point in 0..plan.points.len() {
        replicates.clear();
        for run in point * reps..(point + 1) * reps {
            replicates.push(records.values(run)?);
        }
        for c in 0..columns {
            column_values.clear();
            column_values.extend(replicates.iter().map(|r| r[c]));
            means[point * columns + c] = if column_values.iter().any(|v| v.is_nan()) {
                f64::NAN
            } else {
                stats::mean(&column_values)
            };
        }
    }
    for c in 0..columns {
        let y: Vec<f64> = (0..plan.points.len())
            .map(|point| means[point * columns + c])
            .collect();
        let prefix = format!(
            "{},{}",
            field(&plan.columns[c].name),
            entity_fields(&names, plan, c)
        );
        let row = |out: &mut AtomicFile,
                   path: &str,
                   index: &str,
                   e: f64,
                   lo: f64,
                   hi: f64,
                   note: &str| {
            out.line(&format!(
                "{prefix},{},{index},{},{},{},{}",
                field(path),
                number(e),
                number(lo),
                number(hi),
                field(note)
            ))
        };
        match &plan.layout {
            Layout::Plain => {}
            Layout::Saltelli(design) => {
                let mut rng = purpose_rng("bootstrap", plan.spec.seed, c as u64);
                let result = sobol_indices(
                    design,
                    &y,
                    plan.sensitivity.bootstrap,
                    plan.sensitivity.confidence,
                    &mut rng,
                );
                for (i, f) in plan.factors.iter().enumerate() {
                    match &result {
                        Ok(idx) => {
                            let (s1, st) = (idx[i].first_order, idx[i].total);
                            row(&mut out, &f.path, "S1", s1.estimate, s1.low, s1.high, "")?;
                            row(&mut out, &f.path, "ST", st.estimate, st.low, st.high, "")?;
                        }
                        Err(e) => {
                            let note = note_of(e);
                            row(&mut out, &f.path, "S1", f64::NAN, f64::NAN, f64::NAN, &note)?;
                            row(&mut out, &f.path, "ST", f64::NAN, f64::NAN, f64::NAN, &note)?;
                        }
                    }
                }
            }
            Layout::Morris(design) => {
                let result = morris_indices(design, &y);
                for (i, f) in plan.factors.iter().enumerate() {
                    let nan = f64::NAN;
                    match &result {
                        Ok(idx) => {
                            let m = idx[i];
                            row(&mut out, &f.path, "mu_star", m.mu_star, nan, nan, "")?;
                            row(&mut out, &f.path, "sigma", m.sigma, nan, nan, "")?;
                            row(&mut out, &f.path, "mu", m.mu, nan, nan, "")?;
                        }
                        Err(e) => {
                            let note = note_of(e);
                            for index in ["mu_star", "sigma", "mu"] {
                                row(&mut out, &f.path, index, nan, nan, nan, &note)?;
                            }
                        }
                    }
                }
            }
        }
    }
    out.commit(1)
}

fn note_of(e: &crate::sweep::design::DesignError) -> String {
    use crate::sweep::design::DesignError as E;
    match e {
        E::NonFiniteOutput { .. } => {
            "not recorded in every run (the metric is undefined for some runs)".into()
        }
        E::ZeroVariance => "the outcome did not vary: indices are undefined".into(),
        other => other.to_string(),
    }
}
