//! Publication charts of chokepoint results (runs, sweeps, effect estimates).
//!
//! Entry points: [`available_charts`] lists what a result directory can draw, [`plot_directory`]
//! draws it; [`plot_run_rows`] draws a run's charts from its rows still in memory (what `run`
//! does), byte for byte the charts `plot_directory` draws from the written folder. Charts are SVG
//! (vector, sized in inches) and/or PNG, or PDF (vector, font embedded; built with the `pdf`
//! cargo feature); every size comes from one theme so a PNG at `png_scale = 3` is the same
//! picture at 300 px per inch.
//!
//! # Chart names (`PlotRequest::only`)
//! * run: `market_share_firms_world`, `market_share_states_world`, `market_share_firms_market`,
//!   `market_share_states_market`, `market_share_states_panels`, `self_sufficiency`,
//!   `capability`, `capability_gap`, `ai_compute`
//! * sweep: `fan`, `sobol`, `morris`
//! * effect: `dose_response`, `dose_effect`, `marginal_effects`, `second_differences`
//! * comparison: `difference`
//!
//! One chart name can write several files (one per sector, series or outcome); file names start
//! with the chart name.
//!
//! # Colours and line styles
//! One categorical palette of twelve colours that stay apart for colour-blind readers: Okabe–Ito's
//! six (without black and yellow) and six from Paul Tol's schemes, chosen and tested as
//! `theme::PALETTE` says, with sources. Series beyond twelve reuse the palette dotted, then
//! long-dashed (`theme::series_style`). States have a fixed style by prominence
//! (`theme::STATE_ORDER`: US blue, CN vermillion, TW bluish green, KR sky blue, JP reddish purple,
//! NL orange, …; ROW grey); unknown state codes hash (FNV-1a) into the styles. A firm has its home
//! state's colour — lighter and darker shades of it for the second, third … firm of that state in
//! a sector (sorted by id) — so a colour means one entity family everywhere and a firm never wears
//! an unrelated state's colour. Ablations in effect charts: the full model is near-black, solid
//! and drawn on top; ablations are dashed and dealt the palette by sorted name. Sequential values
//! (heat maps) use viridis. "other" is light grey. Legends and panel titles wrap, never cut.
//! docs/CHARTS.md says all this for users.

mod canvas;
mod compare;
mod data;
mod effect;
mod error;
pub mod figure;
pub mod font;
mod primitives;
mod render;
mod run;
mod sweep;
pub mod theme;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use data::TidyRow;
pub use error::PlotError;
pub use theme::PNG_PX_PER_IN_AT_SCALE_1;

use data::Kind;
use figure::Figure;

/// Which files to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputFormat {
    Svg,
    Png,
    #[default]
    Both,
    /// Vector PDF with the font embedded (for LaTeX); needs the `pdf` cargo feature.
    Pdf,
}

/// Figure width: a journal's single column (3.5 in) or full page width (7 in). Fonts are 7–8 pt
/// for one column and 8–9 pt for two, at the figure's printed size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SizePreset {
    #[default]
    OneColumn,
    TwoColumn,
}

impl SizePreset {
    pub fn width_in(self) -> f64 {
        match self {
            SizePreset::OneColumn => 3.5,
            SizePreset::TwoColumn => 7.0,
        }
    }
}

/// What to draw and how.
#[derive(Clone, Debug)]
pub struct PlotRequest {
    pub format: OutputFormat,
    /// Where to write; default `<dir>/charts`.
    pub out_dir: Option<PathBuf>,
    /// Chart names; empty = every chart the directory can make.
    pub only: Vec<String>,
    pub preset: SizePreset,
    /// PNG pixels per inch / 100: 1.0 = 100 px per inch (a 3.5 in figure is 350 px wide),
    /// 3.0 = 300 px per inch (print quality). Ignored for SVG.
    pub png_scale: f64,
    /// Draw a title inside the figure (off by default: papers caption outside the figure).
    pub titles: bool,
    /// Buying market for the per-market share charts (e.g. "CN"); default CN when present,
    /// else the first market other than `world`.
    pub market: Option<String>,
    /// States for self-sufficiency, capability, gap and AI-compute charts; empty = every state
    /// that is home to a firm (and, for AI compute, every state when there are at most 8).
    pub states: Vec<String>,
    /// Firms to show by name in by-firm share charts (the rest become "other"); empty = the 7
    /// largest of each chart. Sweeps: keep only series of these firms.
    pub firms: Vec<String>,
    /// Sweep: metrics for fan charts (empty = the first 12 series of summary.csv).
    /// Effect: outcomes to draw (empty = all).
    pub metrics: Vec<String>,
    /// Sweep: design point for fan charts (default: point 0, or the lowest present).
    pub point: Option<u32>,
}

