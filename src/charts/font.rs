//! The vendored font (DejaVu Sans, see `assets/fonts/LICENSE-DejaVu.txt`) and text metrics.
//!
//! plotters is built without system-font support, so every family/style used in a chart must be
//! registered here before drawing. Text widths are measured with the same font data, so layout in
//! points is identical for SVG and PNG.

use std::sync::Once;

use plotters::style::{FontDesc, FontFamily, FontStyle, register_font};

static REGULAR: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static BOLD: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans-Bold.ttf");

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

/// Width in points of `text` set at `pt` points.
pub(crate) fn text_width_pt(text: &str, pt: f64, bold: bool) -> f64 {
    // Measure at a large size to avoid rounding, then scale linearly.
    const REF_EM: f64 = 1000.0;
    let w = font_desc(REF_EM, bold)
        .box_size(text)
        .map(|(w, _)| w)
        .unwrap_or(0);
    w as f64 / REF_EM * pt
}

/// Left side bearings from the font's `hmtx` table, looked up through its `cmap`.
///
/// plotters' ab_glyph renderer places each glyph's bounding box, not its origin, at the pen
/// position, so in PNGs every glyph loses its left side bearing (most visibly `J`, which
/// overhangs to the left). The bitmap text path in `render.rs` draws glyph by glyph and adds the
/// bearing back; this table supplies it.
struct Bearings {
    units_per_em: f64,
    /// cmap format 4 segments: (start, end, id_delta, id_range_offset, position of that field).
    segments: Vec<(u32, u32, i32, u32, usize)>,
    hmtx: usize,
    n_hmetrics: u32,
    data: &'static [u8],
}

fn be16(d: &[u8], at: usize) -> Option<u32> {
    Some(u16::from_be_bytes([*d.get(at)?, *d.get(at + 1)?]) as u32)
}
fn be32(d: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes([
        *d.get(at)?,
        *d.get(at + 1)?,
        *d.get(at + 2)?,
        *d.get(at + 3)?,
    ]))
}

impl Bearings {
    fn parse(data: &'static [u8]) -> Option<Bearings> {
        let n = be16(data, 4)? as usize;
        let table = |tag: &[u8; 4]| -> Option<usize> {
            (0..n).find_map(|i| {
                let rec = 12 + 16 * i;
                (data.get(rec..rec + 4)? == tag)
                    .then(|| be32(data, rec + 8).map(|o| o as usize))
                    .flatten()
            })
        };
        let head = table(b"head")?;
        let hhea = table(b"hhea")?;
        let hmtx = table(b"hmtx")?;
        let cmap = table(b"cmap")?;
        let units_per_em = be16(data, head + 18)? as f64;
        let n_hmetrics = be16(data, hhea + 34)?;
        let nsub = be16(data, cmap + 2)? as usize;
        let sub = (0..nsub).find_map(|i| {
            let rec = cmap + 4 + 8 * i;
            let (p, e) = (be16(data, rec)?, be16(data, rec + 2)?);
            let off = cmap + be32(data, rec + 4)? as usize;
            (p == 3 && e == 1 && be16(data, off)? == 4).then_some(off)
        })?;
        let seg_count = be16(data, sub + 6)? as usize / 2;
        let ends = sub + 14;
        let starts = ends + 2 * seg_count + 2;
        let deltas = starts + 2 * seg_count;
        let ranges = deltas + 2 * seg_count;
        let mut segments = Vec::with_capacity(seg_count);
        for i in 0..seg_count {
            let end = be16(data, ends + 2 * i)?;
            let start = be16(data, starts + 2 * i)?;
            let delta = be16(data, deltas + 2 * i)? as u16 as i16 as i32;
            let ro_at = ranges + 2 * i;
            segments.push((start, end, delta, be16(data, ro_at)?, ro_at));
        }
        Some(Bearings {
            units_per_em,
            segments,
            hmtx,
            n_hmetrics,
            data,
        })
    }

    fn glyph(&self, c: char) -> Option<u32> {
        let c = c as u32;
        if c > 0xFFFF {
            return None;
        }
        let &(start, _, delta, ro, ro_at) = self.segments.iter().find(|s| s.0 <= c && c <= s.1)?;
        let g = if ro == 0 {
            (c as i32 + delta) as u32 & 0xFFFF
        } else {
            let at = ro_at + ro as usize + 2 * (c - start) as usize;
            let g = be16(self.data, at)?;
            if g == 0 {
                0
            } else {
                (g as i32 + delta) as u32 & 0xFFFF
            }
        };
        Some(g)
    }

    /// Left side bearing of `c` in em.
    fn lsb_em(&self, c: char) -> f64 {
        let Some(g) = self.glyph(c) else { return 0.0 };
        let at = if g < self.n_hmetrics {
            self.hmtx + 4 * g as usize + 2
        } else {
            self.hmtx + 4 * self.n_hmetrics as usize + 2 * (g - self.n_hmetrics) as usize
        };
        be16(self.data, at)
            .map(|v| v as u16 as i16 as f64 / self.units_per_em)
            .unwrap_or(0.0)
    }
}

static BEARINGS: std::sync::OnceLock<[Option<Bearings>; 2]> = std::sync::OnceLock::new();

/// Left side bearing of `c` in em (0 when unknown).
pub(crate) fn left_bearing_em(c: char, bold: bool) -> f64 {
    let b = BEARINGS.get_or_init(|| [Bearings::parse(REGULAR), Bearings::parse(BOLD)]);
    b[bold as usize]
        .as_ref()
        .map(|b| b.lsb_em(c))
        .unwrap_or(0.0)
}

/// Pen position (in em) of each character of `text`, as plotters' ab_glyph layout advances it
/// (advances plus kerning).
pub(crate) fn pen_positions_em(text: &str, bold: bool) -> Vec<(char, f64)> {
    const REF_EM: f64 = 1000.0;
    let f = font_desc(REF_EM, bold);
    let w = |s: &str| f.box_size(s).map(|(w, _)| w as f64).unwrap_or(0.0) / REF_EM;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearings_come_from_the_font() {
        // DejaVu Sans: `J` overhangs to the left, `H` has a positive bearing.
        assert!(left_bearing_em('J', false) < 0.0);
        assert!(left_bearing_em('H', false) > 0.05);
        assert!(left_bearing_em('H', true) > 0.05);
    }
}
