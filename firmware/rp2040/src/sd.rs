//! A microSD card on an SPI bus (a wired breakout), through `embedded-sdmmc`'s `SdCard`.
//!
//! SD cards take their start-up commands at 400 kHz at most; once the card has answered, the
//! bus goes to 16 MHz (every card in SPI mode takes 25). Whether a card is there at all is
//! asked first with one reset command (a card answers within 8 bytes): `embedded-sdmmc` waits
//! 10,000 bytes for an answer, 0.6 s at 400 kHz, which a board with an empty slot would spend
//! at every power-on before reading its bundle from flash.

use core::cell::Cell;
use core::convert::Infallible;

use embedded_hal::delay::DelayNs;
use embedded_hal::digital::OutputPin;
use embedded_hal::spi::SpiBus;
use embedded_hal_bus::spi::ExclusiveDevice;
use embedded_hal_nb::spi::FullDuplex;
use embedded_sdmmc::sdcard::spi::AcquireOpts;
use embedded_sdmmc::{Block, BlockCount, BlockDevice, BlockIdx, SdCard};

use crate::spi::StreamingSpi;

/// The bus's clock once the card has answered.
pub const FAST_HZ: u32 = 16_000_000;

/// Sets a bus's clock (the HAL's SPI, given the peripheral clock).
pub trait SetClock {
    /// Sets the clock to `hz` (or the nearest the divider allows).
    fn set_clock(&mut self, hz: u32);
}

/// Whether a card answers in the slot: the 74 clocks a card needs at power-on with its
/// select high, then a reset command (CMD0) and up to 16 bytes for the answer.
pub fn present<B, CS>(bus: &mut B, cs: &mut CS) -> bool
where
    B: SpiBus<u8, Error = Infallible>,
    CS: OutputPin<Error = Infallible>,
{
    let _ = cs.set_high();
    let _ = bus.write(&[0xFF; 10]);
    let _ = cs.set_low();
    // CMD0 with its CRC (the only command a card checks the CRC of before CMD59).
    let _ = bus.write(&[0x40, 0, 0, 0, 0, 0x95]);
    let mut answered = false;
    for _ in 0..16 {
        let mut b = [0xFF];
        let _ = bus.transfer_in_place(&mut b);
        if b[0] & 0x80 == 0 {
            answered = true;
            break;
        }
    }
    let _ = cs.set_high();
    let _ = bus.write(&[0xFF]);
    answered
}

/// The card, started slow and then run fast.
pub struct SpiCard<B, CS, D>
where
    B: SpiBus<u8, Error = Infallible> + FullDuplex<u8, Error = Infallible> + SetClock,
    CS: OutputPin<Error = Infallible>,
    D: DelayNs,
{
    sd: SdCard<ExclusiveDevice<StreamingSpi<B>, CS, embedded_hal_bus::spi::NoDelay>, D>,
    fast: Cell<bool>,
}

impl<B, CS, D> SpiCard<B, CS, D>
where
    B: SpiBus<u8, Error = Infallible> + FullDuplex<u8, Error = Infallible> + SetClock,
    CS: OutputPin<Error = Infallible>,
    D: DelayNs,
{
    /// The card on `bus` (already at 400 kHz) with its chip select.
    pub fn new(bus: B, cs: CS, delay: D) -> Self {
        let Ok(dev) = ExclusiveDevice::new_no_delay(StreamingSpi(bus), cs);
        let opts = AcquireOpts {
            use_crc: true,
            acquire_retries: 3,
        };
        SpiCard {
            sd: SdCard::new_with_options(dev, delay, opts),
            fast: Cell::new(false),
        }
    }

    fn ready(&self) -> Result<(), embedded_sdmmc::SdCardError> {
        if !self.fast.get() {
            // Any command starts the card up (at the slow clock).
            self.sd.num_bytes()?;
            self.sd.spi(|dev| dev.bus_mut().0.set_clock(FAST_HZ));
            self.fast.set(true);
        }
        Ok(())
    }
}

impl<B, CS, D> BlockDevice for SpiCard<B, CS, D>
where
    B: SpiBus<u8, Error = Infallible> + FullDuplex<u8, Error = Infallible> + SetClock,
    CS: OutputPin<Error = Infallible>,
    D: DelayNs,
{
    type Error = embedded_sdmmc::SdCardError;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), Self::Error> {
        self.ready()?;
        self.sd.read(blocks, start)
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), Self::Error> {
        self.ready()?;
        self.sd.write(blocks, start)
    }

    fn num_blocks(&self) -> Result<BlockCount, Self::Error> {
        self.ready()?;
        self.sd.num_blocks()
    }
}
