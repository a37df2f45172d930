//! `chokepoint compare A B`, run as a user would: two runs of one world join row by row into a
//! tidy table of baseline, variant and difference with difference charts; runs of different
//! calendars or worlds are refused with exit code 2 and nothing written.

use crate::support::{SMALL_WORLD, chokepoint, stderr};
use std::fs;
use std::path::Path;

/// The small world, and the same world with a US control on AI accelerators to China.
fn two_runs(dir: &Path) {
    let control = SMALL_WORLD.replace(
        "events: [],",
        r#"events: [Event(date: "2022-10", action: ExportControl(id: "ai", controller: "US", sector: "ai_accelerator", max_capability: -0.25, destinations: ["CN"]))],"#,
    );
    assert_ne!(control, SMALL_WORLD, "the fixture has an empty event list");
    fs::write(dir.join("world.ron"), SMALL_WORLD).unwrap();
    fs::write(dir.join("control.ron"), control).unwrap();
    for (file, out) in [("world.ron", "a"), ("control.ron", "b")] {
        let o = chokepoint(&["run", file, "--out", out, "--no-plots"], dir);
        assert!(o.status.success(), "{}", stderr(&o));
    }
}

#[test]
fn a_counterfactual_is_joined_row_by_row_with_differences_and_charts() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_runs(dir);
    let out = chokepoint(&["compare", "a", "b", "--out", "cmp"], dir);
    assert!(out.status.success(), "{}", stderr(&out));
    let table = fs::read_to_string(dir.join("cmp/comparison.csv")).unwrap();
    let mut lines = table.lines();
    assert_eq!(
        lines.next(),
        Some("tick,date,metric,state,firm,sector,market,baseline,variant,difference")
    );
    let metrics_rows = fs::read_to_string(dir.join("a/metrics.csv"))
        .unwrap()
        .lines()
        .count()
        - 1;
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert!(rows.len() >= metrics_rows, "an outer join keeps every row");
    for r in &rows {
        if let (Ok(a), Ok(b), Ok(d)) = (
            r[7].parse::<f64>(),
            r[8].parse::<f64>(),
            r[9].parse::<f64>(),
        ) {
            assert_eq!(d, b - a, "difference is variant − baseline: {r:?}");
        }
    }
    let cn_compute_moved = rows.iter().any(|r| {
        r[2] == "ai_compute" && r[3] == "CN" && r[9].parse::<f64>().is_ok_and(|d| d < 0.0)
    });
    assert!(
        cn_compute_moved,
        "the control lowers China's AI compute somewhere"
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("cmp/manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["kind"], "comparison");
    assert_eq!(manifest["files"]["comparison.csv"]["rows"], rows.len());
    let charts: Vec<String> = fs::read_dir(dir.join("cmp/charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        charts.iter().any(|c| c == "difference_ai_compute.svg"),
        "{charts:?}"
    );
    // `plot` redraws them from the files alone.
    let again = chokepoint(&["plot", "cmp", "--out", "redrawn", "--format", "svg"], dir);
    assert!(again.status.success(), "{}", stderr(&again));
    assert!(dir.join("redrawn/difference_ai_compute.svg").is_file());
}

#[test]
fn runs_of_different_dates_or_worlds_are_refused_and_nothing_is_written() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    two_runs(dir);
    let o = chokepoint(
        &[
            "run",
            "world.ron",
            "--ticks",
            "12",
            "--out",
            "short",
            "--no-plots",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = chokepoint(&["compare", "a", "short", "--out", "x"], dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("different dates"), "{}", stderr(&out));
    assert!(!dir.join("x").exists());

    // The default world on the same calendar: other states, firms and sectors.
    let o = chokepoint(
        &[
            "run",
            "baseline_2022",
            "--ticks",
            "36",
            "--out",
            "other",
            "--no-plots",
        ],
        dir,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = chokepoint(&["compare", "a", "other", "--out", "x"], dir);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("different worlds") || text.contains("different dates"),
        "{text}"
    );
    assert!(!dir.join("x").exists());

    let out = chokepoint(&["compare", "a", "nowhere", "--out", "x"], dir);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("not a result folder"),
        "{}",
        stderr(&out)
    );
}
