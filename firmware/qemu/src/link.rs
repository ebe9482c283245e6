//! Frames out as an SPI display controller receives them: an address window, then pixels,
//! batched into a small buffer and written through semihosting. No frame buffer: a 320x240
//! RGB565 frame (150 KiB) would not fit in 64 KiB of RAM.
//!
//! Stream (all integers little-endian), specified in `firmware/qemu/README.md`:
//! a 16-byte header `FPKLINK1`, width u16, height u16, bits per pixel u8, 3 zero bytes; then
//! commands: `0x2A x0 x1 y0 y1` (u16 each, inclusive) sets the window and moves to its top-left;
//! `0x2C n` (u16) then n pixels (u16 each) fill the window left to right, top to bottom;
//! `0xF0` ends a frame.

use embedded_graphics::pixelcolor::{BinaryColor, PixelColor, Rgb565};
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use fieldpack_format::StorageError;

use crate::semi::File;

/// A colour as the link sends it.
pub trait LinkColor: Copy {
    /// Bits per pixel the panel takes (1 or 16).
    const BITS: u8;
    /// The pixel's wire value.
    fn to_wire(self) -> u16;
}

impl LinkColor for BinaryColor {
    const BITS: u8 = 1;
    fn to_wire(self) -> u16 {
        u16::from(self.is_on())
    }
}

impl LinkColor for Rgb565 {
    const BITS: u8 = 16;
    fn to_wire(self) -> u16 {
        self.into_storage()
    }
}

const BUF: usize = 1024;

/// A display that streams what it is given to a host file.
pub struct SpiLink<C> {
    out: Option<File>,
    width: u32,
    height: u32,
    buf: [u8; BUF],
    used: usize,
    /// Where the pending pixel command's count is in `buf`, and the count so far.
    pixels: Option<(usize, u16)>,
    /// Next pixel of the current window, for merging adjacent pixels into one run.
    next: Option<(i32, i32)>,
    failed: bool,
    _color: core::marker::PhantomData<C>,
}

impl<C: LinkColor> SpiLink<C> {
    /// A link writing to `out`, for a panel of `width` x `height`.
    pub fn new(out: File, width: u32, height: u32) -> Self {
        let mut link = SpiLink {
            out: Some(out),
            width,
            height,
            buf: [0; BUF],
            used: 0,
            pixels: None,
            next: None,
            failed: false,
            _color: core::marker::PhantomData,
        };
        link.put(b"FPKLINK1");
        link.put(&(width as u16).to_le_bytes());
        link.put(&(height as u16).to_le_bytes());
        link.put(&[C::BITS, 0, 0, 0]);
        link
    }

    fn flush(&mut self) {
        self.close_pixels();
        if let (Some(out), false) = (self.out.as_mut(), self.failed) {
            if out.write(self.buf.get(..self.used).unwrap_or(&[])).is_err() {
                self.failed = true;
            }
        }
        self.used = 0;
    }

    fn put(&mut self, bytes: &[u8]) {
        if self.used + bytes.len() > BUF {
            let continuing = self.pixels.is_some();
            self.flush();
            if continuing {
                self.open_pixels();
            }
        }
        if let Some(dst) = self.buf.get_mut(self.used..self.used + bytes.len()) {
            dst.copy_from_slice(bytes);
            self.used += bytes.len();
        }
    }

    fn close_pixels(&mut self) {
        if let Some((at, n)) = self.pixels.take() {
            if let Some(dst) = self.buf.get_mut(at..at + 2) {
                dst.copy_from_slice(&n.to_le_bytes());
            }
        }
    }

    fn open_pixels(&mut self) {
        if self.used + 3 > BUF {
            self.flush();
        }
        let at = self.used + 1;
        self.put(&[0x2C, 0, 0]);
        self.pixels = Some((at, 0));
    }

    fn window(&mut self, x0: u32, x1: u32, y0: u32, y1: u32) {
        self.close_pixels();
        self.put(&[0x2A]);
        for v in [x0, x1, y0, y1] {
            self.put(&(v as u16).to_le_bytes());
        }
        self.open_pixels();
    }

    fn pixel(&mut self, c: C) {
        if self.pixels.is_some_and(|(_, n)| n == u16::MAX) || self.used + 2 > BUF {
            let cont = self.pixels.is_some();
            self.flush();
            if cont {
                self.open_pixels();
            }
        }
        self.put(&c.to_wire().to_le_bytes());
        if let Some((_, n)) = self.pixels.as_mut() {
            *n += 1;
        }
    }

    /// Marks the end of a frame and sends everything buffered.
    pub fn end_frame(&mut self) -> Result<(), StorageError> {
        self.close_pixels();
        self.next = None;
        self.put(&[0xF0]);
        self.flush();
        if self.failed {
            Err(StorageError::Io)
        } else {
            Ok(())
        }
    }

    /// Sends what is left and closes the file.
    pub fn close(&mut self) -> Result<(), StorageError> {
        self.flush();
        match self.out.take() {
            Some(f) if !self.failed => f.close(),
            _ => Err(StorageError::Io),
        }
    }
}

impl<C: PixelColor + LinkColor> OriginDimensions for SpiLink<C> {
    fn size(&self) -> Size {
        Size::new(self.width, self.height)
    }
}

impl<C: PixelColor + LinkColor> DrawTarget for SpiLink<C> {
    type Color = C;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<Self::Color>>,
    {
        for Pixel(p, c) in pixels {
            if p.x < 0 || p.y < 0 || p.x >= self.width as i32 || p.y >= self.height as i32 {
                continue;
            }
            if self.next != Some((p.x, p.y)) {
                // A new run: the window spans the rest of the row, as a controller's would.
                self.window(p.x as u32, self.width - 1, p.y as u32, p.y as u32);
            }
            self.pixel(c);
            self.next = (p.x + 1 < self.width as i32).then_some((p.x + 1, p.y));
        }
        Ok(())
    }

    fn fill_solid(&mut self, area: &Rectangle, color: Self::Color) -> Result<(), Self::Error> {
        let area = area.intersection(&self.bounding_box());
        let Some(br) = area.bottom_right() else {
            return Ok(());
        };
        self.window(
            area.top_left.x as u32,
            br.x as u32,
            area.top_left.y as u32,
            br.y as u32,
        );
        for _ in 0..area.size.width * area.size.height {
            self.pixel(color);
        }
        self.next = None;
        Ok(())
    }
}
