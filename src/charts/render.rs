//! Drawing a laid-out [`Figure`] on any plotters backend, and writing SVG/PNG files atomically.

use std::path::Path;

use plotters::coord::Shift;
use plotters::element::DashedPathElement;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::SizePreset;
use super::canvas::{Canvas, CanvasError};
use super::error::PlotError;
use super::figure::{
    Dash, Figure, LEGEND_LINE_EM, Layer, Layout, LegendSlot, Panel, PanelLayout, Rect, Swatch,
    cap_centre, layout,
};
use super::font::{SIZE_PER_EM, font_desc, left_bearing_em, pen_positions_em, text_width_pt};
use super::theme::{self, PNG_PX_PER_IN_AT_SCALE_1, Rgb, SVG_UNITS_PER_IN, Target, Theme};
use crate::output::files::{AtomicFile, OutputError};

/// A chart's drawing area, SVG or bitmap (one type, so the drawing code is compiled once).
type Root<'a> = DrawingArea<Canvas<'a>, Shift>;

type DResult = Result<(), DrawingAreaErrorKind<CanvasError>>;

/// Maps one panel's data coordinates to device pixels.
struct Map {
    r: Rect,
    x0: f64,
    x1: f64,
    y0: f64,
    y1: f64,
}

impl Map {
    fn pt(&self, (x, y): (f64, f64)) -> (f64, f64) {
        let fx = (x - self.x0) / (self.x1 - self.x0);
        let fy = (y - self.y0) / (self.y1 - self.y0);
        // Clamp a little outside the data area so nothing can escape the panel.
        let fx = fx.clamp(-0.02, 1.02);
        let fy = fy.clamp(-0.02, 1.02);
        (
            self.r.x + fx * self.r.w,
            self.r.y + self.r.h - fy * self.r.h,
        )
    }
    fn px(&self, th: &Theme, p: (f64, f64)) -> (i32, i32) {
        let (x, y) = self.pt(p);
        (th.px(x).round() as i32, th.px(y).round() as i32)
    }
}

fn col(c: Rgb) -> RGBColor {
    c.plotters()
}

/// Draw text with its baseline at `(x, y)` points (for `rotate`, the baseline is the vertical line
/// `x` and the text is centred on `y`, reading upwards).
#[allow(clippy::too_many_arguments)]
fn text(
    root: &Root,
    th: &Theme,
    s: &str,
    pt: f64,
    bold: bool,
    color: Rgb,
    (x, y): (f64, f64),
    h: HPos,
    rotate: bool,
) -> DResult {
    if s.is_empty() {
        return Ok(());
    }
    let em = th.px(pt);
    // plotters anchors VPos::Top differently per backend: the bitmap backend puts the baseline
    // size/2 below the anchor, the SVG backend 0.76 em below (dy="0.76em").
    let off = match th.target {
        Target::Bitmap => em * SIZE_PER_EM / 2.0,
        Target::Svg => 0.76 * em,
    };
    let c = col(color);
    if th.target == Target::Bitmap {
        // Glyph by glyph, restoring each glyph's left side bearing (see font::Bearings).
        let mut style = TextStyle::from(font_desc(em, bold))
            .color(&c)
            .pos(Pos::new(HPos::Left, VPos::Top));
        if rotate {
            style = style.transform(FontTransform::Rotate270);
        }
        let total = text_width_pt(s, 1.0, bold);
        let start = match h {
            HPos::Left => 0.0,
            HPos::Center => -total / 2.0,
            HPos::Right => -total,
        };
        let (x, y) = (th.px(x), th.px(y));
        let mut buf = [0u8; 4];
        for (ch, pen) in pen_positions_em(s, bold) {
            if ch.is_whitespace() {
                continue;
            }
            let along = ((start + pen) * em).round() + (left_bearing_em(ch, bold) * em).floor();
            let at = if rotate {
                (x - off, y - along)
            } else {
                (x + along, y - off)
            };
            root.draw_text(
                ch.encode_utf8(&mut buf),
                &style,
                (at.0.round() as i32, at.1.round() as i32),
            )?;
        }
        return Ok(());
    }
    let mut style = TextStyle::from(font_desc(em, bold))
        .color(&c)
        .pos(Pos::new(h, VPos::Top));
    let (ax, ay) = if rotate {
        style = style.transform(FontTransform::Rotate270);
        (th.px(x) - off, th.px(y))
    } else {
        (th.px(x), th.px(y) - off)
    };
    root.draw_text(s, &style, (ax.round() as i32, ay.round() as i32))
}

