//! Run orchestration, apart from the model: a single run with its output folder; sweeps (many
//! seeded runs in parallel, resumable, shardable) with their journal and shard files; the Slurm
//! array script `--emit-slurm` writes; effect analyses (paired counterfactual runs over a dose);
//! comparisons of two finished runs (`compare`).

pub mod compare;
pub mod effect;
pub mod error;
pub mod folder;
pub mod journal;
pub mod progress;
pub mod single;
pub mod slurm;
pub mod sweep;

pub use error::{CommandError, Exit};

/// Draws the default charts of a result folder still being staged into its `charts/` folder. The
/// charts read only the files already written, as `chokepoint plot` would redraw them; a failure is
/// returned as text, since the results themselves are complete.
pub fn draw_charts_into(
    staging: &std::path::Path,
    plots: &crate::charts::PlotRequest,
) -> Result<usize, String> {
    let plots = crate::charts::PlotRequest {
        out_dir: Some(staging.join("charts")),
        ..plots.clone()
    };
    crate::charts::plot_directory(staging, &plots)
        .map(|files| files.len())
        .map_err(|e| e.to_string())
}
