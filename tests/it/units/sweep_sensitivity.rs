//! Tests of `src/sweep/sensitivity.rs`.

use chokepoint::sweep::design::DesignError;
use chokepoint::sweep::design::{Distribution, morris, saltelli};
use chokepoint::sweep::sensitivity::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use std::f64::consts::PI;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

const A: f64 = 7.0;
const B: f64 = 0.1;

fn ishigami(x: &[f64]) -> f64 {
    x[0].sin() + A * x[1].sin().powi(2) + B * x[2].powi(4) * x[0].sin()
}

/// Maps a unit-cube point to [-pi, pi]^3 and evaluates Ishigami.
fn ishigami_unit(u: &[f64]) -> f64 {
    let d = Distribution::Uniform { low: -PI, high: PI };
    let x: Vec<f64> = u.iter().map(|&ui| d.quantile(ui)).collect();
    ishigami(&x)
}

/// Analytic (S1, ST) of the Ishigami function (Ishigami & Homma 1990).
fn ishigami_truth() -> ([f64; 3], [f64; 3]) {
    let pi4 = PI.powi(4);
    let pi8 = PI.powi(8);
    let v = A * A / 8.0 + B * pi4 / 5.0 + B * B * pi8 / 18.0 + 0.5;
    let v1 = 0.5 * (1.0 + B * pi4 / 5.0).powi(2);
    let v2 = A * A / 8.0;
    let v13 = 8.0 * B * B * pi8 / 225.0;
    ([v1 / v, v2 / v, 0.0], [(v1 + v13) / v, v2 / v, v13 / v])
}

#[test]
fn ishigami_analytic_values_are_the_textbook_ones() {
    let (s1, st) = ishigami_truth();
    let want_s1 = [0.3139, 0.4424, 0.0];
    let want_st = [0.5576, 0.4424, 0.2437];
    for i in 0..3 {
        assert!((s1[i] - want_s1[i]).abs() < 1e-4);
        assert!((st[i] - want_st[i]).abs() < 1e-4);
    }
}

#[test]
fn ishigami_sobol_indices_are_within_002_and_intervals_cover_the_truth() {
    let design = saltelli(8192, 3, &mut rng(0)).expect("valid design");
    let y: Vec<f64> = design.points.iter().map(|p| ishigami_unit(p)).collect();
    let idx = sobol_indices(&design, &y, 500, 0.95, &mut rng(2024)).expect("valid input");
    let (s1, st) = ishigami_truth();
    for i in 0..3 {
        let (f, t) = (idx[i].first_order, idx[i].total);
        assert!((f.estimate - s1[i]).abs() < 0.02, "S1[{i}] = {f:?}");
        assert!((t.estimate - st[i]).abs() < 0.02, "ST[{i}] = {t:?}");
        assert!(f.low <= s1[i] && s1[i] <= f.high, "S1[{i}] interval {f:?}");
        assert!(t.low <= st[i] && st[i] <= t.high, "ST[{i}] interval {t:?}");
    }
}

#[test]
fn linear_model_indices_equal_squared_coefficient_shares_and_dummy_is_zero() {
    // y = sum c_i x_i, x_i uniform on ranges of width w_i: S_i = ST_i = (c_i w_i)^2 / sum.
    let c = [1.0, -2.0, 0.5, 0.0];
    let ranges = [(0.0, 1.0), (-1.0, 1.0), (10.0, 14.0), (0.0, 5.0)];
    let dists: Vec<Distribution> = ranges
        .iter()
        .map(|&(low, high)| Distribution::Uniform { low, high })
        .collect();
    let design = saltelli(4096, 4, &mut rng(0)).expect("valid design");
    let y: Vec<f64> = design
        .points
        .iter()
        .map(|p| (0..4).map(|i| c[i] * dists[i].quantile(p[i])).sum())
        .collect();
    let idx = sobol_indices(&design, &y, 100, 0.95, &mut rng(5)).expect("valid input");
    let parts: Vec<f64> = (0..4)
        .map(|i| (c[i] * (ranges[i].1 - ranges[i].0)).powi(2))
        .collect();
    let sum: f64 = parts.iter().sum();
    for i in 0..4 {
        let truth = parts[i] / sum;
        assert!(
            (idx[i].first_order.estimate - truth).abs() < 0.01,
            "S1[{i}] {:?}",
            idx[i]
        );
        assert!(
            (idx[i].total.estimate - truth).abs() < 0.01,
            "ST[{i}] {:?}",
            idx[i]
        );
    }
    // The dummy input changes nothing, so its effect sums are exactly zero.
    assert_eq!(idx[3].first_order.estimate, 0.0);
    assert_eq!(idx[3].total.estimate, 0.0);
}