/// A polyline in a line style, dash lengths in proportion to the stroke width.
fn stroke(
    root: &Root,
    th: &Theme,
    pts: Vec<(i32, i32)>,
    width_pt: f64,
    dash: Dash,
    style: ShapeStyle,
) -> DResult {
    match dash.pattern() {
        None => root.draw(&PathElement::new(pts, style)),
        Some((on, off)) => {
            let on = th.ipx(width_pt * on).max(1);
            let off = th.ipx(width_pt * off).max(2);
            root.draw(&DashedPathElement::new(pts, on, off, style))
        }
    }
}

fn draw_layer(root: &Root, th: &Theme, map: &Map, layer: &Layer) -> DResult {
    match layer {
        Layer::Area { pts, color, alpha } => {
            let px: Vec<(i32, i32)> = pts
                .iter()
                .filter(|(x, y)| x.is_finite() && y.is_finite())
                .map(|&p| map.px(th, p))
                .collect();
            if px.len() >= 3 {
                root.draw(&Polygon::new(px, col(*color).mix(*alpha).filled()))?;
            }
        }
        Layer::Line {
            pts,
            color,
            width_pt,
            dash,
            markers,
        } => {
            let style = ShapeStyle::from(col(*color)).stroke_width(th.stroke(*width_pt));
            // Split at gaps (NaN) so a missing value never draws a false segment.
            let mut runs: Vec<Vec<(i32, i32)>> = vec![Vec::new()];
            for &(x, y) in pts {
                if x.is_finite() && y.is_finite() {
                    runs.last_mut().unwrap().push(map.px(th, (x, y)));
                } else if !runs.last().unwrap().is_empty() {
                    runs.push(Vec::new());
                }
            }
            for run in runs.iter().filter(|r| !r.is_empty()) {
                stroke(root, th, run.clone(), *width_pt, *dash, style)?;
                if *markers {
                    let r = th.ipx(th.marker_pt).max(1);
                    for p in run {
                        root.draw(&Circle::new(*p, r, col(*color).filled()))?;
                        root.draw(&Circle::new(
                            *p,
                            r,
                            ShapeStyle::from(col(theme::WHITE)).stroke_width(th.stroke(0.35)),
                        ))?;
                    }
                }
            }
        }
        Layer::Bar {
            x0,
            x1,
            y0,
            y1,
            color,
            alpha,
        } => {
            let a = map.px(th, (*x0, *y0));
            let b = map.px(th, (*x1, *y1));
            let (l, r) = (a.0.min(b.0), a.0.max(b.0));
            let (t, bt) = (a.1.min(b.1), a.1.max(b.1));
            root.draw(&Rectangle::new(
                [(l, t), (r.max(l + 1), bt.max(t + 1))],
                col(*color).mix(*alpha).filled(),
            ))?;
        }
        Layer::Whisker { a, b, color } => {
            if !(a.0.is_finite() && a.1.is_finite() && b.0.is_finite() && b.1.is_finite()) {
                return Ok(());
            }
            let style = ShapeStyle::from(col(*color)).stroke_width(th.stroke(th.line_pt * 0.7));
            // A thin white halo keeps the whisker visible over a bar of any colour.
            let halo = ShapeStyle::from(col(theme::WHITE))
                .stroke_width(th.stroke(th.line_pt * 0.7) + 2 * th.stroke(th.line_pt * 0.2));
            let pa = map.px(th, *a);
            let pb = map.px(th, *b);
            let cap = th.ipx(th.tick_len_pt * 0.9);
            let vertical = (pa.0 - pb.0).abs() < (pa.1 - pb.1).abs();
            let mut segs = vec![vec![pa, pb]];
            for p in [pa, pb] {
                segs.push(if vertical {
                    vec![(p.0 - cap, p.1), (p.0 + cap, p.1)]
                } else {
                    vec![(p.0, p.1 - cap), (p.0, p.1 + cap)]
                });
            }
            for s in &segs {
                root.draw(&PathElement::new(s.clone(), halo))?;
            }
            for s in segs {
                root.draw(&PathElement::new(s, style))?;
            }
        }
    }
    Ok(())
}

