//! Tests of `src/sweep/stats.rs`.

use chokepoint::sweep::stats::*;

#[test]
fn percentiles_interpolate_like_numpy() {
    let s = summarize(&[4.0, 1.0, 3.0, 2.0, f64::NAN]).unwrap();
    assert_eq!(s.n, 4);
    assert_eq!(s.mean, 2.5);
    assert!((s.sd - 1.290_994_448_735_805_6).abs() < 1e-15);
    // numpy.percentile([1, 2, 3, 4], [5, 25, 50, 75, 95]), R quantile type 7.
    let want = [1.15, 1.75, 2.5, 3.25, 3.85];
    for (got, want) in s.percentiles.iter().zip(want) {
        assert!((got - want).abs() < 1e-12, "{got} vs {want}");
    }
}

#[test]
fn a_single_value_has_no_sd_and_no_values_no_summary() {
    let s = summarize(&[7.0]).unwrap();
    assert!(s.sd.is_nan());
    assert_eq!(s.percentiles, [7.0; 5]);
    assert_eq!(summarize(&[f64::NAN]), None);
}
