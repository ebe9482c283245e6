//! Drawing glyphs from the bundle and short interface texts onto any `DrawTarget`.

use embedded_graphics::mono_font::ascii::{FONT_4X6, FONT_5X8, FONT_6X10};
use embedded_graphics::mono_font::{MonoFont, MonoTextStyle};
use embedded_graphics::pixelcolor::PixelColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::{PrimitiveStyle, Rectangle};
use embedded_graphics::text::{Baseline, Text};
use fieldpack_format::layout::MAX_GLYPH_BITMAP;
use fieldpack_format::{Error, GlyphRecord, Storage};

use crate::layout::Typesetter;

/// Bytes of the largest glyph bitmap drawn (the format's limit, plus the byte an unaligned
/// start spills into); larger ones are skipped, not misdrawn.
pub const MAX_GLYPH_BYTES: usize = MAX_GLYPH_BITMAP + 1;

/// Which pixels of a glyph one drawing pass lays down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pass {
    /// Every pixel with ink.
    All,
    /// Only an anti-aliased glyph's partly covered pixels (a one-bit glyph draws nothing).
    Edges,
    /// Only fully covered pixels.
    Full,
}

/// The colours text is drawn in, and which of its pixels a pass lays down.
///
/// A display cannot be read back, so where two smooth glyphs overlap (a mark on its letter,
/// joined Arabic letters, a bold glyph drawn twice) the one drawn last would lighten the
/// other's ink with its edge: such text is drawn in two passes, every edge, then every ink.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ink<C> {
    /// Full ink: a one-bit glyph's pixels, a smooth glyph's covered ones, rules and bullets.
    pub full: C,
    /// A smooth glyph's pixels covered a third and two thirds: between background and ink
    /// (`None`: not drawn, as a one-bit display leaves what is covered less than it shows).
    pub edges: [Option<C>; 2],
    /// Which pixels this pass draws.
    pub pass: Pass,
}

impl<C: Copy> Ink<C> {
    /// One colour for every pixel, edges too.
    pub const fn solid(color: C) -> Self {
        Ink {
            full: color,
            edges: [Some(color), Some(color)],
            pass: Pass::All,
        }
    }

    /// `full` ink with its `edges` colours on a given background.
    pub const fn blended(full: C, edges: [Option<C>; 2]) -> Self {
        Ink {
            full,
            edges,
            pass: Pass::All,
        }
    }

    /// The same colours in pass `pass`.
    pub const fn in_pass(self, pass: Pass) -> Self {
        Ink { pass, ..self }
    }
}

/// A glyph bitmap's rows, walked a 32-bit word at a time: `width` x `height` pixels of `depth`
/// bits (1 or 2, the most significant first), packed back to back from bit `first` of `bytes`.
/// Most of a glyph's box is empty: the walkers skip empty pixels by shifting (the Cortex-M0+
/// counts no leading zeros; testing each bit alone was a fifth of a 320x240 page turn).
struct Rows<'a> {
    bytes: &'a [u8],
    first: usize,
    width: u32,
    height: u32,
    /// Bits a pixel: 1 or 2.
    depth: u32,
    /// The row being walked.
    row: u32,
    /// The column where the pixels in `bits` started.
    piece: u32,
    /// The row's pixels not yet walked, `depth` bits each, the next one highest.
    bits: u32,
    /// The column of the highest pixel of `bits`.
    col: u32,
    started: bool,
}

impl<'a> Rows<'a> {
    fn new(bytes: &'a [u8], first: usize, (width, height): (u32, u32), depth: u32) -> Self {
        Rows {
            bytes,
            first,
            width,
            height,
            depth,
            row: 0,
            piece: 0,
            bits: 0,
            col: 0,
            started: false,
        }
    }

    /// Loads the row's next word of pixels (32 or 16 of them, or what is left of the row),
    /// moving to the next row at the end of one; `false` past the last row.
    #[inline(always)]
    fn load(&mut self) -> bool {
        // Pixels a word: 32 >> (depth - 1), with no divide.
        let per = 32 >> (self.depth - 1);
        if self.started {
            self.piece += per;
            if self.piece >= self.width {
                self.piece = 0;
                self.row += 1;
            }
        }
        self.started = true;
        if self.row >= self.height || self.width == 0 {
            return false;
        }
        let at = self.depth * (self.row * self.width + self.piece);
        let v = bits_at(self.bytes, self.first + at as usize);
        let n = self.width - self.piece;
        self.bits = if n >= per {
            v
        } else {
            v & !(u32::MAX >> (n * self.depth))
        };
        self.col = self.piece;
        true
    }
}