/// Draw `fig` laid out as `lay` on `root` (already sized to the layout).
pub(crate) fn draw(root: &Root, th: &Theme, fig: &Figure, lay: &Layout) -> DResult {
    root.fill(&WHITE)?;
    if let Some((x, y, t)) = &lay.title {
        text(
            root,
            th,
            t,
            th.title_pt,
            true,
            theme::TEXT,
            (*x, *y),
            HPos::Center,
            false,
        )?;
    }
    for (panel, pl) in fig.panels.iter().zip(&lay.panels) {
        draw_panel(root, th, panel, pl)?;
    }
    for (x, y, t) in &lay.y_title {
        text(
            root,
            th,
            t,
            th.label_pt,
            false,
            theme::TEXT,
            (*x, *y),
            HPos::Center,
            true,
        )?;
    }
    if let Some((x, y, t)) = &lay.x_title {
        text(
            root,
            th,
            t,
            th.label_pt,
            false,
            theme::TEXT,
            (*x, *y),
            HPos::Center,
            false,
        )?;
    }
    for slot in &lay.legend {
        draw_legend_entry(root, th, slot, lay.swatch_w)?;
    }
    root.present()?;
    Ok(())
}

/// One panel: grid, layers, axes with their ticks and labels, and the panel title.
fn draw_panel(root: &Root, th: &Theme, panel: &Panel, pl: &PanelLayout) -> DResult {
    let axis_style = ShapeStyle::from(col(theme::AXIS)).stroke_width(th.stroke(th.axis_pt));
    let grid_style = ShapeStyle::from(col(theme::GRID)).stroke_width(th.stroke(th.grid_pt));
    let r = pl.data;
    let map = Map {
        r,
        x0: panel.x.min,
        x1: panel.x.max,
        y0: panel.y.min,
        y1: panel.y.max,
    };
    let left = th.px(r.x).round() as i32;
    let right = th.px(r.x + r.w).round() as i32;
    let top = th.px(r.y).round() as i32;
    let bottom = th.px(r.y + r.h).round() as i32;
    if panel.grid_y {
        for t in &pl.y_ticks {
            let y = map.px(th, (panel.x.min, t.at)).1;
            root.draw(&PathElement::new(vec![(left, y), (right, y)], grid_style))?;
        }
    }
    if panel.grid_x {
        for t in &pl.x_ticks {
            let x = map.px(th, (t.at, panel.y.min)).0;
            root.draw(&PathElement::new(vec![(x, top), (x, bottom)], grid_style))?;
        }
    }
    for layer in &panel.layers {
        draw_layer(root, th, &map, layer)?;
    }
    // Axes: left and bottom only.
    root.draw(&PathElement::new(
        vec![(left, top), (left, bottom), (right, bottom)],
        axis_style,
    ))?;
    let tick = th.ipx(th.tick_len_pt);
    let label_gap = th.tick_len_pt + th.tick_pt * 0.35;
    for t in &pl.y_ticks {
        let (_, ypt) = map.pt((panel.x.min, t.at));
        let y = th.px(ypt).round() as i32;
        root.draw(&PathElement::new(
            vec![(left - tick, y), (left, y)],
            axis_style,
        ))?;
        text(
            root,
            th,
            &t.lines[0],
            th.tick_pt,
            false,
            theme::TEXT,
            (r.x - label_gap, ypt + cap_centre(th.tick_pt)),
            HPos::Right,
            false,
        )?;
    }
    for t in &pl.x_ticks {
        let (xpt, _) = map.pt((t.at, panel.y.min));
        let x = th.px(xpt).round() as i32;
        root.draw(&PathElement::new(
            vec![(x, bottom), (x, bottom + tick)],
            axis_style,
        ))?;
        for (i, line) in t.lines.iter().enumerate() {
            let base = r.y + r.h + label_gap + th.tick_pt * (0.78 + 1.2 * i as f64);
            text(
                root,
                th,
                line,
                th.tick_pt,
                false,
                theme::TEXT,
                (xpt, base),
                HPos::Center,
                false,
            )?;
        }
    }
    if let Some((x, y)) = pl.title_at {
        for (i, line) in pl.title_lines.iter().enumerate() {
            text(
                root,
                th,
                line,
                th.panel_title_pt,
                true,
                theme::TEXT,
                (x, y + th.panel_title_pt * LEGEND_LINE_EM * i as f64),
                HPos::Center,
                false,
            )?;
        }
    }
    Ok(())
}

