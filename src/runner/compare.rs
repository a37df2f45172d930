//! `chokepoint compare A B`: a scenario (the baseline, A) against its counterfactual (the
//! variant, B), from two finished run folders. The metric rows are joined on every index column
//! (an outer join: a row present in one run only keeps an empty value on the other side), giving
//! `comparison.csv` in the tidy schema of `metrics.csv` with `baseline`, `variant` and
//! `difference` (variant − baseline) instead of `value`; charts of the difference over time follow.
//! Runs of different worlds (states, firms, sectors) or calendars are refused: their rows would
//! join by name but mean different things.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::labels::METRICS_COLUMNS;
use crate::output::files::write_atomic;
use crate::output::manifest::FileRecord;
use crate::output::table::CsvText;
use crate::output::{OutputDir, OutputError};
use crate::provenance::{build_info, sha256_hex};

/// How to compare.
#[derive(Clone, Debug)]
pub struct CompareRequest {
    /// Output folder; default `output/compare_<baseline>_vs_<variant>`.
    pub out: Option<PathBuf>,
    /// Replace a non-empty output folder.
    pub force: bool,
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
    /// Charts to draw before publishing; `None` skips them.
    pub plots: Option<crate::charts::PlotRequest>,
}

/// Why two folders cannot be compared, or writing failed.
#[derive(Debug, thiserror::Error)]
pub enum CompareError {
    /// A folder is not a readable run (exit code 2).
    #[error("{0}")]
    Input(String),
    /// The runs cannot be compared row by row (exit code 2).
    #[error("cannot compare `{baseline}` with `{variant}`: {why}")]
    Incompatible {
        /// Baseline folder.
        baseline: PathBuf,
        /// Variant folder.
        variant: PathBuf,
        /// What differs, and what would make them comparable.
        why: String,
    },
    /// Writing failed (exit code 1).
    #[error("{0}")]
    Output(#[from] OutputError),
}

/// What a finished comparison produced.
#[derive(Clone, Debug)]
pub struct CompareSummary {
    /// The published folder.
    pub dir: PathBuf,
    /// Rows of `comparison.csv`.
    pub rows: usize,
    /// Rows whose values differ (or exist on one side only).
    pub differing: usize,
    /// Charts written, or why not.
    pub charts: Result<usize, String>,
}

/// The index columns of a metric row: tick, date, metric, state, firm, sector, market.
type Key = [String; 7];

/// A run folder as read for comparison.
struct RunFolder {
    dir: PathBuf,
    manifest: serde_json::Value,
    /// Metric rows in file order.
    rows: Vec<(Key, String)>,
}

impl RunFolder {
    fn read(dir: &Path) -> Result<RunFolder, CompareError> {
        let manifest_path = dir.join("manifest.json");
        let text = std::fs::read_to_string(&manifest_path).map_err(|e| {
            CompareError::Input(format!(
                "`{}` is not a result folder (cannot read manifest.json: {e}); give two folders written by `chokepoint run`",
                dir.display()
            ))
        })?;
        let manifest: serde_json::Value = serde_json::from_str(&text).map_err(|e| {
            CompareError::Input(format!("{}: not valid JSON: {e}", manifest_path.display()))
        })?;
        let kind = manifest["kind"].as_str().unwrap_or("");
        if kind != "run" {
            return Err(CompareError::Input(format!(
                "`{}` holds a {} result, not a run: compare takes two folders written by `chokepoint run` (a sweep or effect analysis compares its own runs)",
                dir.display(),
                if kind.is_empty() { "unknown" } else { kind }
            )));
        }
        let path = dir.join("metrics.csv");
        let mut reader = csv::Reader::from_path(&path)
            .map_err(|e| CompareError::Input(format!("{}: {e}", path.display())))?;
        let header: Vec<String> = reader
            .headers()
            .map_err(|e| CompareError::Input(format!("{}: {e}", path.display())))?
            .iter()
            .map(str::to_string)
            .collect();
        if header != METRICS_COLUMNS {
            return Err(CompareError::Input(format!(
                "{}: header is `{}`, expected `{}` (docs/OUTPUTS.md)",
                path.display(),
                header.join(","),
                METRICS_COLUMNS.join(",")
            )));
        }
        let mut rows = Vec::new();
        for record in reader.records() {
            let r = record.map_err(|e| CompareError::Input(format!("{}: {e}", path.display())))?;
            if r.len() != 8 {
                return Err(CompareError::Input(format!(
                    "{}: line {} has {} fields, expected 8",
                    path.display(),
                    r.position().map_or(0, |p| p.line()),
                    r.len()
                )));
            }
            let key: Key = std::array::from_fn(|i| r[i].to_string());
            rows.push((key, r[7].to_string()));
        }
        Ok(RunFolder {
            dir: dir.to_path_buf(),
            manifest,
            rows,
        })
    }

