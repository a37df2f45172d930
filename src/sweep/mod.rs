//! Monte Carlo sweeps and global sensitivity analysis: the spec format ([`spec`]), sampling
//! designs ([`design`]), the validated plan with its seeds and outcome columns ([`plan`]),
//! summary statistics ([`stats`]), Sobol'/Morris estimators ([`sensitivity`]) and a finished
//! sweep's indices computed with them ([`indices`]). Running a plan
//! in parallel, resuming and sharding live in [`crate::runner::sweep`]; docs/SWEEPS.md is the
//! user's guide.

pub mod design;
pub mod indices;
pub mod plan;
pub mod sensitivity;
pub mod spec;
pub mod stats;

pub use plan::{Plan, load_plan, run_seed};
pub use spec::SweepSpec;
