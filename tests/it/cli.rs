//! The `chokepoint` executable, run as a user would: every bad-input case gives exit code 2, names
//! the file with line and column (or the value's path), says what is wrong and what is valid, and
//! leaves no output folder behind; good runs are byte-for-byte reproducible.

use crate::support::{self, SMALL_WORLD, chokepoint, stderr};
use std::fs;
use std::path::PathBuf;

/// A scratch folder holding `scenario.ron` with `text`.
fn scenario_dir(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scenario.ron");
    fs::write(&path, text).unwrap();
    (dir, path)
}

/// Runs both `validate` and `run` on a broken file and checks the shared contract of bad input.
fn assert_rejected(text: &str, expected: &[&str]) -> String {
    let (dir, path) = scenario_dir(text);
    let file = path.to_str().unwrap();
    let validate = chokepoint(&["validate", file], dir.path());
    let out_dir = dir.path().join("out");
    let run = chokepoint(
        &[
            "run",
            file,
            "--out",
            out_dir.to_str().unwrap(),
            "--no-plots",
        ],
        dir.path(),
    );
    for out in [&validate, &run] {
        let err = stderr(out);
        assert_eq!(
            out.status.code(),
            Some(2),
            "exit code 2 expected; stderr:\n{err}"
        );
        assert!(!err.contains("panicked"), "no panic: {err}");
        for needle in expected {
            assert!(
                err.contains(needle),
                "stderr should contain {needle:?}:\n{err}"
            );
        }
    }
    assert!(!out_dir.exists(), "a rejected run leaves no output folder");
    let leftovers: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "only the scenario file remains: {leftovers:?}"
    );
    stderr(&validate)
}

fn with_event(action: &str, date: &str) -> String {
    SMALL_WORLD.replace(
        "events: [],",
        &format!("events: [\n        Event(date: \"{date}\", action: {action}),\n    ],"),
    )
}

const CONTROL: &str = r#"ExportControl(id: "c1", controller: "US", sector: "ai_accelerator", max_capability: -0.25, destinations: ["CN"])"#;

#[test]
fn malformed_file_names_line_and_column() {
    let broken = SMALL_WORLD.replace("ticks: 36,", "ticks: 36");
    let err = assert_rejected(&broken, &["scenario.ron:8:5"]);
    assert!(
        err.contains("ticks_per_year"),
        "snippet shows the offending line: {err}"
    );
}

#[test]
fn unknown_field_lists_the_valid_fields() {
    let broken = SMALL_WORLD.replace("ticks: 36,", "tick: 36,");
    assert_rejected(
        &broken,
        &[
            "unknown field `tick`",
            "scenario.ron:7:5",
            "valid fields:",
            "ticks_per_year",
        ],
    );
}

#[test]
fn wrong_type_is_named_with_its_position() {
    let broken = SMALL_WORLD.replace("seed: 7,", "seed: \"seven\",");
    assert_rejected(
        &broken,
        &["scenario.ron:9:10", "Expected integer", "seed: \"seven\""],
    );
}

#[test]
fn unknown_state_in_an_event_lists_the_states() {
    let text = with_event(&CONTROL.replace("[\"CN\"]", "[\"XX\"]"), "2022-10");
    assert_rejected(
        &text,
        &[
            "unknown state `XX` in `destinations`",
            "events[0].action.destinations",
            "valid states: US, CN, TW, JP",
        ],
    );
}

#[test]
fn unknown_firm_in_an_event_lists_the_firms() {
    let text = with_event(
        &CONTROL.replace(
            "destinations: [\"CN\"]",
            "destinations: [\"CN\"], covered_firms: [\"nvidea\"]",
        ),
        "2022-10",
    );
    assert_rejected(
        &text,
        &[
            "unknown firm `nvidea`",
            "events[0].action.covered_firms",
            "valid firms:",
            "us_chips",
        ],
    );
}

#[test]
fn unknown_sector_in_an_event_lists_the_sectors() {
    let text = with_event(
        &CONTROL.replace("\"ai_accelerator\"", "\"gpus\""),
        "2022-10",
    );
    assert_rejected(
        &text,
        &[
            "unknown sector `gpus`",
            "events[0]",
            "valid sectors: minerals, equipment",
        ],
    );
}

