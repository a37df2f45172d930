//! Tests of `src/sweep/design.rs`.

use chokepoint::sweep::design::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn rng(seed: u64) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(seed)
}

fn assert_stratified(values: &[f64]) {
    let n = values.len();
    let mut seen = vec![false; n];
    for &x in values {
        assert!((0.0..1.0).contains(&x), "{x} outside [0, 1)");
        let k = (x * n as f64).floor() as usize;
        assert!(!seen[k], "stratum {k} of {n} hit twice");
        seen[k] = true;
    }
}

#[test]
fn normal_quantile_matches_tabulated_values() {
    let z = Distribution::Normal { mean: 0.0, sd: 1.0 };
    assert!((z.quantile(0.975) - 1.959_963_984_540_054).abs() < 1e-12);
    assert!((z.quantile(0.025) + 1.959_963_984_540_054).abs() < 1e-12);
    assert!((z.quantile(0.9) - 1.281_551_565_544_600_5).abs() < 1e-12);
    assert!((z.quantile(0.999) - 3.090_232_306_167_813_5).abs() < 1e-12);
    assert!((z.quantile(1e-10) + 6.361_340_902_404_056).abs() < 1e-9);
    assert_eq!(z.quantile(0.5), 0.0);
    let shifted = Distribution::Normal {
        mean: 10.0,
        sd: 2.0,
    };
    assert!((shifted.quantile(0.975) - (10.0 + 2.0 * 1.959_964)).abs() < 1e-5);
}

#[test]
fn normal_quantile_clamps_extreme_probabilities_to_finite_values() {
    let z = Distribution::Normal { mean: 0.0, sd: 1.0 };
    let hi = z.quantile(1.0);
    let lo = z.quantile(0.0);
    assert!(hi.is_finite() && lo.is_finite());
    assert_eq!(hi, z.quantile(1.0 - 1e-12));
    assert_eq!(lo, z.quantile(1e-12));
    // Python statistics.NormalDist().inv_cdf (also AS 241) at 1e-12 and 1 - 1e-12.
    assert!((lo + 7.034_483_825_301_132).abs() < 1e-12);
    assert!((hi - 7.034_486_910_047_836).abs() < 1e-12);
}

#[test]
fn bounded_quantiles_hit_their_analytic_medians_and_endpoints() {
    let uni = Distribution::Uniform {
        low: -2.0,
        high: 6.0,
    };
    assert_eq!(uni.quantile(0.5), 2.0);
    assert_eq!(uni.quantile(0.0), -2.0);
    assert_eq!(uni.quantile(1.0), 6.0);

    let log = Distribution::LogUniform {
        low: 1e-3,
        high: 1e3,
    };
    assert!((log.quantile(0.5) - 1.0).abs() < 1e-12);
    let log2 = Distribution::LogUniform {
        low: 2.0,
        high: 8.0,
    };
    assert!((log2.quantile(0.5) - 4.0).abs() < 1e-12);
    assert_eq!(log2.quantile(0.0), 2.0);
    assert_eq!(log2.quantile(1.0), 8.0);

    let sym = Distribution::Triangular {
        low: 0.0,
        mode: 1.0,
        high: 2.0,
    };
    assert!((sym.quantile(0.5) - 1.0).abs() < 1e-12);
    // Right-angled triangle on [0, 1] with mode 0: median = 1 - sqrt(1/2).
    let right = Distribution::Triangular {
        low: 0.0,
        mode: 0.0,
        high: 1.0,
    };
    assert!((right.quantile(0.5) - (1.0 - 0.5f64.sqrt())).abs() < 1e-12);
    // Mode 3 on [0, 4]: CDF(mode) = 3/4, median = sqrt(0.5 * 4 * 3).
    let skew = Distribution::Triangular {
        low: 0.0,
        mode: 3.0,
        high: 4.0,
    };
    assert!((skew.quantile(0.5) - 6.0f64.sqrt()).abs() < 1e-12);
    assert!((skew.quantile(0.75) - 3.0).abs() < 1e-12);
    assert_eq!(skew.quantile(0.0), 0.0);
    assert_eq!(skew.quantile(1.0), 4.0);
}

