//! Run orchestration, apart from the model: a single run with its output folder; sweeps (many
//! seeded runs in parallel, resumable, shardable) with their journal and shard files; the Slurm
//! array script `--emit-slurm` writes; effect analyses (paired counterfactual runs over a dose).

pub mod effect;
pub mod journal;
pub mod progress;
pub mod single;
pub mod slurm;
pub mod sweep;

/// Exit code for bad input (scenario, spec, arguments): fix the input, do not retry. Schedulers
/// should treat it as permanent.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for a failure while running or writing (I/O): retrying may help.
pub const EXIT_FAILURE: i32 = 1;
