//! Tests of `src/runner/folder.rs`.

use chokepoint::runner::folder::*;
use chokepoint::scenario::Overrides;
use chokepoint::scenario::params::ParamValue;

fn overrides(seed: Option<u64>, ticks: Option<u32>, set: &[(&str, &str)]) -> Overrides {
    Overrides {
        seed,
        ticks,
        parameters: set
            .iter()
            .map(|(p, v)| (p.to_string(), ParamValue::parse_cli(v)))
            .collect(),
    }
}

#[test]
fn a_plain_run_keeps_the_scenario_name_and_variants_get_suffixes() {
    assert_eq!(run_folder_name("base", &Overrides::default()), "base");
    assert_eq!(
        run_folder_name("base", &overrides(Some(7), None, &[])),
        "base-seed7"
    );
    assert_eq!(
        run_folder_name("base", &overrides(None, Some(24), &[])),
        "base-ticks24"
    );
    let with_set = run_folder_name("base", &overrides(Some(7), None, &[("a.b", "0.1")]));
    assert!(with_set.starts_with("base-seed7-set-"), "{with_set}");
    assert_eq!(with_set.len(), "base-seed7-set-".len() + 8);
    assert!(chokepoint::scenario::types::is_folder_name(&with_set));
}

#[test]
fn the_set_suffix_ignores_flag_order_and_spelling_of_numbers_but_not_values() {
    let name = |set: &[(&str, &str)]| run_folder_name("s", &overrides(None, None, set));
    let ab = name(&[("a.x", "0.1"), ("b.y", "true")]);
    assert_eq!(ab, name(&[("b.y", "true"), ("a.x", "0.10")]));
    assert_eq!(ab, name(&[("a.x", "9"), ("b.y", "true"), ("a.x", "0.1")]));
    assert_ne!(ab, name(&[("a.x", "0.2"), ("b.y", "true")]));
}
