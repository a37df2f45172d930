//! Sizes, fonts, line widths and colours: everything that decides how a chart looks.
//!
//! All layout is done in typographic points (1/72 in). A [`Theme`] converts points to device
//! pixels with one factor (`px_per_in`), so a PNG at `png_scale = 3` (300 px per inch) is the
//! 100-px-per-inch PNG with every font, stroke, marker and margin three times larger, and the SVG
//! (drawn on a fine 400-units-per-inch grid and declared in inches) is the same picture again.
//!
//! Public so that `tests/it/units/charts_theme.rs` can check the palette and the colour
//! assignment, and the layout tests can take a theme's sizes; not an API for users of the library.

use std::collections::{BTreeSet, HashMap};

use plotters::style::RGBColor;

use super::SizePreset;

/// A colour as red, green, blue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    /// The colour written `0xRRGGBB`.
    pub const fn hex(v: u32) -> Rgb {
        Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8)
    }
    pub(crate) fn plotters(self) -> RGBColor {
        RGBColor(self.0, self.1, self.2)
    }
}

/// Black: frontiers and the full model in effect charts.
pub const BLACK: Rgb = Rgb::hex(0x000000);
pub(crate) const WHITE: Rgb = Rgb::hex(0xFFFFFF);
pub(crate) const AXIS: Rgb = Rgb::hex(0x222222);
pub(crate) const GRID: Rgb = Rgb::hex(0xDDDDDD);
pub(crate) const TEXT: Rgb = Rgb::hex(0x111111);
/// Colour of the "other" group in stacked areas.
pub(crate) const OTHER: Rgb = Rgb::hex(0xBBBBBB);
/// Colour of the rest-of-world aggregate (`ROW`).
pub(crate) const ROW: Rgb = Rgb::hex(0x888888);

/// How a series is stroked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dash {
    /// An unbroken line.
    Solid,
    /// Short dashes: frontiers, ablations, event markers.
    Dashed,
    /// Dots: the second round of palette colours.
    Dotted,
    /// Long dashes: the third round of palette colours.
    Long,
}

impl Dash {
    /// (on, off) lengths of a dash pattern in multiples of the stroke width; `None` for solid.
    pub(crate) fn pattern(self) -> Option<(f64, f64)> {
        match self {
            Dash::Solid => None,
            Dash::Dashed => Some((3.5, 2.5)),
            Dash::Dotted => Some((1.0, 1.8)),
            Dash::Long => Some((7.0, 2.5)),
        }
    }
}

/// The categorical palette: twelve colours that stay apart for readers with normal vision and
/// with each of the three dichromacies. The first six are Okabe and Ito's "Color Universal Design"
/// set (Okabe & Ito 2008, <https://jfly.uni-koeln.de/color/>; without black, kept for frontiers
/// and the full model, and yellow, too faint for lines on white); then indigo, wine, green and
/// olive from Paul Tol's "muted" scheme, purple from his "bright" scheme and brown from his
/// 12-colour qualitative scheme (Tol, "Colour schemes", SRON/EPS/TN/09-002, 2012 and 2021,
/// <https://personal.sron.nl/~pault/>). The six additions were picked greedily to keep the
/// smallest CIELAB distance between any two colours as large as possible under protanopia,
/// deuteranopia and tritanopia simulated with Machado, Oliveira & Fernandes (2009); the test
/// `palette_stays_distinct_for_colour_blind_readers` checks it (ΔE*ab ≥ 10 for every pair).
/// Beyond twelve series, [`series_style`] adds line styles.
pub const PALETTE: [Rgb; 12] = [
    Rgb::hex(0x0072B2), // blue (Okabe–Ito)
    Rgb::hex(0xD55E00), // vermillion (Okabe–Ito)
    Rgb::hex(0x009E73), // bluish green (Okabe–Ito)
    Rgb::hex(0x56B4E9), // sky blue (Okabe–Ito)
    Rgb::hex(0xCC79A7), // reddish purple (Okabe–Ito)
    Rgb::hex(0xE69F00), // orange (Okabe–Ito)
    Rgb::hex(0x332288), // indigo (Tol muted)
    Rgb::hex(0x882255), // wine (Tol muted)
    Rgb::hex(0x117733), // green (Tol muted)
    Rgb::hex(0xAA3377), // purple (Tol bright)
    Rgb::hex(0x999933), // olive (Tol muted)
    Rgb::hex(0x661100), // brown (Tol 12-colour qualitative)
];

