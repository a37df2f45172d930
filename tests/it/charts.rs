//! Specifications of the chart module, checked against the fixture result directories.

use crate::fixtures;

use std::path::{Path, PathBuf};

use chokepoint::charts::{OutputFormat, PlotRequest, SizePreset, available_charts, plot_directory};

fn fixture(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(kind)
}

/// The committed fixtures are exactly what the generator in `tests/it/fixtures.rs` writes.
/// After changing the generator, run with `CHOKEPOINT_REGENERATE_FIXTURES=1` to rewrite them.
#[test]
fn fixtures_match_their_generator() {
    if std::env::var_os("CHOKEPOINT_REGENERATE_FIXTURES").is_some() {
        fixtures::write_run(&fixture("run"));
        fixtures::write_sweep(&fixture("sweep"));
        fixtures::write_effect(&fixture("effect"));
    }
    let fresh = tempfile::tempdir().unwrap();
    fixtures::write_run(&fresh.path().join("run"));
    fixtures::write_sweep(&fresh.path().join("sweep"));
    fixtures::write_effect(&fresh.path().join("effect"));
    for kind in ["run", "sweep", "effect"] {
        for entry in std::fs::read_dir(fresh.path().join(kind)).unwrap() {
            let entry = entry.unwrap();
            let committed = std::fs::read(fixture(kind).join(entry.file_name())).unwrap();
            assert_eq!(
                std::fs::read(entry.path()).unwrap(),
                committed,
                "{kind}/{:?} differs from the generator",
                entry.file_name()
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A request writing into `out`, at 100 px per inch (fast), both formats.
fn req(out: &Path) -> PlotRequest {
    PlotRequest {
        out_dir: Some(out.to_path_buf()),
        png_scale: 1.0,
        ..PlotRequest::default()
    }
}

fn render(kind: &str, f: impl FnOnce(&mut PlotRequest)) -> (tempfile::TempDir, Vec<PathBuf>) {
    let tmp = tempfile::tempdir().unwrap();
    let mut r = req(&tmp.path().join("charts"));
    f(&mut r);
    let files = plot_directory(&fixture(kind), &r).unwrap();
    (tmp, files)
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_str().unwrap().to_string()
}

fn by_stem<'a>(files: &'a [PathBuf], stem_: &str, ext: &str) -> &'a PathBuf {
    files
        .iter()
        .find(|p| stem(p) == stem_ && p.extension().unwrap() == ext)
        .unwrap_or_else(|| panic!("no {stem_}.{ext} among {files:?}"))
}

/// Copy a fixture into a temporary directory so a test can alter it.
fn copy_fixture(kind: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    for e in std::fs::read_dir(fixture(kind)).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), tmp.path().join(e.file_name())).unwrap();
        }
    }
    tmp
}

