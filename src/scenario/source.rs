//! A scenario as text: where it came from ([`Source`]), the text of every file of its `extends`
//! chain ([`SourceTexts`]), which file wrote each entity, event and parameter ([`Origins`]), and
//! its canonical RON form with the SHA-256 the manifests record. Loading fills these in;
//! validation reads them to point an error at the file, line and column that wrote the value.

use std::collections::BTreeMap;
use std::path::PathBuf;

use ron::extensions::Extensions;

use super::error::{ScenarioError, locate, nth_occurrence};
use super::types::Scenario;

/// Where a scenario's text came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// A scenario bundled in the binary, by file name.
    Bundled(String),
}

impl Source {
    /// How the source is named in messages and manifests.
    pub fn display(&self) -> String {
        match self {
            Source::File(p) => p.display().to_string(),
            Source::Bundled(name) => format!("<bundled>/{name}"),
        }
    }
}

/// The text of every file in an `extends` chain, kept to locate errors found after parsing.
#[derive(Clone, Debug, Default)]
pub struct SourceTexts {
    files: Vec<(String, String)>,
}

impl SourceTexts {
    /// Keeps the text of one more file; returns its index.
    pub fn add_text(&mut self, name: String, text: String) -> usize {
        self.files.push((name, text));
        self.files.len() - 1
    }

    /// How many files are kept.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    /// Whether no file is kept yet.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// The name of the last file kept (the end of the `extends` chain once loaded).
    pub fn last_name(&self) -> Option<&str> {
        self.files.last().map(|(name, _)| name.as_str())
    }

    /// Builds an error located in file `file` at the first match of `needle` after `anchor`.
    pub fn error_at(
        &self,
        file: usize,
        anchor: Option<&str>,
        needle: &str,
        message: String,
    ) -> ScenarioError {
        let (name, text) = &self.files[file];
        let err = ScenarioError::new(message).in_file(name.clone());
        match locate(text, anchor, needle) {
            Some((line, col)) => err.at_position(text, line, col, needle.chars().count()),
            None => err,
        }
    }

    /// Whether file `file` contains `needle` outside comments.
    pub fn contains(&self, file: usize, needle: &str) -> bool {
        self.files
            .get(file)
            .is_some_and(|(_, text)| super::error::locate(text, None, needle).is_some())
    }

    /// The `n`-th occurrence of `needle` in file `file`, as an anchor string for [`Self::error_at`].
    pub fn anchor_of_nth(&self, file: usize, needle: &str, n: usize) -> Option<String> {
        let text = &self.files[file].1;
        nth_occurrence(text, needle, n)
            .map(|at| text[at..].lines().next().unwrap_or("").to_string())
    }
}

/// Where each entity and event of the merged scenario was written: file index and, for events,
/// the event's position within that file.
#[derive(Clone, Debug, Default)]
pub struct Origins {
    /// File index per `(kind, id)`, kind being "sector", "state", "firm" or "alliance".
    pub entities: BTreeMap<(&'static str, String), usize>,
    /// File index and index within that file, per merged event.
    pub events: Vec<(usize, usize)>,
    /// File index per parameter path set in a file.
    pub parameters: BTreeMap<String, usize>,
    /// The file that set each top-level scalar.
    pub top: BTreeMap<&'static str, usize>,
}

/// The canonical RON form of a scenario (no comments): what its SHA-256 is taken of.
pub fn canonical_ron(scenario: &Scenario) -> String {
    let config = ron::ser::PrettyConfig::new()
        .struct_names(true)
        .indentor("    ".to_string())
        .extensions(Extensions::IMPLICIT_SOME);
    ron::ser::to_string_pretty(scenario, config).expect("a scenario always serializes")
}

/// Renders a scenario as RON that loads back to the identical scenario.
pub fn to_ron(scenario: &Scenario) -> String {
    let body = canonical_ron(scenario);
    format!(
        "// Effective scenario written by chokepoint {}: every `extends` and override resolved.\n\
         // `chokepoint run <this file>` repeats the run exactly.\n{body}\n",
        env!("CARGO_PKG_VERSION")
    )
}

/// SHA-256 (lowercase hex) of the scenario's canonical RON form: what `scenario.ron` holds,
/// without its comment header. Manifests and sweep ids record it.
pub fn scenario_hash(scenario: &Scenario) -> String {
    crate::provenance::sha256_hex(canonical_ron(scenario).as_bytes())
}