/// SALib centres outputs; an uncentred first-order estimator moves with the output's level
/// (S1(x1) of Ishigami at N = 64 went from 0.45 to 0.65 when 20 was added).
#[test]
fn indices_and_intervals_do_not_change_when_the_output_is_shifted_or_scaled() {
    let design = saltelli(64, 3, &mut rng(6)).expect("valid design");
    let y: Vec<f64> = design.points.iter().map(|p| ishigami_unit(p)).collect();
    let reference = sobol_indices(&design, &y, 200, 0.95, &mut rng(7)).expect("valid input");
    for (what, transformed) in [
        ("y + 20", y.iter().map(|v| v + 20.0).collect::<Vec<f64>>()),
        ("y + 1e4", y.iter().map(|v| v + 1e4).collect()),
        ("y · 1000", y.iter().map(|v| v * 1000.0).collect()),
        ("y · −0.001", y.iter().map(|v| v * -0.001).collect()),
    ] {
        let got =
            sobol_indices(&design, &transformed, 200, 0.95, &mut rng(7)).expect("valid input");
        for (a, b) in reference.iter().zip(&got) {
            for (x, z) in [(a.first_order, b.first_order), (a.total, b.total)] {
                for (u, v) in [(x.estimate, z.estimate), (x.low, z.low), (x.high, z.high)] {
                    assert!((u - v).abs() < 1e-9, "{what}: {a:?} vs {b:?}");
                }
            }
        }
    }
}

#[test]
fn a_large_sample_needs_no_notes_and_a_tiny_one_is_flagged() {
    let big = saltelli(4096, 3, &mut rng(1)).expect("valid design");
    let y: Vec<f64> = big.points.iter().map(|p| ishigami_unit(p)).collect();
    for (i, s) in sobol_indices(&big, &y, 200, 0.95, &mut rng(2))
        .expect("valid input")
        .iter()
        .enumerate()
    {
        assert_eq!(s.notes(), (vec![], vec![]), "x{}: {s:?}", i + 1);
        assert!((s.first_order_half - s.first_order.estimate).abs() < 0.05);
    }
    let small = saltelli(8, 3, &mut rng(1)).expect("valid design");
    let y: Vec<f64> = small.points.iter().map(|p| ishigami_unit(p)).collect();
    let notes: Vec<String> = sobol_indices(&small, &y, 200, 0.95, &mut rng(2))
        .expect("valid input")
        .iter()
        .flat_map(|s| {
            let (a, b) = s.notes();
            a.into_iter().chain(b)
        })
        .collect();
    assert!(
        notes.iter().any(|n| n.contains("wider than the index")),
        "{notes:?}"
    );
}

#[test]
fn an_output_that_barely_varies_is_called_near_constant() {
    let mut spikes = vec![0.0; 100];
    spikes[7] = 3e-7;
    spikes[40] = 1e-6;
    assert!(
        output_note(&spikes)
            .unwrap()
            .starts_with("near-constant output (0 in 98%")
    );
    let level: Vec<f64> = (0..100).map(|k| 5e6 + f64::from(k % 3) * 1e-6).collect();
    assert!(
        output_note(&level)
            .unwrap()
            .starts_with("near-constant output")
    );
    let design = saltelli(64, 3, &mut rng(1)).expect("valid design");
    let y: Vec<f64> = design.points.iter().map(|p| ishigami_unit(p)).collect();
    assert_eq!(output_note(&y), None);
}

#[test]
fn bootstrap_intervals_are_bit_identical_for_the_same_seed() {
    let design = saltelli(256, 3, &mut rng(0)).expect("valid design");
    let y: Vec<f64> = design.points.iter().map(|p| ishigami_unit(p)).collect();
    let a = sobol_indices(&design, &y, 50, 0.9, &mut rng(11)).expect("valid input");
    let b = sobol_indices(&design, &y, 50, 0.9, &mut rng(11)).expect("valid input");
    let c = sobol_indices(&design, &y, 50, 0.9, &mut rng(12)).expect("valid input");
    let bits = |v: &[SobolIndex]| -> Vec<u64> {
        v.iter()
            .flat_map(|s| [s.first_order, s.total])
            .flat_map(|i| [i.estimate, i.low, i.high])
            .map(f64::to_bits)
            .collect()
    };
    assert_eq!(bits(&a), bits(&b));
    assert_ne!(bits(&a), bits(&c));
    for s in &a {
        for i in [s.first_order, s.total] {
            assert!(i.low <= i.high);
        }
    }
}

