//! Charts of an effect estimate (`effects.csv`): dose–response and marginal effects, with
//! ablations (the model with one mechanism switched off) as separate series.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::data::{EffRow, Manifest, read_effects};
use super::error::{PlotError, list};
use super::figure::{Axis, Dash, Figure, LegendEntry, Panel, Swatch};
use super::primitives::{Est, band, grouped_bars, hline, line};
use super::theme::{
    BLACK, Rgb, Theme, assign_group, is_percent_metric, metric_axis_label, pretty_id,
};
use super::{CatalogueEntry, Ctx, entry, slug};
use crate::labels::{ALL_LISTED, ALL_OFF, FULL_MODEL};

pub(crate) struct EffectData {
    pub manifest: Manifest,
    path: PathBuf,
    rows: Vec<EffRow>,
}

/// Opacity of confidence bands around dose–response lines.
const CI_ALPHA: f64 = 0.15;
/// The full model's colour: near-black, so black whiskers (with their white halo) stay visible
/// on its bars.
const FULL_MODEL_COLOUR: Rgb = Rgb::hex(0x3A3A3A);
/// Ablations drawn at most besides the full model: the ones furthest from it.
const MAX_ABLATIONS_DRAWN: usize = 6;
/// An ablation whose estimates all lie within this share of the full model's range of estimates
/// is indistinguishable on the chart and is named in the caption instead of drawn.
const SAME_AS_FULL: f64 = 0.01;

impl EffectData {
    pub(crate) fn load(dir: &std::path::Path, manifest: Manifest) -> Result<EffectData, PlotError> {
        let (path, rows) = read_effects(dir)?;
        Ok(EffectData {
            manifest,
            path,
            rows,
        })
    }

    fn has(&self, quantity: &str) -> bool {
        self.rows.iter().any(|r| r.quantity == quantity)
    }

    pub(crate) fn catalogue(&self) -> Vec<CatalogueEntry> {
        vec![
            entry(
                "dose_response",
                "Mean outcome (level) against policy dose with confidence band, per outcome; ablations as separate lines",
                self.has("level"),
            ),
            entry(
                "dose_effect",
                "Effect against policy dose (vs dose 0) with confidence band, per outcome; ablations as separate lines",
                self.has("effect"),
            ),
            entry(
                "marginal_effects",
                "Marginal effect of each dose step (k-1 to k) as bars with confidence whiskers, per outcome; ablations side by side",
                self.has("marginal"),
            ),
            entry(
                "second_differences",
                "Second differences of the effect by dose (k >= 2) as bars with confidence whiskers, per outcome",
                self.has("second_difference"),
            ),
        ]
    }

    fn outcomes(&self) -> Vec<String> {
        let mut seen = BTreeSet::new();
        self.rows
            .iter()
            .filter(|r| seen.insert(r.outcome.clone()))
            .map(|r| r.outcome.clone())
            .collect()
    }

    pub(crate) fn validate(&self, ctx: &Ctx) -> Result<(), PlotError> {
        let outcomes = self.outcomes();
        for m in &ctx.req.metrics {
            if !outcomes.contains(m) {
                return Err(PlotError::NoData {
                    what: "outcome".into(),
                    name: m.clone(),
                    path: self.path.clone(),
                    context: String::new(),
                    present: format!("outcomes {}", list(&outcomes)),
                });
            }
        }
        Ok(())
    }

    fn ablation_label(a: &str) -> String {
        match a {
            FULL_MODEL => return "Full model".into(),
            ALL_OFF => return "All mechanisms off".into(),
            ALL_LISTED => return "All listed mechanisms off".into(),
            _ => {}
        }
        let p = pretty_id(a);
        let lower = a.to_ascii_lowercase();
        if lower.starts_with("no_") || lower.starts_with("without") || lower.starts_with("no-") {
            p
        } else {
            format!("Without {}", p.to_lowercase())
        }
    }

    /// Stable colours: the full model is black; ablations share the pool, distinct within a file.
    fn colours(&self) -> BTreeMap<String, Rgb> {
        let abl: BTreeSet<String> = self
            .rows
            .iter()
            .map(|r| r.ablation.clone())
            .filter(|a| a != FULL_MODEL)
            .collect();
        let mut m: BTreeMap<String, Rgb> = assign_group(&abl)
            .into_iter()
            .map(|(a, (colour, _))| (a, colour))
            .collect();
        m.insert(FULL_MODEL.into(), FULL_MODEL_COLOUR);
        m
    }

