//! Run orchestration, apart from the model: a single run with its output folder; sweeps and effect
//! analyses (many seeded runs in parallel) build on the same pieces.

pub mod single;

/// Exit code for bad input (scenario, spec, arguments): fix the input, do not retry. Schedulers
/// should treat it as permanent.
pub const EXIT_BAD_INPUT: i32 = 2;
/// Exit code for a failure while running or writing (I/O): retrying may help.
pub const EXIT_FAILURE: i32 = 1;
