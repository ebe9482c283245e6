//! The three kinds of panel the Pico boards carry, each as a `fieldpack_device::Board`: how a
//! drawn frame reaches the glass and how the panel saves power. Pins and buses are the
//! binaries' (`src/bin/`).

use embedded_graphics::pixelcolor::{BinaryColor, Rgb565};
use embedded_graphics::prelude::*;
use embedded_graphics::primitives::Rectangle;
use embedded_hal::digital::{InputPin, OutputPin};
use embedded_hal::pwm::SetDutyCycle;
use embedded_hal::spi::SpiDevice;
use epd_waveshare::color::Color as Ink;
use epd_waveshare::epd2in9_v2::{Display2in9, Epd2in9};
use epd_waveshare::prelude::{QuickRefresh, WaveshareDisplay};
use fieldpack_device::{Bands, Board, Power, Wake};
use mipidsi::interface::Interface as MipiInterface;
use mipidsi::models::ST7789;
use ssd1306::mode::BufferedGraphicsMode;
use ssd1306::prelude::{Brightness, DisplaySize128x64, WriteOnlyDataCommand};
use ssd1306::Ssd1306;

use crate::delay::SleepDelay;
use crate::keys::Keys;

/// A 128x64 SSD1306 OLED on I2C, drawn into the driver's 1 KiB buffer and sent on `present`
/// (the driver sends only the columns and pages that changed).
pub struct Oled<DI, const N: usize> {
    /// The driver, in buffered mode.
    pub display: Ssd1306<DI, DisplaySize128x64, BufferedGraphicsMode<DisplaySize128x64>>,
    /// The buttons.
    pub keys: Keys<N>,
}

impl<DI: WriteOnlyDataCommand, const N: usize> Board for Oled<DI, N> {
    type Color = BinaryColor;
    type Display = Ssd1306<DI, DisplaySize128x64, BufferedGraphicsMode<DisplaySize128x64>>;
    type Error = display_interface::DisplayError;

    fn display(&mut self) -> &mut Self::Display {
        &mut self.display
    }

    fn present(&mut self) -> Result<(), Self::Error> {
        self.display.flush()
    }

    fn wait(&mut self, timeout_ms: Option<u32>) -> Wake {
        self.keys.wait(timeout_ms)
    }

    fn set_power(&mut self, power: Power) {
        // An OLED's current is its lit pixels': dimming lowers the contrast current, off puts
        // the controller to sleep (its memory, and so the page, kept).
        let _ = match power {
            Power::On => self
                .display
                .set_brightness(Brightness::NORMAL)
                .and_then(|_| self.display.set_display_on(true)),
            Power::Dim => self.display.set_brightness(Brightness::DIMMEST),
            Power::Off => self.display.set_display_on(false),
        };
    }
}

/// An ST7789 LCD on SPI (Pimoroni Pico Display Packs), drawn through a band of 16 rows in RAM
/// (`fieldpack_device::Bands`: each pixel sent once, where a frame buffer would take 150 KiB).
pub struct Lcd<DI: MipiInterface<Word = u8>, BL, const N: usize> {
    /// The driver, behind the band.
    pub display: Bands<'static, mipidsi::Display<DI, ST7789, mipidsi::NoResetPin>>,
    /// The backlight, dimmed by PWM.
    pub backlight: BL,
    /// The buttons.
    pub keys: Keys<N>,
    /// Sleeps for the panel's wake-up.
    pub delay: SleepDelay,
}

impl<DI, BL, const N: usize> Board for Lcd<DI, BL, N>
where
    DI: MipiInterface<Word = u8>,
    BL: SetDutyCycle,
{
    type Color = Rgb565;
    type Display = Bands<'static, mipidsi::Display<DI, ST7789, mipidsi::NoResetPin>>;
    type Error = DI::Error;

    fn display(&mut self) -> &mut Self::Display {
        &mut self.display
    }

    fn present(&mut self) -> Result<(), Self::Error> {
        self.display.finish()
    }

    fn wait(&mut self, timeout_ms: Option<u32>) -> Wake {
        self.keys.wait(timeout_ms)
    }

    fn set_power(&mut self, power: Power) {
        // The backlight is most of an LCD's current: a fifth of it when dim, none when off,
        // with the controller asleep (its memory, and so the page, kept for waking).
        match power {
            Power::On => {
                if self.display.inner().is_sleeping() {
                    let _ = self.display.inner().wake(&mut self.delay);
                }
                let _ = self.backlight.set_duty_cycle_fully_on();
            }
            Power::Dim => {
                let _ = self.backlight.set_duty_cycle_fraction(1, 5);
            }
            Power::Off => {
                let _ = self.backlight.set_duty_cycle_fully_off();
                let _ = self.display.inner().sleep(&mut self.delay);
            }
        }
    }
}