#[test]
fn each_invalid_distribution_gets_its_own_error() {
    use DesignError as E;
    let cases = [
        (
            Distribution::Uniform {
                low: 1.0,
                high: 1.0,
            },
            "empty",
        ),
        (
            Distribution::Uniform {
                low: 2.0,
                high: 1.0,
            },
            "inverted",
        ),
        (
            Distribution::Uniform {
                low: f64::NAN,
                high: 1.0,
            },
            "nonfinite",
        ),
        (Distribution::Normal { mean: 0.0, sd: 0.0 }, "sd"),
        (
            Distribution::Normal {
                mean: 0.0,
                sd: -1.0,
            },
            "sd",
        ),
        (
            Distribution::Normal {
                mean: f64::INFINITY,
                sd: 1.0,
            },
            "nonfinite",
        ),
        (
            Distribution::LogUniform {
                low: 0.0,
                high: 1.0,
            },
            "loglow",
        ),
        (
            Distribution::LogUniform {
                low: -1.0,
                high: 1.0,
            },
            "loglow",
        ),
        (
            Distribution::LogUniform {
                low: 3.0,
                high: 1.0,
            },
            "inverted",
        ),
        (
            Distribution::Triangular {
                low: 0.0,
                mode: 2.0,
                high: 1.0,
            },
            "mode",
        ),
        (
            Distribution::Triangular {
                low: 0.0,
                mode: -0.1,
                high: 1.0,
            },
            "mode",
        ),
        (
            Distribution::Triangular {
                low: 0.0,
                mode: f64::NAN,
                high: 1.0,
            },
            "nonfinite",
        ),
        (
            Distribution::Triangular {
                low: 0.0,
                mode: 0.0,
                high: 0.0,
            },
            "empty",
        ),
    ];
    for (dist, kind) in cases {
        let err = dist.validate().expect_err("must be rejected");
        let ok = match kind {
            "empty" => matches!(err, E::EmptyRange { .. }),
            "inverted" => matches!(err, E::InvertedRange { .. }),
            "nonfinite" => matches!(err, E::NonFiniteParameter { .. }),
            "sd" => matches!(err, E::NonPositiveSd { .. }),
            "loglow" => matches!(err, E::NonPositiveLogLow { .. }),
            "mode" => matches!(err, E::ModeOutsideRange { .. }),
            _ => false,
        };
        assert!(ok, "{dist:?} gave {err:?}, expected {kind}");
        assert!(!err.to_string().is_empty());
    }
    assert_eq!(
        Distribution::Normal {
            mean: f64::INFINITY,
            sd: 1.0
        }
        .validate(),
        Err(E::NonFiniteParameter {
            name: "mean",
            value: f64::INFINITY
        })
    );
    for ok in [
        Distribution::Uniform {
            low: 0.0,
            high: 1.0,
        },
        Distribution::Normal {
            mean: -3.0,
            sd: 0.1,
        },
        Distribution::LogUniform {
            low: 1e-6,
            high: 1.0,
        },
        Distribution::Triangular {
            low: 0.0,
            mode: 0.0,
            high: 1.0,
        },
        Distribution::Triangular {
            low: 0.0,
            mode: 1.0,
            high: 1.0,
        },
    ] {
        assert_eq!(ok.validate(), Ok(()));
    }
}

#[test]
fn random_points_lie_in_the_unit_cube_and_repeat_with_the_seed() {
    let a = random_points(100, 4, &mut rng(1));
    assert_eq!(a.len(), 100);
    assert!(
        a.iter()
            .all(|r| r.len() == 4 && r.iter().all(|x| (0.0..1.0).contains(x)))
    );
    assert_eq!(a, random_points(100, 4, &mut rng(1)));
    assert_ne!(a, random_points(100, 4, &mut rng(2)));
}

#[test]
fn latin_hypercube_puts_one_point_in_every_stratum_of_every_dimension() {
    for n in [1, 2, 7, 100] {
        let pts = latin_hypercube(n, 5, &mut rng(n as u64));
        assert_eq!(pts.len(), n);
        for d in 0..5 {
            let col: Vec<f64> = pts.iter().map(|r| r[d]).collect();
            assert_stratified(&col);
        }
    }
    assert!(latin_hypercube(0, 3, &mut rng(0)).is_empty());
}