/// One legend entry: its swatch, then its label.
fn draw_legend_entry(root: &Root, th: &Theme, slot: &LegendSlot, swatch_w: f64) -> DResult {
    let e = &slot.entry;
    let sw = swatch_w;
    let h = th.legend_pt * 0.8;
    let (x0, x1) = (
        th.px(slot.x).round() as i32,
        th.px(slot.x + sw).round() as i32,
    );
    let (y0, y1) = (
        th.px(slot.y - h / 2.0).round() as i32,
        th.px(slot.y + h / 2.0).round() as i32,
    );
    let ym = th.px(slot.y).round() as i32;
    let c = col(e.color);
    match e.swatch {
        Swatch::Patch => {
            let xs = th.px(slot.x + sw / 2.0 - h * 0.75).round() as i32;
            let xe = th.px(slot.x + sw / 2.0 + h * 0.75).round() as i32;
            root.draw(&Rectangle::new([(xs, y0), (xe, y1)], c.filled()))?;
        }
        Swatch::Band { alpha } => {
            root.draw(&Rectangle::new([(x0, y0), (x1, y1)], c.mix(alpha).filled()))?;
        }
        Swatch::Line { dash, marker } => {
            let style = ShapeStyle::from(c).stroke_width(th.stroke(th.line_pt));
            stroke(root, th, vec![(x0, ym), (x1, ym)], th.line_pt, dash, style)?;
            if marker {
                root.draw(&Circle::new(
                    ((x0 + x1) / 2, ym),
                    th.ipx(th.marker_pt).max(1),
                    c.filled(),
                ))?;
            }
        }
        Swatch::Whisker => {
            let style = ShapeStyle::from(c).stroke_width(th.stroke(th.line_pt * 0.7));
            let xm = (x0 + x1) / 2;
            root.draw(&PathElement::new(vec![(xm, y0), (xm, y1)], style))?;
            let cap = th.ipx(th.tick_len_pt * 0.9);
            root.draw(&PathElement::new(
                vec![(xm - cap, y0), (xm + cap, y0)],
                style,
            ))?;
            root.draw(&PathElement::new(
                vec![(xm - cap, y1), (xm + cap, y1)],
                style,
            ))?;
        }
    }
    for (i, line) in slot.lines.iter().enumerate() {
        text(
            root,
            th,
            line,
            th.legend_pt,
            false,
            theme::TEXT,
            (
                slot.x + sw + th.legend_pt * 0.45,
                slot.y + cap_centre(th.legend_pt) + th.legend_pt * LEGEND_LINE_EM * i as f64,
            ),
            HPos::Left,
            false,
        )?;
    }
    Ok(())
}

/// Pixel size of a layout at a density.
fn size_px(lay: &Layout, px_per_in: f64) -> (u32, u32) {
    (
        (lay.width_pt / 72.0 * px_per_in).round() as u32,
        (lay.height_pt / 72.0 * px_per_in).round() as u32,
    )
}

