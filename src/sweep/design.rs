//! Sampling designs for Monte Carlo sweeps and global sensitivity analysis:
//! input distributions mapped from the unit cube by their inverse CDF (the
//! normal quantile is Wichura's algorithm AS 241, Applied Statistics 37, 1988),
//! plain Monte Carlo points, Latin hypercube samples (McKay, Beckman & Conover
//! 1979), the Sobol' low-discrepancy sequence in its Gray-code form (Antonov &
//! Saleev 1979) with the direction numbers of Joe & Kuo (2008, table
//! `new-joe-kuo-6.21201`), the Saltelli (2010) A/B/AB_i layout that the
//! variance-based estimators in `sensitivity` consume, and Morris (1991)
//! one-at-a-time trajectories as used by Campolongo, Cariboni & Saltelli (2007).
//! Every random draw comes from a caller-supplied `ChaCha8Rng` and every
//! computation is sequential, so a design is reproducible bit for bit from its
//! seed.

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Everything that can be wrong with a design request, a distribution or the model outputs.
#[derive(Debug, Clone, PartialEq)]
pub enum DesignError {
    /// A distribution parameter is NaN or infinite.
    NonFiniteParameter {
        /// Name of the offending parameter (`low`, `high`, `mean`, `sd` or `mode`).
        name: &'static str,
        /// The value that was given.
        value: f64,
    },
    /// A range has `low == high`, so it contains a single value.
    EmptyRange {
        /// Lower bound given.
        low: f64,
        /// Upper bound given.
        high: f64,
    },
    /// A range has `low > high`.
    InvertedRange {
        /// Lower bound given.
        low: f64,
        /// Upper bound given.
        high: f64,
    },
    /// A normal distribution has a standard deviation that is zero or negative.
    NonPositiveSd {
        /// The standard deviation given.
        sd: f64,
    },
    /// A log-uniform distribution has a lower bound that is zero or negative.
    NonPositiveLogLow {
        /// The lower bound given.
        low: f64,
    },
    /// A triangular distribution has its mode outside `[low, high]`.
    ModeOutsideRange {
        /// Lower bound given.
        low: f64,
        /// Mode given.
        mode: f64,
        /// Upper bound given.
        high: f64,
    },
    /// A design was requested with zero dimensions.
    ZeroDimensions,
    /// The requested design has too many points to allocate.
    DesignTooLarge,
    /// More dimensions were requested than the design supports.
    TooManyDimensions {
        /// Dimensions requested.
        requested: usize,
        /// Largest number of dimensions supported.
        max: usize,
    },
    /// The Sobol' points requested run past the end of the supported sequence.
    SequenceTooLong {
        /// One past the last sequence index requested (`skip + n`).
        requested: u64,
        /// Number of points the generator can produce.
        max: u64,
    },
    /// A Saltelli design needs at least two base rows.
    TooFewBaseSamples {
        /// The number of base rows requested.
        n_base: usize,
    },
    /// A Morris design needs at least two trajectories (sigma uses n - 1).
    TooFewTrajectories {
        /// The number of trajectories requested.
        trajectories: usize,
    },
    /// Morris levels must be even and at least 4.
    InvalidLevels {
        /// The number of levels requested.
        levels: usize,
    },
    /// The output vector does not have one value per design point.
    OutputLengthMismatch {
        /// Number of design points.
        expected: usize,
        /// Number of outputs given.
        got: usize,
    },
    /// A model output is NaN or infinite.
    NonFiniteOutput {
        /// Index of the offending output (same as its design point).
        index: usize,
        /// The value found there.
        value: f64,
    },
    /// The model output did not vary over the A and B samples.
    ZeroVariance,
    /// The variance of the model output overflowed to infinity.
    NonFiniteVariance,
    /// The confidence level is not strictly between 0 and 1.
    InvalidConfidence {
        /// The confidence level given.
        confidence: f64,
    },
    /// Zero bootstrap resamples were requested.
    NoBootstrapResamples,
    /// A design's fields contradict each other (e.g. after manual edits).
    InconsistentDesign(String),
}

