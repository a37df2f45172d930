//! One test per bug fixed so far, named after the bug, pinning the fix through public behaviour
//! (scenario files, the metric rows a run reports, the command line). They assert the fixed
//! behaviour's shape — bounds, signs, presence — never one version's exact numbers, so they keep
//! holding while the model's economics are refined.

use std::fs;
use std::path::Path;

use crate::support::{self, SMALL_WORLD, stderr};
use chokepoint::model::metrics::{Metric, Row, Selection};
use chokepoint::runner::effect::{EffectRequest, execute};
use chokepoint::scenario::load::BUNDLED;
use chokepoint::scenario::{Date, Overrides, Scenario, load_str};

/// The small test world with `events` and `parameters` (`"path": value` pairs) filled in.
fn small_world(events: &[&str], parameters: &[(&str, &str)]) -> Scenario {
    let parameters: Vec<String> = parameters
        .iter()
        .map(|(k, v)| format!("\"{k}\": {v}"))
        .collect();
    let text = SMALL_WORLD
        .replace("events: [],", &format!("events: [{}],", events.join(", ")))
        .replace(
            "parameters: {},",
            &format!("parameters: {{{}}},", parameters.join(", ")),
        );
    load_str("regression_world.ron", &text, &Overrides::default())
        .unwrap_or_else(|e| panic!("the regression world loads: {e}"))
}

fn run(scenario: &Scenario) -> Vec<Row> {
    chokepoint::model::run(scenario, Selection::default()).to_rows()
}

fn bundled(name: &str) -> Scenario {
    let (file, text) = BUNDLED
        .iter()
        .find(|(file, _)| *file == format!("{name}.ron"))
        .expect("a bundled scenario");
    load_str(file, text, &Overrides::default()).expect("bundled scenarios load")
}

fn state(s: &Scenario, id: &str) -> u16 {
    s.state_index(id).expect("a state") as u16
}

fn firm(s: &Scenario, id: &str) -> u16 {
    s.firm_index(id).expect("a firm") as u16
}

fn sector(s: &Scenario, id: &str) -> u16 {
    s.sector_index(id).expect("a sector") as u16
}

/// Runaway capability (fixed in de0ad5e): R&D effort was measured against each firm's own start,
/// so small firms that gained sales leapt tens of frontier-years ahead within a few years. Now no
/// firm gains more than twice the pace of a frontier moving one frontier-year per year.
#[test]
fn runaway_capability_no_firm_leaps_frontier_years_ahead() {
    for name in ["baseline_2022", "export_control_2022"] {
        let s = bundled(name);
        let rows = run(&s);
        let last = s.ticks - 1;
        let years = f64::from(last) / f64::from(s.ticks_per_year);
        let capability = |tick: u32, j: usize| {
            rows.iter()
                .find(|r| r.metric == Metric::Capability && r.tick == tick && r.firm == j as u16)
                .map(|r| r.value)
        };
        let mut checked = 0;
        for (j, f) in s.firms.iter().enumerate() {
            let (Some(start), Some(end)) = (capability(0, j), capability(last, j)) else {
                continue;
            };
            checked += 1;
            assert!(
                end - start <= 2.0 * years + 1.0,
                "{name}: {} gained {:.1} frontier-years in {years:.1} years",
                f.id,
                end - start
            );
        }
        assert!(checked > 0, "{name}: no capability rows");
    }
}

/// Compliance ordering (fixed in de0ad5e): compliance was computed after allocation, so a newly
/// aligned ally met a placeholder value and blocked everything in the alignment's first month.
/// Now an ally that complies only partly keeps selling to the target from the first month on.
#[test]
fn compliance_ordering_a_partly_complying_ally_keeps_selling_in_the_first_month() {
    let control = r#"Event(date: "2022-10", action: ExportControl(id: "sme", controller: "US", sector: "equipment", max_capability: -100, destinations: ["CN"]))"#;
    let align = r#"Event(date: "2022-11", action: AllyAlignment(id: "ask_jp", control: "sme", allies: ["JP"]))"#;
    let s = small_world(
        &[control, align],
        &[("mechanisms.allied_compliance", "true")],
    );
    let rows = run(&s);
    let first = s.tick_of_date(Date::parse("2022-11").expect("a date")) as u32;
    let (jp, cn, us) = (state(&s, "JP"), state(&s, "CN"), state(&s, "US"));
    let (jp_tools, equipment) = (firm(&s, "jp_tools"), sector(&s, "equipment"));
    let compliance = rows
        .iter()
        .find(|r| {
            r.metric == Metric::Compliance && r.tick == first && r.state == jp && r.market == us
        })
        .map(|r| r.value)
        .expect("JP's compliance is reported from the alignment's first month");
    assert!(
        compliance > 0.0 && compliance < 1.0,
        "JP complies partly in the first month, not with a placeholder: {compliance}"
    );
    let share = |tick: u32| {
        rows.iter()
            .find(|r| {
                r.metric == Metric::MarketShare
                    && r.tick == tick
                    && r.firm == jp_tools
                    && r.sector == equipment
                    && r.market == cn
            })
            .map_or(0.0, |r| r.value)
    };
    assert!(
        share(first) > 0.0,
        "JP's toolmaker still sells in CN in the alignment's first month"
    );
    assert!(
        share(first) >= 0.5 * share(first + 1),
        "no one-month collapse: {} then {}",
        share(first),
        share(first + 1)
    );
}

