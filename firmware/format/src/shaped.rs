//! Text the host typeset for the device: bidi level runs of each article (the `Levels` section)
//! and shaped words (the `Shapes` section), so that a device with no shaping engine draws joined
//! Arabic, Indic clusters and Thai marks, and orders right-to-left runs, as HarfBuzz and UAX #9
//! would (SPEC.md, "Levels" and "Shapes").

use core::cmp::Ordering;

use serde::{Deserialize, Serialize};

use crate::bundle::{Bundle, Span};
use crate::crc::Crc32;
use crate::error::Error;
use crate::layout::SectionKind;
use crate::storage::Storage;

/// Bytes of one level run.
pub const RUN_LEN: usize = 4;
/// Bytes of one word record of the `Shapes` section.
pub const WORD_RECORD_LEN: usize = 8;
/// Longest shaped word, in bytes of UTF-8.
pub const MAX_WORD_LEN: usize = 255;
/// Highest bidi level a run may have.
pub const MAX_LEVEL: u8 = 31;
/// Article text offsets a level run can name: articles with runs are shorter than this.
pub const MAX_RUN_OFFSET: u32 = 1 << 25;
/// Glyph keys at and above this are glyphs of a shaping font, not code points.
pub const SHAPED_KEY: u32 = 0x80_0000;
/// Sizes a shaped word carries positions for: 13, 16 and 20 pixels per em.
pub const SHAPED_CLASSES: usize = 3;

/// Which of a shaped word's position sets a strike of `size_class` draws it with: the smooth
/// strike (2) is drawn at the large strike's size (1), so its words need no positions of
/// their own; the larger smooth strike (3) has the third.
pub const fn positions_of(size_class: u8) -> usize {
    match size_class {
        0 => 0,
        1 | 2 => 1,
        _ => 2,
    }
}

/// A glyph key as a person reads it: `U+0041` for a code point, `glyph 123 of shaping font 2`
/// for a shaped glyph.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyName(pub u32);

impl core::fmt::Display for KeyName {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.0 >= SHAPED_KEY {
            let k = self.0 - SHAPED_KEY;
            write!(f, "glyph {} of shaping font {}", k & 0xFFFF, k >> 16)
        } else {
            write!(f, "U+{:04X}", self.0)
        }
    }
}

/// The glyph key of glyph `gid` of shaping font `font` (at most 127).
pub const fn shaped_key(font: u8, gid: u16) -> u32 {
    SHAPED_KEY | ((font as u32 & 0x7F) << 16) | gid as u32
}

/// Where an article's level runs are in the `Levels` section, and their checksum.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LevelSpan {
    /// Index of its first run.
    pub first: u32,
    /// Number of runs; 0 when every character is at level 0 (left to right).
    pub count: u32,
    /// CRC-32 of the runs' bytes.
    pub crc: u32,
}

/// From one byte offset of an article's text to the next run's: one bidi level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LevelRun {
    /// Byte offset in the article's text where the run starts.
    pub offset: u32,
    /// Its resolved bidi level (UAX #9), at most [`MAX_LEVEL`].
    pub level: u8,
    /// Whether its paragraph is right to left (a paragraph level of 1).
    pub rtl_paragraph: bool,
    /// Whether a line may break where it starts (a word boundary in a script written without
    /// spaces); a run that starts for another reason (a level or font change) is not one.
    pub breakable: bool,
}

impl LevelRun {
    /// The run's bytes.
    pub fn encode(&self) -> [u8; RUN_LEN] {
        let v = (self.offset & (MAX_RUN_OFFSET - 1))
            | (u32::from(self.level & MAX_LEVEL) << 25)
            | (u32::from(self.breakable) << 30)
            | (u32::from(self.rtl_paragraph) << 31);
        v.to_le_bytes()
    }