impl fmt::Display for DesignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NonFiniteParameter { name, value } => {
                write!(
                    f,
                    "distribution parameter `{name}` must be finite, got {value}"
                )
            }
            Self::EmptyRange { low, high } => write!(
                f,
                "range is empty: low ({low}) equals high ({high}); use a constant instead of a distribution"
            ),
            Self::InvertedRange { low, high } => {
                write!(
                    f,
                    "range is inverted: low ({low}) is greater than high ({high})"
                )
            }
            Self::NonPositiveSd { sd } => {
                write!(f, "normal standard deviation must be positive, got {sd}")
            }
            Self::NonPositiveLogLow { low } => write!(
                f,
                "log-uniform lower bound must be positive (logarithm undefined), got {low}"
            ),
            Self::ModeOutsideRange { low, mode, high } => write!(
                f,
                "triangular mode {mode} lies outside the range [{low}, {high}]"
            ),
            Self::ZeroDimensions => write!(f, "a design needs at least one dimension"),
            Self::DesignTooLarge => write!(
                f,
                "the requested design has too many points to allocate; reduce its size"
            ),
            Self::TooManyDimensions { requested, max } => write!(
                f,
                "{requested} dimensions requested but at most {max} are supported"
            ),
            Self::SequenceTooLong { requested, max } => write!(
                f,
                "Sobol' points up to index {requested} requested but the sequence has only {max} points"
            ),
            Self::TooFewBaseSamples { n_base } => write!(
                f,
                "a Saltelli design needs at least 2 base samples, got {n_base}"
            ),
            Self::TooFewTrajectories { trajectories } => write!(
                f,
                "a Morris design needs at least 2 trajectories, got {trajectories}"
            ),
            Self::InvalidLevels { levels } => write!(
                f,
                "Morris levels must be an even number of at least 4, got {levels}"
            ),
            Self::OutputLengthMismatch { expected, got } => write!(
                f,
                "expected {expected} model outputs (one per design point), got {got}"
            ),
            Self::NonFiniteOutput { index, value } => {
                write!(f, "model output at index {index} is not finite ({value})")
            }
            Self::ZeroVariance => write!(
                f,
                "the model output did not vary across the A and B samples, so Sobol' indices are undefined"
            ),
            Self::NonFiniteVariance => write!(
                f,
                "the variance of the model output overflowed; rescale the output"
            ),
            Self::InvalidConfidence { confidence } => write!(
                f,
                "confidence level must be strictly between 0 and 1, got {confidence}"
            ),
            Self::NoBootstrapResamples => {
                write!(f, "at least one bootstrap resample is required")
            }
            Self::InconsistentDesign(reason) => write!(f, "inconsistent design: {reason}"),
        }
    }
}

impl std::error::Error for DesignError {}

/// A varied parameter's law: one of four continuous distributions, or listed values `V` (grids).
/// One enum serves twice, so the spec file and the maths can never disagree on a distribution:
/// the spec's [`crate::sweep::spec::Dist`] lists values as `Vec<ParamValue>`, while
/// [`Distribution`] — what designs sample — cannot hold listed values at all.
/// Written in spec files as `Uniform(low: 0.5, high: 1.5)`, …, `Values([0.1, 0.2])`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename = "Dist")]
pub enum Law<V> {
    /// Uniform on `[low, high]`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Normal with the given mean and standard deviation.
    Normal {
        /// Mean.
        mean: f64,
        /// Standard deviation (> 0).
        sd: f64,
    },
    /// Log-uniform on `[low, high]`: `ln x` is uniform on `[ln low, ln high]`.
    LogUniform {
        /// Lower bound (> 0).
        low: f64,
        /// Upper bound.
        high: f64,
    },
    /// Triangular on `[low, high]` with peak at `mode`.
    Triangular {
        /// Lower bound.
        low: f64,
        /// Most likely value, within `[low, high]`.
        mode: f64,
        /// Upper bound.
        high: f64,
    },
    /// Listed values, for grids (numbers or `true`/`false`).
    Values(V),
}

/// No listed values: the value type of a [`Distribution`], which has none.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum NoValues {}

/// A marginal input distribution, sampled by mapping unit-cube coordinates through
/// [`Law::quantile`].
pub type Distribution = Law<NoValues>;

/// Smallest and largest probability passed to the normal quantile, keeping it finite.
const NORMAL_U_MIN: f64 = 1e-12;

fn check_finite(name: &'static str, value: f64) -> Result<(), DesignError> {
    if value.is_finite() {
        Ok(())
    } else {
        Err(DesignError::NonFiniteParameter { name, value })
    }
}

