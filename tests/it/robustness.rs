//! Nothing lost, nothing hung, nothing silently wrong (issue 15): one regression test per defect,
//! named after it (`d1_…`), run through the executable as a user would; and a property test that
//! mutates every bundled scenario, sweep and effect spec and checks that each mutant is either
//! accepted or refused with exit code 2 and a positioned message — never a panic, never a hang,
//! never a leftover in the output folder. `benches/mutate.sh` runs the property test for 10
//! minutes; here it runs a fixed, seeded handful of cases.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use crate::support::{SMALL_WORLD, chokepoint, command, stderr};

fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

fn baseline() -> String {
    fs::read_to_string(repo("scenarios/baseline_2022.ron")).unwrap()
}

/// A scratch folder holding `name` with `text`.
fn scratch(name: &str, text: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join(name), text).unwrap();
    dir
}

fn assert_refused(out: &Output, needles: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(2), "exit 2 expected:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    for needle in needles {
        assert!(err.contains(needle), "expected {needle:?} in:\n{err}");
    }
}

/// Names of the hidden entries (staging folders, temporary files, locks) in `dir`.
fn hidden(dir: &Path) -> Vec<String> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with('.'))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn d1_a_scenario_named_dot_dot_is_refused_and_nothing_is_deleted() {
    for name in ["..", ".", "a b", ".hidden", &"x".repeat(300)] {
        let text = SMALL_WORLD.replacen("name: \"small_world\"", &format!("name: \"{name}\""), 1);
        assert_ne!(text, SMALL_WORLD, "the fixture names itself small_world");
        let dir = scratch("s.ron", &text);
        fs::create_dir_all(dir.path().join("output/keep")).unwrap();
        fs::write(dir.path().join("output/keep/data.csv"), "x").unwrap();
        let out = chokepoint(&["run", "s.ron", "--no-plots", "--force"], dir.path());
        assert_refused(&out, &["cannot name an output folder", "s.ron:"]);
        assert!(
            dir.path().join("s.ron").exists(),
            "{name}: the scenario survives"
        );
        assert!(
            dir.path().join("output/keep/data.csv").exists(),
            "{name}: output/ survives"
        );
    }
}

#[test]
fn d1_the_working_folder_is_never_replaced_even_when_named_with_out() {
    let dir = scratch("s.ron", SMALL_WORLD);
    for out_dir in [".", ".."] {
        let out = chokepoint(
            &["run", "s.ron", "--no-plots", "--force", "--out", out_dir],
            dir.path(),
        );
        assert_refused(&out, &["cannot be used"]);
        assert!(dir.path().join("s.ron").exists());
    }
}

#[test]
fn d7_force_replaces_a_folder_by_swapping_it_and_leaves_nothing_hidden() {
    let dir = scratch("s.ron", SMALL_WORLD);
    let run = |force: bool| {
        let mut args = vec![
            "run",
            "s.ron",
            "--no-plots",
            "--ticks",
            "6",
            "--out",
            "out/r",
        ];
        if force {
            args.push("--force");
        }
        chokepoint(&args, dir.path())
    };
    assert!(run(false).status.success());
    fs::write(dir.path().join("out/r/stale.txt"), "old").unwrap();
    let forced = run(true);
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(dir.path().join("out/r/firms.csv").exists());
    assert!(!dir.path().join("out/r/stale.txt").exists());
    assert!(
        hidden(&dir.path().join("out")).is_empty(),
        "{:?}",
        hidden(&dir.path().join("out"))
    );
}

#[test]
fn d2_huge_replicate_and_resample_counts_are_refused_before_anything_runs() {
    let spec = fs::read_to_string(repo("scenarios/effects/ai_threshold.ron")).unwrap();
    let dir = scratch("e.ron", &spec);
    for replicates in ["18446744073709551615", "4294967296"] {
        let out = chokepoint(
            &[
                "effect",
                "e.ron",
                "--replicates",
                replicates,
                "--out",
                "o",
                "--no-plots",
            ],
            dir.path(),
        );
        assert_refused(&out, &["at most 10000"]);
        assert!(!dir.path().join("o").exists());
        assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
    }
    let huge = spec.replacen(
        "replicates: 200,",
        "replicates: 200, bootstrap_resamples: 18446744073709551615,",
        1,
    );
    assert_ne!(huge, spec);
    fs::write(dir.path().join("e.ron"), huge).unwrap();
    let out = chokepoint(&["effect", "e.ron", "--out", "o", "--no-plots"], dir.path());
    assert_refused(&out, &["bootstrap_resamples", "e.ron:"]);
}

