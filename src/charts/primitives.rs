//! Building blocks plotters lacks: stacked areas, quantile/confidence bands, grouped bars with
//! interval whiskers. Each returns [`Layer`]s in data coordinates.

use super::figure::{Dash, Figure, Layer};
use super::theme::{Rgb, WHITE};

/// Stacked areas, first series at the bottom. `series[i].1[j]` is the value at `xs[j]`; missing
/// (NaN) and negative values count as 0. Areas are separated by thin white lines.
pub(crate) fn stacked_area(xs: &[f64], series: &[(Rgb, Vec<f64>)], sep_pt: f64) -> Vec<Layer> {
    let mut cum = vec![0.0; xs.len()];
    let mut areas = Vec::new();
    let mut seps = Vec::new();
    for (color, values) in series {
        let lower = cum.clone();
        for (c, v) in cum.iter_mut().zip(values) {
            if v.is_finite() && *v > 0.0 {
                *c += v;
            }
        }
        let mut pts: Vec<(f64, f64)> = xs.iter().copied().zip(cum.iter().copied()).collect();
        pts.extend(xs.iter().copied().zip(lower.iter().copied()).rev());
        areas.push(Layer::Area {
            pts,
            color: *color,
            alpha: 1.0,
        });
        seps.push(Layer::Line {
            pts: xs.iter().copied().zip(cum.iter().copied()).collect(),
            color: WHITE,
            width_pt: sep_pt,
            dash: Dash::Solid,
            markers: false,
        });
    }
    // The top boundary of the last layer is the outline of the whole stack: no separator there.
    seps.pop();
    areas.extend(seps);
    areas
}

/// A filled band between `lo` and `hi`; points where either is missing are skipped.
pub(crate) fn band(xs: &[f64], lo: &[f64], hi: &[f64], color: Rgb, alpha: f64) -> Layer {
    let ok: Vec<usize> = (0..xs.len())
        .filter(|&i| lo[i].is_finite() && hi[i].is_finite())
        .collect();
    let mut pts: Vec<(f64, f64)> = ok.iter().map(|&i| (xs[i], hi[i])).collect();
    pts.extend(ok.iter().rev().map(|&i| (xs[i], lo[i])));
    Layer::Area { pts, color, alpha }
}

pub(crate) fn line(
    xs: &[f64],
    ys: &[f64],
    color: Rgb,
    width_pt: f64,
    dash: Dash,
    markers: bool,
) -> Layer {
    Layer::Line {
        pts: xs.iter().copied().zip(ys.iter().copied()).collect(),
        color,
        width_pt,
        dash,
        markers,
    }
}

/// Opacity of the outer (90%) and inner (50%) fan bands.
pub(crate) const FAN_OUTER_ALPHA: f64 = 0.2;
pub(crate) const FAN_INNER_ALPHA: f64 = 0.42;

/// A fan chart: p05–p95 and p25–p75 bands around the median line.
pub(crate) fn fan(xs: &[f64], q: [&[f64]; 5], color: Rgb, width_pt: f64) -> Vec<Layer> {
    vec![
        band(xs, q[0], q[4], color, FAN_OUTER_ALPHA),
        band(xs, q[1], q[3], color, FAN_INNER_ALPHA),
        line(xs, q[2], color, width_pt, Dash::Solid, false),
    ]
}

/// An estimate with its interval.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Est {
    pub est: f64,
    pub lo: f64,
    pub hi: f64,
}