fn check_range(low: f64, high: f64) -> Result<(), DesignError> {
    check_finite("low", low)?;
    check_finite("high", high)?;
    if low > high {
        Err(DesignError::InvertedRange { low, high })
    } else if low == high {
        Err(DesignError::EmptyRange { low, high })
    } else {
        Ok(())
    }
}

impl Distribution {
    /// Checks the parameters, returning a distinct error for each kind of problem.
    pub fn validate(&self) -> Result<(), DesignError> {
        match *self {
            Self::Uniform { low, high } => check_range(low, high),
            Self::Normal { mean, sd } => {
                check_finite("mean", mean)?;
                check_finite("sd", sd)?;
                if sd > 0.0 {
                    Ok(())
                } else {
                    Err(DesignError::NonPositiveSd { sd })
                }
            }
            Self::LogUniform { low, high } => {
                check_range(low, high)?;
                if low > 0.0 {
                    Ok(())
                } else {
                    Err(DesignError::NonPositiveLogLow { low })
                }
            }
            Self::Triangular { low, mode, high } => {
                check_range(low, high)?;
                check_finite("mode", mode)?;
                if (low..=high).contains(&mode) {
                    Ok(())
                } else {
                    Err(DesignError::ModeOutsideRange { low, mode, high })
                }
            }
            Self::Values(none) => match none {},
        }
    }

    /// Inverse CDF at probability `u`; bounded laws clamp `u` to [0, 1], the normal to [1e-12, 1 - 1e-12].
    ///
    /// Call [`Distribution::validate`] first: invalid parameters give a
    /// meaningless (possibly NaN) value but never panic. A NaN `u` gives NaN.
    pub fn quantile(&self, u: f64) -> f64 {
        match *self {
            Self::Uniform { low, high } => {
                let u = u.clamp(0.0, 1.0);
                low + u * (high - low)
            }
            Self::Normal { mean, sd } => {
                let u = u.clamp(NORMAL_U_MIN, 1.0 - NORMAL_U_MIN);
                mean + sd * standard_normal_quantile(u)
            }
            Self::LogUniform { low, high } => {
                let u = u.clamp(0.0, 1.0);
                if u == 1.0 {
                    return high; // exp(ln high) may round below high.
                }
                let (ln_low, ln_high) = (low.ln(), high.ln());
                (ln_low + u * (ln_high - ln_low)).exp().max(low).min(high)
            }
            Self::Triangular { low, mode, high } => {
                let u = u.clamp(0.0, 1.0);
                let width = high - low;
                let split = (mode - low) / width;
                if u < split {
                    low + (u * width * (mode - low)).sqrt()
                } else {
                    high - ((1.0 - u) * width * (high - mode)).sqrt()
                }
            }
            Self::Values(none) => match none {},
        }
    }
}

/// Evaluates a degree-7 polynomial with coefficients in increasing order (Horner).
fn poly7(c: &[f64; 8], x: f64) -> f64 {
    c.iter().rev().fold(0.0, |acc, &ci| acc * x + ci)
}

