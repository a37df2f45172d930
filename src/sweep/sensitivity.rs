//! Global sensitivity estimators for designs built by `design`: variance-based
//! Sobol' indices from a Saltelli design, with first-order indices by the
//! estimator of Saltelli et al. (2010, "Variance based sensitivity analysis of
//! model output", Comput. Phys. Commun. 181, 259–270, Table 2 (b)), total
//! indices by Jansen (1999, Comput. Phys. Commun. 117, 35–43) and percentile
//! bootstrap confidence intervals over whole base rows (Efron & Tibshirani
//! 1993); and Morris (1991) elementary-effects screening with the mu* measure
//! of Campolongo, Cariboni & Saltelli (2007). All sums run sequentially in a
//! fixed order and all resampling draws come from the caller's `ChaCha8Rng`,
//! so results are reproducible bit for bit.
//!
//! Outputs are centred on the mean of the pooled f(A), f(B) before estimating
//! (as SALib does), so the indices do not depend on the output's level; every
//! index also carries its estimate from the first half of the base rows and
//! [`SobolIndex::notes`] says when an interval is too wide to read or the
//! estimate has not settled between N/2 and N; [`output_note`] says when the
//! output barely varies, so that no chart presents its indices as meaningful.

use crate::stats::{Estimate, percentile_interval};
use crate::sweep::design::{DesignError, MorrisDesign, SaltelliDesign};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// First-order and total Sobol' index of one parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SobolIndex {
    /// First-order index S_i (Saltelli et al. 2010).
    pub first_order: Estimate,
    /// Total-effect index S_Ti (Jansen 1999).
    pub total: Estimate,
    /// S_i from the first N/2 base rows alone (NaN below 4 base rows): the convergence check.
    pub first_order_half: f64,
    /// S_Ti from the first N/2 base rows alone.
    pub total_half: f64,
}

/// Interval width, in index units, below which an interval is never called wide: an index
/// known to ±0.1 is precise enough to rank parameters whatever its size.
pub const WIDE_INTERVAL_FLOOR: f64 = 0.2;
/// Change between N/2 and N, in index units, always tolerated by the convergence check.
pub const CONVERGENCE_FLOOR: f64 = 0.05;

/// Diagnostics of one index: empty when it can be read as it stands.
fn index_notes(name: &str, e: &Estimate, half: f64) -> Vec<String> {
    let mut notes = Vec::new();
    let width = e.high - e.low;
    if width > WIDE_INTERVAL_FLOOR.max(e.estimate.abs()) {
        notes.push(format!(
            "{name}: interval [{:.3}, {:.3}] is wider than the index {:.3}: increase base_samples",
            e.low, e.high, e.estimate
        ));
    }
    // Beyond sampling noise: the N/2 estimate sits outside the interval's half-width.
    let tolerated = CONVERGENCE_FLOOR.max(width / 2.0);
    if half.is_finite() && (half - e.estimate).abs() > tolerated {
        notes.push(format!(
            "{name}: not converged ({half:.3} at N/2, {:.3} at N)",
            e.estimate
        ));
    }
    notes
}

impl SobolIndex {
    /// Diagnostics of S1 and of ST (wide interval, not converged), each empty when fine.
    pub fn notes(&self) -> (Vec<String>, Vec<String>) {
        (
            index_notes("S1", &self.first_order, self.first_order_half),
            index_notes("ST", &self.total, self.total_half),
        )
    }
}

/// Share of the outputs equal to the most common value above which an output counts as
/// near-constant: its indices rest on the few runs that differ.
pub const NEAR_CONSTANT_SHARE: f64 = 0.9;
/// Coefficient of variation below which an output counts as constant up to rounding.
pub const NEAR_CONSTANT_CV: f64 = 1e-9;

/// Why an output's indices should not be read as meaningful, if they should not: it barely
/// varies (sd below [`NEAR_CONSTANT_CV`] of its level, or below 1e-12 in absolute terms) or
/// takes one value in at least [`NEAR_CONSTANT_SHARE`] of the runs. `None` when it varies.
/// The note starts with `near-constant output`, which charts look for.
pub fn output_note(y: &[f64]) -> Option<String> {
    let finite: Vec<f64> = y.iter().copied().filter(|v| v.is_finite()).collect();
    if finite.len() < 2 {
        return None;
    }
    let n = finite.len() as f64;
    let mean = finite.iter().sum::<f64>() / n;
    let sd = (finite.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n).sqrt();
    if sd < 1e-12 || sd < NEAR_CONSTANT_CV * mean.abs() {
        return Some(format!(
            "near-constant output (mean {mean:.6e}, sd {sd:.3e}): indices are not meaningful"
        ));
    }
    let mut sorted = finite.clone();
    sorted.sort_by(f64::total_cmp);
    let (mut best, mut value, mut run) = (0usize, sorted[0], 0usize);
    for (i, v) in sorted.iter().enumerate() {
        run = if i > 0 && *v == sorted[i - 1] {
            run + 1
        } else {
            1
        };
        if run > best {
            best = run;
            value = *v;
        }
    }
    let share = best as f64 / n;
    (share >= NEAR_CONSTANT_SHARE).then(|| {
        format!(
            "near-constant output ({value} in {:.0}% of design points): indices rest on the few that differ and are not meaningful",
            share * 100.0
        )
    })
}

