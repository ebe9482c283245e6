//! Bundles on a microSD card: the `.fpk` files in the root folder of its FAT volume (FAT16 or
//! FAT32, through `embedded-sdmmc`), listed as a shelf, and one of them read in blocks as the
//! reader's storage.
//!
//! A board gives the card as an `embedded-sdmmc` `BlockDevice` (on a Pico, `SdCard` on an SPI
//! bus); the simulator and the tests give a file holding a card's image.

use core::cell::RefCell;
use core::ops::ControlFlow;

use embedded_sdmmc::{
    Block, BlockCount, BlockDevice, BlockIdx, LfnBuffer, Mode, RawDirectory, RawFile,
    ShortFileName, TimeSource, Timestamp, VolumeIdx, VolumeManager,
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

/// Blocks kept in RAM (4.5 KiB). Nine, not ten since format 9: the e-paper board reading a card
/// was 16 bytes past its 64 KiB with ten once anti-aliased glyphs came (twelve until format 5).
pub const CACHED_BLOCKS: usize = 9;

/// The last [`CACHED_BLOCKS`] blocks read from a card, which a board keeps in a static
/// (moved around on the stack it would be copied with the card it belongs to).
pub struct BlockCache {
    /// (block index, block, last use); index `u32::MAX`: empty.
    slots: [(u32, Block, u32); CACHED_BLOCKS],
    clock: u32,
}

impl BlockCache {
    /// An empty cache.
    pub fn new() -> Self {
        BlockCache {
            slots: core::array::from_fn(|_| (u32::MAX, Block::new(), 0)),
            clock: 0,
        }
    }
}

impl Default for BlockCache {
    fn default() -> Self {
        Self::new()
    }
}

/// The card's blocks, the last [`CACHED_BLOCKS`] read kept in RAM.
///
/// `embedded-sdmmc` keeps one block; reading a bundle asks for the FAT's block (to find where
/// the file's clusters are) and data blocks in turn, many small reads apiece (glyphs looked up
/// by binary search), so with one block kept opening a Korean article read 17,000 blocks, 8 s at
/// 16 MHz; with 8 kept, 3,257; with 12, 679; with 16, 178 (a card session of `tests/pico.rs` in
/// rp2040js). 12 (6 KiB) keeps the e-paper board under 64 KiB of RAM.
pub struct CachedBlocks<'c, D: BlockDevice> {
    inner: D,
    cache: RefCell<&'c mut BlockCache>,
}

impl<'c, D: BlockDevice> CachedBlocks<'c, D> {
    /// `inner`'s blocks, cached in `cache`.
    pub fn new(inner: D, cache: &'c mut BlockCache) -> Self {
        for s in cache.slots.iter_mut() {
            s.0 = u32::MAX;
        }
        CachedBlocks {
            inner,
            cache: RefCell::new(cache),
        }
    }
}

impl<D: BlockDevice> BlockDevice for CachedBlocks<'_, D> {
    type Error = D::Error;

    fn read(&self, blocks: &mut [Block], start: BlockIdx) -> Result<(), Self::Error> {
        let mut cache = self.cache.borrow_mut();
        for (i, out) in blocks.iter_mut().enumerate() {
            let idx = start.0.wrapping_add(i as u32);
            cache.clock = cache.clock.wrapping_add(1);
            let now = cache.clock;
            if let Some(slot) = cache.slots.iter_mut().find(|s| s.0 == idx) {
                slot.2 = now;
                out.contents.copy_from_slice(&slot.1.contents);
                continue;
            }
            self.inner.read(core::slice::from_mut(out), BlockIdx(idx))?;
            // Replace the least recently used.
            if let Some(slot) = cache.slots.iter_mut().min_by_key(|s| s.2) {
                slot.0 = idx;
                slot.1.contents.copy_from_slice(&out.contents);
                slot.2 = now;
            }
        }
        Ok(())
    }

    fn write(&self, blocks: &[Block], start: BlockIdx) -> Result<(), Self::Error> {
        let mut cache = self.cache.borrow_mut();
        for i in 0..blocks.len() {
            let idx = start.0.wrapping_add(i as u32);
            for s in cache.slots.iter_mut().filter(|s| s.0 == idx) {
                s.0 = u32::MAX;
            }
        }
        self.inner.write(blocks, start)
    }

    fn num_blocks(&self) -> Result<BlockCount, Self::Error> {
        self.inner.num_blocks()
    }
}

/// A card's FAT volume, its root folder open.
pub struct Card<'c, D: BlockDevice> {
    vm: VolumeManager<CachedBlocks<'c, D>, NoClock, 1, 1, 1>,
    root: RawDirectory,
}

impl<'c, D: BlockDevice> Card<'c, D> {
    /// Opens the first FAT volume of the card, keeping its blocks in `cache`.
    pub fn open(device: D, cache: &'c mut BlockCache) -> Result<Self, CardError> {
        let vm = VolumeManager::new_with_limits(CachedBlocks::new(device, cache), NoClock, 5000);
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
    pub fn open_bundle(&self, entry: &ShelfEntry) -> Result<CardFile<'_, 'c, D>, CardError> {
        let file = self
            .vm
            .open_file_in_dir(self.root, entry.short, Mode::ReadOnly)
            .map_err(|_| CardError::NoFile)?;
        let len = self.vm.file_length(file).map_err(|_| CardError::Io)?;
        Ok(CardFile {
            card: self,
            file,
            len,
            pos: 0,
        })
    }
}

/// A bundle on the card, read in blocks.
pub struct CardFile<'f, 'c, D: BlockDevice> {
    card: &'f Card<'c, D>,
    file: RawFile,
    len: u32,
    /// Where the file's position is: a read there needs no seek, which would make
    /// `embedded-sdmmc` find the cluster again from the file's first.
    pos: u32,
}

impl<D: BlockDevice> Drop for CardFile<'_, '_, D> {
    fn drop(&mut self) {
        let _ = self.card.vm.close_file(self.file);
    }
}

impl<D: BlockDevice> Storage for CardFile<'_, '_, D> {
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
        let seek = offset != self.pos;
        // Unknown until the read is done: a failed one seeks again next time.
        self.pos = u32::MAX;
        if seek {
            vm.file_seek_from_start(self.file, offset)
                .map_err(|_| StorageError::Io)?;
        }
        let mut done = 0;
        while done < buf.len() {
            let rest = buf.get_mut(done..).ok_or(StorageError::Io)?;
            let n = vm.read(self.file, rest).map_err(|_| StorageError::Io)?;
            if n == 0 {
                return Err(StorageError::Io);
            }
            done += n;
        }
        self.pos = end;
        Ok(())
    }
}
