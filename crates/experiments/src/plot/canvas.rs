//! The PNG backend of every figure: plotters' bitmap backend with its own text drawing.
//!
//! plotters 0.3.7 draws the pixels of each glyph from the pen position and leaves out
//! the glyph's left side bearing, the gap between the pen and the glyph's ink. Letters
//! with a wide bearing, such as `n`, then sit too far left of letters with a narrow one,
//! such as `v`, and "conv" reads "con v". [`Canvas`] passes every drawing call to the bitmap
//! backend except text, which it rasterizes itself with `ab_glyph`, keeping plotters'
//! layout box, anchoring, rotation and vertical placement, and moving each glyph to
//! its bearing.

use std::path::Path;
use std::sync::OnceLock;

use ab_glyph::{point, Font, FontRef, ScaleFont};
use plotters::backend::BitMapBackend;
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend, IntoDrawingArea};
use plotters_backend::text_anchor::{HPos, VPos};
use plotters_backend::{
    BackendColor, BackendCoord, BackendStyle, BackendTextStyle, DrawingErrorKind,
};

use super::{PlotError, FONT_BYTES};

/// A bitmap backend that draws text with each glyph at its left side bearing.
pub(super) struct Canvas<'a> {
    bitmap: BitMapBackend<'a>,
    font: &'static FontRef<'static>,
}

/// The error type of the bitmap backend, which [`Canvas`] passes on.
type BitmapError<'a> = <BitMapBackend<'a> as DrawingBackend>::ErrorType;

/// Returns the embedded font, parsed on the first call.
fn font() -> Result<&'static FontRef<'static>, PlotError> {
    static FONT: OnceLock<Option<FontRef<'static>>> = OnceLock::new();
    FONT.get_or_init(|| FontRef::try_from_slice(FONT_BYTES).ok())
        .as_ref()
        .ok_or(PlotError::Font)
}

/// Returns a drawing area of `size` pixels that is written to the PNG file `path` when
/// presented.
///
/// # Errors
///
/// [`PlotError::Font`] when the embedded font does not parse.
pub(super) fn canvas(
    path: &Path,
    size: (u32, u32),
) -> Result<DrawingArea<Canvas<'_>, Shift>, PlotError> {
    let canvas = Canvas {
        bitmap: BitMapBackend::new(path, size),
        font: font()?,
    };
    Ok(canvas.into_drawing_area())
}

impl<'a> DrawingBackend for Canvas<'a> {
    type ErrorType = BitmapError<'a>;

    fn get_size(&self) -> (u32, u32) {
        self.bitmap.get_size()
    }

    fn ensure_prepared(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.bitmap.ensure_prepared()
    }

