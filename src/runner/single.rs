//! One run: load → simulate → write `metrics.csv`, `manifest.json`, `scenario.ron` and entity
//! tables into a staging folder, published only when complete.

use std::path::PathBuf;
use std::time::Instant;

use super::folder::result_dir;
use crate::model::{self, metrics::Selection};
use crate::output::files::write_atomic;
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
}

impl From<RunError> for super::error::CommandError {
    /// A run whose state became non-finite is bad input (a parameter out of range): exit 2.
    fn from(e: RunError) -> Self {
        match e {
            RunError::Output(e) => e.into(),
            e @ RunError::NonFinite(_) => super::error::CommandError::bad_input(e),
        }
    }
}

/// Runs a loaded scenario and writes its results.
pub fn execute(loaded: &Loaded, request: &RunRequest) -> Result<RunSummary, RunError> {
    let started = Instant::now();
    let scenario = &loaded.scenario;
    let target = result_dir(request.out.as_deref(), &scenario.name);
    let dir = OutputDir::create(&target, request.force)?;
    let rows = model::try_run(scenario, Selection::default())?;

    let mut manifest = RunManifest::new(
        scenario,
        loaded.source.display(),
        request.command_line.clone(),
    );
    let files: [(&str, String, Option<usize>); 5] = [
        (
            "metrics.csv",
            tidy::metrics_csv(scenario, &rows),
            Some(rows.len()),
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
        manifest.files.insert(
            name.to_string(),
            FileRecord {
                rows: count,
                sha256: sha256_hex(text.as_bytes()),
            },
        );
    }
    manifest.wall_time_seconds = started.elapsed().as_secs_f64();
    write_atomic(&dir.path("manifest.json"), manifest.to_json().as_bytes())?;
    // Charts are drawn from the written files, as `chokepoint plot` would redraw them.
    let charts = match &request.plots {
        Some(plots) => super::draw_charts_into(&dir.path(""), plots),
        None => Ok(0),
    };
    let dir = dir.publish()?;
    Ok(RunSummary {
        dir,
        rows: rows.len(),
        seconds: started.elapsed().as_secs_f64(),
        charts,
    })
}
