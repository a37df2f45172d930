//! Testing "diminishing marginal effect": paired counterfactual runs over a dose (successive
//! rounds or stringency levels), marginal effects with bootstrap intervals, a curvature verdict,
//! and ablations that show which mechanisms cause it. The runner is `runner::effect`.

pub mod spec;
pub mod stats;
