//! The few semihosting calls the firmware needs: command line, files.
#![allow(unsafe_code)]

use cortex_m_semihosting::{nr, syscall};
use fieldpack_format::StorageError;

/// How a file is opened.
pub enum Mode {
    /// `rb`.
    Read,
    /// `wb`.
    Write,
    /// `r+b`: read and write an existing file.
    ReadWrite,
}

/// An open host file.
pub struct File {
    handle: usize,
    len: u32,
}

/// The semihosting command line, in `buf`.
pub fn cmdline(buf: &mut [u8]) -> Option<&str> {
    let block = [buf.as_mut_ptr() as usize, buf.len() - 1];
    // SAFETY: the block names a writable buffer of the given length; the host writes the
    // command line (NUL-terminated) into it and its length into the block's second word.
    let r = unsafe { syscall(nr::GET_CMDLINE, &block) };
    if r != 0 {
        return None;
    }
    // SAFETY: the host may have written the block; read it back without assuming it did not.
    let len = unsafe { core::ptr::read_volatile(&block[1]) }.min(buf.len());
    core::str::from_utf8(buf.get(..len)?).ok()
}

impl File {
    /// Opens a host file; `None` when the host refuses.
    pub fn open(path: &str, mode: Mode) -> Option<File> {
        let mut name = [0u8; 256];
        let dst = name.get_mut(..path.len())?;
        dst.copy_from_slice(path.as_bytes());
        let mode = match mode {
            Mode::Read => nr::open::R_BINARY,
            Mode::Write => nr::open::W_TRUNC_BINARY,
            Mode::ReadWrite => nr::open::RW_BINARY,
        };
        // SAFETY: `name` is NUL-terminated (zeroed past the path) and lives across the call.
        let handle = unsafe { syscall!(OPEN, name.as_ptr(), mode, path.len()) };
        if handle == usize::MAX {
            return None;
        }
        // SAFETY: FLEN takes the handle just returned.
        let len = unsafe { syscall!(FLEN, handle) };
        Some(File {
            handle,
            len: if len == usize::MAX { 0 } else { len as u32 },
        })
    }

    /// Length of the file when it was opened.
    pub fn len(&self) -> u32 {
        self.len
    }

    /// Reads `buf.len()` bytes at `offset`, whole or not at all.
    pub fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError> {
        let end = offset
            .checked_add(buf.len() as u32)
            .ok_or(StorageError::OutOfBounds)?;
        if end > self.len {
            return Err(StorageError::OutOfBounds);
        }
        // SAFETY: SEEK takes the open handle and a position inside the file.
        if unsafe { syscall!(SEEK, self.handle, offset) } != 0 {
            return Err(StorageError::Io);
        }
        // SAFETY: READ writes at most `buf.len()` bytes into `buf`.
        let missing = unsafe { syscall!(READ, self.handle, buf.as_mut_ptr(), buf.len()) };
        if missing != 0 {
            return Err(StorageError::Io);
        }
        Ok(())
    }

    /// Writes all of `data` at `offset` (inside the file).
    pub fn write_at(&mut self, offset: u32, data: &[u8]) -> Result<(), StorageError> {
        let end = offset
            .checked_add(data.len() as u32)
            .ok_or(StorageError::OutOfBounds)?;
        if end > self.len {
            return Err(StorageError::OutOfBounds);
        }
        // SAFETY: SEEK takes the open handle and a position inside the file.
        if unsafe { syscall!(SEEK, self.handle, offset) } != 0 {
            return Err(StorageError::Io);
        }
        self.write(data)
    }

    /// Writes all of `data`.
    pub fn write(&mut self, data: &[u8]) -> Result<(), StorageError> {
        // SAFETY: WRITE reads `data.len()` bytes from `data`.
        let missing = unsafe { syscall!(WRITE, self.handle, data.as_ptr(), data.len()) };
        if missing != 0 {
            return Err(StorageError::Io);
        }
        Ok(())
    }

    /// Closes the file.
    pub fn close(self) -> Result<(), StorageError> {
        // SAFETY: CLOSE takes the open handle, which is not used again.
        if unsafe { syscall!(CLOSE, self.handle) } != 0 {
            return Err(StorageError::Io);
        }
        Ok(())
    }
}
