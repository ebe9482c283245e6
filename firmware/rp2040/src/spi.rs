//! The SPI bus as the display drivers use it, with writes that keep the transmit FIFO full.
//!
//! The HAL's blocking `SpiBus::write` waits for each byte to come back on the receive side
//! before sending the next, so a byte takes its time on the wire plus the loop's: at 62.5 MHz
//! about 36 core cycles where the wire needs 16, and a 320x240 frame 44 ms instead of 20.
//! Writing through the HAL's non-blocking `FullDuplex::write` instead, and draining what came
//! back once at the end, lets the FIFO (8 deep) run at the wire's pace. Reads and transfers
//! are the HAL's own.

use core::convert::Infallible;

use embedded_hal::spi::{ErrorType, SpiBus};
use embedded_hal_nb::spi::FullDuplex;

/// An SPI bus whose writes stream.
pub struct StreamingSpi<B>(pub B);

/// The HAL's SPI controller with the peripheral clock it runs from, so that its bus clock can
/// be changed (an SD card starts slow and then runs fast).
pub struct ClockedSpi<S> {
    /// The controller.
    pub spi: S,
    /// The peripheral clock.
    pub peri_hz: u32,
}

impl<B: SpiBus<u8, Error = Infallible> + FullDuplex<u8, Error = Infallible>> ErrorType
    for StreamingSpi<B>
{
    type Error = Infallible;
}

impl<B: SpiBus<u8, Error = Infallible> + FullDuplex<u8, Error = Infallible>> SpiBus<u8>
    for StreamingSpi<B>
{
    fn read(&mut self, words: &mut [u8]) -> Result<(), Infallible> {
        SpiBus::read(&mut self.0, words)
    }

    fn write(&mut self, words: &[u8]) -> Result<(), Infallible> {
        for &w in words {
            // The receive FIFO overflows while we do not read it: the controller then drops
            // what comes in (and sets a flag no interrupt listens to), and keeps sending.
            while FullDuplex::write(&mut self.0, w).is_err() {}
        }
        SpiBus::flush(&mut self.0)?;
        while FullDuplex::read(&mut self.0).is_ok() {}
        Ok(())
    }

    fn transfer(&mut self, read: &mut [u8], write: &[u8]) -> Result<(), Infallible> {
        SpiBus::transfer(&mut self.0, read, write)
    }

    fn transfer_in_place(&mut self, words: &mut [u8]) -> Result<(), Infallible> {
        SpiBus::transfer_in_place(&mut self.0, words)
    }

    fn flush(&mut self) -> Result<(), Infallible> {
        SpiBus::flush(&mut self.0)
    }
}

/// An SPI controller that can also send 16-bit frames: an RGB565 pixel goes into the FIFO in
/// one write, most significant bit first on the wire as the panel expects it.
///
/// Byte by byte, feeding the FIFO took the core about 31 cycles a byte where the wire at
/// 62.5 MHz takes 16, so the core, not the bus, set the pace of a frame (a 320x240 frame
/// 38 ms, not 20); a frame a pixel costs half the writes and status polls.
pub trait WideFrames {
    /// Sends 16-bit frames (`true`) or 8-bit ones from now on; only with the FIFOs drained.
    fn set_wide(&mut self, wide: bool);
    /// Puts one 16-bit frame into the transmit FIFO, waiting while it is full.
    fn put_wide(&mut self, frame: u16);
}

/// The LCD packs' display interface for `mipidsi`: SPI with a data/command pin and a chip
/// select held for each command and its data. Pixels go straight into the transmit FIFO as
/// `mipidsi` converts them, a 16-bit frame each, where its own `SpiInterface` first copies
/// them into a buffer and then writes the buffer: at a band of 5,120 pixels a flush, that
/// copy was a third of a page turn's core time.
pub struct LcdBus<B, DC, CS> {
    bus: StreamingSpi<B>,
    dc: DC,
    cs: CS,
}

impl<B, DC, CS> LcdBus<B, DC, CS>
where
    B: SpiBus<u8, Error = Infallible> + FullDuplex<u8, Error = Infallible> + WideFrames,
    DC: embedded_hal::digital::OutputPin<Error = Infallible>,
    CS: embedded_hal::digital::OutputPin<Error = Infallible>,
{
    /// The interface over `bus`, with its D/C and chip select pins (select driven high now).
    pub fn new(bus: B, dc: DC, mut cs: CS) -> Self {
        let _ = cs.set_high();
        LcdBus {
            bus: StreamingSpi(bus),
            dc,
            cs,
        }
    }

    fn put(&mut self, byte: u8) {
        while FullDuplex::write(&mut self.bus.0, byte).is_err() {}
    }

    /// Waits for the last byte to leave and drops what came back.
    fn drain(&mut self) {
        let _ = SpiBus::flush(&mut self.bus.0);
        while FullDuplex::read(&mut self.bus.0).is_ok() {}
    }
}