/// Files in `dir` (none if it does not exist).
fn files_in(dir: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(dir) {
        Ok(rd) => rd.map(|e| e.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

/// What the SVG checker found.
#[derive(Debug)]
struct Svg {
    width_in: f64,
    height_in: f64,
    /// Text content of every `<text>` element, in document order.
    texts: Vec<String>,
    /// (label, colour of the last shape drawn before it): legend swatches precede their labels.
    swatches: Vec<(String, String)>,
}

impl Svg {
    fn has_text(&self, t: &str) -> bool {
        self.texts.iter().any(|x| x == t)
    }
    fn colour_of(&self, label: &str) -> &str {
        &self
            .swatches
            .iter()
            .find(|(l, _)| l == label)
            .unwrap_or_else(|| panic!("no legend entry {label}"))
            .1
    }
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    Some(&tag[i..i + tag[i..].find('"')?])
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// A small XML well-formedness check (balanced tags, quoted attributes, one root) that also
/// collects text and legend colours. Panics with the reason when the SVG is malformed.
fn parse_svg(path: &Path) -> Svg {
    let src = std::fs::read_to_string(path).unwrap();
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut texts = Vec::new();
    let mut swatches = Vec::new();
    let mut last_colour = String::new();
    let mut rest = src.as_str();
    let mut in_text = false;
    let mut svg_size = None;
    while let Some(lt) = rest.find('<') {
        let content = &rest[..lt];
        if in_text {
            let t = unescape(content.trim());
            swatches.push((t.clone(), last_colour.clone()));
            texts.push(t);
        } else {
            assert!(
                content.trim().is_empty() || !stack.is_empty(),
                "{path:?}: text outside the root: {content:?}"
            );
        }
        let gt = rest[lt..]
            .find('>')
            .unwrap_or_else(|| panic!("{path:?}: unterminated tag"))
            + lt;
        let tag = &rest[lt..=gt];
        assert_eq!(
            tag.matches('"').count() % 2,
            0,
            "{path:?}: unbalanced quotes in {tag}"
        );
        if tag.starts_with("<?") || tag.starts_with("<!") {
        } else if let Some(name) = tag.strip_prefix("</") {
            let name = name.trim_end_matches('>').trim();
            let open = stack
                .pop()
                .unwrap_or_else(|| panic!("{path:?}: </{name}> closes nothing"));
            assert_eq!(open, name, "{path:?}: <{open}> closed by </{name}>");
            in_text = false;
        } else {
            let name: String = tag[1..]
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            assert!(!name.is_empty(), "{path:?}: bad tag {tag}");
            if stack.is_empty() {
                roots += 1;
                assert_eq!(name, "svg", "{path:?}: root element is {name}");
                let w = attr(tag, "width")
                    .unwrap()
                    .trim_end_matches("in")
                    .parse::<f64>()
                    .unwrap();
                let h = attr(tag, "height")
                    .unwrap()
                    .trim_end_matches("in")
                    .parse::<f64>()
                    .unwrap();
                svg_size = Some((w, h));
            }
            if name != "text" && name != "svg" {
                let fill = attr(tag, "fill").filter(|f| *f != "none");
                if let Some(c) = fill.or(attr(tag, "stroke")).filter(|c| *c != "#FFFFFF") {
                    last_colour = c.to_string();
                }
            }
            if !tag.ends_with("/>") {
                in_text = name == "text";
                stack.push(name);
            }
        }
        rest = &rest[gt + 1..];
    }
    assert!(rest.trim().is_empty(), "{path:?}: trailing content");
    assert!(stack.is_empty(), "{path:?}: unclosed {stack:?}");
    assert_eq!(roots, 1, "{path:?}: {roots} root elements");
    let (width_in, height_in) = svg_size.unwrap();
    Svg {
        width_in,
        height_in,
        texts,
        swatches,
    }
}

/// Decodes a PNG fully: its width, height and 8-bit RGB pixels (the format charts are written in).
pub(crate) fn decode_png(path: &Path) -> (u32, u32, Vec<u8>) {
    let file = std::fs::File::open(path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    let mut reader = png::Decoder::new(std::io::BufReader::new(file))
        .read_info()
        .unwrap_or_else(|e| panic!("{path:?} does not decode: {e}"));
    let mut pixels = vec![0; reader.output_buffer_size()];
    let frame = reader
        .next_frame(&mut pixels)
        .unwrap_or_else(|e| panic!("{path:?} does not decode: {e}"));
    assert_eq!(
        (frame.color_type, frame.bit_depth),
        (png::ColorType::Rgb, png::BitDepth::Eight),
        "{path:?}"
    );
    pixels.truncate(frame.buffer_size());
    (frame.width, frame.height, pixels)
}

/// Decode a PNG fully and return its size.
fn png_size(path: &Path) -> (u32, u32) {
    let (width, height, rgb) = decode_png(path);
    // Never blank: at least some dark pixels (axes, text) and some white ones.
    let dark = rgb
        .chunks_exact(3)
        .filter(|p| p.iter().all(|&c| c < 100))
        .count();
    assert!(dark > 100, "{path:?} looks blank");
    (width, height)
}

/// Every chart name of the directory produced at least one SVG and one PNG; every SVG is
/// well-formed, sized `width_in` wide; every PNG decodes at 100 × scale px per inch.
fn check_all_rendered(kind: &str, files: &[PathBuf], width_in: f64, scale: f64) {
    let names: Vec<String> = available_charts(&fixture(kind))
        .unwrap()
        .into_iter()
        .map(|c| c.name)
        .collect();
    for name in &names {
        for ext in ["svg", "png"] {
            assert!(
                files.iter().any(|p| {
                    let s = stem(p);
                    (s == *name || s.starts_with(&format!("{name}_")))
                        && p.extension().unwrap() == ext
                }),
                "chart {name} wrote no .{ext}: {files:?}"
            );
        }
    }
    for f in files {
        assert!(f.is_file(), "{f:?} was not written");
        if f.extension().unwrap() == "svg" {
            let svg = parse_svg(f);
            assert!(
                (svg.width_in - width_in).abs() < 1e-9,
                "{f:?} is {} in wide",
                svg.width_in
            );
            let png = f.with_extension("png");
            let (w, h) = png_size(&png);
            assert_eq!(
                w,
                (width_in * 100.0 * scale).round() as u32,
                "{png:?} width"
            );
            let expect_h = svg.height_in * 100.0 * scale;
            assert!(
                (h as f64 - expect_h).abs() <= 1.0,
                "{png:?} height {h} vs {expect_h}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Every chart renders
// ---------------------------------------------------------------------------------------------

#[test]
fn every_run_chart_renders_as_well_formed_svg_and_decodable_png() {
    let (_tmp, files) = render("run", |_| {});
    check_all_rendered("run", &files, 3.5, 1.0);
    // One file per sector for the share charts, one figure for the others.
    for sector in ["foundry_advanced", "memory", "equipment", "ai_accelerator"] {
        by_stem(&files, &format!("market_share_firms_world_{sector}"), "svg");
        by_stem(
            &files,
            &format!("market_share_states_market_cn_{sector}"),
            "png",
        );
    }
    assert_eq!(files.len(), 2 * (4 * 4 + 5));
}

#[test]
fn every_sweep_chart_renders_as_well_formed_svg_and_decodable_png() {
    let (_tmp, files) = render("sweep", |_| {});
    check_all_rendered("sweep", &files, 3.5, 1.0);
    by_stem(&files, "sobol_self_sufficiency_cn_foundry_advanced", "svg");
    by_stem(&files, "sobol_ai_compute_cn", "svg");
    by_stem(&files, "morris_capability_gap_cn_foundry_advanced", "png");
}

#[test]
fn every_effect_chart_renders_as_well_formed_svg_and_decodable_png() {
    let (_tmp, files) = render("effect", |_| {});
    check_all_rendered("effect", &files, 3.5, 1.0);
    // One file per outcome and chart.
    assert_eq!(files.len(), 2 * 4 * 2);
}

#[test]
fn png_pixel_size_follows_preset_and_scale() {
    for (preset, scale, width) in [
        (SizePreset::OneColumn, 3.0, 1050),
        (SizePreset::TwoColumn, 2.0, 1400),
        (SizePreset::TwoColumn, 1.0, 700),
    ] {
        let (_tmp, files) = render("run", |r| {
            r.only = vec!["ai_compute".into()];
            r.preset = preset;
            r.png_scale = scale;
        });
        let svg = parse_svg(by_stem(&files, "ai_compute", "svg"));
        assert_eq!(svg.width_in, preset.width_in());
        let (w, h) = png_size(by_stem(&files, "ai_compute", "png"));
        assert_eq!(w, width);
        assert!((h as f64 - svg.height_in * 100.0 * scale).abs() <= 1.0);
        // A sensible aspect: wider than tall, not a strip.
        let aspect = svg.height_in / svg.width_in;
        assert!((0.45..0.95).contains(&aspect), "aspect {aspect}");
    }
}

#[test]
fn svg_only_and_png_only_write_one_format() {
    let (_tmp, files) = render("effect", |r| r.format = OutputFormat::Svg);
    assert!(files.iter().all(|p| p.extension().unwrap() == "svg"));
    let (_tmp, files) = render("effect", |r| r.format = OutputFormat::Png);
    assert!(files.iter().all(|p| p.extension().unwrap() == "png"));
}

// ---------------------------------------------------------------------------------------------
// Content: series labels, axis titles, grouping, colours
// ---------------------------------------------------------------------------------------------

#[test]
fn share_charts_label_firms_with_home_state_and_axes_with_units() {
    let (_tmp, files) = render("run", |r| {
        r.only = vec![
            "market_share_firms_world".into(),
            "market_share_states_world".into(),
        ];
        r.format = OutputFormat::Svg;
    });
    let svg = parse_svg(by_stem(
        &files,
        "market_share_firms_world_foundry_advanced",
        "svg",
    ));
    for t in [
        "TSMC (TW)",
        "Samsung Foundry (KR)",
        "Intel (US)",
        "SMIC (CN)",
        "Market share (%)",
        "Year",
        "2023",
        "2024",
        "100",
    ] {
        assert!(svg.has_text(t), "missing {t}: {:?}", svg.texts);
    }
    let svg = parse_svg(by_stem(&files, "market_share_states_world_memory", "svg"));
    for t in ["South Korea", "United States", "China"] {
        assert!(svg.has_text(t), "missing {t}: {:?}", svg.texts);
    }
}

#[test]
fn stacked_areas_keep_the_seven_largest_firms_and_group_the_rest_as_other() {
    let (_tmp, files) = render("run", |r| {
        r.only = vec!["market_share_firms_world".into()];
        r.format = OutputFormat::Svg;
    });
    // Equipment has nine firms: seven by name, two (the smallest) as "Other".
    let svg = parse_svg(by_stem(&files, "market_share_firms_world_equipment", "svg"));
    assert!(svg.has_text("Other"));
    assert!(svg.has_text("ASML (NL)"));
    assert!(
        !svg.has_text("SMEE (CN)") && !svg.has_text("AMEC (CN)"),
        "{:?}",
        svg.texts
    );
    let named = [
        "ASML (NL)",
        "Applied Materials (US)",
        "Lam Research (US)",
        "Tokyo Electron (JP)",
        "KLA (US)",
        "SCREEN (JP)",
        "Naura (CN)",
    ];
    assert_eq!(named.iter().filter(|n| svg.has_text(n)).count(), 7);
    // Memory has five: no grouping.
    let svg = parse_svg(by_stem(&files, "market_share_firms_world_memory", "svg"));
    assert!(!svg.has_text("Other"));
}

#[test]
fn firms_option_chooses_the_firms_shown_by_name() {
    let (_tmp, files) = render("run", |r| {
        r.only = vec!["market_share_firms_world".into()];
        r.firms = vec!["smic".into(), "tsmc".into()];
        r.format = OutputFormat::Svg;
    });
    let svg = parse_svg(by_stem(
        &files,
        "market_share_firms_world_foundry_advanced",
        "svg",
    ));
    assert!(svg.has_text("TSMC (TW)") && svg.has_text("SMIC (CN)") && svg.has_text("Other"));
    assert!(!svg.has_text("Intel (US)"));
}

#[test]
fn market_option_selects_the_buying_market_and_states_are_summed_from_firms_when_needed() {
    // The fixture has state_market_share only for `world`; the CN chart sums firms by home state.
    let (_tmp, files) = render("run", |r| {
        r.only = vec!["market_share_states_market".into()];
        r.market = Some("CN".into());
        r.format = OutputFormat::Svg;
    });
    assert_eq!(files.len(), 4);
    let svg = parse_svg(by_stem(
        &files,
        "market_share_states_market_cn_ai_accelerator",
        "svg",
    ));
    assert!(svg.has_text("United States") && svg.has_text("China"));
}

#[test]
fn state_line_charts_have_a_panel_per_sector_and_the_frontier() {
    let (_tmp, files) = render("run", |r| {
        r.only = vec![
            "self_sufficiency".into(),
            "capability".into(),
            "capability_gap".into(),
            "ai_compute".into(),
        ];
        r.format = OutputFormat::Svg;
    });
    let s = parse_svg(by_stem(&files, "self_sufficiency", "svg"));
    for t in [
        "Self-sufficiency (%)",
        "Advanced foundry",
        "Memory",
        "Equipment",
        "AI accelerators",
        "China",
        "Netherlands",
    ] {
        assert!(s.has_text(t), "missing {t}: {:?}", s.texts);
    }
    let c = parse_svg(by_stem(&files, "capability", "svg"));
    assert!(
        c.has_text("World frontier") && c.has_text("Capability (frontier-years)"),
        "{:?}",
        c.texts
    );
    let g = parse_svg(by_stem(&files, "capability_gap", "svg"));
    assert!(g.has_text("Gap to frontier (years)"));
    let a = parse_svg(by_stem(&files, "ai_compute", "svg"));
    // The axis title carries the catalogue's unit whole (wrapped onto two lines if it must be,
    // never cut).
    let joined = a.texts.join(" ");
    assert!(
        joined.contains("AI compute")
            && joined.contains("frontier-accelerator")
            && joined.contains("$B)"),
        "{:?}",
        a.texts
    );
    // AI compute spans orders of magnitude: a log axis with decade ticks.
    assert!(a.has_text("0.1") && a.has_text("1"), "{:?}", a.texts);
}

#[test]
fn states_option_limits_the_lines() {
    let (_tmp, files) = render("run", |r| {
        r.only = vec!["self_sufficiency".into()];
        r.states = vec!["CN".into(), "US".into()];
        r.format = OutputFormat::Svg;
    });
    let s = parse_svg(by_stem(&files, "self_sufficiency", "svg"));
    assert!(s.has_text("China") && s.has_text("United States"));
    assert!(!s.has_text("Japan"));
}

#[test]
fn each_state_and_firm_has_one_colour_in_every_chart_and_directory() {
    let (_tmp, run) = render("run", |r| r.format = OutputFormat::Svg);
    let (_tmp2, sweep) = render("sweep", |r| r.format = OutputFormat::Svg);
    // China: vermillion everywhere (fixed table).
    for stem_ in [
        "market_share_states_world_memory",
        "market_share_states_market_cn_equipment",
        "market_share_states_panels",
        "self_sufficiency",
        "capability",
        "ai_compute",
    ] {
        let svg = parse_svg(by_stem(&run, stem_, "svg"));
        assert_eq!(svg.colour_of("China"), "#D55E00", "{stem_}");
        assert_eq!(svg.colour_of("United States"), "#0072B2", "{stem_}");
    }
    // A firm keeps its colour between the world and the CN market.
    let world = parse_svg(by_stem(
        &run,
        "market_share_firms_world_foundry_advanced",
        "svg",
    ));
    let cn = parse_svg(by_stem(
        &run,
        "market_share_firms_market_cn_foundry_advanced",
        "svg",
    ));
    for firm in [
        "TSMC (TW)",
        "SMIC (CN)",
        "Intel (US)",
        "Samsung Foundry (KR)",
    ] {
        assert_eq!(world.colour_of(firm), cn.colour_of(firm), "{firm}");
    }
    // Firms of one sector never share a colour.
    let colours: std::collections::BTreeSet<&str> = [
        "TSMC (TW)",
        "SMIC (CN)",
        "Intel (US)",
        "Samsung Foundry (KR)",
    ]
    .iter()
    .map(|f| world.colour_of(f))
    .collect();
    assert_eq!(colours.len(), 4);
    // The sweep's fan chart for CN uses China's colour too (different directory).
    let fan = parse_svg(by_stem(&sweep, "fan_ai_compute_cn", "svg"));
    assert_eq!(fan.colour_of("Median"), "#D55E00");
}

#[test]
fn titles_are_off_by_default_and_drawn_when_asked() {
    let (_tmp, off) = render("run", |r| {
        r.only = vec!["ai_compute".into()];
        r.format = OutputFormat::Svg;
    });
    let (_tmp2, on) = render("run", |r| {
        r.only = vec!["ai_compute".into()];
        r.format = OutputFormat::Svg;
        r.titles = true;
    });
    assert!(!parse_svg(&off[0]).has_text("AI compute by state"));
    assert!(parse_svg(&on[0]).has_text("AI compute by state"));
    // The caption (with the scenario) is always in the SVG's <desc>.
    let raw = std::fs::read_to_string(&off[0]).unwrap();
    assert!(raw.contains("<desc>") && raw.contains("Scenario: oct2022_controls."));
}

#[test]
fn fan_charts_default_to_the_first_twelve_series_of_design_point_zero() {
    let (_tmp, files) = render("sweep", |r| {
        r.only = vec!["fan".into()];
        r.format = OutputFormat::Svg;
    });
    assert_eq!(files.len(), 12, "{files:?}");
    let f = parse_svg(by_stem(
        &files,
        "fan_self_sufficiency_cn_foundry_advanced",
        "svg",
    ));
    for t in [
        "Median",
        "50% band (p25–p75)",
        "90% band (p05–p95)",
        "Self-sufficiency (%)",
        "Year",
    ] {
        assert!(f.has_text(t), "missing {t}: {:?}", f.texts);
    }
    // Asking for metrics lifts the default limit; another design point is named in the file.
    let (_tmp, files) = render("sweep", |r| {
        r.only = vec!["fan".into()];
        r.metrics = vec!["price".into(), "state_market_share".into()];
        r.point = Some(1);
        r.format = OutputFormat::Svg;
    });
    let stems: Vec<String> = files.iter().map(|p| stem(p)).collect();
    assert_eq!(
        stems,
        vec![
            "fan_state_market_share_cn_equipment_world_p1",
            "fan_price_foundry_advanced_cn_p1"
        ]
    );
}

#[test]
fn sensitivity_charts_show_indices_per_parameter_with_intervals() {
    let (_tmp, files) = render("sweep", |r| {
        r.only = vec!["sobol".into(), "morris".into()];
        r.format = OutputFormat::Svg;
    });
    let s = parse_svg(by_stem(
        &files,
        "sobol_self_sufficiency_cn_foundry_advanced",
        "svg",
    ));
    for t in [
        "entity_list_coverage",
        "stockpile_months",
        "S1 (first order)",
        "ST (total order)",
        "Confidence interval",
        "Sobol index",
    ] {
        assert!(s.has_text(t), "missing {t}: {:?}", s.texts);
    }
    // Most influential parameter first (top of the chart = first y label drawn last? check order):
    let pos = |t: &str| s.texts.iter().position(|x| x == t).unwrap();
    assert!(
        pos("entity_list_coverage") > pos("stockpile_months"),
        "labels drawn bottom-up"
    );
    let m = parse_svg(by_stem(
        &files,
        "morris_capability_gap_cn_foundry_advanced",
        "svg",
    ));
    assert!(
        m.has_text("μ* (mean |elementary effect|)") && m.has_text("σ (s.d. of elementary effects)"),
        "{:?}",
        m.texts
    );
}

#[test]
fn effect_charts_show_ablations_as_series_and_dose_labels_on_the_axis() {
    let (_tmp, files) = render("effect", |r| r.format = OutputFormat::Svg);
    let d = parse_svg(by_stem(
        &files,
        "dose_response_cn_advanced_foundry_self_sufficiency_2030",
        "svg",
    ));
    // Dose labels wrap within their slot ("Entity list" → "Entity" / "list").
    for t in [
        "Full model",
        "Without stockpiling",
        "No smuggling",
        "Confidence band",
        "Policy dose",
        "Entity",
        "list",
    ] {
        assert!(d.has_text(t), "missing {t}: {:?}", d.texts);
    }
    // The full model: near-black (black whiskers stay visible on its bars), drawn solid on top.
    assert_eq!(d.colour_of("Full model"), "#3A3A3A");
    let m = parse_svg(by_stem(
        &files,
        "marginal_effects_us_cn_frontier_gap_2030_years",
        "svg",
    ));
    assert!(m.has_text("Confidence interval") && m.has_text("Dose step added"));
    assert!(!m.has_text("No controls"), "dose 0 has no marginal effect");
    // Ablations keep their colour across outcomes and charts.
    let e = parse_svg(by_stem(
        &files,
        "dose_effect_us_cn_frontier_gap_2030_years",
        "svg",
    ));
    assert_eq!(e.colour_of("No smuggling"), d.colour_of("No smuggling"));
    assert_eq!(m.colour_of("No smuggling"), d.colour_of("No smuggling"));
}

#[test]
fn available_charts_names_what_each_directory_can_draw() {
    let names = |k: &str| {
        available_charts(&fixture(k))
            .unwrap()
            .into_iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        names("run"),
        [
            "market_share_firms_world",
            "market_share_states_world",
            "market_share_firms_market",
            "market_share_states_market",
            "market_share_states_panels",
            "self_sufficiency",
            "capability",
            "capability_gap",
            "ai_compute"
        ]
    );
    assert_eq!(names("sweep"), ["fan", "sobol", "morris"]);
    assert_eq!(
        names("effect"),
        [
            "dose_response",
            "dose_effect",
            "marginal_effects",
            "second_differences"
        ]
    );
    assert!(
        available_charts(&fixture("run"))
            .unwrap()
            .iter()
            .all(|c| !c.description.is_empty())
    );
}

#[test]
fn rendering_is_deterministic_and_leaves_no_temporary_files() {
    let (tmp1, a) = render("run", |r| {
        r.only = vec!["market_share_states_panels".into()]
    });
    let (_tmp2, b) = render("run", |r| {
        r.only = vec!["market_share_states_panels".into()]
    });
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(
            std::fs::read(x).unwrap(),
            std::fs::read(y).unwrap(),
            "{x:?}"
        );
    }
    let leftovers: Vec<_> = files_in(&tmp1.path().join("charts"))
        .into_iter()
        .filter(|p| p.file_name().unwrap().to_str().unwrap().starts_with('.'))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn default_output_directory_is_charts_inside_the_result() {
    let dir = copy_fixture("effect");
    let r = PlotRequest {
        png_scale: 1.0,
        only: vec!["dose_effect".into()],
        ..PlotRequest::default()
    };
    let files = plot_directory(dir.path(), &r).unwrap();
    assert!(
        files
            .iter()
            .all(|p| p.parent().unwrap() == dir.path().join("charts"))
    );
}

// ---------------------------------------------------------------------------------------------
// Errors: the right error, a message naming what exists, and no file written
// ---------------------------------------------------------------------------------------------

/// Run `plot_directory` on `dir` expecting an error; check no chart file was written.
fn plot_err(dir: &Path, f: impl FnOnce(&mut PlotRequest)) -> PlotError {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("charts");
    let mut r = req(&out);
    f(&mut r);
    let err = plot_directory(dir, &r).expect_err("expected an error");
    assert!(
        files_in(&out).is_empty(),
        "files written despite {err}: {:?}",
        files_in(&out)
    );
    assert!(files_in(&dir.join("charts")).is_empty());
    err
}

use chokepoint::charts::PlotError;

#[test]
fn a_directory_without_manifest_is_not_a_result() {
    let tmp = tempfile::tempdir().unwrap();
    let err = plot_err(tmp.path(), |_| {});
    assert!(matches!(err, PlotError::NoManifest { .. }));
    assert!(
        err.to_string()
            .ends_with("holds no chokepoint run, sweep or effect result: no manifest.json"),
        "{err}"
    );
    assert!(matches!(
        available_charts(tmp.path()),
        Err(PlotError::NoManifest { .. })
    ));
}

#[test]
fn a_manifest_of_unknown_kind_is_rejected() {
    let dir = copy_fixture("effect");
    std::fs::write(dir.path().join("manifest.json"), r#"{"kind": "batch"}"#).unwrap();
    let err = plot_err(dir.path(), |_| {});
    assert!(matches!(err, PlotError::UnknownKind { .. }));
    assert!(
        err.to_string().contains("\"batch\"")
            && err.to_string().contains("\"run\", \"sweep\" or \"effect\""),
        "{err}"
    );
    std::fs::write(dir.path().join("manifest.json"), r#"{"scenario": "x"}"#).unwrap();
    assert!(matches!(
        plot_err(dir.path(), |_| {}),
        PlotError::UnknownKind { .. }
    ));
    std::fs::write(dir.path().join("manifest.json"), "{not json").unwrap();
    assert!(matches!(
        plot_err(dir.path(), |_| {}),
        PlotError::BadManifest { .. }
    ));
}

#[test]
fn an_unknown_chart_name_lists_the_valid_names_for_that_directory() {
    let err = plot_err(&fixture("run"), |r| {
        r.only = vec!["ai_compute".into(), "market_share".into()]
    });
    let msg = err.to_string();
    assert!(matches!(err, PlotError::UnknownChart { .. }));
    assert!(
        msg.contains("`market_share`") && msg.contains("run result"),
        "{msg}"
    );
    for n in ["market_share_firms_world", "self_sufficiency", "ai_compute"] {
        assert!(msg.contains(n), "{msg}");
    }
    // A sweep chart name is unknown to an effect directory.
    let msg = plot_err(&fixture("effect"), |r| r.only = vec!["fan".into()]).to_string();
    assert!(
        msg.contains("dose_response") && msg.contains("marginal_effects"),
        "{msg}"
    );
}

#[test]
fn a_metric_with_no_data_is_reported_with_the_metrics_present() {
    // Sweep: a metric that is not in summary.csv.
    let err = plot_err(&fixture("sweep"), |r| r.metrics = vec!["leakage".into()]);
    assert!(matches!(err, PlotError::NoData { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("`leakage`")
            && msg.contains("`self_sufficiency`")
            && msg.contains("summary.csv"),
        "{msg}"
    );
    // Run: ai_compute asked for, but the run wrote none.
    let dir = copy_fixture("run");
    let p = dir.path().join("metrics.csv");
    let kept: String = std::fs::read_to_string(&p)
        .unwrap()
        .lines()
        .filter(|l| !l.contains(",ai_compute,"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&p, kept).unwrap();
    assert!(
        !available_charts(dir.path())
            .unwrap()
            .iter()
            .any(|c| c.name == "ai_compute")
    );
    let err = plot_err(dir.path(), |r| r.only = vec!["ai_compute".into()]);
    let msg = err.to_string();
    assert!(matches!(err, PlotError::NoData { .. }));
    assert!(
        msg.contains("`ai_compute`")
            && msg.contains("`market_share`")
            && msg.contains("metrics.csv"),
        "{msg}"
    );
    // Effect: an outcome that does not exist.
    let msg = plot_err(&fixture("effect"), |r| r.metrics = vec!["GDP".into()]).to_string();
    assert!(
        msg.contains("`GDP`") && msg.contains("US-CN frontier gap 2030 (years)"),
        "{msg}"
    );
}

#[test]
fn an_unknown_state_firm_market_or_design_point_is_reported_with_those_present() {
    let err = plot_err(&fixture("run"), |r| {
        r.states = vec!["CN".into(), "XX".into()]
    });
    assert!(matches!(err, PlotError::UnknownEntity { .. }));
    let msg = err.to_string();
    assert!(
        msg.contains("state `XX`") && msg.contains("`CN`") && msg.contains("`NL`"),
        "{msg}"
    );

    let msg = plot_err(&fixture("run"), |r| r.firms = vec!["acme".into()]).to_string();
    assert!(
        msg.contains("firm `acme`") && msg.contains("`tsmc`"),
        "{msg}"
    );

    let msg = plot_err(&fixture("run"), |r| r.market = Some("ZZ".into())).to_string();
    assert!(
        msg.contains("market `ZZ`") && msg.contains("`CN`") && msg.contains("`world`"),
        "{msg}"
    );

    let msg = plot_err(&fixture("sweep"), |r| r.point = Some(9)).to_string();
    assert!(
        msg.contains("design point `9`") && msg.contains("`0`, `1`"),
        "{msg}"
    );

    let msg = plot_err(&fixture("sweep"), |r| r.states = vec!["FR".into()]).to_string();
    assert!(msg.contains("state `FR`") && msg.contains("`CN`"), "{msg}");
}

#[test]
fn a_csv_with_a_wrong_header_names_the_file_and_both_headers() {
    for (kind, file, from, to) in [
        ("run", "metrics.csv", "tick,date,metric", "tick,day,metric"),
        ("sweep", "summary.csv", ",p95,n", ",q95,n"),
        (
            "effect",
            "effects.csv",
            "ablation,outcome",
            "variant,outcome",
        ),
    ] {
        let dir = copy_fixture(kind);
        let p = dir.path().join(file);
        let text = std::fs::read_to_string(&p).unwrap().replacen(from, to, 1);
        std::fs::write(&p, text).unwrap();
        let err = plot_err(dir.path(), |_| {});
        assert!(matches!(err, PlotError::BadHeader { .. }), "{err}");
        let msg = err.to_string();
        assert!(
            msg.contains(file) && msg.contains("expected:") && msg.contains("found:"),
            "{msg}"
        );
        assert!(msg.contains(to), "{msg}");
        // Listing charts reads the same files and fails the same way.
        assert!(matches!(
            available_charts(dir.path()),
            Err(PlotError::BadHeader { .. })
        ));
    }
}

#[test]
fn a_bad_value_or_missing_file_is_reported_with_its_location() {
    let dir = copy_fixture("effect");
    let p = dir.path().join("effects.csv");
    let text = std::fs::read_to_string(&p)
        .unwrap()
        .replacen(",level,", ",level,abc", 1);
    std::fs::write(&p, text).unwrap();
    let msg = plot_err(dir.path(), |_| {}).to_string();
    assert!(
        msg.contains("effects.csv") && msg.contains("line 2"),
        "{msg}"
    );

    let dir = copy_fixture("run");
    std::fs::remove_file(dir.path().join("metrics.csv")).unwrap();
    let err = plot_err(dir.path(), |_| {});
    assert!(
        matches!(err, PlotError::MissingFile { .. }) && err.to_string().contains("metrics.csv"),
        "{err}"
    );

    let err = plot_err(&fixture("run"), |r| r.png_scale = 0.0);
    assert!(matches!(err, PlotError::InvalidRequest(_)));
}

// ---------------------------------------------------------------------------------------------
// Charts for papers, end to end: runs of the small world drawn as `chokepoint run` draws them
// ---------------------------------------------------------------------------------------------

/// The `<desc>` (the caption) of an SVG.
fn caption(path: &Path) -> String {
    let raw = std::fs::read_to_string(path).unwrap();
    let start = raw.find("<desc>").expect("an SVG has a caption") + "<desc>".len();
    unescape(&raw[start..start + raw[start..].find("</desc>").unwrap()])
}

#[test]
fn long_firm_names_wrap_in_the_legend_and_events_are_marked_on_share_and_compare_charts() {
    use crate::support::{SMALL_WORLD, chokepoint, stderr};
    let long = "Other Chinese AI chip designers (Kunlunxin, T-Head, Biren, Moore Threads, Enflame)";
    let world = SMALL_WORLD.replace(r#"name: "CN chip designer""#, &format!("name: \"{long}\""));
    assert_ne!(world, SMALL_WORLD);
    let control = world.replace(
        "events: [],",
        r#"events: [Event(date: "2022-10", label: "US chip rule", action: ExportControl(id: "ai", controller: "US", sector: "ai_accelerator", max_capability: -0.25, destinations: ["CN"]))],"#,
    );
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::fs::write(dir.join("world.ron"), &world).unwrap();
    std::fs::write(dir.join("control.ron"), &control).unwrap();
    for (file, out) in [("world.ron", "a"), ("control.ron", "b")] {
        let o = chokepoint(&["run", file, "--out", out], dir);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    // The long name is in the legend whole, on several lines, never cut with an ellipsis.
    let share = dir.join("b/charts/market_share_firms_world_ai_accelerator.svg");
    let svg = parse_svg(&share);
    assert!(
        svg.texts.iter().all(|t| !t.contains('…')),
        "{:?}",
        svg.texts
    );
    let joined = svg.texts.join(" ");
    assert!(
        joined.contains("Other Chinese AI chip designers")
            && joined.contains("Moore Threads, Enflame) (CN)"),
        "{:?}",
        svg.texts
    );
    // Share charts mark the run's events, as line charts do.
    for chart in [
        "market_share_firms_world_ai_accelerator",
        "market_share_states_panels",
        "capability_gap",
    ] {
        let c = caption(&dir.join(format!("b/charts/{chart}.svg")));
        assert!(
            c.contains("Dashed lines: policy events (2022-10 US chip rule)"),
            "{chart}: {c}"
        );
    }
    // The baseline has no events: nothing marked.
    assert!(!caption(&dir.join("a/charts/capability_gap.svg")).contains("Dashed lines"));
    // A comparison marks the events that only one of its runs has.
    let o = chokepoint(&["compare", "a", "b", "--out", "cmp"], dir);
    assert!(o.status.success(), "{}", stderr(&o));
    let diff = files_in(&dir.join("cmp/charts"))
        .into_iter()
        .find(|p| stem(p) == "difference_ai_compute" && p.extension().unwrap() == "svg")
        .expect("a difference chart of AI compute");
    assert!(
        caption(&diff)
            .contains("Dashed lines: events of one run only (variant: 2022-10 US chip rule)"),
        "{}",
        caption(&diff)
    );
}

#[test]
fn fan_charts_say_in_the_chart_which_design_point_they_show() {
    let (_tmp, files) = render("sweep", |r| {
        r.only = vec!["fan".into()];
        r.point = Some(1);
        r.format = OutputFormat::Svg;
    });
    let svg = parse_svg(&files[0]);
    assert!(
        svg.texts
            .iter()
            .any(|t| t.starts_with("Design point 1 (one of")),
        "{:?}",
        svg.texts
    );
}

/// `--format pdf` in a build without the `pdf` feature: a clear error naming the feature, and
/// nothing written.
#[cfg(not(feature = "pdf"))]
#[test]
fn pdf_output_without_the_feature_names_the_feature_and_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("charts");
    let mut r = req(&out);
    r.format = OutputFormat::Pdf;
    let err = plot_directory(&fixture("run"), &r).unwrap_err().to_string();
    assert!(
        err.contains("`pdf` cargo feature") && err.contains("--features pdf"),
        "{err}"
    );
    assert!(files_in(&out).is_empty());
}

/// PDF charts: one page the figure's printed size, vector drawing, the font embedded.
#[cfg(feature = "pdf")]
#[test]
fn pdf_charts_are_one_page_of_the_figure_size_with_the_font_embedded() {
    for (kind, only) in [
        ("run", "capability_gap"),
        ("sweep", "sobol"),
        ("effect", "dose_response"),
    ] {
        let (_tmp, files) = render(kind, |r| {
            r.only = vec![only.into()];
            r.format = OutputFormat::Pdf;
        });
        assert!(!files.is_empty());
        for f in &files {
            assert_eq!(f.extension().unwrap(), "pdf", "{f:?}");
            let bytes = std::fs::read(f).unwrap();
            assert!(bytes.starts_with(b"%PDF-"), "{f:?} has no PDF header");
            let text = String::from_utf8_lossy(&bytes);
            assert!(text.trim_end().ends_with("%%EOF"), "{f:?} is truncated");
            let pages = text.matches("/Type /Page").count() - text.matches("/Type /Pages").count();
            assert_eq!(pages, 1, "{f:?}");
            // 3.5 in = 252 pt wide (one-column preset).
            let mb = text.find("/MediaBox [").expect("a page size") + "/MediaBox [".len();
            let nums: Vec<f64> = text[mb..mb + text[mb..].find(']').unwrap()]
                .split_whitespace()
                .map(|n| n.parse().unwrap())
                .collect();
            assert!((nums[2] - nums[0] - 252.0).abs() < 0.5, "{f:?}: {nums:?}");
            assert!(
                text.contains("/FontFile2") && text.contains("DejaVuSans"),
                "{f:?}: no embedded font"
            );
        }
    }
}
