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
