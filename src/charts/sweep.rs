//! Charts of a parameter sweep (`summary.csv`, optional `sensitivity.csv`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::data::{
    Ent, Firm, Manifest, Responses, SensRow, Summary, read_firms, read_sensitivity, read_states,
};
use super::error::{PlotError, list};
use super::figure::{Axis, Dash, Figure, LegendEntry, Panel, Swatch, fit};
use super::primitives::{Est, FAN_INNER_ALPHA, FAN_OUTER_ALPHA, fan, grouped_bars, line, vline};
use super::run::fmt_month;
use super::theme::{
    BLACK, ColourMap, PALETTE, Rgb, Theme, is_percent_metric, metric_axis_label, metric_name,
    sector_label, series_style,
};
use super::{CatalogueEntry, Ctx, entry, slug};

/// Fan charts drawn when no metric, state or firm is asked for.
pub(crate) const DEFAULT_FAN_LIMIT: usize = 12;
/// Fan charts drawn at most when the request filters series.
pub(crate) const FILTERED_FAN_LIMIT: usize = 60;
/// Sensitivity charts drawn at most per chart name.
pub(crate) const SENSITIVITY_LIMIT: usize = 24;

pub(crate) struct SweepData {
    pub manifest: Manifest,
    s: Summary,
    sens: Option<(PathBuf, Vec<SensRow>)>,
    resp: Option<Responses>,
    firms: Vec<Firm>,
    states: Vec<(String, String)>,
    colours: ColourMap,
}

/// Entity columns as strings.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Who {
    state: String,
    firm: String,
    sector: String,
    market: String,
}

impl SweepData {
    pub(crate) fn load(
        dir: &std::path::Path,
        manifest: Manifest,
        point: Option<u32>,
    ) -> Result<SweepData, PlotError> {
        let s = Summary::read(dir, point)?;
        let sens = read_sensitivity(dir)?;
        let resp = Responses::read(dir)?;
        let firms = read_firms(dir)?.unwrap_or_default();
        let states = read_states(dir)?;
        let colours = ColourMap::new(
            firms
                .iter()
                .map(|f| (f.id.as_str(), f.sector.as_str(), f.home.as_str())),
        );
        Ok(SweepData {
            manifest,
            s,
            sens,
            resp,
            firms,
            states,
            colours,
        })
    }

    fn who(&self, e: &Ent) -> Who {
        let n = |x| self.s.names.name(x).to_string();
        Who {
            state: n(e.state),
            firm: n(e.firm),
            sector: n(e.sector),
            market: n(e.market),
        }
    }

    fn has_index(&self, idx: &[&str]) -> bool {
        self.sens
            .as_ref()
            .is_some_and(|(_, rows)| rows.iter().any(|r| idx.contains(&r.index.as_str())))
    }

    pub(crate) fn catalogue(&self) -> Vec<CatalogueEntry> {
        vec![
            entry(
                "fan",
                &format!(
                    "Fan chart per (metric, entity) at one design point: median, 50% and 90% bands across replicates (by default the first {DEFAULT_FAN_LIMIT} series of summary.csv; choose with metrics/states/firms)"
                ),
                !self.s.rows.is_empty(),
            ),
            entry(
                "response",
                "Outcome at the last kept date against each varied parameter: the replicate mean of every design point (a grid: one line per level of another parameter, levels as categories)",
                self.resp.is_some(),
            ),
            entry(
                "heatmap",
                "Two-parameter grid: the outcome's replicate mean in every cell, coloured on a colour-blind-safe sequential scale",
                self.resp
                    .as_ref()
                    .is_some_and(|r| r.factors.len() == 2 && r.is_grid()),
            ),
            entry(
                "sobol",
                "Sobol indices per output: first-order S1 and total-order ST as horizontal bars with confidence whiskers, per parameter",
                self.has_index(&["S1", "ST"]),
            ),
            entry(
                "morris",
                "Morris screening per output: mu* and sigma of elementary effects as horizontal bars, per parameter",
                self.has_index(&["mu_star", "sigma"]),
            ),
        ]
    }

    fn summary_metrics(&self) -> Vec<String> {
        self.s
            .metric_order
            .iter()
            .map(|&m| self.s.names.name(m).to_string())
            .collect()
    }

    fn column_values(
        &self,
        f: impl Fn(&Who) -> &str,
        g: impl Fn(&SensRow) -> &str,
    ) -> BTreeSet<String> {
        let mut set: BTreeSet<String> = BTreeSet::new();
        let mut seen = BTreeSet::new();
        for r in &self.s.rows {
            if seen.insert(r.ent) {
                set.insert(f(&self.who(&r.ent)).to_string());
            }
        }
        if let Some((_, rows)) = &self.sens {
            set.extend(rows.iter().map(|r| g(r).to_string()));
        }
        set.remove("");
        set
    }

