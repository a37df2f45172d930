//! The documentation's commands, run as a reader would run them: every `sh` block of
//! `docs/TUTORIAL.md` in a fresh empty folder, and every `sh` block of `README.md` in a copy of the
//! repository, in order, each file's blocks as one script under `sh -e`. A block preceded by an
//! HTML comment `<!-- not run by tests/it/tutorial.rs: why -->` is skipped (cluster commands, the
//! test suite itself, runs that take minutes). `chokepoint` and `cargo run --release --` both
//! reach the executable under test through small shims on PATH; any other `cargo` use fails.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The marker that excludes the next block, with its reason, from these tests.
const SKIP_MARKER: &str = "<!-- not run by tests/it/tutorial.rs:";

/// The `sh` blocks of a Markdown text, in order, without the skipped ones; also how many were
/// skipped, so a test can say so.
fn shell_blocks(markdown: &str) -> (Vec<String>, usize) {
    let mut blocks = Vec::new();
    let mut skipped = 0;
    let mut lines = markdown.lines();
    let mut skip_next = false;
    while let Some(line) = lines.next() {
        if line.starts_with(SKIP_MARKER) {
            skip_next = true;
        } else if line.trim_end() == "```sh" {
            let body: Vec<&str> = lines
                .by_ref()
                .take_while(|l| !l.starts_with("```"))
                .collect();
            if skip_next {
                skipped += 1;
            } else {
                blocks.push(body.join("\n"));
            }
            skip_next = false;
        } else if !line.trim().is_empty() {
            // A marker applies only to a block right after it (blank lines between are fine).
            skip_next = false;
        }
    }
    (blocks, skipped)
}