    /// Reads a run.
    pub fn decode(b: &[u8; RUN_LEN]) -> Self {
        let v = u32::from_le_bytes(*b);
        LevelRun {
            offset: v & (MAX_RUN_OFFSET - 1),
            level: ((v >> 25) & u32::from(MAX_LEVEL)) as u8,
            breakable: (v >> 30) & 1 != 0,
            rtl_paragraph: v >> 31 != 0,
        }
    }

    /// Whether the run's text is drawn right to left.
    pub const fn is_rtl(&self) -> bool {
        self.level % 2 == 1
    }
}

/// One record of the `Shapes` section: which word (by the hash of its text) and where its
/// glyphs are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct WordRecord {
    /// CRC-32 of the word's UTF-8: the key records are sorted by.
    pub hash: u32,
    /// Offset of its data in the section (24 bits).
    pub data: u32,
    /// Number of glyphs.
    pub glyph_count: u8,
}

impl WordRecord {
    /// The record's bytes.
    pub fn encode(&self) -> [u8; WORD_RECORD_LEN] {
        let h = self.hash.to_le_bytes();
        let d = self.data.to_le_bytes();
        [h[0], h[1], h[2], h[3], d[0], d[1], d[2], self.glyph_count]
    }

    /// Reads a record.
    pub fn decode(b: &[u8; WORD_RECORD_LEN]) -> Self {
        WordRecord {
            hash: u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            data: u32::from_le_bytes([b[4], b[5], b[6], 0]),
            glyph_count: b[7],
        }
    }
}

/// The hash a shaped word is found by: CRC-32 of its UTF-8.
pub fn word_hash(text: &[u8]) -> u32 {
    crate::crc::crc32(text)
}

/// Whether `c` is of a script whose words a writer shapes (Arabic, Hebrew, Devanagari, Bengali,
/// Gurmukhi, Tamil, Thai, Lao, Myanmar, Khmer and their extensions and presentation forms): a
/// reader looks up exactly the words holding one.
pub const fn is_shaped_script(c: char) -> bool {
    matches!(c as u32,
        0x0590..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x0A7F | 0x0B80..=0x0BFF
        | 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF | 0x19E0..=0x19FF
        | 0xA8E0..=0xA8FF | 0xA9E0..=0xA9FF | 0xAA60..=0xAA7F | 0xFB1D..=0xFDFF
        | 0xFE70..=0xFEFF)
}

/// Glyph id bits of a stored shaped glyph; the two top bits flag what follows.
pub const GLYPH_ID_MASK: u16 = 0x3FFF;
/// Flag: the glyph's advances (one signed byte per size class) follow.
pub const GLYPH_HAS_ADVANCE: u16 = 0x8000;
/// Flag: the glyph's offsets (x then y, one signed byte each, per size class) follow.
pub const GLYPH_HAS_OFFSET: u16 = 0x4000;
/// Bytes of a word's data before its glyphs: font, checksum, a width per position set.
pub const WORD_HEADER_LEN: usize = 5 + 2 * SHAPED_CLASSES;

/// One glyph of a shaped word as stored: its key and what differs from its defaults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ShapedGlyph {
    /// Its glyph key in the strikes ([`shaped_key`]).
    pub key: u32,
    /// Its advance in pixels per size class, when not its strike glyph's advance.
    pub advance: Option<[i8; SHAPED_CLASSES]>,
    /// Pixels it is drawn right of and below its pen position, per size class.
    pub offset: [(i8, i8); SHAPED_CLASSES],
}

impl ShapedGlyph {
    /// Bytes the glyph takes stored.
    pub const fn stored_len(&self) -> usize {
        let mut n = 2;
        if self.advance.is_some() {
            n += SHAPED_CLASSES;
        }
        if self.has_offset() {
            n += 2 * SHAPED_CLASSES;
        }
        n
    }

    /// Whether it is drawn away from its pen position in some size class.
    pub const fn has_offset(&self) -> bool {
        let mut i = 0;
        while i < SHAPED_CLASSES {
            if self.offset[i].0 != 0 || self.offset[i].1 != 0 {
                return true;
            }
            i += 1;
        }
        false
    }

