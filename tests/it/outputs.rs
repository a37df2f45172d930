//! What a run writes and how fast it gets there (issue 16, items 3 and 4): charts drawn from the
//! rows in memory equal `chokepoint plot`'s byte for byte; `--metrics` and `--every` keep a
//! subset of exactly the full run's rows; the metric catalogue beside `metrics.csv` and from
//! `chokepoint metrics`, and in sweep and effect folders; the digest of `metrics.csv` taken while
//! writing matches the file; `--dates` keeps the ticks of calendar dates; `--format parquet`
//! writes the rows of `metrics.csv` as `metrics.parquet` (feature `parquet`, read back here with
//! the `parquet` crate's reader) or is refused naming the feature.

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
    assert_catalogue_of(&dir.path().join("e"), &["ai_compute"]);
}

/// `folder/metrics_catalogue.csv` is `chokepoint metrics --format csv`'s rows of `metrics` (in the
/// catalogue's order), and the folder's manifest lists it with its digest and row count.
fn assert_catalogue_of(folder: &Path, metrics: &[&str]) {
    let all = chokepoint(&["metrics", "--format", "csv"], folder);
    let all = String::from_utf8(all.stdout).unwrap();
    let expected: Vec<&str> = all
        .lines()
        .enumerate()
        .filter(|(i, l)| *i == 0 || metrics.contains(&l.split(',').next().unwrap()))
        .map(|(_, l)| l)
        .collect();
    assert_eq!(
        expected.len(),
        metrics.len() + 1,
        "{metrics:?} in the catalogue"
    );
    let bytes = fs::read(folder.join("metrics_catalogue.csv")).unwrap();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert_eq!(text.lines().collect::<Vec<_>>(), expected);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(folder.join("manifest.json")).unwrap()).unwrap();
    let record = &manifest["files"]["metrics_catalogue.csv"];
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(record["sha256"].as_str(), Some(digest.as_str()), "{record}");
    assert_eq!(
        record["rows"].as_u64(),
        Some(metrics.len() as u64),
        "{record}"
    );
}

#[test]
fn a_sweep_folder_describes_the_metrics_of_its_outcomes() {
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("small_world.ron"),
        crate::support::SMALL_WORLD,
    )
    .unwrap();
    let spec = r#"Sweep(
        name: "g",
        scenario: "small_world.ron",
        ticks: 6,
        design: Grid,
        replicates: 1,
        seed: 1,
        parameters: [Vary(path: "market.home_bias", dist: Values([0.5, 1.5]))],
        keep: Keep(metrics: ["state_market_share", "ai_compute"], ticks: [5], states: ["US"], markets: ["world"]),
    )"#;
    fs::write(dir.path().join("spec.ron"), spec).unwrap();
    run_ok(
        &["sweep", "spec.ron", "--no-plots", "--out", "g", "-j", "1"],
        dir.path(),
    );
    // In the catalogue's order, not the spec's.
    assert_catalogue_of(&dir.path().join("g"), &["state_market_share", "ai_compute"]);
    // `chokepoint plot` checks every listed digest, the catalogue's included.
    let listed = chokepoint(&["plot", "g", "--list"], dir.path());
    assert!(listed.status.success(), "{}", stderr(&listed));
    // A write stopped before the manifest leaves the catalogue behind: it is the sweep's own file,
    // so the same command runs again instead of refusing a "foreign" file.
    fs::remove_file(dir.path().join("g/manifest.json")).unwrap();
    run_ok(
        &["sweep", "spec.ron", "--no-plots", "--out", "g", "-j", "1"],
        dir.path(),
    );
    assert_catalogue_of(&dir.path().join("g"), &["state_market_share", "ai_compute"]);
}

