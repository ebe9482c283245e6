//! The board's state region: the lm3s6965's flash controller is not emulated by QEMU, so the
//! region is a host file (the same raw image `fieldpack sim --state` uses) reached through
//! semihosting, with NOR flash's rules kept here: erasing sets a page to `0xFF`, writing only
//! clears bits. On a real board the same `Keeper` writes the chip's own flash.

use embedded_storage_async::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

use crate::semi;

/// Bytes erased at once.
const PAGE: usize = 4096;
/// Bytes written at once.
const WORD: usize = 4;

/// The state region in a host file.
pub struct StateFlash {
    file: semi::File,
}

/// A semihosting read or write failed, or an access was out of the region or misaligned.
#[derive(Debug)]
pub struct StateFlashError(NorFlashErrorKind);

impl NorFlashError for StateFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        self.0
    }
}

impl StateFlash {
    /// The region in an open host file.
    pub fn new(file: semi::File) -> Self {
        StateFlash { file }
    }

    /// Bytes in the region.
    pub fn len(&self) -> u32 {
        self.file.len()
    }
}

fn io(_: fieldpack_format::StorageError) -> StateFlashError {
    StateFlashError(NorFlashErrorKind::Other)
}

impl ErrorType for StateFlash {
    type Error = StateFlashError;
}

impl ReadNorFlash for StateFlash {
    const READ_SIZE: usize = 1;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        self.file.read_at(offset, bytes).map_err(io)
    }

    fn capacity(&self) -> usize {
        self.file.len() as usize
    }
}

impl NorFlash for StateFlash {
    const WRITE_SIZE: usize = WORD;
    const ERASE_SIZE: usize = PAGE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        if !(from as usize).is_multiple_of(PAGE) || !(to as usize).is_multiple_of(PAGE) {
            return Err(StateFlashError(NorFlashErrorKind::NotAligned));
        }
        let erased = [0xFFu8; 256];
        let mut at = from;
        while at < to {
            self.file.write_at(at, &erased).map_err(io)?;
            at += erased.len() as u32;
        }
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        if !(offset as usize).is_multiple_of(WORD) || !bytes.len().is_multiple_of(WORD) {
            return Err(StateFlashError(NorFlashErrorKind::NotAligned));
        }
        // Only clears bits: what is there, ANDed with what is written, a piece at a time.
        let mut piece = [0u8; 64];
        for (i, src) in bytes.chunks(piece.len()).enumerate() {
            let at = offset + (i * piece.len()) as u32;
            let dst = piece.get_mut(..src.len()).unwrap_or(&mut []);
            self.file.read_at(at, dst).map_err(io)?;
            for (d, s) in dst.iter_mut().zip(src) {
                *d &= *s;
            }
            self.file.write_at(at, dst).map_err(io)?;
        }
        Ok(())
    }
}

impl MultiwriteNorFlash for StateFlash {}