/// Line styles cycled once the palette is used up: series 1–12 are solid, 13–24 dotted, 25–36
/// long-dashed (plain dashes are kept for frontiers, ablations and event markers).
const BEYOND_PALETTE: [Dash; 3] = [Dash::Solid, Dash::Dotted, Dash::Long];

/// Colour and line style of the `i`-th series of a group: distinct for the first
/// `12 × 3 = 36` series.
pub fn series_style(i: usize) -> (Rgb, Dash) {
    (
        PALETTE[i % PALETTE.len()],
        BEYOND_PALETTE[(i / PALETTE.len()) % BEYOND_PALETTE.len()],
    )
}

/// The state codes the simulation knows, most prominent first: the `i`-th takes
/// [`series_style`]`(i)`, so the major producers have the Okabe–Ito colours and solid lines, and
/// the states after the twelfth reuse the palette with dotted lines (their areas in stacked
/// charts share a colour with an earlier state; stacked charts name at most the largest seven).
pub const STATE_ORDER: [&str; 21] = [
    "US", "CN", "TW", "KR", "JP", "NL", "DE", "FR", "EU", "GB", "AU", "IN", "CA", "IL", "SG", "MY",
    "VN", "AE", "SA", "RU", "IR",
];

/// The rest-of-world aggregate, always grey.
pub const ROW_CODE: &str = "ROW";

/// FNV-1a: a fixed, platform-independent hash (std's hasher is randomly seeded).
pub(crate) fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf29ce484222325;
    for b in s.as_bytes() {
        h ^= *b as u64;
        h = h.wrapping_mul(0x100000001b3);
    }
    h
}

/// Colour and line style of a state: its place in [`STATE_ORDER`], grey for `ROW`, else a style
/// chosen by hashing the code (FNV-1a, so the same code looks the same on every machine).
pub fn state_style(state: &str) -> (Rgb, Dash) {
    if state.eq_ignore_ascii_case(ROW_CODE) {
        return (ROW, Dash::Solid);
    }
    match STATE_ORDER
        .iter()
        .position(|s| s.eq_ignore_ascii_case(state))
    {
        Some(i) => series_style(i),
        None => {
            series_style((fnv1a(state) % (PALETTE.len() * BEYOND_PALETTE.len()) as u64) as usize)
        }
    }
}

/// Colour of a state (see [`state_style`]).
pub fn state_colour(state: &str) -> Rgb {
    state_style(state).0
}

/// Deal styles, in palette order, to a group of ids sorted by id: members of a group never
/// share a style while the group has at most 36 members. The result depends only on the set of
/// ids, never on a chart or on the order data arrive in.
pub fn assign_group(ids: &BTreeSet<String>) -> HashMap<String, (Rgb, Dash)> {
    ids.iter()
        .enumerate()
        .map(|(i, id)| (id.clone(), series_style(i)))
        .collect()
}

/// `c` mixed towards black (`t < 0`) or white (`t > 0`) by `|t|`.
pub(crate) fn tint(c: Rgb, t: f64) -> Rgb {
    let target = if t < 0.0 { 0.0 } else { 255.0 };
    let mix = |v: u8| (f64::from(v) + (target - f64::from(v)) * t.abs()).round() as u8;
    Rgb(mix(c.0), mix(c.1), mix(c.2))
}

/// Shades given to the 1st, 2nd, … firm of one home state within a sector: the state's own
/// colour, then a light, a dark and a mid-light version, and so on, so that any two firms of a
/// group differ by at least a quarter of the way to white or black (enough for the largest
/// national groups of a sector).
const FIRM_SHADES: [f64; 6] = [0.0, 0.7, -0.5, 0.35, -0.25, -0.75];

/// Stable colours for every firm of a directory, meaning one thing everywhere: a firm has its
/// home state's colour, so a colour never stands for a state in one chart and an unrelated firm
/// in the next. Firms of one sector sharing a home (sorted by id) get the state's colour, then
/// darker and lighter shades of it ([`FIRM_SHADES`]), so firms that share a chart never share a
/// colour. The same `firms.csv` gives the same colours in every chart and directory. A firm
/// missing from `firms.csv` gets a pool colour chosen by the FNV-1a hash of its id.
#[derive(Debug, Default)]
pub struct ColourMap {
    firms: HashMap<String, Rgb>,
}

