//! `chokepoint sweep` and `chokepoint merge`, run as a user would: outputs are byte-identical at
//! any thread count, after an interruption (Ctrl-C, `kill -9`, a torn journal line) and when
//! merged from shards; a run's repeat command reproduces its value; every kind of bad input exits
//! with code 2 and writes nothing. Small designs on the test world keep this file fast.

use crate::support::{self, SMALL_WORLD, stderr};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs the binary; sweeps and merges skip their charts here (the `charts` module covers charts, and
/// `a_finished_sweep_draws_its_default_charts` the default drawing).
fn chokepoint(args: &[&str], cwd: &Path) -> Output {
    let mut all = args.to_vec();
    if matches!(args.first(), Some(&"sweep") | Some(&"merge")) {
        all.push("--no-plots");
    }
    support::chokepoint(&all, cwd)
}

fn assert_ok(out: &Output) {
    assert!(out.status.success(), "failed: {}", stderr(out));
}

/// A Sobol design on the test world: 4 × (2 + 2) points × 2 replicates = 32 runs.
const SOBOL: &str = r#"// test sweep
Sweep(
    name: "t",
    scenario: "small_world.ron",
    ticks: 12,
    design: Sobol(base_samples: 4),
    replicates: 2,
    seed: 3,
    parameters: [
        Vary(path: "market.home_bias", dist: Uniform(low: 0.5, high: 1.5)),
        Vary(path: "learning.catch_up_rate_per_year", dist: Uniform(low: 0.0, high: 0.2)),
    ],
    keep: Keep(metrics: ["ai_compute", "state_market_share"], ticks: [5, 11], states: ["CN", "US"], markets: ["world"]),
    sensitivity: SensitivitySettings(bootstrap: 50),
)
"#;

/// A scratch folder with the test world and `spec.ron` holding `spec`.
fn sweep_dir(spec: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("small_world.ron"), SMALL_WORLD).unwrap();
    fs::write(dir.path().join("spec.ron"), spec).unwrap();
    dir
}

const OUTPUTS: [&str; 6] = [
    "runs.csv",
    "summary.csv",
    "columns.csv",
    "manifest.json",
    "scenario.ron",
    "sweep.ron",
];

/// Every file of an output folder, by name.
fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut all: Vec<(String, Vec<u8>)> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .map(|p| {
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                fs::read(&p).unwrap(),
            )
        })
        .collect();
    all.sort();
    all
}