    fn present(&mut self) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.bitmap.present()
    }

    fn draw_pixel(
        &mut self,
        point: BackendCoord,
        color: BackendColor,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.bitmap.draw_pixel(point, color)
    }

    fn draw_line<S: BackendStyle>(
        &mut self,
        from: BackendCoord,
        to: BackendCoord,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.bitmap.draw_line(from, to, style)
    }

    fn draw_rect<S: BackendStyle>(
        &mut self,
        upper_left: BackendCoord,
        bottom_right: BackendCoord,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.bitmap.draw_rect(upper_left, bottom_right, style, fill)
    }

    fn draw_path<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        path: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.bitmap.draw_path(path, style)
    }

    fn draw_circle<S: BackendStyle>(
        &mut self,
        center: BackendCoord,
        radius: u32,
        style: &S,
        fill: bool,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.bitmap.draw_circle(center, radius, style, fill)
    }

    fn fill_polygon<S: BackendStyle, I: IntoIterator<Item = BackendCoord>>(
        &mut self,
        vertices: I,
        style: &S,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.bitmap.fill_polygon(vertices, style)
    }

    fn blit_bitmap(
        &mut self,
        pos: BackendCoord,
        size: (u32, u32),
        src: &[u8],
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        self.bitmap.blit_bitmap(pos, size, src)
    }

    /// Draws `text` with its layout box anchored at `pos`, as plotters does, but with
    /// every glyph at the pen position plus its left side bearing. The style's font
    /// family is ignored: every figure uses the embedded font.
    fn draw_text<S: BackendTextStyle>(
        &mut self,
        text: &str,
        style: &S,
        pos: BackendCoord,
    ) -> Result<(), DrawingErrorKind<Self::ErrorType>> {
        let color = style.color();
        if color.alpha == 0.0 {
            return Ok(());
        }
        let ((min_x, min_y), (max_x, max_y)) = style
            .layout_box(text)
            .map_err(|error| DrawingErrorKind::FontError(Box::new(error)))?;
        let (width, height) = (max_x - min_x, max_y - min_y);
        let shift_x = match style.anchor().h_pos {
            HPos::Left => 0,
            HPos::Center => -width / 2,
            HPos::Right => -width,
        };
        let shift_y = match style.anchor().v_pos {
            VPos::Top => 0,
            VPos::Center => -height / 2,
            VPos::Bottom => -height,
        };
        let transform = style.transform();
        let (canvas_width, canvas_height) = self.get_size();
        let size = style.size() as f32;
        let font = self.font.as_scaled(size);

        let mut pen = 0.0_f32;
        let mut previous = None;
        for c in text.chars() {
            let id = font.glyph_id(c);
            if let Some(previous) = previous {
                pen += font.kern(previous, id);
            }
            previous = Some(id);
            let glyph = id.with_scale_and_position(size, point(pen, 0.0));
            pen += font.h_advance(id);
            let Some(outline) = font.outline_glyph(glyph) else {
                continue;
            };
            let bounds = outline.px_bounds();
            // Places the glyph vertically as plotters does, so text keeps its height.
            let top = (size / 2.0 + bounds.min.y) as i32;
            let left = bounds.min.x as i32;
            let mut result = Ok(());
            outline.draw(|x, y, coverage| {
                if result.is_err() || coverage <= 0.0 {
                    return;
                }
                let (x, y) = transform.transform(
                    left + x as i32 + shift_x - min_x,
                    top + y as i32 + shift_y - min_y,
                );
                let (x, y) = (pos.0 + x, pos.1 + y);
                if x >= 0 && y >= 0 && (x as u32) < canvas_width && (y as u32) < canvas_height {
                    let shade = BackendColor {
                        alpha: color.alpha * f64::from(coverage.min(1.0)),
                        rgb: color.rgb,
                    };
                    result = self.bitmap.draw_pixel((x, y), shade);
                }
            });
            result?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use plotters::prelude::{IntoFont, Text, BLACK, WHITE};
    use plotters::style::Color;

    use super::*;
    use crate::plot::{ensure_font, FONT};

    const WIDTH: usize = 160;
    const HEIGHT: usize = 60;

    /// Draws `text` left-anchored at `(20, 10)` in black on white and returns the
    /// leftmost column holding any ink.
    fn leftmost_ink(text: &str, size: f64) -> usize {
        ensure_font().unwrap();
        let mut buffer = vec![255_u8; WIDTH * HEIGHT * 3];
        {
            let canvas = Canvas {
                bitmap: BitMapBackend::with_buffer(&mut buffer, (WIDTH as u32, HEIGHT as u32)),
                font: font().unwrap(),
            };
            let area = canvas.into_drawing_area();
            area.fill(&WHITE).unwrap();
            let style = (FONT, size).into_font().color(&BLACK.to_rgba());
            area.draw(&Text::new(text, (20, 10), style)).unwrap();
            area.present().unwrap();
        }
        (0..WIDTH)
            .find(|&x| (0..HEIGHT).any(|y| buffer[(y * WIDTH + x) * 3] < 255))
            .expect("expected the text to leave some ink")
    }

    #[test]
    fn glyph_starts_at_its_bearing() {
        let font = font().unwrap().as_scaled(40.0);
        for c in ['n', 'm', 'v', 'l'] {
            let bearing = font.h_side_bearing(font.glyph_id(c));
            let expected = 20 + bearing.floor() as usize;
            assert_eq!(leftmost_ink(&c.to_string(), 40.0), expected, "glyph {c:?}");
        }
    }

    #[test]
    fn wide_bearing_glyph_keeps_its_gap() {
        // 'n' has a wider left side bearing than 'v', so its ink starts further right.
        assert!(leftmost_ink("n", 40.0) > leftmost_ink("v", 40.0));
    }
}
