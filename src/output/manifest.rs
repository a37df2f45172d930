//! `manifest.json`: the provenance of a result folder — what ran (scenario name and SHA-256 of
//! the effective scenario, seed, every parameter in force), with which build, from which command,
//! and what files it produced.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use crate::provenance::build_info;
use crate::scenario::{Scenario, scenario_hash};

/// A produced file's record in the manifest.
#[derive(Clone, Debug, Serialize)]
pub struct FileRecord {
    /// Data rows (not counting the header), for tables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
}

/// The manifest of one run.
#[derive(Clone, Debug, Serialize)]
pub struct RunManifest {
    /// Always `"run"`; sweeps and effect analyses write their own kinds.
    pub kind: &'static str,
    /// Scenario name.
    pub scenario: String,
    /// Scenario description.
    pub description: String,
    /// Where the scenario was read from.
    pub scenario_source: String,
    /// SHA-256 of the effective scenario (see [`scenario_hash`]).
    pub scenario_sha256: String,
    /// Master seed.
    pub seed: u64,
    /// Ticks run.
    pub ticks: u32,
    /// Ticks per year.
    pub ticks_per_year: u32,
    /// Date of the first tick.
    pub start: String,
    /// Date of the last tick.
    pub end: String,
    /// Every parameter in force.
    pub parameters: BTreeMap<String, Value>,
    /// Crate version.
    pub chokepoint_version: String,
    /// Git commit of the build, when known.
    pub git_commit: Option<String>,
    /// The command line, argument by argument.
    pub command_line: Vec<String>,
    /// Wall-clock seconds the run took (the only field that differs between identical runs).
    pub wall_time_seconds: f64,
    /// The files written, with row counts and digests.
    pub files: BTreeMap<String, FileRecord>,
}

impl RunManifest {
    /// A manifest for `scenario` with everything but timing and files filled in.
    pub fn new(scenario: &Scenario, source: String, command_line: Vec<String>) -> Self {
        let (version, commit) = build_info();
        RunManifest {
            kind: "run",
            scenario: scenario.name.clone(),
            description: scenario.description.clone(),
            scenario_source: source,
            scenario_sha256: scenario_hash(scenario),
            seed: scenario.seed,
            ticks: scenario.ticks,
            ticks_per_year: scenario.ticks_per_year,
            start: scenario.date_of_tick(0).iso(),
            end: scenario.date_of_tick(scenario.ticks - 1).iso(),
            parameters: scenario.parameters.to_flat(),
            chokepoint_version: version,
            git_commit: commit,
            command_line,
            wall_time_seconds: 0.0,
            files: BTreeMap::new(),
        }
    }

    /// Pretty JSON with a trailing newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("manifest serializes") + "\n"
    }
}