    fn field(&self, name: &str) -> String {
        match &self.manifest[name] {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Null => "?".into(),
            other => other.to_string(),
        }
    }

    fn name(&self) -> String {
        self.field("scenario")
    }

    /// The file's text, or empty when absent (older folders).
    fn table(&self, file: &str) -> String {
        std::fs::read_to_string(self.dir.join(file)).unwrap_or_default()
    }
}

/// The ids in the first column of an entity table (`states.csv`, `firms.csv`, `sectors.csv`).
fn ids(table: &str) -> Vec<String> {
    let mut reader = csv::Reader::from_reader(table.as_bytes());
    let mut out: Vec<String> = reader
        .records()
        .filter_map(Result::ok)
        .filter_map(|r| r.get(0).map(str::to_string))
        .collect();
    out.sort();
    out
}

/// Refuses runs whose calendars or worlds differ, saying what differs.
fn check_compatible(a: &RunFolder, b: &RunFolder) -> Result<(), CompareError> {
    let refuse = |why: String| CompareError::Incompatible {
        baseline: a.dir.clone(),
        variant: b.dir.clone(),
        why,
    };
    for field in ["start", "ticks_per_year", "ticks"] {
        if a.field(field) != b.field(field) {
            return Err(refuse(format!(
                "different dates: the baseline runs from {} for {} ticks at {} a year, the variant from {} for {} ticks at {} a year; \
                 rerun one with the other's `start`, `end` and `ticks_per_year`",
                a.field("start"),
                a.field("ticks"),
                a.field("ticks_per_year"),
                b.field("start"),
                b.field("ticks"),
                b.field("ticks_per_year")
            )));
        }
    }
    for (file, what) in [
        ("states.csv", "states"),
        ("sectors.csv", "sectors"),
        ("firms.csv", "firms"),
    ] {
        let (x, y) = (ids(&a.table(file)), ids(&b.table(file)));
        if x != y {
            let only = |p: &[String], q: &[String]| -> String {
                let v: Vec<&str> = p
                    .iter()
                    .filter(|i| !q.contains(i))
                    .map(String::as_str)
                    .collect();
                if v.is_empty() {
                    "none".into()
                } else {
                    v.join(", ")
                }
            };
            return Err(refuse(format!(
                "different worlds: {what} only in the baseline: {}; only in the variant: {}. \
                 A counterfactual changes events or parameters, not the world: build both from the same base scenario",
                only(&x, &y),
                only(&y, &x)
            )));
        }
    }
    Ok(())
}

/// `comparison.csv`: the outer join of the two metric tables, in tick order (within a tick the
/// baseline's row order, then rows only the variant has), and how many rows differ.
fn comparison_csv(a: &RunFolder, b: &RunFolder) -> (String, usize, usize) {
    let in_b: HashMap<&Key, &str> = b.rows.iter().map(|(k, v)| (k, v.as_str())).collect();
    let in_a: HashMap<&Key, &str> = a.rows.iter().map(|(k, v)| (k, v.as_str())).collect();
    let mut merged: Vec<(&Key, Option<&str>, Option<&str>)> = a
        .rows
        .iter()
        .map(|(k, v)| (k, Some(v.as_str()), in_b.get(k).copied()))
        .chain(
            b.rows
                .iter()
                .filter(|(k, _)| !in_a.contains_key(k))
                .map(|(k, v)| (k, None, Some(v.as_str()))),
        )
        .collect();
    // Stable: within a tick the baseline's rows keep their order and come first.
    merged.sort_by_key(|(k, _, _)| k[0].parse::<u64>().unwrap_or(u64::MAX));
    let mut out = CsvText::new();
    out.record(
        METRICS_COLUMNS[..7]
            .iter()
            .copied()
            .chain(["baseline", "variant", "difference"]),
    );
    let mut differing = 0;
    for (k, x, y) in &merged {
        let difference = match (
            x.and_then(|v| v.parse::<f64>().ok()),
            y.and_then(|v| v.parse::<f64>().ok()),
        ) {
            (Some(p), Some(q)) => {
                if p != q {
                    differing += 1;
                }
                // Rust's shortest round-trip form, as in metrics.csv.
                format!("{}", q - p)
            }
            _ => {
                differing += 1;
                String::new()
            }
        };
        out.record(k.iter().map(String::as_str).chain([
            x.unwrap_or(""),
            y.unwrap_or(""),
            difference.as_str(),
        ]));
    }
    (out.finish(), merged.len(), differing)
}

/// `manifest.json` of a comparison.
#[derive(Serialize)]
struct CompareManifest {
    kind: &'static str,
    /// "<variant> vs <baseline>", the name charts show.
    scenario: String,
    baseline: Side,
    variant: Side,
    start: serde_json::Value,
    ticks: serde_json::Value,
    ticks_per_year: serde_json::Value,
    chokepoint_version: String,
    git_commit: Option<String>,
    command_line: Vec<String>,
    files: BTreeMap<String, FileRecord>,
}

/// One side of a comparison, as its own manifest describes it.
#[derive(Serialize)]
struct Side {
    folder: String,
    scenario: String,
    scenario_sha256: String,
    seed: serde_json::Value,
    metrics_sha256: String,
}

impl Side {
    fn of(r: &RunFolder) -> Side {
        Side {
            folder: r.dir.display().to_string(),
            scenario: r.name(),
            scenario_sha256: r.field("scenario_sha256"),
            seed: r.manifest["seed"].clone(),
            metrics_sha256: r.manifest["files"]["metrics.csv"]["sha256"]
                .as_str()
                .unwrap_or("")
                .to_string(),
        }
    }
}

/// Compares run folder `variant` against `baseline` and writes the comparison folder.
pub fn execute(
    baseline: &Path,
    variant: &Path,
    request: &CompareRequest,
) -> Result<CompareSummary, CompareError> {
    let a = RunFolder::read(baseline)?;
    let b = RunFolder::read(variant)?;
    check_compatible(&a, &b)?;
    let target = request.out.clone().unwrap_or_else(|| {
        Path::new("output").join(crate::charts::slug(&format!(
            "compare {} vs {}",
            a.name(),
            b.name()
        )))
    });
    let dir = OutputDir::create(&target, request.force)?;
    let (table, rows, differing) = comparison_csv(&a, &b);
    let mut files = BTreeMap::new();
    let mut put = |name: &str, text: &str, rows: Option<usize>| -> Result<(), OutputError> {
        write_atomic(&dir.path(name), text.as_bytes())?;
        files.insert(
            name.to_string(),
            FileRecord {
                rows,
                sha256: sha256_hex(text.as_bytes()),
            },
        );
        Ok(())
    };
    put("comparison.csv", &table, Some(rows))?;
    // The entity tables (identical on both sides) give the charts their names and colours.
    for file in ["states.csv", "sectors.csv", "firms.csv"] {
        let text = a.table(file);
        if !text.is_empty() {
            put(file, &text, Some(text.lines().count().saturating_sub(1)))?;
        }
    }
    let (version, commit) = build_info();
    let manifest = CompareManifest {
        kind: "comparison",
        scenario: format!("{} vs {}", b.name(), a.name()),
        baseline: Side::of(&a),
        variant: Side::of(&b),
        start: a.manifest["start"].clone(),
        ticks: a.manifest["ticks"].clone(),
        ticks_per_year: a.manifest["ticks_per_year"].clone(),
        chokepoint_version: version,
        git_commit: commit,
        command_line: request.command_line.clone(),
        files,
    };
    write_atomic(
        &dir.path("manifest.json"),
        (serde_json::to_string_pretty(&manifest).expect("manifest serializes") + "\n").as_bytes(),
    )?;
    let charts = match &request.plots {
        Some(plots) => super::draw_charts_into(&dir.path(""), plots),
        None => Ok(0),
    };
    let dir = dir.publish()?;
    Ok(CompareSummary {
        dir,
        rows,
        differing,
        charts,
    })
}
