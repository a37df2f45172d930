//! Paired dose–response statistics over replicates: effects against dose 0, marginal effects and
//! second differences with percentile-bootstrap intervals, and the verdict on the curvature of the
//! marginal effect (docs/EFFECTS.md). Replicates share their random numbers across doses (common
//! random numbers), so every statistic is a mean of within-replicate differences.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// An estimate with its bootstrap interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// Mean over replicates.
    pub estimate: f64,
    /// Lower end of the percentile-bootstrap interval.
    pub low: f64,
    /// Upper end.
    pub high: f64,
}

/// The verdict on whether successive doses have a diminishing marginal effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Each step moves the outcome less than the one before (the slope of the marginal effect,
    /// signed in the direction of the total effect, is below zero).
    Diminishing,
    /// The marginal effect does not change beyond the tolerance.
    Constant,
    /// Each step moves the outcome more than the one before.
    Increasing,
    /// The interval does not settle it at the stated confidence (or there are too few doses).
    Inconclusive,
}

/// How the verdict was reached, for `verdict.json`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct CurvatureTest {
    /// The verdict.
    pub verdict: Verdict,
    /// Mean over replicates of the OLS slope of the signed marginal effect against dose.
    pub slope: f64,
    /// Bootstrap interval of that mean.
    pub interval: [f64; 2],
    /// Equivalence band: ± tolerance × mean |marginal effect|.
    pub equivalence_band: [f64; 2],
    /// Mean signed marginal effect (the scale the band is relative to).
    pub mean_marginal: f64,
    /// Replicates.
    pub n: usize,
    /// The test, written out.
    pub test: String,
}

/// Per-dose statistics of one outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct DoseResponse {
    /// Mean outcome at each dose.
    pub level: Vec<Estimate>,
    /// Effect of each dose against dose 0 (index 0 is zero).
    pub effect: Vec<Estimate>,
    /// Marginal effect of each step, effect_k − effect_{k−1} (index 0 unused: `None`).
    pub marginal: Vec<Option<Estimate>>,
    /// Second difference, marginal_k − marginal_{k−1} (indices 0 and 1 unused).
    pub second_difference: Vec<Option<Estimate>>,
    /// The curvature verdict.
    pub curvature: CurvatureTest,
}

/// Mean of `f` applied to each replicate's dose vector, over the replicates listed in `sample`.
fn mean_over(y: &[Vec<f64>], sample: &[usize], f: impl Fn(&[f64]) -> f64) -> f64 {
    sample.iter().map(|&r| f(&y[r])).sum::<f64>() / sample.len() as f64
}

/// The `q` quantile (0–1) of sorted values, linearly interpolated.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

/// The OLS slope of `m_1 … m_K` against `1 … K`.
fn slope(m: &[f64]) -> f64 {
    let k = m.len() as f64;
    let mean_x = (k + 1.0) / 2.0;
    let mean_y = m.iter().sum::<f64>() / k;
    let (mut sxy, mut sxx) = (0.0, 0.0);
    for (i, y) in m.iter().enumerate() {
        let dx = (i + 1) as f64 - mean_x;
        sxy += dx * (y - mean_y);
        sxx += dx * dx;
    }
    sxy / sxx
}