/// A folder holding `chokepoint` (the executable under test) and a `cargo` that only knows
/// `cargo run --release -- ARGS`, for the documents' two ways of calling it.
fn shims() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let exe = env!("CARGO_BIN_EXE_chokepoint");
    let chokepoint = dir.path().join("chokepoint");
    fs::write(&chokepoint, format!("#!/bin/sh\nexec '{exe}' \"$@\"\n")).unwrap();
    let cargo = dir.path().join("cargo");
    fs::write(
        &cargo,
        "#!/bin/sh\n\
         if [ \"$1 $2 $3\" = \"run --release --\" ]; then shift 3; exec chokepoint \"$@\"; fi\n\
         echo \"the documentation test only runs 'cargo run --release --': got cargo $*\" >&2\n\
         exit 97\n",
    )
    .unwrap();
    for file in [&chokepoint, &cargo] {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(file, fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

/// Runs `blocks` as one `sh -e -x` script in `cwd` with the shims first on PATH.
fn run_blocks(blocks: &[String], cwd: &Path) -> Output {
    let shims = shims();
    let path = format!(
        "{}:{}",
        shims.path().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let script = format!("set -ex\n{}\n", blocks.join("\n"));
    Command::new("sh")
        .arg("-c")
        .arg(&script)
        .current_dir(cwd)
        .env("PATH", path)
        .output()
        .expect("sh runs")
}

fn assert_success(out: &Output, what: &str) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({:?}); stdout:\n{stdout}\nstderr (with the commands, sh -x):\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Copies the repository's tracked-looking content (no build output, results or dot-folders).
fn copy_repository(to: &Path) {
    fn copy(from: &Path, to: &Path) {
        fs::create_dir_all(to).unwrap();
        for entry in fs::read_dir(from).unwrap().flatten() {
            let name = entry.file_name();
            let name_text = name.to_string_lossy();
            if name_text.starts_with('.') || name_text == "target" || name_text == "output" {
                continue;
            }
            let path = entry.path();
            if path.is_dir() {
                copy(&path, &to.join(&name));
            } else {
                fs::copy(&path, to.join(&name)).unwrap();
            }
        }
    }
    copy(&repo(), to);
}

#[test]
fn the_shell_block_reader_skips_marked_blocks_only() {
    let text = "a\n```sh\none\n```\n<!-- not run by tests/it/tutorial.rs: slow -->\n```sh\ntwo\n```\n\
                ```python\nthree\n```\n```sh\nfour\nfive\n```\n";
    let (blocks, skipped) = shell_blocks(text);
    assert_eq!(blocks, vec!["one".to_string(), "four\nfive".to_string()]);
    assert_eq!(skipped, 1);
}

#[test]
fn the_tutorial_runs_from_an_empty_folder() {
    let text = fs::read_to_string(repo().join("docs/TUTORIAL.md")).unwrap();
    let (blocks, skipped) = shell_blocks(&text);
    assert_eq!(skipped, 0, "the tutorial runs whole");
    assert!(blocks.len() >= 6, "write, validate, run, compare, sweep");
    let home = tempfile::tempdir().unwrap();
    let out = run_blocks(&blocks, home.path());
    let stdout = assert_success(&out, "docs/TUTORIAL.md");
    let study = home.path().join("my_study");
    assert!(
        stdout.contains("ok: `my_controls` is valid")
            && stdout.contains("2 events, 42 ticks from 2022-07")
            && stdout.contains("extending <bundled>/baseline_2022.ron"),
        "validate names what it read: {stdout}"
    );
    for file in [
        "output/my_controls/metrics.csv",
        "output/baseline_2022-ticks42/metrics.csv",
        "output/compare_baseline_2022_vs_my_controls/comparison.csv",
        "output/threshold_sweep/summary.csv",
    ] {
        assert!(study.join(file).is_file(), "{file} written");
    }
    let manifest = fs::read_to_string(study.join("output/my_controls/manifest.json")).unwrap();
    assert!(manifest.contains("\"scenario_source\": \"my_controls.ron\""));
    // One summary line per run, compare and sweep, naming the folder first.
    for folder in [
        "output/my_controls  ",
        "output/baseline_2022-ticks42  ",
        "output/compare_baseline_2022_vs_my_controls  ",
        "output/threshold_sweep  6 runs  ",
    ] {
        assert!(
            stdout.lines().any(|l| l.starts_with(folder)),
            "summary line {folder:?} in:\n{stdout}"
        );
    }
}

#[test]
fn the_readme_commands_run_in_order_in_a_fresh_copy() {
    let text = fs::read_to_string(repo().join("README.md")).unwrap();
    let (blocks, skipped) = shell_blocks(&text);
    assert!(
        blocks.len() >= 4 && skipped >= 4,
        "{} run, {skipped} skipped",
        blocks.len()
    );
    assert!(
        blocks
            .iter()
            .all(|b| !b.contains("sbatch") && !b.contains("aws ")),
        "cluster commands are marked as not run"
    );
    let clone = tempfile::tempdir().unwrap();
    copy_repository(clone.path());
    let out = run_blocks(&blocks, clone.path());
    assert_success(&out, "README.md");
    for folder in [
        "output/baseline_2022",
        "output/export_control_2022",
        "output/baseline_2022_repeat",
        "output/grid_policy",
        "output/compare_baseline_2022_vs_export_control_2022",
    ] {
        assert!(
            clone.path().join(folder).join("manifest.json").is_file(),
            "{folder} written"
        );
    }
    let seeded: Vec<String> = fs::read_dir(clone.path().join("output"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("baseline_2022-seed7-set-"))
        .collect();
    assert_eq!(seeded.len(), 1, "the --seed/--set run has its own folder");
}

#[test]
fn the_skip_marker_is_spelled_the_same_in_the_readme() {
    // A misspelt marker would silently run a cluster command (and fail) or hide a block.
    let text = fs::read_to_string(repo().join("README.md")).unwrap();
    let markers = text.matches("<!-- not run by").count();
    assert_eq!(markers, text.matches(SKIP_MARKER).count());
}