/// Grouped bars: category `c` sits at position `c` (0, 1, …); group `g` of `groups.len()` is
/// dodged within a slot 0.8 wide. `groups[g][c]` is the estimate of group `g` at category `c`.
/// Horizontal bars grow along x from 0 with categories on y. Whiskers are drawn where both
/// interval ends are finite.
pub(crate) fn grouped_bars(groups: &[(Rgb, Vec<Option<Est>>)], horizontal: bool) -> Vec<Layer> {
    let n = groups.len().max(1) as f64;
    let slot = 0.8;
    let w = slot / n;
    let mut bars = Vec::new();
    let mut whiskers = Vec::new();
    for (g, (color, vals)) in groups.iter().enumerate() {
        for (c, v) in vals.iter().enumerate() {
            let Some(v) = v else { continue };
            if !v.est.is_finite() {
                continue;
            }
            // Vertical bars run left to right in group order; horizontal bars top to bottom,
            // so the legend order reads the same way as the bars.
            let centre = if horizontal {
                c as f64 + slot / 2.0 - w * (g as f64 + 0.5)
            } else {
                c as f64 - slot / 2.0 + w * (g as f64 + 0.5)
            };
            let (a, b) = (centre - w * 0.42, centre + w * 0.42);
            if horizontal {
                bars.push(Layer::Bar {
                    x0: 0.0,
                    x1: v.est,
                    y0: a,
                    y1: b,
                    color: *color,
                    alpha: 1.0,
                });
                if v.lo.is_finite() && v.hi.is_finite() {
                    whiskers.push(Layer::Whisker {
                        a: (v.lo, centre),
                        b: (v.hi, centre),
                        color: super::theme::BLACK,
                    });
                }
            } else {
                bars.push(Layer::Bar {
                    x0: a,
                    x1: b,
                    y0: 0.0,
                    y1: v.est,
                    color: *color,
                    alpha: 1.0,
                });
                if v.lo.is_finite() && v.hi.is_finite() {
                    whiskers.push(Layer::Whisker {
                        a: (centre, v.lo),
                        b: (centre, v.hi),
                        color: super::theme::BLACK,
                    });
                }
            }
        }
    }
    bars.extend(whiskers);
    bars
}

/// A horizontal or vertical reference line across the panel (e.g. zero).
pub(crate) fn hline(y: f64, x0: f64, x1: f64) -> Layer {
    Layer::Line {
        pts: vec![(x0, y), (x1, y)],
        color: Rgb::hex(0x555555),
        width_pt: 0.5,
        dash: Dash::Solid,
        markers: false,
    }
}

pub(crate) fn vline(x: f64, y0: f64, y1: f64) -> Layer {
    Layer::Line {
        pts: vec![(x, y0), (x, y1)],
        color: Rgb::hex(0x555555),
        width_pt: 0.5,
        dash: Dash::Solid,
        markers: false,
    }
}

/// Dated events as dashed vertical lines across every panel whose dates include them, listed in
/// the caption as "Dashed lines: `what` (…)", so a jump in a series can be read against the event
/// that caused it. Lines go under line series; over filled areas (which would hide them) they are
/// drawn on top with a white halo, so they show on light and dark fills alike.
pub(crate) fn mark_events(fig: &mut Figure, events: &[(f64, String)], what: &str) {
    let mut listed: Vec<&str> = Vec::new();
    for panel in &mut fig.panels {
        let (x0, x1) = (panel.x.min, panel.x.max);
        let (y0, y1) = (panel.y.min, panel.y.max);
        let filled = panel.layers.iter().any(|l| matches!(l, Layer::Area { .. }));
        let inside: Vec<&(f64, String)> = events
            .iter()
            .filter(|(x, _)| *x >= x0 && *x <= x1)
            .collect();
        for (i, (x, label)) in inside.iter().enumerate() {
            let mark = |color: Rgb, width_pt: f64, dash: Dash| Layer::Line {
                pts: vec![(*x, y0), (*x, y1)],
                color,
                width_pt,
                dash,
                markers: false,
            };
            if filled {
                panel.layers.push(mark(WHITE, 0.75, Dash::Solid));
                panel
                    .layers
                    .push(mark(Rgb::hex(0x333333), 0.4, Dash::Dashed));
            } else {
                panel
                    .layers
                    .insert(i, mark(Rgb::hex(0x999999), 0.5, Dash::Dashed));
            }
            if !listed.contains(&label.as_str()) {
                listed.push(label);
            }
        }
    }
    if listed.is_empty() {
        return;
    }
    let note = format!(" Dashed lines: {what} ({}).", listed.join("; "));
    match fig.caption.rfind(" Scenario: ") {
        Some(at) => fig.caption.insert_str(at, &note),
        None => fig.caption.push_str(&note),
    }
}