impl<B, DC, CS> mipidsi::interface::Interface for LcdBus<B, DC, CS>
where
    B: SpiBus<u8, Error = Infallible> + FullDuplex<u8, Error = Infallible> + WideFrames,
    DC: embedded_hal::digital::OutputPin<Error = Infallible>,
    CS: embedded_hal::digital::OutputPin<Error = Infallible>,
{
    type Word = u8;
    type Error = Infallible;

    const KIND: mipidsi::interface::InterfaceKind = mipidsi::interface::InterfaceKind::Serial4Line;

    fn send_command(&mut self, command: u8, args: &[u8]) -> Result<(), Infallible> {
        self.cs.set_low()?;
        self.dc.set_low()?;
        self.put(command);
        // D/C is sampled with each byte's last bit: the command must be out before it flips.
        self.drain();
        self.dc.set_high()?;
        for &a in args {
            self.put(a);
        }
        self.drain();
        self.cs.set_high()
    }

    fn send_pixels<const N: usize>(
        &mut self,
        pixels: impl IntoIterator<Item = [u8; N]>,
    ) -> Result<(), Infallible> {
        self.cs.set_low()?;
        if N == 2 {
            self.bus.0.set_wide(true);
            for p in pixels {
                if let [hi, lo] = p.as_slice() {
                    self.bus.0.put_wide(u16::from_be_bytes([*hi, *lo]));
                }
            }
            self.drain();
            self.bus.0.set_wide(false);
        } else {
            for p in pixels {
                for b in p {
                    self.put(b);
                }
            }
            self.drain();
        }
        self.cs.set_high()
    }

    fn send_repeated_pixel<const N: usize>(
        &mut self,
        pixel: [u8; N],
        count: u32,
    ) -> Result<(), Infallible> {
        self.cs.set_low()?;
        if let [hi, lo] = pixel.as_slice() {
            let frame = u16::from_be_bytes([*hi, *lo]);
            self.bus.0.set_wide(true);
            for _ in 0..count {
                self.bus.0.put_wide(frame);
            }
            self.drain();
            self.bus.0.set_wide(false);
        } else {
            for _ in 0..count {
                for &b in &pixel {
                    self.put(b);
                }
            }
            self.drain();
        }
        self.cs.set_high()
    }
}

macro_rules! wide {
    ($($spi:ident),*) => {$(
        impl<P> WideFrames for rp2040_hal::spi::Spi<rp2040_hal::spi::Enabled, rp2040_hal::pac::$spi, P, 8>
        where
            P: rp2040_hal::spi::ValidSpiPinout<rp2040_hal::pac::$spi>,
        {
            fn set_wide(&mut self, wide: bool) {
                // SAFETY: this `Spi` owns the controller (the HAL gives no access to its
                // registers); only the frame size changes, to a value the controller
                // accepts (DSS = bits - 1), between transfers. The HAL's 8-bit reads and
                // writes are used only with the size set back to 8.
                #[allow(unsafe_code)]
                unsafe {
                    (*rp2040_hal::pac::$spi::ptr())
                        .sspcr0()
                        .modify(|_, w| w.dss().bits(if wide { 15 } else { 7 }));
                }
            }
            fn put_wide(&mut self, frame: u16) {
                // SAFETY: as above; the data register takes any 16-bit value.
                #[allow(unsafe_code)]
                unsafe {
                    let regs = &*rp2040_hal::pac::$spi::ptr();
                    while regs.sspsr().read().tnf().bit_is_clear() {}
                    regs.sspdr().write(|w| w.data().bits(frame));
                }
            }
        }
    )*};
}

wide!(SPI0, SPI1);

macro_rules! clocked {
    ($($spi:ident),*) => {$(
        impl<P> ErrorType for ClockedSpi<rp2040_hal::spi::Spi<rp2040_hal::spi::Enabled, rp2040_hal::pac::$spi, P, 8>>
        where
            P: rp2040_hal::spi::ValidSpiPinout<rp2040_hal::pac::$spi>,
        {
            type Error = Infallible;
        }

        impl<P> SpiBus<u8> for ClockedSpi<rp2040_hal::spi::Spi<rp2040_hal::spi::Enabled, rp2040_hal::pac::$spi, P, 8>>
        where
            P: rp2040_hal::spi::ValidSpiPinout<rp2040_hal::pac::$spi>,
        {
            fn read(&mut self, words: &mut [u8]) -> Result<(), Infallible> {
                SpiBus::read(&mut self.spi, words)
            }
            fn write(&mut self, words: &[u8]) -> Result<(), Infallible> {
                SpiBus::write(&mut self.spi, words)
            }
            fn transfer(&mut self, read: &mut [u8], write: &[u8]) -> Result<(), Infallible> {
                SpiBus::transfer(&mut self.spi, read, write)
            }
            fn transfer_in_place(&mut self, words: &mut [u8]) -> Result<(), Infallible> {
                SpiBus::transfer_in_place(&mut self.spi, words)
            }
            fn flush(&mut self) -> Result<(), Infallible> {
                SpiBus::flush(&mut self.spi)
            }
        }

        impl<P> FullDuplex<u8> for ClockedSpi<rp2040_hal::spi::Spi<rp2040_hal::spi::Enabled, rp2040_hal::pac::$spi, P, 8>>
        where
            P: rp2040_hal::spi::ValidSpiPinout<rp2040_hal::pac::$spi>,
        {
            fn read(&mut self) -> nb::Result<u8, Infallible> {
                FullDuplex::read(&mut self.spi)
            }
            fn write(&mut self, word: u8) -> nb::Result<(), Infallible> {
                FullDuplex::write(&mut self.spi, word)
            }
        }

        impl<P> crate::sd::SetClock for ClockedSpi<rp2040_hal::spi::Spi<rp2040_hal::spi::Enabled, rp2040_hal::pac::$spi, P, 8>>
        where
            P: rp2040_hal::spi::ValidSpiPinout<rp2040_hal::pac::$spi>,
        {
            fn set_clock(&mut self, hz: u32) {
                use rp2040_hal::fugit::RateExtU32;
                self.spi.set_baudrate(self.peri_hz.Hz(), hz.Hz());
            }
        }
    )*};
}

clocked!(SPI0, SPI1);
