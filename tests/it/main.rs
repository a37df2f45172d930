//! chokepoint's integration tests, in one binary so that bevy_ecs and plotters are linked once.
//!
//! One module per area; `support` holds what they share: the path to the built executable and the
//! small test world. The real-Slurm test (`slurm`) only brings up a cluster when
//! `CHOKEPOINT_SLURM_TEST` is set (`.ci/run` sets it); otherwise it says why it skipped.

mod alliances;
mod architecture;
mod calibration;
mod charts;
mod cli;
mod compare;
mod effect;
mod fixtures;
mod innovation;
mod mechanisms;
mod model;
mod outputs;
mod prices;
mod regressions;
mod robustness;
mod slurm;
mod support;
mod sweep;
mod tutorial;
mod units;