#[test]
fn latin_hypercube_is_bit_identical_for_the_same_seed() {
    let a = latin_hypercube(50, 6, &mut rng(42));
    let b = latin_hypercube(50, 6, &mut rng(42));
    let bits =
        |p: &Vec<Vec<f64>>| -> Vec<u64> { p.iter().flatten().map(|x| x.to_bits()).collect() };
    assert_eq!(bits(&a), bits(&b));
    assert_ne!(bits(&a), bits(&latin_hypercube(50, 6, &mut rng(43))));
}

/// First 8 points of the unscrambled 3-D Sobol' sequence, as printed by
/// SciPy 1.17 `qmc.Sobol(d=3, scramble=False).random(8)` (Joe–Kuo directions).
const SCIPY_FIRST_8: [[f64; 3]; 8] = [
    [0.0, 0.0, 0.0],
    [0.5, 0.5, 0.5],
    [0.75, 0.25, 0.25],
    [0.25, 0.75, 0.75],
    [0.375, 0.375, 0.625],
    [0.875, 0.875, 0.125],
    [0.625, 0.125, 0.875],
    [0.125, 0.625, 0.375],
];

#[test]
fn sobol_first_points_match_the_reference_sequence() {
    let pts = sobol_points(8, 3, 0).expect("valid request");
    for (got, want) in pts.iter().zip(SCIPY_FIRST_8) {
        assert_eq!(got.as_slice(), want.as_slice());
    }
    // Skipping continues the same sequence.
    let tail = sobol_points(5, 3, 3).expect("valid request");
    for (got, want) in tail.iter().zip(&SCIPY_FIRST_8[3..]) {
        assert_eq!(got.as_slice(), want.as_slice());
    }
}

#[test]
fn sobol_all_41_dimensions_match_reference_points_far_into_the_sequence() {
    // SciPy 1.17: Sobol(d=41, scramble=False), fast_forward(index), times 2^17.
    let reference: [(usize, [u32; 41]); 2] = [
        (
            12345,
            [
                84008, 106616, 21016, 69048, 116456, 7720, 16680, 14856, 105096, 56312, 9736,
                78488, 122024, 123448, 4520, 83992, 8200, 6680, 41864, 45016, 26120, 10648, 79560,
                113080, 57848, 38760, 47976, 63176, 11496, 53016, 37608, 86776, 65880, 86680,
                24936, 119352, 344, 42248, 125816, 124280, 28248,
            ],
        ),
        (
            100000,
            [
                8005, 14101, 123677, 81371, 79371, 126573, 7997, 4685, 2673, 100921, 36431, 59227,
                74081, 25803, 12609, 7771, 127815, 32269, 56835, 14275, 32067, 16711, 89601, 11525,
                13973, 64081, 20049, 38067, 125127, 17091, 89861, 62215, 40753, 35765, 80375,
                64119, 10515, 60997, 111773, 36565, 98781,
            ],
        ),
    ];
    for (index, numerators) in reference {
        let pts = sobol_points(1, SOBOL_MAX_DIMS, index).expect("valid request");
        let want: Vec<f64> = numerators
            .iter()
            .map(|&m| f64::from(m) / 131_072.0)
            .collect();
        assert_eq!(pts[0], want, "point {index}");
    }
}

#[test]
fn sobol_gray_code_iteration_agrees_with_direct_skipping() {
    let all = sobol_points(300, SOBOL_MAX_DIMS, 0).expect("valid request");
    for skip in [1, 2, 63, 64, 65, 127, 200] {
        let one = sobol_points(1, SOBOL_MAX_DIMS, skip).expect("valid request");
        assert_eq!(one[0], all[skip]);
    }
}

#[test]
fn sobol_first_power_of_two_points_are_exactly_stratified_in_each_dimension() {
    let pts = sobol_points(1 << 12, SOBOL_MAX_DIMS, 0).expect("valid request");
    for k in 0..=12 {
        let n = 1usize << k;
        for d in 0..SOBOL_MAX_DIMS {
            let col: Vec<f64> = pts[..n].iter().map(|r| r[d]).collect();
            assert_stratified(&col);
        }
        // The next 2^k points are stratified too (k < 12 so they fit).
        if k < 12 {
            for d in 0..SOBOL_MAX_DIMS {
                let col: Vec<f64> = pts[n..2 * n].iter().map(|r| r[d]).collect();
                assert_stratified(&col);
            }
        }
    }
}

