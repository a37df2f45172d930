//! Charts of an effect estimate (`effects.csv`): dose–response and marginal effects, with
//! ablations (the model with one mechanism switched off) as separate series.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::data::{EffRow, Manifest, read_effects};
use super::error::{PlotError, list};
use super::figure::{Axis, Dash, Figure, LegendEntry, Panel, Swatch};
use super::primitives::{Est, band, grouped_bars, hline, line};
use super::theme::{BLACK, Rgb, Theme, assign_group, pretty_id};
use super::{CatalogueEntry, Ctx, entry, slug};
use crate::labels::FULL_MODEL;

pub(crate) struct EffectData {
    pub manifest: Manifest,
    path: PathBuf,
    rows: Vec<EffRow>,
}

/// Opacity of confidence bands around dose–response lines.
const CI_ALPHA: f64 = 0.15;

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
        if a == FULL_MODEL {
            return "Full model".into();
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
        let mut m: BTreeMap<String, Rgb> = assign_group(&abl).into_iter().collect();
        m.insert(FULL_MODEL.into(), BLACK);
        m
    }

    fn ablations_of(rows: &[&EffRow]) -> Vec<String> {
        let set: BTreeSet<&str> = rows.iter().map(|r| r.ablation.as_str()).collect();
        let mut v: Vec<String> = Vec::new();
        if set.contains(FULL_MODEL) {
            v.push(FULL_MODEL.into());
        }
        v.extend(
            set.into_iter()
                .filter(|a| *a != FULL_MODEL)
                .map(str::to_string),
        );
        v
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
        for a in Self::ablations_of(rows) {
            let mut pts: Vec<&EffRow> = rows.iter().copied().filter(|r| r.ablation == a).collect();
            pts.sort_by_key(|r| r.dose);
            let xs: Vec<f64> = pts.iter().map(|r| r.dose as f64).collect();
            let ys: Vec<f64> = pts.iter().map(|r| r.estimate).collect();
            let lo: Vec<f64> = pts.iter().map(|r| r.ci_low).collect();
            let hi: Vec<f64> = pts.iter().map(|r| r.ci_high).collect();
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
            lines.push(line(&xs, &ys, c, th.line_pt, Dash::Solid, true));
            legend.push(LegendEntry {
                label: Self::ablation_label(&a),
                color: c,
                swatch: Swatch::Line {
                    dash: Dash::Solid,
                    marker: true,
                },
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
        let is_effect = quantity == "effect";
        if is_effect {
            layers.push(hline(0.0, d0 - 0.5, d1 + 0.5));
        }
        layers.extend(bands);
        layers.extend(lines);
        let ticks: Vec<(f64, String)> = doses
            .iter()
            .map(|&d| (d as f64, Self::dose_label(all, d)))
            .collect();
        let (y_long, y_short) = if is_effect {
            (
                format!("Effect on {outcome} (vs dose 0)"),
                "Effect vs dose 0".to_string(),
            )
        } else {
            (outcome.to_string(), outcome.to_string())
        };
        Figure {
            stem: format!("{chart}_{}", slug(outcome)),
            caption: format!(
                "{} of {outcome} against policy dose ({}), with confidence bands; one line per model variant.{}",
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
        let ablations = Self::ablations_of(rows);
        let groups: Vec<(Rgb, Vec<Option<Est>>)> = ablations
            .iter()
            .map(|a| {
                let vals = doses
                    .iter()
                    .map(|d| {
                        rows.iter()
                            .find(|r| &r.ablation == a && r.dose == *d)
                            .map(|r| Est {
                                est: r.estimate,
                                lo: r.ci_low,
                                hi: r.ci_high,
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
        let second = quantity == "second_difference";
        let (y_long, y_short) = if second {
            (
                format!("Second difference of effect on {outcome}"),
                "Second difference".to_string(),
            )
        } else {
            (
                format!("Marginal effect on {outcome}"),
                "Marginal effect".to_string(),
            )
        };
        Figure {
            stem: format!("{chart}_{}", slug(outcome)),
            caption: format!(
                "{} on {outcome} at each dose ({}), with confidence intervals; bars side by side per model variant.{}",
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
