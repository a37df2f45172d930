//! One drawing backend type for every chart format: SVG text or an RGB pixel buffer.
//!
//! Two reasons for one type rather than plotters' backends used directly:
//! * every drawing function in `render.rs` is compiled once, not once per backend (the chart
//!   code's share of the crate's compile time);
//! * text on the pixel buffer is drawn from a cache of rasterised strings. plotters' ab_glyph path
//!   looks the font up, lays the string out and rasterises its outline on every call, and charts
//!   draw text glyph by glyph (`render::text`), so the same few dozen glyphs are rasterised
//!   thousands of times per run. The cache keeps, per string, size, face and colour, exactly the
//!   pixels plotters' own `draw_text` would hand the buffer, and replays them through the same
//!   `draw_pixel` calls in the same order: PNG bytes do not change.
//!
//! Everything else delegates to the wrapped plotters backend unchanged.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use plotters::prelude::{BitMapBackend, DrawingBackend, SVGBackend};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

/// A chart's drawing surface.
pub(crate) enum Canvas<'a> {
    /// SVG text written into a string.
    Svg(SVGBackend<'a>),
    /// 8-bit RGB pixels written into a buffer (then encoded as PNG).
    Bitmap(BitMapBackend<'a>),
}

/// A drawing error of either backend, as its message.
#[derive(Debug)]
pub(crate) struct CanvasError(String);

impl std::fmt::Display for CanvasError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CanvasError {}

type Drawn = Result<(), DrawingErrorKind<CanvasError>>;

/// An error of a wrapped backend as a [`CanvasError`].
fn lift<T, E: std::error::Error + Send + Sync>(
    r: Result<T, DrawingErrorKind<E>>,
) -> Result<T, DrawingErrorKind<CanvasError>> {
    r.map_err(|e| match e {
        DrawingErrorKind::DrawingError(e) => {
            DrawingErrorKind::DrawingError(CanvasError(e.to_string()))
        }
        DrawingErrorKind::FontError(e) => DrawingErrorKind::FontError(e),
    })
}

/// Calls `$body` with the wrapped backend bound to `$b`, whichever it is.
macro_rules! each {
    ($self:expr, $b:ident => $body:expr) => {
        match $self {
            Canvas::Svg($b) => lift($body),
            Canvas::Bitmap($b) => lift($body),
        }
    };
}

impl DrawingBackend for Canvas<'_> {
    type ErrorType = CanvasError;

    fn get_size(&self) -> (u32, u32) {
        match self {
            Canvas::Svg(b) => b.get_size(),
            Canvas::Bitmap(b) => b.get_size(),
        }
    }
    fn ensure_prepared(&mut self) -> Drawn {
        each!(self, b => b.ensure_prepared())
    }
    fn present(&mut self) -> Drawn {
        each!(self, b => b.present())
    }
    fn draw_pixel(&mut self, point: BackendCoord, color: BackendColor) -> Drawn {
        each!(self, b => b.draw_pixel(point, color))
    }
    fn draw_line<S: BackendStyle>(&mut self, from: BackendCoord, to: BackendCoord, s: &S) -> Drawn {
        each!(self, b => b.draw_line(from, to, s))
    }
    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        s: &S,
        fill: bool,
    ) -> Drawn {
        each!(self, b => b.draw_rect(upper_left, bottom_right, s, fill))
    }
    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        s: &S,
    ) -> Drawn {
        each!(self, b => b.draw_path(path, s))
    }
    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        s: &S,
        fill: bool,
    ) -> Drawn {
        each!(self, b => b.draw_circle(center, radius, s, fill))
    }
    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vert: I,
        s: &S,
    ) -> Drawn {
        each!(self, b => b.fill_polygon(vert, s))
    }
    fn draw_text<T: BackendTextStyle>(&mut self, text: &str, s: &T, pos: BackendCoord) -> Drawn {
        match self {
            Canvas::Svg(b) => lift(b.draw_text(text, s, pos)),
            Canvas::Bitmap(b) => lift(cached_text(b, text, s, pos)),
        }
    }
    fn estimate_text_size<T: BackendTextStyle>(
        &self,
        text: &str,
        s: &T,
    ) -> Result<(u32, u32), DrawingErrorKind<CanvasError>> {
        each!(self, b => b.estimate_text_size(text, s))
    }
    fn blit_bitmap(&mut self, pos: BackendCoord, size: (u32, u32), src: &[u8]) -> Drawn {
        each!(self, b => b.blit_bitmap(pos, size, src))
    }
}

