//! Where a bundle's bytes come from: memory-mapped flash, an SD card, a file.

use crate::error::StorageError;

/// Random-access, read-only bytes of one bundle.
///
/// Readers never need the whole bundle in RAM: every access is a `read_at` of a few bytes to a
/// few hundred bytes into a caller's buffer.
pub trait Storage {
    /// The number of bytes stored.
    fn len(&self) -> u32;

    /// Whether no bytes are stored.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Fills `buf` with the bytes starting at `offset`, or fails without a partial result.
    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError>;
}

/// A bundle that is already addressable memory (flash mapped into the address space, a test
/// vector): reads copy straight from it, nothing else is held.
impl Storage for &[u8] {
    fn len(&self) -> u32 {
        u32::try_from(<[u8]>::len(self)).unwrap_or(u32::MAX)
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError> {
        let start = usize::try_from(offset).map_err(|_| StorageError::OutOfBounds)?;
        let end = start
            .checked_add(buf.len())
            .ok_or(StorageError::OutOfBounds)?;
        let src = self.get(start..end).ok_or(StorageError::OutOfBounds)?;
        buf.copy_from_slice(src);
        Ok(())
    }
}

impl<S: Storage + ?Sized> Storage for &mut S {
    fn len(&self) -> u32 {
        (**self).len()
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError> {
        (**self).read_at(offset, buf)
    }
}