/// Morris screening measures of one parameter, in unit-cube units.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MorrisIndex {
    /// Mean elementary effect.
    pub mu: f64,
    /// Mean absolute elementary effect (Campolongo et al. 2007).
    pub mu_star: f64,
    /// Sample standard deviation (n - 1) of the elementary effects.
    pub sigma: f64,
}

/// Checks that `y` has one finite value per design point.
fn check_outputs(expected: usize, y: &[f64]) -> Result<(), DesignError> {
    if y.len() != expected {
        return Err(DesignError::OutputLengthMismatch {
            expected,
            got: y.len(),
        });
    }
    match y.iter().position(|v| !v.is_finite()) {
        Some(index) => Err(DesignError::NonFiniteOutput {
            index,
            value: y[index],
        }),
        None => Ok(()),
    }
}

/// Point estimates over the base rows listed in `rows` (repeats allowed).
///
/// Writes S_i into `first` and S_Ti into `total` and returns the variance
/// of the pooled A and B outputs (divisor 2m), which the caller must check
/// is positive before trusting the indices. f(B) is centred on the pooled
/// mean in the first-order sum: without it, an output far from zero adds
/// mean × (f(AB) − f(A)) terms whose expectation is zero but whose noise is
/// not, and S_i moves when a constant is added to the output.
fn estimate(y: &[f64], dims: usize, rows: &[usize], first: &mut [f64], total: &mut [f64]) -> f64 {
    let block = dims + 2;
    let m = rows.len() as f64;
    // Two-pass variance of the pooled f(A), f(B).
    let mut sum = 0.0;
    for &j in rows {
        sum += y[j * block] + y[j * block + 1];
    }
    let mean = sum / (2.0 * m);
    let mut squares = 0.0;
    for &j in rows {
        let (da, db) = (y[j * block] - mean, y[j * block + 1] - mean);
        squares += da * da + db * db;
    }
    let variance = squares / (2.0 * m);
    first.fill(0.0);
    total.fill(0.0);
    for &j in rows {
        let f_a = y[j * block];
        let f_b = y[j * block + 1];
        for i in 0..dims {
            let f_ab = y[j * block + 2 + i];
            first[i] += (f_b - mean) * (f_ab - f_a);
            total[i] += (f_a - f_ab) * (f_a - f_ab);
        }
    }
    for i in 0..dims {
        first[i] /= m * variance;
        total[i] /= 2.0 * m * variance;
    }
    variance
}

/// Sobol' first-order (Saltelli 2010) and total (Jansen 1999) indices with percentile-bootstrap intervals.
///
/// `y[k]` is the model output at `design.points[k]` (layout documented on
/// [`crate::sweep::design::saltelli`]). With V the variance (divisor 2N) of the
/// pooled f(A) and f(B) values:
/// S_i = mean_j (f(B_j) − μ) (f(AB_j^i) − f(A_j)) / V, μ the pooled mean, and
/// S_Ti = ½ mean_j (f(A_j) − f(AB_j^i))² / V.
/// Each bootstrap resample draws `n_base` base rows with replacement
/// (`random_range(0..n_base)`, resample by resample) and recomputes
/// everything, V included; the interval is the (1 − confidence)/2 and
/// (1 + confidence)/2 percentiles. A resample whose V is zero is left out;
/// if every one is, the interval collapses to the estimate.
pub fn sobol_indices(
    design: &SaltelliDesign,
    y: &[f64],
    bootstrap_resamples: usize,
    confidence: f64,
    rng: &mut ChaCha8Rng,
) -> Result<Vec<SobolIndex>, DesignError> {
    let (n_base, dims) = (design.n_base, design.dims);
    if dims == 0 {
        return Err(DesignError::ZeroDimensions);
    }
    if n_base < 2 {
        return Err(DesignError::TooFewBaseSamples { n_base });
    }
    let expected = n_base.checked_mul(dims + 2).ok_or_else(|| {
        DesignError::InconsistentDesign("n_base * (dims + 2) overflows".to_string())
    })?;
    if design.points.len() != expected {
        return Err(DesignError::InconsistentDesign(format!(
            "{} points but n_base * (dims + 2) = {expected}",
            design.points.len()
        )));
    }
    check_outputs(expected, y)?;
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(DesignError::InvalidConfidence { confidence });
    }
    if bootstrap_resamples == 0 {
        return Err(DesignError::NoBootstrapResamples);
    }

    let mut first = vec![0.0; dims];
    let mut total = vec![0.0; dims];
    let half_rows: Vec<usize> = (0..n_base / 2).collect();
    let (mut first_half, mut total_half) = (vec![f64::NAN; dims], vec![f64::NAN; dims]);
    if half_rows.len() >= 2
        && estimate(y, dims, &half_rows, &mut first_half, &mut total_half) <= 0.0
    {
        first_half.fill(f64::NAN);
        total_half.fill(f64::NAN);
    }
    let all_rows: Vec<usize> = (0..n_base).collect();
    let variance = estimate(y, dims, &all_rows, &mut first, &mut total);
    if !variance.is_finite() {
        return Err(DesignError::NonFiniteVariance);
    }
    if variance <= 0.0 {
        return Err(DesignError::ZeroVariance);
    }

    let mut boot_first: Vec<Vec<f64>> = vec![Vec::new(); dims];
    let mut boot_total: Vec<Vec<f64>> = vec![Vec::new(); dims];
    let mut rows = vec![0usize; n_base];
    let (mut bf, mut bt) = (vec![0.0; dims], vec![0.0; dims]);
    for _ in 0..bootstrap_resamples {
        for r in rows.iter_mut() {
            *r = rng.random_range(0..n_base);
        }
        let v = estimate(y, dims, &rows, &mut bf, &mut bt);
        if v > 0.0 && v.is_finite() {
            for i in 0..dims {
                boot_first[i].push(bf[i]);
                boot_total[i].push(bt[i]);
            }
        }
    }

    Ok((0..dims)
        .map(|i| SobolIndex {
            first_order: percentile_interval(first[i], &mut boot_first[i], confidence),
            total: percentile_interval(total[i], &mut boot_total[i], confidence),
            first_order_half: first_half[i],
            total_half: total_half[i],
        })
        .collect())
}