#[test]
fn negative_capacity_is_refused() {
    let broken = SMALL_WORLD.replace("capacity_usd_b: 1.5", "capacity_usd_b: -1.5");
    assert_rejected(
        &broken,
        &[
            "capacity -1.5 of `cn_chips` must be > 0",
            "firms[8].capacity_usd_b",
            "scenario.ron:",
        ],
    );
}

#[test]
fn input_coefficients_that_make_production_impossible_are_refused() {
    let broken = SMALL_WORLD.replace(
        "Input(sector: \"equipment\", per_unit: 0.4, role: Capital)",
        "Input(sector: \"equipment\", per_unit: 2.5, role: Capital)",
    );
    assert_rejected(
        &broken,
        &[
            "input coefficients make production impossible",
            "`equipment`",
            "foundry_advanced (2.5 × 50)",
        ],
    );
}

#[test]
fn material_input_cycle_is_refused() {
    let broken = SMALL_WORLD.replace(
        "final_demand_by_state: {\"US\": 0.3, \"CN\": 0.4, \"TW\": 0.1, \"JP\": 0.2},\n        ),",
        "final_demand_by_state: {\"US\": 0.3, \"CN\": 0.4, \"TW\": 0.1, \"JP\": 0.2},\n            inputs: [Input(sector: \"equipment\", per_unit: 0.01, role: Material)],\n        ),",
    );
    assert_rejected(&broken, &["Material inputs form a cycle"]);
}

#[test]
fn event_date_outside_the_run_is_refused() {
    let text = with_event(CONTROL, "2031-01");
    assert_rejected(
        &text,
        &[
            "event date 2031-01 is outside the run (2022-07 to 2025-06)",
            "events[0]",
            "scenario.ron:",
        ],
    );
}

#[test]
fn contradictory_events_on_one_date_are_refused() {
    let text = SMALL_WORLD.replace(
        "events: [],",
        &format!("events: [Event(date: \"2022-10\", action: {CONTROL}), Event(date: \"2022-10\", action: Remove(id: \"c1\"))],"),
    );
    assert_rejected(&text, &["contradictory events", "`c1`"]);
}

#[test]
fn extends_cycle_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("a.ron"),
        "Scenario(extends: \"b.ron\", name: \"a\")",
    )
    .unwrap();
    fs::write(
        dir.path().join("b.ron"),
        "Scenario(extends: \"a.ron\", name: \"b\")",
    )
    .unwrap();
    let out = chokepoint(&["run", "a.ron", "--out", "out"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("`extends` cycle") && err.contains("a.ron → ") && err.contains("b.ron"),
        "{err}"
    );
    assert!(!dir.path().join("out").exists());
}

#[test]
fn missing_file_is_refused_with_the_bundled_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = chokepoint(&["run", "nowhere.ron"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("no scenario file `nowhere.ron`") && err.contains("baseline_2022"),
        "{err}"
    );
    assert!(!dir.path().join("output").exists());
}

#[test]
fn missing_extends_target_points_at_the_extends_line() {
    let (dir, path) = scenario_dir("Scenario(\n    extends: \"gone.ron\",\n    name: \"x\",\n)");
    let out = chokepoint(&["validate", path.to_str().unwrap()], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("scenario.ron:2:14")
            && err.contains("no file")
            && err.contains("no bundled scenario of that name")
            && err.contains("beside")
            && err.contains("baseline_2022"),
        "{err}"
    );
}