/// `--ticks 30` from 2022-07: ticks 0–29 cover 2022-07 to 2024-12.
#[test]
fn dates_keep_the_ticks_of_those_dates_with_exactly_the_full_runs_rows() {
    let dir = tempfile::tempdir().unwrap();
    let base = [
        "run",
        "--ticks",
        "30",
        "--no-plots",
        "--metrics",
        "ai_compute",
    ];
    run_ok(&[&base[..], &["--out", "full"]].concat(), dir.path());
    for (dates, ticks) in [
        (
            "2023-01,2024-06-15,2022-07,2023-01-31",
            vec!["0", "6", "23"],
        ),
        ("yearly", vec!["0", "6", "18", "29"]),
        ("2024", vec!["18"]),
    ] {
        let out = format!("d{}", ticks.len());
        run_ok(
            &[&base[..], &["--out", &out, "--dates", dates]].concat(),
            dir.path(),
        );
        let full = fs::read_to_string(dir.path().join("full/metrics.csv")).unwrap();
        let kept = fs::read_to_string(dir.path().join(&out).join("metrics.csv")).unwrap();
        let expected: Vec<&str> = full
            .lines()
            .enumerate()
            .filter(|(i, l)| *i == 0 || ticks.contains(&l.split(',').next().unwrap()))
            .map(|(_, l)| l)
            .collect();
        assert!(expected.len() > ticks.len(), "{dates}");
        assert_eq!(
            kept.lines().collect::<Vec<_>>(),
            expected,
            "--dates {dates}"
        );
    }
}

#[test]
fn bad_dates_are_refused_with_the_valid_range_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    for dates in [
        "2025-01",
        "2022-01",
        "2023-13",
        "23-01",
        "2021",
        "2023-01,,",
    ] {
        let out = chokepoint(
            &["run", "--ticks", "30", "--dates", dates, "--out", "r"],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(2), "--dates {dates}");
        let message = stderr(&out);
        assert!(
            message.contains("--dates")
                && message.contains("2022-07 to 2024-12")
                && message.contains("YYYY-MM"),
            "--dates {dates}: {message}"
        );
        assert!(!message.contains("panicked"), "{message}");
        assert!(!dir.path().join("r").exists(), "nothing written");
    }
    // A bad date is reported before the output folder, even when that folder is already taken.
    std::fs::create_dir_all(dir.path().join("taken")).unwrap();
    std::fs::write(dir.path().join("taken/metrics.csv"), "x\n").unwrap();
    let out = chokepoint(
        &[
            "run", "--ticks", "30", "--dates", "2040-01", "--out", "taken",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--dates") && !stderr(&out).contains("--force"),
        "{}",
        stderr(&out)
    );
    let out = chokepoint(
        &["run", "--dates", "2023-01", "--every", "3", "--out", "r"],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("cannot be used with"),
        "{}",
        stderr(&out)
    );
}

