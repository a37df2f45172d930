//! The tests that keep the "diminishing marginal effect" analysis honest: equal rounds with the
//! adaptation mechanisms off must not come out diminishing on the default world, and a mechanism
//! known analytically to produce diminishing returns must be found — and disappear when ablated.

use std::fs;
use std::path::Path;

use crate::support::SMALL_WORLD;
use chokepoint::effect::stats::Verdict;
use chokepoint::runner::effect::{EffectRequest, EffectSummary, execute};

fn request(out: &Path) -> EffectRequest {
    EffectRequest {
        out: Some(out.to_path_buf()),
        force: false,
        threads: Some(2),
        command_line: vec![],
        plots: None,
        progress: false,
        replicates: None,
    }
}

fn verdict(summary: &EffectSummary, ablation: &str, outcome: &str) -> Verdict {
    summary
        .verdicts
        .iter()
        .find(|(a, o, _)| a == ablation && o == outcome)
        .map(|(_, _, v)| *v)
        .expect("analysed")
}

fn run_spec(spec: &str, files: &[(&str, &str)]) -> (tempfile::TempDir, EffectSummary) {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        fs::write(dir.path().join(name), text).unwrap();
    }
    fs::write(dir.path().join("spec.ron"), spec).unwrap();
    let summary = execute(
        &dir.path().join("spec.ron"),
        &request(&dir.path().join("out")),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    (dir, summary)
}

/// Five equal tightening steps: each licenses 20 points less of the controlled flow, so each
/// blocks an equal slice of the baseline flow and the dose itself has no curvature.
#[test]
fn equal_rounds_without_adaptation_are_not_diminishing_on_the_default_world() {
    let spec = r#"Effect(
        name: "equal_rounds",
        scenario: "export_control_2022",
        parameters: {"mechanisms.substitution": false, "mechanisms.catch_up": false, "mechanisms.leakage": false,
                     "mechanisms.backfill": false, "mechanisms.stockpiling": false, "mechanisms.compliant_redesign": false,
                     "mechanisms.price_responsive_demand": false},
        dose: Levels(path: "control.us_ai_chips.licence_approval_rate", values: [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]),
        outcomes: [Outcome(label: "cn_ai_compute", metric: "ai_compute", state: "CN", date: "2025-12")],
        replicates: 12,
        seed: 5,
        bootstrap_resamples: 400,
        ablations: [],
    )"#;
    let (_dir, summary) = run_spec(spec, &[]);
    let v = verdict(&summary, "none", "cn_ai_compute");
    assert_ne!(
        v,
        Verdict::Diminishing,
        "with the adaptation mechanisms off, equal rounds must not look diminishing"
    );
}

/// Leakage whose rate rises with the shortage a control causes: each further slice blocked leaks a
/// larger share, so the target's loss of compute is concave in the dose — diminishing by
/// construction. Everything else that could bend the response is off, so without leakage the
/// response is exactly linear.
#[test]
fn a_mechanism_known_to_diminish_is_found_and_its_ablation_removes_it() {
    let world = SMALL_WORLD.replace(
        "events: [],",
        r#"events: [Event(date: "2022-08", action: ExportControl(id: "ai", controller: "US", sector: "ai_accelerator", max_capability: -0.25, destinations: ["CN"]))],"#,
    );
    let spec = r#"Effect(
        name: "leaky",
        scenario: "world.ron",
        parameters: {
            "leakage.max_share": 1.0, "leakage.premium": 0.05, "leakage.premium_half_saturation": 0.05,
            "leakage.base_enforcement": 0.0, "leakage.network_build_months": 0.01,
            "mechanisms.substitution": false, "mechanisms.backfill": false, "mechanisms.stockpiling": false,
            "mechanisms.compliant_redesign": false, "mechanisms.target_commitment": false, "mechanisms.catch_up": false,
            "mechanisms.rd_drift": false, "mechanisms.learning_by_doing": false, "mechanisms.innovation_noise": false,
            "mechanisms.capacity_limits": false, "mechanisms.input_limits": false, "mechanisms.tool_yield_limits": false,
            "mechanisms.price_responsive_demand": false,
        },
        dose: Levels(path: "control.ai.licence_approval_rate", values: [1.0, 0.8, 0.6, 0.4, 0.2, 0.0]),
        outcomes: [Outcome(label: "cn_ai_compute", metric: "ai_compute", state: "CN", date: "2024-06")],
        replicates: 4,
        seed: 1,
        bootstrap_resamples: 200,
        tolerance: 0.01,
        ablations: ["leakage"],
    )"#;
    let (_dir, summary) = run_spec(spec, &[("world.ron", &world)]);
    assert_eq!(
        verdict(&summary, "none", "cn_ai_compute"),
        Verdict::Diminishing
    );
    assert_eq!(
        verdict(&summary, "leakage", "cn_ai_compute"),
        Verdict::Constant
    );
}