#[test]
fn unknown_parameter_suggests_the_right_one() {
    let dir = tempfile::tempdir().unwrap();
    let out = chokepoint(
        &["validate", "--set", "learning.catchup_rate_per_year=0.1"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("did you mean `learning.catch_up_rate_per_year`"),
        "{err}"
    );
}

#[test]
fn parameter_in_a_file_with_a_bad_value_points_at_it() {
    let broken = SMALL_WORLD.replace(
        "parameters: {},",
        "parameters: {\"production.target_utilization\": 1.4},",
    );
    assert_rejected(
        &broken,
        &[
            "production.target_utilization",
            "outside [0, 1]",
            "scenario.ron:",
        ],
    );
}

#[test]
fn existing_output_is_not_overwritten_without_force() {
    let (dir, path) = scenario_dir(SMALL_WORLD);
    let out_dir = dir.path().join("out");
    fs::create_dir(&out_dir).unwrap();
    fs::write(out_dir.join("keep.txt"), "precious").unwrap();
    let out = chokepoint(
        &["run", path.to_str().unwrap(), "--out", "out", "--no-plots"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--force"));
    assert_eq!(
        fs::read_to_string(out_dir.join("keep.txt")).unwrap(),
        "precious"
    );
    let forced = chokepoint(
        &[
            "run",
            path.to_str().unwrap(),
            "--out",
            "out",
            "--force",
            "--no-plots",
        ],
        dir.path(),
    );
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(out_dir.join("metrics.csv").exists() && !out_dir.join("keep.txt").exists());
}

#[test]
fn two_runs_in_parallel_write_identical_metrics() {
    let (dir, path) = scenario_dir(SMALL_WORLD);
    let file = path.to_str().unwrap().to_string();
    let children: Vec<_> = ["a", "b", "c"]
        .iter()
        .map(|out| {
            support::command()
                .args(["run", &file, "--out", out, "--no-plots"])
                .current_dir(dir.path())
                .spawn()
                .unwrap()
        })
        .collect();
    for mut child in children {
        assert!(child.wait().unwrap().success());
    }
    let a = fs::read(dir.path().join("a/metrics.csv")).unwrap();
    assert!(a.len() > 1000);
    assert_eq!(a, fs::read(dir.path().join("b/metrics.csv")).unwrap());
    assert_eq!(a, fs::read(dir.path().join("c/metrics.csv")).unwrap());
}

#[test]
fn effective_scenario_repeats_the_run_exactly() {
    let (dir, path) = scenario_dir(&with_event(CONTROL, "2022-10"));
    let first = chokepoint(
        &[
            "run",
            path.to_str().unwrap(),
            "--out",
            "first",
            "--seed",
            "11",
            "--set",
            "market.home_bias=0.7",
            "--no-plots",
        ],
        dir.path(),
    );
    assert!(first.status.success(), "{}", stderr(&first));
    let replay = chokepoint(
        &["run", "first/scenario.ron", "--out", "second", "--no-plots"],
        dir.path(),
    );
    assert!(replay.status.success(), "{}", stderr(&replay));
    let a = fs::read(dir.path().join("first/metrics.csv")).unwrap();
    assert_eq!(a, fs::read(dir.path().join("second/metrics.csv")).unwrap());
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("first/manifest.json")).unwrap()).unwrap();
    let replayed: serde_json::Value =
        serde_json::from_slice(&fs::read(dir.path().join("second/manifest.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["scenario_sha256"], replayed["scenario_sha256"]);
    assert_eq!(manifest["seed"], 11);
    assert_eq!(manifest["parameters"]["market.home_bias"], 0.7);
    assert_eq!(manifest["kind"], "run");
}

#[test]
fn default_run_writes_the_documented_files() {
    let dir = tempfile::tempdir().unwrap();
    let out = chokepoint(&["run", "--ticks", "3"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let run_dir = dir.path().join("output/baseline_2022-ticks3");
    for file in [
        "metrics.csv",
        "manifest.json",
        "scenario.ron",
        "firms.csv",
        "states.csv",
        "sectors.csv",
    ] {
        assert!(run_dir.join(file).exists(), "{file} written");
    }
    let csv = fs::read_to_string(run_dir.join("metrics.csv")).unwrap();
    assert_eq!(
        csv.lines().next(),
        Some("tick,date,metric,state,firm,sector,market,value")
    );
    for metric in [
        "market_share",
        "state_market_share",
        "self_sufficiency",
        "capability",
        "best_capability",
        "capability_gap",
        "output",
        "sales",
        "revenue",
        "price",
        "ai_compute",
    ] {
        assert!(
            csv.contains(&format!(",{metric},")),
            "metric {metric} recorded"
        );
    }
}

/// `--threads 0` meant "every core" for `effect` but was refused by `sweep`; both refuse it now,
/// before reading anything, with the same message.
#[test]
fn threads_zero_is_refused_by_sweep_and_effect_alike() {
    let dir = tempfile::tempdir().unwrap();
    for command in ["sweep", "effect"] {
        let out = chokepoint(&[command, "spec.ron", "--threads", "0"], dir.path());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{command}: {err}");
        assert!(err.contains("must be at least 1"), "{command}: {err}");
    }
}

/// `effect --replicates 1` silently became 2; it is refused with the reason now.
#[test]
fn effect_replicates_below_two_are_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let out = chokepoint(&["effect", "spec.ron", "--replicates", "1"], dir.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("at least 2 replicates"), "{err}");
}

/// `plot --format` and `--preset` accept exactly their documented values and list them.
#[test]
fn plot_format_and_preset_list_their_values() {
    let dir = tempfile::tempdir().unwrap();
    for (option, value, listed) in [
        ("--format", "eps", ["svg", "png", "both", "pdf"].as_slice()),
        (
            "--preset",
            "half-column",
            ["one-column", "two-column"].as_slice(),
        ),
    ] {
        let out = chokepoint(&["plot", ".", option, value], dir.path());
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{err}");
        for v in listed {
            assert!(err.contains(v), "{option} lists `{v}`: {err}");
        }
    }
}

/// Chart files that cannot be written are a failure while writing (exit 1), as the README says
/// for every command; a folder with nothing to draw is bad input (exit 2).
#[test]
fn plot_exit_codes_follow_the_one_table() {
    let (dir, path) = scenario_dir(SMALL_WORLD);
    let run = chokepoint(
        &[
            "run",
            path.to_str().unwrap(),
            "--out",
            "r",
            "--ticks",
            "3",
            "--no-plots",
        ],
        dir.path(),
    );
    assert!(run.status.success(), "{}", stderr(&run));
    let blocked = chokepoint(&["plot", "r", "--out", "r/metrics.csv/charts"], dir.path());
    assert_eq!(blocked.status.code(), Some(1), "{}", stderr(&blocked));
    let empty = chokepoint(&["plot", "."], dir.path());
    assert_eq!(empty.status.code(), Some(2), "{}", stderr(&empty));
}

/// A file in a folder of its own extends a bundled scenario by name, with or without `.ron`; a
/// file beside it of that name wins; `validate` says what it read.
#[test]
fn own_scenarios_extend_bundled_ones_by_name_and_a_file_beside_wins() {
    let dir = tempfile::tempdir().unwrap();
    for (extends, file) in [
        ("baseline_2022", "a.ron"),
        ("export_control_2022.ron", "b.ron"),
    ] {
        let text = format!(
            "Scenario(extends: \"{extends}\", name: \"mine\", description: \"d\", ticks: 4)"
        );
        fs::write(dir.path().join(file), text).unwrap();
        let out = chokepoint(&["validate", file], dir.path());
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{extends}: {}", stderr(&out));
        assert!(
            said.contains("4 ticks") && said.contains("extending <bundled>/"),
            "{said}"
        );
    }
    // export_control_2022 extends baseline_2022.ron; a file beside the user's file is not
    // consulted for a bundled file's own `extends`, but is for the user's.
    fs::write(dir.path().join("baseline_2022.ron"), SMALL_WORLD).unwrap();
    fs::write(
        dir.path().join("c.ron"),
        "Scenario(extends: \"baseline_2022.ron\", name: \"mine\", description: \"d\")",
    )
    .unwrap();
    let out = chokepoint(&["validate", "c.ron"], dir.path());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("extending baseline_2022.ron") && said.contains("36 ticks"),
        "the file beside wins: {said}{}",
        stderr(&out)
    );
    // Written as a bare name, too.
    fs::write(
        dir.path().join("d.ron"),
        "Scenario(extends: \"baseline_2022\", name: \"mine\", description: \"d\")",
    )
    .unwrap();
    let out = chokepoint(&["validate", "d.ron"], dir.path());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains("extending baseline_2022.ron") && said.contains("36 ticks"),
        "the file beside wins under its bare name: {said}{}",
        stderr(&out)
    );
}

/// `run NAME` beside an edited copy runs the bundled scenario and says so; `run NAME.ron` runs
/// the file and says so; the manifest records which.
#[test]
fn a_bundled_name_and_a_file_of_that_name_never_collide_silently() {
    let dir = tempfile::tempdir().unwrap();
    let edited = SMALL_WORLD.replace("name: \"small_world\"", "name: \"baseline_2022\"");
    fs::write(dir.path().join("baseline_2022.ron"), edited).unwrap();
    let bundled = chokepoint(
        &["run", "baseline_2022", "--ticks", "3", "--no-plots"],
        dir.path(),
    );
    let err = stderr(&bundled);
    assert!(bundled.status.success(), "{err}");
    assert!(
        err.contains("is the bundled scenario")
            && err.contains("not the file baseline_2022.ron")
            && err.contains("differs from the bundled copy"),
        "{err}"
    );
    let manifest =
        fs::read_to_string(dir.path().join("output/baseline_2022-ticks3/manifest.json")).unwrap();
    assert!(manifest.contains("\"scenario_source\": \"<bundled>/baseline_2022.ron\""));

    let file = chokepoint(
        &[
            "run",
            "baseline_2022.ron",
            "--ticks",
            "2",
            "--no-plots",
            "--out",
            "f",
        ],
        dir.path(),
    );
    let err = stderr(&file);
    assert!(file.status.success(), "{err}");
    assert!(
        err.contains("is the file baseline_2022.ron, not the bundled scenario"),
        "{err}"
    );
    let manifest = fs::read_to_string(dir.path().join("f/manifest.json")).unwrap();
    assert!(manifest.contains("\"scenario_source\": \"baseline_2022.ron\""));
    // -q keeps the note to itself, and the summary line too.
    let quiet = chokepoint(
        &[
            "-q",
            "run",
            "baseline_2022.ron",
            "--ticks",
            "2",
            "--no-plots",
            "--out",
            "g",
        ],
        dir.path(),
    );
    assert!(quiet.status.success());
    assert!(
        quiet.stdout.is_empty() && quiet.stderr.is_empty(),
        "{}",
        stderr(&quiet)
    );
    // -q keeps the warning that an edited file of that name was not what ran.
    let quiet_bundled = chokepoint(
        &[
            "-q",
            "run",
            "baseline_2022",
            "--ticks",
            "2",
            "--no-plots",
            "--out",
            "h",
        ],
        dir.path(),
    );
    assert!(quiet_bundled.status.success());
    assert!(
        stderr(&quiet_bundled).contains("warning: `baseline_2022` is the bundled scenario"),
        "{}",
        stderr(&quiet_bundled)
    );
    // An unedited copy of the bundled file is the same scenario: nothing to say.
    fs::write(
        dir.path().join("baseline_2022.ron"),
        chokepoint::scenario::load::bundled_text("baseline_2022.ron").unwrap(),
    )
    .unwrap();
    let same = chokepoint(
        &[
            "run",
            "baseline_2022",
            "--ticks",
            "2",
            "--no-plots",
            "--out",
            "i",
        ],
        dir.path(),
    );
    assert!(same.status.success());
    assert!(
        !stderr(&same).contains("bundled scenario"),
        "{}",
        stderr(&same)
    );
}

#[test]
fn scenarios_show_prints_the_bundled_file_and_refuses_unknown_names() {
    let dir = tempfile::tempdir().unwrap();
    let out = chokepoint(&["scenarios", "--show", "export_control_2022"], dir.path());
    assert!(out.status.success());
    let shipped = fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("scenarios/export_control_2022.ron"),
    )
    .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), shipped);
    // The copy runs from a folder of its own: its `extends` falls back to the bundled baseline.
    fs::write(dir.path().join("copy.ron"), &out.stdout).unwrap();
    let valid = chokepoint(&["validate", "copy.ron"], dir.path());
    assert!(valid.status.success(), "{}", stderr(&valid));
    let unknown = chokepoint(&["scenarios", "--show", "nope"], dir.path());
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("baseline_2022"));
}

