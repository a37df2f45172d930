//! Charts of one simulation run (`metrics.csv`, `firms.csv`, `states.csv`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use super::data::{Col, Firm, MRow, Manifest, Metrics, read_firms, read_states};
use super::error::{PlotError, list};
use super::figure::{Axis, Dash, Figure, LegendEntry, Panel, Swatch};
use super::primitives::{line, mark_events, stacked_area};
use super::theme::{
    BLACK, ColourMap, OTHER, Rgb, STATE_ORDER, Theme, is_percent_metric, metric_axis_label,
    sector_label,
};
use super::{CatalogueEntry, Ctx, entry, slug};

/// Firms (or states) shown by name in a stacked-area chart; the rest are grouped as "other".
pub(crate) const TOP_N: usize = 7;
/// Preferred sectors of the 2×2 panel figure, in panel order.
pub(crate) const PANEL_SECTORS: [&str; 4] =
    ["foundry_advanced", "memory", "equipment", "ai_accelerator"];
/// Canonical order of sectors in multi-panel figures; unknown sectors follow alphabetically.
const SECTOR_ORDER: [&str; 8] = [
    "foundry_advanced",
    "foundry_mature",
    "foundry",
    "memory",
    "equipment",
    "ai_accelerator",
    "design",
    "eda",
];
const WORLD: &str = "world";

pub(crate) struct RunData {
    pub manifest: Manifest,
    m: Metrics,
    firms: Option<Vec<Firm>>,
    states: Vec<(String, String)>,
    colours: ColourMap,
    /// Policy events of the run's scenario (from `scenario.ron`): (fractional year, label).
    events: Vec<(f64, String)>,
}

/// The dated events of a run's `scenario.ron`, for markers on time charts: (fractional year,
/// "date label"); none when the file is absent or unreadable (the charts are still right, only
/// unmarked).
pub(crate) fn read_events(scenario_ron: &std::path::Path) -> Vec<(f64, String)> {
    let Ok(text) = std::fs::read_to_string(scenario_ron) else {
        return Vec::new();
    };
    let Ok(scenario) = crate::scenario::load_str(
        "scenario.ron",
        &text,
        &crate::scenario::Overrides::default(),
    ) else {
        return Vec::new();
    };
    events_of(&scenario)
}

/// The dated events of a scenario, sorted by date, for markers on time charts.
fn events_of(scenario: &crate::scenario::Scenario) -> Vec<(f64, String)> {
    let mut events: Vec<(f64, String)> = scenario
        .events
        .iter()
        .filter_map(|e| {
            let date = e.date.to_string();
            let year = super::data::date_to_year(&date)?;
            let label = e
                .label
                .clone()
                .unwrap_or_else(|| e.action.instrument_id().to_string());
            Some((year, format!("{date} {label}")))
        })
        .collect();
    events.sort_by(|a, b| a.0.total_cmp(&b.0));
    events
}

/// key → tick → value.
type Series = BTreeMap<String, BTreeMap<u32, f64>>;
/// sector → state → tick → value, and sector → tick → frontier value.
type StateMetric = (
    BTreeMap<String, Series>,
    BTreeMap<String, BTreeMap<u32, f64>>,
);

fn sort_sectors(s: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = s.into_iter().collect();
    v.sort_by_key(|x| {
        (
            SECTOR_ORDER
                .iter()
                .position(|k| k == x)
                .unwrap_or(usize::MAX),
            x.clone(),
        )
    });
    v.dedup();
    v
}

fn sort_states(s: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut v: Vec<String> = s.into_iter().collect();
    v.sort_by_key(|x| {
        (
            STATE_ORDER
                .iter()
                .position(|k| k == x)
                .unwrap_or(usize::MAX),
            x.clone(),
        )
    });
    v.dedup();
    v
}

impl RunData {
    pub(crate) fn load(dir: &std::path::Path, manifest: Manifest) -> Result<RunData, PlotError> {
        let m = Metrics::read(dir)?;
        let firms = read_firms(dir)?;
        let states = read_states(dir)?;
        let colours = ColourMap::new(
            firms
                .iter()
                .flatten()
                .map(|f| (f.id.as_str(), f.sector.as_str(), f.home.as_str())),
        );
        Ok(RunData {
            manifest,
            m,
            firms,
            states,
            colours,
            events: read_events(&dir.join("scenario.ron")),
        })
    }