/// Front-running of flowing goods only (fixed in de0ad5e): stockpiling orders went to any
/// supplier, so goods an earlier control already blocked were "front-run" too. Now an announced
/// control that binds only goods an earlier control has blocked since before the announcement
/// builds no stock, while the same announcement without the earlier control does.
#[test]
fn front_running_targets_only_goods_still_flowing() {
    let blocked_now = r#"Event(date: "2022-07", action: ExportControl(id: "first", controller: "US", sector: "ai_accelerator", max_capability: -0.25, destinations: ["CN"]))"#;
    let announced = r#"Event(date: "2023-01", announced: "2022-09", action: ExportControl(id: "second", controller: "US", sector: "ai_accelerator", max_capability: -0.5, destinations: ["CN"]))"#;
    let only_stockpiling = [
        ("mechanisms.substitution", "false"),
        ("mechanisms.backfill", "false"),
        ("mechanisms.leakage", "false"),
        ("mechanisms.compliant_redesign", "false"),
        ("mechanisms.target_commitment", "false"),
    ];
    let stock_in_window = |events: &[&str]| {
        let s = small_world(events, &only_stockpiling);
        let rows = run(&s);
        let (cn, chips) = (state(&s, "CN"), sector(&s, "ai_accelerator"));
        let until = s.tick_of_date(Date::parse("2023-01").expect("a date")) as u32;
        rows.iter()
            .filter(|r| {
                r.metric == Metric::Stockpile
                    && r.tick < until
                    && r.sector == chips
                    && r.market == cn
            })
            .map(|r| r.value)
            .fold(0.0, f64::max)
    };
    assert!(
        stock_in_window(&[announced]) > 0.0,
        "a control announced ahead of time is front-run while the goods still flow"
    );
    assert_eq!(
        stock_in_window(&[blocked_now, announced]),
        0.0,
        "goods an earlier control already blocks are not front-run"
    );
}

/// The Slurm `--stop-after` flake (fixed in 180d15b): runs still in flight after the stop were
/// journaled too, so a small shard could finish and delete its journal. `--stop-after k` now
/// stops after exactly k runs, on any thread count; repeated because the bug was a race.
#[test]
fn slurm_stop_after_flake_journals_exactly_k_runs_of_a_small_shard() {
    let spec = r#"Sweep(
        name: "flake",
        scenario: "small_world.ron",
        ticks: 6,
        design: Grid,
        replicates: 2,
        seed: 1,
        parameters: [Vary(path: "market.home_bias", dist: Values([0.5, 1.0, 1.5]))],
        keep: Keep(metrics: ["ai_compute"]),
    )"#;
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("small_world.ron"), SMALL_WORLD).unwrap();
    fs::write(dir.path().join("spec.ron"), spec).unwrap();
    for attempt in 0..5 {
        let out = format!("out{attempt}");
        let stopped = support::chokepoint(
            &[
                "sweep",
                "spec.ron",
                "--out",
                &out,
                "--shard",
                "0/2",
                "--threads",
                "2",
                "--stop-after",
                "1",
                "--no-plots",
            ],
            dir.path(),
        );
        assert_eq!(stopped.status.code(), Some(130), "{}", stderr(&stopped));
        let folder = dir.path().join(&out);
        assert!(
            !folder.join("shard-0-of-2.txt").exists(),
            "attempt {attempt}: the shard must not finish after a stop"
        );
        let journal = fs::read_to_string(folder.join("journal-shard-0-of-2.txt"))
            .unwrap_or_else(|e| panic!("attempt {attempt}: the journal is kept: {e}"));
        assert_eq!(
            journal.lines().count(),
            2,
            "attempt {attempt}: a header and exactly one run:\n{journal}"
        );
    }
}

