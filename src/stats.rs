//! The statistics every analysis shares: an estimate with its interval ([`Estimate`]) and the
//! percentile of sorted values ([`percentile`]). Sweeps (`sweep::stats`, `sweep::sensitivity`) and
//! effect analyses (`effect::stats`) use these, so a percentile means the same thing everywhere.

/// A point estimate with a confidence interval `[low, high]`.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Estimate {
    /// Estimate from the full sample.
    pub estimate: f64,
    /// Lower end of the interval.
    pub low: f64,
    /// Upper end of the interval.
    pub high: f64,
}

impl Estimate {
    /// −1 when the whole interval is below 0, +1 when above, 0 when it contains 0 (or is NaN).
    pub fn sign(&self) -> i8 {
        if self.high < 0.0 {
            -1
        } else if self.low > 0.0 {
            1
        } else {
            0
        }
    }

    /// `0.1234 [0.1000, 0.1500]`, the form summaries print.
    pub fn display(&self, decimals: usize) -> String {
        format!(
            "{:.d$} [{:.d$}, {:.d$}]",
            self.estimate,
            self.low,
            self.high,
            d = decimals
        )
    }
}

/// The `q` quantile (0–1) of sorted, non-empty values with linear interpolation between order
/// statistics (NumPy's default, R type 7).
pub fn percentile(sorted: &[f64], q: f64) -> f64 {
    let last = sorted.len() - 1;
    let h = q * last as f64;
    let lo = (h.floor() as usize).min(last);
    let hi = (lo + 1).min(last);
    sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo])
}

/// The percentile interval of bootstrap `samples` (sorted in place) at `confidence`, around
/// `estimate`; an empty sample collapses the interval to the estimate.
pub fn percentile_interval(estimate: f64, samples: &mut [f64], confidence: f64) -> Estimate {
    if samples.is_empty() {
        return Estimate {
            estimate,
            low: estimate,
            high: estimate,
        };
    }
    samples.sort_by(f64::total_cmp);
    let alpha = (1.0 - confidence) / 2.0;
    Estimate {
        estimate,
        low: percentile(samples, alpha),
        high: percentile(samples, 1.0 - alpha),
    }
}