/// `--seed`, `--ticks` and `--set` give a run its own default folder; an occupied folder is
/// refused before running, naming `--force` and a free `--out`.
#[test]
fn overrides_name_their_own_folder_and_an_occupied_one_names_the_way_out() {
    let (dir, path) = scenario_dir(SMALL_WORLD);
    let file = path.to_str().unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", file, "--no-plots"];
        args.extend_from_slice(extra);
        chokepoint(&args, dir.path())
    };
    assert!(run(&[]).status.success());
    let seeded = run(&["--seed", "3", "--set", "market.home_bias=0.5"]);
    assert!(seeded.status.success(), "{}", stderr(&seeded));
    let stdout = String::from_utf8_lossy(&seeded.stdout).into_owned();
    assert!(
        stdout.starts_with("output/small_world-seed3-set-"),
        "{stdout}"
    );
    assert!(stdout.contains(" rows  0 chart files  "), "{stdout}");
    let folders: Vec<String> = fs::read_dir(dir.path().join("output"))
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with('.'))
        .collect();
    assert_eq!(folders.len(), 2, "{folders:?}");
    let again = run(&[]);
    assert_eq!(again.status.code(), Some(2));
    let err = stderr(&again);
    assert!(
        err.contains("--force") && err.contains("--out output/small_world-2"),
        "{err}"
    );
}

