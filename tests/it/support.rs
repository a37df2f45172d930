//! What the test modules share: the executable under test and the small test world.

use std::path::Path;
use std::process::{Command, Output};

/// A small, fast world (three sectors, a handful of firms): see the file's own comments.
pub const SMALL_WORLD: &str = include_str!("../fixtures/small_world.ron");

/// A command for the `chokepoint` executable built for these tests.
pub fn command() -> Command {
    Command::new(env!("CARGO_BIN_EXE_chokepoint"))
}

/// Runs `chokepoint ARGS` in `cwd`, as a user would, and waits for it.
pub fn chokepoint(args: &[&str], cwd: &Path) -> Output {
    command()
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("binary runs")
}

/// The command's standard error, as text.
pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}
