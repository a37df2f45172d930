//! Tests of `src/effect/stats.rs`.

use chokepoint::effect::stats::*;
use rand::RngExt;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn replicates(f: impl Fn(usize, f64) -> f64) -> Vec<Vec<f64>> {
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    (0..60)
        .map(|_| {
            let noise: f64 = rng.random::<f64>() - 0.5;
            (0..6).map(|k| f(k, noise)).collect()
        })
        .collect()
}

const SETTINGS: Settings = Settings {
    resamples: 500,
    confidence: 0.95,
    tolerance: 0.05,
};

fn test_of(y: &[Vec<f64>]) -> VerdictTest {
    let steps: Vec<String> = (0..y[0].len()).map(|k| format!("dose {k}")).collect();
    analyse(y, &steps, SETTINGS, &mut ChaCha8Rng::seed_from_u64(2)).verdict
}

fn verdict(y: &[Vec<f64>]) -> Verdict {
    test_of(y).verdict
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

/// The pattern found in the first version: a large first cut, then steps that each give some
/// of it back. The marginal effects shrink in size, which the old test called "diminishing".
#[test]
fn a_first_cut_partly_undone_by_later_steps_is_a_reversal_naming_the_step() {
    let m = [-21.1, 4.7, 4.2, 2.1, 2.1];
    let t = test_of(&replicates(|k, e| {
        50.0 + m[..k].iter().sum::<f64>() + e * (1.0 + k as f64 * 0.01)
    }));
    assert_eq!(t.verdict, Verdict::Reversal);
    assert_eq!(t.reversal_step, Some(2));
    assert_eq!(t.step_directions, vec![-1, 1, 1, 1, 1]);
    assert!(t.statement.contains("step 2 (dose 2)"), "{}", t.statement);
    assert!(
        t.statement.contains("undo 62%"),
        "13.1 of −21.1 is undone: {}",
        t.statement
    );
}

#[test]
fn a_diminishing_verdict_names_the_steps_that_go_against_it() {
    // The rounds_2022_2025 pattern: a large first cut, then small ones, the third larger
    // than the second. The slope is negative, but not every step is smaller than the last.
    let m = [-45.0, -0.1, -2.5, -0.2, -0.1];
    let t = test_of(&replicates(|k, e| {
        60.0 + m[..k].iter().sum::<f64>() + 0.001 * e
    }));
    assert_eq!(t.verdict, Verdict::Diminishing);
    assert!(
        t.statement.contains("not at every step")
            && t.statement
                .contains("step 3 (dose 3) moves it more than step 2 (dose 2)"),
        "{}",
        t.statement
    );
    assert!(
        !t.statement.contains("; each moves it less"),
        "{}",
        t.statement
    );
    let steady = test_of(&replicates(|k, e| 100.0 * (-(k as f64) / 2.0).exp() + e));
    assert!(
        steady
            .statement
            .contains("each moves it less than the one before")
            && !steady.statement.contains("not at every step"),
        "{}",
        steady.statement
    );
}

#[test]
fn a_response_that_turns_twice_is_non_monotone() {
    let m = [-5.0, 5.0, -5.0, 5.0, -5.0];
    let t = test_of(&replicates(|k, e| m[..k].iter().sum::<f64>() + e));
    assert_eq!(t.verdict, Verdict::NonMonotone);
    assert_eq!(t.reversal_step, None);
    assert!(t.statement.contains("changes 4 times"), "{}", t.statement);
}

#[test]
fn a_step_indistinguishable_from_zero_makes_the_shape_inconclusive() {
    // Steps −10, −5, ±noise, −2, −1: shrinking, but one step does not move the outcome.
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let y: Vec<Vec<f64>> = (0..60)
        .map(|_| {
            let wobble = rng.random::<f64>() - 0.5;
            let m = [-10.0, -5.0, wobble, -2.0, -1.0];
            (0..6).map(|k| m[..k].iter().sum::<f64>()).collect()
        })
        .collect();
    let t = test_of(&y);
    assert_eq!(t.verdict, Verdict::Inconclusive);
    assert_eq!(t.step_directions, vec![-1, -1, 0, -1, -1]);
    assert!(t.statement.contains("step 3 (dose 3)"), "{}", t.statement);
}

#[test]
fn two_doses_are_inconclusive_about_curvature() {
    let y: Vec<Vec<f64>> = (0..10).map(|r| vec![r as f64, r as f64 - 1.0]).collect();
    let t = test_of(&y);
    assert_eq!(t.verdict, Verdict::Inconclusive);
    assert!(t.statement.contains("three doses"));
    assert!(t.slope.is_nan());
}

#[test]
fn on_pure_noise_a_shape_is_claimed_about_as_rarely_as_the_confidence_allows() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    let datasets = 100;
    let settings = Settings {
        resamples: 200,
        ..SETTINGS
    };
    let steps: Vec<String> = (0..6).map(|k| k.to_string()).collect();
    let claimed = (0..datasets)
        .filter(|_| {
            let y: Vec<Vec<f64>> = (0..30)
                .map(|_| (0..6).map(|_| rng.random::<f64>()).collect())
                .collect();
            let v = analyse(&y, &steps, settings, &mut rng).verdict.verdict;
            matches!(
                v,
                Verdict::Diminishing | Verdict::Increasing | Verdict::Constant
            )
        })
        .count();
    assert!(
        claimed <= 5,
        "{claimed} of {datasets} noise datasets were given a shape"
    );
}

#[test]
fn effects_and_differences_are_the_paired_means() {
    let y = vec![vec![10.0, 7.0, 5.0], vec![12.0, 9.0, 7.0]];
    let steps = vec![String::new(); 3];
    let settings = Settings {
        resamples: 100,
        confidence: 0.9,
        tolerance: 0.05,
    };
    let r = analyse(&y, &steps, settings, &mut ChaCha8Rng::seed_from_u64(3));
    assert_eq!(r.effect[2].estimate, -5.0);
    assert_eq!(r.marginal[1].unwrap().estimate, -3.0);
    assert_eq!(r.second_difference[2].unwrap().estimate, 1.0);
    assert_eq!(r.level[0].estimate, 11.0);
}
