//! A chart as data (a [`Figure`]: panels of layers, axes, legend) and its layout in points.
//!
//! Chart builders only produce `Figure`s, after checking their data; nothing touches the disk
//! until every requested figure has been built, so bad input never leaves a file behind.
//!
//! Public so that `tests/it/units/charts_figure.rs` can lay out figures built by hand (legend and
//! title wrapping); chart builders outside this crate are not supported.

use super::font::{CAP_HEIGHT_EM, text_width_pt};
pub(crate) use super::theme::Dash;
use super::theme::{Rgb, Theme};

/// Something drawn in data coordinates.
#[derive(Clone, Debug)]
pub enum Layer {
    /// A filled polygon (stacked-area layer, confidence or quantile band).
    Area {
        pts: Vec<(f64, f64)>,
        color: Rgb,
        alpha: f64,
    },
    /// A polyline, optionally with a round marker at every vertex.
    Line {
        pts: Vec<(f64, f64)>,
        color: Rgb,
        width_pt: f64,
        dash: Dash,
        markers: bool,
    },
    /// A filled rectangle (bar).
    Bar {
        x0: f64,
        x1: f64,
        y0: f64,
        y1: f64,
        color: Rgb,
        alpha: f64,
    },
    /// An interval whisker from `a` to `b` with short perpendicular caps.
    Whisker {
        a: (f64, f64),
        b: (f64, f64),
        color: Rgb,
    },
}

impl Layer {
    /// Every finite coordinate of the layer (for range computation and emptiness checks).
    pub(crate) fn points(&self) -> Vec<(f64, f64)> {
        match self {
            Layer::Area { pts, .. } | Layer::Line { pts, .. } => pts.clone(),
            Layer::Bar { x0, x1, y0, y1, .. } => vec![(*x0, *y0), (*x1, *y1)],
            Layer::Whisker { a, b, .. } => vec![*a, *b],
        }
    }
}

/// How an axis chooses its tick marks once its length on the page is known.
#[derive(Clone, Debug)]
pub enum TickSpec {
    /// Calendar time in fractional years: years, or months between years when space allows.
    Time,
    /// Round numbers.
    Linear,
    /// Given positions and labels (categories, doses); horizontal labels wrap at spaces.
    Fixed(Vec<(f64, String)>),
}

/// An axis: its data range and how it chooses its ticks.
#[derive(Clone, Debug)]
pub struct Axis {
    /// Lower end of the range, in data units.
    pub min: f64,
    /// Upper end of the range, in data units.
    pub max: f64,
    /// How ticks are placed.
    pub spec: TickSpec,
}

impl Axis {
    /// A calendar axis from `min` to `max` (fractional years); a single instant gets a month
    /// either side.
    pub fn time(min: f64, max: f64) -> Axis {
        let (min, max) = if max > min {
            (min, max)
        } else {
            (min - 1.0 / 12.0, min + 1.0 / 12.0)
        };
        Axis {
            min,
            max,
            spec: TickSpec::Time,
        }
    }

    /// A numeric axis covering `values` with 4% padding; `zero` forces 0 into the range and
    /// `floor_zero` stops the padding from going below 0 when all values are >= 0.
    pub(crate) fn linear_covering(values: impl IntoIterator<Item = f64>, zero: bool) -> Axis {
        let mut lo = f64::INFINITY;
        let mut hi = f64::NEG_INFINITY;
        for v in values {
            if v.is_finite() {
                lo = lo.min(v);
                hi = hi.max(v);
            }
        }
        if !lo.is_finite() {
            lo = 0.0;
            hi = 1.0;
        }
        if zero {
            lo = lo.min(0.0);
            hi = hi.max(0.0);
        }
        if hi - lo < 1e-12 {
            let d = if lo.abs() > 1e-9 { lo.abs() * 0.1 } else { 1.0 };
            lo -= d;
            hi += d;
        }
        // Pad both ends so lines at the extremes (e.g. a gap of exactly 0) stay clear of the
        // axis line; ticks are only drawn inside the data range, so no negative tick appears
        // for non-negative data unless the step is tiny.
        let pad = (hi - lo) * 0.04;
        Axis {
            min: lo - pad,
            max: hi + pad,
            spec: TickSpec::Linear,
        }
    }

