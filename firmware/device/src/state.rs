//! The reader's memory in flash: two items of a `sequential-storage` map, written so that a
//! power cut at any instant leaves the memory as it was before the interrupted change or as it
//! is after it, never anything else.
//!
//! Every change the reader makes touches one item: a page turn, opening an article or leaving
//! one rewrites the history item (where the reader is comes first in it); setting or removing
//! a bookmark rewrites the bookmarks item; changing the text size, the settings item.
//! `sequential-storage` writes an item as a new entry with its own CRC and only then lets it
//! supersede the old one, so each change is atomic.
//!
//! The items, little-endian:
//!
//! | key | item | bytes |
//! | --- | --- | --- |
//! | 1 | history | version (1), bundle id (16), reading (0 or 1), count n, then n places |
//! | 2 | bookmarks | version (1), bundle id (16), count n, then n places |
//! | 3 | settings | version (1), larger text (0 or 1) |
//!
//! A place is an article number (u32) and a byte offset into its text (u32). An item of
//! another version, of another bundle or that does not decode is ignored: the reader starts
//! afresh for it. The settings are the device's, not a bundle's: they hold for every bundle.

use core::ops::Range;

use embedded_storage_async::nor_flash::MultiwriteNorFlash;
use fieldpack_reader::memory::{Changes, Memory, Place, BOOKMARKS_LEN, HISTORY_LEN};
use sequential_storage::cache::Cache;
use sequential_storage::map::{MapConfig, MapStorage};

/// Version of the items' layout.
pub const STATE_VERSION: u8 = 1;

const KEY_HISTORY: u8 = 1;
const KEY_BOOKMARKS: u8 = 2;
const KEY_SETTINGS: u8 = 3;

/// The longest item: the bookmarks.
const MAX_ITEM: usize = 1 + 16 + 1 + 8 * BOOKMARKS_LEN;

/// The store's working buffer: an item, its key and the map's word alignment.
const BUFFER: usize = (MAX_ITEM + 1 + 32).next_multiple_of(32);

/// Why the memory could not be written (it was repaired; the next change is written again).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreError {
    /// The region is not whole pages of the flash, or fewer than two.
    BadRegion,
    /// The flash itself failed (a write or an erase).
    Flash,
}

type Map<F> = MapStorage<
    u8,
    F,
    Cache<
        sequential_storage::cache::Uncached,
        sequential_storage::cache::Uncached,
        sequential_storage::cache::Uncached,
        u8,
    >,
>;

/// The reader's memory kept in a flash region.
pub struct StateStore<F: MultiwriteNorFlash> {
    map: Map<F>,
    buffer: [u8; BUFFER],
}

fn put_places(out: &mut [u8], at: usize, places: &[Place]) -> usize {
    let mut at = at;
    for p in places {
        if let Some(d) = out.get_mut(at..at + 8) {
            d[..4].copy_from_slice(&p.article.to_le_bytes());
            d[4..].copy_from_slice(&p.offset.to_le_bytes());
        }
        at += 8;
    }
    at
}

fn places<const N: usize>(bytes: &[u8], n: usize) -> Option<heapless::Vec<Place, N>> {
    let mut out = heapless::Vec::new();
    for i in 0..n {
        let b = bytes.get(i * 8..i * 8 + 8)?;
        let article = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        let offset = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
        out.push(Place { article, offset }).ok()?;
    }
    (bytes.len() == n * 8).then_some(out)
}

/// The history item's bytes.
fn encode_history(id: &[u8; 16], m: &Memory, out: &mut [u8; MAX_ITEM]) -> usize {
    out[0] = STATE_VERSION;
    out[1..17].copy_from_slice(id);
    out[17] = u8::from(m.reading);
    out[18] = m.history.len() as u8;
    put_places(out, 19, &m.history)
}

/// The bookmarks item's bytes.
fn encode_bookmarks(id: &[u8; 16], m: &Memory, out: &mut [u8; MAX_ITEM]) -> usize {
    out[0] = STATE_VERSION;
    out[1..17].copy_from_slice(id);
    out[17] = m.bookmarks.len() as u8;
    put_places(out, 18, &m.bookmarks)
}

/// The settings item's bytes.
fn encode_settings(m: &Memory, out: &mut [u8; MAX_ITEM]) -> usize {
    out[0] = STATE_VERSION;
    out[1] = u8::from(m.larger_text);
    2
}

/// Applies a settings item to `m`, if it is of this version.
fn decode_settings(bytes: &[u8], m: &mut Memory) -> Option<()> {
    match bytes {
        [STATE_VERSION, larger @ (0 | 1)] => {
            m.larger_text = *larger == 1;
            Some(())
        }
        _ => None,
    }
}

/// Applies a history item to `m`, if it is of this version and bundle.
fn decode_history(id: &[u8; 16], bytes: &[u8], m: &mut Memory) -> Option<()> {
    if *bytes.first()? != STATE_VERSION || bytes.get(1..17)? != id {
        return None;
    }
    let reading = *bytes.get(17)? == 1;
    let n = usize::from(*bytes.get(18)?);
    m.history = places::<HISTORY_LEN>(bytes.get(19..)?, n)?;
    m.reading = reading;
    Some(())
}

/// Applies a bookmarks item to `m`, if it is of this version and bundle.
fn decode_bookmarks(id: &[u8; 16], bytes: &[u8], m: &mut Memory) -> Option<()> {
    if *bytes.first()? != STATE_VERSION || bytes.get(1..17)? != id {
        return None;
    }
    let n = usize::from(*bytes.get(17)?);
    m.bookmarks = places::<BOOKMARKS_LEN>(bytes.get(18..)?, n)?;
    Some(())
}

