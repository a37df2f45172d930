//! Summary statistics of one outcome over a design point's replicates, computed sequentially in
//! run order so the bits never depend on thread count.

use crate::stats::percentile;

/// `n, mean, sd, p05, p25, p50, p75, p95` of the finite values; `None` when there are none.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Summary {
    /// Number of finite values.
    pub n: usize,
    /// Arithmetic mean.
    pub mean: f64,
    /// Sample standard deviation (divisor n − 1; NaN when n = 1).
    pub sd: f64,
    /// Percentiles 5, 25, 50, 75, 95 (linear interpolation, NumPy's default / R type 7).
    pub percentiles: [f64; 5],
}

/// The probabilities of [`Summary::percentiles`].
pub const PERCENTILES: [f64; 5] = [0.05, 0.25, 0.5, 0.75, 0.95];

/// Summarises `values`, ignoring NaN (outcomes a run did not record).
pub fn summarize(values: &[f64]) -> Option<Summary> {
    let mut sorted: Vec<f64> = values.iter().copied().filter(|v| !v.is_nan()).collect();
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let mean = sorted.iter().sum::<f64>() / n as f64;
    let sd = if n > 1 {
        (sorted.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (n - 1) as f64).sqrt()
    } else {
        f64::NAN
    };
    sorted.sort_by(f64::total_cmp);
    Some(Summary {
        n,
        mean,
        sd,
        percentiles: PERCENTILES.map(|q| percentile(&sorted, q)),
    })
}

/// The mean of the non-NaN values, NaN when there are none.
pub fn mean(values: &[f64]) -> f64 {
    summarize(values).map_or(f64::NAN, |s| s.mean)
}