fn assert_same_outputs(a: &Path, b: &Path) {
    let (fa, fb) = (files(a), files(b));
    let names = |f: &[(String, Vec<u8>)]| f.iter().map(|(n, _)| n.clone()).collect::<Vec<_>>();
    assert_eq!(names(&fa), names(&fb));
    for ((name, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(
            x == y,
            "{name} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
    for name in OUTPUTS {
        assert!(a.join(name).exists(), "{name} written");
    }
}

#[test]
fn one_and_two_threads_give_identical_outputs() {
    let dir = sweep_dir(SOBOL);
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--threads", "1", "--out", "one"],
        dir.path(),
    ));
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--threads", "2", "--out", "two"],
        dir.path(),
    ));
    assert_same_outputs(&dir.path().join("one"), &dir.path().join("two"));
    let runs = fs::read_to_string(dir.path().join("one/runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 33, "a header and one row per run");
    assert!(
        runs.starts_with(
            "run,point,replicate,seed,market.home_bias,learning.catch_up_rate_per_year,"
        )
    );
    assert!(
        runs.lines()
            .next()
            .unwrap()
            .contains("ai_compute[CN]@2023-06-01")
    );
    let sensitivity = fs::read_to_string(dir.path().join("one/sensitivity.csv")).unwrap();
    assert!(sensitivity.contains(",market.home_bias,S1,") && sensitivity.contains(",ST,"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("one/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["kind"], "sweep");
    assert_eq!(manifest["design"]["runs"], 32);
    assert!(
        manifest["design"]["seed_formula"]
            .as_str()
            .unwrap()
            .contains("SHA-256")
    );
    assert!(
        !dir.path().join("one/journal.txt").exists(),
        "journal removed when done"
    );
}

#[test]
fn interrupted_sweep_with_a_torn_journal_line_resumes_to_identical_outputs() {
    let dir = sweep_dir(SOBOL);
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "whole"],
        dir.path(),
    ));
    let stopped = chokepoint(
        &[
            "sweep",
            "spec.ron",
            "--out",
            "resumed",
            "--threads",
            "2",
            "--stop-after",
            "5",
        ],
        dir.path(),
    );
    assert_eq!(stopped.status.code(), Some(130), "{}", stderr(&stopped));
    assert!(stderr(&stopped).contains("re-run the same command to resume"));
    let journal = dir.path().join("resumed/journal.txt");
    assert!(
        !dir.path().join("resumed/runs.csv").exists(),
        "no outputs before the end"
    );
    // A power cut in the middle of a write leaves a torn last line.
    let mut text = fs::read_to_string(&journal).unwrap();
    assert!(text.lines().count() > 5);
    text.push_str("17,0.25,0.7");
    fs::write(&journal, text).unwrap();
    let resumed = chokepoint(&["sweep", "spec.ron", "--out", "resumed"], dir.path());
    assert_ok(&resumed);
    assert!(
        stderr(&resumed).contains("already done"),
        "{}",
        stderr(&resumed)
    );
    assert_same_outputs(&dir.path().join("whole"), &dir.path().join("resumed"));
    // Charts or repeated runs added to a finished folder leave it finished.
    fs::create_dir(dir.path().join("resumed/charts")).unwrap();
    let again = chokepoint(&["sweep", "spec.ron", "--out", "resumed"], dir.path());
    assert_ok(&again);
    assert!(
        stderr(&again).contains("already complete"),
        "{}",
        stderr(&again)
    );
}

/// Starts a long sweep, waits until its journal holds a few runs, and stops it with `signal`.
fn start_and_stop(dir: &Path, signal: &str) -> Output {
    let child = support::command()
        .args([
            "sweep",
            "spec.ron",
            "--out",
            "stopped",
            "--threads",
            "2",
            "--no-plots",
        ])
        .current_dir(dir)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let journal = dir.join("stopped/journal.txt");
    let deadline = Instant::now() + Duration::from_secs(20);
    while fs::read_to_string(&journal).map_or(0, |t| t.lines().count()) < 4 {
        assert!(Instant::now() < deadline, "sweep never started");
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = Command::new("kill")
        .args([signal, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    child.wait_with_output().unwrap()
}

/// Replicates per point of [`long_spec`]: enough runs to interrupt mid-way in either profile
/// (a release build runs the test world about 100× faster).
const LONG_REPLICATES: usize = if cfg!(debug_assertions) { 5 } else { 100 };

/// 40 LHS points × [`LONG_REPLICATES`] on the full horizon: long enough to interrupt.
fn long_spec() -> String {
    SOBOL
        .replace("Sobol(base_samples: 4)", "LatinHypercube(points: 40)")
        .replace("replicates: 2", &format!("replicates: {LONG_REPLICATES}"))
        .replace("ticks: 12,", "")
        .replace("ticks: [5, 11]", "ticks: [35]")
}

#[test]
fn ctrl_c_stops_cleanly_and_the_same_command_finishes_the_sweep() {
    let dir = sweep_dir(&long_spec());
    let stopped = start_and_stop(dir.path(), "-INT");
    assert_eq!(stopped.status.code(), Some(130), "{}", stderr(&stopped));
    assert!(dir.path().join("stopped/journal.txt").exists());
    assert!(!dir.path().join("stopped/manifest.json").exists());
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "stopped"],
        dir.path(),
    ));
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "whole"],
        dir.path(),
    ));
    assert_same_outputs(&dir.path().join("whole"), &dir.path().join("stopped"));
}

