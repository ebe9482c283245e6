//! Drawing glyphs from the bundle and short interface texts onto any `DrawTarget`.

use embedded_graphics::mono_font::ascii::{FONT_4X6, FONT_5X8, FONT_6X10};
use embedded_graphics::mono_font::{MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::PixelColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use embedded_graphics::text::{Baseline, Text};
use fieldpack_format::{Error, GlyphRecord, Storage};

use crate::layout::{Line, OpenArticle, Typesetter};

/// Bytes of the largest glyph bitmap drawn (a 64x16 or 32x32 glyph, plus the byte an unaligned
/// start spills into); larger ones are skipped, not misdrawn.
pub const MAX_GLYPH_BYTES: usize = 128 + 1;

/// A failure while drawing: the bundle (shown as an error screen) or the display.
#[derive(Debug)]
pub enum DrawError<E> {
    /// Reading the bundle failed.
    Bundle(Error),
    /// The display failed.
    Target(E),
}

impl<E> From<Error> for DrawError<E> {
    fn from(e: Error) -> Self {
        DrawError::Bundle(e)
    }
}

/// The interface font for a display height: built into the firmware, ASCII only, used for
/// page numbers, labels and error messages (which must show even without a readable bundle).
pub fn ui_font(height: u32) -> &'static MonoFont<'static> {
    if height < 100 {
        &FONT_5X8
    } else {
        &FONT_6X10
    }
}

/// The font of the article screen's page numbers: on small displays every row counts.
pub fn footer_font(height: u32) -> &'static MonoFont<'static> {
    if height < 100 {
        &FONT_4X6
    } else {
        &FONT_6X10
    }
}

/// Draws an ASCII interface text with its top-left corner at `at`.
pub fn ui_text<D: DrawTarget>(
    target: &mut D,
    font: &MonoFont<'_>,
    text: &str,
    at: Point,
    color: D::Color,
) -> Result<(), DrawError<D::Error>> {
    let style = MonoTextStyle::new(font, color);
    Text::with_baseline(text, at, style, Baseline::Top)
        .draw(target)
        .map_err(DrawError::Target)?;
    Ok(())
}

/// Fills a rectangle.
pub fn fill<D: DrawTarget>(
    target: &mut D,
    x: i32,
    y: i32,
    w: u32,
    h: u32,
    color: D::Color,
) -> Result<(), DrawError<D::Error>> {
    Rectangle::new(Point::new(x, y), Size::new(w, h))
        .into_styled(PrimitiveStyle::with_fill(color))
        .draw(target)
        .map_err(DrawError::Target)
}

impl<S: Storage> Typesetter<'_, S> {
    /// Draws one glyph with the pen at `pen_x` on the line whose top is `top`; returns its advance.
    pub fn draw_glyph<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        g: &GlyphRecord,
        pen_x: i32,
        top: i32,
        color: C,
    ) -> Result<u32, DrawError<D::Error>> {
        let len = g.bitmap_span();
        if g.bitmap_bits() == 0 || len > MAX_GLYPH_BYTES {
            return Ok(u32::from(g.advance));
        }
        let mut buf = [0u8; MAX_GLYPH_BYTES];
        let bytes = self.bundle.glyph_bitmap(g, &mut buf)?;
        // Rows are packed back to back, `width` bits each, from bit `bit_offset % 8`.
        let first = (g.bit_offset % 8) as usize;
        let width = g.width as usize;
        let x0 = pen_x.saturating_add(i32::from(g.x));
        let y0 = top.saturating_add(i32::from(g.y));
        let pixels = (0..g.height as usize).flat_map(move |row| {
            (0..width).filter_map(move |col| {
                let bit = first + row * width + col;
                let byte = bytes.get(bit / 8).copied().unwrap_or(0);
                (byte & (0x80 >> (bit % 8)) != 0).then(|| {
                    Pixel(
                        Point::new(x0.saturating_add(col as i32), y0.saturating_add(row as i32)),
                        color,
                    )
                })
            })
        });
        target.draw_iter(pixels).map_err(DrawError::Target)?;
        Ok(u32::from(g.advance))
    }

    /// Draws `text` in one line from `x`, cut with an ellipsis to `max_width`; returns the width.
    pub fn draw_str<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        text: &str,
        x: i32,
        top: i32,
        max_width: u32,
        color: C,
    ) -> Result<u32, DrawError<D::Error>> {
        let full = self.measure(text)?;
        let ellipsis = self.advance('…')?;
        let limit = if full > max_width {
            max_width.saturating_sub(ellipsis)
        } else {
            max_width
        };
        let mut pen = 0u32;
        for c in text.chars() {
            let Some(g) = self.glyph(c)? else { continue };
            if pen.saturating_add(u32::from(g.advance)) > limit {
                break;
            }
            pen += self.draw_glyph(target, &g, x.saturating_add(pen as i32), top, color)?;
        }
        if full > max_width {
            if let Some(g) = self.glyph('…')? {
                pen = pen.saturating_add(self.draw_glyph(
                    target,
                    &g,
                    x.saturating_add(pen as i32),
                    top,
                    color,
                )?);
            }
        }
        Ok(pen)
    }

    /// Draws a laid-out line of article text in a column `x..x + width` (right-aligned and
    /// right to left for RTL articles).
    #[allow(clippy::too_many_arguments)]
    pub fn draw_line<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        art: &OpenArticle,
        line: &Line,
        x: i32,
        width: u32,
        top: i32,
        color: C,
    ) -> Result<(), DrawError<D::Error>> {
        let mut pos = line.start;
        let mut pen = if art.rtl {
            x.saturating_add(width as i32)
        } else {
            x
        };
        while pos < line.draw_end {
            let Some((c, next)) = self.char_at(art, pos)? else {
                break;
            };
            if let Some(g) = self.glyph(c)? {
                // Saturating: a hostile line of millions of spaces runs the pen off the screen,
                // never around the integer.
                if art.rtl {
                    pen = pen.saturating_sub(i32::from(g.advance));
                    self.draw_glyph(target, &g, pen, top, color)?;
                } else {
                    let adv = self.draw_glyph(target, &g, pen, top, color)?;
                    pen = pen.saturating_add(adv as i32);
                }
            }
            pos = next;
        }
        Ok(())
    }
}

/// A monochrome display that keeps nothing: for measuring the reader's own cost and for
/// fuzzing, where a frame buffer would only add noise.
pub struct NullDisplay {
    size: Size,
}

impl NullDisplay {
    /// A display of `width` x `height`.
    pub const fn new(width: u32, height: u32) -> Self {
        NullDisplay {
            size: Size::new(width, height),
        }
    }
}

impl OriginDimensions for NullDisplay {
    fn size(&self) -> Size {
        self.size
    }
}

impl DrawTarget for NullDisplay {
    type Color = embedded_graphics::pixelcolor::BinaryColor;
    type Error = core::convert::Infallible;

    fn draw_iter<I: IntoIterator<Item = Pixel<Self::Color>>>(
        &mut self,
        pixels: I,
    ) -> Result<(), Self::Error> {
        // Consumed one by one so that the drawing code runs as on a real display.
        for p in pixels {
            core::hint::black_box(p);
        }
        Ok(())
    }
}
