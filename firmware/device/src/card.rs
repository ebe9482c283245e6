//! Bundles on a microSD card: the `.fpk` files in the root folder of its FAT volume (FAT16 or
//! FAT32, through `embedded-sdmmc`), listed as a shelf, and one of them read in blocks as the
//! reader's storage.
//!
//! A board gives the card as an `embedded-sdmmc` `BlockDevice` (on a Pico, `SdCard` on an SPI
//! bus); the simulator and the tests give a file holding a card's image.

use core::ops::ControlFlow;

use embedded_sdmmc::{
    BlockDevice, LfnBuffer, Mode, RawDirectory, RawFile, ShortFileName, TimeSource, Timestamp,
    VolumeIdx, VolumeManager,
};
use fieldpack_format::{Storage, StorageError};

/// Bundles a shelf lists at most (a card's root folder may hold more; the first in name order
/// are shown).
pub const SHELF_MAX: usize = 16;

/// Characters of a bundle's name kept for the shelf.
pub const NAME_MAX: usize = 40;

/// A card's clock for `embedded-sdmmc`: the reader never writes to the card, so file times
/// never matter.
pub struct NoClock;

impl TimeSource for NoClock {
    fn get_timestamp(&self) -> Timestamp {
        Timestamp {
            year_since_1970: 0,
            zero_indexed_month: 0,
            zero_indexed_day: 0,
            hours: 0,
            minutes: 0,
            seconds: 0,
        }
    }
}

/// Why a card could not be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CardError {
    /// No FAT volume (or an unreadable one) on the card.
    NoVolume,
    /// The card could not be read.
    Io,
    /// The file is gone or could not be opened.
    NoFile,
}

/// One bundle on the card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShelfEntry {
    /// Its name as the card shows it (the long name where there is one).
    pub name: heapless::String<NAME_MAX>,
    /// Its 8.3 name, to open it by.
    pub short: ShortFileName,
    /// Its size in bytes.
    pub size: u32,
}

/// A card's FAT volume, its root folder open.
pub struct Card<D: BlockDevice> {
    vm: VolumeManager<D, NoClock, 1, 1, 1>,
    root: RawDirectory,
}

impl<D: BlockDevice> Card<D> {
    /// Opens the first FAT volume of the card.
    pub fn open(device: D) -> Result<Self, CardError> {
        let vm = VolumeManager::new_with_limits(device, NoClock, 5000);
        let volume = vm
            .open_raw_volume(VolumeIdx(0))
            .map_err(|_| CardError::NoVolume)?;
        let root = vm.open_root_dir(volume).map_err(|_| CardError::NoVolume)?;
        Ok(Card { vm, root })
    }

    /// The bundles in the root folder (files ending `.fpk`, any case), sorted by name.
    pub fn shelf(&self) -> Result<heapless::Vec<ShelfEntry, SHELF_MAX>, CardError> {
        let mut out: heapless::Vec<ShelfEntry, SHELF_MAX> = heapless::Vec::new();
        let mut lfn = [0u8; 3 * NAME_MAX];
        let mut lfn = LfnBuffer::new(&mut lfn);
        self.vm
            .iterate_dir_lfn(self.root, &mut lfn, |entry, long| {
                let a = entry.attributes;
                let bundle = entry.name.extension().eq_ignore_ascii_case(b"FPK");
                if a.is_directory() || a.is_volume() || a.is_hidden() || !bundle {
                    return ControlFlow::Continue(());
                }
                let mut name: heapless::String<NAME_MAX> = heapless::String::new();
                match long {
                    Some(l) if !l.is_empty() => {
                        for c in l.chars() {
                            if name.push(c).is_err() {
                                break;
                            }
                        }
                    }
                    _ => {
                        let _ = core::fmt::write(&mut name, format_args!("{}", entry.name));
                    }
                }
                let e = ShelfEntry {
                    name,
                    short: entry.name,
                    size: entry.size,
                };
                // Keep the first SHELF_MAX in name order, whatever the folder's order.
                if out.is_full() {
                    if out.last().is_some_and(|last| e.name < last.name) {
                        out.pop();
                    } else {
                        return ControlFlow::Continue(());
                    }
                }
                let at = out
                    .iter()
                    .position(|o| e.name < o.name)
                    .unwrap_or(out.len());
                let _ = out.insert(at, e);
                ControlFlow::Continue(())
            })
            .map_err(|_| CardError::Io)?;
        Ok(out)
    }

    /// Opens a bundle of the shelf for reading (one at a time: opening another closes it).
    pub fn open_bundle(&self, entry: &ShelfEntry) -> Result<CardFile<'_, D>, CardError> {
        let file = self
            .vm
            .open_file_in_dir(self.root, entry.short, Mode::ReadOnly)
            .map_err(|_| CardError::NoFile)?;
        let len = self.vm.file_length(file).map_err(|_| CardError::Io)?;
        Ok(CardFile {
            card: self,
            file,
            len,
        })
    }
}

/// A bundle on the card, read in blocks.
pub struct CardFile<'c, D: BlockDevice> {
    card: &'c Card<D>,
    file: RawFile,
    len: u32,
}

impl<D: BlockDevice> Drop for CardFile<'_, D> {
    fn drop(&mut self) {
        let _ = self.card.vm.close_file(self.file);
    }
}

impl<D: BlockDevice> Storage for CardFile<'_, D> {
    fn len(&self) -> u32 {
        self.len
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError> {
        let end = offset
            .checked_add(buf.len() as u32)
            .ok_or(StorageError::OutOfBounds)?;
        if end > self.len {
            return Err(StorageError::OutOfBounds);
        }
        let vm = &self.card.vm;
        vm.file_seek_from_start(self.file, offset)
            .map_err(|_| StorageError::Io)?;
        let mut done = 0;
        while done < buf.len() {
            let rest = buf.get_mut(done..).ok_or(StorageError::Io)?;
            let n = vm.read(self.file, rest).map_err(|_| StorageError::Io)?;
            if n == 0 {
                return Err(StorageError::Io);
            }
            done += n;
        }
        Ok(())
    }
}