#[test]
fn killed_sweep_resumes_without_losing_or_duplicating_runs() {
    let dir = sweep_dir(&long_spec());
    let killed = start_and_stop(dir.path(), "-KILL");
    assert_eq!(killed.status.code(), None, "killed by a signal");
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "stopped"],
        dir.path(),
    ));
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "whole"],
        dir.path(),
    ));
    assert_same_outputs(&dir.path().join("whole"), &dir.path().join("stopped"));
    let runs = fs::read_to_string(dir.path().join("stopped/runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 40 * LONG_REPLICATES);
}

#[test]
fn shards_started_side_by_side_in_one_folder_all_finish() {
    // Array tasks of one sweep start at the same moment in one folder. A shard that looked at
    // the folder while another created its journal (empty for a moment), removed it (on
    // finishing) or probed that it may write there saw a file it could not place, took it for a
    // foreign file and refused: seen once in CI's real-Slurm test, and by this test in CI (a
    // probe). Journals now appear with their header, a file gone since the listing is passed
    // over, and probes are never foreign. The races are rare: this guards, it cannot prove.
    let dir = sweep_dir(SOBOL);
    for round in 0..8 {
        let out = format!("side-by-side-{round}");
        let children: Vec<_> = (0..4)
            .map(|i| {
                let shard = format!("{i}/4");
                support::command()
                    .args(["sweep", "spec.ron", "--out", &out, "--shard", &shard])
                    .args(["--threads", "1"])
                    .current_dir(dir.path())
                    .stdout(Stdio::null())
                    .stderr(Stdio::piped())
                    .spawn()
                    .expect("binary runs")
            })
            .collect();
        for (i, child) in children.into_iter().enumerate() {
            let done = child.wait_with_output().expect("shard runs");
            assert!(
                done.status.success(),
                "round {round}, shard {i}/4: {}",
                stderr(&done)
            );
        }
    }
}

#[test]
fn three_shards_merge_to_the_unsharded_outputs_byte_for_byte() {
    let dir = sweep_dir(SOBOL);
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "whole"],
        dir.path(),
    ));
    for i in 0..3 {
        let shard = format!("{i}/3");
        assert_ok(&chokepoint(
            &[
                "sweep",
                "spec.ron",
                "--out",
                "shards",
                "--shard",
                &shard,
                "--threads",
                "1",
            ],
            dir.path(),
        ));
    }
    let shard1 = fs::read_to_string(dir.path().join("shards/shard-1-of-3.txt")).unwrap();
    assert!(shard1.starts_with("chokepoint-shard v1\n{\"sweep_id\":"));
    assert!(shard1.contains("\"first_run\":10,\"end_run\":21"));
    assert!(
        shard1
            .trim_end()
            .lines()
            .last()
            .unwrap()
            .starts_with("end rows=11 sha256=")
    );
    assert_ok(&chokepoint(
        &["merge", "shards", "--out", "merged"],
        dir.path(),
    ));
    assert_same_outputs(&dir.path().join("whole"), &dir.path().join("merged"));
}

#[test]
fn shard_index_from_the_scheduler_environment() {
    let dir = sweep_dir(SOBOL);
    let out = support::command()
        .args([
            "sweep",
            "spec.ron",
            "--out",
            "s",
            "--shard",
            "env/2",
            "--no-plots",
        ])
        .env("SLURM_ARRAY_TASK_ID", "1")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_ok(&out);
    assert!(dir.path().join("s/shard-1-of-2.txt").exists());
}

