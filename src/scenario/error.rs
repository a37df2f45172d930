//! Errors in scenario input, carrying where the problem is (file, line, column, or a path such as
//! `events[3].action.destinations`), what is wrong, and how to fix it. Rendered once, by the CLI.

use std::fmt;

/// A problem with a scenario file or an override, located as precisely as the input allows.
#[derive(Clone, Debug, PartialEq)]
pub struct ScenarioError {
    /// The file the problem is in (`None` for command-line overrides).
    pub file: Option<String>,
    /// 1-based line and column, when known.
    pub position: Option<(usize, usize)>,
    /// Length of the offending text on that line, for the underline.
    pub span_len: usize,
    /// Path of the offending value inside the scenario, e.g. `firms[3].home`.
    pub path: Option<String>,
    /// What is wrong.
    pub message: String,
    /// How to fix it: the valid options, or what to write instead.
    pub help: Option<String>,
    /// The source line at `position`, for the snippet.
    pub source_line: Option<String>,
}

impl ScenarioError {
    /// An error with only a message; add location and help with the builder methods.
    pub fn new(message: impl Into<String>) -> Self {
        ScenarioError {
            file: None,
            position: None,
            span_len: 1,
            path: None,
            message: message.into(),
            help: None,
            source_line: None,
        }
    }

    /// Names the file.
    pub fn in_file(mut self, file: impl Into<String>) -> Self {
        self.file = Some(file.into());
        self
    }

    /// Names the path of the value inside the scenario.
    pub fn at_path(mut self, path: impl Into<String>) -> Self {
        self.path = Some(path.into());
        self
    }

    /// Adds the fix.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Points at a position in `text` (1-based line and column) and keeps that line for display.
    pub fn at_position(mut self, text: &str, line: usize, column: usize, span_len: usize) -> Self {
        self.position = Some((line, column));
        self.span_len = span_len.max(1);
        self.source_line = text.lines().nth(line.saturating_sub(1)).map(str::to_string);
        self
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some(path) = &self.path {
            write!(f, " (at `{path}`)")?;
        }
        match (&self.file, self.position) {
            (Some(file), Some((line, col))) => write!(f, "\n  --> {file}:{line}:{col}")?,
            (Some(file), None) => write!(f, "\n  --> {file}")?,
            (None, _) => {}
        }
        if let (Some(text), Some((line, col))) = (&self.source_line, self.position) {
            let gutter = line.to_string().len();
            let pad = " ".repeat(gutter);
            let indent: String = text
                .chars()
                .take(col.saturating_sub(1))
                .map(|c| if c == '\t' { '\t' } else { ' ' })
                .collect();
            write!(
                f,
                "\n {pad} |\n {line} | {text}\n {pad} | {indent}{}",
                "^".repeat(self.span_len)
            )?;
        }
        if let Some(help) = &self.help {
            write!(f, "\n  = help: {help}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Finds `needle` in `text`, searching after the first occurrence of `anchor` when one is given
/// (falling back to the anchor itself, then to anywhere). Returns 1-based (line, column).
pub fn locate(text: &str, anchor: Option<&str>, needle: &str) -> Option<(usize, usize)> {
    let start = anchor.and_then(|a| find_outside_comments(text, a, 0));
    let offset = match start {
        Some(s) => find_outside_comments(text, needle, s).or(Some(s)),
        None => find_outside_comments(text, needle, 0),
    }?;
    Some(line_col(text, offset))
}

/// Finds the `n`-th (0-based) occurrence of `needle` that is not inside a `//` comment.
pub fn nth_occurrence(text: &str, needle: &str, n: usize) -> Option<usize> {
    let mut from = 0;
    for _ in 0..n {
        from = find_outside_comments(text, needle, from)? + needle.len();
    }
    find_outside_comments(text, needle, from)
}

fn find_outside_comments(text: &str, needle: &str, from: usize) -> Option<usize> {
    let mut search_from = from;
    while let Some(rel) = text.get(search_from..)?.find(needle) {
        let at = search_from + rel;
        let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
        if !text[line_start..at].contains("//") {
            return Some(at);
        }
        search_from = at + needle.len();
    }
    None
}

/// Converts a byte offset into a 1-based (line, column) with columns counted in characters.
pub fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}