/// Without a list, every `mechanisms.*` switch is ablated (read from the parameters, so a switch
/// added later joins by itself), then all of them together; the summary says the verdict in words
/// and marks each ablation whose verdict differs from the full model's.
#[test]
fn the_default_ablations_are_every_mechanism_switch_and_all_off() {
    let world = SMALL_WORLD.replace(
        "events: [],",
        r#"events: [Event(date: "2022-08", action: ExportControl(id: "ai", controller: "US", sector: "ai_accelerator", max_capability: -0.25, destinations: ["CN"]))],"#,
    );
    let spec = r#"Effect(
        name: "every_switch",
        scenario: "world.ron",
        parameters: {"mechanisms.leakage": false},
        dose: Levels(path: "control.ai.licence_approval_rate", values: [1.0, 0.5, 0.0]),
        outcomes: [Outcome(label: "cn_ai_compute", metric: "ai_compute", state: "CN", date: "2023-06")],
        replicates: 2,
        seed: 3,
        bootstrap_resamples: 100,
    )"#;
    let (dir, summary) = run_spec(spec, &[("world.ron", &world)]);
    // Every switch that is on by default (some, like extraterritorial escalation, are off).
    let defaults = chokepoint::scenario::params::Parameters::default().to_flat();
    let switches: Vec<String> = defaults
        .iter()
        .filter(|(_, v)| v.as_bool() == Some(true))
        .filter_map(|(p, _)| p.strip_prefix("mechanisms.").map(str::to_string))
        .filter(|m| m != "leakage")
        .collect();
    assert!(switches.len() >= 10, "{switches:?}");
    let mut expected = vec!["none".to_string()];
    expected.extend(switches.iter().cloned());
    expected.push("all_off".into());
    let ablations: Vec<String> = summary.verdicts.iter().map(|(a, _, _)| a.clone()).collect();
    assert_eq!(
        ablations, expected,
        "every switch that is on, one at a time, then all off; leakage is already off in the spec"
    );
    let text = fs::read_to_string(dir.path().join("out/summary.md")).unwrap();
    assert!(text.contains("vs full model"), "{text}");
    assert!(
        text.contains("The test: each step's marginal effect"),
        "{text}"
    );
    let verdicts: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.path().join("out/verdict.json")).unwrap())
            .unwrap();
    let first = &verdicts["verdicts"][0];
    assert!(first["statement"].as_str().unwrap().len() > 20, "{first}");
    assert_eq!(first["step_directions"].as_array().unwrap().len(), 2);
}

#[test]
fn outputs_are_written_in_the_documented_form_and_repeat_exactly() {
    let spec = r#"Effect(
        name: "rounds",
        scenario: "baseline_2022",
        dose: Rounds(events: [
            Event(date: "2022-10", label: "round 1", action: ExportControl(id: "r1", controller: "US", sector: "ai_accelerator", max_capability: 0.0, destinations: ["CN"])),
            Event(date: "2023-10", label: "round 2", action: ExportControl(id: "r2", controller: "US", sector: "ai_accelerator", max_capability: -0.5, destinations: ["CN"])),
        ]),
        outcomes: [
            Outcome(label: "cn_compute", metric: "ai_compute", state: "CN", date: "2024-06"),
            Outcome(label: "us_share", metric: "state_market_share", state: "US", sector: "ai_accelerator", market: "world", date: "2024-06"),
        ],
        replicates: 3,
        seed: 9,
        bootstrap_resamples: 100,
        ablations: ["leakage", "substitution"],
    )"#;
    let (dir, first) = run_spec(spec, &[]);
    let out = dir.path().join("out");
    let effects = fs::read_to_string(out.join("effects.csv")).unwrap();
    assert_eq!(
        effects.lines().next(),
        Some("ablation,outcome,dose,dose_label,quantity,estimate,ci_low,ci_high,n")
    );
    assert!(effects.contains("all_listed,cn_compute,2,round 2,second_difference,"));
    let verdicts: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("verdict.json")).unwrap()).unwrap();
    assert_eq!(
        verdicts["verdicts"].as_array().unwrap().len(),
        2 * 4,
        "two outcomes × (none, two ablations, all listed)"
    );
    assert!(
        verdicts["verdicts"][0]["test"]
            .as_str()
            .unwrap()
            .contains("bootstrap")
    );
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(out.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["kind"], "effect");
    assert!(
        fs::read_to_string(out.join("summary.md"))
            .unwrap()
            .contains("Verdict")
    );
    assert_eq!(first.runs, 4 * 3 * 3);
    // Same spec, one thread: identical bytes.
    let again = dir.path().join("again");
    let mut one_thread = request(&again);
    one_thread.threads = Some(1);
    execute(&dir.path().join("spec.ron"), &one_thread).unwrap();
    for file in [
        "effects.csv",
        "replicates.csv",
        "verdict.json",
        "summary.md",
    ] {
        assert_eq!(
            fs::read(out.join(file)).unwrap(),
            fs::read(again.join(file)).unwrap(),
            "{file} identical on 1 and 2 threads"
        );
    }
}