#[test]
fn merge_refuses_a_missing_shard_and_names_it_in_array_syntax() {
    let dir = sweep_dir(SOBOL);
    for shard in ["0/3", "2/3"] {
        assert_ok(&chokepoint(
            &["sweep", "spec.ron", "--out", "shards", "--shard", shard],
            dir.path(),
        ));
    }
    let out = chokepoint(&["merge", "shards", "--out", "merged"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("--array=1 "), "{err}");
    assert!(err.contains("1 of 3 shards missing"), "{err}");
    assert!(!dir.path().join("merged").exists(), "nothing written");
    // A truncated shard file counts as missing.
    let path = dir.path().join("shards/shard-2-of-3.txt");
    let text = fs::read_to_string(&path).unwrap();
    fs::write(&path, &text[..text.len() - 30]).unwrap();
    let out = chokepoint(&["merge", "shards", "--out", "merged"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--array=1-2 "), "{}", stderr(&out));
}

#[test]
fn merge_refuses_shards_of_different_sweeps_or_seeds() {
    let dir = sweep_dir(SOBOL);
    fs::write(
        dir.path().join("other.ron"),
        SOBOL.replace("seed: 3", "seed: 4"),
    )
    .unwrap();
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "a", "--shard", "0/2"],
        dir.path(),
    ));
    assert_ok(&chokepoint(
        &["sweep", "other.ron", "--out", "b", "--shard", "1/2"],
        dir.path(),
    ));
    let out = chokepoint(&["merge", "a", "b", "--out", "merged"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("different sweeps") && err.contains("seed 4"),
        "{err}"
    );
    assert!(!dir.path().join("merged").exists());
}

/// Runs the repeat command of `runs.csv` row `row` (0-based) inside the sweep folder and checks
/// that the repeated run's `metrics.csv` row starting with `metrics_prefix` has exactly the value
/// the sweep kept in `column`.
fn assert_repeat_reproduces(sweep: &Path, row: usize, column: &str, metrics_prefix: &str) {
    let runs = fs::read_to_string(sweep.join("runs.csv")).unwrap();
    let header: Vec<&str> = runs.lines().next().unwrap().split(',').collect();
    let fields: Vec<&str> = runs.lines().nth(row + 1).unwrap().split(',').collect();
    let at = header.iter().position(|h| *h == column).unwrap();
    let command = fields.last().unwrap();
    assert!(
        command.starts_with("chokepoint run scenario.ron --seed "),
        "{command}"
    );
    let mut args: Vec<&str> = command.split(' ').skip(1).collect();
    args.push("--no-plots");
    assert_ok(&chokepoint(&args, sweep));
    let out = args[args.iter().position(|a| *a == "--out").unwrap() + 1];
    let metrics = fs::read_to_string(sweep.join(out).join("metrics.csv")).unwrap();
    let value = metrics
        .lines()
        .find(|l| l.starts_with(metrics_prefix))
        .and_then(|l| l.rsplit(',').next())
        .unwrap();
    assert_eq!(value, fields[at], "the repeated run gives the same bits");
}

#[test]
fn repeat_command_in_runs_csv_reproduces_the_kept_value() {
    let dir = sweep_dir(SOBOL);
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "s"],
        dir.path(),
    ));
    assert_repeat_reproduces(
        &dir.path().join("s"),
        7,
        "ai_compute[CN]@2023-06-01",
        "11,2023-06-01,ai_compute,CN,",
    );
}

/// Runs a bad spec (or arguments) and checks the contract: exit 2, the expected words, and no
/// output folder.
fn assert_refused(spec: &str, extra: &[&str], expected: &[&str]) {
    let dir = sweep_dir(spec);
    let mut args = vec!["sweep", "spec.ron", "--out", "out"];
    args.extend_from_slice(extra);
    let out = chokepoint(&args, dir.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "exit 2 expected:\n{err}");
    assert!(!err.contains("panicked"), "{err}");
    for needle in expected {
        assert!(
            err.contains(needle),
            "stderr should contain {needle:?}:\n{err}"
        );
    }
    assert!(!dir.path().join("out").exists(), "nothing written:\n{err}");
    assert!(!dir.path().join("output").exists());
}

#[test]
fn unknown_parameter_is_refused_with_the_valid_paths() {
    assert_refused(
        &SOBOL.replace("market.home_bias", "market.home_bais"),
        &[],
        &[
            "unknown parameter `market.home_bais`",
            "did you mean `market.home_bias`",
            "valid paths:",
            "learning.wright_learning_rate",
            "spec.ron:10:",
        ],
    );
}