/// The pixels of an anti-aliased glyph's bitmap that a pass draws: two bits a pixel, coverage
/// 0 to 3. It is most of a page turn's drawing on a colour board.
struct ShadedPixels<'a, C> {
    rows: Rows<'a>,
    origin: (i32, i32),
    /// The colour of each coverage in this pass (`None`: not drawn).
    colors: [Option<C>; 4],
}

impl<'a, C: Copy> ShadedPixels<'a, C> {
    fn new(
        bytes: &'a [u8],
        first: usize,
        size: (u32, u32),
        origin: (i32, i32),
        ink: Ink<C>,
    ) -> Self {
        let edges = if ink.pass == Pass::Full {
            [None, None]
        } else {
            ink.edges
        };
        let full = (ink.pass != Pass::Edges).then_some(ink.full);
        ShadedPixels {
            rows: Rows::new(bytes, first, size, 2),
            origin,
            colors: [None, edges[0], edges[1], full],
        }
    }
}

impl<C: PixelColor> Iterator for ShadedPixels<'_, C> {
    type Item = Pixel<C>;

    // Inlined into the display's pixel loop: a call a pixel was a fifth of a colour board's
    // page turn.
    #[inline(always)]
    fn next(&mut self) -> Option<Pixel<C>> {
        let r = &mut self.rows;
        loop {
            while r.bits == 0 {
                if !r.load() {
                    return None;
                }
            }
            while r.bits & 0xC000_0000 == 0 {
                r.bits <<= 2;
                r.col += 1;
            }
            let v = (r.bits >> 30) as usize;
            let col = r.col;
            r.bits <<= 2;
            r.col += 1;
            let Some(color) = self.colors.get(v).copied().flatten() else {
                continue;
            };
            let p = Point::new(
                self.origin.0.saturating_add(col as i32),
                self.origin.1.saturating_add(r.row as i32),
            );
            return Some(Pixel(p, color));
        }
    }
}

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

/// The 32 bits of `bytes` from bit `bit` (the most significant first; bits past the end are
/// zero). In 32-bit steps only: the Cortex-M0+ shifts 64 bits in a library call.
#[inline(always)]
fn bits_at(bytes: &[u8], bit: usize) -> u32 {
    let at = bit / 8;
    let off = (bit % 8) as u32;
    if let Some(&[b0, b1, b2, b3, b4]) = bytes.get(at..at + 5) {
        // The common case: five bytes there, read without a check each.
        let word = u32::from_be_bytes([b0, b1, b2, b3]);
        return if off == 0 {
            word
        } else {
            word << off | u32::from(b4) >> (8 - off)
        };
    }
    let byte = |k: usize| u32::from(bytes.get(at + k).copied().unwrap_or(0));
    let word = byte(0) << 24 | byte(1) << 16 | byte(2) << 8 | byte(3);
    match off {
        0 => word,
        _ => word << off | byte(4) >> (8 - off),
    }
}

/// The pixels of a one-bit glyph's set bits, row by row.
struct SetPixels<'a, C> {
    rows: Rows<'a>,
    x0: i32,
    y0: i32,
    color: C,
}

impl<'a, C> SetPixels<'a, C> {
    /// The set pixels of a `width` x `height` bitmap starting at bit `first` of `bytes`, its
    /// top-left corner at (`x0`, `y0`).
    fn new(
        bytes: &'a [u8],
        first: usize,
        size: (u32, u32),
        (x0, y0): (i32, i32),
        color: C,
    ) -> Self {
        SetPixels {
            rows: Rows::new(bytes, first, size, 1),
            x0,
            y0,
            color,
        }
    }
}

impl<C: PixelColor> Iterator for SetPixels<'_, C> {
    type Item = Pixel<C>;

    fn next(&mut self) -> Option<Pixel<C>> {
        let r = &mut self.rows;
        while r.bits == 0 {
            if !r.load() {
                return None;
            }
        }
        while r.bits & 0x8000_0000 == 0 {
            r.bits <<= 1;
            r.col += 1;
        }
        let p = Point::new(
            self.x0.saturating_add(r.col as i32),
            self.y0.saturating_add(r.row as i32),
        );
        r.bits <<= 1;
        r.col += 1;
        Some(Pixel(p, self.color))
    }
}

