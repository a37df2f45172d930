//! Tests of `src/runner/slurm.rs`.

use chokepoint::runner::slurm::*;
use std::path::Path;

const PATHS: ScriptPaths = ScriptPaths {
    spec: "/home/a/lhs.ron",
    out: "/scratch/a/lhs",
    binary: "/opt/chokepoint/bin/chokepoint",
};

#[test]
fn the_script_is_a_pure_function_of_its_inputs() {
    // The whole script for fixed inputs, kept beside the other output fixtures.
    let expected = include_str!("../../fixtures/slurm/sweep.sbatch");
    assert_eq!(sbatch_script(&PATHS, 4), expected);
    assert!(sbatch_script(&PATHS, 1).contains("#SBATCH --array=0-0\n"));
    assert!(sbatch_script(&PATHS, 1000).contains("#SBATCH --array=0-999\n"));
}

#[test]
fn the_readme_names_the_merge_and_resubmit_commands() {
    let text = readme(&PATHS, 4);
    assert!(
        text.contains("`/opt/chokepoint/bin/chokepoint merge /scratch/a/lhs --out /scratch/a/lhs`")
    );
    assert!(text.contains("sbatch --array=3,5 /scratch/a/lhs/slurm/sweep.sbatch"));
    assert!(text.contains("array tasks 0-3"));
    assert!(text.contains("`2` configuration error"));
}

#[test]
fn paths_an_sbatch_line_cannot_carry_are_refused() {
    assert!(script_text("x", Path::new("/a/b-c_d.e/f")).is_ok());
    for bad_path in ["/a b", "/a%b", "/a'b", "/a\"b", "/a\\b", "/a\nb"] {
        let err = script_text("the output folder", Path::new(bad_path)).unwrap_err();
        assert_eq!(err.exit_code(), 2);
    }
}

#[test]
fn shell_quoting_survives_single_quotes() {
    assert_eq!(sh_quote("it's"), r"'it'\''s'");
}