#[test]
fn validate_counts_in_words_that_agree_with_the_number() {
    let text = with_event(CONTROL, "2022-10");
    let (dir, path) = scenario_dir(&text);
    let out = chokepoint(&["validate", path.to_str().unwrap()], dir.path());
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        said.contains(" 1 event,") && said.contains("36 ticks"),
        "{said}"
    );
}

#[test]
fn completions_are_generated_for_the_real_flags() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish"] {
        let out = chokepoint(&["completions", shell], dir.path());
        assert!(out.status.success(), "{shell}: {}", stderr(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        assert!(
            script.contains("quiet") && script.contains("dpi"),
            "{shell}"
        );
    }
    let bad = chokepoint(&["completions", "cmd"], dir.path());
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn short_j_is_threads_and_dpi_is_checked() {
    let dir = tempfile::tempdir().unwrap();
    let out = chokepoint(&["sweep", "spec.ron", "-j", "0"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--threads must be at least 1"));
    let out = chokepoint(&["run", "--dpi", "10"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("50 to 2000"), "{}", stderr(&out));
    assert!(!dir.path().join("output").exists());
}

/// `--dpi` sets the PNG's pixels per inch; the old `--scale` still works, with a warning.
#[test]
fn plot_dpi_sizes_the_png_and_scale_is_deprecated() {
    let (dir, path) = scenario_dir(SMALL_WORLD);
    let ran = chokepoint(
        &[
            "run",
            path.to_str().unwrap(),
            "--ticks",
            "6",
            "--no-plots",
            "--out",
            "r",
        ],
        dir.path(),
    );
    assert!(ran.status.success(), "{}", stderr(&ran));
    // One chart, one file: AI compute by state.
    let first = "ai_compute".to_string();
    let width = |args: &[&str], out: &str| {
        let mut all = vec![
            "plot", "r", "--only", &first, "--format", "png", "--out", out,
        ];
        all.extend_from_slice(args);
        let done = chokepoint(&all, dir.path());
        assert!(done.status.success(), "{}", stderr(&done));
        let png = dir.path().join(out).join(format!("{first}.png"));
        (crate::charts::decode_png(&png).0, stderr(&done))
    };
    let (w300, err) = width(&[], "a");
    assert!(!err.contains("deprecated"));
    let (w150, _) = width(&["--dpi", "150"], "b");
    let (w_scale, err) = width(&["--scale", "1.5"], "c");
    assert_eq!(w150, w_scale);
    assert!(
        err.contains("--scale is deprecated") && err.contains("--dpi 150"),
        "{err}"
    );
    assert!(
        (w300 as f64 / w150 as f64 - 2.0).abs() < 0.02,
        "{w300} vs {w150}"
    );
}

/// `chokepoint params | head -1`: a reader that goes away ends the listing quietly with success
/// (as ripgrep and cargo do), never with a broken-pipe panic.
#[test]
fn listings_piped_into_a_reader_that_closes_end_quietly() {
    let dir = tempfile::tempdir().unwrap();
    for args in [&["params"][..], &["scenarios"], &["metrics"]] {
        let mut child = crate::support::command()
            .args(args)
            .current_dir(dir.path())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the read end before the listing is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{args:?}: {:?} {err}", out.status);
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

/// A missing comma is located and explained: ron points at the next token, so the help says the
/// comma belongs just before it.
#[test]
fn a_missing_comma_is_located_and_explained() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("bad.ron"),
        "Scenario(\n    extends: \"baseline_2022\",\n    name: \"mine\",\n    description: \"d\",\n    ticks: 12\n    seed: 3,\n)\n",
    )
    .unwrap();
    let out = chokepoint(&["validate", "bad.ron"], dir.path());
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bad.ron:6:5") && err.contains("a comma is missing"),
        "{err}"
    );
}