/// Page turns between full refreshes of the e-paper panel.
///
/// A partial refresh drives only the pixels that change and is fast and calm, but each leaves
/// a faint trace of the last page (ghosting) that builds up; a full refresh (the panel
/// flashing black and white) clears it. Waveshare's notes for its 2.9" panels ask for a full
/// refresh after several partial ones; every 8th turn keeps the page clean while a reader
/// paging through an article sees the flash about once per 8 pages. Not tuned on a real
/// panel: no one here has one.
pub const FULL_REFRESH_EVERY: u32 = 8;

/// The frame drawn for the e-paper panel, in the reader's colours (on = ink).
pub struct Canvas(pub &'static mut Display2in9);

impl OriginDimensions for Canvas {
    fn size(&self) -> Size {
        self.0.size()
    }
}

impl DrawTarget for Canvas {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;

    fn draw_iter<I>(&mut self, pixels: I) -> Result<(), Self::Error>
    where
        I: IntoIterator<Item = Pixel<BinaryColor>>,
    {
        self.0
            .draw_iter(pixels.into_iter().map(|Pixel(p, c)| Pixel(p, Ink::from(c))))
    }

    fn fill_solid(&mut self, area: &Rectangle, color: BinaryColor) -> Result<(), Self::Error> {
        self.0.fill_solid(area, Ink::from(color))
    }
}

/// A Waveshare 2.9" e-paper panel (SSD1680 controller) on SPI, drawn into a 4.7 KiB frame and
/// refreshed on `present`: partially on page turns, fully every [`FULL_REFRESH_EVERY`] and
/// after the controller slept. Between turns the controller sleeps and the page stays on the
/// panel without power.
pub struct Paper<SPI, BUSY, DC, RST, const N: usize> {
    /// The driver.
    pub epd: Epd2in9<SPI, BUSY, DC, RST, SleepDelay>,
    /// The SPI bus with the panel's chip select.
    pub spi: SPI,
    /// The frame.
    pub canvas: Canvas,
    /// The buttons.
    pub keys: Keys<N>,
    /// Sleeps while the panel is busy.
    pub delay: SleepDelay,
    /// Partial refreshes since the last full one (`None`: the next must be full).
    pub partials: Option<u32>,
    /// Whether the controller is in deep sleep.
    pub asleep: bool,
}

impl<SPI, BUSY, DC, RST, const N: usize> Board for Paper<SPI, BUSY, DC, RST, N>
where
    SPI: SpiDevice,
    BUSY: InputPin,
    DC: OutputPin,
    RST: OutputPin,
{
    type Color = BinaryColor;
    type Display = Canvas;
    type Error = SPI::Error;

    fn display(&mut self) -> &mut Self::Display {
        &mut self.canvas
    }

    fn present(&mut self) -> Result<(), Self::Error> {
        if self.asleep {
            self.epd.wake_up(&mut self.spi, &mut self.delay)?;
            self.asleep = false;
            self.partials = None;
        }
        let buffer = self.canvas.0.buffer();
        match self.partials {
            Some(n) if n + 1 < FULL_REFRESH_EVERY => {
                self.epd
                    .update_and_display_new_frame(&mut self.spi, buffer, &mut self.delay)?;
                self.partials = Some(n + 1);
            }
            _ => {
                self.epd
                    .update_and_display_frame(&mut self.spi, buffer, &mut self.delay)?;
                // The base the next partial refreshes change from.
                self.epd
                    .update_old_frame(&mut self.spi, buffer, &mut self.delay)?;
                self.partials = Some(0);
            }
        }
        Ok(())
    }

    fn wait(&mut self, timeout_ms: Option<u32>) -> Wake {
        self.keys.wait(timeout_ms)
    }

    fn set_power(&mut self, power: Power) {
        // The page stays without power; only the controller's sleep matters.
        if power == Power::Off && !self.asleep {
            self.asleep = self.epd.sleep(&mut self.spi, &mut self.delay).is_ok();
        }
    }
}