#[test]
fn joe_kuo_table_rows_are_well_formed() {
    for (row, &(s, a, m)) in JOE_KUO.iter().enumerate() {
        assert_eq!(m.len(), s as usize, "row {row}");
        assert!(a < (1 << (s - 1)).max(1), "row {row}");
        for (k, &mk) in m.iter().enumerate() {
            assert!(mk % 2 == 1 && mk < (2 << k), "row {row} m_{}", k + 1);
        }
    }
}

#[test]
fn sobol_rejects_zero_too_many_dimensions_and_overlong_requests() {
    assert_eq!(sobol_points(4, 0, 0), Err(DesignError::ZeroDimensions));
    assert_eq!(
        sobol_points(4, SOBOL_MAX_DIMS + 1, 0),
        Err(DesignError::TooManyDimensions {
            requested: SOBOL_MAX_DIMS + 1,
            max: SOBOL_MAX_DIMS
        })
    );
    assert_eq!(
        sobol_points(2, 1, (1usize << 32) - 1),
        Err(DesignError::SequenceTooLong {
            requested: (1 << 32) + 1,
            max: 1 << 32
        })
    );
    assert!(sobol_points(1, 1, usize::MAX).is_err());
    assert_eq!(sobol_points(0, 2, 0), Ok(vec![]));
}

#[test]
fn saltelli_blocks_are_a_b_then_a_with_one_column_from_b() {
    let d = 3;
    let design = saltelli(16, d, &mut rng(1)).expect("valid request");
    assert_eq!(design.points.len(), 16 * (d + 2));
    assert_eq!(design.block_len(), d + 2);
    for block in design.points.chunks(d + 2) {
        let (a, b) = (&block[0], &block[1]);
        for i in 0..d {
            for c in 0..d {
                let want = if c == i { b[c] } else { a[c] };
                assert_eq!(block[2 + i][c], want);
            }
        }
        assert!(a.iter().chain(b).all(|&x| x > 0.0 && x < 1.0));
    }
}

/// The unscrambled sequence's point 1 is ½ everywhere (A = B) and its early points repeat
/// coordinates across dimensions (AB_i = A); the digital shift removes both and keeps every
/// column exactly stratified.
#[test]
fn saltelli_has_no_degenerate_rows_and_stays_stratified() {
    let (n, d) = (64, 7);
    let design = saltelli(n, d, &mut rng(3)).expect("valid request");
    for (j, block) in design.points.chunks(d + 2).enumerate() {
        assert_ne!(block[0], block[1], "A_{j} = B_{j}");
        for i in 0..d {
            assert_ne!(block[2 + i], block[0], "AB_{j}^{i} = A_{j}");
        }
    }
    for c in 0..d {
        for row in [0, 1] {
            let column: Vec<f64> = design.points.chunks(d + 2).map(|b| b[row][c]).collect();
            assert_stratified(&column);
        }
    }
    let again = saltelli(n, d, &mut rng(3)).expect("valid request");
    assert_eq!(design, again, "the same seed gives the same design");
    assert_ne!(design, saltelli(n, d, &mut rng(4)).expect("valid request"));
}

#[test]
fn saltelli_rejects_bad_sizes() {
    assert_eq!(
        saltelli(1, 2, &mut rng(0)),
        Err(DesignError::TooFewBaseSamples { n_base: 1 })
    );
    assert_eq!(
        saltelli(8, 0, &mut rng(0)),
        Err(DesignError::ZeroDimensions)
    );
    assert_eq!(
        saltelli(8, SALTELLI_MAX_DIMS + 1, &mut rng(0)),
        Err(DesignError::TooManyDimensions {
            requested: SALTELLI_MAX_DIMS + 1,
            max: SALTELLI_MAX_DIMS
        })
    );
    assert!(saltelli(4, SALTELLI_MAX_DIMS, &mut rng(0)).is_ok());
    assert_eq!(SALTELLI_MAX_DIMS, 20);
}

