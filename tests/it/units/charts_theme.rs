//! Tests of `src/charts/theme.rs`.

use chokepoint::charts::theme::*;
use std::collections::BTreeSet;

#[test]
fn group_assignment_is_distinct_and_order_free() {
    let ids: BTreeSet<String> = ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let m = assign_group(&ids);
    let distinct: BTreeSet<_> = m.values().map(|(c, d)| (c.0, c.1, c.2, *d as u8)).collect();
    assert_eq!(distinct.len(), ids.len());
    assert_eq!(assign_group(&ids), m);
}

#[test]
fn a_firm_has_its_home_states_colour_and_firms_of_a_sector_never_share_one() {
    let firms = [
        ("tsmc", "foundry", "TW"),
        ("umc", "foundry", "TW"),
        ("smic", "foundry", "CN"),
        ("samsung", "foundry", "KR"),
        ("nvidia", "ai", "US"),
        ("amd", "ai", "US"),
        ("intel", "ai", "US"),
    ];
    let m = ColourMap::new(firms);
    assert_eq!(m.firm("smic"), state_colour("CN"));
    assert_eq!(m.firm("tsmc"), state_colour("TW"), "first TW firm by id");
    assert_ne!(m.firm("umc"), m.firm("tsmc"));
    let ai: BTreeSet<_> = ["nvidia", "amd", "intel"]
        .iter()
        .map(|f| {
            let c = m.firm(f);
            (c.0, c.1, c.2)
        })
        .collect();
    assert_eq!(ai.len(), 3);
    // No firm takes the colour of a state other than its home (states after the twelfth
    // share an earlier state's colour, told apart by their dotted lines).
    for (f, _, home) in firms {
        for state in STATE_ORDER.iter().chain([&ROW_CODE]) {
            if *state != home && state_style(state).1 == Dash::Solid {
                assert_ne!(m.firm(f), state_colour(state), "{f} looks like {state}");
            }
        }
    }
}

#[test]
fn known_states_have_fixed_colours() {
    assert_eq!(state_colour("US"), Rgb::hex(0x0072B2));
    assert_eq!(state_colour("CN"), Rgb::hex(0xD55E00));
    assert_eq!(state_colour("XX"), state_colour("XX"));
    // The thirteenth state reuses the first colour with another line style.
    assert_eq!(state_style("CA"), (state_colour("US"), Dash::Dotted));
}

/// sRGB → CIELAB (D65), after simulating a dichromacy with a linear-RGB matrix.
fn lab_seen(c: Rgb, m: &[[f64; 3]; 3]) -> [f64; 3] {
    let lin = |v: u8| {
        let v = f64::from(v) / 255.0;
        if v <= 0.04045 {
            v / 12.92
        } else {
            ((v + 0.055) / 1.055).powf(2.4)
        }
    };
    let rgb = [lin(c.0), lin(c.1), lin(c.2)];
    let s: Vec<f64> = (0..3)
        .map(|i| {
            (0..3)
                .map(|j| m[i][j] * rgb[j])
                .sum::<f64>()
                .clamp(0.0, 1.0)
        })
        .collect();
    let x = 0.4124 * s[0] + 0.3576 * s[1] + 0.1805 * s[2];
    let y = 0.2126 * s[0] + 0.7152 * s[1] + 0.0722 * s[2];
    let z = 0.0193 * s[0] + 0.1192 * s[1] + 0.9505 * s[2];
    let f = |t: f64| {
        if t > 0.008856 {
            t.cbrt()
        } else {
            7.787 * t + 16.0 / 116.0
        }
    };
    let (fx, fy, fz) = (f(x / 0.95047), f(y), f(z / 1.08883));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

#[test]
fn palette_stays_distinct_for_colour_blind_readers() {
    // Machado, Oliveira & Fernandes (2009), severity 1.0, applied to linear RGB.
    let vision: [(&str, [[f64; 3]; 3]); 4] = [
        (
            "normal",
            [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
        ),
        (
            "protanopia",
            [
                [0.152286, 1.052583, -0.204868],
                [0.114503, 0.786281, 0.099216],
                [-0.003882, -0.048116, 1.051998],
            ],
        ),
        (
            "deuteranopia",
            [
                [0.367322, 0.860646, -0.227968],
                [0.280085, 0.672501, 0.047413],
                [-0.011820, 0.042940, 0.968881],
            ],
        ),
        (
            "tritanopia",
            [
                [1.255528, -0.076749, -0.178779],
                [-0.078411, 0.930809, 0.147602],
                [0.004733, 0.691367, 0.303900],
            ],
        ),
    ];
    for (name, m) in &vision {
        for (i, a) in PALETTE.iter().enumerate() {
            for b in &PALETTE[i + 1..] {
                let (la, lb) = (lab_seen(*a, m), lab_seen(*b, m));
                let de =
                    ((la[0] - lb[0]).powi(2) + (la[1] - lb[1]).powi(2) + (la[2] - lb[2]).powi(2))
                        .sqrt();
                assert!(
                    de >= 10.0,
                    "{a:?} and {b:?} are only {de:.1} apart for {name}"
                );
            }
        }
    }
    // 36 series get 36 different styles.
    let styles: BTreeSet<_> = (0..36)
        .map(|i| {
            let (c, d) = series_style(i);
            (c.0, c.1, c.2, d as u8)
        })
        .collect();
    assert_eq!(styles.len(), 36);
}