/// What identifies a rasterised string: the string, its size, face and colour.
#[derive(Clone, PartialEq, Eq, Hash)]
struct TextKey {
    text: String,
    size_bits: u64,
    family: String,
    style: String,
    rgb: (u8, u8, u8),
    alpha_bits: u64,
}

/// A rasterised string as plotters' text path produces it: its layout box and the pixels its
/// font renderer emits, in emission order, relative to the layout's origin.
struct RasterText {
    layout: ((i32, i32), (i32, i32)),
    pixels: Vec<(i32, i32, BackendColor)>,
}

/// Rasterised strings of this process. Their pixels depend only on the key, so which thread
/// filled an entry never shows in the output.
static TEXT_CACHE: OnceLock<Mutex<HashMap<TextKey, Arc<RasterText>>>> = OnceLock::new();

/// plotters' default `DrawingBackend::draw_text` (which the bitmap backend uses), with the
/// layout and rasterisation taken from [`TEXT_CACHE`]: the same `draw_pixel` calls, in the same
/// order, with the same colours.
fn cached_text<B: DrawingBackend, T: BackendTextStyle>(
    backend: &mut B,
    text: &str,
    style: &T,
    pos: BackendCoord,
) -> Result<(), DrawingErrorKind<B::ErrorType>> {
    let color = style.color();
    if color.alpha == 0.0 {
        return Ok(());
    }
    let key = TextKey {
        text: text.to_string(),
        size_bits: style.size().to_bits(),
        family: style.family().as_str().to_string(),
        style: style.style().as_str().to_string(),
        rgb: color.rgb,
        alpha_bits: color.alpha.to_bits(),
    };
    let cache = TEXT_CACHE.get_or_init(Default::default);
    // A poisoned lock only means another chart panicked mid-insert; the map itself is whole.
    let cached = cache
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(&key)
        .cloned();
    let raster = match cached {
        Some(r) => r,
        None => {
            let layout = style
                .layout_box(text)
                .map_err(|e| DrawingErrorKind::FontError(Box::new(e)))?;
            let mut pixels = Vec::new();
            let drawn = style.draw(text, (0, 0), |x, y, c| {
                pixels.push((x, y, c));
                Ok::<(), ()>(())
            });
            if let Err(e) = drawn {
                return Err(DrawingErrorKind::FontError(Box::new(e)));
            }
            let r = Arc::new(RasterText { layout, pixels });
            cache
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .insert(key, Arc::clone(&r));
            r
        }
    };
    let ((min_x, min_y), (max_x, max_y)) = raster.layout;
    let (width, height) = (max_x - min_x, max_y - min_y);
    let dx = match style.anchor().h_pos {
        HPos::Left => 0,
        HPos::Right => -width,
        HPos::Center => -width / 2,
    };
    let dy = match style.anchor().v_pos {
        VPos::Top => 0,
        VPos::Center => -height / 2,
        VPos::Bottom => -height,
    };
    let trans = style.transform();
    let (w, h) = backend.get_size();
    for &(x, y, c) in &raster.pixels {
        let (x, y) = trans.transform(x + dx - min_x, y + dy - min_y);
        let (x, y) = (pos.0 + x, pos.1 + y);
        if x >= 0 && x < w as i32 && y >= 0 && y < h as i32 {
            backend.draw_pixel((x, y), c)?;
        }
    }
    Ok(())
}