    /// Appends the glyph's bytes; `None` when its glyph id does not fit 14 bits.
    pub fn encode_into(&self, font_key: u32, out: &mut impl Extend<u8>) -> Option<()> {
        let gid = self.key.checked_sub(font_key)?;
        if gid > u32::from(GLYPH_ID_MASK) {
            return None;
        }
        let mut g = gid as u16;
        if self.advance.is_some() {
            g |= GLYPH_HAS_ADVANCE;
        }
        if self.has_offset() {
            g |= GLYPH_HAS_OFFSET;
        }
        out.extend(g.to_le_bytes());
        if let Some(a) = self.advance {
            out.extend(a.map(|v| v.to_le_bytes()[0]));
        }
        if self.has_offset() {
            for (x, y) in self.offset {
                out.extend([x.to_le_bytes()[0], y.to_le_bytes()[0]]);
            }
        }
        Some(())
    }
}

/// A shaped word found in an open bundle, its checksum checked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    /// Its record.
    pub record: WordRecord,
    /// Its shaping font.
    pub font: u8,
    /// Whether it was shaped right to left (its glyphs are in visual order, left to right).
    pub rtl: bool,
    /// Its width in pixels, per size class.
    pub advance: [u16; SHAPED_CLASSES],
    /// Where its glyphs start and end in the bundle.
    glyphs: (u32, u32),
}

impl Word {
    /// Its width in pixels in a size class.
    pub fn width(&self, size_class: u8) -> u16 {
        self.advance
            .get(positions_of(size_class))
            .copied()
            .unwrap_or(0)
    }

    /// Where reading its glyphs starts ([`Bundle::next_shaped_glyph`]).
    pub const fn first_glyph(&self) -> u32 {
        self.glyphs.0
    }
}

fn corrupt(section: SectionKind, offset: u32) -> Error {
    Error::Corrupt { section, offset }
}

impl<S: Storage> Bundle<S> {
    /// Checks an article's level runs against their checksum and the `Levels` section; returns
    /// where they are.
    pub fn level_runs(&mut self, span: LevelSpan) -> Result<Span, Error> {
        let section = self.levels_span();
        let bytes = u64::from(span.count) * RUN_LEN as u64;
        let start = u64::from(span.first) * RUN_LEN as u64;
        if span.count == 0 {
            return Ok(Span::default());
        }
        if start + bytes > u64::from(section.len) {
            return Err(corrupt(SectionKind::Levels, section.offset));
        }
        let at = section.offset + start as u32;
        let mut crc = Crc32::new();
        let mut piece = [0u8; 32];
        let mut done = 0u32;
        let total = bytes as u32;
        while done < total {
            let n = core::cmp::min(piece.len() as u32, total - done) as usize;
            let buf = piece.get_mut(..n).unwrap_or(&mut []);
            self.read_at(at + done, buf)?;
            crc.update(buf);
            done += n as u32;
        }
        if crc.finish() != span.crc {
            return Err(corrupt(SectionKind::Levels, at));
        }
        Ok(Span {
            offset: at,
            len: total,
        })
    }

    /// Run `index` of the runs at `runs` (from [`Bundle::level_runs`]).
    pub fn level_run(&mut self, runs: Span, index: u32) -> Result<LevelRun, Error> {
        let at = u64::from(index) * RUN_LEN as u64;
        if at + RUN_LEN as u64 > u64::from(runs.len) {
            return Err(corrupt(SectionKind::Levels, runs.offset));
        }
        let mut b = [0u8; RUN_LEN];
        self.read_at(runs.offset + at as u32, &mut b)?;
        Ok(LevelRun::decode(&b))
    }

    /// The index of the run holding text byte `offset`: the last run starting at or before it.
    pub fn run_index_at(&mut self, runs: Span, offset: u32) -> Result<u32, Error> {
        let count = runs.len / RUN_LEN as u32;
        let (mut lo, mut hi) = (0u32, count);
        // The first run starting after `offset`, minus one.
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.level_run(runs, mid)?.offset <= offset {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo.saturating_sub(1))
    }

