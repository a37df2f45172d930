//! Charts of a parameter sweep (`summary.csv`, optional `sensitivity.csv`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::data::{
    Ent, Firm, Manifest, SensRow, Summary, read_firms, read_sensitivity, read_states,
};
use super::error::{PlotError, list};
use super::figure::{Axis, Dash, Figure, LegendEntry, Panel, Swatch, fit};
use super::primitives::{Est, FAN_INNER_ALPHA, FAN_OUTER_ALPHA, fan, grouped_bars, vline};
use super::run::fmt_month;
use super::theme::{
    BLACK, ColourMap, POOL, Rgb, Theme, is_percent_metric, metric_axis_label, metric_name,
    sector_label,
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
        let firms = read_firms(dir)?.unwrap_or_default();
        let states = read_states(dir)?;
        let colours = ColourMap::new(firms.iter().map(|f| (f.id.as_str(), f.sector.as_str())));
        Ok(SweepData {
            manifest,
            s,
            sens,
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

    fn state_name(&self, code: &str) -> String {
        self.states
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, n)| n.clone())
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| code.to_string())
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
            POOL[0]
        }
    }

    pub(crate) fn build(&self, ctx: &Ctx, name: &str) -> Result<Vec<Figure>, PlotError> {
        match name {
            "fan" => self.fans(ctx),
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
            let layers = fan(&xs, [&q[0], &q[1], &q[2], &q[3], &q[4]], colour, th.line_pt);
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
                    "{} for {label}, design point {point}: median across replicates with 50% and 90% bands{more}.{}",
                    capitalise(&metric_name(&metric)),
                    ctx.scenario_note()
                ),
                title: ctx.title(format!("{}: {label}", capitalise(&metric_name(&metric)))),
                x_title: "Year".into(),
                y_title: metric_axis_label(&metric),
                panels: vec![Panel {
                    title: None,
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
        let th = Theme::layout(ctx.req.preset);
        let colours = [POOL[0], POOL[1]];
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
                            .map(|pos| params[names[n - 1 - pos]].get(*ix).copied())
                            .collect(),
                    )
                })
                .collect();
            let mut layers = grouped_bars(&groups, true);
            let values = groups
                .iter()
                .flat_map(|(_, v)| v.iter().flatten().flat_map(|e| [e.est, e.lo, e.hi]));
            let x = Axis::for_bars(values);
            layers.insert(0, vline(0.0, -0.6, n as f64 - 0.4));
            let max_label = th.width_pt() * 0.42;
            let ticks: Vec<(f64, String)> = (0..n)
                .map(|pos| {
                    (
                        pos as f64,
                        fit(names[n - 1 - pos], max_label, th.tick_pt, false),
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
            figs.push(Figure {
                stem: format!("{chart}_{}_{}", slug(metric), Self::who_slug(w)),
                caption: format!(
                    "{what} of {} for {label} {when}.{}",
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