    fn points(&self) -> BTreeSet<u32> {
        self.s.points.clone()
    }

    fn point(&self, ctx: &Ctx) -> u32 {
        ctx.req.point.unwrap_or_else(|| {
            let p = self.points();
            if p.contains(&0) {
                0
            } else {
                p.into_iter().next().unwrap_or(0)
            }
        })
    }

    pub(crate) fn validate(&self, ctx: &Ctx) -> Result<(), PlotError> {
        let req = ctx.req;
        if let Some(p) = req.point {
            let points = self.points();
            if !points.contains(&p) {
                return Err(PlotError::UnknownEntity {
                    what: "design point".into(),
                    name: p.to_string(),
                    path: self.s.path.clone(),
                    present: list(points.iter().map(|p| p.to_string())),
                });
            }
        }
        let mut metrics: BTreeSet<String> = self.summary_metrics().into_iter().collect();
        if let Some((_, rows)) = &self.sens {
            metrics.extend(rows.iter().map(|r| r.metric.clone()));
        }
        for m in &req.metrics {
            if !metrics.contains(m) {
                return Err(PlotError::NoData {
                    what: "metric".into(),
                    name: m.clone(),
                    path: self.s.path.clone(),
                    context: String::new(),
                    present: format!("metrics {}", list(&metrics)),
                });
            }
        }
        let checks: [(&str, &Vec<String>, BTreeSet<String>); 2] = [
            (
                "state",
                &req.states,
                self.column_values(|w| &w.state, |r| &r.state),
            ),
            (
                "firm",
                &req.firms,
                self.column_values(|w| &w.firm, |r| &r.firm),
            ),
        ];
        for (what, asked, present) in checks {
            for a in asked {
                if !present.contains(a) {
                    return Err(PlotError::UnknownEntity {
                        what: what.into(),
                        name: a.clone(),
                        path: self.s.path.clone(),
                        present: list(&present),
                    });
                }
            }
        }
        if let Some(mk) = &req.market {
            let present = self.column_values(|w| &w.market, |r| &r.market);
            if !present.contains(mk) {
                return Err(PlotError::UnknownEntity {
                    what: "market".into(),
                    name: mk.clone(),
                    path: self.s.path.clone(),
                    present: list(&present),
                });
            }
        }
        Ok(())
    }

    fn keep(&self, ctx: &Ctx, metric: &str, w: &Who) -> bool {
        let r = ctx.req;
        (r.metrics.is_empty() || r.metrics.iter().any(|m| m == metric))
            && (r.states.is_empty() || r.states.contains(&w.state))
            && (r.firms.is_empty() || r.firms.contains(&w.firm))
            && r.market
                .as_ref()
                .is_none_or(|m| w.market.is_empty() || &w.market == m)
    }

    fn filtered(&self, ctx: &Ctx) -> bool {
        let r = ctx.req;
        !(r.metrics.is_empty() && r.states.is_empty() && r.firms.is_empty() && r.market.is_none())
    }