    /// A value axis for bars growing from 0: 0 is an end of the range unless values cross it,
    /// and only the ends away from 0 are padded.
    pub(crate) fn for_bars(values: impl IntoIterator<Item = f64>) -> Axis {
        let (mut lo, mut hi) = (0.0f64, 0.0f64);
        for v in values.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if hi - lo < 1e-12 {
            hi = 1.0;
        }
        let pad = (hi - lo) * 0.04;
        Axis {
            min: if lo < 0.0 { lo - pad } else { 0.0 },
            max: if hi > 0.0 { hi + pad } else { 0.0 },
            spec: TickSpec::Linear,
        }
    }

    /// A logarithmic axis for values already transformed with `log10`: ticks at 1, 10, 100 …
    /// (with 2 and 5 between when the range spans at most two decades), labelled with the
    /// untransformed numbers.
    pub(crate) fn log10_covering(logs: impl IntoIterator<Item = f64>) -> Axis {
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for v in logs.into_iter().filter(|v| v.is_finite()) {
            lo = lo.min(v);
            hi = hi.max(v);
        }
        if !lo.is_finite() {
            (lo, hi) = (0.0, 1.0);
        }
        if hi - lo < 0.3 {
            lo -= 0.15;
            hi += 0.15;
        }
        let pad = (hi - lo) * 0.04;
        let (min, max) = (lo - pad, hi + pad);
        let mantissas: &[f64] = if max - min <= 2.2 {
            &[1.0, 2.0, 5.0]
        } else {
            &[1.0]
        };
        let mut ticks = Vec::new();
        for decade in (min.floor() as i32)..=(max.ceil() as i32) {
            for m in mantissas {
                let v = m * 10f64.powi(decade);
                let at = v.log10();
                if at >= min && at <= max {
                    ticks.push((at, format_number(v, 10f64.powi(decade.min(0)))));
                }
            }
        }
        Axis {
            min,
            max,
            spec: TickSpec::Fixed(ticks),
        }
    }

    /// A numeric axis from `min` to `max` with round-number ticks.
    pub fn linear(min: f64, max: f64) -> Axis {
        Axis {
            min,
            max,
            spec: TickSpec::Linear,
        }
    }

    pub(crate) fn fixed(min: f64, max: f64, ticks: Vec<(f64, String)>) -> Axis {
        Axis {
            min,
            max,
            spec: TickSpec::Fixed(ticks),
        }
    }

    /// Resolve tick marks for an axis `len_pt` long whose labels are set at `font_pt`.
    pub(crate) fn ticks(&self, len_pt: f64, font_pt: f64, horizontal: bool) -> Vec<Tick> {
        match &self.spec {
            TickSpec::Fixed(t) => {
                let n = t.len().max(1) as f64;
                let slot = len_pt / (self.max - self.min).max(1e-9) * ((self.max - self.min) / n);
                t.iter()
                    .map(|(at, label)| Tick {
                        at: *at,
                        lines: if horizontal {
                            wrap(label, slot - font_pt * 1.1, font_pt)
                        } else {
                            vec![label.clone()]
                        },
                    })
                    .collect()
            }
            TickSpec::Linear => linear_ticks(self.min, self.max, len_pt, font_pt, horizontal),
            TickSpec::Time => time_ticks(self.min, self.max, len_pt, font_pt),
        }
    }
}

/// A resolved tick: position and label lines.
#[derive(Clone, Debug)]
pub struct Tick {
    /// Position in data units.
    pub at: f64,
    /// The label, one string per line.
    pub lines: Vec<String>,
}

impl Tick {
    fn simple(at: f64, label: String) -> Tick {
        Tick {
            at,
            lines: vec![label],
        }
    }
    fn width(&self, pt: f64) -> f64 {
        self.lines
            .iter()
            .map(|l| text_width_pt(l, pt, false))
            .fold(0.0, f64::max)
    }
}

/// Word-wrap `label` into lines at most `width` points wide where possible. Short tokens ("+",
/// "&", "vs") stick to the following word unless that makes a line too wide.
pub(crate) fn wrap(label: &str, width: f64, pt: f64) -> Vec<String> {
    wrap_styled(label, width, pt, false)
}

