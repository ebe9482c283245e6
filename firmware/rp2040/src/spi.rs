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