    /// ` (threshold = -1, catch_up = true)`: a design point's parameter values, for captions.
    fn point_values(&self, point: u32) -> String {
        let Some(r) = &self.resp else {
            return String::new();
        };
        match r.points.get(&point) {
            Some(values) => format!(
                " ({})",
                r.factors
                    .iter()
                    .zip(values)
                    .map(|(f, v)| format!("{f} = {v}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            None => String::new(),
        }
    }

    /// Replicates per design point, from the summary's `n` where present.
    fn replicates(&self) -> String {
        self.manifest
            .replicates
            .map_or("the".to_string(), |n| n.to_string())
    }

    fn state_name(&self, code: &str) -> String {
        super::data::state_display_name(&self.states, code)
    }

    fn who_label(&self, w: &Who) -> String {
        let mut parts = Vec::new();
        if !w.firm.is_empty() {
            parts.push(
                self.firms
                    .iter()
                    .find(|f| f.id == w.firm)
                    .map(|f| f.name.clone())
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| w.firm.clone()),
            );
        }
        if !w.state.is_empty() {
            parts.push(self.state_name(&w.state));
        }
        if !w.sector.is_empty() {
            parts.push(sector_label(&w.sector).to_lowercase());
        }
        if !w.market.is_empty() {
            parts.push(if w.market == "world" {
                "world market".to_string()
            } else {
                format!("{} market", w.market)
            });
        }
        if parts.is_empty() {
            "all".into()
        } else {
            parts.join(", ")
        }
    }

    fn who_slug(w: &Who) -> String {
        let parts: Vec<&str> = [&w.state, &w.firm, &w.sector, &w.market]
            .into_iter()
            .filter(|s| !s.is_empty())
            .map(|s| s.as_str())
            .collect();
        if parts.is_empty() {
            "all".into()
        } else {
            slug(&parts.join("_"))
        }
    }

    fn who_colour(&self, w: &Who) -> Rgb {
        if !w.firm.is_empty() {
            self.colours.firm(&w.firm)
        } else if !w.state.is_empty() {
            self.colours.state(&w.state)
        } else {
            PALETTE[0]
        }
    }

    pub(crate) fn build(&self, ctx: &Ctx, name: &str) -> Result<Vec<Figure>, PlotError> {
        match name {
            "fan" => self.fans(ctx),
            "response" => self.responses(ctx, false),
            "heatmap" => self.responses(ctx, true),
            "sobol" => self.sensitivity(ctx, name, &["S1", "ST"]),
            "morris" => self.sensitivity(ctx, name, &["mu_star", "sigma"]),
            _ => unreachable!("chart names are checked against the catalogue"),
        }
    }

    fn fans(&self, ctx: &Ctx) -> Result<Vec<Figure>, PlotError> {
        let point = self.point(ctx);
        let order: BTreeMap<u32, usize> = self
            .s
            .metric_order
            .iter()
            .enumerate()
            .map(|(i, &m)| (m, i))
            .collect();
        // (metric order, who) → tick → row
        let mut series: BTreeMap<(usize, Who), BTreeMap<u32, usize>> = BTreeMap::new();
        for (i, r) in self.s.rows.iter().enumerate() {
            if r.point != point {
                continue;
            }
            let metric = self.s.names.name(r.metric);
            let w = self.who(&r.ent);
            if !self.keep(ctx, metric, &w) {
                continue;
            }
            series
                .entry((order[&r.metric], w))
                .or_default()
                .insert(r.tick, i);
        }
        if series.is_empty() {
            return Err(PlotError::NoData {
                what: "design point".into(),
                name: point.to_string(),
                path: self.s.path.clone(),
                context: " for the metrics, states, firms and market asked for".into(),
                present: format!("metrics {}", list(self.summary_metrics())),
            });
        }
        let limit = if self.filtered(ctx) {
            FILTERED_FAN_LIMIT
        } else {
            DEFAULT_FAN_LIMIT
        };
        let total = series.len();
        let th = Theme::layout(ctx.req.preset);
        let (x0, x1) = (
            self.s.tick_year.values().next().copied().unwrap_or(0.0),
            self.s.tick_year.values().last().copied().unwrap_or(1.0),
        );
        let n_points = self.points().len();
        let point_title = match self.point_values(point).trim() {
            "" => format!("Design point {point} (one of {n_points})"),
            values => format!(
                "Design point {point} (one of {n_points}): {}",
                values.trim_start_matches('(').trim_end_matches(')')
            ),
        };
        let mut figs = Vec::new();
        for ((mi, w), ticks) in series.into_iter().take(limit) {
            let metric = self.s.names.name(self.s.metric_order[mi]).to_string();
            let k = if is_percent_metric(&metric) {
                100.0
            } else {
                1.0
            };
            let rows: Vec<_> = ticks.iter().map(|(_, &i)| self.s.rows[i]).collect();
            let xs: Vec<f64> = ticks.keys().map(|t| self.s.tick_year[t]).collect();
            let q: Vec<Vec<f64>> = [
                rows.iter().map(|r| r.p05 * k).collect(),
                rows.iter().map(|r| r.p25 * k).collect(),
                rows.iter().map(|r| r.p50 * k).collect(),
                rows.iter().map(|r| r.p75 * k).collect(),
                rows.iter().map(|r| r.p95 * k).collect::<Vec<f64>>(),
            ]
            .into();
            // A series without quantiles (e.g. one replicate) still shows its mean.
            let q: Vec<Vec<f64>> = if q[2].iter().all(|v| !v.is_finite()) {
                let mean: Vec<f64> = rows.iter().map(|r| r.mean * k).collect();
                vec![q[0].clone(), q[1].clone(), mean, q[3].clone(), q[4].clone()]
            } else {
                q
            };
            let colour = self.who_colour(&w);
            let mut layers = fan(&xs, [&q[0], &q[1], &q[2], &q[3], &q[4]], colour, th.line_pt);
            // With a few kept ticks, mark them: the lines between are joins, not data.
            let sparse = xs.len() < 8;
            if sparse {
                layers.push(line(&xs, &q[2], colour, th.line_pt, Dash::Solid, true));
            }
            let values = q.iter().flatten().copied();
            let label = self.who_label(&w);
            let legend = vec![
                LegendEntry {
                    label: "Median".into(),
                    color: colour,
                    swatch: Swatch::Line {
                        dash: Dash::Solid,
                        marker: false,
                    },
                },
                LegendEntry {
                    label: "50% band (p25–p75)".into(),
                    color: colour,
                    swatch: Swatch::Band {
                        alpha: FAN_INNER_ALPHA,
                    },
                },
                LegendEntry {
                    label: "90% band (p05–p95)".into(),
                    color: colour,
                    swatch: Swatch::Band {
                        alpha: FAN_OUTER_ALPHA,
                    },
                },
            ];
            let more = if total > limit {
                format!(" (one of the first {limit} of {total} series)")
            } else {
                String::new()
            };
            figs.push(Figure {
                stem: format!("fan_{}_{}{}", slug(&metric), Self::who_slug(&w), if point != 0 { format!("_p{point}") } else { String::new() }),
                caption: format!(
                    "{} for {label}, design point {point}{}: median across {} replicates of that one point, with 50% and 90% bands{}{more}.{}",
                    capitalise(&metric_name(&metric)),
                    self.point_values(point),
                    self.replicates(),
                    if sparse {
                        format!("; markers at the {} kept dates, straight lines between them", xs.len())
                    } else {
                        String::new()
                    },
                    ctx.scenario_note()
                ),
                title: ctx.title(format!("{}: {label}", capitalise(&metric_name(&metric)))),
                x_title: "Year".into(),
                y_title: metric_axis_label(&metric),
                panels: vec![Panel {
                    // Said in the chart, not only in the caption: the bands are replicates of
                    // this one design point, not the spread across the design.
                    title: Some(point_title.clone()),
                    x: Axis::time(x0, x1),
                    y: Axis::linear_covering(values, is_percent_metric(&metric)),
                    layers,
                    grid_x: false,
                    grid_y: true,
                }],
                cols: 1,
                legend,
                plot_h_pt: None,
            });
        }
        Ok(figs)
    }

    /// Response charts (`heatmap` = false) or heat maps of the replicate means at the last kept
    /// date, for each outcome the request keeps.
    fn responses(&self, ctx: &Ctx, heatmap: bool) -> Result<Vec<Figure>, PlotError> {
        let Some(r) = &self.resp else {
            return Err(PlotError::NoData {
                what: "varied parameter".into(),
                name: "response".into(),
                path: self.s.path.clone(),
                context: String::new(),
                present: "no parameters varied, or too many design points to chart".into(),
            });
        };
        let limit = if self.filtered(ctx) {
            FILTERED_FAN_LIMIT
        } else {
            DEFAULT_FAN_LIMIT
        };
        let th = Theme::layout(ctx.req.preset);
        let grid = r.is_grid();
        let mut figs = Vec::new();
        let outcomes = r.means.iter().filter(|(k, _)| {
            let w = Who {
                state: k[1].clone(),
                firm: k[2].clone(),
                sector: k[3].clone(),
                market: k[4].clone(),
            };
            self.keep(ctx, &k[0], &w)
        });
        for (key, means) in outcomes.take(limit) {
            let metric = key[0].as_str();
            let w = Who {
                state: key[1].clone(),
                firm: key[2].clone(),
                sector: key[3].clone(),
                market: key[4].clone(),
            };
            let k = if is_percent_metric(metric) {
                100.0
            } else {
                1.0
            };
            let label = self.who_label(&w);
            let when = super::data::date_to_year(&r.date).map_or(r.date.clone(), fmt_month);
            let what = format!("{} for {label} in {when}", capitalise(&metric_name(metric)));
            let stem = |kind: &str| format!("{kind}_{}_{}", slug(metric), Self::who_slug(&w));
            if heatmap {
                figs.push(heat_map(
                    ctx,
                    &th,
                    r,
                    means,
                    k,
                    &what,
                    metric,
                    stem("heatmap"),
                ));
                continue;
            }
            if !grid {
                // A sampled design: one figure per outcome, a panel per parameter.
                let mut fig = scatter_response(ctx, &th, r, means, k, &what, metric);
                fig.stem = stem("response");
                figs.push(fig);
                continue;
            }
            for f in 0..r.factors.len() {
                let mut fig = grid_response(ctx, &th, r, means, f, k, &what, metric);
                fig.stem = format!("{}_{}", stem("response"), slug(&r.factors[f]));
                figs.push(fig);
            }
        }
        if figs.is_empty() {
            return Err(PlotError::NoData {
                what: "outcome".into(),
                name: "response".into(),
                path: self.s.path.clone(),
                context: " for the metrics, states, firms and market asked for".into(),
                present: format!("metrics {}", list(self.summary_metrics())),
            });
        }
        Ok(figs)
    }

    fn sensitivity(
        &self,
        ctx: &Ctx,
        chart: &str,
        idx: &[&str; 2],
    ) -> Result<Vec<Figure>, PlotError> {
        let Some((path, rows)) = &self.sens else {
            return Err(PlotError::MissingFile {
                path: self.s.path.with_file_name("sensitivity.csv"),
                why: format!("the {chart} chart needs sensitivity indices"),
            });
        };
        // Output (metric, who) → latest tick → parameter → index → estimate.
        type ByParam = BTreeMap<String, BTreeMap<String, Est>>;
        let mut outputs: BTreeMap<(String, Who), BTreeMap<Option<u32>, ByParam>> = BTreeMap::new();
        let mut first_seen: Vec<(String, Who)> = Vec::new();
        // Outputs whose indices the sweep called meaningless, and (output, parameter) pairs with
        // a flagged index: read from the `note` column so the chart says what the table says.
        let mut near_constant: BTreeMap<(String, Who), String> = BTreeMap::new();
        let mut flagged: BTreeSet<((String, Who), String)> = BTreeSet::new();
        for r in rows.iter().filter(|r| idx.contains(&r.index.as_str())) {
            let w = Who {
                state: r.state.clone(),
                firm: r.firm.clone(),
                sector: r.sector.clone(),
                market: r.market.clone(),
            };
            if !self.keep(ctx, &r.metric, &w) {
                continue;
            }
            let key = (r.metric.clone(), w);
            if !outputs.contains_key(&key) {
                first_seen.push(key.clone());
            }
            for part in r.note.split("; ").filter(|p| !p.is_empty()) {
                if part.starts_with("near-constant output") {
                    near_constant.insert(key.clone(), part.to_string());
                } else {
                    flagged.insert((key.clone(), r.parameter.clone()));
                }
            }
            outputs
                .entry(key)
                .or_default()
                .entry(r.tick)
                .or_default()
                .entry(r.parameter.clone())
                .or_default()
                .insert(
                    r.index.clone(),
                    Est {
                        est: r.estimate,
                        lo: r.ci_low,
                        hi: r.ci_high,
                    },
                );
        }
        if outputs.is_empty() {
            let present: BTreeSet<&str> = rows.iter().map(|r| r.index.as_str()).collect();
            return Err(PlotError::NoData {
                what: "index".into(),
                name: idx.join("/"),
                path: path.clone(),
                context: if self.filtered(ctx) {
                    " for the metrics, states, firms and market asked for".into()
                } else {
                    String::new()
                },
                present: format!("indices {}", list(present)),
            });
        }
        let skipped: Vec<String> = first_seen
            .iter()
            .filter_map(|k| near_constant.get(k).map(|n| format!("{} ({n})", k.0)))
            .collect();
        first_seen.retain(|k| !near_constant.contains_key(k));
        if first_seen.is_empty() {
            return Err(PlotError::NoData {
                what: "meaningful index".into(),
                name: idx.join("/"),
                path: path.clone(),
                context: String::new(),
                present: format!(
                    "only outputs that barely vary, whose indices are not meaningful: {}",
                    skipped.join(", ")
                ),
            });
        }
        let th = Theme::layout(ctx.req.preset);
        let colours = [PALETTE[0], PALETTE[1]];
        // Sobol' indices live in [0, 1]; estimates and whiskers beyond are sampling noise, cut
        // at a margin so one wild interval cannot squash every bar.
        let clip = (chart == "sobol").then_some((-0.1, 1.1));
        let mut figs = Vec::new();
        for key in first_seen.into_iter().take(SENSITIVITY_LIMIT) {
            let by_tick = &outputs[&key];
            let (tick, params) = by_tick.iter().next_back().expect("non-empty");
            let (metric, w) = &key;
            // Most important parameter on top: sort by the second index (ST or sigma) then the first.
            let mut names: Vec<&String> = params.keys().collect();
            let score = |p: &String| {
                let m = &params[p];
                m.get(idx[1])
                    .or(m.get(idx[0]))
                    .map(|e| e.est)
                    .filter(|v| v.is_finite())
                    .unwrap_or(f64::NEG_INFINITY)
            };
            names.sort_by(|a, b| score(b).total_cmp(&score(a)).then(a.cmp(b)));
            let n = names.len();
            let groups: Vec<(Rgb, Vec<Option<Est>>)> = idx
                .iter()
                .zip(colours)
                .map(|(ix, c)| {
                    (
                        c,
                        (0..n)
                            .map(|pos| {
                                params[names[n - 1 - pos]].get(*ix).map(|e| match clip {
                                    Some((lo, hi)) => Est {
                                        est: e.est.clamp(lo, hi),
                                        lo: e.lo.clamp(lo, hi),
                                        hi: e.hi.clamp(lo, hi),
                                    },
                                    None => *e,
                                })
                            })
                            .collect(),
                    )
                })
                .collect();
            let mut layers = grouped_bars(&groups, true);
            let values = groups
                .iter()
                .flat_map(|(_, v)| v.iter().flatten().flat_map(|e| [e.est, e.lo, e.hi]));
            let x = match clip {
                Some((lo, hi)) => Axis::for_bars(values.chain([lo.max(0.0), hi.min(1.0)])),
                None => Axis::for_bars(values),
            };
            layers.insert(0, vline(0.0, -0.6, n as f64 - 0.4));
            // Parameter paths are long ("learning.catch_up_rate_per_year"): give them the room
            // they need up to 60% of the figure, and mark flagged indices with a dagger.
            let max_label = th.width_pt() * 0.6;
            let any_flagged = names
                .iter()
                .any(|p| flagged.contains(&(key.clone(), (*p).clone())));
            let ticks: Vec<(f64, String)> = (0..n)
                .map(|pos| {
                    let p = names[n - 1 - pos];
                    let mark = if flagged.contains(&(key.clone(), p.clone())) {
                        " †"
                    } else {
                        ""
                    };
                    (
                        pos as f64,
                        fit(&format!("{p}{mark}"), max_label, th.tick_pt, false),
                    )
                })
                .collect();
            let has_ci = groups.iter().any(|(_, v)| {
                v.iter()
                    .flatten()
                    .any(|e| e.lo.is_finite() && e.hi.is_finite())
            });
            let (l0, l1, xt) = if chart == "sobol" {
                ("S1 (first order)", "ST (total order)", "Sobol index")
            } else {
                (
                    "μ* (mean |elementary effect|)",
                    "σ (s.d. of elementary effects)",
                    "Elementary effect (output units)",
                )
            };
            let mut legend = vec![
                LegendEntry {
                    label: l0.into(),
                    color: colours[0],
                    swatch: Swatch::Patch,
                },
                LegendEntry {
                    label: l1.into(),
                    color: colours[1],
                    swatch: Swatch::Patch,
                },
            ];
            if has_ci {
                legend.push(LegendEntry {
                    label: "Confidence interval".into(),
                    color: BLACK,
                    swatch: Swatch::Whisker,
                });
            }
            let when = match tick {
                Some(t) => match self.s.tick_year.get(t) {
                    Some(y) => format!("at {}", fmt_month(*y)),
                    None => format!("at tick {t}"),
                },
                None => "over the run".into(),
            };
            let what = if chart == "sobol" {
                "Sobol sensitivity indices (first-order S1, total-order ST, with confidence intervals)"
            } else {
                "Morris screening (mu*: mean absolute elementary effect; sigma: their standard deviation)"
            };
            let label = self.who_label(w);
            let mut notes = String::new();
            if any_flagged {
                notes.push_str(" † an index flagged in sensitivity.csv's note column (interval wider than the index, or not converged between N/2 and N): read it with care.");
            }
            if let Some((lo, hi)) = clip {
                notes.push_str(&format!(
                    " Estimates and whiskers beyond [{lo}, {hi}] are cut at the edge."
                ));
            }
            if !skipped.is_empty() {
                notes.push_str(&format!(" Not drawn, near-constant: {}.", skipped.len()));
            }
            figs.push(Figure {
                stem: format!("{chart}_{}_{}", slug(metric), Self::who_slug(w)),
                caption: format!(
                    "{what} of {} for {label} {when}.{notes}{}",
                    metric_name(metric),
                    ctx.scenario_note()
                ),
                title: ctx.title(format!(
                    "{}: {}, {label}",
                    if chart == "sobol" {
                        "Sobol indices"
                    } else {
                        "Morris screening"
                    },
                    metric_name(metric)
                )),
                x_title: xt.into(),
                y_title: (String::new(), String::new()),
                panels: vec![Panel {
                    title: None,
                    x,
                    y: Axis::fixed(-0.6, n as f64 - 0.4, ticks),
                    layers,
                    grid_x: true,
                    grid_y: false,
                }],
                cols: 1,
                legend,
                plot_h_pt: Some(
                    (n as f64 * th.tick_pt * 2.6).clamp(th.tick_pt * 8.0, th.plot_h_pt * 2.2),
                ),
            });
        }
        Ok(figs)
    }
}

fn capitalise(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}

/// `mechanisms.catch_up` → `catch_up`, for legends; the axis title keeps the full path.
fn short_factor(path: &str) -> &str {
    path.rsplit('.').next().unwrap_or(path)
}

/// The mean over the design points `keep` accepts of the outcome's replicate means (a grid
/// cell's value, averaged over the factors not shown).
fn cell_mean(
    r: &Responses,
    means: &BTreeMap<u32, f64>,
    k: f64,
    keep: impl Fn(&[String]) -> bool,
) -> f64 {
    let (mut sum, mut n) = (0.0, 0usize);
    for (p, values) in &r.points {
        if keep(values)
            && let Some(v) = means.get(p).filter(|v| v.is_finite())
        {
            sum += v * k;
            n += 1;
        }
    }
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// A grid's outcome against factor `f` (levels as evenly spaced categories, so a threshold of
/// −1000 does not squash the others), one line per level of the next factor.
#[allow(clippy::too_many_arguments)]
fn grid_response(
    ctx: &Ctx,
    th: &Theme,
    r: &Responses,
    means: &BTreeMap<u32, f64>,
    f: usize,
    k: f64,
    what: &str,
    metric: &str,
) -> Figure {
    let xs_levels = r.levels(f);
    let other = (0..r.factors.len()).find(|&g| g != f);
    let series_levels: Vec<Option<String>> = match other {
        Some(g) => r.levels(g).into_iter().map(Some).collect(),
        None => vec![None],
    };
    let xs: Vec<f64> = (0..xs_levels.len()).map(|i| i as f64).collect();
    let mut layers = Vec::new();
    let mut legend = Vec::new();
    let mut values = Vec::new();
    for (i, level) in series_levels.iter().enumerate() {
        let (colour, dash) = series_style(i);
        let ys: Vec<f64> = xs_levels
            .iter()
            .map(|x| {
                cell_mean(r, means, k, |v| {
                    v[f] == *x
                        && match (other, level) {
                            (Some(g), Some(l)) => v[g] == *l,
                            _ => true,
                        }
                })
            })
            .collect();
        values.extend(ys.iter().copied());
        layers.push(line(&xs, &ys, colour, th.line_pt, dash, true));
        if let (Some(g), Some(l)) = (other, level) {
            legend.push(LegendEntry {
                label: format!("{} = {l}", short_factor(&r.factors[g])),
                color: colour,
                swatch: Swatch::Line { dash, marker: true },
            });
        }
    }
    let rest = if r.factors.len() > 2 {
        " averaged over the other varied parameters"
    } else {
        ""
    };
    let ticks: Vec<(f64, String)> = xs_levels
        .iter()
        .enumerate()
        .map(|(i, l)| (i as f64, l.clone()))
        .collect();
    Figure {
        stem: String::new(),
        caption: format!(
            "{what}: the mean over replicates at each level of {}{}{rest}; levels are evenly spaced categories.{}",
            r.factors[f],
            match other {
                Some(g) => format!(", one line per level of {}", r.factors[g]),
                None => String::new(),
            },
            ctx.scenario_note()
        ),
        title: ctx.title(what.to_string()),
        x_title: r.factors[f].clone(),
        y_title: metric_axis_label(metric),
        panels: vec![Panel {
            title: None,
            x: Axis::fixed(-0.4, xs_levels.len() as f64 - 0.6, ticks),
            y: Axis::linear_covering(values, false),
            layers,
            grid_x: false,
            grid_y: true,
        }],
        cols: 1,
        legend,
        plot_h_pt: None,
    }
}

/// A sampled design's outcome against each varied parameter, a panel per parameter: one marker
/// per design point (the other parameters vary too, so the cloud's trend is the main effect).
#[allow(clippy::too_many_arguments)]
fn scatter_response(
    ctx: &Ctx,
    th: &Theme,
    r: &Responses,
    means: &BTreeMap<u32, f64>,
    k: f64,
    what: &str,
    metric: &str,
) -> Figure {
    let mut panels = Vec::new();
    let mut shown = 0;
    for f in 0..r.factors.len() {
        let mut layers = Vec::new();
        let (mut xs, mut ys) = (Vec::new(), Vec::new());
        for (p, values) in &r.points {
            let (Ok(x), Some(y)) = (values[f].parse::<f64>(), means.get(p)) else {
                continue;
            };
            if y.is_finite() {
                xs.push(x);
                ys.push(y * k);
                // A single-point line: a marker and no connecting segment.
                layers.push(line(
                    &[x],
                    &[y * k],
                    PALETTE[0],
                    th.line_pt,
                    Dash::Solid,
                    true,
                ));
            }
        }
        shown = shown.max(xs.len());
        panels.push(Panel {
            title: Some(short_factor(&r.factors[f]).to_string()),
            x: Axis::linear_covering(xs, false),
            y: Axis::linear_covering(ys, false),
            layers,
            grid_x: false,
            grid_y: true,
        });
    }
    Figure {
        stem: String::new(),
        caption: format!(
            "{what}: the mean over replicates at each of {shown} design points against each varied parameter ({}), the others varying too.{}",
            r.factors.join(", "),
            ctx.scenario_note()
        ),
        title: ctx.title(what.to_string()),
        x_title: "Parameter value".into(),
        y_title: metric_axis_label(metric),
        cols: th.max_cols,
        panels,
        legend: Vec::new(),
        plot_h_pt: None,
    }
}

/// Viridis at six stops (van der Walt & Smith, matplotlib): sequential, perceptually uniform,
/// readable with the common colour-vision deficiencies and in greyscale.
const SEQUENTIAL: [Rgb; 6] = [
    Rgb::hex(0x440154),
    Rgb::hex(0x414487),
    Rgb::hex(0x2A788E),
    Rgb::hex(0x22A884),
    Rgb::hex(0x7AD151),
    Rgb::hex(0xFDE725),
];

/// A two-factor grid as coloured cells: factor 0 across, factor 1 up, the value binned into
/// [`SEQUENTIAL`] with one legend entry per bin.
#[allow(clippy::too_many_arguments)]
fn heat_map(
    ctx: &Ctx,
    th: &Theme,
    r: &Responses,
    means: &BTreeMap<u32, f64>,
    k: f64,
    what: &str,
    metric: &str,
    stem: String,
) -> Figure {
    let (cols, rows) = (r.levels(0), r.levels(1));
    let cells: Vec<(usize, usize, f64)> = rows
        .iter()
        .enumerate()
        .flat_map(|(j, b)| cols.iter().enumerate().map(move |(i, a)| (i, j, a, b)))
        .map(|(i, j, a, b)| (i, j, cell_mean(r, means, k, |v| v[0] == *a && v[1] == *b)))
        .collect();
    let finite: Vec<f64> = cells
        .iter()
        .map(|c| c.2)
        .filter(|v| v.is_finite())
        .collect();
    let lo = finite.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = finite.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let bins = if hi > lo { SEQUENTIAL.len() } else { 1 };
    let bin_of = |v: f64| (((v - lo) / (hi - lo) * bins as f64) as usize).min(bins - 1);
    let mut layers = Vec::new();
    for &(i, j, v) in &cells {
        if !v.is_finite() {
            continue;
        }
        let colour = if bins == 1 {
            SEQUENTIAL[2]
        } else {
            SEQUENTIAL[bin_of(v)]
        };
        layers.push(super::figure::Layer::Bar {
            x0: i as f64 - 0.48,
            x1: i as f64 + 0.48,
            y0: j as f64 - 0.48,
            y1: j as f64 + 0.48,
            color: colour,
            alpha: 1.0,
        });
    }
    let step = (hi - lo) / bins as f64;
    // Two significant digits of the bin width: 861 to 897, 0.012 to 0.025.
    let decimals = |width: f64| -> usize {
        if width > 0.0 && width.is_finite() {
            (1 - width.log10().floor() as i32).max(0) as usize
        } else {
            2
        }
    };
    let show = |v: f64, d: usize| format!("{v:.d$}").replacen('-', "\u{2212}", 1);
    let legend: Vec<LegendEntry> = (0..bins)
        .map(|b| LegendEntry {
            label: if bins == 1 {
                show(lo, decimals(lo.abs() / 10.0))
            } else {
                let d = decimals(step);
                format!(
                    "{} to {}",
                    show(lo + step * b as f64, d),
                    show(lo + step * (b + 1) as f64, d)
                )
            },
            color: if bins == 1 {
                SEQUENTIAL[2]
            } else {
                SEQUENTIAL[b]
            },
            swatch: Swatch::Patch,
        })
        .collect();
    let ticks = |levels: &[String]| -> Vec<(f64, String)> {
        levels
            .iter()
            .enumerate()
            .map(|(i, l)| (i as f64, l.clone()))
            .collect()
    };
    let (unit, _) = metric_axis_label(metric);
    Figure {
        stem,
        caption: format!(
            "{what}: the mean over replicates in each cell of the grid {} × {}; colour bins of {unit}.{}",
            r.factors[0],
            r.factors[1],
            ctx.scenario_note()
        ),
        title: ctx.title(what.to_string()),
        x_title: r.factors[0].clone(),
        y_title: (
            r.factors[1].clone(),
            short_factor(&r.factors[1]).to_string(),
        ),
        panels: vec![Panel {
            title: None,
            x: Axis::fixed(-0.5, cols.len() as f64 - 0.5, ticks(&cols)),
            y: Axis::fixed(-0.5, rows.len() as f64 - 0.5, ticks(&rows)),
            layers,
            grid_x: false,
            grid_y: false,
        }],
        cols: 1,
        legend,
        plot_h_pt: Some(
            (rows.len() as f64 * th.tick_pt * 3.0).clamp(th.tick_pt * 6.0, th.plot_h_pt),
        ),
    }
}
