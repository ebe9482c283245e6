//! Sending a frame to a panel without a frame buffer, each pixel once.
//!
//! The reader draws a frame as a full-screen clear, then bars and text, mostly top to bottom.
//! Drawn straight onto an SPI panel, the clear sends every pixel, the text sends its pixels
//! again in short runs, each run with its own address window: on a 320x240 LCD, 210 KB for a
//! page where the frame is 154 KB. [`Bands`] keeps a window of rows in RAM (16 rows: 10 KiB at
//! 320 wide, where a frame buffer would be 150 KiB), a ring that slides down as drawing does:
//! after a full-screen clear, drawing lands in the window, and rows go to the panel as the
//! window slides past them, so a line of text up to 16 rows tall is sent once, whole. Rows
//! above the window are final on the panel (a later draw there goes straight to it); rows
//! below it are known to be the clear's colour. So the panel ends up with exactly the pixels a
//! direct drawing would give, whatever the order of the draws.

use embedded_graphics::pixelcolor::PixelColor;
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;

/// Rows in the window.
pub const BAND_ROWS: u32 = 16;

/// Pixels that go straight to the panel, gathered to be sent together.
const DIRECT: usize = 32;

/// A panel drawn through a sliding window of rows in RAM.
pub struct Bands<'b, D: DrawTarget> {
    inner: D,
    buf: &'b mut [D::Color],
    width: u32,
    height: u32,
    /// First row of the window: rows above it are final on the panel. Row `r` of the window
    /// is kept at `buf[(r % rows) * width ..]`.
    top: u32,
    /// Where row `top` is kept in the ring (`top % rows`, kept rather than divided out for
    /// each pixel: the Cortex-M0+ has no divide instruction).
    top_slot: u32,
    /// Rows in the window.
    rows: u32,
    /// The colour of the rows at and below `top` not drawn on yet, once a full-screen clear
    /// has started the frame; `None`: no clear yet, everything goes straight to the panel.
    clear: Option<D::Color>,
}

impl<'b, D: DrawTarget> Bands<'b, D> {
    /// A window over `inner`, in `buf`: `BAND_ROWS` rows of its width (a shorter buffer gives
    /// fewer rows; one too short for a row draws everything directly).
    pub fn new(inner: D, buf: &'b mut [D::Color]) -> Self {
        let size = inner.bounding_box().size;
        let rows = (buf.len() as u32)
            .checked_div(size.width)
            .unwrap_or(0)
            .min(BAND_ROWS);
        Bands {
            inner,
            buf,
            width: size.width,
            height: size.height,
            top: 0,
            top_slot: 0,
            rows,
            clear: None,
        }
    }

    /// The panel.
    pub fn inner(&mut self) -> &mut D {
        &mut self.inner
    }

    fn rows(&self) -> u32 {
        self.rows
    }

    /// Where row `r` of the window is kept in the ring.
    fn slot(&self, r: u32) -> u32 {
        let s = self.top_slot + (r - self.top);
        if s >= self.rows {
            s - self.rows
        } else {
            s
        }
    }

    /// Sends rows `from..to` (inside the window) from the ring: one address window, or two
    /// where the ring wraps.
    fn send_rows(&mut self, from: u32, to: u32) -> Result<(), D::Error> {
        let rows = self.rows();
        let to = to.min(self.height);
        let mut r = from;
        while r < to {
            let slot = self.slot(r);
            let n = (rows - slot).min(to - r);
            let at = (slot * self.width) as usize;
            let len = (n * self.width) as usize;
            let area = Rectangle::new(Point::new(0, r as i32), Size::new(self.width, n));
            let pixels = self.buf.get(at..at + len).unwrap_or(&[]).iter().copied();
            self.inner.fill_contiguous(&area, pixels)?;
            r += n;
        }
        Ok(())
    }

    /// Fills rows `from..to` of the ring with `color` (the window's top already moved, so
    /// they are inside it).
    fn clear_rows(&mut self, from: u32, to: u32, color: D::Color) {
        for r in from..to {
            let at = (self.slot(r) * self.width) as usize;
            if let Some(row) = self.buf.get_mut(at..at + self.width as usize) {
                row.fill(color);
            }
        }
    }