/// Standard normal quantile by Wichura's AS 241 (PPND16), relative accuracy about 1e-16.
///
/// Expects `0 < p < 1`; callers clamp. The coefficients keep the digits
/// published with the algorithm so the transcription can be checked.
#[allow(clippy::excessive_precision)]
fn standard_normal_quantile(p: f64) -> f64 {
    // Central region, |p - 0.5| <= 0.425.
    const A: [f64; 8] = [
        3.387_132_872_796_366_608,
        133.141_667_891_784_377_45,
        1_971.590_950_306_551_442_7,
        13_731.693_765_509_461_125,
        45_921.953_931_549_871_457,
        67_265.770_927_008_700_853,
        33_430.575_583_588_128_105,
        2_509.080_928_730_122_672_7,
    ];
    const B: [f64; 8] = [
        1.0,
        42.313_330_701_600_911_252,
        687.187_007_492_057_908_3,
        5_394.196_021_424_751_107_7,
        21_213.794_301_586_595_867,
        39_307.895_800_092_710_61,
        28_729.085_735_721_942_674,
        5_226.495_278_852_854_561,
    ];
    // Intermediate tails, sqrt(-ln min(p, 1-p)) <= 5.
    const C: [f64; 8] = [
        1.423_437_110_749_683_577_34,
        4.630_337_846_156_545_295_9,
        5.769_497_221_460_691_405_5,
        3.647_848_324_763_204_605_04,
        1.270_458_252_452_368_382_58,
        0.241_780_725_177_450_611_77,
        0.022_723_844_989_269_184_583_3,
        7.745_450_142_783_414_076_4e-4,
    ];
    const D: [f64; 8] = [
        1.0,
        2.053_191_626_637_758_821_87,
        1.676_384_830_183_803_849_4,
        0.689_767_334_985_100_004_55,
        0.148_103_976_427_480_074_59,
        0.015_198_666_563_616_457_196_6,
        5.475_938_084_995_344_946e-4,
        1.050_750_071_644_416_843_24e-9,
    ];
    // Far tails.
    const E: [f64; 8] = [
        6.657_904_643_501_103_777_2,
        5.463_784_911_164_114_369_9,
        1.784_826_539_917_291_335_8,
        0.296_560_571_828_504_891_23,
        0.026_532_189_526_576_123_093,
        0.001_242_660_947_388_078_438_6,
        2.711_555_568_743_487_578_15e-5,
        2.010_334_399_292_288_132_65e-7,
    ];
    const F: [f64; 8] = [
        1.0,
        0.599_832_206_555_887_937_69,
        0.136_929_880_922_735_805_31,
        0.014_875_361_290_850_614_852_5,
        7.868_691_311_456_132_591e-4,
        1.846_318_317_510_054_681_8e-5,
        1.421_511_758_316_445_888_7e-7,
        2.044_263_103_389_939_785_64e-15,
    ];
    let q = p - 0.5;
    if q.abs() <= 0.425 {
        let r = 0.180_625 - q * q;
        return q * poly7(&A, r) / poly7(&B, r);
    }
    let tail = if q < 0.0 { p } else { 1.0 - p };
    let r = (-tail.ln()).sqrt();
    let z = if r <= 5.0 {
        let r = r - 1.6;
        poly7(&C, r) / poly7(&D, r)
    } else {
        let r = r - 5.0;
        poly7(&E, r) / poly7(&F, r)
    };
    if q < 0.0 { -z } else { z }
}

/// Plain Monte Carlo: `n` points with `dims` independent uniform coordinates in [0, 1).
///
/// Draw order: row by row, coordinate by coordinate.
pub fn random_points(n: usize, dims: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    (0..n)
        .map(|_| (0..dims).map(|_| rng.random::<f64>()).collect())
        .collect()
}

/// An empty point list with room for `count` points, or `DesignTooLarge`.
fn reserve_points(count: Option<usize>) -> Result<Vec<Vec<f64>>, DesignError> {
    let count = count.ok_or(DesignError::DesignTooLarge)?;
    let mut points = Vec::new();
    points
        .try_reserve_exact(count)
        .map_err(|_| DesignError::DesignTooLarge)?;
    Ok(points)
}

/// Fisher–Yates shuffle of `0..n` driven by `rng`.
fn permutation(n: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut perm: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = rng.random_range(0..=i);
        perm.swap(i, j);
    }
    perm
}

/// Latin hypercube sample (McKay et al. 1979): in every dimension each of the `n` strata `[k/n, (k+1)/n)` holds exactly one point.
///
/// Draw order: for each dimension in turn, a Fisher–Yates permutation of the
/// strata followed by `n` uniform offsets within the strata.
pub fn latin_hypercube(n: usize, dims: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let mut points = vec![vec![0.0; dims]; n];
    let scale = n as f64;
    for d in 0..dims {
        let perm = permutation(n, rng);
        for (row, &stratum) in points.iter_mut().zip(&perm) {
            let u: f64 = rng.random();
            // (k + u) / n < 1 for u < 1, but guard against rounding up to 1.0.
            row[d] = ((stratum as f64 + u) / scale).min(1.0 - f64::EPSILON / 2.0);
        }
    }
    points
}

/// Bits of precision of the Sobol' generator; also log2 of the sequence length.
const SOBOL_BITS: usize = 32;

/// Number of dimensions `sobol_points` supports (dimension 1 plus the 40 table rows below).
pub const SOBOL_MAX_DIMS: usize = 1 + JOE_KUO.len();

/// Largest number of varying parameters `saltelli` supports (it needs `2 * dims` Sobol' columns).
pub const SALTELLI_MAX_DIMS: usize = SOBOL_MAX_DIMS / 2;