#[test]
fn d2_a_sweep_with_a_hundred_million_points_is_refused_with_its_limit() {
    let spec = fs::read_to_string(repo("scenarios/sweeps/lhs_behaviour.ron")).unwrap();
    let at = spec.find("LatinHypercube(points:").expect("an LHS spec");
    let end = at + spec[at..].find(')').unwrap();
    let text = format!(
        "{}LatinHypercube(points: 100000000{}",
        &spec[..at],
        &spec[end..]
    );
    let text = text.replacen("replicates: 4,", "replicates: 1000,", 1);
    let dir = scratch("s.ron", &text);
    let started = Instant::now();
    let out = chokepoint(&["sweep", "s.ron", "--out", "o", "--no-plots"], dir.path());
    assert_refused(&out, &["more than 1000000 points", "s.ron:"]);
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(!dir.path().join("o").exists());
}

/// A 4-run sweep on the test world.
const TINY_SWEEP: &str = r#"Sweep(
    name: "tiny",
    scenario: "small_world.ron",
    ticks: 6,
    design: LatinHypercube(points: 2),
    replicates: 2,
    seed: 1,
    parameters: [Vary(path: "market.home_bias", dist: Uniform(low: 0.5, high: 1.5))],
    keep: Keep(metrics: ["ai_compute"], ticks: [5], states: ["CN"]),
)
"#;

#[test]
fn d3_threads_beyond_the_runs_and_cores_are_lowered_and_said() {
    let dir = scratch("spec.ron", TINY_SWEEP);
    fs::write(dir.path().join("small_world.ron"), SMALL_WORLD).unwrap();
    let started = Instant::now();
    let out = chokepoint(
        &[
            "sweep",
            "spec.ron",
            "--threads",
            "100000",
            "--out",
            "o",
            "--no-plots",
        ],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("--threads 100000 lowered to"),
        "{}",
        stderr(&out)
    );
    assert!(started.elapsed() < Duration::from_secs(60));
}