impl ColourMap {
    /// `firms`: (firm id, sector, home state) triples.
    pub fn new<'a>(firms: impl IntoIterator<Item = (&'a str, &'a str, &'a str)>) -> ColourMap {
        let mut groups: HashMap<(&str, &str), BTreeSet<String>> = HashMap::new();
        for (f, sector, home) in firms {
            groups
                .entry((sector, home))
                .or_default()
                .insert(f.to_string());
        }
        let mut map = HashMap::new();
        for ((_, home), ids) in groups {
            let base = state_colour(home);
            for (k, id) in ids.into_iter().enumerate() {
                let colour = match FIRM_SHADES.get(k) {
                    Some(&t) => tint(base, t),
                    None => PALETTE[(fnv1a(&id) % PALETTE.len() as u64) as usize],
                };
                map.insert(id, colour);
            }
        }
        ColourMap { firms: map }
    }
    /// A firm's colour (a pool colour for a firm the map was not given).
    pub fn firm(&self, firm: &str) -> Rgb {
        self.firms
            .get(firm)
            .copied()
            .unwrap_or_else(|| PALETTE[(fnv1a(firm) % PALETTE.len() as u64) as usize])
    }
    pub(crate) fn state(&self, state: &str) -> Rgb {
        state_colour(state)
    }
    /// A state's colour and line style (line charts; see [`state_style`]).
    pub(crate) fn state_style(&self, state: &str) -> (Rgb, Dash) {
        state_style(state)
    }
}

/// Where the output goes: decides how text is anchored (plotters' SVG and bitmap backends place
/// a text anchor differently, so [`Theme`] corrects for each).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// An SVG document (also the source of PDF output).
    Svg,
    /// A PNG image.
    Bitmap,
}

/// Every size of a chart, in points, plus the one factor that turns points into pixels.
#[derive(Clone, Debug)]
pub struct Theme {
    /// The kind of output drawn.
    pub target: Target,
    /// Device pixels per inch: 100 × png_scale for PNG, [`SVG_UNITS_PER_IN`] for SVG.
    pub px_per_in: f64,
    /// Width of the figure in inches (one or two journal columns).
    pub width_in: f64,
    /// Font size of tick labels.
    pub tick_pt: f64,
    /// Font size of axis titles.
    pub label_pt: f64,
    /// Font size of legend labels.
    pub legend_pt: f64,
    /// Font size of panel titles.
    pub panel_title_pt: f64,
    /// Font size of the figure title.
    pub title_pt: f64,
    /// Stroke width of data lines.
    pub line_pt: f64,
    /// Stroke width of axis lines.
    pub axis_pt: f64,
    /// Stroke width of grid lines.
    pub grid_pt: f64,
    /// Length of tick marks.
    pub tick_len_pt: f64,
    /// Size of the markers drawn on lines.
    pub marker_pt: f64,
    /// Blank margin around the figure.
    pub margin_pt: f64,
    /// Height of the data area of a single-panel chart.
    pub plot_h_pt: f64,
    /// Height of the data area of one panel in a grid of panels.
    pub panel_plot_h_pt: f64,
    /// Number of panel columns for figures with one panel per sector.
    pub max_cols: usize,
}

/// SVG coordinates are integers in plotters; 400 units per inch keeps strokes and text exact
/// (1 unit = 0.18 pt). The SVG's width and height are declared in inches.
pub(crate) const SVG_UNITS_PER_IN: f64 = 400.0;

/// PNG pixels per inch at `png_scale = 1.0`.
pub const PNG_PX_PER_IN_AT_SCALE_1: f64 = 100.0;

