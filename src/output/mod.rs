//! Output files: the tidy `metrics.csv`, `manifest.json`, `scenario.ron` and the entity tables,
//! written so that an interrupted run never leaves a file or folder that looks complete.
//! docs/OUTPUTS.md is the public contract for every file here.

pub mod files;
pub mod manifest;
#[cfg(feature = "parquet")]
pub mod parquet;
pub mod sweep;
pub mod table;
pub mod ticks;
pub mod tidy;

pub use files::{OutputDir, OutputError};

/// Why this build cannot write `metrics.parquet`, naming the feature and the command that adds it.
pub const PARQUET_NEEDS_FEATURE: &str = "--format parquet needs chokepoint built with the `parquet` \
    cargo feature (cargo build --release --features parquet, or cargo install --path . --features \
    parquet); this build writes metrics.csv only";

/// Whether this build can write `metrics.parquet`: [`PARQUET_NEEDS_FEATURE`] when not.
pub fn parquet_available() -> Result<(), &'static str> {
    if cfg!(feature = "parquet") {
        Ok(())
    } else {
        Err(PARQUET_NEEDS_FEATURE)
    }
}