#[test]
fn empty_and_inverted_ranges_are_refused() {
    assert_refused(
        &SOBOL.replace("low: 0.5, high: 1.5", "low: 1.5, high: 0.5"),
        &[],
        &["range is inverted", "market.home_bias"],
    );
    assert_refused(
        &SOBOL.replace("low: 0.5, high: 1.5", "low: 0.5, high: 0.5"),
        &[],
        &["range is empty"],
    );
}

#[test]
fn designs_that_do_not_fit_the_parameters_are_refused() {
    assert_refused(
        &SOBOL.replace(
            "Sobol(base_samples: 4)",
            "Morris(trajectories: 4, levels: 5)",
        ),
        &[],
        &["morris design does not fit", "even number"],
    );
    assert_refused(
        &SOBOL.replace("Sobol(base_samples: 4)", "Grid"),
        &[],
        &["Grid design needs listed values"],
    );
    let no_parameters = SOBOL
        .replace(
            "Vary(path: \"market.home_bias\", dist: Uniform(low: 0.5, high: 1.5)),",
            "",
        )
        .replace(
            "Vary(path: \"learning.catch_up_rate_per_year\", dist: Uniform(low: 0.0, high: 0.2)),",
            "",
        );
    assert_refused(
        &no_parameters,
        &[],
        &["sobol design does not fit", "0 parameter"],
    );
    assert_refused(
        &SOBOL.replace("Uniform(low: 0.5, high: 1.5)", "Normal(mean: 0.1, sd: 1.0)"),
        &[],
        &["design point", "market.home_bias", "negative"],
    );
}

#[test]
fn bad_keep_and_shard_arguments_are_refused() {
    assert_refused(
        &SOBOL.replace("\"ai_compute\",", "\"ai_compte\","),
        &[],
        &["unknown metric `ai_compte`", "did you mean `ai_compute`"],
    );
    assert_refused(
        &SOBOL.replace("ticks: [5, 11]", "ticks: [5, 12]"),
        &[],
        &["tick 12 is beyond the run"],
    );
    assert_refused(SOBOL, &["--shard", "3/3"], &["must be below N = 3"]);
    assert_refused(
        &SOBOL.replace("\"small_world.ron\"", "\"nowhere.ron\""),
        &[],
        &[
            "no scenario `nowhere.ron`",
            "spec.ron:4:15",
            "baseline_2022",
        ],
    );
    assert_refused(
        SOBOL,
        &["--threads", "0"],
        &["--threads must be at least 1"],
    );
    assert_refused(
        &SOBOL.replace("replicates: 2,", "replicate: 2,"),
        &[],
        &["unknown field `replicate`", "spec.ron:7:5"],
    );
}

#[test]
fn a_folder_holding_another_sweep_is_not_overwritten_without_force() {
    let dir = sweep_dir(SOBOL);
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "s"],
        dir.path(),
    ));
    fs::write(
        dir.path().join("spec.ron"),
        SOBOL.replace("seed: 3", "seed: 5"),
    )
    .unwrap();
    let out = chokepoint(&["sweep", "spec.ron", "--out", "s"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "s", "--force"],
        dir.path(),
    ));
    let manifest = fs::read_to_string(dir.path().join("s/manifest.json")).unwrap();
    assert!(manifest.contains("\"seed\": 5"));
}

