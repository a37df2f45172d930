//! Charts of a comparison folder (`chokepoint compare`): the difference variant − baseline over
//! time for the main outcomes, one line per state, with a zero line, so a counterfactual's effect
//! reads directly instead of by eye between two charts.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::data::{Csv, Manifest, date_to_year, read_states};
use super::error::PlotError;
use super::figure::{Axis, Figure, LegendEntry, Panel, Swatch};
use super::primitives::{hline, line, mark_events};
use super::theme::{
    ColourMap, Theme, is_percent_metric, metric_axis_label, metric_name, sector_label,
};
use super::{CatalogueEntry, Ctx, entry, slug};

/// The outcomes drawn, in order: each as one figure per (sector, market) it has.
const MAIN_OUTCOMES: [&str; 4] = [
    "ai_compute",
    "state_market_share",
    "self_sufficiency",
    "capability_gap",
];

/// Lines drawn at most per chart: the states whose difference is largest.
const MAX_LINES: usize = 8;

/// One row of `comparison.csv` that a chart can use (per-state rows of the main outcomes).
struct Row {
    year: f64,
    metric: String,
    state: String,
    sector: String,
    market: String,
    difference: f64,
}

pub(crate) struct CompareData {
    pub manifest: Manifest,
    path: PathBuf,
    rows: Vec<Row>,
    states: Vec<(String, String)>,
    colours: ColourMap,
    /// Events in one run's scenario and not the other's (what the counterfactual changed), for
    /// markers: (fractional year, "variant: date label").
    events: Vec<(f64, String)>,
}

/// The events that differ between the two compared runs, read from the `scenario.ron` of the
/// run folders named in the comparison's `manifest.json` (`baseline.folder`, `variant.folder`).
/// Empty when either folder is no longer where `compare` found it: the charts stay right, only
/// unmarked.
fn differing_events(dir: &std::path::Path) -> Vec<(f64, String)> {
    let Ok(text) = std::fs::read_to_string(dir.join("manifest.json")) else {
        return Vec::new();
    };
    let Ok(manifest) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
    let side = |name: &str| {
        manifest[name]["folder"]
            .as_str()
            .map(|f| super::run::read_events(&std::path::Path::new(f).join("scenario.ron")))
    };
    let (Some(baseline), Some(variant)) = (side("baseline"), side("variant")) else {
        return Vec::new();
    };
    let mut out: Vec<(f64, String)> = Vec::new();
    for (mine, theirs, who) in [
        (&variant, &baseline, "variant"),
        (&baseline, &variant, "baseline"),
    ] {
        for (year, label) in mine {
            if !theirs.iter().any(|(_, l)| l == label) {
                out.push((*year, format!("{who}: {label}")));
            }
        }
    }
    out.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    out
}

impl CompareData {
    pub(crate) fn load(
        dir: &std::path::Path,
        manifest: Manifest,
    ) -> Result<CompareData, PlotError> {
        let path = dir.join("comparison.csv");
        let mut csv = Csv::open(
            &path,
            &[
                "date",
                "metric",
                "state",
                "firm",
                "sector",
                "market",
                "difference",
            ],
            "a comparison folder needs comparison.csv",
        )?;
        let mut rows = Vec::new();
        while csv.next_row()?.is_some() {
            let metric = csv.get(1);
            // Per-state rows only (no firm), of the outcomes drawn; world markets or none.
            if !MAIN_OUTCOMES.contains(&metric)
                || csv.get(2).is_empty()
                || !csv.get(3).is_empty()
                || !matches!(csv.get(5), "" | "world")
            {
                continue;
            }
            let year = date_to_year(csv.get(0))
                .ok_or_else(|| csv.bad(format!("`{}` is not a date", csv.get(0))))?;
            rows.push(Row {
                year,
                metric: metric.to_string(),
                state: csv.get(2).to_string(),
                sector: csv.get(4).to_string(),
                market: csv.get(5).to_string(),
                difference: csv.f64(6, "difference")?,
            });
        }
        Ok(CompareData {
            manifest,
            path,
            rows,
            states: read_states(dir)?,
            colours: ColourMap::default(),
            events: differing_events(dir),
        })
    }

    pub(crate) fn catalogue(&self) -> Vec<CatalogueEntry> {
        vec![entry(
            "difference",
            "Difference variant − baseline over time for AI compute, market share by state (world market), self-sufficiency and the capability gap; one line per state that differs",
            self.rows.iter().any(|r| r.difference != 0.0),
        )]
    }

    pub(crate) fn validate(&self, ctx: &Ctx) -> Result<(), PlotError> {
        let present: BTreeSet<&str> = self.rows.iter().map(|r| r.state.as_str()).collect();
        for s in &ctx.req.states {
            if !present.contains(s.as_str()) {
                return Err(PlotError::UnknownEntity {
                    what: "state".into(),
                    name: s.clone(),
                    path: self.path.clone(),
                    present: super::error::list(present.iter()),
                });
            }
        }
        Ok(())
    }

    fn state_name(&self, code: &str) -> String {
        super::data::state_display_name(&self.states, code)
    }