/// Joe & Kuo direction-number table, rows d = 2..=41: `(s, a, m_1..m_s)`.
///
/// Transcribed from the first 40 data rows of `new-joe-kuo-6.21201.txt`
/// (S. Joe and F. Y. Kuo, "Constructing Sobol sequences with better
/// two-dimensional projections", SIAM J. Sci. Comput. 30, 2635–2654, 2008),
/// as stored in the public repository `metod11/November_main_last`, and
/// cross-checked against `SALib/SALib` `src/SALib/sample/directions.py`.
/// Dimension 1 (not in the table) uses m_k = 1 for all k.
///
/// Public so that `tests/it/units/sweep_design.rs` can check every row is well formed (a typo
/// here would silently change every Sobol' design).
pub const JOE_KUO: [(u32, u32, &[u32]); 40] = [
    (1, 0, &[1]),
    (2, 1, &[1, 3]),
    (3, 1, &[1, 3, 1]),
    (3, 2, &[1, 1, 1]),
    (4, 1, &[1, 1, 3, 3]),
    (4, 4, &[1, 3, 5, 13]),
    (5, 2, &[1, 1, 5, 5, 17]),
    (5, 4, &[1, 1, 5, 5, 5]),
    (5, 7, &[1, 1, 7, 11, 19]),
    (5, 11, &[1, 1, 5, 1, 1]),
    (5, 13, &[1, 1, 1, 3, 11]),
    (5, 14, &[1, 3, 5, 5, 31]),
    (6, 1, &[1, 3, 3, 9, 7, 49]),
    (6, 13, &[1, 1, 1, 15, 21, 21]),
    (6, 16, &[1, 3, 1, 13, 27, 49]),
    (6, 19, &[1, 1, 1, 15, 7, 5]),
    (6, 22, &[1, 3, 1, 15, 13, 25]),
    (6, 25, &[1, 1, 5, 5, 19, 61]),
    (7, 1, &[1, 3, 7, 11, 23, 15, 103]),
    (7, 4, &[1, 3, 7, 13, 13, 15, 69]),
    (7, 7, &[1, 1, 3, 13, 7, 35, 63]),
    (7, 8, &[1, 3, 5, 9, 1, 25, 53]),
    (7, 14, &[1, 3, 1, 13, 9, 35, 107]),
    (7, 19, &[1, 3, 1, 5, 27, 61, 31]),
    (7, 21, &[1, 1, 5, 11, 19, 41, 61]),
    (7, 28, &[1, 3, 5, 3, 3, 13, 69]),
    (7, 31, &[1, 1, 7, 13, 1, 19, 1]),
    (7, 32, &[1, 3, 7, 5, 13, 19, 59]),
    (7, 37, &[1, 1, 3, 9, 25, 29, 41]),
    (7, 41, &[1, 3, 5, 13, 23, 1, 55]),
    (7, 42, &[1, 3, 7, 3, 13, 59, 17]),
    (7, 50, &[1, 3, 1, 3, 5, 53, 69]),
    (7, 55, &[1, 1, 5, 5, 23, 33, 13]),
    (7, 56, &[1, 1, 7, 7, 1, 61, 123]),
    (7, 59, &[1, 1, 7, 9, 13, 61, 49]),
    (7, 62, &[1, 3, 3, 5, 3, 55, 33]),
    (8, 14, &[1, 3, 1, 15, 31, 13, 49, 245]),
    (8, 21, &[1, 3, 5, 15, 31, 59, 63, 97]),
    (8, 22, &[1, 3, 1, 11, 11, 11, 77, 249]),
    (8, 38, &[1, 3, 1, 11, 27, 43, 71, 9]),
];

/// Direction numbers v_1..v_BITS of one Sobol' dimension (0-based), scaled by 2^BITS.
fn direction_numbers(dim: usize) -> [u32; SOBOL_BITS] {
    let mut v = [0u32; SOBOL_BITS];
    if dim == 0 {
        for (k, vk) in v.iter_mut().enumerate() {
            *vk = 1 << (SOBOL_BITS - 1 - k);
        }
        return v;
    }
    let (s, a, m) = JOE_KUO[dim - 1];
    let s = s as usize;
    for (k, &mk) in m.iter().enumerate().take(SOBOL_BITS) {
        v[k] = mk << (SOBOL_BITS - 1 - k);
    }
    for k in s..SOBOL_BITS {
        let mut vk = v[k - s] ^ (v[k - s] >> s);
        for l in 1..s {
            if (a >> (s - 1 - l)) & 1 == 1 {
                vk ^= v[k - l];
            }
        }
        v[k] = vk;
    }
    v
}