impl Default for PlotRequest {
    fn default() -> Self {
        PlotRequest {
            format: OutputFormat::Both,
            out_dir: None,
            only: Vec::new(),
            preset: SizePreset::OneColumn,
            png_scale: 3.0,
            titles: false,
            market: None,
            states: Vec::new(),
            firms: Vec::new(),
            metrics: Vec::new(),
            point: None,
        }
    }
}

/// A chart a directory can make.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChartInfo {
    /// Stable identifier, as typed with `--only`.
    pub name: String,
    /// One line saying what it shows.
    pub description: String,
}

/// The charts `dir` can make, in the order [`plot_directory`] draws them.
pub fn available_charts(dir: &Path) -> Result<Vec<ChartInfo>, PlotError> {
    let loaded = Loaded::load(dir, None)?;
    Ok(loaded
        .catalogue()
        .into_iter()
        .filter(|c| c.available)
        .map(|c| c.info)
        .collect())
}

/// Draw the charts of `dir` and return the paths written.
///
/// All data is read and every figure built before the first file is written, so a bad request
/// writes nothing. Each file is written to a hidden temporary name and renamed into place.
pub fn plot_directory(dir: &Path, req: &PlotRequest) -> Result<Vec<PathBuf>, PlotError> {
    check_scale(req)?;
    let loaded = Loaded::load(dir, req.point)?;
    draw(&loaded, dir, req)
}

/// Draws the charts of a run from its rows in memory, labelled as in `metrics.csv` (tick order,
/// as the run recorded them), and the scenario that produced them: the same files
/// [`plot_directory`] draws from the folder holding that run, without reading `metrics.csv` back.
/// `dir` names the run's folder in messages and, without `req.out_dir`, holds `charts/`.
pub fn plot_run_rows<'a>(
    dir: &Path,
    scenario: &crate::scenario::Scenario,
    rows: impl IntoIterator<Item = TidyRow<'a>>,
    req: &PlotRequest,
) -> Result<Vec<PathBuf>, PlotError> {
    check_scale(req)?;
    let data = run::RunData::from_memory(dir, scenario, rows);
    draw(&Loaded::Run(data), dir, req)
}

fn check_scale(req: &PlotRequest) -> Result<(), PlotError> {
    if !(req.png_scale.is_finite() && req.png_scale > 0.0 && req.png_scale <= 20.0) {
        return Err(PlotError::InvalidRequest(format!(
            "png_scale must be in (0, 20], got {}",
            req.png_scale
        )));
    }
    // PDF needs the `pdf` feature: refused before anything is read or written.
    if req.format == OutputFormat::Pdf {
        render::pdf_available()?;
    }
    Ok(())
}

/// Builds every requested figure of `loaded`, then writes them, figures in parallel (each to
/// its own files, so the bytes do not depend on the thread count).
fn draw(loaded: &Loaded, dir: &Path, req: &PlotRequest) -> Result<Vec<PathBuf>, PlotError> {
    let catalogue = loaded.catalogue();
    let available: Vec<&CatalogueEntry> = catalogue.iter().filter(|c| c.available).collect();
    let names: Vec<String> = if req.only.is_empty() {
        available.iter().map(|c| c.info.name.clone()).collect()
    } else {
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        for name in &req.only {
            if !catalogue.iter().any(|c| &c.info.name == name) {
                return Err(PlotError::UnknownChart {
                    name: name.clone(),
                    kind: loaded.kind().as_str().to_string(),
                    available: error::list(available.iter().map(|c| c.info.name.as_str())),
                });
            }
            if seen.insert(name.clone()) {
                out.push(name.clone());
            }
        }
        out
    };
    if names.is_empty() {
        return Err(PlotError::NoData {
            what: "result".into(),
            name: dir.display().to_string(),
            path: dir.to_path_buf(),
            context: String::new(),
            present: "no chart can be drawn from it".into(),
        });
    }
    let ctx = Ctx {
        req,
        scenario: loaded.scenario(),
    };
    loaded.validate(&ctx)?;
    let mut figures: Vec<Figure> = Vec::new();
    for name in &names {
        let figs = loaded.build(&ctx, name)?;
        for f in &figs {
            if !f.has_data() {
                return Err(PlotError::NoData {
                    what: "chart".into(),
                    name: f.stem.clone(),
                    path: dir.to_path_buf(),
                    context: String::new(),
                    present: "an empty figure was refused".into(),
                });
            }
        }
        figures.extend(figs);
    }
    // Unique file stems.
    let mut used = BTreeSet::new();
    for f in &mut figures {
        let base = f.stem.clone();
        let mut k = 2;
        while !used.insert(f.stem.clone()) {
            f.stem = format!("{base}_{k}");
            k += 1;
        }
    }
    let out_dir = req.out_dir.clone().unwrap_or_else(|| dir.join("charts"));
    std::fs::create_dir_all(&out_dir).map_err(|e| PlotError::io(&out_dir, e))?;
    use rayon::prelude::*;
    let per_figure: Vec<Result<Vec<PathBuf>, PlotError>> = figures
        .par_iter()
        .map(|f| {
            let mut written = Vec::new();
            if matches!(req.format, OutputFormat::Svg | OutputFormat::Both) {
                let p = out_dir.join(format!("{}.svg", f.stem));
                render::write_svg(f, req.preset, &p)?;
                written.push(p);
            }
            if matches!(req.format, OutputFormat::Png | OutputFormat::Both) {
                let p = out_dir.join(format!("{}.png", f.stem));
                render::write_png(f, req.preset, req.png_scale, &p)?;
                written.push(p);
            }
            if req.format == OutputFormat::Pdf {
                let p = out_dir.join(format!("{}.pdf", f.stem));
                render::write_pdf(f, req.preset, &p)?;
                written.push(p);
            }
            Ok(written)
        })
        .collect();
    let mut written = Vec::new();
    for files in per_figure {
        written.extend(files?);
    }
    Ok(written)
}