fn commit(file: AtomicFile, final_path: &Path) -> Result<(), PlotError> {
    file.commit(0).map(|_| ()).map_err(|e| match e {
        OutputError::Io { source, .. } => PlotError::io(final_path, source),
        other => PlotError::io(final_path, std::io::Error::other(other.to_string())),
    })
}

/// Write `fig` as SVG to `path` (via a temporary file and a rename).
pub(crate) fn write_svg(fig: &Figure, preset: SizePreset, path: &Path) -> Result<(), PlotError> {
    let svg = svg_text(fig, preset, path)?;
    let file = AtomicFile::for_encoder(path);
    std::fs::write(file.temp_path(), svg).map_err(|e| PlotError::io(file.temp_path(), e))?;
    commit(file, path)
}

/// The message for PDF output in a build without the `pdf` feature.
#[cfg(not(feature = "pdf"))]
const PDF_NEEDS_FEATURE: &str = "PDF output needs chokepoint built with the `pdf` cargo feature \
    (cargo build --release --features pdf, or cargo install --path . --features pdf); this build \
    writes SVG (vector) and PNG";

/// Whether this build can write PDF: an error naming the `pdf` feature when not.
pub(crate) fn pdf_available() -> Result<(), PlotError> {
    #[cfg(feature = "pdf")]
    return Ok(());
    #[cfg(not(feature = "pdf"))]
    Err(PlotError::InvalidRequest(PDF_NEEDS_FEATURE.into()))
}

/// Write `fig` as PDF: the SVG drawing converted to PDF vectors by `svg2pdf`, with the vendored
/// font embedded (subset), one page the figure's size in inches.
#[cfg(feature = "pdf")]
pub(crate) fn write_pdf(fig: &Figure, preset: SizePreset, path: &Path) -> Result<(), PlotError> {
    use svg2pdf::usvg;
    let svg = svg_text(fig, preset, path)?;
    let failed = |message: String| PlotError::Draw {
        path: path.to_path_buf(),
        message,
    };
    let mut options = usvg::Options::default();
    for face in super::font::FONT_FILES {
        options.fontdb_mut().load_font_data(face.to_vec());
    }
    let tree = usvg::Tree::from_str(&svg, &options)
        .map_err(|e| failed(format!("the chart's SVG did not parse for PDF: {e}")))?;
    // usvg reads the SVG's inches at 96 px per inch; the page keeps the figure's printed size.
    let page = svg2pdf::PageOptions { dpi: 96.0 };
    let pdf = svg2pdf::to_pdf(&tree, svg2pdf::ConversionOptions::default(), page)
        .map_err(|e| failed(format!("PDF conversion failed: {e}")))?;
    let file = AtomicFile::for_encoder(path);
    std::fs::write(file.temp_path(), pdf).map_err(|e| PlotError::io(file.temp_path(), e))?;
    commit(file, path)
}

/// Without the `pdf` feature: the same error as [`pdf_available`].
#[cfg(not(feature = "pdf"))]
pub(crate) fn write_pdf(_: &Figure, _: SizePreset, _: &Path) -> Result<(), PlotError> {
    pdf_available()
}

