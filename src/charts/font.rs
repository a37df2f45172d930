//! The vendored font (DejaVu Sans, see `assets/fonts/LICENSE-DejaVu.txt`) and text metrics.
//!
//! plotters is built without system-font support, so every family/style used in a chart must be
//! registered here before drawing. Text widths are measured with the same font data, so layout in
//! points is identical for SVG and PNG.
//!
//! Public for the text-metric tests in `tests/it/units/charts_font.rs` and for the layout tests
//! that measure text; not an API for users of the library.

use std::collections::HashMap;
use std::sync::Once;

use plotters::style::{FontDesc, FontFamily, FontStyle, register_font};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

/// The font files, for embedding into PDF.
#[cfg(feature = "pdf")]
pub(crate) static FONT_FILES: [&[u8]; 2] = [REGULAR, BOLD];

/// Family name under which the font is registered. It is also written verbatim into the SVG
/// `font-family` attribute, so it doubles as a CSS fallback list for viewers without DejaVu Sans.
pub(crate) const FAMILY: &str = "DejaVu Sans, Bitstream Vera Sans, Verdana, sans-serif";

/// plotters' ab_glyph backend scales a font so that `size` is ascent − descent in pixels; for
/// DejaVu Sans that is 1.164 em. Multiply an em size in pixels by this to get a plotters size.
pub(crate) const SIZE_PER_EM: f64 = (1901.0 + 483.0) / 2048.0;

/// Cap height of DejaVu Sans in em (used to centre text vertically).
pub(crate) const CAP_HEIGHT_EM: f64 = 0.729;

static INIT: Once = Once::new();

/// Register the vendored regular and bold faces (idempotent).
pub(crate) fn ensure_registered() {
    INIT.call_once(|| {
        // The bytes are compiled in and known to be valid TrueType files.
        let _ = register_font(FAMILY, FontStyle::Normal, REGULAR);
        let _ = register_font(FAMILY, FontStyle::Bold, BOLD);
    });
}

/// A plotters font description whose em is `em_px` pixels.
pub(crate) fn font_desc(em_px: f64, bold: bool) -> FontDesc<'static> {
    ensure_registered();
    let style = if bold {
        FontStyle::Bold
    } else {
        FontStyle::Normal
    };
    FontDesc::new(FontFamily::Name(FAMILY), em_px * SIZE_PER_EM, style)
}

/// Em size in pixels at which text is measured: large, to avoid rounding; widths scale linearly.
const REF_EM: f64 = 1000.0;

/// Widths measured so far, in pixels at [`REF_EM`], by face (bold) and text. Layout and bitmap
/// text measure the same tick labels, legend entries and glyphs over and over, and plotters lays
/// the string out afresh on each call; a width depends only on its key, so the cache never
/// changes a result.
static WIDTHS: std::sync::OnceLock<std::sync::Mutex<HashMap<(bool, String), u32>>> =
    std::sync::OnceLock::new();

/// Width of `text` in pixels at [`REF_EM`], as plotters' layout measures it.
fn width_at_ref_em(text: &str, bold: bool) -> u32 {
    let cache = WIDTHS.get_or_init(Default::default);
    // A poisoned lock only means another thread panicked; the map itself is whole.
    let lock = || cache.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&w) = lock().get(&(bold, text.to_string())) {
        return w;
    }
    let w = font_desc(REF_EM, bold)
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or(0);
    lock().insert((bold, text.to_string()), w);
    w
}

/// Width in points of `text` set at `pt` points.
pub fn text_width_pt(text: &str, pt: f64, bold: bool) -> f64 {
    width_at_ref_em(text, bold) as f64 / REF_EM * pt
}

/// The vendored faces parsed once, regular and bold, for glyph metrics plotters does not expose.
static FACES: std::sync::OnceLock<[Option<ttf_parser::Face<'static>>; 2]> =
    std::sync::OnceLock::new();

/// Left side bearing of `c` in em (0 when the font has no such glyph).
///
/// plotters' ab_glyph renderer places each glyph's bounding box, not its origin, at the pen
/// position, so in PNGs every glyph loses its left side bearing (most visibly `J`, which
/// overhangs to the left). The bitmap text path in `render.rs` draws glyph by glyph and adds the
/// bearing back; the font's `hmtx` table, read through ttf-parser, supplies it.
pub fn left_bearing_em(c: char, bold: bool) -> f64 {
    let faces =
        FACES.get_or_init(|| [REGULAR, BOLD].map(|data| ttf_parser::Face::parse(data, 0).ok()));
    let Some(face) = &faces[bold as usize] else {
        return 0.0;
    };
    face.glyph_index(c)
        .and_then(|g| face.glyph_hor_side_bearing(g))
        .map_or(0.0, |lsb| f64::from(lsb) / f64::from(face.units_per_em()))
}

/// Pen position (in em) of each character of `text`, as plotters' ab_glyph layout advances it
/// (advances plus kerning).
pub(crate) fn pen_positions_em(text: &str, bold: bool) -> Vec<(char, f64)> {
    let w = |s: &str| width_at_ref_em(s, bold) as f64 / REF_EM;
    let mut out = Vec::new();
    let mut prefix = String::new();
    for c in text.chars() {
        prefix.push(c);
        let mut one = [0u8; 4];
        let adv = w(c.encode_utf8(&mut one));
        out.push((c, w(&prefix) - adv));
    }
    out
}
