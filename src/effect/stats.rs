//! Paired dose–response statistics over replicates: effects against dose 0, marginal effects and
//! second differences with percentile-bootstrap intervals, and the verdict on the shape of the
//! response (docs/EFFECTS.md). Replicates share their random numbers across doses (common random
//! numbers), so every statistic is a mean of within-replicate differences.
//!
//! A shape is claimed only when the data support it: "diminishing", "constant" or "increasing"
//! need every step to move the outcome in the total effect's direction at the stated confidence
//! (an intersection–union test: each step's interval must exclude zero on that side, which keeps
//! the joint claim at the stated level without a multiplicity correction); steps that move it both
//! ways are a "reversal" (one change of direction, named) or "non-monotone" (more than one).

use rand::RngExt;
use rand_chacha::ChaCha8Rng;

pub use crate::stats::Estimate;
use crate::stats::percentile_interval;

/// The verdict on the shape of the response to successive doses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every step moves the outcome the same way, each less than the one before (the slope of the
    /// marginal effect, signed in the direction of the total effect, is below zero).
    Diminishing,
    /// Every step moves the outcome the same way, by the same amount within the tolerance.
    Constant,
    /// Every step moves the outcome the same way, each more than the one before.
    Increasing,
    /// The outcome moves one way, then a later step moves it back: the direction changes once.
    Reversal,
    /// The direction changes more than once.
    NonMonotone,
    /// The data do not settle it at the stated confidence (a step indistinguishable from zero,
    /// a curvature interval straddling the band, or fewer than three doses).
    Inconclusive,
}

impl Verdict {
    /// The verdict as written in outputs (`non_monotone`).
    pub fn name(self) -> &'static str {
        match self {
            Verdict::Diminishing => "diminishing",
            Verdict::Constant => "constant",
            Verdict::Increasing => "increasing",
            Verdict::Reversal => "reversal",
            Verdict::NonMonotone => "non_monotone",
            Verdict::Inconclusive => "inconclusive",
        }
    }
}

/// How the verdict was reached, for `verdict.json` and `summary.md`.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct VerdictTest {
    /// The verdict.
    pub verdict: Verdict,
    /// The verdict in words, with the numbers that decided it.
    pub statement: String,
    /// Total effect, last dose against dose 0.
    pub total_effect: Estimate,
    /// Direction of each step k = 1..K at the stated confidence: +1, −1 or 0 (interval holds 0).
    pub step_directions: Vec<i8>,
    /// For a reversal, the first step (1-based, as in `effects.csv`'s `dose`) that moves the
    /// outcome back.
    pub reversal_step: Option<usize>,
    /// Mean over replicates of the OLS slope of the signed marginal effect against dose (NaN when
    /// the curvature test was not applied).
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
    /// The verdict on the shape.
    pub verdict: VerdictTest,
}

/// How intervals and the verdict are computed.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Bootstrap resamples.
    pub resamples: usize,
    /// Confidence of every interval and of the verdict, e.g. 0.95.
    pub confidence: f64,
    /// Half-width of the "constant" band, as a share of the mean |marginal effect|.
    pub tolerance: f64,
}