/// The SVG document of `fig` (`path` only names the file in errors).
fn svg_text(fig: &Figure, preset: SizePreset, path: &Path) -> Result<String, PlotError> {
    let th = Theme::new(preset, Target::Svg, SVG_UNITS_PER_IN);
    let lay = layout(fig, &th);
    let (w, h) = size_px(&lay, SVG_UNITS_PER_IN);
    let mut buf = String::new();
    {
        let root = Canvas::Svg(SVGBackend::with_string(&mut buf, (w, h))).into_drawing_area();
        draw(&root, &th, fig, &lay).map_err(|e| PlotError::Draw {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    }
    Ok(finish_svg(
        &buf,
        lay.width_pt / 72.0,
        lay.height_pt / 72.0,
        &fig.caption,
    ))
}

/// Write `fig` as PNG at `scale` × 100 px per inch (via a temporary file and a rename).
pub(crate) fn write_png(
    fig: &Figure,
    preset: SizePreset,
    scale: f64,
    path: &Path,
) -> Result<(), PlotError> {
    let ppi = PNG_PX_PER_IN_AT_SCALE_1 * scale;
    let th = Theme::new(preset, Target::Bitmap, ppi);
    // Layout is in points and independent of the pixel density.
    let lay = layout(fig, &Theme::layout(preset));
    let (w, h) = size_px(&lay, ppi);
    let mut pixels = vec![0u8; w as usize * h as usize * 3];
    {
        let root =
            Canvas::Bitmap(BitMapBackend::with_buffer(&mut pixels, (w, h))).into_drawing_area();
        draw(&root, &th, fig, &lay).map_err(|e| PlotError::Draw {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
    }
    let file = AtomicFile::for_encoder(path);
    encode_png(&pixels, (w, h), file.temp_path())?;
    commit(file, path)
}

/// Encodes 8-bit RGB `pixels` as a PNG file at `path`, with the settings plotters' `image`
/// encoder used (fast deflate, adaptive filter per row), so the files are byte for byte those
/// earlier versions wrote, without building the `image` crate.
fn encode_png(pixels: &[u8], (w, h): (u32, u32), path: &Path) -> Result<(), PlotError> {
    let io = |e: std::io::Error| PlotError::io(path, e);
    let file = std::fs::File::create(path).map_err(io)?;
    let mut encoder = png::Encoder::new(std::io::BufWriter::new(file), w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    encoder.set_filter(png::FilterType::Sub);
    encoder.set_adaptive_filter(png::AdaptiveFilterType::Adaptive);
    let encoded = (|| {
        let mut writer = encoder.write_header()?;
        writer.write_image_data(pixels)?;
        // Writes IEND and flushes the buffer, so a failed write is an error, not a drop.
        writer.finish()
    })();
    encoded.map_err(|e| match e {
        png::EncodingError::IoError(e) => io(e),
        other => PlotError::Draw {
            path: path.to_path_buf(),
            message: format!("PNG encoding failed: {other}"),
        },
    })
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Post-process plotters' SVG: physical size in inches (the viewBox keeps the drawing units),
/// font sizes corrected to true ems (plotters writes size/1.24, our layout uses size/1.164), and a
/// `<title>`/`<desc>` for accessibility and provenance.
fn finish_svg(raw: &str, w_in: f64, h_in: f64, caption: &str) -> String {
    let mut out = String::with_capacity(raw.len() + 256);
    // Root element: replace width/height.
    let (head, rest) = match raw.find('>') {
        Some(i) => raw.split_at(i + 1),
        None => (raw, ""),
    };
    let mut head = head.to_string();
    for (attr, val) in [("width", w_in), ("height", h_in)] {
        let key = format!(" {attr}=\"");
        if let Some(s) = head.find(&key) {
            let vs = s + key.len();
            if let Some(len) = head[vs..].find('"') {
                head.replace_range(vs..vs + len, &format!("{val:.4}in"));
            }
        }
    }
    out.push_str(&head);
    out.push('\n');
    out.push_str(&format!(
        "<title>{}</title>\n<desc>{}</desc>",
        xml_escape(caption),
        xml_escape(caption)
    ));
    // font-size="X" → X * 1.24 / 1.164
    let key = "font-size=\"";
    let mut rest = rest;
    while let Some(i) = rest.find(key) {
        let vs = i + key.len();
        out.push_str(&rest[..vs]);
        let len = rest[vs..].find('"').unwrap_or(0);
        let v: f64 = rest[vs..vs + len].parse().unwrap_or(0.0);
        out.push_str(&format!("{:.2}", v * 1.24 / SIZE_PER_EM));
        rest = &rest[vs + len..];
    }
    out.push_str(rest);
    out
}
