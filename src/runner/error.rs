//! The one table of exit codes, and the one error every command ends with. Each library error
//! (scenario, output, chart, effect) converts into a [`CommandError`] here and nowhere else, so a
//! given failure exits with the same code from every command; the README's "Exit codes" section
//! documents [`Exit::TABLE`] (a test keeps the two in step).

use std::path::Path;

use crate::charts::PlotError;
use crate::output::OutputError;
use crate::scenario::ScenarioError;

/// What kind of ending a command had, and the process exit code each kind maps to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Bad input (scenario, spec, arguments, output folder): fix it; schedulers should not retry.
    BadInput,
    /// A failure while running or writing (I/O): retrying may help.
    Failure,
    /// A sweep stopped by Ctrl-C or SIGTERM (128 + SIGINT): run the same command to resume.
    Interrupted,
}

impl Exit {
    /// Every exit code a command can return besides 0 (success), with its meaning.
    pub const TABLE: [(Exit, u8, &'static str); 3] = [
        (Exit::BadInput, 2, "bad input"),
        (Exit::Failure, 1, "a failure while running or writing"),
        (
            Exit::Interrupted,
            130,
            "a sweep stopped by Ctrl-C or SIGTERM",
        ),
    ];

    /// The process exit code.
    pub fn code(self) -> u8 {
        match self {
            Exit::BadInput => 2,
            Exit::Failure => 1,
            Exit::Interrupted => 130,
        }
    }
}

/// Why a command did not finish: the message for the user and the kind of ending.
#[derive(Debug)]
pub enum CommandError {
    /// Bad spec, scenario, arguments or folder: fix the input, do not retry (exit 2).
    BadInput(String),
    /// A failure while running or writing (exit 1).
    Failure(String),
    /// Stopped on request; the journal holds every finished run (exit 130).
    Interrupted(String),
}

impl CommandError {
    /// The kind of ending.
    pub fn exit(&self) -> Exit {
        match self {
            CommandError::BadInput(_) => Exit::BadInput,
            CommandError::Failure(_) => Exit::Failure,
            CommandError::Interrupted(_) => Exit::Interrupted,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> u8 {
        self.exit().code()
    }

    /// A bad-input error from anything displayable.
    pub fn bad_input(message: impl std::fmt::Display) -> Self {
        CommandError::BadInput(message.to_string())
    }

    /// A run-time failure from anything displayable.
    pub fn failure(message: impl std::fmt::Display) -> Self {
        CommandError::Failure(message.to_string())
    }
}

impl std::fmt::Display for CommandError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CommandError::BadInput(m) | CommandError::Failure(m) | CommandError::Interrupted(m) => {
                f.write_str(m)
            }
        }
    }
}

impl std::error::Error for CommandError {}

/// Wraps an I/O error on `path` as a failure (exit 1), saying what was being done.
pub fn io_failure(what: &str, path: &Path) -> impl FnOnce(std::io::Error) -> CommandError {
    let context = format!("{what} `{}`", path.display());
    move |e| CommandError::Failure(format!("{context}: {e}"))
}

impl From<ScenarioError> for CommandError {
    fn from(e: ScenarioError) -> Self {
        CommandError::bad_input(e)
    }
}

impl From<OutputError> for CommandError {
    /// An I/O error is a failure (exit 1); a folder that cannot be used as asked (not empty,
    /// unusable, locked by another writer) is bad input (exit 2): retrying will not help.
    fn from(e: OutputError) -> Self {
        if e.is_bad_input() {
            CommandError::bad_input(e)
        } else {
            CommandError::failure(e)
        }
    }
}

impl From<PlotError> for CommandError {
    /// Reading or writing a file, or drawing, failed: a failure (exit 1), as for every other
    /// command; everything else is a request the folder cannot honour (exit 2).
    fn from(e: PlotError) -> Self {
        match e {
            PlotError::Io { .. } | PlotError::Draw { .. } => CommandError::failure(e),
            _ => CommandError::bad_input(e),
        }
    }
}
