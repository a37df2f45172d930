//! Tests of `src/sweep/spec.rs`.

use chokepoint::scenario::params::ParamValue;
use chokepoint::sweep::spec::*;

const LHS: &str = r#"Sweep(
    name: "t",
    scenario: "export_control_2022",
    design: LatinHypercube(points: 8),
    replicates: 2,
    seed: 1,
    parameters: [Vary(path: "market.home_bias", dist: Uniform(low: 0.5, high: 1.5))],
    keep: Keep(metrics: ["ai_compute"], ticks: [5], states: ["CN"]),
)"#;

#[test]
fn spec_parses_with_optional_fields_defaulted() {
    let spec = parse("t.ron", LHS).unwrap();
    assert_eq!(spec.design, DesignSpec::LatinHypercube { points: 8 });
    assert_eq!(spec.keep.states, Some(vec!["CN".to_string()]));
    assert_eq!(spec.keep.firms, None);
    assert!(!spec.common_random_numbers);
}

#[test]
fn grid_values_accept_numbers_and_booleans() {
    let text = LHS
        .replace("LatinHypercube(points: 8)", "Grid")
        .replace("Uniform(low: 0.5, high: 1.5)", "Values([0.5, 1, true])");
    let spec = parse("t.ron", &text).unwrap();
    assert_eq!(
        spec.parameters[0].dist,
        Dist::Values(vec![
            ParamValue::Number(0.5),
            ParamValue::Number(1.0),
            ParamValue::Bool(true)
        ])
    );
}

#[test]
fn unknown_design_lists_the_valid_ones_with_a_position() {
    let text = LHS.replace("LatinHypercube(points: 8)", "Latin(points: 8)");
    let err = parse("t.ron", &text).unwrap_err().to_string();
    assert!(err.contains("t.ron:4:"), "{err}");
    assert!(
        err.contains("LatinHypercube") && err.contains("Morris"),
        "{err}"
    );
}