    /// The ablations to draw, the full model first, and a note on those left out. With many
    /// ablations (every mechanism switch by default) a chart of all of them is unreadable and
    /// most lie on the full model: draw the [`MAX_ABLATIONS_DRAWN`] furthest from it that differ
    /// by more than [`SAME_AS_FULL`] of its range, and name the rest.
    fn ablations_of(rows: &[&EffRow]) -> (Vec<String>, String) {
        let set: BTreeSet<&str> = rows.iter().map(|r| r.ablation.as_str()).collect();
        let full: BTreeMap<u32, f64> = rows
            .iter()
            .filter(|r| r.ablation == FULL_MODEL)
            .map(|r| (r.dose, r.estimate))
            .collect();
        let (lo, hi) = full
            .values()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
                (a.min(*v), b.max(*v))
            });
        let scale = (hi - lo)
            .abs()
            .max(hi.abs().max(lo.abs()) * 1e-9)
            .max(1e-300);
        let mut distance: Vec<(f64, &str)> = set
            .iter()
            .filter(|a| **a != FULL_MODEL)
            .map(|a| {
                let d = rows
                    .iter()
                    .filter(|r| r.ablation == *a)
                    .filter_map(|r| full.get(&r.dose).map(|f| (r.estimate - f).abs()))
                    .fold(0.0, f64::max);
                (
                    if full.is_empty() {
                        f64::INFINITY
                    } else {
                        d / scale
                    },
                    *a,
                )
            })
            .collect();
        distance.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(y.1)));
        let mut v: Vec<String> = Vec::new();
        if set.contains(FULL_MODEL) {
            v.push(FULL_MODEL.into());
        }
        let (mut same, mut crowded) = (Vec::new(), Vec::new());
        for (d, a) in distance {
            if d <= SAME_AS_FULL {
                same.push(a);
            } else if v.len() <= MAX_ABLATIONS_DRAWN {
                v.push(a.to_string());
            } else {
                crowded.push(a);
            }
        }
        let mut note = String::new();
        if !same.is_empty() {
            same.sort();
            note.push_str(&format!(
                " Not drawn, within {:.0}% of the full model: {}.",
                SAME_AS_FULL * 100.0,
                same.join(", ")
            ));
        }
        if !crowded.is_empty() {
            crowded.sort();
            note.push_str(&format!(
                " Not drawn, closer to the full model than those shown: {} (effects.csv has every ablation).",
                crowded.join(", ")
            ));
        }
        (v, note)
    }

    /// (axis title, short title, scale) of an outcome: the metric's unit from the metric
    /// catalogue, percentages for shares; the bare label when the manifest does not say.
    fn outcome_axis(&self, outcome: &str, prefix: &str) -> (String, String, f64) {
        match self.manifest.outcome_metrics.get(outcome) {
            Some(metric) => {
                let (long, short) = metric_axis_label(metric);
                let k = if is_percent_metric(metric) {
                    100.0
                } else {
                    1.0
                };
                let (long, short) = if prefix.is_empty() {
                    (format!("{outcome}: {long}"), short)
                } else {
                    // "Marginal effect on" → "Marginal effect (index)": the quantity and the
                    // unit (the short label's parenthesis) when the long title does not fit.
                    let word = prefix.trim_end_matches(" on");
                    let unit = short
                        .rfind('(')
                        .map(|i| short[i..].replace("(%)", "(pp)"))
                        .unwrap_or_default();
                    (
                        format!(
                            "{prefix} {outcome}, {}",
                            long.replace("(%)", "(percentage points)")
                        ),
                        format!("{word} {unit}").trim().to_string(),
                    )
                };
                (long, short, k)
            }
            None => (
                format!("{prefix} {outcome}").trim().to_string(),
                outcome.to_string(),
                1.0,
            ),
        }
    }

    fn dose_label(rows: &[&EffRow], dose: u32) -> String {
        rows.iter()
            .find(|r| r.dose == dose && !r.dose_label.is_empty())
            .map(|r| r.dose_label.clone())
            .unwrap_or_else(|| dose.to_string())
    }

    pub(crate) fn build(&self, ctx: &Ctx, name: &str) -> Result<Vec<Figure>, PlotError> {
        let quantity = match name {
            "dose_response" => "level",
            "dose_effect" => "effect",
            "marginal_effects" => "marginal",
            "second_differences" => "second_difference",
            _ => unreachable!("chart names are checked against the catalogue"),
        };
        let mut figs = Vec::new();
        let colours = self.colours();
        for outcome in self.outcomes() {
            if !ctx.req.metrics.is_empty() && !ctx.req.metrics.contains(&outcome) {
                continue;
            }
            let all: Vec<&EffRow> = self.rows.iter().filter(|r| r.outcome == outcome).collect();
            let rows: Vec<&EffRow> = all
                .iter()
                .copied()
                .filter(|r| r.quantity == quantity && r.estimate.is_finite())
                .collect();
            if rows.is_empty() {
                continue;
            }
            let fig = if matches!(quantity, "level" | "effect") {
                self.dose_lines(ctx, name, quantity, &outcome, &all, &rows, &colours)
            } else {
                self.dose_bars(ctx, name, quantity, &outcome, &all, &rows, &colours)
            };
            figs.push(fig);
        }
        if figs.is_empty() {
            let present: BTreeSet<&str> = self.rows.iter().map(|r| r.quantity.as_str()).collect();
            return Err(PlotError::NoData {
                what: "quantity".into(),
                name: quantity.into(),
                path: self.path.clone(),
                context: String::new(),
                present: format!("quantities {}", list(present)),
            });
        }
        Ok(figs)
    }

    #[allow(clippy::too_many_arguments)]
    fn dose_lines(
        &self,
        ctx: &Ctx,
        chart: &str,
        quantity: &str,
        outcome: &str,
        all: &[&EffRow],
        rows: &[&EffRow],
        colours: &BTreeMap<String, Rgb>,
    ) -> Figure {
        let th = Theme::layout(ctx.req.preset);
        let doses: BTreeSet<u32> = rows.iter().map(|r| r.dose).collect();
        let (d0, d1) = (
            *doses.first().unwrap() as f64,
            *doses.last().unwrap() as f64,
        );
        let mut bands = Vec::new();
        let mut lines = Vec::new();
        let mut values = Vec::new();
        let mut legend = Vec::new();
        let mut any_ci = false;
        let is_effect = quantity == "effect";
        let (y_long, y_short, k) =
            self.outcome_axis(outcome, if is_effect { "Effect vs dose 0 on" } else { "" });
        let (drawn, left_out) = Self::ablations_of(rows);
        for a in drawn {
            let mut pts: Vec<&EffRow> = rows.iter().copied().filter(|r| r.ablation == a).collect();
            pts.sort_by_key(|r| r.dose);
            let xs: Vec<f64> = pts.iter().map(|r| r.dose as f64).collect();
            let ys: Vec<f64> = pts.iter().map(|r| r.estimate * k).collect();
            let lo: Vec<f64> = pts.iter().map(|r| r.ci_low * k).collect();
            let hi: Vec<f64> = pts.iter().map(|r| r.ci_high * k).collect();
            values.extend(ys.iter().chain(&lo).chain(&hi).copied());
            let c = colours[&a];
            if lo
                .iter()
                .zip(&hi)
                .filter(|(l, h)| l.is_finite() && h.is_finite())
                .count()
                >= 2
            {
                bands.push(band(&xs, &lo, &hi, c, CI_ALPHA));
                any_ci = true;
            }
            // Ablations dashed under the full model, which is drawn last and thicker, so a line
            // identical to it can never hide it.
            let full = a == FULL_MODEL;
            let dash = if full { Dash::Solid } else { Dash::Dashed };
            let width = if full { th.line_pt * 1.6 } else { th.line_pt };
            let drawn_line = line(&xs, &ys, c, width, dash, true);
            if full {
                lines.push(drawn_line);
            } else {
                lines.insert(0, drawn_line);
            }
            legend.push(LegendEntry {
                label: Self::ablation_label(&a),
                color: c,
                swatch: Swatch::Line { dash, marker: true },
            });
        }
        if any_ci {
            legend.push(LegendEntry {
                label: "Confidence band".into(),
                color: Rgb::hex(0x555555),
                swatch: Swatch::Band { alpha: 0.3 },
            });
        }
        let mut layers = Vec::new();
        if is_effect {
            layers.push(hline(0.0, d0 - 0.5, d1 + 0.5));
        }
        layers.extend(bands);
        layers.extend(lines);
        let ticks: Vec<(f64, String)> = doses
            .iter()
            .map(|&d| (d as f64, Self::dose_label(all, d)))
            .collect();
        Figure {
            stem: format!("{chart}_{}", slug(outcome)),
            caption: format!(
                "{} of {outcome} against policy dose ({}), with confidence bands; one line per model variant, the full model solid.{left_out}{}",
                if is_effect {
                    "Effect (relative to dose 0)"
                } else {
                    "Mean level"
                },
                ticks
                    .iter()
                    .map(|(d, l)| format!("{d}: {l}"))
                    .collect::<Vec<_>>()
                    .join("; "),
                ctx.scenario_note()
            ),
            title: ctx.title(format!(
                "{}: {outcome}",
                if is_effect {
                    "Effect by dose"
                } else {
                    "Dose–response"
                }
            )),
            x_title: "Policy dose".into(),
            y_title: (y_long, y_short),
            panels: vec![Panel {
                title: None,
                x: Axis::fixed(d0 - 0.5, d1 + 0.5, ticks),
                y: Axis::linear_covering(values, is_effect),
                layers,
                grid_x: false,
                grid_y: true,
            }],
            cols: 1,
            legend,
            plot_h_pt: None,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn dose_bars(
        &self,
        ctx: &Ctx,
        chart: &str,
        quantity: &str,
        outcome: &str,
        all: &[&EffRow],
        rows: &[&EffRow],
        colours: &BTreeMap<String, Rgb>,
    ) -> Figure {
        let doses: Vec<u32> = rows
            .iter()
            .map(|r| r.dose)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let second = quantity == "second_difference";
        let (y_long, y_short, k) = self.outcome_axis(
            outcome,
            if second {
                "Second difference on"
            } else {
                "Marginal effect on"
            },
        );
        let (ablations, left_out) = Self::ablations_of(rows);
        let groups: Vec<(Rgb, Vec<Option<Est>>)> = ablations
            .iter()
            .map(|a| {
                let vals = doses
                    .iter()
                    .map(|d| {
                        rows.iter()
                            .find(|r| &r.ablation == a && r.dose == *d)
                            .map(|r| Est {
                                est: r.estimate * k,
                                lo: r.ci_low * k,
                                hi: r.ci_high * k,
                            })
                    })
                    .collect();
                (colours[a], vals)
            })
            .collect();
        let n = doses.len();
        let mut layers = vec![hline(0.0, -0.6, n as f64 - 0.4)];
        layers.extend(grouped_bars(&groups, false));
        let values = groups
            .iter()
            .flat_map(|(_, v)| v.iter().flatten().flat_map(|e| [e.est, e.lo, e.hi]));
        let y = Axis::for_bars(values);
        let ticks: Vec<(f64, String)> = doses
            .iter()
            .enumerate()
            .map(|(i, &d)| (i as f64, Self::dose_label(all, d)))
            .collect();
        let mut legend: Vec<LegendEntry> = ablations
            .iter()
            .map(|a| LegendEntry {
                label: Self::ablation_label(a),
                color: colours[a],
                swatch: Swatch::Patch,
            })
            .collect();
        if groups.iter().any(|(_, v)| {
            v.iter()
                .flatten()
                .any(|e| e.lo.is_finite() && e.hi.is_finite())
        }) {
            legend.push(LegendEntry {
                label: "Confidence interval".into(),
                color: BLACK,
                swatch: Swatch::Whisker,
            });
        }
        Figure {
            stem: format!("{chart}_{}", slug(outcome)),
            caption: format!(
                "{} on {outcome} at each dose ({}), with confidence intervals; bars side by side per model variant.{left_out}{}",
                if second {
                    "Second difference of the effect (change in the marginal effect)"
                } else {
                    "Marginal effect of adding each dose step (effect at k minus effect at k-1)"
                },
                ticks
                    .iter()
                    .zip(&doses)
                    .map(|((_, l), d)| format!("{d}: {l}"))
                    .collect::<Vec<_>>()
                    .join("; "),
                ctx.scenario_note()
            ),
            title: ctx.title(format!(
                "{}: {outcome}",
                if second {
                    "Second differences"
                } else {
                    "Marginal effects"
                }
            )),
            x_title: if second {
                "Dose".into()
            } else {
                "Dose step added".into()
            },
            y_title: (y_long, y_short),
            panels: vec![Panel {
                title: None,
                x: Axis::fixed(-0.6, n as f64 - 0.4, ticks),
                y,
                layers,
                grid_x: false,
                grid_y: true,
            }],
            cols: 1,
            legend,
            plot_h_pt: None,
        }
    }
}
