//! A flash region held in RAM, with NOR flash's rules: erasing sets a whole page to `0xFF`,
//! writing can only clear bits. The simulator keeps the device's state region in one, as the
//! raw bytes of the region (a file a device's flash could be dumped to or loaded from).

use embedded_storage_async::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};

/// Bytes a page is erased in (the RP2040's flash sector, and a common NOR sector).
pub const PAGE: usize = 4096;

/// Bytes written at a time (a word).
pub const WORD: usize = 4;

/// A NOR flash region over bytes in RAM.
pub struct ImageFlash<'a> {
    bytes: &'a mut [u8],
}

/// An access outside the region or not aligned to a word or a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlashError(NorFlashErrorKind);

impl NorFlashError for FlashError {
    fn kind(&self) -> NorFlashErrorKind {
        self.0
    }
}

impl<'a> ImageFlash<'a> {
    /// A region over `bytes` (a whole number of pages).
    pub fn new(bytes: &'a mut [u8]) -> Self {
        ImageFlash { bytes }
    }

    fn range(&mut self, offset: u32, len: usize) -> Result<&mut [u8], FlashError> {
        let start = offset as usize;
        let end = start
            .checked_add(len)
            .ok_or(FlashError(NorFlashErrorKind::OutOfBounds))?;
        self.bytes
            .get_mut(start..end)
            .ok_or(FlashError(NorFlashErrorKind::OutOfBounds))
    }
}

impl ErrorType for ImageFlash<'_> {
    type Error = FlashError;
}

impl ReadNorFlash for ImageFlash<'_> {
    const READ_SIZE: usize = 1;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        let src = self.range(offset, bytes.len())?;
        bytes.copy_from_slice(src);
        Ok(())
    }

    fn capacity(&self) -> usize {
        self.bytes.len()
    }
}

impl NorFlash for ImageFlash<'_> {
    const WRITE_SIZE: usize = WORD;
    const ERASE_SIZE: usize = PAGE;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        if !(from as usize).is_multiple_of(PAGE) || !(to as usize).is_multiple_of(PAGE) || to < from
        {
            return Err(FlashError(NorFlashErrorKind::NotAligned));
        }
        self.range(from, (to - from) as usize)?.fill(0xFF);
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        if !(offset as usize).is_multiple_of(WORD) || !bytes.len().is_multiple_of(WORD) {
            return Err(FlashError(NorFlashErrorKind::NotAligned));
        }
        // NOR flash only clears bits: what is written is ANDed into what is there.
        for (d, s) in self.range(offset, bytes.len())?.iter_mut().zip(bytes) {
            *d &= *s;
        }
        Ok(())
    }
}

/// Writing a word again clears only more bits, as NOR flash does.
impl MultiwriteNorFlash for ImageFlash<'_> {}