/// Mean of `f` applied to each replicate's dose vector, over the replicates listed in `sample`.
fn mean_over(y: &[Vec<f64>], sample: &[usize], f: impl Fn(&[f64]) -> f64) -> f64 {
    sample.iter().map(|&r| f(&y[r])).sum::<f64>() / sample.len() as f64
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

/// `+4.2` / `−3.1`: signed numbers for prose.
fn signed(x: f64) -> String {
    if x < 0.0 {
        format!("−{:.4}", -x)
    } else {
        format!("+{x:.4}")
    }
}

/// Analyses `y[replicate][dose]` (at least 2 replicates and 2 doses, all finite).
///
/// `steps[k]` names dose k (index 0, the counterfactual, included) for the verdict's wording.
/// Intervals: percentile bootstrap over replicates with `settings.resamples` draws. The verdict:
/// 1. each step's marginal effect `y_k − y_{k−1}` gets a direction: up or down when its interval
///    excludes 0, none otherwise;
/// 2. if the directions that exist change once, "reversal" (the first step going back is named);
///    more than once, "non-monotone";
/// 3. if every step has the direction of the total effect, the curvature test: with signed
///    marginal effects `m_k = sign(total)·(y_k − y_{k−1})`, the mean over replicates of the OLS
///    slope of `m_k` on `k`: "constant" if its interval lies inside ± tolerance × mean |m|,
///    "diminishing" if below 0, "increasing" if above, otherwise "inconclusive";
/// 4. otherwise (a step indistinguishable from zero, or fewer than three doses) "inconclusive".
pub fn analyse(
    y: &[Vec<f64>],
    steps: &[String],
    settings: Settings,
    rng: &mut ChaCha8Rng,
) -> DoseResponse {
    let n = y.len();
    let doses = y[0].len();
    let all: Vec<usize> = (0..n).collect();
    let draws: Vec<Vec<usize>> = (0..settings.resamples)
        .map(|_| (0..n).map(|_| rng.random_range(0..n)).collect())
        .collect();
    let estimate = |f: &dyn Fn(&[f64]) -> f64| {
        let point = mean_over(y, &all, f);
        let mut boot: Vec<f64> = draws.iter().map(|s| mean_over(y, s, f)).collect();
        percentile_interval(point, &mut boot, settings.confidence)
    };
    let level = (0..doses).map(|k| estimate(&|v: &[f64]| v[k])).collect();
    let effect: Vec<Estimate> = (0..doses)
        .map(|k| estimate(&|v: &[f64]| v[k] - v[0]))
        .collect();
    let marginal: Vec<Option<Estimate>> = (0..doses)
        .map(|k| (k >= 1).then(|| estimate(&|v: &[f64]| v[k] - v[k - 1])))
        .collect();
    let second_difference = (0..doses)
        .map(|k| (k >= 2).then(|| estimate(&|v: &[f64]| v[k] - 2.0 * v[k - 1] + v[k - 2])))
        .collect();
    let verdict = judge(y, steps, settings, &effect, &marginal, &estimate);
    DoseResponse {
        level,
        effect,
        marginal,
        second_difference,
        verdict,
    }
}

/// A statistic of one replicate's dose vector.
type Statistic<'a> = &'a dyn Fn(&[f64]) -> f64;

/// Steps 1–4 of [`analyse`]'s verdict.
fn judge(
    y: &[Vec<f64>],
    steps: &[String],
    settings: Settings,
    effect: &[Estimate],
    marginal: &[Option<Estimate>],
    estimate: &dyn Fn(Statistic) -> Estimate,
) -> VerdictTest {
    let n = y.len();
    let doses = y[0].len();
    let all: Vec<usize> = (0..n).collect();
    let total = effect[doses - 1];
    let sign = if total.estimate < 0.0 { -1.0 } else { 1.0 };
    let signed_steps =
        |v: &[f64]| -> Vec<f64> { (1..v.len()).map(|k| sign * (v[k] - v[k - 1])).collect() };
    let mean_marginal = mean_over(y, &all, |v| {
        signed_steps(v).iter().sum::<f64>() / (doses - 1) as f64
    });
    let scale = mean_over(y, &all, |v| {
        signed_steps(v).iter().map(|m| m.abs()).sum::<f64>() / (doses - 1) as f64
    });
    let band = settings.tolerance * scale;
    let confidence = settings.confidence * 100.0;
    let directions: Vec<i8> = marginal[1..]
        .iter()
        .map(|m| m.expect("steps 1..K have a marginal effect").sign())
        .collect();
    let name = |k: usize| {
        let label = steps.get(k).map(String::as_str).unwrap_or("");
        if label.is_empty() {
            format!("step {k}")
        } else {
            format!("step {k} ({label})")
        }
    };
    let step_text = |k: usize| {
        let m = marginal[k].expect("k ≥ 1");
        format!(
            "{} {} [{}, {}]",
            name(k),
            signed(m.estimate),
            signed(m.low),
            signed(m.high)
        )
    };
    let test = format!(
        "each step's marginal effect y_k − y_(k−1) (k = 1..{K}) has a {confidence:.0}% percentile-bootstrap interval \
         ({resamples} resamples of the {n} replicates; common random numbers across doses) and a direction when the \
         interval excludes 0. Directions that change once: 'reversal'; more than once: 'non_monotone'. Only if every \
         step has the direction of the total effect (an intersection–union test at the stated level) is the curvature \
         tested: the mean over replicates of the OLS slope of m_k = sign(total)·(y_k − y_(k−1)) on k, with its \
         {confidence:.0}% interval; 'constant' if it lies within ±{tol} × mean|m_k| = ±{band:.4}, 'diminishing' if below \
         0, 'increasing' if above 0. Anything else: 'inconclusive'",
        K = doses - 1,
        resamples = settings.resamples,
        tol = settings.tolerance,
    );
    let mut out = VerdictTest {
        verdict: Verdict::Inconclusive,
        statement: String::new(),
        total_effect: total,
        step_directions: directions.clone(),
        reversal_step: None,
        slope: f64::NAN,
        interval: [f64::NAN, f64::NAN],
        equivalence_band: [-band, band],
        mean_marginal,
        n,
        test,
    };
    let moving: Vec<(usize, i8)> = directions
        .iter()
        .enumerate()
        .filter(|(_, d)| **d != 0)
        .map(|(i, d)| (i + 1, *d))
        .collect();
    let turns: Vec<usize> = moving
        .windows(2)
        .filter(|w| w[0].1 != w[1].1)
        .map(|w| w[1].0)
        .collect();
    let total_text = format!(
        "the total effect is {} [{}, {}]",
        signed(total.estimate),
        signed(total.low),
        signed(total.high)
    );
    if let Some(&turn) = turns.first() {
        let before: Vec<String> = moving
            .iter()
            .filter(|(k, _)| *k < turn)
            .map(|(k, _)| step_text(*k))
            .collect();
        if turns.len() == 1 {
            let undone: f64 = (turn..doses)
                .map(|k| marginal[k].expect("k ≥ 1").estimate)
                .sum();
            let earlier = effect[turn - 1].estimate;
            out.verdict = Verdict::Reversal;
            out.reversal_step = Some(turn);
            out.statement = format!(
                "Reversal at {}: {} moved the outcome {}, then {} moved it back{}; {total_text}.",
                name(turn),
                before.join(", "),
                if moving[0].1 > 0 { "up" } else { "down" },
                moving
                    .iter()
                    .filter(|(k, _)| *k >= turn)
                    .map(|(k, _)| step_text(*k))
                    .collect::<Vec<_>>()
                    .join(", "),
                if earlier != 0.0 {
                    format!(
                        " (from {} on the steps undo {:.0}% of the effect before it)",
                        name(turn),
                        100.0 * -undone / earlier
                    )
                } else {
                    String::new()
                }
            );
        } else {
            out.verdict = Verdict::NonMonotone;
            out.statement = format!(
                "Non-monotone: the direction changes {} times, at {}: {}; {total_text}.",
                turns.len(),
                turns
                    .iter()
                    .map(|&k| name(k))
                    .collect::<Vec<_>>()
                    .join(", "),
                (1..doses).map(step_text).collect::<Vec<_>>().join(", ")
            );
        }
        return out;
    }
    let flat: Vec<usize> = directions
        .iter()
        .enumerate()
        .filter(|(_, d)| f64::from(**d) != sign)
        .map(|(i, _)| i + 1)
        .collect();
    if !flat.is_empty() {
        out.statement = format!(
            "Inconclusive: {} not distinguishable from zero at {confidence:.0}% ({}), so no shape can be claimed; \
             {total_text}.",
            if flat.len() == 1 {
                "one step is"
            } else {
                "some steps are"
            },
            flat.iter()
                .map(|&k| step_text(k))
                .collect::<Vec<_>>()
                .join(", ")
        );
        return out;
    }
    let direction = if sign < 0.0 { "down" } else { "up" };
    if doses < 3 {
        out.statement = format!(
            "Inconclusive: the single step moves the outcome {direction} ({total_text}), but a curvature needs at \
             least three doses."
        );
        return out;
    }
    // The slope says how the marginal effect moves on average; the words say so, and name the
    // steps (by their mean estimates) that go against it rather than claim every step does.
    let step_by_step = |trend: &str, against: &str, breaks: &dyn Fn(f64, f64) -> bool| {
        let size = |k: usize| marginal[k].expect("k ≥ 1").estimate.abs();
        let exceptions: Vec<String> = (2..doses)
            .filter(|&k| breaks(size(k), size(k - 1)))
            .map(|k| format!("{} moves it {against} than {}", name(k), name(k - 1)))
            .collect();
        if exceptions.is_empty() {
            format!("each moves it {trend} than the one before")
        } else {
            format!(
                "on average each moves it {trend} than the one before, though not at every step ({})",
                exceptions.join("; ")
            )
        }
    };
    let s = estimate(&|v: &[f64]| slope(&signed_steps(v)));
    out.slope = s.estimate;
    out.interval = [s.low, s.high];
    let (verdict, words) = if s.low >= -band && s.high <= band {
        (
            Verdict::Constant,
            format!("each moves it by the same amount: the slope lies within ±{band:.4}"),
        )
    } else if s.high < 0.0 {
        (
            Verdict::Diminishing,
            step_by_step("less", "more", &|later, earlier| later > earlier),
        )
    } else if s.low > 0.0 {
        (
            Verdict::Increasing,
            step_by_step("more", "less", &|later, earlier| later < earlier),
        )
    } else {
        (
            Verdict::Inconclusive,
            format!(
                "the curvature is not settled: the slope's interval holds 0 and leaves ±{band:.4}"
            ),
        )
    };
    out.verdict = verdict;
    out.statement = format!(
        "{}: every step moves the outcome {direction} at {confidence:.0}% ({}); {words} (slope of the marginal \
         effect {} [{}, {}] per step); {total_text}.",
        capitalise(verdict.name()),
        (1..doses).map(step_text).collect::<Vec<_>>().join(", "),
        signed(s.estimate),
        signed(s.low),
        signed(s.high),
    );
    out
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f
            .to_uppercase()
            .chain(c)
            .collect::<String>()
            .replace('_', "-"),
        None => String::new(),
    }
}