    /// Slides the window down so that row `y` (below it) is its last row: the rows it leaves
    /// go to the panel, rows it skips are filled with the clear's colour.
    fn slide_to(&mut self, y: u32) -> Result<(), D::Error> {
        let Some(clear) = self.clear else {
            return Ok(());
        };
        let rows = self.rows();
        let end = self.top + rows;
        let new_top = y + 1 - rows;
        self.send_rows(self.top, new_top.min(end))?;
        if new_top > end {
            let to = new_top.min(self.height);
            if to > end {
                let area =
                    Rectangle::new(Point::new(0, end as i32), Size::new(self.width, to - end));
                self.inner.fill_solid(&area, clear)?;
            }
        }
        self.top_slot = new_top % rows;
        self.top = new_top;
        self.clear_rows(new_top.max(end), new_top + rows, clear);
        Ok(())
    }

    /// Sends what the frame still holds in RAM: call when a frame is drawn. The next frame
    /// goes straight to the panel until it starts with a full-screen clear.
    pub fn finish(&mut self) -> Result<(), D::Error> {
        if let Some(clear) = self.clear.take() {
            let end = (self.top + self.rows()).min(self.height);
            self.send_rows(self.top, end)?;
            if self.height > end {
                let area = Rectangle::new(
                    Point::new(0, end as i32),
                    Size::new(self.width, self.height - end),
                );
                self.inner.fill_solid(&area, clear)?;
            }
        }
        self.top = 0;
        self.top_slot = 0;
        Ok(())
    }

    /// Where pixel (x, y) goes: `Some(index)` in the window, after sliding it down to it if it
    /// lies below; `None` straight to the panel.
    fn place(&mut self, x: i32, y: i32) -> Result<Option<usize>, D::Error> {
        if self.clear.is_none() || x < 0 || y < 0 {
            return Ok(None);
        }
        let (x, y) = (x as u32, y as u32);
        if x >= self.width || y >= self.height || y < self.top {
            return Ok(None);
        }
        if y >= self.top + self.rows() {
            self.slide_to(y)?;
        }
        Ok(Some((self.slot(y) * self.width + x) as usize))
    }
}