impl<F: MultiwriteNorFlash> StateStore<F> {
    /// A store in `region` of `flash` (whole pages, at least two).
    pub fn new(flash: F, region: Range<u32>) -> Result<Self, StoreError> {
        let config = MapConfig::try_new(region).map_err(|_| StoreError::BadRegion)?;
        Ok(StateStore {
            map: MapStorage::new(flash, config, Cache::new_uncached()),
            buffer: [0; BUFFER],
        })
    }

    /// The memory saved for the bundle `id`; an empty one when there is none, when it was
    /// saved for another bundle or version, or when the region holds anything else (which is
    /// then erased, so that the next change can be kept).
    pub fn load(&mut self, id: &[u8; 16]) -> Memory {
        let mut m = Memory::default();
        let ok = self.fetch_into(KEY_HISTORY, &mut |b| {
            let _ = decode_history(id, b, &mut m);
        }) && self.fetch_into(KEY_BOOKMARKS, &mut |b| {
            let _ = decode_bookmarks(id, b, &mut m);
        }) && self.fetch_into(KEY_SETTINGS, &mut |b| {
            let _ = decode_settings(b, &mut m);
        });
        if !ok {
            // Damaged past what the store repairs by itself: start afresh.
            let _ = embassy_futures::block_on(self.map.erase_all());
            return Memory::default();
        }
        m
    }

    /// Reads item `key` and hands its bytes to `apply` (nothing when there is none); `false`
    /// when the store cannot be read. Not inlined: a read's future is on the stack only while
    /// it runs (three of them in `load`'s frame took the 128x64 firmware past 32 KiB).
    #[inline(never)]
    fn fetch_into(&mut self, key: u8, apply: &mut dyn FnMut(&[u8])) -> bool {
        match embassy_futures::block_on(self.map.fetch_item::<&[u8]>(&mut self.buffer, &key)) {
            Ok(Some(bytes)) => {
                apply(bytes);
                true
            }
            Ok(None) => true,
            Err(_) => false,
        }
    }

    /// Writes what changed from `before` to `after` (nothing, the history, the bookmarks or
    /// both), each item in one atomic step.
    pub fn save(
        &mut self,
        id: &[u8; 16],
        before: &Memory,
        after: &Memory,
    ) -> Result<(), StoreError> {
        let changes = Changes {
            history: before.history != after.history || before.reading != after.reading,
            bookmarks: before.bookmarks != after.bookmarks,
            settings: before.larger_text != after.larger_text,
        };
        self.save_items(id, after, changes)
    }

    /// Writes the items `changes` names, from `memory`. Not inlined: its item buffer and the
    /// store's futures would otherwise sit in the caller's frame under every key press's
    /// drawing (the deepest stack of a 128x64 device).
    #[inline(never)]
    pub fn save_items(
        &mut self,
        id: &[u8; 16],
        memory: &Memory,
        changes: Changes,
    ) -> Result<(), StoreError> {
        let mut item = [0u8; MAX_ITEM];
        if changes.history {
            let n = encode_history(id, memory, &mut item);
            self.store(KEY_HISTORY, item.get(..n).unwrap_or(&[]))?;
        }
        if changes.bookmarks {
            let n = encode_bookmarks(id, memory, &mut item);
            self.store(KEY_BOOKMARKS, item.get(..n).unwrap_or(&[]))?;
        }
        if changes.settings {
            let n = encode_settings(memory, &mut item);
            self.store(KEY_SETTINGS, item.get(..n).unwrap_or(&[]))?;
        }
        Ok(())
    }

    /// Writes one item; a region that cannot take it (damaged, or from something else) is
    /// erased and the item written again.
    fn store(&mut self, key: u8, item: &[u8]) -> Result<(), StoreError> {
        match embassy_futures::block_on(self.map.store_item(&mut self.buffer, &key, &item)) {
            Ok(()) => return Ok(()),
            // The flash failed (on a device: the power is going): erasing would not help.
            Err(sequential_storage::Error::Storage { .. }) => return Err(StoreError::Flash),
            Err(_) => {}
        }
        embassy_futures::block_on(self.map.erase_all()).map_err(|_| StoreError::Flash)?;
        embassy_futures::block_on(self.map.store_item(&mut self.buffer, &key, &item))
            .map_err(|_| StoreError::Flash)
    }

    /// The flash, back (for tools that keep its bytes).
    pub fn into_flash(self) -> F {
        self.map.destroy().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_round_trip_and_other_bundles_are_ignored() {
        let mut m = Memory::default();
        m.visit(Place {
            article: 3,
            offset: 900,
        });
        m.visit(Place {
            article: 1,
            offset: 20,
        });
        m.reading = true;
        m.toggle_bookmark(3, 800, 1000);
        m.larger_text = true;
        let id = [7u8; 16];
        let mut item = [0u8; MAX_ITEM];
        let n = encode_history(&id, &m, &mut item);
        let mut back = Memory::default();
        decode_history(&id, &item[..n], &mut back).expect("history");
        let n = encode_settings(&m, &mut item);
        assert_eq!(&item[..n], [STATE_VERSION, 1]);
        decode_settings(&item[..n], &mut back).expect("settings");
        assert!(decode_settings(&[STATE_VERSION, 2], &mut back).is_none());
        assert!(decode_settings(&[STATE_VERSION + 1, 1], &mut back).is_none());
        let n = encode_bookmarks(&id, &m, &mut item);
        decode_bookmarks(&id, &item[..n], &mut back).expect("bookmarks");
        assert_eq!(back, m);
        assert!(decode_bookmarks(&[8u8; 16], &item[..n], &mut back).is_none());
        item[0] = STATE_VERSION + 1;
        assert!(decode_bookmarks(&id, &item[..n], &mut back).is_none());
        assert!(decode_bookmarks(&id, &item[..n - 1], &mut back).is_none());
    }
}