    /// The shaped word whose text is `text`, if the bundle has one; its checksum is checked.
    pub fn shaped_word(&mut self, text: &[u8]) -> Result<Option<Word>, Error> {
        if text.is_empty() || text.len() > MAX_WORD_LEN {
            return Ok(None);
        }
        self.shaped_word_by_hash(word_hash(text))
    }

    /// The shaped word whose text has `hash` ([`word_hash`]), if the bundle has one; its
    /// checksum is checked.
    pub fn shaped_word_by_hash(&mut self, hash: u32) -> Result<Option<Word>, Error> {
        let count = self.shaped_word_count()?;
        if count == 0 {
            return Ok(None);
        }
        let (mut lo, mut hi) = (0u32, count);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let rec = self.word_record(mid)?;
            match rec.hash.cmp(&hash) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => return self.checked_word(mid, rec).map(Some),
            }
        }
        Ok(None)
    }

    /// The glyph of a shaped word at `at` (start at [`Word::first_glyph`]); moves `at` past it.
    pub fn next_shaped_glyph(&mut self, word: &Word, at: &mut u32) -> Result<ShapedGlyph, Error> {
        let bad = || corrupt(SectionKind::Shapes, word.glyphs.0);
        let mut b = [0u8; 2 + 3 * SHAPED_CLASSES];
        let room = word.glyphs.1.checked_sub(*at).ok_or_else(bad)?;
        let n = core::cmp::min(b.len() as u32, room) as usize;
        let buf = b.get_mut(..n).ok_or_else(bad)?;
        self.read_at(*at, buf)?;
        let head =
            u16::from_le_bytes([*buf.first().ok_or_else(bad)?, *buf.get(1).ok_or_else(bad)?]);
        let mut used = 2usize;
        let byte = |used: &mut usize| -> Result<i8, Error> {
            let v = *buf.get(*used).ok_or_else(bad)?;
            *used += 1;
            Ok(i8::from_le_bytes([v]))
        };
        let mut g = ShapedGlyph {
            key: shaped_key(word.font, head & GLYPH_ID_MASK),
            ..ShapedGlyph::default()
        };
        if head & GLYPH_HAS_ADVANCE != 0 {
            let mut a = [0i8; SHAPED_CLASSES];
            for v in &mut a {
                *v = byte(&mut used)?;
            }
            g.advance = Some(a);
        }
        if head & GLYPH_HAS_OFFSET != 0 {
            for o in &mut g.offset {
                *o = (byte(&mut used)?, byte(&mut used)?);
            }
        }
        *at = at.saturating_add(used as u32);
        Ok(g)
    }

    /// Whether the bundle has shaped words.
    pub fn has_shaped_words(&self) -> bool {
        self.shapes_span().len > 0
    }

    /// The number of words in the `Shapes` section (0 without one).
    pub fn shaped_word_count(&mut self) -> Result<u32, Error> {
        let section = self.shapes_span();
        if section.len == 0 {
            return Ok(0);
        }
        let mut cb = [0u8; 4];
        if section.len < 4 {
            return Err(corrupt(SectionKind::Shapes, section.offset));
        }
        self.read_at(section.offset, &mut cb)?;
        let count = u32::from_le_bytes(cb);
        if u64::from(count) * WORD_RECORD_LEN as u64 + 4 > u64::from(section.len) {
            return Err(corrupt(SectionKind::Shapes, section.offset));
        }
        Ok(count)
    }

    /// Word `index` of the `Shapes` section, checked, for tools that go through them all.
    pub fn shaped_word_at(&mut self, index: u32) -> Result<Word, Error> {
        if index >= self.shaped_word_count()? {
            return Err(corrupt(SectionKind::Shapes, self.shapes_span().offset));
        }
        let rec = self.word_record(index)?;
        self.checked_word(index, rec)
    }

    fn word_record(&mut self, index: u32) -> Result<WordRecord, Error> {
        let mut b = [0u8; WORD_RECORD_LEN];
        let at = self.shapes_span().offset + 4 + index * WORD_RECORD_LEN as u32;
        self.read_at(at, &mut b)?;
        Ok(WordRecord::decode(&b))
    }

    /// A word's data range (up to the next word's, or the section's end), its header read and
    /// its checksum checked.
    fn checked_word(&mut self, index: u32, rec: WordRecord) -> Result<Word, Error> {
        let section = self.shapes_span();
        let count = self.shaped_word_count()?;
        let end = if index.saturating_add(1) < count {
            self.word_record(index + 1)?.data
        } else {
            section.len
        };
        let records_end = 4 + count * WORD_RECORD_LEN as u32;
        if rec.data < records_end
            || end > section.len
            || end.saturating_sub(rec.data) < WORD_HEADER_LEN as u32
        {
            return Err(corrupt(SectionKind::Shapes, section.offset));
        }
        let at = section.offset + rec.data;
        let mut head = [0u8; WORD_HEADER_LEN];
        self.read_at(at, &mut head)?;
        let mut crc = Crc32::new();
        crc.update(&rec.hash.to_le_bytes());
        crc.update(&[rec.glyph_count]);
        crc.update(&head[..1]);
        crc.update(&head[5..]);
        let mut piece = [0u8; 32];
        let mut done = at + WORD_HEADER_LEN as u32;
        let stop = section.offset + end;
        while done < stop {
            let n = core::cmp::min(piece.len() as u32, stop - done) as usize;
            let buf = piece.get_mut(..n).unwrap_or(&mut []);
            self.read_at(done, buf)?;
            crc.update(buf);
            done += n as u32;
        }
        let stored = u32::from_le_bytes([head[1], head[2], head[3], head[4]]);
        if crc.finish() != stored {
            return Err(corrupt(SectionKind::Shapes, at));
        }
        Ok(Word {
            record: rec,
            font: head[0] & 0x7F,
            rtl: head[0] & 0x80 != 0,
            advance: core::array::from_fn(|i| {
                u16::from_le_bytes([head[5 + 2 * i], head[6 + 2 * i]])
            }),
            glyphs: (at + WORD_HEADER_LEN as u32, stop),
        })
    }
}