/// Analyses `y[replicate][dose]` (at least 2 replicates and 2 doses, all finite).
///
/// Intervals: percentile bootstrap over replicates with `resamples` draws at `confidence`.
/// Verdict: with signed marginal effects `m_k = sign(effect_K)·(y_k − y_{k−1})`, the statistic is
/// the mean over replicates of the OLS slope of `m_k` on `k`; "constant" if its interval lies inside
/// ± `tolerance` × mean |m|, else "diminishing" if the interval is below 0, "increasing" if above,
/// otherwise "inconclusive". Fewer than three doses give "inconclusive".
pub fn analyse(
    y: &[Vec<f64>],
    resamples: usize,
    confidence: f64,
    tolerance: f64,
    rng: &mut ChaCha8Rng,
) -> DoseResponse {
    let n = y.len();
    let doses = y[0].len();
    let all: Vec<usize> = (0..n).collect();
    let draws: Vec<Vec<usize>> = (0..resamples)
        .map(|_| (0..n).map(|_| rng.random_range(0..n)).collect())
        .collect();
    let alpha = (1.0 - confidence) / 2.0;
    let estimate = |f: &dyn Fn(&[f64]) -> f64| {
        let point = mean_over(y, &all, f);
        let mut boot: Vec<f64> = draws.iter().map(|s| mean_over(y, s, f)).collect();
        boot.sort_by(f64::total_cmp);
        Estimate {
            estimate: point,
            low: quantile(&boot, alpha),
            high: quantile(&boot, 1.0 - alpha),
        }
    };
    let level = (0..doses).map(|k| estimate(&|v: &[f64]| v[k])).collect();
    let effect = (0..doses)
        .map(|k| estimate(&|v: &[f64]| v[k] - v[0]))
        .collect();
    let marginal = (0..doses)
        .map(|k| (k >= 1).then(|| estimate(&|v: &[f64]| v[k] - v[k - 1])))
        .collect();
    let second_difference = (0..doses)
        .map(|k| (k >= 2).then(|| estimate(&|v: &[f64]| v[k] - 2.0 * v[k - 1] + v[k - 2])))
        .collect();

    let total = mean_over(y, &all, |v| v[doses - 1] - v[0]);
    let sign = if total < 0.0 { -1.0 } else { 1.0 };
    let signed =
        |v: &[f64]| -> Vec<f64> { (1..v.len()).map(|k| sign * (v[k] - v[k - 1])).collect() };
    let mean_marginal = mean_over(y, &all, |v| {
        signed(v).iter().sum::<f64>() / (doses - 1) as f64
    });
    let scale = mean_over(y, &all, |v| {
        signed(v).iter().map(|m| m.abs()).sum::<f64>() / (doses - 1) as f64
    });
    let band = tolerance * scale;
    let test = format!(
        "percentile bootstrap ({resamples} resamples, {:.0}% interval) of the mean over {n} replicates of the OLS slope of the \
         marginal effect m_k = sign(total effect)·(y_k − y_(k−1)) against dose k = 1..{}; common random numbers across doses. \
         'constant' if the interval lies within ±{tolerance} × mean|m_k| = ±{band:.4}; else 'diminishing' if it lies below 0, \
         'increasing' if above 0, 'inconclusive' otherwise",
        confidence * 100.0,
        doses - 1
    );
    let curvature = if doses < 3 {
        CurvatureTest {
            verdict: Verdict::Inconclusive,
            slope: f64::NAN,
            interval: [f64::NAN, f64::NAN],
            equivalence_band: [-band, band],
            mean_marginal,
            n,
            test: format!("{test} (not applied: a curvature needs at least three doses)"),
        }
    } else {
        let s = estimate(&|v: &[f64]| slope(&signed(v)));
        let verdict = if s.low >= -band && s.high <= band {
            Verdict::Constant
        } else if s.high < 0.0 {
            Verdict::Diminishing
        } else if s.low > 0.0 {
            Verdict::Increasing
        } else {
            Verdict::Inconclusive
        };
        CurvatureTest {
            verdict,
            slope: s.estimate,
            interval: [s.low, s.high],
            equivalence_band: [-band, band],
            mean_marginal,
            n,
            test,
        }
    };
    DoseResponse {
        level,
        effect,
        marginal,
        second_difference,
        curvature,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn replicates(f: impl Fn(usize, f64) -> f64) -> Vec<Vec<f64>> {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        (0..60)
            .map(|_| {
                let noise: f64 = rng.random::<f64>() - 0.5;
                (0..6).map(|k| f(k, noise)).collect()
            })
            .collect()
    }

    fn verdict(y: &[Vec<f64>]) -> Verdict {
        analyse(y, 500, 0.95, 0.05, &mut ChaCha8Rng::seed_from_u64(2))
            .curvature
            .verdict
    }

    #[test]
    fn a_linear_response_is_constant_even_with_replicate_noise() {
        // Noise common to a replicate's doses cancels in paired differences.
        assert_eq!(
            verdict(&replicates(|k, e| 100.0 - 10.0 * k as f64 + 5.0 * e)),
            Verdict::Constant
        );
    }

    #[test]
    fn a_saturating_response_is_diminishing_whatever_its_sign() {
        assert_eq!(
            verdict(&replicates(|k, e| 100.0 * (-(k as f64) / 2.0).exp() + e)),
            Verdict::Diminishing
        );
        assert_eq!(
            verdict(&replicates(|k, e| -100.0 * (-(k as f64) / 2.0).exp() + e)),
            Verdict::Diminishing
        );
    }

    #[test]
    fn an_accelerating_response_is_increasing() {
        assert_eq!(
            verdict(&replicates(|k, e| 100.0 - (k * k) as f64 + 0.1 * e)),
            Verdict::Increasing
        );
    }

    #[test]
    fn on_pure_noise_a_curvature_is_claimed_about_as_often_as_the_confidence_allows() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let datasets = 100;
        let claimed = (0..datasets)
            .filter(|_| {
                let y: Vec<Vec<f64>> = (0..30)
                    .map(|_| (0..6).map(|_| rng.random::<f64>()).collect())
                    .collect();
                let v = analyse(&y, 200, 0.95, 0.05, &mut rng).curvature.verdict;
                matches!(v, Verdict::Diminishing | Verdict::Increasing)
            })
            .count();
        // Nominal rate 5%; allow sampling error and the bootstrap's slight liberality.
        assert!(
            claimed <= 12,
            "{claimed} of {datasets} noise datasets were given a curvature"
        );
    }

    #[test]
    fn effects_and_differences_are_the_paired_means() {
        let y = vec![vec![10.0, 7.0, 5.0], vec![12.0, 9.0, 7.0]];
        let r = analyse(&y, 100, 0.9, 0.05, &mut ChaCha8Rng::seed_from_u64(3));
        assert_eq!(r.effect[2].estimate, -5.0);
        assert_eq!(r.marginal[1].unwrap().estimate, -3.0);
        assert_eq!(r.second_difference[2].unwrap().estimate, 1.0);
        assert_eq!(r.level[0].estimate, 11.0);
    }
}