/// Morris elementary effects per coordinate: mu, mu* (Campolongo et al. 2007) and sigma (n − 1).
///
/// `y[k]` is the model output at `design.points[k]`. Along each trajectory,
/// the effect of the coordinate that changed between consecutive points is
/// (y_{t+1} − y_t) / (x_{t+1} − x_t), dividing by the signed step actually
/// taken in the unit cube. Every trajectory must change each coordinate
/// exactly once, one coordinate per step, as [`crate::sweep::design::morris`] does.
pub fn morris_indices(design: &MorrisDesign, y: &[f64]) -> Result<Vec<MorrisIndex>, DesignError> {
    let (r, dims) = (design.trajectories, design.dims);
    if dims == 0 {
        return Err(DesignError::ZeroDimensions);
    }
    if r < 2 {
        return Err(DesignError::TooFewTrajectories { trajectories: r });
    }
    let expected = r.checked_mul(dims + 1).ok_or_else(|| {
        DesignError::InconsistentDesign("trajectories * (dims + 1) overflows".to_string())
    })?;
    if design.points.len() != expected {
        return Err(DesignError::InconsistentDesign(format!(
            "{} points but trajectories * (dims + 1) = {expected}",
            design.points.len()
        )));
    }
    if let Some(k) = design.points.iter().position(|p| p.len() != dims) {
        return Err(DesignError::InconsistentDesign(format!(
            "point {k} has {} coordinates, expected {dims}",
            design.points[k].len()
        )));
    }
    check_outputs(expected, y)?;

    // effects[i] = elementary effects of coordinate i, trajectory by trajectory.
    let mut effects: Vec<Vec<f64>> = vec![Vec::new(); dims];
    for t in 0..r {
        let base = t * (dims + 1);
        let mut moved = vec![false; dims];
        for step in 0..dims {
            let (k0, k1) = (base + step, base + step + 1);
            let (p0, p1) = (&design.points[k0], &design.points[k1]);
            let mut changed = (0..dims).filter(|&c| p0[c] != p1[c]);
            let (Some(i), None) = (changed.next(), changed.next()) else {
                return Err(DesignError::InconsistentDesign(format!(
                    "points {k0} and {k1} must differ in exactly one coordinate"
                )));
            };
            if moved[i] {
                return Err(DesignError::InconsistentDesign(format!(
                    "trajectory {t} moves coordinate {i} twice"
                )));
            }
            moved[i] = true;
            let dx = p1[i] - p0[i];
            if !dx.is_finite() {
                return Err(DesignError::InconsistentDesign(format!(
                    "step between points {k0} and {k1} is not finite"
                )));
            }
            effects[i].push((y[k1] - y[k0]) / dx);
        }
    }

    let n = r as f64;
    Ok(effects
        .iter()
        .map(|ee| {
            let mu = ee.iter().sum::<f64>() / n;
            let mu_star = ee.iter().map(|e| e.abs()).sum::<f64>() / n;
            let ss = ee.iter().map(|e| (e - mu) * (e - mu)).sum::<f64>();
            MorrisIndex {
                mu,
                mu_star,
                sigma: (ss / (n - 1.0)).sqrt(),
            }
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep::design::{Distribution, morris, saltelli};
    use rand::SeedableRng;
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
}