/// What every chart builder gets.
pub(crate) struct Ctx<'a> {
    pub req: &'a PlotRequest,
    pub scenario: Option<String>,
}

impl Ctx<'_> {
    /// Title for a figure when titles are on.
    pub(crate) fn title(&self, t: String) -> Option<String> {
        self.req.titles.then_some(t)
    }
    /// Caption suffix naming the scenario.
    pub(crate) fn scenario_note(&self) -> String {
        match &self.scenario {
            Some(s) => format!(" Scenario: {s}."),
            None => String::new(),
        }
    }
}

pub(crate) struct CatalogueEntry {
    pub info: ChartInfo,
    pub available: bool,
}

pub(crate) fn entry(name: &str, description: &str, available: bool) -> CatalogueEntry {
    CatalogueEntry {
        info: ChartInfo {
            name: name.into(),
            description: description.into(),
        },
        available,
    }
}

enum Loaded {
    Run(run::RunData),
    Sweep(sweep::SweepData),
    Effect(effect::EffectData),
    Comparison(compare::CompareData),
}

impl Loaded {
    /// Reads a result folder; a sweep keeps the summary rows of design point `point` only (by
    /// default the first), so memory does not grow with the number of design points.
    fn load(dir: &Path, point: Option<u32>) -> Result<Loaded, PlotError> {
        let manifest = data::read_manifest(dir)?;
        Ok(match manifest.kind {
            Kind::Run => Loaded::Run(run::RunData::load(dir, manifest)?),
            Kind::Sweep => Loaded::Sweep(sweep::SweepData::load(dir, manifest, point)?),
            Kind::Effect => Loaded::Effect(effect::EffectData::load(dir, manifest)?),
            Kind::Comparison => Loaded::Comparison(compare::CompareData::load(dir, manifest)?),
        })
    }
    fn kind(&self) -> Kind {
        match self {
            Loaded::Run(_) => Kind::Run,
            Loaded::Sweep(_) => Kind::Sweep,
            Loaded::Effect(_) => Kind::Effect,
            Loaded::Comparison(_) => Kind::Comparison,
        }
    }
    fn scenario(&self) -> Option<String> {
        match self {
            Loaded::Run(d) => d.manifest.scenario.clone(),
            Loaded::Sweep(d) => d.manifest.scenario.clone(),
            Loaded::Effect(d) => d.manifest.scenario.clone(),
            Loaded::Comparison(d) => d.manifest.scenario.clone(),
        }
    }
    fn catalogue(&self) -> Vec<CatalogueEntry> {
        match self {
            Loaded::Run(d) => d.catalogue(),
            Loaded::Sweep(d) => d.catalogue(),
            Loaded::Effect(d) => d.catalogue(),
            Loaded::Comparison(d) => d.catalogue(),
        }
    }
    fn validate(&self, ctx: &Ctx) -> Result<(), PlotError> {
        match self {
            Loaded::Run(d) => d.validate(ctx),
            Loaded::Sweep(d) => d.validate(ctx),
            Loaded::Effect(d) => d.validate(ctx),
            Loaded::Comparison(d) => d.validate(ctx),
        }
    }
    fn build(&self, ctx: &Ctx, name: &str) -> Result<Vec<Figure>, PlotError> {
        match self {
            Loaded::Run(d) => d.build(ctx, name),
            Loaded::Sweep(d) => d.build(ctx, name),
            Loaded::Effect(d) => d.build(ctx, name),
            Loaded::Comparison(d) => d.build(ctx, name),
        }
    }
}

/// `Foo Bar/baz` → `foo_bar_baz`, for file names.
pub(crate) fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    while out.ends_with('_') {
        out.pop();
    }
    out.chars().take(80).collect()
}
