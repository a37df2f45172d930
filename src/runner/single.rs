//! One run: load → simulate → write `metrics.csv`, `metrics_catalogue.csv`, `manifest.json`,
//! `scenario.ron` and entity tables into a staging folder, published only when complete. The
//! charts are drawn from the rows in memory while the tables are written, and `metrics.csv` is
//! hashed as it is written: nothing is read back.

use std::path::PathBuf;
use std::time::Instant;

use super::folder::result_dir;
use crate::charts::TidyRow;
use crate::labels::Names;
use crate::model::metrics::{Metric, Recording};
use crate::model::{self, metrics::Selection};
use crate::output::files::{AtomicFile, write_atomic};
use crate::output::manifest::{FileRecord, RunManifest};
use crate::output::{OutputDir, OutputError, tidy};
use crate::provenance::sha256_hex;
use crate::scenario::{Loaded, to_ron};

/// What a single run should write, and where.
#[derive(Clone, Debug)]
pub struct RunRequest {
    /// Output folder; `None` means `output/<scenario name>`.
    pub out: Option<PathBuf>,
    /// Replace a non-empty output folder.
    pub force: bool,
    /// The command line, for the manifest.
    pub command_line: Vec<String>,
    /// Charts to draw into `charts/` before publishing; `None` skips them (`--no-plots`).
    pub plots: Option<crate::charts::PlotRequest>,
    /// Which metrics and ticks `metrics.csv` keeps (`--metrics`, `--every`, `--dates`); default all.
    pub selection: Selection,
    /// Also write the rows as `metrics.parquet` (`--format parquet`; needs the `parquet` feature).
    pub parquet: bool,
}

/// What a finished run produced.
#[derive(Clone, Debug)]
pub struct RunSummary {
    /// The published output folder.
    pub dir: PathBuf,
    /// Rows in `metrics.csv`.
    pub rows: usize,
    /// Seconds from start to published results.
    pub seconds: f64,
    /// Charts written, or why they could not be (the run's results are kept either way).
    pub charts: Result<usize, String>,
}

/// Why a run wrote no results.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The model's state became non-finite: a parameter is out of range (bad input, exit 2).
    #[error("{0}; no results were written")]
    NonFinite(#[from] model::finite::NonFinite),
    /// The output folder could not be used or written.
    #[error("{0}")]
    Output(#[from] OutputError),
    /// The request needs something this build lacks (a cargo feature): bad input, exit 2.
    #[error("{0}")]
    Unsupported(&'static str),
}

impl From<RunError> for super::error::CommandError {
    /// A run whose state became non-finite is bad input (a parameter out of range): exit 2.
    fn from(e: RunError) -> Self {
        match e {
            RunError::Output(e) => e.into(),
            e @ (RunError::NonFinite(_) | RunError::Unsupported(_)) => {
                super::error::CommandError::bad_input(e)
            }
        }
    }
}

/// Runs a loaded scenario and writes its results.
pub fn execute(loaded: &Loaded, request: &RunRequest) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let scenario = &loaded.scenario;
    if request.parquet {
        crate::output::parquet_available().map_err(RunError::Unsupported)?;
    }
    let target = result_dir(request.out.as_deref(), &scenario.name);
    let dir = OutputDir::create(&target, request.force)?;
    let rows = model::try_run(scenario, request.selection.clone())?;

    let mut manifest = RunManifest::new(
        scenario,
        loaded.source.display(),
        request.command_line.clone(),
    );
    // The charts need only the rows: they are drawn while the tables are written.
    let (files, charts) = rayon::join(
        || write_tables(&dir, loaded, request, &manifest, &rows),
        || match &request.plots {
            Some(plots) => draw_charts(&dir.path(""), scenario, &rows, plots),
            None => Ok(0),
        },
    );
    manifest.files = files?;
    manifest.wall_time_seconds = started.elapsed().as_secs_f64();
    write_atomic(&dir.path("manifest.json"), manifest.to_json().as_bytes())?;
    let dir = dir.publish()?;
    Ok(RunSummary {
        dir,
        rows: rows.len(),
        seconds: started.elapsed().as_secs_f64(),
        charts,
    })
}

/// Writes `metrics.csv` (hashed as it is written), `metrics.parquet` when asked,
/// `metrics_catalogue.csv`, `scenario.ron` and the entity tables; returns their manifest records.
fn write_tables(
    dir: &OutputDir,
    loaded: &Loaded,
    request: &RunRequest,
    manifest: &RunManifest,
    rows: &Recording,
) -> Result<std::collections::BTreeMap<String, FileRecord>, OutputError> {
    let scenario = &loaded.scenario;
    let mut records = std::collections::BTreeMap::new();
    let mut metrics = AtomicFile::create(&dir.path("metrics.csv"))?;
    tidy::write_metrics_csv(scenario, rows.iter(), |chunk| metrics.write(chunk))?;
    let mut record = metrics.commit(0)?;
    record.rows = Some(rows.len());
    records.insert("metrics.csv".to_string(), record);
    #[cfg(feature = "parquet")]
    if request.parquet {
        let record = crate::output::parquet::write_metrics_parquet(
            &dir.path("metrics.parquet"),
            scenario,
            manifest,
            rows,
        )?;
        records.insert("metrics.parquet".to_string(), record);
    }
    #[cfg(not(feature = "parquet"))]
    let _ = manifest;
    let chosen: Vec<Metric> = request
        .selection
        .metrics
        .clone()
        .unwrap_or_else(|| Metric::ALL.to_vec());
    let files: [(&str, String, Option<usize>); 5] = [
        (
            "metrics_catalogue.csv",
            tidy::metrics_catalogue_csv(&chosen),
            Some(chosen.len()),
        ),
        ("scenario.ron", to_ron(scenario), None),
        (
            "firms.csv",
            tidy::firms_csv(scenario),
            Some(scenario.firms.len()),
        ),
        (
            "states.csv",
            tidy::states_csv(scenario),
            Some(scenario.states.len()),
        ),
        (
            "sectors.csv",
            tidy::sectors_csv(scenario),
            Some(scenario.sectors.len()),
        ),
    ];
    for (name, text, count) in files {
        write_atomic(&dir.path(name), text.as_bytes())?;
        records.insert(
            name.to_string(),
            FileRecord {
                rows: count,
                sha256: sha256_hex(text.as_bytes()),
            },
        );
    }
    Ok(records)
}

/// Draws a run's default charts into `staging/charts` from its rows in memory: the same files
/// `chokepoint plot` draws from the published folder. A failure is returned as text, since the
/// results themselves are complete.
fn draw_charts(
    staging: &std::path::Path,
    scenario: &crate::scenario::Scenario,
    rows: &Recording,
    plots: &crate::charts::PlotRequest,
) -> Result<usize, String> {
    let names = Names::new(scenario);
    let tidy_rows = rows.iter().map(|r| TidyRow {
        tick: r.tick,
        metric: r.metric.name(),
        state: names.state(r.state),
        firm: names.firm(r.firm),
        sector: names.sector(r.sector),
        market: names.market(r.market),
        value: r.value,
    });
    let plots = crate::charts::PlotRequest {
        out_dir: Some(staging.join("charts")),
        ..plots.clone()
    };
    crate::charts::plot_run_rows(staging, scenario, tidy_rows, &plots)
        .map(|files| files.len())
        .map_err(|e| e.to_string())
}