impl<S: Storage> Typesetter<'_, S> {
    /// Whether the strike in use has anti-aliased glyphs (text is then drawn in two passes).
    pub fn smooth(&self) -> bool {
        self.strike().is_some_and(|s| s.header.depth > 1)
    }

    /// Draws something in bold: `draw` twice, a pixel apart (its second argument: 0, then 1),
    /// with every edge of both before any ink when the strike is smooth.
    pub fn in_bold<C: PixelColor, E>(
        &mut self,
        ink: Ink<C>,
        mut draw: impl FnMut(&mut Self, i32, Ink<C>) -> Result<(), DrawError<E>>,
    ) -> Result<(), DrawError<E>> {
        let passes: &[Pass] = if self.smooth() {
            &[Pass::Edges, Pass::Full]
        } else {
            &[Pass::All]
        };
        for &pass in passes {
            for dx in [0, 1] {
                draw(self, dx, ink.in_pass(pass))?;
            }
        }
        Ok(())
    }

    /// Draws one glyph with the pen at `pen_x` on the line whose top is `top`, the pixels of
    /// `ink`'s pass; returns its advance.
    pub fn draw_glyph<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        g: &GlyphRecord,
        pen_x: i32,
        top: i32,
        ink: Ink<C>,
    ) -> Result<u32, DrawError<D::Error>> {
        let len = g.bitmap_span();
        let shaded = g.depth > 1;
        if g.bitmap_bits() == 0 || len > MAX_GLYPH_BYTES || (!shaded && ink.pass == Pass::Edges) {
            return Ok(u32::from(g.advance));
        }
        // Four bytes of slack past the largest bitmap: the walks read five bytes at a time.
        let mut buf = [0u8; MAX_GLYPH_BYTES + 4];
        self.bundle.glyph_bitmap(g, &mut buf)?;
        // The bytes past the bitmap are zero, so the walks may read them unchecked.
        let bytes = &buf[..];
        let origin = (
            pen_x.saturating_add(i32::from(g.x)),
            top.saturating_add(i32::from(g.y)),
        );
        let first = (g.bit_offset % 8) as usize;
        let size = (u32::from(g.width), u32::from(g.height));
        if shaded {
            let pixels = ShadedPixels::new(bytes, first, size, origin, ink);
            target.draw_iter(pixels).map_err(DrawError::Target)?;
        } else {
            let pixels = SetPixels::new(bytes, first, size, origin, ink.full);
            target.draw_iter(pixels).map_err(DrawError::Target)?;
        }
        Ok(u32::from(g.advance))
    }

    /// Draws `text` in one line from `x`, cut with an ellipsis to `max_width`; returns the width.
    /// Shaped words are drawn as the host shaped them; text whose first shaped word is right to
    /// left is set from the right, word by word.
    pub fn draw_str<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        text: &str,
        x: i32,
        top: i32,
        max_width: u32,
        ink: Ink<C>,
    ) -> Result<u32, DrawError<D::Error>> {
        let full = self.measure(text)?;
        let ellipsis = self.advance('…')?;
        let cut = full > max_width;
        let limit = if cut {
            max_width.saturating_sub(ellipsis)
        } else {
            max_width
        };
        let mut rtl = false;
        for w in text.split(' ') {
            if let Some(word) = self.shaped(w)? {
                rtl = word.rtl;
                break;
            }
        }
        let shown = if cut { max_width } else { full };
        let right = x.saturating_add(shown as i32);
        let mut pen = 0u32;
        let mut first = true;
        for w in text.split(' ') {
            if !first {
                let adv = self.advance(' ')?;
                if pen.saturating_add(adv) > limit {
                    break;
                }
                pen = pen.saturating_add(adv);
            }
            first = false;
            if let Some(word) = self.shaped(w)? {
                let adv = u32::from(word.width(self.size_class()));
                if pen.saturating_add(adv) > limit {
                    break;
                }
                let at = if rtl {
                    right.saturating_sub(pen.saturating_add(adv) as i32)
                } else {
                    x.saturating_add(pen as i32)
                };
                self.draw_word(target, &word, at, top, ink)?;
                pen = pen.saturating_add(adv);
                continue;
            }
            // Characters one by one; in right-to-left text a word of them keeps its order, and
            // a word cut at the end keeps its first characters, at the right of what they take.
            let room = limit.saturating_sub(pen);
            let mut piece = self.measure(w)?;
            let whole = piece <= room;
            if !whole {
                piece = 0;
                for c in w.chars() {
                    let adv = self.advance(c)?;
                    if piece.saturating_add(adv) > room {
                        break;
                    }
                    piece = piece.saturating_add(adv);
                }
            }
            let mut inner = 0u32;
            for c in w.chars() {
                let Some(g) = self.glyph(c)? else { continue };
                if inner.saturating_add(u32::from(g.advance)) > piece {
                    break;
                }
                let at = if rtl {
                    right
                        .saturating_sub(pen.saturating_add(piece) as i32)
                        .saturating_add(inner as i32)
                } else {
                    x.saturating_add(pen.saturating_add(inner) as i32)
                };
                inner = inner.saturating_add(self.draw_glyph(target, &g, at, top, ink)?);
            }
            pen = pen.saturating_add(inner);
            if !whole {
                break;
            }
        }
        if cut {
            if let Some(g) = self.glyph('…')? {
                let at = if rtl {
                    right.saturating_sub(pen.saturating_add(ellipsis) as i32)
                } else {
                    x.saturating_add(pen as i32)
                };
                pen = pen.saturating_add(self.draw_glyph(target, &g, at, top, ink)?);
            }
        }
        Ok(pen)
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

#[cfg(test)]
mod tests {
    extern crate std;
    use super::SetPixels;
    use embedded_graphics::pixelcolor::BinaryColor;
    use embedded_graphics::prelude::*;
    use std::vec::Vec;

    /// The set bits of a bitmap, one test a bit: what `SetPixels` must give, in its order.
    fn naive(bytes: &[u8], first: usize, width: usize, height: usize) -> Vec<(i32, i32)> {
        let mut out = Vec::new();
        for row in 0..height {
            for col in 0..width {
                let bit = first + row * width + col;
                if bytes
                    .get(bit / 8)
                    .is_some_and(|b| b & (0x80 >> (bit % 8)) != 0)
                {
                    out.push((col as i32 + 3, row as i32 - 2));
                }
            }
        }
        out
    }

    #[test]
    fn shaded_pixels_walk_every_covered_pixel_of_its_pass() {
        use super::{Ink, Pass, ShadedPixels};
        use embedded_graphics::pixelcolor::{Gray8, GrayColor};
        let mut seed = 0x1234_5678_u32;
        for width in 0..=40u32 {
            for height in [0u32, 1, 3, 16] {
                for first in 0..8usize {
                    let len = (first + 2 * (width * height) as usize).div_ceil(8) + 1;
                    let bytes: Vec<u8> = (0..len)
                        .map(|_| {
                            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                            (seed >> 24) as u8
                        })
                        .collect();
                    for pass in [Pass::All, Pass::Edges, Pass::Full] {
                        let ink =
                            Ink::blended(Gray8::new(3), [Some(Gray8::new(1)), None]).in_pass(pass);
                        let got: Vec<(i32, i32, u8)> =
                            ShadedPixels::new(&bytes, first, (width, height), (3, -2), ink)
                                .map(|Pixel(p, c)| (p.x, p.y, c.luma()))
                                .collect();
                        let mut want = Vec::new();
                        for row in 0..height {
                            for col in 0..width {
                                let bit = first + 2 * (row * width + col) as usize;
                                let at = |n: usize| (bytes[n / 8] >> (7 - n % 8)) & 1;
                                let v = at(bit) << 1 | at(bit + 1);
                                let c = match (v, pass) {
                                    (0, _) | (1 | 2, Pass::Full) | (3, Pass::Edges) => None,
                                    (1, _) => Some(1),
                                    (2, _) => None,
                                    _ => Some(3),
                                };
                                if let Some(c) = c {
                                    want.push((col as i32 + 3, row as i32 - 2, c));
                                }
                            }
                        }
                        assert_eq!(got, want, "{width}x{height}+{first} {pass:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn set_pixels_walk_every_set_bit_of_any_width_and_offset() {
        let mut seed = 0x2545_f491_u32;
        for width in 0..=70usize {
            for height in [0usize, 1, 2, 5, 16] {
                for first in 0..8usize {
                    let len = (first + width * height).div_ceil(8) + 1;
                    let bytes: Vec<u8> = (0..len)
                        .map(|_| {
                            seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                            (seed >> 24) as u8
                        })
                        .collect();
                    let size = (width as u32, height as u32);
                    let got: Vec<(i32, i32)> =
                        SetPixels::new(&bytes, first, size, (3, -2), BinaryColor::On)
                            .map(|Pixel(p, _)| (p.x, p.y))
                            .collect();
                    assert_eq!(
                        got,
                        naive(&bytes, first, width, height),
                        "{width}x{height}+{first}"
                    );
                }
            }
        }
    }
}
