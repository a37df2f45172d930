//! Tests of `src/scenario/ranges.rs`.

use chokepoint::scenario::params::Parameters;
use chokepoint::scenario::ranges::*;

#[test]
fn every_range_names_a_parameter_and_holds_its_default() {
    let paths = Parameters::paths();
    let defaults = Parameters::default();
    for range in RANGES {
        assert!(
            paths.iter().any(|p| p == range.path),
            "{} is not a parameter",
            range.path
        );
        let value = defaults.get_number(range.path).expect("numeric");
        assert_eq!(
            check_value(range, value),
            Ok(None),
            "default of {}",
            range.path
        );
    }
}

#[test]
fn every_numeric_parameter_has_a_documented_range() {
    let missing: Vec<String> = Parameters::default()
        .to_flat()
        .into_iter()
        .filter(|(_, v)| v.is_number())
        .map(|(path, _)| path)
        .filter(|path| range_of(path).is_none())
        .collect();
    assert!(missing.is_empty(), "add these to RANGES: {missing:?}");
}

#[test]
fn d4_a_probability_above_one_is_refused_and_an_extreme_rate_warned() {
    let p = range_of("learning.breakthrough_probability_per_year").unwrap();
    assert!(check_value(p, 1.5).is_err());
    let c = range_of("learning.catch_up_rate_per_year").unwrap();
    assert!(check_value(c, 50.0).unwrap().is_some());
    assert!(check_value(c, f64::NAN).is_err());
}
