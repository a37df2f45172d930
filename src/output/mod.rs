//! Output files: the tidy `metrics.csv`, `manifest.json`, `scenario.ron` and the entity tables,
//! written so that an interrupted run never leaves a file or folder that looks complete.
//! docs/OUTPUTS.md is the public contract for every file here.

pub mod files;
pub mod manifest;
pub mod sweep;
pub mod table;
pub mod tidy;

pub use files::{OutputDir, OutputError};
