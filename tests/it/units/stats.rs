//! Tests of `src/stats.rs`.

use chokepoint::stats::*;

#[test]
fn percentiles_interpolate_like_numpy() {
    // numpy.percentile([1, 2, 3, 4], [0, 5, 50, 95, 100]).
    let sorted = [1.0, 2.0, 3.0, 4.0];
    for (q, want) in [
        (0.0, 1.0),
        (0.05, 1.15),
        (0.5, 2.5),
        (0.95, 3.85),
        (1.0, 4.0),
    ] {
        assert!((percentile(&sorted, q) - want).abs() < 1e-12, "q = {q}");
    }
}

#[test]
fn an_interval_has_a_sign_only_when_it_excludes_zero() {
    let e = |low, high| Estimate {
        estimate: 0.0,
        low,
        high,
    };
    assert_eq!(e(0.1, 0.2).sign(), 1);
    assert_eq!(e(-0.2, -0.1).sign(), -1);
    assert_eq!(e(-0.1, 0.2).sign(), 0);
    assert_eq!(e(0.0, 0.2).sign(), 0);
    assert_eq!(e(f64::NAN, f64::NAN).sign(), 0);
}