impl<D: DrawTarget> OriginDimensions for Bands<'_, D> {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl<D: DrawTarget> DrawTarget for Bands<'_, D>
where
    D::Color: PixelColor,
{
    type Color = D::Color;
    type Error = D::Error;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        let mut direct: heapless::Vec<Pixel<D::Color>, DIRECT> = heapless::Vec::new();
        for Pixel(p, c) in pixels {
            // The common case, a pixel inside the window: straight into the ring.
            if self.clear.is_some()
                && p.x >= 0
                && (p.x as u32) < self.width
                && p.y >= self.top as i32
                && (p.y as u32) < (self.top + self.rows).min(self.height)
            {
                let i = (self.slot(p.y as u32) * self.width + p.x as u32) as usize;
                if let Some(slot) = self.buf.get_mut(i) {
                    *slot = c;
                }
                continue;
            }
            // Pixels bound for the panel wait in `direct`, sent before the window moves (its
            // rows would otherwise reach the panel before them) and when it is full.
            let in_window = self.clear.is_some()
                && p.y >= self.top as i32
                && p.y < (self.top + self.rows()) as i32;
            if !in_window && !direct.is_empty() {
                let below = self.clear.is_some() && p.y >= (self.top + self.rows()) as i32;
                if below || direct.is_full() {
                    self.inner.draw_iter(direct.iter().copied())?;
                    direct.clear();
                }
            }
            match self.place(p.x, p.y)? {
                Some(i) => {
                    if let Some(slot) = self.buf.get_mut(i) {
                        *slot = c;
                    }
                }
                None => {
                    if direct.push(Pixel(p, c)).is_err() {
                        self.inner.draw_iter(core::iter::once(Pixel(p, c)))?;
                    }
                }
            }
        }
        if !direct.is_empty() {
            self.inner.draw_iter(direct.iter().copied())?;
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Self::Color) -> Result<(), Self::Error> {
        let area = area.intersection(&self.bounding_box());
        if area.size.width == 0 || area.size.height == 0 {
            return Ok(());
        }
        if area.size == Size::new(self.width, self.height) && self.rows() > 0 {
            // A clear: nothing need be sent yet, every row is now this colour.
            self.clear = Some(color);
            self.top = 0;
            self.top_slot = 0;
            for p in self.buf.iter_mut() {
                *p = color;
            }
            return Ok(());
        }
        if self.clear.is_none() {
            return self.inner.fill_solid(&area, color);
        }
        // Row by row: above the window straight to the panel, else into it (sliding it).
        let x0 = area.top_left.x as u32;
        let y0 = area.top_left.y as u32;
        for y in y0..y0 + area.size.height {
            if y < self.top {
                let row = Rectangle::new(
                    Point::new(x0 as i32, y as i32),
                    Size::new(area.size.width, 1),
                );
                self.inner.fill_solid(&row, color)?;
                continue;
            }
            if let Some(start) = self.place(x0 as i32, y as i32)? {
                let end = start + area.size.width as usize;
                if let Some(run) = self.buf.get_mut(start..end) {
                    run.fill(color);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use std::vec::Vec;

    use super::*;
    use embedded_graphics::pixelcolor::Rgb565;

    /// A panel that keeps its pixels and counts what it was sent.
    struct Panel {
        px: Vec<Rgb565>,
        sent: usize,
    }

    impl OriginDimensions for Panel {
        fn size(&self) -> Size {
            Size::new(40, 37)
        }
    }

    impl DrawTarget for Panel {
        type Color = Rgb565;
        type Error = core::convert::Infallible;
        fn draw_iter<I: IntoIterator<Item = Pixel<Rgb565>>>(
            &mut self,
            it: I,
        ) -> Result<(), Self::Error> {
            for Pixel(p, c) in it {
                if (0..40).contains(&p.x) && (0..37).contains(&p.y) {
                    self.px[(p.y * 40 + p.x) as usize] = c;
                    self.sent += 1;
                }
            }
            Ok(())
        }
    }

    fn panel() -> Panel {
        Panel {
            px: std::vec![Rgb565::new(1, 2, 3); 40 * 37],
            sent: 0,
        }
    }

    /// A frame of clears, fills and pixels in a scrambled order, some off the panel.
    fn frame<D: DrawTarget<Color = Rgb565>>(d: &mut D, seed: u32, clear_first: bool) {
        let mut s = seed;
        let mut rnd = |n: u32| {
            s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (s >> 8) % n
        };
        if clear_first {
            let _ = d.fill_solid(
                &Rectangle::new(Point::zero(), Size::new(40, 37)),
                Rgb565::WHITE,
            );
        }
        for _ in 0..300 {
            let c = Rgb565::new(rnd(32) as u8, rnd(64) as u8, rnd(32) as u8);
            match rnd(10) {
                0 => {
                    let r = Rectangle::new(
                        Point::new(rnd(50) as i32 - 5, rnd(50) as i32 - 5),
                        Size::new(rnd(20), rnd(20)),
                    );
                    let _ = d.fill_solid(&r, c);
                }
                _ => {
                    // Mostly downward, as text is drawn; sometimes back up.
                    let y = if rnd(8) == 0 {
                        rnd(37)
                    } else {
                        (rnd(300) / 8).min(36)
                    } as i32;
                    let _ = d.draw_iter([Pixel(Point::new(rnd(44) as i32 - 2, y), c)]);
                }
            }
        }
    }

    #[test]
    fn banded_frames_equal_direct_ones_and_send_less() {
        for seed in 0..200 {
            for clear in [true, false] {
                let mut direct = panel();
                frame(&mut direct, seed, clear);
                let mut buf = [Rgb565::BLACK; 40 * 5];
                let mut banded = Bands::new(panel(), &mut buf);
                frame(&mut banded, seed, clear);
                banded.finish().expect("finish");
                // A second frame over the first, as the next page is.
                frame(&mut direct, seed + 7, true);
                frame(&mut banded, seed + 7, true);
                banded.finish().expect("finish");
                assert!(direct.px == banded.inner().px, "seed {seed} clear {clear}");
            }
        }
    }

    #[test]
    fn a_cleared_frame_drawn_downward_sends_each_pixel_once() {
        let mut buf = [Rgb565::BLACK; 40 * 16];
        let mut b = Bands::new(panel(), &mut buf);
        let _ = b.fill_solid(
            &Rectangle::new(Point::zero(), Size::new(40, 37)),
            Rgb565::WHITE,
        );
        for y in 0..37 {
            for x in (0..40).step_by(3) {
                let _ = b.draw_iter([Pixel(Point::new(x, y), Rgb565::BLACK)]);
            }
        }
        b.finish().expect("finish");
        assert_eq!(b.inner().sent, 40 * 37);
    }
}