#[test]
fn morris_trajectories_move_each_coordinate_once_by_delta_on_the_grid() {
    let (r, d, p) = (30, 5, 6);
    let design = morris(r, d, p, &mut rng(7)).expect("valid request");
    assert_eq!(design.points.len(), r * (d + 1));
    let delta = design.delta();
    assert!((delta - 0.6).abs() < 1e-15);
    let mut ups = 0;
    for traj in design.points.chunks(d + 1) {
        let mut moved = vec![false; d];
        for w in traj.windows(2) {
            let changed: Vec<usize> = (0..d).filter(|&c| w[0][c] != w[1][c]).collect();
            assert_eq!(changed.len(), 1);
            let c = changed[0];
            assert!(!moved[c], "coordinate {c} moved twice");
            moved[c] = true;
            let step = w[1][c] - w[0][c];
            assert!((step.abs() - delta).abs() < 1e-12);
            ups += usize::from(step > 0.0);
        }
        for x in traj.iter().flatten() {
            let level = x * (p - 1) as f64;
            assert!((level - level.round()).abs() < 1e-12 && (0.0..=1.0).contains(x));
        }
    }
    // Directions are random: both occur.
    assert!(ups > 0 && ups < r * d);
}

#[test]
fn morris_is_bit_identical_for_the_same_seed() {
    let a = morris(10, 4, 4, &mut rng(99)).expect("valid request");
    let b = morris(10, 4, 4, &mut rng(99)).expect("valid request");
    let bits =
        |m: &MorrisDesign| -> Vec<u64> { m.points.iter().flatten().map(|x| x.to_bits()).collect() };
    assert_eq!(bits(&a), bits(&b));
    assert_ne!(
        bits(&a),
        bits(&morris(10, 4, 4, &mut rng(100)).expect("valid request"))
    );
}

#[test]
fn morris_rejects_odd_or_too_few_levels_and_too_few_trajectories() {
    let mut r = rng(0);
    assert_eq!(
        morris(4, 2, 5, &mut r),
        Err(DesignError::InvalidLevels { levels: 5 })
    );
    assert_eq!(
        morris(4, 2, 2, &mut r),
        Err(DesignError::InvalidLevels { levels: 2 })
    );
    assert_eq!(
        morris(1, 2, 4, &mut r),
        Err(DesignError::TooFewTrajectories { trajectories: 1 })
    );
    assert_eq!(morris(4, 0, 4, &mut r), Err(DesignError::ZeroDimensions));
    assert_eq!(
        morris(usize::MAX, 3, 4, &mut r),
        Err(DesignError::DesignTooLarge)
    );
    assert_eq!(
        morris(4, usize::MAX, 4, &mut r),
        Err(DesignError::DesignTooLarge)
    );
}

#[test]
fn every_error_has_a_distinct_message() {
    use DesignError as E;
    let all = [
        E::NonFiniteParameter {
            name: "sd",
            value: f64::NAN,
        },
        E::EmptyRange {
            low: 1.0,
            high: 1.0,
        },
        E::InvertedRange {
            low: 2.0,
            high: 1.0,
        },
        E::NonPositiveSd { sd: 0.0 },
        E::NonPositiveLogLow { low: 0.0 },
        E::ModeOutsideRange {
            low: 0.0,
            mode: 2.0,
            high: 1.0,
        },
        E::ZeroDimensions,
        E::DesignTooLarge,
        E::TooManyDimensions {
            requested: 50,
            max: 41,
        },
        E::SequenceTooLong {
            requested: 1 << 33,
            max: 1 << 32,
        },
        E::TooFewBaseSamples { n_base: 1 },
        E::TooFewTrajectories { trajectories: 1 },
        E::InvalidLevels { levels: 3 },
        E::OutputLengthMismatch {
            expected: 10,
            got: 9,
        },
        E::NonFiniteOutput {
            index: 3,
            value: f64::NAN,
        },
        E::ZeroVariance,
        E::NonFiniteVariance,
        E::InvalidConfidence { confidence: 1.5 },
        E::NoBootstrapResamples,
        E::InconsistentDesign("why".to_string()),
    ];
    let messages: Vec<String> = all.iter().map(ToString::to_string).collect();
    for (i, m) in messages.iter().enumerate() {
        assert!(m.len() > 10, "{m}");
        assert!(!messages[..i].contains(m), "duplicate message {m}");
    }
}
