//! Errors of the chart module. Every message names what exists, so a user can correct the call.

use std::path::PathBuf;

/// Why a chart could not be made.
#[derive(Debug, thiserror::Error)]
pub enum PlotError {
    /// The directory has no `manifest.json`.
    #[error("`{dir}` holds no chokepoint run, sweep or effect result: no manifest.json")]
    NoManifest { dir: PathBuf },

    /// `manifest.json` could not be read as JSON.
    #[error("`{path}` is not a valid manifest: {message}")]
    BadManifest { path: PathBuf, message: String },

    /// `manifest.json` names a kind this module does not know.
    #[error(
        "`{dir}` holds no chokepoint run, sweep or effect result: manifest.json has kind {kind} (expected \"run\", \"sweep\" or \"effect\")"
    )]
    UnknownKind { dir: PathBuf, kind: String },

    /// A chart name that this directory cannot make.
    #[error("unknown chart `{name}` for this {kind} result; charts available here: {available}")]
    UnknownChart {
        name: String,
        kind: String,
        available: String,
    },

    /// A required input file is missing.
    #[error("`{path}` is missing ({why})")]
    MissingFile { path: PathBuf, why: String },

    /// A CSV file's header lacks a required column.
    #[error("`{path}` has the wrong header\n  expected: {expected}\n  found:    {found}")]
    BadHeader {
        path: PathBuf,
        expected: String,
        found: String,
    },

    /// A CSV row could not be read.
    #[error("`{path}` line {line}: {message}")]
    BadRow {
        path: PathBuf,
        line: u64,
        message: String,
    },

    /// A metric (or quantity, or index) with no rows.
    #[error("{what} `{name}` has no data in `{path}`{context}; present: {present}")]
    NoData {
        what: String,
        name: String,
        path: PathBuf,
        context: String,
        present: String,
    },

    /// A state, firm, market, design point, … that does not exist in the result.
    #[error("{what} `{name}` does not exist in `{path}`; {what}s present: {present}")]
    UnknownEntity {
        what: String,
        name: String,
        path: PathBuf,
        present: String,
    },

    /// A request that cannot be honoured (e.g. a non-positive PNG scale).
    #[error("invalid plot request: {0}")]
    InvalidRequest(String),

    /// Reading or writing a file failed.
    #[error("I/O error on `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },

    /// plotters failed while drawing.
    #[error("drawing `{path}` failed: {message}")]
    Draw { path: PathBuf, message: String },
}

impl PlotError {
    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> PlotError {
        PlotError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Join names for an error message, quoting each; long lists are cut with a count.
pub(crate) fn list<I, S>(items: I) -> String
where
    I: IntoIterator<Item = S>,
    S: AsRef<str>,
{
    const MAX: usize = 40;
    let all: Vec<String> = items
        .into_iter()
        .map(|s| format!("`{}`", s.as_ref()))
        .collect();
    if all.is_empty() {
        return "(none)".to_string();
    }
    if all.len() > MAX {
        format!("{} … and {} more", all[..MAX].join(", "), all.len() - MAX)
    } else {
        all.join(", ")
    }
}
