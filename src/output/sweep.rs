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
use super::manifest::FileRecord;
use super::table::CsvText;
use crate::labels::{INDEX_COLUMNS, Names};
use crate::model::metrics::Metric;
use crate::provenance::{build_info, sha256_hex};
use crate::scenario::params::ParamValue;
use crate::scenario::scenario_hash;
use crate::sweep::indices::{column_indices, point_means};
use crate::sweep::plan::{Layout, Plan};
use crate::sweep::stats::summarize;

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
    // The metrics the outcome columns read, described as in a run's folder.
    let metrics: Vec<Metric> = plan.columns.iter().map(|c| c.key.0).collect();
    let catalogue = super::tidy::metrics_catalogue_csv(&metrics);
    let catalogue_rows = catalogue.lines().count().saturating_sub(1);
    for (name, text, rows) in [
        ("metrics_catalogue.csv", catalogue, Some(catalogue_rows)),
        ("scenario.ron", crate::scenario::to_ron(&plan.base), None),
        ("sweep.ron", plan.spec_text.clone(), None),
    ] {
        super::files::write_atomic(&dir.join(name), text.as_bytes())?;
        files.insert(
            name.to_string(),
            FileRecord {
                rows,
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

/// The varied parameters' paths, as header fields.
fn param_header(plan: &Plan) -> impl Iterator<Item = String> + '_ {
    plan.factors.iter().map(|f| f.path.clone())
}

/// A design point's values, as fields.
fn param_values(plan: &Plan, point: usize) -> impl Iterator<Item = String> + '_ {
    plan.points[point].iter().map(value_text)
}

fn runs_csv(
    dir: &Path,
    plan: &Plan,
    records: &mut dyn RunValues,
) -> Result<FileRecord, OutputError> {
    let mut out = AtomicFile::create(&dir.join("runs.csv"))?;
    let mut csv = CsvText::new();
    let header = ["run", "point", "replicate", "seed"]
        .map(String::from)
        .into_iter()
        .chain(param_header(plan))
        .chain(plan.columns.iter().map(|c| c.name.clone()))
        .chain(["repeat".to_string()]);
    out.line(&csv.line(header))?;
    for run in 0..plan.runs() {
        let values = records.values(run)?;
        let point = plan.point_of(run);
        let fields = [
            run.to_string(),
            point.to_string(),
            plan.replicate_of(run).to_string(),
            plan.seed_of(run).to_string(),
        ]
        .into_iter()
        .chain(param_values(plan, point))
        .chain(values.iter().map(|&v| number(v)))
        .chain([plan.repeat_command(run)]);
        out.line(&csv.line(fields))?;
    }
    out.commit(1)
}

/// The index columns of outcome column `c`: tick, date, metric, state, firm, sector, market.
fn entity_fields(names: &Names<'_>, plan: &Plan, c: usize) -> [String; 7] {
    let col = &plan.columns[c];
    let (metric, s, f, k, m) = col.key;
    [
        col.tick.to_string(),
        names.date(col.tick).to_string(),
        metric.name().to_string(),
        names.state(s).to_string(),
        names.firm(f).to_string(),
        names.sector(k).to_string(),
        names.market(m).to_string(),
    ]
}

/// A header: `first`, the index columns, then `last`.
fn header_around<'a>(
    first: impl IntoIterator<Item = String> + 'a,
    last: &'a [&'a str],
) -> impl Iterator<Item = String> + 'a {
    first
        .into_iter()
        .chain(INDEX_COLUMNS.map(String::from))
        .chain(last.iter().map(|s| s.to_string()))
}

fn summary_csv(
    dir: &Path,
    plan: &Plan,
    records: &mut dyn RunValues,
) -> Result<FileRecord, OutputError> {
    let names = Names::new(&plan.base);
    let mut out = AtomicFile::create(&dir.join("summary.csv"))?;
    let mut csv = CsvText::new();
    let first = std::iter::once("point".to_string()).chain(param_header(plan));
    let stats_columns = ["mean", "sd", "p05", "p25", "p50", "p75", "p95", "n"];
    out.line(&csv.line(header_around(first, &stats_columns)))?;
    let reps = plan.spec.replicates as usize;
    let mut values = Vec::with_capacity(reps);
    for point in 0..plan.points.len() {
        let runs: Vec<Vec<f64>> = (point * reps..(point + 1) * reps)
            .map(|run| records.values(run))
            .collect::<Result<_, _>>()?;
        for c in 0..plan.columns.len() {
            values.clear();
            values.extend(runs.iter().map(|r| r[c]));
            let stats: Vec<String> = match summarize(&values) {
                Some(s) => [number(s.mean), number(s.sd)]
                    .into_iter()
                    .chain(s.percentiles.map(number))
                    .chain([s.n.to_string()])
                    .collect(),
                // No value recorded: every statistic empty, n = 0.
                None => [""; 7]
                    .map(String::from)
                    .into_iter()
                    .chain(["0".to_string()])
                    .collect(),
            };
            let fields = std::iter::once(point.to_string())
                .chain(param_values(plan, point))
                .chain(entity_fields(&names, plan, c))
                .chain(stats);
            out.line(&csv.line(fields))?;
        }
    }
    out.commit(1)
}

fn columns_csv(dir: &Path, plan: &Plan) -> Result<FileRecord, OutputError> {
    let names = Names::new(&plan.base);
    let mut out = AtomicFile::create(&dir.join("columns.csv"))?;
    let mut csv = CsvText::new();
    out.line(&csv.line(header_around(["column".to_string()], &[])))?;
    for (c, col) in plan.columns.iter().enumerate() {
        let fields = std::iter::once(col.name.clone()).chain(entity_fields(&names, plan, c));
        out.line(&csv.line(fields))?;
    }
    out.commit(1)
}

/// `sensitivity.csv`: the indices [`crate::sweep::indices`] computes, one row per outcome
/// column, varied parameter and index.
fn sensitivity_csv(
    dir: &Path,
    plan: &Plan,
    records: &mut dyn RunValues,
) -> Result<FileRecord, OutputError> {
    let names = Names::new(&plan.base);
    let mut out = AtomicFile::create(&dir.join("sensitivity.csv"))?;
    let mut csv = CsvText::new();
    let last = [
        "parameter",
        "index",
        "estimate",
        "ci_low",
        "ci_high",
        "note",
    ];
    out.line(&csv.line(header_around(["column".to_string()], &last)))?;
    let means = point_means(plan, |run| records.values(run))?;
    for c in 0..plan.columns.len() {
        for row in column_indices(plan, c, &means) {
            let fields = std::iter::once(plan.columns[c].name.clone())
                .chain(entity_fields(&names, plan, c))
                .chain([
                    plan.factors[row.factor].path.clone(),
                    row.index.to_string(),
                    number(row.estimate),
                    number(row.low),
                    number(row.high),
                    row.note,
                ]);
            out.line(&csv.line(fields))?;
        }
    }
    out.commit(1)
}