impl Theme {
    pub(crate) fn new(preset: SizePreset, target: Target, px_per_in: f64) -> Theme {
        match preset {
            SizePreset::OneColumn => Theme {
                target,
                px_per_in,
                width_in: 3.5,
                tick_pt: 7.0,
                label_pt: 8.0,
                legend_pt: 7.0,
                panel_title_pt: 7.5,
                title_pt: 9.0,
                line_pt: 1.1,
                axis_pt: 0.6,
                grid_pt: 0.4,
                tick_len_pt: 2.5,
                marker_pt: 1.8,
                margin_pt: 4.0,
                plot_h_pt: 130.0,
                panel_plot_h_pt: 82.0,
                max_cols: 2,
            },
            SizePreset::TwoColumn => Theme {
                target,
                px_per_in,
                width_in: 7.0,
                tick_pt: 8.0,
                label_pt: 9.0,
                legend_pt: 8.0,
                panel_title_pt: 8.5,
                title_pt: 10.0,
                line_pt: 1.25,
                axis_pt: 0.7,
                grid_pt: 0.5,
                tick_len_pt: 3.0,
                marker_pt: 2.3,
                margin_pt: 5.0,
                plot_h_pt: 220.0,
                panel_plot_h_pt: 125.0,
                max_cols: 3,
            },
        }
    }

    /// A theme used only for measuring layout (never drawn).
    pub fn layout(preset: SizePreset) -> Theme {
        Theme::new(preset, Target::Svg, SVG_UNITS_PER_IN)
    }

    pub(crate) fn width_pt(&self) -> f64 {
        self.width_in * 72.0
    }
    /// Points → device pixels.
    pub(crate) fn px(&self, pt: f64) -> f64 {
        pt * self.px_per_in / 72.0
    }
    pub(crate) fn ipx(&self, pt: f64) -> i32 {
        self.px(pt).round() as i32
    }
    /// A stroke width in whole device pixels (at least one).
    pub(crate) fn stroke(&self, pt: f64) -> u32 {
        self.px(pt).round().max(1.0) as u32
    }
}

/// Human-readable label for a metric's axis: (long form, short form for short axes). The name
/// is the chart's; the unit comes from the metric catalogue (`labels::axis_unit`), so axes and
/// `chokepoint metrics` state the same unit.
pub(crate) fn metric_axis_label(metric: &str) -> (String, String) {
    let (long, short) = match metric {
        "market_share" | "state_market_share" => ("Market share".into(), "Share".into()),
        "self_sufficiency" => ("Self-sufficiency".into(), "Self-suff.".into()),
        "capability" | "best_capability" => ("Capability".into(), "Capability".into()),
        "capability_gap" => ("Gap to frontier".into(), "Gap".into()),
        "price" => ("Price index".into(), "Price".into()),
        "ai_compute" => ("AI compute".into(), "AI compute".into()),
        other => (pretty_id(other), pretty_id(other)),
    };
    match crate::labels::axis_unit(metric) {
        Some(unit) => (format!("{long} ({unit})"), format!("{short} ({unit})")),
        None => (long, short),
    }
}

/// Short noun for a metric (used in captions).
pub(crate) fn metric_name(metric: &str) -> String {
    match metric {
        "market_share" => "market share".into(),
        "state_market_share" => "market share by home state".into(),
        "self_sufficiency" => "self-sufficiency".into(),
        "capability" => "capability".into(),
        "best_capability" => "best capability".into(),
        "capability_gap" => "capability gap".into(),
        "ai_compute" => "AI compute".into(),
        other => other.replace('_', " "),
    }
}

/// Metrics stored as fractions and shown as percentages.
pub(crate) fn is_percent_metric(metric: &str) -> bool {
    matches!(
        metric,
        "market_share" | "state_market_share" | "self_sufficiency"
    )
}

/// Pretty name of a sector id.
pub(crate) fn sector_label(sector: &str) -> String {
    match sector {
        "foundry_advanced" => "Advanced foundry".into(),
        "foundry_mature" => "Mature foundry".into(),
        "foundry" => "Foundry".into(),
        "memory" => "Memory".into(),
        "equipment" => "Equipment".into(),
        "ai_accelerator" => "AI accelerators".into(),
        "eda" => "EDA".into(),
        "eda_ip" => "EDA and IP".into(),
        "design" => "Chip design".into(),
        "materials" => "Materials".into(),
        "packaging" => "Packaging".into(),
        other => pretty_id(other),
    }
}

/// `foo_bar` → `Foo bar`; short all-letter ids (like `ai`) keep their case rules simple.
pub(crate) fn pretty_id(id: &str) -> String {
    let words: Vec<String> = id
        .split(['_', '-'])
        .filter(|w| !w.is_empty())
        .map(|w| match w {
            "ai" => "AI".to_string(),
            "us" | "cn" | "eu" => w.to_uppercase(),
            _ => w.to_string(),
        })
        .collect();
    let s = words.join(" ");
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