#[test]
fn grid_of_policy_choices_varies_a_control_threshold_and_a_switch() {
    let spec = r#"Sweep(
        name: "g",
        scenario: "export_control_2022",
        ticks: 6,
        design: Grid,
        replicates: 2,
        seed: 1,
        parameters: [
            Vary(path: "control.us_ai_chips.max_capability", dist: Values([-1000.0, 0.5])),
            Vary(path: "mechanisms.catch_up", dist: Values([true, false])),
        ],
        keep: Keep(metrics: ["state_market_share"], states: ["US"], sectors: ["ai_accelerator"], markets: ["CN"]),
    )"#;
    let dir = sweep_dir(spec);
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "g"],
        dir.path(),
    ));
    let summary = fs::read_to_string(dir.path().join("g/summary.csv")).unwrap();
    let lines: Vec<&str> = summary.lines().collect();
    assert_eq!(lines.len(), 5, "{summary}");
    assert!(lines[1].starts_with("0,-1000,true,5,"), "{}", lines[1]);
    assert!(lines[4].starts_with("3,0.5,false,5,"), "{}", lines[4]);
    // Controlling everything cuts the US share of China's market below a control that binds
    // nothing (what remains is stockpiles and leakage).
    let mean = |line: &str| line.split(',').nth(10).unwrap().parse::<f64>().unwrap();
    assert!(lines[3].starts_with("2,0.5,true,5,"), "{}", lines[3]);
    assert!(mean(lines[1]) < 0.5 * mean(lines[3]), "{summary}");
    // The repeat command sets the control's threshold and the switch through --set.
    assert_repeat_reproduces(
        &dir.path().join("g"),
        6,
        "state_market_share[US/ai_accelerator/CN]@2022-12-01",
        "5,2022-12-01,state_market_share,US,,ai_accelerator,CN,",
    );
}

/// Every example spec validates and its first run runs.
#[test]
fn example_sweeps_load_and_run() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/sweeps");
    let mut specs: Vec<PathBuf> = fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    specs.sort();
    assert!(specs.len() >= 3);
    for spec in specs {
        let plan = chokepoint::sweep::load_plan(&spec).unwrap_or_else(|e| panic!("{e}"));
        let text = fs::read_to_string(&spec).unwrap();
        assert!(
            text.starts_with("// Question:"),
            "{} opens with its question",
            spec.display()
        );
        let values = plan.run(0).unwrap();
        assert_eq!(values.len(), plan.columns.len());
        assert!(values.iter().any(|v| v.is_finite()), "{}", spec.display());
    }
}

#[test]
fn a_finished_sweep_draws_its_default_charts() {
    let dir = sweep_dir(SOBOL);
    let out = support::command()
        .args(["sweep", "spec.ron", "--out", "charted"])
        .current_dir(dir.path())
        .output()
        .expect("binary runs");
    assert_ok(&out);
    let charts = dir.path().join("charted/charts");
    let names: Vec<String> = fs::read_dir(&charts)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .any(|n| n.starts_with("fan") && n.ends_with(".svg")),
        "fan charts: {names:?}"
    );
    assert!(
        names.iter().any(|n| n.starts_with("sobol")),
        "Sobol bars: {names:?}"
    );
}

