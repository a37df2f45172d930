//! Tests of `src/runner/error.rs`.

use chokepoint::charts::PlotError;
use chokepoint::runner::error::*;

#[test]
fn the_table_agrees_with_the_codes() {
    for (exit, code, _) in Exit::TABLE {
        assert_eq!(exit.code(), code);
    }
}

#[test]
fn the_readme_documents_every_exit_code() {
    let readme = include_str!("../../../README.md");
    let section = readme
        .split("## Exit codes")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("README has an `## Exit codes` section");
    for (_, code, meaning) in Exit::TABLE {
        assert!(
            section.contains(&format!("`{code}` {meaning}")),
            "README's exit codes lack `{code}` {meaning}"
        );
    }
    assert!(section.contains("`0` success"));
}

#[test]
fn plot_io_errors_are_failures_and_bad_requests_are_bad_input() {
    let io = PlotError::Io {
        path: "x.svg".into(),
        source: std::io::Error::other("disk full"),
    };
    assert_eq!(CommandError::from(io).exit(), Exit::Failure);
    let bad = PlotError::InvalidRequest("scale".into());
    assert_eq!(CommandError::from(bad).exit(), Exit::BadInput);
}