/// Points `skip .. skip + n` of the unscrambled Sobol' sequence (Joe–Kuo 2008 directions, Gray-code order) in `dims` dimensions.
///
/// Point 0 is the origin. Coordinates are exact multiples of 2^-32; the first
/// 2^k points (from `skip = 0`) are exactly stratified in every 1-D
/// projection. At most [`SOBOL_MAX_DIMS`] dimensions and 2^32 points.
pub fn sobol_points(n: usize, dims: usize, skip: usize) -> Result<Vec<Vec<f64>>, DesignError> {
    if dims == 0 {
        return Err(DesignError::ZeroDimensions);
    }
    if dims > SOBOL_MAX_DIMS {
        return Err(DesignError::TooManyDimensions {
            requested: dims,
            max: SOBOL_MAX_DIMS,
        });
    }
    let max = 1u64 << SOBOL_BITS;
    let end = (skip as u64).saturating_add(n as u64);
    if end > max {
        return Err(DesignError::SequenceTooLong {
            requested: end,
            max,
        });
    }
    let directions: Vec<[u32; SOBOL_BITS]> = (0..dims).map(direction_numbers).collect();
    // State for index `skip`: XOR of the direction numbers selected by the Gray code of `skip`.
    let skip = skip as u64;
    let gray = skip ^ (skip >> 1);
    let mut state: Vec<u32> = directions
        .iter()
        .map(|v| {
            (0..SOBOL_BITS)
                .filter(|&k| (gray >> k) & 1 == 1)
                .fold(0u32, |acc, k| acc ^ v[k])
        })
        .collect();
    let scale = 1.0 / max as f64;
    let mut points = reserve_points(Some(n))?;
    for i in 0..n as u64 {
        if i > 0 {
            // Moving from index j to j + 1 flips Gray-code bit `trailing_ones(j)`.
            let bit = (skip + i - 1).trailing_ones() as usize;
            for (x, v) in state.iter_mut().zip(&directions) {
                *x ^= v[bit];
            }
        }
        points.push(state.iter().map(|&x| f64::from(x) * scale).collect());
    }
    Ok(points)
}

/// Saltelli (2010) sample: `n_base` blocks of `[A_j, B_j, AB_j^1, …, AB_j^dims]`.
#[derive(Debug, Clone, PartialEq)]
pub struct SaltelliDesign {
    /// Number of base rows (blocks).
    pub n_base: usize,
    /// Number of varying parameters.
    pub dims: usize,
    /// `n_base * (dims + 2)` unit-cube points, block `j` at rows `j*(dims+2) .. (j+1)*(dims+2)`.
    pub points: Vec<Vec<f64>>,
}

impl SaltelliDesign {
    /// Points per base row: `dims + 2` (A, B and one AB_i per parameter).
    pub fn block_len(&self) -> usize {
        self.dims + 2
    }
}