    pub(crate) fn build(&self, ctx: &Ctx, _name: &str) -> Result<Vec<Figure>, PlotError> {
        let th = Theme::layout(ctx.req.preset);
        let x_range = self
            .rows
            .iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), r| {
                (lo.min(r.year), hi.max(r.year))
            });
        // (metric order, sector, market) → state → (year, difference).
        type Series = BTreeMap<String, Vec<(f64, f64)>>;
        let mut groups: BTreeMap<(usize, String, String), Series> = BTreeMap::new();
        for r in &self.rows {
            if !ctx.req.states.is_empty() && !ctx.req.states.contains(&r.state) {
                continue;
            }
            let order = MAIN_OUTCOMES
                .iter()
                .position(|m| *m == r.metric)
                .expect("filtered on read");
            let k = if is_percent_metric(&r.metric) {
                100.0
            } else {
                1.0
            };
            groups
                .entry((order, r.sector.clone(), r.market.clone()))
                .or_default()
                .entry(r.state.clone())
                .or_default()
                .push((r.year, r.difference * k));
        }
        let mut figs = Vec::new();
        for ((order, sector, market), series) in groups {
            let metric = MAIN_OUTCOMES[order];
            let (mut moved, unmoved): (Vec<_>, Vec<_>) = series
                .iter()
                .partition(|(_, pts)| pts.iter().any(|(_, d)| *d != 0.0 && d.is_finite()));
            if moved.is_empty() {
                continue;
            }
            // The states that move most, largest first; the rest are named in the caption.
            let size = |pts: &Vec<(f64, f64)>| {
                pts.iter()
                    .map(|(_, d)| d.abs())
                    .filter(|d| d.is_finite())
                    .fold(0.0, f64::max)
            };
            moved.sort_by(|a, b| size(b.1).total_cmp(&size(a.1)).then(a.0.cmp(b.0)));
            let smaller: Vec<String> = moved
                .iter()
                .skip(MAX_LINES)
                .map(|(s, _)| self.state_name(s))
                .collect();
            moved.truncate(MAX_LINES);
            let mut layers = vec![hline(0.0, x_range.0, x_range.1)];
            let mut legend = Vec::new();
            let mut values = Vec::new();
            for (state, pts) in &moved {
                let xs: Vec<f64> = pts.iter().map(|p| p.0).collect();
                let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
                values.extend(ys.iter().copied());
                let (colour, dash) = self.colours.state_style(state);
                layers.push(line(&xs, &ys, colour, th.line_pt, dash, false));
                legend.push(LegendEntry {
                    label: self.state_name(state),
                    color: colour,
                    swatch: Swatch::Line {
                        dash,
                        marker: false,
                    },
                });
            }
            let (long, short) = metric_axis_label(metric);
            // "Market share (%)" → "market share (percentage points)"; "AI compute" keeps its case.
            let unit = |s: String| {
                let s = s.replace("(%)", "(percentage points)");
                let mut c = s.chars();
                match (c.next(), c.next()) {
                    (Some(a), Some(b)) if a.is_uppercase() && b.is_lowercase() => {
                        a.to_lowercase().chain(s.chars().skip(1)).collect()
                    }
                    _ => s,
                }
            };
            let y_title = (
                format!("Difference in {}", unit(long)),
                format!("Δ {}", short.replace("(%)", "(pp)")),
            );
            let what = match (sector.is_empty(), market.as_str()) {
                (true, _) => metric_name(metric),
                (false, "world") => format!(
                    "{} in {}, world market",
                    metric_name(metric),
                    sector_label(&sector).to_lowercase()
                ),
                (false, _) => format!(
                    "{} in {}",
                    metric_name(metric),
                    sector_label(&sector).to_lowercase()
                ),
            };
            let same = if unmoved.is_empty() {
                String::new()
            } else {
                format!(
                    " Identical in both runs: {}.",
                    unmoved
                        .iter()
                        .map(|(s, _)| self.state_name(s))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            };
            let same = if smaller.is_empty() {
                same
            } else {
                format!(
                    "{same} Smaller differences, not drawn: {}.",
                    smaller.join(", ")
                )
            };
            let scenario = self.manifest.scenario.clone().unwrap_or_default();
            let mut fig = Figure {
                stem: format!(
                    "difference_{}{}",
                    slug(metric),
                    if sector.is_empty() {
                        String::new()
                    } else {
                        format!("_{}", slug(&sector))
                    }
                ),
                caption: format!(
                    "Difference in {what}, variant minus baseline ({scenario}), by state; above zero the variant is higher.{same}"
                ),
                title: ctx.title(format!("Difference in {what}")),
                x_title: "Year".into(),
                y_title,
                panels: vec![Panel {
                    title: None,
                    x: Axis::time(x_range.0, x_range.1),
                    y: Axis::linear_covering(values, true),
                    layers,
                    grid_x: false,
                    grid_y: true,
                }],
                cols: 1,
                legend,
                plot_h_pt: None,
            };
            mark_events(&mut fig, &self.events, "events of one run only");
            figs.push(fig);
        }
        if figs.is_empty() {
            return Err(PlotError::NoData {
                what: "difference".into(),
                name: "variant − baseline".into(),
                path: self.path.clone(),
                context: String::new(),
                present: format!("the runs do not differ in {}", MAIN_OUTCOMES.join(", ")),
            });
        }
        Ok(figs)
    }
}