#[test]
fn sobol_indices_report_each_input_error() {
    let design = saltelli(8, 2, &mut rng(0)).expect("valid design");
    let n = design.points.len();
    let good: Vec<f64> = (0..n).map(|k| k as f64).collect();
    let mut r = rng(0);
    assert_eq!(
        sobol_indices(&design, &good[1..], 10, 0.95, &mut r),
        Err(DesignError::OutputLengthMismatch {
            expected: n,
            got: n - 1
        })
    );
    let mut bad = good.clone();
    bad[5] = f64::NAN;
    let err = sobol_indices(&design, &bad, 10, 0.95, &mut r).expect_err("NaN output");
    assert!(matches!(err, DesignError::NonFiniteOutput { index: 5, .. }));
    assert!(err.to_string().contains("index 5"));
    bad[5] = f64::INFINITY;
    assert!(matches!(
        sobol_indices(&design, &bad, 10, 0.95, &mut r),
        Err(DesignError::NonFiniteOutput { index: 5, .. })
    ));
    let flat = vec![3.0; n];
    let err = sobol_indices(&design, &flat, 10, 0.95, &mut r).expect_err("constant output");
    assert_eq!(err, DesignError::ZeroVariance);
    assert!(err.to_string().contains("did not vary"));
    for c in [0.0, 1.0, -0.5, f64::NAN] {
        assert!(matches!(
            sobol_indices(&design, &good, 10, c, &mut r),
            Err(DesignError::InvalidConfidence { .. })
        ));
    }
    assert_eq!(
        sobol_indices(&design, &good, 0, 0.95, &mut r),
        Err(DesignError::NoBootstrapResamples)
    );
    let huge = [1e300, -1e300].repeat(n / 2);
    assert_eq!(
        sobol_indices(&design, &huge, 10, 0.95, &mut r),
        Err(DesignError::NonFiniteVariance)
    );
    let mut broken = design.clone();
    broken.points.pop();
    assert!(matches!(
        sobol_indices(&broken, &good, 10, 0.95, &mut r),
        Err(DesignError::InconsistentDesign(_))
    ));
    broken.n_base = usize::MAX;
    assert!(matches!(
        sobol_indices(&broken, &good, 10, 0.95, &mut r),
        Err(DesignError::InconsistentDesign(_))
    ));
}

#[test]
fn morris_mu_star_equals_absolute_coefficients_on_a_linear_model() {
    let c = [1.0, -2.0, 3.0, 0.5, 0.0];
    let design = morris(20, 5, 4, &mut rng(3)).expect("valid design");
    let y: Vec<f64> = design
        .points
        .iter()
        .map(|p| p.iter().zip(&c).map(|(x, ci)| x * ci).sum())
        .collect();
    let idx = morris_indices(&design, &y).expect("valid input");
    for (i, m) in idx.iter().enumerate() {
        assert!((m.mu_star - c[i].abs()).abs() < 1e-9, "{i}: {m:?}");
        assert!((m.mu - c[i]).abs() < 1e-9, "{i}: {m:?}");
        assert!(m.sigma < 1e-9, "{i}: {m:?}");
    }
}

#[test]
fn morris_on_ishigami_shows_interaction_of_x3_through_sigma() {
    let design = morris(50, 3, 6, &mut rng(8)).expect("valid design");
    let y: Vec<f64> = design.points.iter().map(|p| ishigami_unit(p)).collect();
    let idx = morris_indices(&design, &y).expect("valid input");
    // x3 has no main effect but interacts with x1: its effects vary in sign and size.
    assert!(idx[2].sigma > 0.1, "{:?}", idx[2]);
    assert!(idx[2].mu_star > 0.1, "{:?}", idx[2]);
    assert!(idx.iter().all(|m| m.mu_star >= m.mu.abs()));
}

#[test]
fn morris_indices_report_each_input_error() {
    let design = morris(3, 2, 4, &mut rng(1)).expect("valid design");
    let n = design.points.len();
    let good = vec![1.0; n];
    assert_eq!(
        morris_indices(&design, &good[..n - 1]),
        Err(DesignError::OutputLengthMismatch {
            expected: n,
            got: n - 1
        })
    );
    let mut bad = good.clone();
    bad[4] = f64::NEG_INFINITY;
    assert!(matches!(
        morris_indices(&design, &bad),
        Err(DesignError::NonFiniteOutput { index: 4, .. })
    ));
    // A flat output is fine for Morris: all effects are zero.
    let flat = morris_indices(&design, &good).expect("flat output is valid");
    assert!(
        flat.iter()
            .all(|m| m.mu == 0.0 && m.mu_star == 0.0 && m.sigma == 0.0)
    );

    let mut tampered = design.clone();
    tampered.points[1] = tampered.points[0].clone();
    assert!(matches!(
        morris_indices(&tampered, &good),
        Err(DesignError::InconsistentDesign(_))
    ));
    let mut short = design.clone();
    short.points[2].pop();
    assert!(matches!(
        morris_indices(&short, &good),
        Err(DesignError::InconsistentDesign(_))
    ));
    let mut one = design.clone();
    one.trajectories = 1;
    assert_eq!(
        morris_indices(&one, &good),
        Err(DesignError::TooFewTrajectories { trajectories: 1 })
    );
}

#[test]
fn morris_indices_are_bit_identical_for_the_same_seed() {
    let run = |seed| {
        let d = morris(10, 3, 4, &mut rng(seed)).expect("valid design");
        let y: Vec<f64> = d.points.iter().map(|p| ishigami_unit(p)).collect();
        morris_indices(&d, &y)
            .expect("valid input")
            .iter()
            .flat_map(|m| [m.mu, m.mu_star, m.sigma])
            .map(f64::to_bits)
            .collect::<Vec<u64>>()
    };
    assert_eq!(run(4), run(4));
    assert_ne!(run(4), run(5));
}