/// Builds the Saltelli (2010) A/B/AB_i design from a `2*dims`-dimensional Sobol' sequence with
/// a random digital shift.
///
/// The unscrambled sequence is degenerate at its start: point 0 is the origin and point 1 is
/// ½ in every coordinate, so its A and B rows would be equal, and low-index points repeat
/// coordinates across dimensions, making many AB_i equal to A. Each of the `2*dims` columns is
/// therefore XOR-ed with its own 32-bit shift drawn from `rng` (a random digital shift, L'Ecuyer
/// & Lemieux 2002, "Recent advances in randomized quasi-Monte Carlo methods"), and the point is
/// taken at the centre of its 2^-32 cell, so no coordinate is 0 or 1. A digital shift keeps the
/// net's stratification: for a power-of-two `n_base` every column of A and of B has exactly one
/// point in each interval of width 1/n_base. Row `j` of A is the first `dims` columns of shifted
/// Sobol' point `j` (from index 0), row `j` of B its last `dims` columns, and `AB_j^i` is `A_j`
/// with column `i` taken from `B_j`. `points` holds, for each `j` in `0..n_base`, the block
/// `[A_j, B_j, AB_j^0, …, AB_j^(dims-1)]`, i.e. `A_j` at row `j*(dims+2)`, `B_j` at
/// `j*(dims+2)+1` and `AB_j^i` at `j*(dims+2)+2+i`. Use a power of two for `n_base`.
pub fn saltelli(
    n_base: usize,
    dims: usize,
    rng: &mut ChaCha8Rng,
) -> Result<SaltelliDesign, DesignError> {
    if dims == 0 {
        return Err(DesignError::ZeroDimensions);
    }
    if dims > SALTELLI_MAX_DIMS {
        return Err(DesignError::TooManyDimensions {
            requested: dims,
            max: SALTELLI_MAX_DIMS,
        });
    }
    if n_base < 2 {
        return Err(DesignError::TooFewBaseSamples { n_base });
    }
    let shifts: Vec<u32> = (0..2 * dims).map(|_| rng.random::<u32>()).collect();
    let scale = (1u64 << SOBOL_BITS) as f64;
    let base: Vec<Vec<f64>> = sobol_points(n_base, 2 * dims, 0)?
        .into_iter()
        .map(|row| {
            row.iter()
                .zip(&shifts)
                .map(|(&x, &shift)| (f64::from((x * scale) as u32 ^ shift) + 0.5) / scale)
                .collect()
        })
        .collect();
    let mut points = reserve_points(n_base.checked_mul(dims + 2))?;
    for row in base {
        let (a, b) = row.split_at(dims);
        points.push(a.to_vec());
        points.push(b.to_vec());
        for i in 0..dims {
            let mut ab = a.to_vec();
            ab[i] = b[i];
            points.push(ab);
        }
    }
    Ok(SaltelliDesign {
        n_base,
        dims,
        points,
    })
}

/// Morris (1991) elementary-effects design: `trajectories` blocks of `dims + 1` points.
#[derive(Debug, Clone, PartialEq)]
pub struct MorrisDesign {
    /// Number of trajectories.
    pub trajectories: usize,
    /// Number of parameters.
    pub dims: usize,
    /// Number of grid levels per coordinate.
    pub levels: usize,
    /// `trajectories * (dims + 1)` grid points, trajectory `t` at rows `t*(dims+1) .. (t+1)*(dims+1)`.
    pub points: Vec<Vec<f64>>,
}

impl MorrisDesign {
    /// The jump Delta = levels / (2 (levels - 1)) in unit-cube units.
    pub fn delta(&self) -> f64 {
        self.levels as f64 / (2.0 * (self.levels as f64 - 1.0))
    }
}

/// Morris (1991) one-at-a-time trajectories on the grid `{0, 1/(levels-1), …, 1}`.
///
/// Each trajectory starts at a random grid point and moves every coordinate
/// exactly once, in a random order, by Delta = levels/(2(levels-1)) up or
/// down (random direction), so consecutive points differ in exactly one
/// coordinate. Draw order per trajectory: for each coordinate a lower-half
/// level and a direction bit, then a Fisher–Yates order of the coordinates.
pub fn morris(
    trajectories: usize,
    dims: usize,
    levels: usize,
    rng: &mut ChaCha8Rng,
) -> Result<MorrisDesign, DesignError> {
    if dims == 0 {
        return Err(DesignError::ZeroDimensions);
    }
    if levels < 4 || !levels.is_multiple_of(2) {
        return Err(DesignError::InvalidLevels { levels });
    }
    if trajectories < 2 {
        return Err(DesignError::TooFewTrajectories { trajectories });
    }
    let mut points = reserve_points(
        dims.checked_add(1)
            .and_then(|per| trajectories.checked_mul(per)),
    )?;
    let half = levels / 2; // Delta in grid steps.
    let top = (levels - 1) as f64;
    for _ in 0..trajectories {
        // Grid index of each coordinate at the start, and where it jumps to.
        let mut start = vec![0usize; dims];
        let mut end = vec![0usize; dims];
        for (s, e) in start.iter_mut().zip(end.iter_mut()) {
            let lower = rng.random_range(0..half);
            let upward: bool = rng.random();
            (*s, *e) = if upward {
                (lower, lower + half)
            } else {
                (lower + half, lower)
            };
        }
        let order = permutation(dims, rng);
        let mut current: Vec<f64> = start.iter().map(|&k| k as f64 / top).collect();
        points.push(current.clone());
        for &i in &order {
            current[i] = end[i] as f64 / top;
            points.push(current.clone());
        }
    }
    Ok(MorrisDesign {
        trajectories,
        dims,
        levels,
        points,
    })
}
