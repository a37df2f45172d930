//! What a run writes and how fast it gets there (issue 16, items 3 and 4): charts drawn from the
//! rows in memory equal `chokepoint plot`'s byte for byte; `--metrics` and `--every` keep a
//! subset of exactly the full run's rows; the metric catalogue beside `metrics.csv` and from
//! `chokepoint metrics`; the digest of `metrics.csv` taken while writing matches the file.

use std::fs;
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::support::{chokepoint, stderr};

fn run_ok(args: &[&str], cwd: &Path) {
    let out = chokepoint(args, cwd);
    assert!(out.status.success(), "{args:?}: {}", stderr(&out));
}

fn sorted_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn charts_drawn_by_run_equal_those_plot_draws_from_the_folder() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(&["run", "--ticks", "30", "--out", "r"], dir.path());
    run_ok(&["plot", "r", "--out", "redrawn"], dir.path());
    let drawn = dir.path().join("r/charts");
    let redrawn = dir.path().join("redrawn");
    let names = sorted_files(&drawn);
    assert!(names.iter().any(|n| n.ends_with(".png")), "{names:?}");
    assert!(names.iter().any(|n| n.ends_with(".svg")), "{names:?}");
    assert_eq!(names, sorted_files(&redrawn), "the same chart files");
    for name in &names {
        assert!(
            fs::read(drawn.join(name)).unwrap() == fs::read(redrawn.join(name)).unwrap(),
            "{name}: drawn from memory differs from `chokepoint plot`"
        );
    }
}

#[test]
fn the_manifest_digest_of_metrics_csv_is_the_files() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        &["run", "--ticks", "12", "--no-plots", "--out", "r"],
        dir.path(),
    );
    let bytes = fs::read(dir.path().join("r/metrics.csv")).unwrap();
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("r/manifest.json")).unwrap())
            .unwrap();
    let record = &manifest["files"]["metrics.csv"];
    assert_eq!(record["sha256"].as_str(), Some(digest.as_str()));
    let lines = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
    assert_eq!(record["rows"].as_u64(), Some(lines - 1));
    assert!(manifest["files"]["metrics_catalogue.csv"].is_object());
}

#[test]
fn metrics_and_every_keep_exactly_the_full_runs_rows_of_those_metrics_and_ticks() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        &["run", "--ticks", "25", "--no-plots", "--out", "full"],
        dir.path(),
    );
    run_ok(
        &[
            "run",
            "--ticks",
            "25",
            "--no-plots",
            "--out",
            "part",
            "--metrics",
            "price,ai_compute",
            "--every",
            "12",
        ],
        dir.path(),
    );
    let full = fs::read_to_string(dir.path().join("full/metrics.csv")).unwrap();
    let part = fs::read_to_string(dir.path().join("part/metrics.csv")).unwrap();
    let expected: Vec<&str> = full
        .lines()
        .enumerate()
        .filter(|(i, line)| {
            let f: Vec<&str> = line.split(',').collect();
            *i == 0
                || (["0", "12", "24"].contains(&f[0]) && ["price", "ai_compute"].contains(&f[2]))
        })
        .map(|(_, line)| line)
        .collect();
    assert!(expected.len() > 3);
    assert_eq!(part.lines().collect::<Vec<_>>(), expected);
    let catalogue = fs::read_to_string(dir.path().join("part/metrics_catalogue.csv")).unwrap();
    let listed: Vec<&str> = catalogue
        .lines()
        .skip(1)
        .map(|l| l.split(',').next().unwrap())
        .collect();
    assert_eq!(listed, ["price", "ai_compute"]);
}

#[test]
fn an_unknown_metric_is_refused_with_the_closest_name() {
    let dir = tempfile::tempdir().unwrap();
    let out = chokepoint(&["run", "--metrics", "ai_compte", "--out", "r"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(message.contains("did you mean `ai_compute`"), "{message}");
    assert!(!dir.path().join("r").exists(), "nothing written");
    let out = chokepoint(&["run", "--every", "0"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
}

#[test]
fn the_metrics_command_prints_the_catalogue_a_run_writes() {
    let dir = tempfile::tempdir().unwrap();
    run_ok(
        &["run", "--ticks", "3", "--no-plots", "--out", "r"],
        dir.path(),
    );
    let out = chokepoint(&["metrics", "--format", "csv"], dir.path());
    assert!(out.status.success());
    let written = fs::read(dir.path().join("r/metrics_catalogue.csv")).unwrap();
    assert_eq!(out.stdout, written);
    let table = chokepoint(&["metrics"], dir.path());
    let text = String::from_utf8(table.stdout).unwrap();
    assert!(text.starts_with("metric "), "{text}");
    assert!(
        text.contains("start-frontier accelerator $B equivalents"),
        "{text}"
    );
    // Every metric in the run's file is in the catalogue.
    let metrics = fs::read_to_string(dir.path().join("r/metrics.csv")).unwrap();
    for line in metrics.lines().skip(1) {
        let name = line.split(',').nth(2).unwrap();
        assert!(
            text.lines().any(|l| l.split(' ').next() == Some(name)),
            "{name} missing"
        );
    }
}

#[test]
fn replicates_csv_carries_each_doses_label_and_value() {
    let dir = tempfile::tempdir().unwrap();
    let world = crate::support::SMALL_WORLD.replace(
        "events: [],",
        r#"events: [Event(date: "2022-08", action: ExportControl(id: "ai", controller: "US", sector: "ai_accelerator", max_capability: -0.25, destinations: ["CN"]))],"#,
    );
    let spec = r#"Effect(
        name: "dose_values",
        scenario: "world.ron",
        dose: Levels(path: "control.ai.licence_approval_rate", values: [1.0, 0.25, 0.0]),
        outcomes: [Outcome(label: "cn_ai_compute", metric: "ai_compute", state: "CN", date: "2023-06")],
        replicates: 2,
        seed: 3,
        bootstrap_resamples: 100,
    )"#;
    fs::write(dir.path().join("world.ron"), world).unwrap();
    fs::write(dir.path().join("spec.ron"), spec).unwrap();
    run_ok(
        &[
            "effect",
            "spec.ron",
            "--no-plots",
            "--out",
            "e",
            "--threads",
            "1",
        ],
        dir.path(),
    );
    let text = fs::read_to_string(dir.path().join("e/replicates.csv")).unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("ablation,outcome,dose,dose_label,dose_value,replicate,seed,value")
    );
    let mut seen = std::collections::BTreeSet::new();
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let expected = ["1", "0.25", "0"][f[2].parse::<usize>().unwrap()];
        assert_eq!((f[3], f[4]), (expected, expected), "{line}");
        seen.insert(f[2].to_string());
    }
    assert_eq!(seen.len(), 3);
}

#[test]
fn docs_outputs_carries_the_catalogue() {
    let out = chokepoint(&["metrics", "--format", "markdown"], Path::new("."));
    assert!(out.status.success());
    let table = String::from_utf8(out.stdout).unwrap();
    let doc =
        fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/OUTPUTS.md")).unwrap();
    assert!(
        doc.contains(&table),
        "docs/OUTPUTS.md's metric table differs from the catalogue; paste in the output of \
         `chokepoint metrics --format markdown`:\n{table}"
    );
}