/// Without the `parquet` feature `--format parquet` is refused before anything runs, naming the
/// feature and the command that builds it.
#[cfg(not(feature = "parquet"))]
#[test]
fn parquet_without_the_feature_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let out = chokepoint(&["run", "--format", "parquet", "--out", "r"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let message = stderr(&out);
    assert!(
        message.contains("`parquet` cargo feature")
            && message.contains("cargo build --release --features parquet"),
        "{message}"
    );
    assert!(!message.contains("panicked"), "{message}");
    assert!(!dir.path().join("r").exists(), "nothing written");
}

/// `metrics.parquet` read back with the `parquet` crate equals `metrics.csv` row for row (typed
/// columns, null where the CSV field is empty), carries the run's provenance in its key-value
/// metadata, is listed in the manifest with its digest, and is the same bytes when run again.
#[cfg(feature = "parquet")]
#[test]
fn parquet_holds_the_rows_of_metrics_csv() {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    use parquet::record::Field;

    let dir = tempfile::tempdir().unwrap();
    let args = ["run", "--ticks", "30", "--no-plots", "--format", "parquet"];
    run_ok(&[&args[..], &["--out", "r"]].concat(), dir.path());
    run_ok(&[&args[..], &["--out", "again"]].concat(), dir.path());
    let folder = dir.path().join("r");
    let bytes = fs::read(folder.join("metrics.parquet")).unwrap();
    assert!(
        bytes == fs::read(dir.path().join("again/metrics.parquet")).unwrap(),
        "the same run writes the same bytes"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(folder.join("manifest.json")).unwrap()).unwrap();
    let record = &manifest["files"]["metrics.parquet"];
    let digest: String = Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(record["sha256"].as_str(), Some(digest.as_str()));

    let reader =
        SerializedFileReader::new(fs::File::open(folder.join("metrics.parquet")).unwrap()).unwrap();
    let metadata = reader.metadata().file_metadata();
    let value_of = |key: &str| {
        metadata
            .key_value_metadata()
            .and_then(|kv| kv.iter().find(|k| k.key == key))
            .and_then(|k| k.value.clone())
    };
    assert_eq!(
        value_of("chokepoint.scenario_sha256").as_deref(),
        manifest["scenario_sha256"].as_str()
    );
    assert_eq!(
        value_of("chokepoint.seed"),
        Some(manifest["seed"].to_string())
    );
    let columns: Vec<String> = metadata
        .schema_descr()
        .columns()
        .iter()
        .map(|c| c.name().to_string())
        .collect();
    assert_eq!(
        columns.join(","),
        "tick,date,metric,state,firm,sector,market,value"
    );

    let csv = fs::read_to_string(folder.join("metrics.csv")).unwrap();
    let mut csv_rows = csv.lines().skip(1);
    let mut count = 0u64;
    let mut nulls = 0;
    for row in reader.get_row_iter(None).unwrap() {
        let row = row.unwrap();
        let line = csv_rows
            .next()
            .expect("no more rows in metrics.csv than in metrics.parquet");
        let f: Vec<&str> = line.split(',').collect();
        let fields: Vec<&Field> = row.get_column_iter().map(|(_, field)| field).collect();
        assert_eq!(fields.len(), 8);
        assert_eq!(fields[0], &Field::Int(f[0].parse().unwrap()), "{line}");
        let date: Vec<u32> = f[1].split('-').map(|p| p.parse().unwrap()).collect();
        let days = chokepoint::output::parquet::days_since_epoch(date[0] as i32, date[1], date[2]);
        assert_eq!(fields[1], &Field::Date(days), "{line}");
        for c in 2..7 {
            let expected = if f[c].is_empty() {
                nulls += 1;
                Field::Null
            } else {
                Field::Str(f[c].to_string())
            };
            assert_eq!(fields[c], &expected, "column {c} of {line}");
        }
        let Field::Double(value) = fields[7] else {
            panic!("value of {line} is {:?}", fields[7])
        };
        assert_eq!(
            value.to_bits(),
            f[7].parse::<f64>().unwrap().to_bits(),
            "{line}"
        );
        count += 1;
    }
    assert!(csv_rows.next().is_none(), "metrics.csv has more rows");
    assert!(nulls > 0, "empty fields became nulls");
    assert_eq!(record["rows"].as_u64(), Some(count));
    assert_eq!(
        manifest["files"]["metrics.csv"]["rows"].as_u64(),
        Some(count)
    );
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

/// Keeping only a metric the scenario has no rows for says so plainly, without naming the
/// staging folder or suggesting a `plot` that cannot draw anything.
#[test]
fn a_run_that_keeps_no_rows_says_why_plainly() {
    let dir = tempfile::tempdir().unwrap();
    let out = chokepoint(
        &[
            "run",
            "baseline_2022",
            "--ticks",
            "3",
            "--metrics",
            "compliance",
            "--out",
            "x",
        ],
        dir.path(),
    );
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    assert!(
        err.contains("no rows were recorded") && err.contains("compliance"),
        "{err}"
    );
    assert!(
        !err.contains(".partial") && !err.contains("chokepoint plot"),
        "{err}"
    );
}
