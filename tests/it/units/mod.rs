//! The tests of single source files, one module per file: the tests of `src/sweep/design.rs`
//! are in `sweep_design.rs`, those of `src/labels.rs` in `labels.rs`. They call the library's
//! public API only; where a test pins a helper, that helper is public for it and says so.
//!
//! They live here rather than in `#[cfg(test)]` modules so that `cargo test` compiles the library
//! once (`[lib] test = false` in Cargo.toml; the build-time figures are in ARCHITECTURE.md, "Build").

mod charts_figure;
mod charts_font;
mod charts_theme;
mod effect_stats;
mod labels;
mod model_alliances;
mod model_catalogue;
mod model_leakage;
mod model_learning;
mod model_metrics;
mod model_prices;
mod model_production;
mod output_files;
#[cfg(feature = "parquet")]
mod output_parquet;
mod output_table;
mod output_ticks;
mod output_tidy;
mod provenance;
mod runner_error;
mod runner_folder;
mod runner_journal;
mod runner_slurm;
mod runner_sweep;
mod scenario_controls;
mod scenario_params;
mod scenario_ranges;
mod stats;
mod sweep_design;
mod sweep_plan;
mod sweep_sensitivity;
mod sweep_spec;
mod sweep_stats;
