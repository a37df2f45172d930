//! The sweep spec file (`*.ron`, documented in docs/SWEEPS.md): which base scenario, which
//! parameters vary and how, which design, how many replicates, the master seed and the outcomes
//! to keep. Parsing reports problems with file, line and column like scenario files do.

use serde::{Deserialize, Serialize};

use super::design::{Distribution, Law};
use crate::scenario::ScenarioError;
use crate::scenario::params::ParamValue;

/// A sweep as written in its spec file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Sweep", deny_unknown_fields)]
pub struct SweepSpec {
    /// Short name; also the default output folder `output/<name>`.
    pub name: String,
    /// What question the sweep answers.
    #[serde(default)]
    pub description: String,
    /// Base scenario: a path relative to the spec file's folder, or a bundled scenario's name.
    pub scenario: String,
    /// Replaces the base scenario's number of ticks (a shorter horizon makes runs cheaper).
    #[serde(default)]
    pub ticks: Option<u32>,
    /// How design points are chosen.
    pub design: DesignSpec,
    /// Runs per design point, each with its own seed.
    #[serde(default = "one")]
    pub replicates: u32,
    /// Master seed: every run's seed derives from it (docs/SWEEPS.md, "Seeds").
    pub seed: u64,
    /// Give every design point the same seeds, replicate by replicate (common random numbers),
    /// so differences between points are not blurred by sampling noise.
    #[serde(default)]
    pub common_random_numbers: bool,
    /// The parameters (or policy instruments) that vary.
    pub parameters: Vec<Vary>,
    /// The outcomes to keep from each run.
    pub keep: Keep,
    /// Settings of the Sobol' bootstrap; defaults apply when absent.
    #[serde(default)]
    pub sensitivity: Option<SensitivitySettings>,
}

fn one() -> u32 {
    1
}

/// The experimental design.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DesignSpec {
    /// Full factorial over every parameter's `Values`, the last parameter varying fastest.
    Grid,
    /// `points` independent uniform draws mapped through each distribution.
    Random {
        /// Number of design points.
        points: usize,
    },
    /// A Latin hypercube of `points` points (McKay, Beckman & Conover 1979).
    LatinHypercube {
        /// Number of design points.
        points: usize,
    },
    /// The Saltelli (2010) A/B/AB_i layout on a Sobol' sequence: `base_samples × (k + 2)` points
    /// for k parameters; gives first-order and total Sobol' indices.
    Sobol {
        /// Base samples N (a power of two balances the sequence best).
        base_samples: usize,
    },
    /// Morris (1991) elementary-effects screening: `trajectories × (k + 1)` points.
    Morris {
        /// Number of trajectories (at least 2).
        trajectories: usize,
        /// Grid levels per parameter (even, at least 4).
        levels: usize,
    },
}

impl DesignSpec {
    /// The design's name in files.
    pub fn name(&self) -> &'static str {
        match self {
            DesignSpec::Grid => "grid",
            DesignSpec::Random { .. } => "random",
            DesignSpec::LatinHypercube { .. } => "latin_hypercube",
            DesignSpec::Sobol { .. } => "sobol",
            DesignSpec::Morris { .. } => "morris",
        }
    }

    /// Whether the design samples distributions (all but `Grid`).
    pub fn samples(&self) -> bool {
        !matches!(self, DesignSpec::Grid)
    }
}

/// One varying parameter.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vary {
    /// A parameter path (`chokepoint params`) or `control.<id>.max_capability`.
    pub path: String,
    /// Its distribution (sampling designs) or its listed values (grids).
    pub dist: Dist,
}

/// Where a parameter's values come from: a distribution (sampling designs) or listed values
/// (grids). The variants and their meaning are [`Law`]'s.
pub type Dist = Law<Vec<ParamValue>>;

impl Dist {
    /// The sampling distribution, or `None` for listed values.
    pub fn distribution(&self) -> Option<Distribution> {
        Some(match *self {
            Law::Uniform { low, high } => Law::Uniform { low, high },
            Law::Normal { mean, sd } => Law::Normal { mean, sd },
            Law::LogUniform { low, high } => Law::LogUniform { low, high },
            Law::Triangular { low, mode, high } => Law::Triangular { low, mode, high },
            Law::Values(_) => return None,
        })
    }
}

/// The outcomes kept from each run: every row of the named metrics at the named ticks, narrowed by
/// the entity filters (a filter only applies to rows that have that column).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keep {
    /// Metric names, as in `metrics.csv`.
    pub metrics: Vec<String>,
    /// Tick numbers (0-based). With `dates` and `all_ticks` unset too: the last tick.
    #[serde(default)]
    pub ticks: Option<Vec<u32>>,
    /// Dates (`"2025-06"`); each keeps the tick containing it. Joins `ticks`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dates: Option<Vec<crate::scenario::Date>>,
    /// Keep every tick (fan charts then show the whole path, not lines between a few ticks).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub all_ticks: bool,
    /// Keep only these states (rows without a state are unaffected).
    #[serde(default)]
    pub states: Option<Vec<String>>,
    /// Keep only these firms.
    #[serde(default)]
    pub firms: Option<Vec<String>>,
    /// Keep only these sectors.
    #[serde(default)]
    pub sectors: Option<Vec<String>>,
    /// Keep only these buying markets (state ids or `world`).
    #[serde(default)]
    pub markets: Option<Vec<String>>,
}

/// Bootstrap settings for Sobol' confidence intervals.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensitivitySettings {
    /// Bootstrap resamples (default 1000).
    #[serde(default = "default_resamples")]
    pub bootstrap: usize,
    /// Confidence level of the intervals (default 0.95).
    #[serde(default = "default_confidence")]
    pub confidence: f64,
}

fn default_resamples() -> usize {
    1000
}

fn default_confidence() -> f64 {
    0.95
}

impl Default for SensitivitySettings {
    fn default() -> Self {
        SensitivitySettings {
            bootstrap: default_resamples(),
            confidence: default_confidence(),
        }
    }
}

/// Parses a spec's text; `name` is used in messages.
pub fn parse(name: &str, text: &str) -> Result<SweepSpec, ScenarioError> {
    crate::scenario::load::parse_ron(name, text).map_err(|mut err| {
        err.help = Some(err.help.map_or_else(
            || "docs/SWEEPS.md describes the spec format".to_string(),
            |h| h.replace("docs/SCENARIOS.md", "docs/SWEEPS.md"),
        ));
        err
    })
}