#[test]
fn a_bad_spec_is_refused_with_its_position_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            r#"Effect(name: "x", scenario: "baseline_2022", dose: Levels(path: "learning.catch_up_rate_per_yer", values: [0.0, 0.1]), outcomes: [Outcome(label: "a", metric: "ai_compute", state: "CN", date: "2024-06")], replicates: 3, seed: 1)"#,
            "did you mean `learning.catch_up_rate_per_year`",
        ),
        (
            r#"Effect(name: "x", scenario: "baseline_2022", dose: Levels(path: "learning.catch_up_rate_per_year", values: [0.0, 0.1]), outcomes: [Outcome(label: "a", metric: "ai_compute", state: "XX", date: "2024-06")], replicates: 3, seed: 1)"#,
            "unknown state `XX`",
        ),
        (
            r#"Effect(name: "x", scenario: "baseline_2022", dose: Levels(path: "learning.catch_up_rate_per_year", values: [0.0, 0.1]), outcomes: [Outcome(label: "a", metric: "compute", state: "CN", date: "2024-06")], replicates: 3, seed: 1)"#,
            "unknown metric `compute`",
        ),
        (
            r#"Effect(name: "x", scenario: "baseline_2022", dose: Levels(path: "learning.catch_up_rate_per_year", values: [0.0]), outcomes: [Outcome(label: "a", metric: "ai_compute", state: "CN", date: "2024-06")], replicates: 3, seed: 1)"#,
            "an effect needs dose 0 and at least one more",
        ),
        (
            r#"Effect(name: "x", scenario: "baseline_2022", dose: Levels(path: "learning.catch_up_rate_per_year", values: [0.0, 0.1]), outcomes: [Outcome(label: "a", metric: "ai_compute", state: "CN", date: "2024-06")], replicates: 3, seed: 1, ablations: ["leaks"])"#,
            "unknown mechanism `leaks`",
        ),
        (
            r#"Effect(name: "x", scenario: "baseline_2022", dose: Levels(path: "learning.catch_up_rate_per_year", values: [0.0, 0.1]), outcomes: [Outcome(label: "a", metric: "ai_compute", sector: "memory", date: "2024-06")], replicates: 3, seed: 1)"#,
            "selects no value",
        ),
        (
            r#"Effect(name: "x", scenario: "baseline_2022", dose: Levels(path: "learning.catch_up_rate_per_year", values: [0.0, 0.1]), outcomes: [Outcome(label: "a", metric: "ai_compute", state: "CN", date: "2040-06")], replicates: 3, seed: 1)"#,
            "outside the base scenario's run",
        ),
        (
            r#"Effect(name: "x", scenario: "baseline_2022", dose: Levels(path: "control.nothing.max_capability", values: [0.0, 0.1]), outcomes: [Outcome(label: "a", metric: "ai_compute", state: "CN", date: "2024-06")], replicates: 3, seed: 1)"#,
            "no export controls",
        ),
    ];
    for (i, (spec, expected)) in cases.iter().enumerate() {
        let path = dir.path().join(format!("bad{i}.ron"));
        fs::write(&path, spec).unwrap();
        let out = dir.path().join(format!("out{i}"));
        let err = execute(&path, &request(&out))
            .err()
            .unwrap_or_else(|| panic!("case {i} should fail"));
        let text = err.to_string();
        assert!(
            text.contains(expected),
            "case {i}: expected {expected:?} in:\n{text}"
        );
        assert!(
            text.contains(&format!("bad{i}.ron:1:")),
            "case {i} names the file and position:\n{text}"
        );
        assert!(!out.exists(), "case {i} wrote nothing");
    }
}

#[test]
fn every_example_spec_runs() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let mut specs: Vec<_> = fs::read_dir(root.join("scenarios/effects"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    specs.push(root.join("benches/effect_five_doses.ron"));
    for spec in specs {
        let mut quick = request(&out.path().join(spec.file_stem().unwrap()));
        quick.replicates = Some(2);
        let summary = execute(&spec, &quick).unwrap_or_else(|e| panic!("{}: {e}", spec.display()));
        assert!(!summary.verdicts.is_empty(), "{} analysed", spec.display());
    }
}