#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use std::vec::Vec;

    #[test]
    fn records_pin_their_bytes() {
        let r = LevelRun {
            offset: 0x12_3456,
            level: 2,
            rtl_paragraph: true,
            breakable: true,
        };
        assert_eq!(r.encode(), [0x56, 0x34, 0x12, 0xC4]);
        assert_eq!(LevelRun::decode(&r.encode()), r);
        let w = WordRecord {
            hash: 0xAABB_CCDD,
            data: 0x01_0203,
            glyph_count: 3,
        };
        assert_eq!(w.encode(), [0xDD, 0xCC, 0xBB, 0xAA, 3, 2, 1, 3]);
        assert_eq!(WordRecord::decode(&w.encode()), w);
        let g = ShapedGlyph {
            key: shaped_key(3, 0x0203),
            advance: Some([7, -1, 9]),
            offset: [(0, -5), (1, -6), (1, -8)],
        };
        let mut out = Vec::new();
        g.encode_into(shaped_key(3, 0), &mut out).expect("fits");
        assert_eq!(out, [3, 0xC2, 7, 0xFF, 9, 0, 0xFB, 1, 0xFA, 1, 0xF8]);
        assert_eq!(g.stored_len(), out.len());
        let plain = ShapedGlyph {
            key: shaped_key(0, 5),
            ..ShapedGlyph::default()
        };
        assert_eq!(plain.stored_len(), 2);
        assert!(plain.encode_into(shaped_key(1, 0), &mut out).is_none());
    }
}