/// `--emit-slurm` refuses, with exit code 2 and before writing any script, everything an array
/// task would trip on.
#[test]
fn emit_slurm_refuses_bad_input_on_the_login_node() {
    let refused = |spec: &str, args: &[&str], expected: &[&str]| {
        let dir = sweep_dir(spec);
        fs::write(dir.path().join("a_file"), "x").unwrap();
        let mut all = vec!["sweep", "spec.ron"];
        all.extend_from_slice(args);
        let out = chokepoint(&all, dir.path());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "exit 2 expected:\n{err}");
        for needle in expected {
            assert!(
                err.contains(needle),
                "stderr should contain {needle:?}:\n{err}"
            );
        }
        assert!(!dir.path().join("out/slurm").exists(), "no script written");
        dir
    };
    refused(
        SOBOL,
        &["--emit-slurm", "0", "--out", "out"],
        &["N must be at least 1"],
    );
    refused(SOBOL, &["--emit-slurm", "-3", "--out", "out"], &["-3"]);
    refused(
        SOBOL,
        &["--emit-slurm", "33", "--out", "out"],
        &["only 32 runs"],
    );
    let dir = refused(
        &SOBOL.replace("market.home_bias", "market.home_bais"),
        &["--emit-slurm", "4", "--out", "out"],
        &["unknown parameter `market.home_bais`", "spec.ron:10:"],
    );
    assert!(!dir.path().join("out").exists());
    refused(
        &SOBOL.replace("\"small_world.ron\"", "\"nowhere.ron\""),
        &["--emit-slurm", "4", "--out", "out"],
        &["no scenario `nowhere.ron`"],
    );
    refused(
        SOBOL,
        &["--emit-slurm", "4", "--out", "a_file/out"],
        &["cannot create the output folder"],
    );
    refused(
        SOBOL,
        &["--emit-slurm", "4", "--out", "a_file"],
        &["exists and is not a folder"],
    );
    let dir = refused(
        SOBOL,
        &["--emit-slurm", "4", "--out", "with space"],
        &["#SBATCH line cannot carry"],
    );
    assert!(!dir.path().join("with space").exists(), "nothing created");
    refused(
        SOBOL,
        &["--emit-slurm", "4", "--shard", "0/4"],
        &["cannot be used with"],
    );
    // A folder that is not writable (root writes anywhere, so only when not root).
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        use std::os::unix::fs::PermissionsExt;
        let dir = sweep_dir(SOBOL);
        fs::create_dir(dir.path().join("ro")).unwrap();
        fs::set_permissions(dir.path().join("ro"), fs::Permissions::from_mode(0o555)).unwrap();
        let out = chokepoint(
            &["sweep", "spec.ron", "--emit-slurm", "4", "--out", "ro"],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        assert!(stderr(&out).contains("cannot write in the output folder"));
    }
    // A folder holding another sweep, or this sweep cut into another number of shards.
    let dir = sweep_dir(SOBOL);
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "s", "--shard", "0/3"],
        dir.path(),
    ));
    let out = chokepoint(
        &["sweep", "spec.ron", "--emit-slurm", "4", "--out", "s"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("shard-0-of-3.txt"),
        "{}",
        stderr(&out)
    );
    fs::write(
        dir.path().join("other.ron"),
        SOBOL.replace("seed: 3", "seed: 4"),
    )
    .unwrap();
    let out = chokepoint(
        &["sweep", "other.ron", "--emit-slurm", "3", "--out", "s"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not this sweep's"),
        "{}",
        stderr(&out)
    );
    assert!(!dir.path().join("s/slurm").exists());
}

/// The emitted script, run by bash as Slurm would run each array task (no Slurm needed), gives
/// shards that merge — with the command the script prints — into the unsharded bytes.
#[test]
fn emitted_slurm_script_runs_each_shard_and_merges_to_the_unsharded_outputs() {
    let dir = sweep_dir(SOBOL);
    let root = fs::canonicalize(dir.path()).unwrap();
    let spec = root.join("spec.ron");
    let spec = spec.to_str().unwrap();
    let emitted = chokepoint(&["sweep", spec, "--emit-slurm", "3", "--out", "job"], &root);
    assert_ok(&emitted);
    let script_path = root.join("job/slurm/sweep.sbatch");
    assert_eq!(
        String::from_utf8_lossy(&emitted.stdout).trim(),
        format!("sbatch {}", script_path.display())
    );
    let script = fs::read_to_string(&script_path).unwrap();
    assert!(script.contains("#SBATCH --array=0-2\n"), "{script}");
    assert!(script.contains(&format!("--output={}/job/slurm/%A_%a.log", root.display())));
    assert!(
        fs::read_to_string(root.join("job/slurm/README.md"))
            .unwrap()
            .contains("sbatch --array=3,5")
    );
    // Without SLURM_ARRAY_TASK_ID the script refuses with the "do not retry" code.
    let out = Command::new("bash")
        .arg(&script_path)
        .env_remove("SLURM_ARRAY_TASK_ID")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    for task in ["0", "1", "2"] {
        let out = Command::new("bash")
            .arg(&script_path)
            .env("SLURM_ARRAY_TASK_ID", task)
            .env("SLURM_CPUS_PER_TASK", "1")
            .current_dir("/")
            .output()
            .unwrap();
        assert_ok(&out);
    }
    // Re-emitting over this sweep's own shards is harmless, and writes the same bytes.
    assert_ok(&chokepoint(
        &["sweep", spec, "--emit-slurm", "3", "--out", "job"],
        &root,
    ));
    assert_eq!(fs::read_to_string(&script_path).unwrap(), script);
    let merge_line = script
        .lines()
        .find(|l| l.starts_with("#   ") && l.contains(" merge "))
        .unwrap()
        .trim_start_matches("#")
        .trim();
    let out = Command::new("bash")
        .args(["-c", &format!("{merge_line} --no-plots")])
        .current_dir("/")
        .output()
        .unwrap();
    assert_ok(&out);
    assert_ok(&chokepoint(&["sweep", spec, "--out", "whole"], &root));
    for name in OUTPUTS {
        assert!(
            fs::read(root.join("job").join(name)).unwrap()
                == fs::read(root.join("whole").join(name)).unwrap(),
            "{name} differs"
        );
    }
}

/// `keep` by date and `all_ticks`; a two-factor grid draws response charts (one line per level
/// of the other factor) and a heat map, and fan charts state their design point's values.
#[test]
fn a_grid_kept_by_date_draws_response_charts_and_a_heat_map() {
    let spec = r#"Sweep(
        name: "g",
        scenario: "small_world.ron",
        ticks: 12,
        design: Grid,
        replicates: 2,
        seed: 1,
        parameters: [
            Vary(path: "market.home_bias", dist: Values([0.5, 1.0, 2.0])),
            Vary(path: "mechanisms.catch_up", dist: Values([true, false])),
        ],
        keep: Keep(metrics: ["ai_compute"], dates: ["2022-12", "2023-06"], states: ["CN"]),
    )"#;
    let dir = sweep_dir(spec);
    let out = support::command()
        .args(["sweep", "spec.ron", "--out", "g"])
        .current_dir(dir.path())
        .output()
        .expect("binary runs");
    assert_ok(&out);
    let columns = fs::read_to_string(dir.path().join("g/columns.csv")).unwrap();
    assert!(columns.contains(",5,2022-12-01,ai_compute,CN"), "{columns}");
    assert!(
        columns.contains(",11,2023-06-01,ai_compute,CN"),
        "{columns}"
    );
    let charts: Vec<String> = fs::read_dir(dir.path().join("g/charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    for want in [
        "response_ai_compute_cn_market_home_bias.svg",
        "response_ai_compute_cn_mechanisms_catch_up.svg",
        "heatmap_ai_compute_cn.svg",
    ] {
        assert!(charts.iter().any(|c| c == want), "{want} in {charts:?}");
    }
    let response = fs::read_to_string(
        dir.path()
            .join("g/charts/response_ai_compute_cn_market_home_bias.svg"),
    )
    .unwrap();
    assert!(response.contains("catch_up = true") && response.contains("catch_up = false"));
    let fan = fs::read_to_string(dir.path().join("g/charts/fan_ai_compute_cn.svg")).unwrap();
    assert!(
        fan.contains("market.home_bias = 0.5, mechanisms.catch_up = true"),
        "the fan chart names its design point's values"
    );

    let all = sweep_dir(&spec.replace(r#"dates: ["2022-12", "2023-06"]"#, "all_ticks: true"));
    assert_ok(&chokepoint(
        &["sweep", "spec.ron", "--out", "a"],
        all.path(),
    ));
    let columns = fs::read_to_string(all.path().join("a/columns.csv")).unwrap();
    assert_eq!(columns.lines().count(), 1 + 12, "every tick: {columns}");

    assert_refused(
        &spec.replace(r#""2023-06""#, r#""2031-01""#),
        &[],
        &["date 2031-01 is outside the run"],
    );
}