/// Issue 15, D6: effect and dose labels with commas (or quotes, or newlines) went unquoted into
/// `effects.csv` and `replicates.csv`, shifting every later column. Every field is now quoted as
/// CSV requires, so each row reads back with the header's columns and its labels intact.
#[test]
fn d6_effect_labels_with_commas_are_quoted() {
    let dir = tempfile::tempdir().unwrap();
    let spec = r#"Effect(
        name: "labels",
        scenario: "world.ron",
        dose: Rounds(events: [
            Event(date: "2022-10", label: "round 1, \"chips\"", action: ExportControl(id: "r1", controller: "US", sector: "ai_accelerator", max_capability: 0.0, destinations: ["CN"])),
        ]),
        outcomes: [Outcome(label: "cn compute, 2023", metric: "ai_compute", state: "CN", date: "2023-06")],
        replicates: 2,
        seed: 3,
        bootstrap_resamples: 100,
    )"#;
    fs::write(dir.path().join("world.ron"), SMALL_WORLD).unwrap();
    fs::write(dir.path().join("spec.ron"), spec).unwrap();
    let out = dir.path().join("out");
    let request = EffectRequest {
        out: Some(out.clone()),
        force: false,
        threads: Some(1),
        command_line: vec![],
        plots: None,
        progress: false,
        replicates: None,
    };
    execute(&dir.path().join("spec.ron"), &request).unwrap_or_else(|e| panic!("{e}"));
    for (file, label_column, expected) in [
        ("effects.csv", "outcome", "cn compute, 2023"),
        ("effects.csv", "dose_label", "round 1, \"chips\""),
        ("replicates.csv", "outcome", "cn compute, 2023"),
    ] {
        let (header, rows) = read_csv(&out.join(file));
        let at = header
            .iter()
            .position(|h| h == label_column)
            .expect("the documented column");
        assert!(!rows.is_empty(), "{file} has rows");
        for row in &rows {
            assert_eq!(
                row.len(),
                header.len(),
                "{file}: a row with shifted columns"
            );
        }
        assert!(
            rows.iter().any(|row| row[at] == expected),
            "{file}: `{expected}` read back intact from column {label_column}"
        );
    }
}

fn read_csv(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_path(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let header = reader
        .headers()
        .expect("a header")
        .iter()
        .map(String::from)
        .collect();
    let rows = reader
        .records()
        .map(|r| r.expect("a record").iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// Blocked demand re-offered to a barely-allowed supplier (found in review, fixed after
/// 01e3670): when a supplier filled up, the capacity re-offer shared the market's leftover by
/// `w·r` among suppliers not yet full and normalised by their sum, so a foreign firm whose state
/// complied 99.9% with an extraterritorial ban (r ≈ 0.001) took all of China's blocked ≤ 7 nm
/// demand — Samsung rose to 90% of the market while Korea "complied" fully — and blocked demand
/// with no allowed alternative reached suppliers `backfill = false` rules out. Now each supplier
/// takes only the share policy allows it of what it is offered, and unplaceable blocked demand is
/// unmet. Both ways by a visible parameter: with the allies' compliance fixed at 0, the ban does
/// not bind them and Samsung keeps selling.
#[test]
fn blocked_demand_is_not_re_offered_to_a_complying_allys_firm() {
    // `parameters` as `"path": value` pairs, written into the scenario file.
    let world = |parameters: &str| {
        let text = format!(
            r#"Scenario(
    extends: "baseline_2022",
    name: "ban_foundry_extraterritorial",
    parameters: {{{parameters}}},
    events: [
        Event(date: "2023-01", label: "US full ban: advanced foundry to China",
            action: ExportControl(id: "ban_foundry", controller: "US", sector: "foundry_advanced",
                max_capability: -1000.0, destinations: ["CN"], extraterritorial: true)),
    ],
)"#
        );
        let mut s =
            load_str("ban_foundry.ron", &text, &Overrides::default()).expect("the ban world loads");
        s.ticks = 14;
        s
    };
    let samsung_share_and_unmet = |s: &Scenario| {
        let rows = run(s);
        let (cn, k, samsung) = (
            state(s, "CN"),
            sector(s, "foundry_advanced"),
            firm(s, "samsung_foundry"),
        );
        let at_12 = |metric: Metric, firm_index: u16| {
            rows.iter()
                .find(|r| {
                    r.tick == 12
                        && r.metric == metric
                        && r.sector == k
                        && r.market == cn
                        && r.firm == firm_index
                })
                .expect("a row")
                .value
        };
        (
            at_12(Metric::MarketShare, samsung),
            at_12(Metric::UnmetDemand, chokepoint::model::metrics::NONE),
        )
    };
    let (complying_share, complying_unmet) = samsung_share_and_unmet(&world(""));
    assert!(
        complying_share < 0.05,
        "a fully complying ally's firm took {complying_share} of the banned market"
    );
    assert!(complying_unmet > 0.0, "the ban leaves demand unmet");
    let (free_share, _) = samsung_share_and_unmet(&world(
        r#""mechanisms.allied_compliance": false, "alliances.fixed_compliance": 0.0"#,
    ));
    assert!(
        free_share > 0.1 && free_share > 4.0 * complying_share,
        "with allies not complying, Samsung keeps selling: {free_share} vs {complying_share}"
    );
}