#[test]
fn d3_sigterm_stops_a_sweep_promptly() {
    let spec = TINY_SWEEP
        .replace("points: 2", "points: 5000")
        .replace("ticks: 6", "ticks: 60")
        .replace("ticks: [5]", "ticks: [59]");
    let dir = scratch("spec.ron", &spec);
    fs::write(dir.path().join("small_world.ron"), SMALL_WORLD).unwrap();
    let mut child = command()
        .args([
            "sweep",
            "spec.ron",
            "--threads",
            "5000",
            "--out",
            "o",
            "--no-plots",
        ])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Signal once runs are under way (the journal exists), when the stop handler is installed.
    let waiting = Instant::now();
    while !fs::read_dir(dir.path().join("o")).is_ok_and(|mut entries| {
        entries.any(|e| e.is_ok_and(|e| e.file_name().to_string_lossy().starts_with("journal")))
    }) {
        assert!(
            // Generous: startup is not what this test measures, and a loaded machine (5000
            // threads to spawn) can take a while to get there.
            waiting.elapsed() < Duration::from_secs(600),
            "the sweep never started"
        );
        assert!(child.try_wait().unwrap().is_none(), "exited before running");
        std::thread::sleep(Duration::from_millis(5));
    }
    // SAFETY: sends SIGTERM to the child we spawned.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > Duration::from_secs(5) {
            let _ = child.kill();
            panic!("SIGTERM did not stop the sweep within 5 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(matches!(status.code(), Some(130) | Some(0)), "{status:?}");
}

#[test]
fn d4_a_state_driven_non_finite_stops_the_run_naming_tick_entity_and_mechanism() {
    let dir = scratch("s.ron", SMALL_WORLD);
    let out = chokepoint(
        &[
            "run",
            "s.ron",
            "--no-plots",
            "--out",
            "o",
            "--set",
            "learning.frontier_drift_years_per_year=1e300",
        ],
        dir.path(),
    );
    assert_refused(
        &out,
        &[
            "numerically invalid at tick",
            "after",
            "no results were written",
        ],
    );
    let err = stderr(&out);
    assert!(err.contains("firm `") || err.contains("state `"), "{err}");
    assert!(
        err.contains("warning: `learning.frontier_drift_years_per_year`"),
        "{err}"
    );
    assert!(!dir.path().join("o").exists());
    assert!(hidden(dir.path()).is_empty(), "{:?}", hidden(dir.path()));
}

#[test]
fn d4_a_probability_above_one_is_refused_at_validation() {
    let out = chokepoint(
        &[
            "validate",
            "--set",
            "learning.breakthrough_probability_per_year=1.5",
        ],
        Path::new(env!("CARGO_MANIFEST_DIR")),
    );
    assert_refused(
        &out,
        &["learning.breakthrough_probability_per_year", "[0, 1]"],
    );
}

#[test]
fn d5_devices_fifos_and_runaway_tick_counts_are_refused_at_once() {
    let dir = scratch("z.ron", r#"Scenario(extends: "/dev/zero", name: "z")"#);
    let fifo = dir.path().join("pipe.ron");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    fs::write(
        dir.path().join("f.ron"),
        r#"Scenario(extends: "pipe.ron", name: "f")"#,
    )
    .unwrap();
    let started = Instant::now();
    assert_refused(
        &chokepoint(&["validate", "z.ron"], dir.path()),
        &["not a regular file"],
    );
    assert_refused(
        &chokepoint(&["validate", "/dev/urandom"], dir.path()),
        &["not a regular file"],
    );
    if made.is_ok_and(|s| s.success()) {
        assert_refused(
            &chokepoint(&["validate", "f.ron"], dir.path()),
            &["not a regular file"],
        );
    }
    assert_refused(
        &chokepoint(
            &["run", "--ticks", "1000000000", "--no-plots", "--out", "o"],
            dir.path(),
        ),
        &["at most 1200"],
    );
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn d9_duplicate_ids_parameters_and_destinations_are_refused_with_both_positions() {
    let firm = SMALL_WORLD
        .lines()
        .find(|l| l.trim_start().starts_with("Firm("))
        .expect("a firm line");
    let doubled = SMALL_WORLD.replacen(firm, &format!("{firm}\n{firm}"), 1);
    let dir = scratch("s.ron", &doubled);
    assert_refused(
        &chokepoint(&["validate", "s.ron"], dir.path()),
        &["defined twice", " and "],
    );

    let params = baseline().replacen(
        "parameters: {",
        "parameters: {\"market.home_bias\": 1.0, \"market.home_bias\": 2.0,",
        1,
    );
    let dir = scratch("p.ron", &params);
    assert_refused(
        &chokepoint(&["validate", "p.ron"], dir.path()),
        &["given twice", "p.ron:"],
    );
}

#[test]
fn d10_an_entity_error_points_at_the_entity_not_an_earlier_mention_of_its_id() {
    let text = baseline().replacen(
        r#"State(id: "CN", name: "China (incl. Hong Kong)", security_dependence: {"US": 0.0}"#,
        r#"State(id: "CN", name: "China (incl. Hong Kong)", security_dependence: {"XX": 0.0}"#,
        1,
    );
    assert_ne!(
        text,
        baseline(),
        "the baseline's CN line changed; update this test"
    );
    let line = text
        .lines()
        .position(|l| l.contains(r#"{"XX": 0.0}"#))
        .unwrap()
        + 1;
    let dir = scratch("s.ron", &text);
    let out = chokepoint(&["validate", "s.ron"], dir.path());
    assert_refused(&out, &[&format!("s.ron:{line}:")]);
}

#[test]
fn d11_an_unusable_output_folder_is_bad_input() {
    let dir = scratch("s.ron", SMALL_WORLD);
    fs::write(dir.path().join("afile"), "x").unwrap();
    let long = "y".repeat(300);
    for out_dir in ["afile", long.as_str()] {
        let out = chokepoint(
            &["run", "s.ron", "--no-plots", "--out", out_dir],
            dir.path(),
        );
        assert_refused(&out, &[]);
        let err = stderr(&out);
        assert!(
            err.contains("cannot be used") || err.contains("is not a folder"),
            "says why the folder cannot be used: {err}"
        );
    }
    fs::write(dir.path().join("small_world.ron"), SMALL_WORLD).unwrap();
    fs::write(dir.path().join("spec.ron"), TINY_SWEEP).unwrap();
    let out = chokepoint(
        &["sweep", "spec.ron", "--out", "afile", "--no-plots"],
        dir.path(),
    );
    assert_refused(&out, &["afile"]);
}

#[test]
fn d8_a_second_writer_of_one_folder_is_refused_with_the_holder_named() {
    let dir = scratch("s.ron", SMALL_WORLD);
    let target = dir.path().join("o");
    let held = chokepoint::output::files::FolderLock::acquire(&target).unwrap();
    let out = chokepoint(&["run", "s.ron", "--no-plots", "--out", "o"], dir.path());
    assert_refused(
        &out,
        &["being written by another chokepoint process", "pid "],
    );
    drop(held);
    let out = chokepoint(
        &["run", "s.ron", "--no-plots", "--ticks", "3", "--out", "o"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
}

#[test]
fn d12_plot_refuses_a_table_cut_short_after_the_run() {
    let dir = scratch("s.ron", SMALL_WORLD);
    let out = chokepoint(&["run", "s.ron", "--no-plots", "--out", "o"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let metrics = dir.path().join("o/metrics.csv");
    let text = fs::read_to_string(&metrics).unwrap();
    let cut: String = text
        .lines()
        .take(text.lines().count() / 2)
        .map(|l| format!("{l}\n"))
        .collect();
    fs::write(&metrics, cut).unwrap();
    let out = chokepoint(&["plot", "o", "--format", "svg"], dir.path());
    assert_refused(&out, &["metrics.csv", "SHA-256"]);
}

#[test]
fn d13_leftovers_of_killed_runs_are_removed_by_the_next_run() {
    let dir = scratch("s.ron", SMALL_WORLD);
    let stale = dir.path().join("o/.r.partial-999999999");
    fs::create_dir_all(&stale).unwrap();
    fs::write(stale.join("metrics.csv"), "x").unwrap();
    let out = chokepoint(
        &["run", "s.ron", "--no-plots", "--ticks", "3", "--out", "o/r"],
        dir.path(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!stale.exists());
    assert!(
        hidden(&dir.path().join("o")).is_empty(),
        "{:?}",
        hidden(&dir.path().join("o"))
    );
}

#[test]
fn d14_a_bom_and_old_mac_line_endings_read_like_any_file() {
    let dir = scratch("bom.ron", &format!("\u{feff}{SMALL_WORLD}"));
    let out = chokepoint(&["validate", "bom.ron"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    // A typo on a known line of a CR-only file is reported on that line.
    let broken = SMALL_WORLD.replacen("ticks:", "tics:", 1);
    let line = broken.lines().position(|l| l.contains("tics:")).unwrap() + 1;
    fs::write(dir.path().join("cr.ron"), broken.replace('\n', "\r")).unwrap();
    let out = chokepoint(&["validate", "cr.ron"], dir.path());
    assert_refused(&out, &[&format!("cr.ron:{line}:")]);
}

#[test]
fn d14_a_run_past_the_year_9999_is_refused() {
    let text = SMALL_WORLD.replacen(
        &SMALL_WORLD[SMALL_WORLD.find("start: \"").unwrap()..][..17],
        "start: \"9999-12\",",
        1,
    );
    assert!(text.contains("start: \"9999-12\""), "fixture start changed");
    let dir = scratch("s.ron", &text);
    assert_refused(&chokepoint(&["validate", "s.ron"], dir.path()), &["9999"]);
}

#[test]
fn d14_merge_refuses_two_different_copies_of_one_shard_and_names_a_recut() {
    let dir = scratch("spec.ron", TINY_SWEEP);
    fs::write(dir.path().join("small_world.ron"), SMALL_WORLD).unwrap();
    for (shard, out) in [("0/2", "a"), ("1/2", "a"), ("0/2", "b"), ("0/1", "c")] {
        let done = chokepoint(
            &[
                "sweep",
                "spec.ron",
                "--shard",
                shard,
                "--out",
                out,
                "--no-plots",
            ],
            dir.path(),
        );
        assert!(done.status.success(), "{}", stderr(&done));
    }
    // A second, damaged copy of shard 0 (another number in one record).
    let copy = fs::read_to_string(dir.path().join("b/shard-0-of-2.txt")).unwrap();
    let record = copy.lines().nth(2).unwrap().to_string();
    let changed = record.replacen(',', ",9", 1);
    fs::write(
        dir.path().join("b/shard-0-of-2.txt"),
        copy.replacen(&record, &changed, 1),
    )
    .unwrap();
    let out = chokepoint(&["merge", "a", "b", "--out", "m", "--no-plots"], dir.path());
    assert_refused(&out, &["two different files claim shard 0"]);
    let out = chokepoint(&["merge", "a", "c", "--out", "m", "--no-plots"], dir.path());
    assert_refused(&out, &["cut into different numbers of shards"]);
}

// ---- The mutation property test -------------------------------------------------------------

/// Every bundled input file, with how to check it quickly: scenarios are validated, sweeps
/// checked through `--emit-slurm` (which validates everything and runs nothing), effects run
/// with 2 replicates.
fn bundled_inputs() -> Vec<(String, String)> {
    let mut files = Vec::new();
    for folder in ["scenarios", "scenarios/sweeps", "scenarios/effects"] {
        let mut names: Vec<PathBuf> = fs::read_dir(repo(folder))
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|e| e == "ron"))
            .collect();
        names.sort();
        for path in names {
            let relative = path.strip_prefix(repo("")).unwrap().display().to_string();
            files.push((relative, fs::read_to_string(&path).unwrap()));
        }
    }
    files
}

/// One way of breaking a file.
#[derive(Clone, Debug)]
enum Mutation {
    Truncate(usize),
    FlipByte(usize, u8),
    SwapNumber(usize, &'static str),
    DuplicateLine(usize),
    DeleteLine(usize),
}

const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "-5000",
    "1e308",
    "-1e308",
    "1.5",
    "50",
    "0.0",
    "18446744073709551615",
    "4294967296",
    "1e-320",
];

fn apply(text: &str, mutation: &Mutation) -> Vec<u8> {
    let bytes = text.as_bytes();
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    match *mutation {
        Mutation::Truncate(at) => bytes[..at % (bytes.len() + 1)].to_vec(),
        Mutation::FlipByte(at, xor) => {
            let mut out = bytes.to_vec();
            let i = at % out.len();
            out[i] ^= xor.max(1);
            out
        }
        Mutation::SwapNumber(nth, replacement) => {
            // The nth number literal (outside nothing in particular: comments count too).
            let mut spans = Vec::new();
            let mut i = 0;
            while i < bytes.len() {
                if bytes[i].is_ascii_digit()
                    && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric() && bytes[i - 1] != b'_')
                {
                    let start = i;
                    while i < bytes.len()
                        && (bytes[i].is_ascii_digit() || bytes[i] == b'.' || bytes[i] == b'e')
                    {
                        i += 1;
                    }
                    spans.push((start, i));
                }
                i += 1;
            }
            let Some(&(a, b)) = spans.get(nth % spans.len().max(1)) else {
                return bytes.to_vec();
            };
            [&bytes[..a], replacement.as_bytes(), &bytes[b..]].concat()
        }
        Mutation::DuplicateLine(n) => {
            let n = n % lines.len();
            let mut out: Vec<&str> = lines.clone();
            out.insert(n, lines[n]);
            out.concat().into_bytes()
        }
        Mutation::DeleteLine(n) => {
            let n = n % lines.len();
            let mut out = lines.clone();
            out.remove(n);
            out.concat().into_bytes()
        }
    }
}

/// Runs the right command on a mutant and checks the contract; `Err` describes a violation.
fn check_mutant(relative: &str, mutant: &[u8]) -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = Path::new(relative)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    fs::write(dir.path().join(&file), mutant).map_err(|e| e.to_string())?;
    // Scenarios that extend a bundled one find it beside them, as in the repository.
    for (name, text) in chokepoint::scenario::load::BUNDLED {
        if *name != file {
            let _ = fs::write(dir.path().join(name), text);
        }
    }
    let args: Vec<&str> = if relative.contains("sweeps/") {
        vec!["sweep", &file, "--emit-slurm", "2", "--out", "out"]
    } else if relative.contains("effects/") {
        vec![
            "effect",
            &file,
            "--replicates",
            "2",
            "--threads",
            "2",
            "--no-plots",
            "--out",
            "out",
        ]
    } else {
        vec!["run", &file, "--ticks", "3", "--no-plots", "--out", "out"]
    };
    let mut child = command()
        .args(&args)
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
            break status;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            return Err("hung for more than 120 s".into());
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    use std::io::Read;
    let _ = child.stderr.take().unwrap().read_to_string(&mut err);
    if err.contains("panicked") || !matches!(status.code(), Some(0) | Some(2)) {
        return Err(format!("exit {:?}:\n{err}", status.code()));
    }
    if status.code() == Some(2) {
        let positioned = err.contains(&format!("{file}:"))
            || err.contains(" line ")
            || err.contains("(at `")
            || err.contains("--set");
        if !positioned {
            return Err(format!("refused without a file position or path:\n{err}"));
        }
        let out = dir.path().join("out");
        if out.exists()
            && fs::read_dir(&out)
                .map(|mut e| e.next().is_some())
                .unwrap_or(true)
        {
            return Err(format!(
                "refused but left files in the output folder:\n{err}"
            ));
        }
        let left = hidden(dir.path());
        if !left.is_empty() {
            return Err(format!("refused but left {left:?}:\n{err}"));
        }
    }
    Ok(())
}

/// Runs `cases` seeded mutants drawn by proptest; the seed makes a failure reproducible.
pub fn mutation_round(seed: u64, cases: u32) {
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
    let files = bundled_inputs();
    let mutation = prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), any::<u8>()).prop_map(|(a, x)| Mutation::FlipByte(a, x)),
        (any::<usize>(), proptest::sample::select(NUMBERS))
            .prop_map(|(n, r)| Mutation::SwapNumber(n, r)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::DeleteLine),
    ];
    let strategy = (0..files.len(), mutation);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 50,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let result = runner.run(&strategy, |(index, mutation)| {
        let (relative, text) = &files[index];
        let mutant = apply(text, &mutation);
        check_mutant(relative, &mutant)
            .map_err(|why| TestCaseError::fail(format!("{relative} with {mutation:?}: {why}")))
    });
    if let Err(e) = result {
        panic!("mutation seed {seed}: {e}");
    }
}

#[test]
fn mutated_bundled_inputs_are_accepted_or_refused_with_a_position_and_leave_nothing() {
    // `benches/mutate.sh` sets CHOKEPOINT_MUTATION_SECONDS to keep drawing new seeds that long.
    let seconds: u64 = std::env::var("CHOKEPOINT_MUTATION_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    mutation_round(15, 24);
    let started = Instant::now();
    let mut seed = 1000;
    while started.elapsed() < Duration::from_secs(seconds) {
        mutation_round(seed, 50);
        eprintln!(
            "mutation seed {seed}: 50 cases passed ({:.0} s)",
            started.elapsed().as_secs_f64()
        );
        seed += 1;
    }
}

#[test]
fn d10_an_effect_dose_level_out_of_range_points_at_the_value() {
    let dir = scratch("world.ron", SMALL_WORLD);
    fs::write(
        dir.path().join("eff.ron"),
        r#"Effect(
    name: "e",
    scenario: "world.ron",
    dose: Levels(path: "learning.catch_up_rate_per_year", values: [0.1, -0.5]),
    outcomes: [Outcome(label: "a", metric: "ai_compute", state: "CN", date: "2023-06")],
    replicates: 2,
    seed: 1,
)"#,
    )
    .unwrap();
    let out = chokepoint(&["effect", "eff.ron", "--no-plots"], dir.path());
    assert_refused(&out, &["dose 1", "-0.5", "eff.ron:4:"]);
}

#[test]
fn d10_a_bad_share_in_a_child_file_points_into_the_child() {
    let dir = scratch("parent.ron", SMALL_WORLD);
    fs::write(
        dir.path().join("child.ron"),
        r#"Scenario(
    extends: "parent.ron",
    name: "child",
    firms: [
        Firm(id: "us_tools", name: "US toolmaker", home: "US", sector: "equipment", share: 0.9, capability: 0.0),
    ],
)"#,
    )
    .unwrap();
    let out = chokepoint(&["validate", "child.ron"], dir.path());
    assert_refused(&out, &["sum to 1.3", "child.ron:5:"]);
}