/// [`wrap`] for regular or bold text.
fn wrap_styled(label: &str, width: f64, pt: f64, bold: bool) -> Vec<String> {
    let glued = wrap_words(label, width, pt, true, bold);
    let widest = |ls: &[String]| {
        ls.iter()
            .map(|l| text_width_pt(l, pt, bold))
            .fold(0.0, f64::max)
    };
    if widest(&glued) <= width {
        return glued;
    }
    let loose = wrap_words(label, width, pt, false, bold);
    if widest(&loose) < widest(&glued) {
        loose
    } else {
        glued
    }
}

fn wrap_words(label: &str, width: f64, pt: f64, glue: bool, bold: bool) -> Vec<String> {
    let mut words: Vec<String> = Vec::new();
    let mut pending = String::new();
    for w in label.split_whitespace() {
        if glue && w.chars().count() <= 2 && !w.chars().all(|c| c.is_ascii_digit()) {
            pending = if pending.is_empty() {
                w.to_string()
            } else {
                format!("{pending} {w}")
            };
            continue;
        }
        words.push(if pending.is_empty() {
            w.to_string()
        } else {
            format!("{pending} {w}")
        });
        pending.clear();
    }
    if !pending.is_empty() {
        match words.last_mut() {
            Some(l) => *l = format!("{l} {pending}"),
            None => words.push(pending),
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for word in words {
        if let Some(last) = lines.last_mut() {
            let cand = format!("{last} {word}");
            if text_width_pt(&cand, pt, bold) <= width {
                *last = cand;
                continue;
            }
        }
        lines.push(word);
    }
    if lines.is_empty() {
        lines.push(String::new());
    }
    lines
}

fn nice_step(raw: f64) -> f64 {
    let exp = raw.log10().floor();
    let base = 10f64.powf(exp);
    for m in [1.0, 2.0, 2.5, 5.0, 10.0] {
        if m * base >= raw * 0.999_999 {
            return m * base;
        }
    }
    10.0 * base
}

pub(crate) fn format_number(v: f64, step: f64) -> String {
    let mut decimals = 0i32;
    while decimals < 6
        && ((step * 10f64.powi(decimals)).round() - step * 10f64.powi(decimals)).abs() > 1e-6
    {
        decimals += 1;
    }
    let s = format!("{:.*}", decimals as usize, v);
    let s = if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    };
    // A true minus sign reads better in print.
    s.replacen('-', "\u{2212}", 1)
}

fn linear_ticks(min: f64, max: f64, len_pt: f64, pt: f64, horizontal: bool) -> Vec<Tick> {
    let span = (max - min).max(1e-12);
    let mut target = if horizontal {
        (len_pt / (pt * 5.0)).floor()
    } else {
        (len_pt / (pt * 3.2)).floor()
    };
    loop {
        let n = target.max(2.0);
        let step = nice_step(span / n);
        let first = (min / step - 1e-9).ceil() * step;
        let mut ticks = Vec::new();
        let mut k = 0;
        loop {
            let v = first + k as f64 * step;
            if v > max + step * 1e-9 {
                break;
            }
            ticks.push(Tick::simple(v, format_number(v, step)));
            k += 1;
        }
        if !horizontal || target <= 2.0 {
            return ticks;
        }
        // Horizontal labels must not collide.
        let widest = ticks.iter().map(|t| t.width(pt)).fold(0.0, f64::max);
        let spacing = len_pt * step / span;
        if widest + pt * 0.8 <= spacing {
            return ticks;
        }
        target -= 1.0;
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

fn time_ticks(min: f64, max: f64, len_pt: f64, pt: f64) -> Vec<Tick> {
    let span = (max - min).max(1e-9);
    // Month indices counted from year 0.
    let m0 = (min * 12.0 - 1e-6).ceil() as i64;
    let m1 = (max * 12.0 + 1e-6).floor() as i64;
    let mut fallback = Vec::new();
    for step in [1i64, 2, 3, 6, 12, 24, 60, 120, 240] {
        let mut ticks: Vec<Tick> = Vec::new();
        let mut m = m0 + (step - m0.rem_euclid(step)) % step;
        while m <= m1 {
            let (year, month) = (m.div_euclid(12), m.rem_euclid(12) as usize);
            let label = if month == 0 {
                year.to_string()
            } else {
                MONTHS[month].to_string()
            };
            ticks.push(Tick::simple(m as f64 / 12.0, label));
            m += step;
        }
        if ticks.is_empty() {
            continue;
        }
        if step < 12
            && !ticks
                .iter()
                .any(|t| t.lines[0].chars().all(|c| c.is_ascii_digit()))
        {
            // No January inside the range: give the first tick its year.
            let y = (ticks[0].at + 1e-9).floor() as i64;
            ticks[0].lines[0] = format!("{} {y}", ticks[0].lines[0]);
        }
        let widest = ticks.iter().map(|t| t.width(pt)).fold(0.0, f64::max);
        let spacing = len_pt * (step as f64 / 12.0) / span;
        if ticks.len() <= 9 && widest + pt * 1.2 <= spacing {
            return ticks;
        }
        fallback = ticks;
    }
    fallback
}

/// One legend entry and the symbol drawn next to its label.
#[derive(Clone, Debug)]
pub struct LegendEntry {
    /// The text, wrapped to the legend's column when too long.
    pub label: String,
    /// The swatch's colour.
    pub color: Rgb,
    /// The symbol drawn before the label.
    pub swatch: Swatch,
}

/// The symbol of a legend entry, matching how its series is drawn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Swatch {
    /// A filled square (areas, bars).
    Patch,
    /// A short line, optionally dashed and with a marker.
    Line { dash: Dash, marker: bool },
    /// A translucent band of the given opacity (fan bands, confidence bands).
    Band { alpha: f64 },
    /// A whisker (confidence interval).
    Whisker,
}

/// One panel: axes and layers.
#[derive(Clone, Debug)]
pub struct Panel {
    /// Title above the panel, wrapped to its width.
    pub title: Option<String>,
    /// Horizontal axis.
    pub x: Axis,
    /// Vertical axis.
    pub y: Axis,
    /// What is drawn, first layer at the bottom.
    pub layers: Vec<Layer>,
    /// Whether vertical grid lines are drawn at the x ticks.
    pub grid_x: bool,
    /// Whether horizontal grid lines are drawn at the y ticks.
    pub grid_y: bool,
}

/// A whole chart, ready to lay out and draw.
#[derive(Clone, Debug)]
pub struct Figure {
    /// File name without extension.
    pub stem: String,
    /// One-sentence description, written into the SVG `<desc>` and used as title when asked.
    pub caption: String,
    /// Title above the whole figure, if any.
    pub title: Option<String>,
    /// Title of the x axis, shared by all panels.
    pub x_title: String,
    /// (long, short): the short form is used when the long one does not fit the axis.
    pub y_title: (String, String),
    /// The panels, in reading order.
    pub panels: Vec<Panel>,
    /// Number of panel columns.
    pub cols: usize,
    /// The legend below the panels.
    pub legend: Vec<LegendEntry>,
    /// Height of each panel's data area, in points, overriding the theme.
    pub plot_h_pt: Option<f64>,
}

impl Figure {
    /// True when every panel has at least one layer with a finite point.
    pub(crate) fn has_data(&self) -> bool {
        !self.panels.is_empty()
            && self.panels.iter().all(|p| {
                p.layers.iter().any(|l| {
                    l.points()
                        .iter()
                        .any(|(x, y)| x.is_finite() && y.is_finite())
                })
            })
    }
}

/// A rectangle in points from the figure's top-left corner.
#[derive(Clone, Copy, Debug)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// Where one panel's parts go.
#[derive(Clone, Debug)]
pub struct PanelLayout {
    /// The data area.
    pub data: Rect,
    /// Ticks of the x axis.
    pub x_ticks: Vec<Tick>,
    /// Ticks of the y axis.
    pub y_ticks: Vec<Tick>,
    /// (centre x, baseline y) of the panel title.
    pub title_at: Option<(f64, f64)>,
    /// The panel title wrapped to the panel's width (bold, [`LEGEND_LINE_EM`] apart).
    pub title_lines: Vec<String>,
}

/// Where one legend entry goes.
#[derive(Clone, Debug)]
pub struct LegendSlot {
    /// Left edge of the swatch.
    pub x: f64,
    /// Vertical centre of the entry's first line (where the swatch goes).
    pub y: f64,
    /// The entry drawn here.
    pub entry: LegendEntry,
    /// The label, wrapped to the column width; lines are [`LEGEND_LINE_EM`] apart.
    pub lines: Vec<String>,
}

/// Height of a one-line legend row, and the distance between the lines of a wrapped label, in
/// ems of the legend font.
pub(crate) const LEGEND_ROW_EM: f64 = 1.45;
pub(crate) const LEGEND_LINE_EM: f64 = 1.2;

fn legend_entry_h(lines: usize, pt: f64) -> f64 {
    pt * (LEGEND_ROW_EM + LEGEND_LINE_EM * (lines.max(1) as f64 - 1.0))
}

/// The legend's grid: columns, their width, and every label's lines.
struct LegendGrid {
    ncols: usize,
    col_w: f64,
    total_w: f64,
    lines: Vec<Vec<String>>,
}

/// Chooses the number of legend columns that gives the shortest legend within `avail` points,
/// wrapping each label to its column. Each line a wrap adds counts as a whole extra row, so a
/// label is wrapped only when it does not fit or when wrapping saves rows (ties: fewer columns).
fn legend_grid(entries: &[LegendEntry], avail: f64, pt: f64, swatch_w: f64) -> LegendGrid {
    let sw_gap = pt * 0.45;
    let col_gap = pt * 1.3;
    let n = entries.len();
    let mut best: Option<(f64, LegendGrid)> = None;
    for ncols in 1..=n.min(8) {
        let text_avail = (avail + col_gap) / ncols as f64 - col_gap - swatch_w - sw_gap;
        if text_avail < pt * 4.0 && ncols > 1 {
            break;
        }
        let lines: Vec<Vec<String>> = entries
            .iter()
            .map(|e| wrap_hard(&e.label, text_avail, pt, false))
            .collect();
        // Balance the rows (e.g. 4+4 rather than 7+1) without adding a row.
        let nrows = n.div_ceil(ncols);
        let ncols = n.div_ceil(nrows);
        let height: f64 = lines
            .chunks(ncols)
            .map(|row| legend_entry_h(row.iter().map(Vec::len).max().unwrap_or(1), pt))
            .sum();
        let wrapped: usize = lines.iter().map(Vec::len).sum();
        let text_w = lines
            .iter()
            .flatten()
            .map(|l| text_width_pt(l, pt, false))
            .fold(0.0, f64::max);
        let col_w = swatch_w + sw_gap + text_w + col_gap;
        let grid = LegendGrid {
            ncols,
            col_w,
            total_w: ncols as f64 * col_w - col_gap,
            lines,
        };
        let score = height + (wrapped - n) as f64 * pt * LEGEND_ROW_EM;
        if best.as_ref().is_none_or(|(b, _)| score < b - 1e-9) {
            best = Some((score, grid));
        }
    }
    best.map(|(_, g)| g)
        .expect("a legend has at least one entry")
}

/// [`wrap`], then any word still wider than `width` broken between characters, so that no line
/// is wider than `width` (unless a single character is).
pub(crate) fn wrap_hard(label: &str, width: f64, pt: f64, bold: bool) -> Vec<String> {
    let mut out = Vec::new();
    for line in wrap_styled(label, width, pt, bold) {
        if text_width_pt(&line, pt, bold) <= width {
            out.push(line);
            continue;
        }
        let mut cur = String::new();
        for ch in line.chars() {
            let mut cand = cur.clone();
            cand.push(ch);
            if !cur.is_empty() && text_width_pt(&cand, pt, bold) > width {
                out.push(cur.trim_end().to_string());
                cur = ch.to_string().trim_start().to_string();
            } else {
                cur = cand;
            }
        }
        if !cur.is_empty() {
            out.push(cur);
        }
    }
    out
}

/// Where everything goes, in points. Computed once per figure and preset, shared by SVG and PNG.
#[derive(Clone, Debug)]
pub struct Layout {
    /// Width of the figure.
    pub width_pt: f64,
    /// Height of the figure, legend included.
    pub height_pt: f64,
    /// (centre x, baseline y, text) of the figure title.
    pub title: Option<(f64, f64, String)>,
    /// One layout per panel, in the figure's order.
    pub panels: Vec<PanelLayout>,
    /// (baseline x, centre y, text) of each line of the rotated y-axis title.
    pub y_title: Vec<(f64, f64, String)>,
    /// (centre x, baseline y, text) of the x-axis title.
    pub x_title: Option<(f64, f64, String)>,
    /// One slot per legend entry, row by row.
    pub legend: Vec<LegendSlot>,
    /// Width of a legend swatch.
    pub swatch_w: f64,
}

/// Lay out a figure for a theme (only the theme's point sizes matter, not its pixel density).
pub fn layout(fig: &Figure, th: &Theme) -> Layout {
    let w = th.width_pt();
    let m = th.margin_pt;
    let n = fig.panels.len().max(1);
    let cols = fig.cols.clamp(1, n);
    let rows = n.div_ceil(cols);
    let plot_h = fig.plot_h_pt.unwrap_or(if n == 1 {
        th.plot_h_pt
    } else {
        th.panel_plot_h_pt
    });
    let hgap = if cols > 1 { th.tick_pt * 1.6 } else { 0.0 };
    let vgap = if rows > 1 { th.tick_pt * 0.6 } else { 0.0 };
    let tick_gap = th.tick_len_pt + th.tick_pt * 0.35;

    let mut y = m;
    let title = fig.title.as_ref().map(|t| {
        let t = fit(t, w - 2.0 * m, th.title_pt, true);
        y += th.title_pt * 1.6;
        (w / 2.0, y - th.title_pt * 0.5, t)
    });

    // Y ticks depend only on the plot height; their widths fix the label column.
    let y_ticks: Vec<Vec<Tick>> = fig
        .panels
        .iter()
        .map(|p| p.y.ticks(plot_h, th.tick_pt, false))
        .collect();
    let ylab_w = y_ticks
        .iter()
        .flatten()
        .map(|t| t.width(th.tick_pt))
        .fold(0.0, f64::max)
        + tick_gap
        + 1.0;
    // The y title: the long form on one line, else on two, else the short form.
    let has_ptitle_ = fig.panels.iter().any(|p| p.title.is_some());
    let avail_y = rows as f64 * plot_h
        + (rows as f64 - 1.0)
            * (th.tick_pt * 3.0
                + if has_ptitle_ {
                    th.panel_title_pt * 1.55
                } else {
                    0.0
                });
    let y_lines: Vec<String> = if fig.y_title.0.is_empty() {
        Vec::new()
    } else if text_width_pt(&fig.y_title.0, th.label_pt, false) <= avail_y {
        vec![fig.y_title.0.clone()]
    } else {
        let two = wrap(&fig.y_title.0, avail_y, th.label_pt);
        let short = wrap(&fig.y_title.1, avail_y, th.label_pt);
        if two.len() == 2 {
            two
        } else if short.len() <= 2 {
            // The short form, wrapped, keeps the unit whole where the long one cannot fit.
            short
        } else {
            vec![fit(&fig.y_title.1, avail_y, th.label_pt, false)]
        }
    };
    let y_title_w = if y_lines.is_empty() {
        0.0
    } else {
        th.label_pt * (1.45 + 1.2 * (y_lines.len() as f64 - 1.0))
    };
    let has_ptitle = fig.panels.iter().any(|p| p.title.is_some());
    let top_pad = th.tick_pt * 0.6; // the top y label sticks out above the data area

    // Panel width: the right pad leaves room for a time/number label centred on the last tick.
    let right_pad = th.tick_pt * 1.3;
    let cell_w = (w - 2.0 * m - y_title_w - (cols as f64 - 1.0) * hgap) / cols as f64;
    let data_w = (cell_w - ylab_w - right_pad).max(20.0);
    let x_ticks: Vec<Vec<Tick>> = fig
        .panels
        .iter()
        .map(|p| p.x.ticks(data_w, th.tick_pt, true))
        .collect();
    let max_lines = x_ticks
        .iter()
        .flatten()
        .map(|t| t.lines.len())
        .max()
        .unwrap_or(1)
        .max(1);
    // Panel titles wrap to the panel's width, never cut.
    let title_lines: Vec<Vec<String>> = fig
        .panels
        .iter()
        .map(|p| match &p.title {
            Some(t) => wrap_hard(t, data_w, th.panel_title_pt, true),
            None => Vec::new(),
        })
        .collect();
    let title_rows = title_lines.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let ptitle_h = if has_ptitle {
        th.panel_title_pt * (1.55 + LEGEND_LINE_EM * (title_rows as f64 - 1.0))
    } else {
        0.0
    };
    let xlab_h = tick_gap + th.tick_pt * (0.95 + 1.2 * (max_lines as f64 - 1.0)) + th.tick_pt * 0.3;
    let cell_h = ptitle_h + top_pad + plot_h + xlab_h;

    let grid_top = y;
    let grid_left = m + y_title_w;
    let mut panels = Vec::new();
    for (i, p) in fig.panels.iter().enumerate() {
        let (r, c) = (i / cols, i % cols);
        let cx = grid_left + c as f64 * (cell_w + hgap);
        let cy = grid_top + r as f64 * (cell_h + vgap);
        let data = Rect {
            x: cx + ylab_w,
            y: cy + ptitle_h + top_pad,
            w: data_w,
            h: plot_h,
        };
        let title_at = p
            .title
            .as_ref()
            .map(|_| (data.x + data.w / 2.0, cy + th.panel_title_pt * 1.05));
        panels.push(PanelLayout {
            data,
            x_ticks: x_ticks[i].clone(),
            y_ticks: y_ticks[i].clone(),
            title_at,
            title_lines: title_lines[i].clone(),
        });
    }
    y = grid_top + rows as f64 * cell_h + (rows as f64 - 1.0) * vgap;
    let span_top = panels.first().map(|p| p.data.y).unwrap_or(grid_top);
    let span_bottom = panels
        .iter()
        .map(|p| p.data.y + p.data.h)
        .fold(span_top, f64::max);
    let y_title: Vec<(f64, f64, String)> = y_lines
        .into_iter()
        .enumerate()
        .map(|(i, t)| {
            (
                m + th.label_pt * (0.95 + 1.2 * i as f64),
                (span_top + span_bottom) / 2.0,
                t,
            )
        })
        .collect();
    // Centre the x title under the data areas.
    let data_left = panels
        .iter()
        .map(|p| p.data.x)
        .fold(f64::INFINITY, f64::min);
    let data_right = panels
        .iter()
        .map(|p| p.data.x + p.data.w)
        .fold(0.0, f64::max);
    let x_title = if fig.x_title.is_empty() {
        None
    } else {
        y += th.label_pt * 1.35;
        let text = fit(&fig.x_title, w - 2.0 * m, th.label_pt, false);
        Some(((data_left + data_right) / 2.0, y - th.label_pt * 0.2, text))
    };

    // Legend: a grid of equal columns, centred, below everything else. Labels are never cut:
    // a long one wraps onto more lines, and the number of columns is the one that makes the
    // legend shortest.
    let swatch_w = th.legend_pt * 2.0;
    let mut legend = Vec::new();
    if !fig.legend.is_empty() {
        let grid = legend_grid(&fig.legend, w - 2.0 * m, th.legend_pt, swatch_w);
        let x0 = (data_left + data_right) / 2.0 - grid.total_w / 2.0;
        let x0 = x0.clamp(m, (w - m - grid.total_w).max(m));
        y += th.legend_pt * 0.5;
        for (r, row) in fig.legend.chunks(grid.ncols).enumerate() {
            let first = r * grid.ncols;
            for (c, e) in row.iter().enumerate() {
                legend.push(LegendSlot {
                    x: x0 + c as f64 * grid.col_w,
                    y: y + th.legend_pt * LEGEND_ROW_EM / 2.0,
                    entry: e.clone(),
                    lines: grid.lines[first + c].clone(),
                });
            }
            let tallest = grid.lines[first..first + row.len()]
                .iter()
                .map(Vec::len)
                .max()
                .unwrap_or(1);
            y += legend_entry_h(tallest, th.legend_pt);
        }
    }
    let height_pt = (y + m).ceil();
    Layout {
        width_pt: w,
        height_pt,
        title,
        panels,
        y_title,
        x_title,
        legend,
        swatch_w,
    }
}

/// Cut `text` with an ellipsis so that it is at most `width` points wide.
pub(crate) fn fit(text: &str, width: f64, pt: f64, bold: bool) -> String {
    if text_width_pt(text, pt, bold) <= width {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut n = chars.len();
    while n > 1 {
        n -= 1;
        let cand: String = chars[..n].iter().collect::<String>().trim_end().to_string() + "…";
        if text_width_pt(&cand, pt, bold) <= width {
            return cand;
        }
    }
    "…".to_string()
}

/// Baseline offset that centres capitals vertically on a line.
pub(crate) fn cap_centre(pt: f64) -> f64 {
    CAP_HEIGHT_EM * pt / 2.0
}