    /// The data of a run from its rows in memory and its scenario, as [`RunData::load`] would
    /// read it from the run's folder `dir` (h16b: charts drawn by `run` without re-reading).
    pub(crate) fn from_memory<'a>(
        dir: &std::path::Path,
        scenario: &crate::scenario::Scenario,
        rows: impl IntoIterator<Item = super::data::TidyRow<'a>>,
    ) -> RunData {
        let (firms, states) = super::data::entities_of(scenario);
        let colours = ColourMap::new(
            firms
                .iter()
                .map(|f| (f.id.as_str(), f.sector.as_str(), f.home.as_str())),
        );
        RunData {
            manifest: Manifest::of_run(scenario),
            m: Metrics::from_rows(dir.join("metrics.csv"), scenario, rows),
            firms: Some(firms),
            states,
            colours,
            events: events_of(scenario),
        }
    }

    fn path(&self) -> PathBuf {
        self.m.path.clone()
    }

    fn state_name(&self, code: &str) -> String {
        if code == "other" {
            return "Other".into();
        }
        super::data::state_display_name(&self.states, code)
    }

    /// A state's legend entry in line charts: its colour and line style.
    fn state_line_entry(&self, code: &str) -> LegendEntry {
        let (color, dash) = self.colours.state_style(code);
        LegendEntry {
            label: self.state_name(code),
            color,
            swatch: Swatch::Line {
                dash,
                marker: false,
            },
        }
    }

    fn firm(&self, id: &str) -> Option<&Firm> {
        self.firms.as_ref()?.iter().find(|f| f.id == id)
    }

    fn firm_label(&self, id: &str) -> String {
        match self.firm(id) {
            Some(f) if !f.home.is_empty() => {
                format!(
                    "{} ({})",
                    if f.name.is_empty() { &f.id } else { &f.name },
                    f.home
                )
            }
            Some(f) if !f.name.is_empty() => f.name.clone(),
            _ => id.to_string(),
        }
    }

    /// Buying markets (not `world`) with share data.
    fn markets(&self) -> BTreeSet<String> {
        let mut s = self.m.distinct("market_share", Col::Market);
        s.extend(self.m.distinct("state_market_share", Col::Market));
        s.remove(WORLD);
        s
    }

    fn chosen_market(&self, ctx: Option<&Ctx>) -> Option<String> {
        if let Some(m) = ctx.and_then(|c| c.req.market.clone()) {
            return Some(m);
        }
        let markets = self.markets();
        if markets.contains("CN") {
            Some("CN".into())
        } else {
            markets.into_iter().next()
        }
    }

    fn home_states(&self) -> BTreeSet<String> {
        self.firms
            .iter()
            .flatten()
            .filter(|f| !f.home.is_empty())
            .map(|f| f.home.clone())
            .collect()
    }

    fn all_states(&self) -> BTreeSet<String> {
        let mut s: BTreeSet<String> = self.states.iter().map(|(c, _)| c.clone()).collect();
        s.extend(self.home_states());
        for metric in self.m.metric_names() {
            s.extend(self.m.distinct(&metric, Col::State));
        }
        s
    }

    fn all_firms(&self) -> BTreeSet<String> {
        let mut s: BTreeSet<String> = self.firms.iter().flatten().map(|f| f.id.clone()).collect();
        s.extend(self.m.distinct("market_share", Col::Firm));
        s.extend(self.m.distinct("capability", Col::Firm));
        s
    }

    fn has_market(&self, metric: &str, market: &str) -> bool {
        self.m.distinct(metric, Col::Market).contains(market)
    }

    fn state_share_possible(&self, market: &str) -> bool {
        self.has_market("state_market_share", market)
            || (self.firms.is_some() && self.has_market("market_share", market))
    }

    fn capability_possible(&self) -> bool {
        self.m.has("best_capability") || (self.m.has("capability") && self.firms.is_some())
    }

    pub(crate) fn catalogue(&self) -> Vec<CatalogueEntry> {
        let market = self.chosen_market(None);
        let mk = market.clone().unwrap_or_else(|| "(none)".into());
        vec![
            entry(
                "market_share_firms_world",
                "World market share by firm: stacked areas, one chart per sector (top 7 firms, rest as other)",
                self.has_market("market_share", WORLD),
            ),
            entry(
                "market_share_states_world",
                "World market share by home state of the firms: stacked areas, one chart per sector",
                self.state_share_possible(WORLD),
            ),
            entry(
                "market_share_firms_market",
                &format!(
                    "Market share by firm in one buying market (market option, default {mk}): stacked areas, one chart per sector"
                ),
                market
                    .as_ref()
                    .is_some_and(|m| self.has_market("market_share", m)),
            ),
            entry(
                "market_share_states_market",
                &format!(
                    "Market share by home state in one buying market (market option, default {mk}): stacked areas, one chart per sector"
                ),
                market
                    .as_ref()
                    .is_some_and(|m| self.state_share_possible(m)),
            ),
            entry(
                "market_share_states_panels",
                "World market share by home state in a 2x2 figure of key sectors (advanced foundry, memory, equipment, AI accelerators when present)",
                self.state_share_possible(WORLD),
            ),
            entry(
                "self_sufficiency",
                "Self-sufficiency of the chosen states: lines, one panel per sector",
                self.m.has("self_sufficiency"),
            ),
            entry(
                "capability",
                "Best capability by state with the world frontier (dashed): lines, one panel per sector",
                self.capability_possible(),
            ),
            entry(
                "capability_gap",
                "Years behind the world frontier by state: lines, one panel per sector",
                self.m.has("capability_gap") || self.capability_possible(),
            ),
            entry(
                "ai_compute",
                "AI compute by state: lines",
                self.m.has("ai_compute"),
            ),
        ]
    }

    pub(crate) fn validate(&self, ctx: &Ctx) -> Result<(), PlotError> {
        let req = ctx.req;
        if let Some(mk) = &req.market {
            let mut markets = self.markets();
            if !markets.contains(mk) && mk != WORLD {
                markets.insert(WORLD.into());
                return Err(PlotError::UnknownEntity {
                    what: "market".into(),
                    name: mk.clone(),
                    path: self.path(),
                    present: list(&markets),
                });
            }
        }
        let states = self.all_states();
        for s in &req.states {
            if !states.contains(s) {
                return Err(PlotError::UnknownEntity {
                    what: "state".into(),
                    name: s.clone(),
                    path: self.path(),
                    present: list(&states),
                });
            }
        }
        let firms = self.all_firms();
        for f in &req.firms {
            if !firms.contains(f) {
                return Err(PlotError::UnknownEntity {
                    what: "firm".into(),
                    name: f.clone(),
                    path: self.path(),
                    present: list(&firms),
                });
            }
        }
        Ok(())
    }

    pub(crate) fn build(&self, ctx: &Ctx, name: &str) -> Result<Vec<Figure>, PlotError> {
        match name {
            "market_share_firms_world" => self.share_charts(ctx, name, WORLD, false),
            "market_share_states_world" => self.share_charts(ctx, name, WORLD, true),
            "market_share_firms_market" | "market_share_states_market" => {
                let Some(mk) = self.chosen_market(Some(ctx)) else {
                    return Err(self.no_data(
                        "market_share",
                        " for any market other than `world`",
                        "market",
                    ));
                };
                self.share_charts(ctx, name, &mk, name.contains("states"))
            }
            "market_share_states_panels" => {
                Ok(vec![self.with_events(self.share_panels(ctx, name)?)])
            }
            "self_sufficiency" => Ok(vec![self.with_events(self.state_lines(
                ctx,
                name,
                "self_sufficiency",
            )?)]),
            "capability" => Ok(vec![self.with_events(self.state_lines(
                ctx,
                name,
                "best_capability",
            )?)]),
            "capability_gap" => Ok(vec![self.with_events(self.state_lines(
                ctx,
                name,
                "capability_gap",
            )?)]),
            "ai_compute" => Ok(vec![self.with_events(self.ai_compute(ctx, name)?)]),
            _ => unreachable!("chart names are checked against the catalogue"),
        }
    }

    /// The scenario's policy events as dashed vertical lines (see [`mark_events`]).
    fn with_events(&self, mut fig: Figure) -> Figure {
        mark_events(&mut fig, &self.events, "policy events");
        fig
    }

    fn no_data(&self, metric: &str, context: &str, _col: &str) -> PlotError {
        PlotError::NoData {
            what: "metric".into(),
            name: metric.into(),
            path: self.path(),
            context: context.into(),
            present: format!("metrics {}", list(self.m.metric_names())),
        }
    }

    /// Series of `metric` keyed by column `key`, for rows passing `keep`.
    fn series(&self, metric: &str, key: Col, keep: impl Fn(&MRow) -> bool) -> Series {
        // Grouped by symbol first (no string per row), then keyed by name: symbols and names
        // are one to one, so the map is the same.
        let mut by_symbol: BTreeMap<u32, BTreeMap<u32, f64>> = BTreeMap::new();
        for r in self.m.rows_of(metric) {
            if !keep(r) || !r.value.is_finite() {
                continue;
            }
            by_symbol
                .entry(r.ent.get(key))
                .or_default()
                .insert(r.tick, r.value);
        }
        by_symbol
            .into_iter()
            .map(|(k, v)| (self.m.names.name(k).to_string(), v))
            .collect()
    }

    /// A test that a row's symbol is `s`, with `s` looked up once rather than once per row.
    fn is(&self, s: &str) -> impl Fn(u32) -> bool + use<> {
        let wanted = self.m.sym(s);
        move |sym| wanted == Some(sym)
    }

    fn firm_share(&self, sector: &str, market: &str) -> Series {
        let (in_sector, in_market) = (self.is(sector), self.is(market));
        let mut s = self.series("market_share", Col::Firm, |r| {
            in_sector(r.ent.sector) && in_market(r.ent.market) && r.ent.firm != 0
        });
        s.remove("");
        s
    }

    /// Market share by home state: `state_market_share` when written for this market, else
    /// the firms' shares summed by home state (`firms.csv`).
    fn state_share(&self, sector: &str, market: &str) -> Result<Series, PlotError> {
        if self.has_market("state_market_share", market) {
            let (in_sector, in_market) = (self.is(sector), self.is(market));
            let mut s = self.series("state_market_share", Col::State, |r| {
                in_sector(r.ent.sector) && in_market(r.ent.market)
            });
            s.remove("");
            return Ok(s);
        }
        let Some(_) = &self.firms else {
            return Err(PlotError::MissingFile {
                path: self.m.path.with_file_name("firms.csv"),
                why: "needed to group firms by home state (metrics.csv has no state_market_share for this market)".into(),
            });
        };
        let mut out: Series = BTreeMap::new();
        for (firm, vals) in self.firm_share(sector, market) {
            let home = self
                .firm(&firm)
                .map(|f| f.home.clone())
                .filter(|h| !h.is_empty());
            let e = out
                .entry(home.unwrap_or_else(|| "unknown".into()))
                .or_default();
            for (t, v) in vals {
                *e.entry(t).or_insert(0.0) += v;
            }
        }
        Ok(out)
    }

    fn share_sectors(&self, market: &str, by_state: bool) -> Vec<String> {
        let in_market = self.is(market);
        let mut symbols = BTreeSet::new();
        for r in self.m.rows_of("market_share") {
            if in_market(r.ent.market) {
                symbols.insert(r.ent.sector);
            }
        }
        if by_state {
            for r in self.m.rows_of("state_market_share") {
                if in_market(r.ent.market) {
                    symbols.insert(r.ent.sector);
                }
            }
        }
        symbols.remove(&0);
        sort_sectors(
            symbols
                .into_iter()
                .map(|s| self.m.names.name(s).to_string()),
        )
    }

    fn market_label(&self, market: &str) -> String {
        if market == WORLD {
            "the world market".into()
        } else {
            format!("the {} market", self.state_name(market))
        }
    }

    fn share_charts(
        &self,
        ctx: &Ctx,
        chart: &str,
        market: &str,
        by_state: bool,
    ) -> Result<Vec<Figure>, PlotError> {
        let metric = if by_state && self.has_market("state_market_share", market) {
            "state_market_share"
        } else {
            "market_share"
        };
        let sectors = self.share_sectors(market, by_state);
        if sectors.is_empty() {
            return Err(PlotError::NoData {
                what: "metric".into(),
                name: metric.into(),
                path: self.path(),
                context: format!(" for market `{market}`"),
                present: format!("markets {}", list(self.m.distinct(metric, Col::Market))),
            });
        }
        let mut figs = Vec::new();
        for sector in &sectors {
            let series = if by_state {
                self.state_share(sector, market)?
            } else {
                self.firm_share(sector, market)
            };
            if series.is_empty() {
                continue;
            }
            let (panel, keys, note) = self.stacked_panel(ctx, series, by_state, None);
            let legend = self.patch_legend(&keys, by_state);
            let who = if by_state { "home state" } else { "firm" };
            let caption = format!(
                "Share of {} in {} by {who}, {}.{note}{}",
                self.market_label(market),
                sector_label(sector).to_lowercase(),
                self.date_span(),
                ctx.scenario_note()
            );
            let stem = if market == WORLD {
                format!("{chart}_{}", slug(sector))
            } else {
                format!("{chart}_{}_{}", slug(market), slug(sector))
            };
            figs.push(Figure {
                stem,
                caption,
                title: ctx.title(format!(
                    "{}: market share by {who}, {}",
                    sector_label(sector),
                    if market == WORLD {
                        "world".to_string()
                    } else {
                        format!("{market} market")
                    }
                )),
                x_title: "Year".into(),
                y_title: metric_axis_label("market_share"),
                panels: vec![panel],
                cols: 1,
                legend,
                plot_h_pt: None,
            });
        }
        if figs.is_empty() {
            return Err(self.no_data(metric, &format!(" for market `{market}`"), "sector"));
        }
        Ok(figs.into_iter().map(|f| self.with_events(f)).collect())
    }

    fn date_span(&self) -> String {
        let first = self.m.tick_year.values().next().copied().unwrap_or(0.0);
        let last = self.m.tick_year.values().last().copied().unwrap_or(0.0);
        format!("{}–{}", fmt_month(first), fmt_month(last))
    }

    fn colour(&self, key: &str, by_state: bool) -> Rgb {
        if key == "other" {
            OTHER
        } else if by_state {
            self.colours.state(key)
        } else {
            self.colours.firm(key)
        }
    }

    fn label(&self, key: &str, by_state: bool) -> String {
        if key == "other" {
            "Other".into()
        } else if by_state {
            self.state_name(key)
        } else {
            self.firm_label(key)
        }
    }

    /// A stacked-area panel of shares (×100). Returns the panel, its legend and a caption note.
    fn stacked_panel(
        &self,
        ctx: &Ctx,
        series: Series,
        by_state: bool,
        x_range: Option<(f64, f64)>,
    ) -> (Panel, Vec<String>, String) {
        let ticks: BTreeSet<u32> = series.values().flat_map(|s| s.keys().copied()).collect();
        let ticks: Vec<u32> = ticks.into_iter().collect();
        let xs: Vec<f64> = ticks.iter().map(|&t| self.m.year(t)).collect();
        let mut ranked: Vec<(String, Vec<f64>, f64)> = series
            .into_iter()
            .map(|(k, s)| {
                let v: Vec<f64> = ticks
                    .iter()
                    .map(|t| s.get(t).copied().unwrap_or(0.0) * 100.0)
                    .collect();
                let mean = v.iter().sum::<f64>() / v.len().max(1) as f64;
                (k, v, mean)
            })
            .collect();
        ranked.sort_by(|a, b| b.2.total_cmp(&a.2).then(a.0.cmp(&b.0)));
        let chosen: Vec<bool> = if !by_state && !ctx.req.firms.is_empty() {
            ranked
                .iter()
                .map(|(k, _, _)| ctx.req.firms.contains(k))
                .collect()
        } else if ranked.len() <= TOP_N + 1 {
            vec![true; ranked.len()]
        } else {
            (0..ranked.len()).map(|i| i < TOP_N).collect()
        };
        let mut shown: Vec<(String, Vec<f64>)> = Vec::new();
        let mut other = vec![0.0; ticks.len()];
        let mut n_other = 0;
        for ((k, v, _), keep) in ranked.into_iter().zip(chosen) {
            if keep {
                shown.push((k, v));
            } else {
                n_other += 1;
                for (o, x) in other.iter_mut().zip(&v) {
                    *o += x;
                }
            }
        }
        let note = if n_other > 0 {
            format!(
                " {} shown by name; {n_other} others grouped as other.",
                shown.len()
            )
        } else {
            String::new()
        };
        if n_other > 0 {
            shown.push(("other".into(), other));
        }
        let stack: Vec<(Rgb, Vec<f64>)> = shown
            .iter()
            .map(|(k, v)| (self.colour(k, by_state), v.clone()))
            .collect();
        let top = (0..xs.len())
            .map(|j| stack.iter().map(|(_, v)| v[j].max(0.0)).sum::<f64>())
            .fold(100.0, f64::max);
        let th = Theme::layout(ctx.req.preset);
        let layers = stacked_area(&xs, &stack, th.line_pt * 0.3);
        let keys = shown.iter().map(|(k, _)| k.clone()).collect();
        let (x0, x1) = x_range.unwrap_or((xs[0], xs[xs.len() - 1]));
        let panel = Panel {
            title: None,
            x: Axis::time(x0, x1),
            y: Axis::linear(0.0, if top > 100.5 { top * 1.02 } else { 100.0 }),
            layers,
            grid_x: false,
            grid_y: false,
        };
        (panel, keys, note)
    }

    fn patch_legend(&self, keys: &[String], by_state: bool) -> Vec<LegendEntry> {
        keys.iter()
            .map(|k| LegendEntry {
                label: self.label(k, by_state),
                color: self.colour(k, by_state),
                swatch: Swatch::Patch,
            })
            .collect()
    }

    fn share_panels(&self, ctx: &Ctx, chart: &str) -> Result<Figure, PlotError> {
        let present = self.share_sectors(WORLD, true);
        let mut sectors: Vec<String> = PANEL_SECTORS
            .iter()
            .filter(|s| present.iter().any(|p| p == *s))
            .map(|s| s.to_string())
            .collect();
        for s in &present {
            if sectors.len() >= 4 {
                break;
            }
            if !sectors.contains(s) {
                sectors.push(s.clone());
            }
        }
        if sectors.is_empty() {
            return Err(self.no_data("state_market_share", " for market `world`", "sector"));
        }
        let mut panels = Vec::new();
        let mut keys: BTreeSet<String> = BTreeSet::new();
        let mut notes = Vec::new();
        let range = self.year_range();
        for sector in &sectors {
            let series = self.state_share(sector, WORLD)?;
            if series.is_empty() {
                continue;
            }
            let (mut panel, shown, note) = self.stacked_panel(ctx, series, true, Some(range));
            panel.title = Some(sector_label(sector));
            panels.push(panel);
            keys.extend(shown);
            if !note.is_empty() {
                notes.push(format!("{}:{}", sector_label(sector), note));
            }
        }
        // Legend in the fixed state order, "other" last.
        let has_other = keys.remove("other");
        let mut order = sort_states(keys);
        if has_other {
            order.push("other".into());
        }
        let legend = self.patch_legend(&order, true);
        let caption = format!(
            "World market share by home state of the firms, {}, in {}.{}{}",
            self.date_span(),
            sectors
                .iter()
                .map(|s| sector_label(s).to_lowercase())
                .collect::<Vec<_>>()
                .join(", "),
            if notes.is_empty() {
                String::new()
            } else {
                format!(" {}", notes.join(" "))
            },
            ctx.scenario_note()
        );
        Ok(Figure {
            stem: chart.into(),
            caption,
            title: ctx.title("World market share by home state".into()),
            x_title: "Year".into(),
            y_title: metric_axis_label("market_share"),
            cols: 2,
            panels,
            legend,
            plot_h_pt: None,
        })
    }

    fn year_range(&self) -> (f64, f64) {
        let first = self.m.tick_year.values().next().copied().unwrap_or(0.0);
        let last = self.m.tick_year.values().last().copied().unwrap_or(1.0);
        (first, last)
    }

    /// States to draw: the request's, else every home state of a firm that has data (or every
    /// state with data when `all_if_few` and there are at most 8).
    fn chosen_states(
        &self,
        ctx: &Ctx,
        with_data: &BTreeSet<String>,
        all_if_few: bool,
    ) -> Vec<String> {
        if !ctx.req.states.is_empty() {
            return sort_states(
                ctx.req
                    .states
                    .iter()
                    .filter(|s| with_data.contains(*s))
                    .cloned(),
            );
        }
        if all_if_few && with_data.len() <= 8 {
            return sort_states(with_data.iter().cloned());
        }
        let homes = self.home_states();
        let v = sort_states(with_data.iter().filter(|s| homes.contains(*s)).cloned());
        if v.is_empty() {
            sort_states(with_data.iter().take(8).cloned())
        } else {
            v
        }
    }

    /// Per sector: state → series, for self-sufficiency, capability (best by state) or gap.
    fn state_metric(&self, metric: &str) -> Result<StateMetric, PlotError> {
        let mut per: BTreeMap<String, Series> = BTreeMap::new();
        let mut frontier: BTreeMap<String, BTreeMap<u32, f64>> = BTreeMap::new();
        let direct = self.m.has(metric);
        if direct {
            for r in self.m.rows_of(metric) {
                if !r.value.is_finite() {
                    continue;
                }
                let sector = self.m.names.name(r.ent.sector).to_string();
                if r.ent.state == 0 {
                    frontier.entry(sector).or_default().insert(r.tick, r.value);
                } else {
                    let st = self.m.names.name(r.ent.state).to_string();
                    per.entry(sector)
                        .or_default()
                        .entry(st)
                        .or_default()
                        .insert(r.tick, r.value);
                }
            }
            if metric == "capability_gap" || metric == "self_sufficiency" {
                frontier.clear();
            } else if frontier.is_empty() && self.m.has("best_capability") {
                // best_capability without a world row: the frontier is the best state.
                for (sector, s) in &per {
                    let f = frontier.entry(sector.clone()).or_default();
                    for vals in s.values() {
                        for (t, v) in vals {
                            let e = f.entry(*t).or_insert(f64::NEG_INFINITY);
                            *e = e.max(*v);
                        }
                    }
                }
            }
        } else if (metric == "best_capability" || metric == "capability_gap")
            && self.m.has("capability")
            && self.firms.is_some()
        {
            // Derive from firm capabilities and home states.
            for r in self.m.rows_of("capability") {
                if !r.value.is_finite() || r.ent.firm == 0 {
                    continue;
                }
                let firm = self.m.names.name(r.ent.firm);
                let Some(home) = self.firm(firm).map(|f| f.home.clone()) else {
                    continue;
                };
                let sector = self.m.names.name(r.ent.sector).to_string();
                let e = per
                    .entry(sector.clone())
                    .or_default()
                    .entry(home)
                    .or_default()
                    .entry(r.tick)
                    .or_insert(f64::NEG_INFINITY);
                *e = e.max(r.value);
                let f = frontier
                    .entry(sector)
                    .or_default()
                    .entry(r.tick)
                    .or_insert(f64::NEG_INFINITY);
                *f = f.max(r.value);
            }
            if metric == "capability_gap" {
                for (sector, s) in per.iter_mut() {
                    let f = &frontier[sector];
                    for vals in s.values_mut() {
                        for (t, v) in vals.iter_mut() {
                            *v = (f[t] - *v).max(0.0);
                        }
                    }
                }
                frontier.clear();
            }
        }
        per.remove("");
        if per.is_empty() {
            return Err(self.no_data(metric, "", "state"));
        }
        Ok((per, frontier))
    }

    fn grid_cols(&self, ctx: &Ctx, n: usize) -> usize {
        let max = Theme::layout(ctx.req.preset).max_cols;
        match n {
            0..=2 => n.max(1),
            4 => 2,
            _ => max.min(n),
        }
    }

    fn state_lines(&self, ctx: &Ctx, chart: &str, metric: &str) -> Result<Figure, PlotError> {
        let (per, frontier) = self.state_metric(metric)?;
        let with_data: BTreeSet<String> = per.values().flat_map(|s| s.keys().cloned()).collect();
        let states = self.chosen_states(ctx, &with_data, false);
        if states.is_empty() {
            return Err(PlotError::NoData {
                what: "metric".into(),
                name: metric.into(),
                path: self.path(),
                context: format!(" for states {}", list(&ctx.req.states)),
                present: format!("states with data {}", list(&with_data)),
            });
        }
        let pct = is_percent_metric(metric);
        let scale = if pct { 100.0 } else { 1.0 };
        let th = Theme::layout(ctx.req.preset);
        let range = self.year_range();
        let mut panels = Vec::new();
        let mut used: BTreeSet<String> = BTreeSet::new();
        let mut any_frontier = false;
        for sector in sort_sectors(per.keys().cloned()) {
            let s = &per[&sector];
            let mut layers = Vec::new();
            let mut values = Vec::new();
            for st in &states {
                let Some(vals) = s.get(st) else { continue };
                let xs: Vec<f64> = vals.keys().map(|&t| self.m.year(t)).collect();
                let ys: Vec<f64> = vals.values().map(|v| v * scale).collect();
                values.extend(ys.iter().copied());
                let (colour, dash) = self.colours.state_style(st);
                layers.push(line(&xs, &ys, colour, th.line_pt, dash, false));
                used.insert(st.clone());
            }
            if layers.is_empty() {
                continue;
            }
            // The frontier goes on top (thin, dashed): it coincides with the leading state.
            if let Some(f) = frontier.get(&sector) {
                let xs: Vec<f64> = f.keys().map(|&t| self.m.year(t)).collect();
                let ys: Vec<f64> = f.values().copied().collect();
                values.extend(ys.iter().copied());
                layers.push(line(
                    &xs,
                    &ys,
                    BLACK,
                    th.line_pt * 0.75,
                    Dash::Dashed,
                    false,
                ));
                any_frontier = true;
            }
            let zero = metric == "capability_gap" || pct;
            panels.push(Panel {
                title: Some(sector_label(&sector)),
                x: Axis::time(range.0, range.1),
                y: Axis::linear_covering(values, zero),
                layers,
                grid_x: false,
                grid_y: true,
            });
        }
        if panels.is_empty() {
            return Err(self.no_data(metric, &format!(" for states {}", list(&states)), "state"));
        }
        let mut legend: Vec<LegendEntry> = sort_states(used)
            .into_iter()
            .map(|s| self.state_line_entry(&s))
            .collect();
        if any_frontier {
            legend.push(LegendEntry {
                label: "World frontier".into(),
                color: BLACK,
                swatch: Swatch::Line {
                    dash: Dash::Dashed,
                    marker: false,
                },
            });
        }
        let what = match metric {
            "self_sufficiency" => {
                "Self-sufficiency (share of domestic demand met by domestic firms)"
            }
            "best_capability" => {
                "Best capability of each state's firms, in frontier-years relative to the mid-2022 frontier; dashed: world frontier"
            }
            "capability_gap" => "Years behind the world frontier",
            _ => metric,
        };
        let caption = format!(
            "{what} by state and sector, {}.{}",
            self.date_span(),
            ctx.scenario_note()
        );
        let n = panels.len();
        Ok(Figure {
            stem: chart.into(),
            caption,
            title: ctx.title(match metric {
                "self_sufficiency" => "Self-sufficiency by sector".into(),
                "best_capability" => "Capability by sector".into(),
                _ => "Capability gap by sector".into(),
            }),
            x_title: "Year".into(),
            y_title: metric_axis_label(metric),
            cols: self.grid_cols(ctx, n),
            panels,
            legend,
            plot_h_pt: None,
        })
    }

    fn ai_compute(&self, ctx: &Ctx, chart: &str) -> Result<Figure, PlotError> {
        let series = self.series("ai_compute", Col::State, |r| r.ent.state != 0);
        let with_data: BTreeSet<String> = series.keys().cloned().collect();
        if with_data.is_empty() {
            return Err(self.no_data("ai_compute", "", "state"));
        }
        let states = self.chosen_states(ctx, &with_data, true);
        if states.is_empty() {
            return Err(PlotError::NoData {
                what: "metric".into(),
                name: "ai_compute".into(),
                path: self.path(),
                context: format!(" for states {}", list(&ctx.req.states)),
                present: format!("states with data {}", list(&with_data)),
            });
        }
        let th = Theme::layout(ctx.req.preset);
        let mut layers = Vec::new();
        let mut values = Vec::new();
        // A log axis: AI compute spans orders of magnitude across states, and on a linear axis
        // every state but the largest lies flat on zero. Zeros have no logarithm: they leave a
        // gap, and states at zero throughout are named in the caption.
        let mut never_positive = Vec::new();
        for st in &states {
            let vals = &series[st];
            let xs: Vec<f64> = vals.keys().map(|&t| self.m.year(t)).collect();
            let ys: Vec<f64> = vals
                .values()
                .map(|&v| if v > 0.0 { v.log10() } else { f64::NAN })
                .collect();
            if ys.iter().all(|y| y.is_nan()) {
                never_positive.push(self.state_name(st));
            }
            values.extend(ys.iter().copied());
            let (colour, dash) = self.colours.state_style(st);
            layers.push(line(&xs, &ys, colour, th.line_pt, dash, false));
        }
        let range = self.year_range();
        let legend = states.iter().map(|s| self.state_line_entry(s)).collect();
        Ok(Figure {
            stem: chart.into(),
            caption: format!(
                "AI compute by state in 2022-frontier accelerator-equivalents (index), {}, on a logarithmic scale.{}{}",
                self.date_span(),
                if never_positive.is_empty() {
                    String::new()
                } else {
                    format!(
                        " Zero throughout (not shown): {}.",
                        never_positive.join(", ")
                    )
                },
                ctx.scenario_note()
            ),
            title: ctx.title("AI compute by state".into()),
            x_title: "Year".into(),
            // The uneven tick spacing (0.1, 1, 10) and the caption say the scale is logarithmic.
            y_title: metric_axis_label("ai_compute"),
            cols: 1,
            panels: vec![Panel {
                title: None,
                x: Axis::time(range.0, range.1),
                y: Axis::log10_covering(values),
                layers,
                grid_x: false,
                grid_y: true,
            }],
            legend,
            plot_h_pt: None,
        })
    }
}

/// 2022.5 → "Jul 2022".
pub(crate) fn fmt_month(y: f64) -> String {
    const M: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = ((y - y.floor()) * 12.0 + 1e-6).floor() as usize;
    format!("{} {}", M[m.min(11)], y.floor() as i64)
}
