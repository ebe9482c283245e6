//! The fixed-size binary records of a bundle: header, section table, article and chunk
//! records, glyph records. `SPEC.md` beside this crate describes the same bytes in prose.
//!
//! Every record has an `encode` (used by the host's writer) and a `decode` (used by every
//! reader), so the two sides cannot drift.

use crate::crc::crc32;
use crate::error::Error;

/// The first eight bytes of every bundle. The high byte and the CR LF / SUB / LF catch
/// transfers that mangle binary files (as PNG's signature does).
pub const MAGIC: [u8; 8] = [0x89, b'F', b'P', b'K', b'\r', b'\n', 0x1A, b'\n'];

/// Most characters a reader looks ahead for the end of a table cell's header.
pub const MAX_LABEL_SCAN: usize = 256;

/// The format version this crate writes and reads.
pub const VERSION: u16 = 9;

/// Length of the header at offset 0.
pub const HEADER_LEN: usize = 32;

/// Length of one section table entry; the table starts right after the header.
pub const SECTION_ENTRY_LEN: usize = 16;

/// Length of one article record in the `Articles` section.
pub const ARTICLE_RECORD_LEN: usize = 32;

/// Length of one chunk record in the `Chunks` section.
pub const CHUNK_RECORD_LEN: usize = 16;

/// Length of one entry of the `Titles` section: article number and title key.
pub const TITLE_RECORD_LEN: usize = 16;

/// Bytes of a title's key in the `Titles` section.
pub const TITLE_KEY_LEN: usize = 12;

/// Length of an alias record in the `Aliases` section: target article and name offset.
pub const ALIAS_RECORD_LEN: usize = 8;

/// Longest alias name, in bytes of UTF-8 (its length is stored in one byte).
pub const MAX_ALIAS_LEN: usize = 255;

/// What a search list draws between an alias and its article's title (a writer puts its
/// glyph in the strikes of a bundle with aliases).
pub const ALIAS_ARROW: char = '\u{2192}';

/// Length of one offer in the `Offers` section: a character and how many titles go on with it.
pub const OFFER_LEN: usize = 8;

/// A prefix whose titles go on with more than this many different characters has its offers
/// stored in the `Offers` section; a reader finds at most this many by searching the titles.
pub const OFFER_SCAN_LIMIT: usize = 16;

/// Longest search prefix, in bytes of folded UTF-8: the `Offers` section covers every prefix up
/// to this length, and a reader types no longer one.
pub const SEARCH_PREFIX_MAX: usize = 64;

/// Size classes a bundle has a strike for: 0 small (128x64-class screens), 1 large (one bit a
/// pixel), 2 smooth (colour screens: anti-aliased, proportional Latin), 3 smooth and larger
/// (the reader's larger text setting).
pub const SIZE_CLASS_COUNT: usize = 4;

/// Length of the header at the start of a `Glyphs` section.
pub const STRIKE_HEADER_LEN: usize = 16;

/// Length of one glyph record in a `Glyphs` section.
pub const GLYPH_RECORD_LEN: usize = 8;

/// Length of one entry of a strike's metrics table.
pub const GLYPH_METRICS_LEN: usize = 6;
/// Bytes a glyph's bitmap may take at most (its pixels' bits rounded up to whole bytes): what a
/// reader sets aside to draw one glyph.
pub const MAX_GLYPH_BITMAP: usize = 128;

/// Upper bound on a postcard-encoded article metadata record, so a reader can size its buffer.
pub const MAX_META_LEN: usize = 512;

/// Upper bound on the postcard-encoded `Info` section.
pub const MAX_INFO_LEN: usize = 512;

/// Upper bound on the raw (inflated) length of one body chunk.
pub const MAX_CHUNK_RAW: usize = 32 * 1024;

/// At most this many sections; a table claiming more is corrupt.
pub const MAX_SECTIONS: u16 = 64;

/// At most this many `Glyphs` sections (strikes) in one bundle.
pub const MAX_STRIKES: usize = 4;

/// A compressed chunk decodes to at most this many times its stored length. Real text stays far
/// below (the corpus: under 5); the bound caps what a bundle can make a reader decode at 64
/// times the bundle's own size, whatever its records claim.
pub const MAX_EXPANSION: u32 = 64;

fn le16(b: &[u8], at: usize) -> u16 {
    match b.get(at..at + 2) {
        Some(&[x, y]) => u16::from_le_bytes([x, y]),
        _ => 0,
    }
}

fn le32(b: &[u8], at: usize) -> u32 {
    match b.get(at..at + 4) {
        Some(&[a, c, d, e]) => u32::from_le_bytes([a, c, d, e]),
        _ => 0,
    }
}

fn put16(b: &mut [u8], at: usize, v: u16) {
    if let Some(dst) = b.get_mut(at..at + 2) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
}

fn put32(b: &mut [u8], at: usize, v: u32) {
    if let Some(dst) = b.get_mut(at..at + 4) {
        dst.copy_from_slice(&v.to_le_bytes());
    }
}

/// What a section holds. Unknown kinds are skipped by readers, so later versions can add some.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SectionKind {
    /// The file header and section table themselves (for error reports).
    Header,
    /// Bundle-wide information, postcard-encoded [`crate::BundleInfo`].
    Info,
    /// Fixed-size article records, in article order.
    Articles,
    /// Postcard-encoded [`crate::ArticleMeta`] records, referenced from article records.
    Meta,
    /// Fixed-size chunk records: where each piece of each body is and how it is coded.
    Chunks,
    /// The compressed body chunks, back to back.
    Bodies,
    /// Article numbers sorted by title, for lookup by title prefix.
    Titles,
    /// One glyph strike: metrics of every character used, at one size.
    Glyphs,
    /// The bit-packed glyph bitmaps that every strike points into.
    GlyphBitmaps,
    /// The preset deflate dictionary that chunks may refer back into.
    Dictionary,
    /// The characters that continue title prefixes shared by many titles, most titles first.
    Offers,
    /// Each right-to-left or mixed article's bidi level runs, which also mark word boundaries
    /// in scripts written without spaces.
    Levels,
    /// Words the host shaped: their text and glyphs, sorted by text.
    Shapes,
    /// Other names of articles (an archive's redirects), which the title index also lists.
    Aliases,
    /// The publisher's Ed25519 signature over the root of the hash tree.
    Signature,
    /// SHA-256 hash tree over the bundle's blocks, for signed bundles.
    HashTree,
    /// A kind this reader does not know.
    Unknown(u16),
}

impl SectionKind {
    /// The kind's code on the wire.
    pub const fn code(self) -> u16 {
        match self {
            SectionKind::Header => 0,
            SectionKind::Info => 1,
            SectionKind::Articles => 2,
            SectionKind::Meta => 3,
            SectionKind::Chunks => 4,
            SectionKind::Bodies => 5,
            SectionKind::Titles => 6,
            SectionKind::Glyphs => 7,
            SectionKind::Dictionary => 8,
            SectionKind::GlyphBitmaps => 9,
            SectionKind::Signature => 10,
            SectionKind::HashTree => 11,
            SectionKind::Offers => 12,
            SectionKind::Levels => 13,
            SectionKind::Shapes => 14,
            SectionKind::Aliases => 15,
            SectionKind::Unknown(c) => c,
        }
    }

    /// The kind of a wire code.
    pub const fn from_code(code: u16) -> Self {
        match code {
            0 => SectionKind::Header,
            1 => SectionKind::Info,
            2 => SectionKind::Articles,
            3 => SectionKind::Meta,
            4 => SectionKind::Chunks,
            5 => SectionKind::Bodies,
            6 => SectionKind::Titles,
            7 => SectionKind::Glyphs,
            8 => SectionKind::Dictionary,
            9 => SectionKind::GlyphBitmaps,
            10 => SectionKind::Signature,
            11 => SectionKind::HashTree,
            12 => SectionKind::Offers,
            13 => SectionKind::Levels,
            14 => SectionKind::Shapes,
            15 => SectionKind::Aliases,
            c => SectionKind::Unknown(c),
        }
    }

    /// The name SPEC.md gives the kind (`Articles`, `GlyphBitmaps`, ...), for reports that
    /// a program reads.
    pub const fn spec_name(self) -> &'static str {
        match self {
            SectionKind::Header => "Header",
            SectionKind::Info => "Info",
            SectionKind::Articles => "Articles",
            SectionKind::Meta => "Meta",
            SectionKind::Chunks => "Chunks",
            SectionKind::Bodies => "Bodies",
            SectionKind::Titles => "Titles",
            SectionKind::Glyphs => "Glyphs",
            SectionKind::Dictionary => "Dictionary",
            SectionKind::GlyphBitmaps => "GlyphBitmaps",
            SectionKind::Signature => "Signature",
            SectionKind::HashTree => "HashTree",
            SectionKind::Offers => "Offers",
            SectionKind::Levels => "Levels",
            SectionKind::Shapes => "Shapes",
            SectionKind::Aliases => "Aliases",
            SectionKind::Unknown(_) => "Unknown",
        }
    }

    /// A short human name, for messages.
    pub const fn name(self) -> &'static str {
        match self {
            SectionKind::Header => "header",
            SectionKind::Info => "info",
            SectionKind::Articles => "article index",
            SectionKind::Meta => "metadata",
            SectionKind::Chunks => "chunk index",
            SectionKind::Bodies => "article text",
            SectionKind::Titles => "title index",
            SectionKind::Glyphs => "glyphs",
            SectionKind::Dictionary => "dictionary",
            SectionKind::GlyphBitmaps => "glyph bitmaps",
            SectionKind::Signature => "signature",
            SectionKind::HashTree => "hash tree",
            SectionKind::Offers => "title offers",
            SectionKind::Levels => "level runs",
            SectionKind::Shapes => "shaped words",
            SectionKind::Aliases => "title aliases",
            SectionKind::Unknown(_) => "unknown",
        }
    }
}

/// The 32-byte header at offset 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Header {
    /// Format version ([`VERSION`] for bundles this crate writes).
    pub version: u16,
    /// Entries in the section table.
    pub section_count: u16,
    /// Length of the whole bundle in bytes.
    pub file_len: u32,
    /// CRC-32 of the whole section table.
    pub table_crc: u32,
}

impl Header {
    /// The header's bytes, its own CRC included.
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        if let Some(m) = b.get_mut(0..8) {
            m.copy_from_slice(&MAGIC);
        }
        put16(&mut b, 8, self.version);
        put16(&mut b, 10, self.section_count);
        put32(&mut b, 12, self.file_len);
        put32(&mut b, 16, self.table_crc);
        let crc = crc32(b.get(..28).unwrap_or(&[]));
        put32(&mut b, 28, crc);
        b
    }

    /// Reads a header: magic first, then version (so a future layout is reported as a version
    /// problem, not as damage), then the header CRC.
    pub fn decode(b: &[u8; HEADER_LEN]) -> Result<Self, Error> {
        if b.get(0..8) != Some(&MAGIC[..]) {
            return Err(Error::NotABundle);
        }
        let version = le16(b, 8);
        if version != VERSION {
            return Err(Error::UnsupportedVersion {
                found: version,
                supported: VERSION,
            });
        }
        if crc32(b.get(..28).unwrap_or(&[])) != le32(b, 28) {
            return Err(Error::Corrupt {
                section: SectionKind::Header,
                offset: 0,
            });
        }
        let section_count = le16(b, 10);
        if section_count > MAX_SECTIONS {
            return Err(Error::Corrupt {
                section: SectionKind::Header,
                offset: 10,
            });
        }
        Ok(Header {
            version,
            section_count,
            file_len: le32(b, 12),
            table_crc: le32(b, 16),
        })
    }
}

/// One entry of the section table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionEntry {
    /// What the section holds.
    pub kind: SectionKind,
    /// Kind-specific flags (0 for every kind in version 1).
    pub flags: u16,
    /// Offset of the section's first byte from the start of the bundle.
    pub offset: u32,
    /// Length of the section in bytes.
    pub len: u32,
    /// CRC-32 of the section's bytes.
    pub crc: u32,
}

impl SectionEntry {
    /// The entry's bytes.
    pub fn encode(&self) -> [u8; SECTION_ENTRY_LEN] {
        let mut b = [0u8; SECTION_ENTRY_LEN];
        put16(&mut b, 0, self.kind.code());
        put16(&mut b, 2, self.flags);
        put32(&mut b, 4, self.offset);
        put32(&mut b, 8, self.len);
        put32(&mut b, 12, self.crc);
        b
    }

    /// Reads an entry (its range is checked by the bundle, which knows the file length).
    pub fn decode(b: &[u8; SECTION_ENTRY_LEN]) -> Self {
        SectionEntry {
            kind: SectionKind::from_code(le16(b, 0)),
            flags: le16(b, 2),
            offset: le32(b, 4),
            len: le32(b, 8),
            crc: le32(b, 12),
        }
    }
}

/// Where one article's metadata and body are.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ArticleRecord {
    /// Offset of the metadata record inside the `Meta` section.
    pub meta_offset: u32,
    /// Length of the metadata record (at most [`MAX_META_LEN`]).
    pub meta_len: u16,
    /// Article flags (bit 0: right-to-left text).
    pub flags: u16,
    /// Index of the body's first chunk in the `Chunks` section.
    pub first_chunk: u32,
    /// Number of chunks of the body.
    pub chunk_count: u32,
    /// Length of the whole body in bytes of UTF-8.
    pub raw_len: u32,
    /// CRC-32 of the whole body's UTF-8.
    pub body_crc: u32,
    /// CRC-32 of the metadata record.
    pub meta_crc: u32,
}

impl ArticleRecord {
    /// The record's bytes, its own CRC included.
    pub fn encode(&self) -> [u8; ARTICLE_RECORD_LEN] {
        let mut b = [0u8; ARTICLE_RECORD_LEN];
        put32(&mut b, 0, self.meta_offset);
        put16(&mut b, 4, self.meta_len);
        put16(&mut b, 6, self.flags);
        put32(&mut b, 8, self.first_chunk);
        put32(&mut b, 12, self.chunk_count);
        put32(&mut b, 16, self.raw_len);
        put32(&mut b, 20, self.body_crc);
        put32(&mut b, 24, self.meta_crc);
        let crc = crc32(b.get(..28).unwrap_or(&[]));
        put32(&mut b, 28, crc);
        b
    }

    /// Reads a record; `None` when its CRC does not match.
    pub fn decode(b: &[u8; ARTICLE_RECORD_LEN]) -> Option<Self> {
        if crc32(b.get(..28).unwrap_or(&[])) != le32(b, 28) {
            return None;
        }
        Some(ArticleRecord {
            meta_offset: le32(b, 0),
            meta_len: le16(b, 4),
            flags: le16(b, 6),
            first_chunk: le32(b, 8),
            chunk_count: le32(b, 12),
            raw_len: le32(b, 16),
            body_crc: le32(b, 20),
            meta_crc: le32(b, 24),
        })
    }
}

/// How a chunk's bytes are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Codec {
    /// The raw UTF-8, as is (used when compression would not make it smaller).
    Stored,
    /// Raw deflate (RFC 1951), no preset dictionary.
    Deflate,
    /// Raw deflate whose back-references may reach into the bundle's `Dictionary` section,
    /// which sits immediately before the chunk's first byte in the window.
    DeflateDict,
}

impl Codec {
    /// The codec's code on the wire.
    pub const fn code(self) -> u8 {
        match self {
            Codec::Stored => 0,
            Codec::Deflate => 1,
            Codec::DeflateDict => 2,
        }
    }

    /// The codec of a wire code, if known.
    pub const fn from_code(c: u8) -> Option<Self> {
        match c {
            0 => Some(Codec::Stored),
            1 => Some(Codec::Deflate),
            2 => Some(Codec::DeflateDict),
            _ => None,
        }
    }
}

/// One independently decodable piece of an article body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkRecord {
    /// Offset of the stored bytes inside the `Bodies` section.
    pub offset: u32,
    /// Length of the stored bytes.
    pub stored_len: u32,
    /// Length of the chunk's UTF-8 once decoded (at most [`MAX_CHUNK_RAW`]).
    pub raw_len: u16,
    /// How the bytes are stored.
    pub codec: Codec,
    /// CRC-32 of the decoded UTF-8.
    pub crc: u32,
}

impl ChunkRecord {
    /// The record's bytes.
    pub fn encode(&self) -> [u8; CHUNK_RECORD_LEN] {
        let mut b = [0u8; CHUNK_RECORD_LEN];
        put32(&mut b, 0, self.offset);
        put32(&mut b, 4, self.stored_len);
        put16(&mut b, 8, self.raw_len);
        if let Some(c) = b.get_mut(10) {
            *c = self.codec.code();
        }
        put32(&mut b, 12, self.crc);
        b
    }

    /// Where the stored bytes end inside the `Bodies` section (`None` past 4 GiB).
    pub fn end(&self) -> Option<u32> {
        self.offset.checked_add(self.stored_len)
    }

    /// Reads a record; `None` when the codec is unknown or a reserved byte is set.
    pub fn decode(b: &[u8; CHUNK_RECORD_LEN]) -> Option<Self> {
        let codec = Codec::from_code(*b.get(10)?)?;
        if *b.get(11)? != 0 {
            return None;
        }
        Some(ChunkRecord {
            offset: le32(b, 0),
            stored_len: le32(b, 4),
            raw_len: le16(b, 8),
            codec,
            crc: le32(b, 12),
        })
    }
}

/// The header of one glyph strike (one size of the bundle's glyphs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StrikeHeader {
    /// Which size this is: 0 small (for 128x64-class screens), 1 large, 2 smooth (colour
    /// screens: anti-aliased, proportional), 3 smooth and larger.
    pub size_class: u8,
    /// Height of a text line in pixels.
    pub line_height: u8,
    /// Pixels from the top of a line to the baseline.
    pub baseline: u8,
    /// Top of the compact box (relative to a full line's top) that the ink of alphabetic
    /// scripts stays within; a line whose glyphs all fit in it may be set `compact_height` tall.
    pub compact_top: u8,
    /// Height of a compact line in pixels (at most `line_height`).
    pub compact_height: u8,
    /// Number of glyph records, sorted by code point.
    pub glyph_count: u32,
    /// Number of entries in the strike's metrics table.
    pub metrics_count: u16,
    /// Bits a pixel of its deepest glyph: 1, or 2 when it has anti-aliased glyphs (a reader
    /// then draws their edges before their ink, so that no glyph's edge lightens another's).
    pub depth: u8,
}

impl StrikeHeader {
    /// The header's bytes.
    pub fn encode(&self) -> [u8; STRIKE_HEADER_LEN] {
        let mut b = [0u8; STRIKE_HEADER_LEN];
        b[0] = self.size_class;
        b[1] = self.line_height;
        b[2] = self.baseline;
        b[3] = self.compact_top;
        put32(&mut b, 4, self.glyph_count);
        b[8..10].copy_from_slice(&self.metrics_count.to_le_bytes());
        b[10] = self.compact_height;
        b[11] = self.depth;
        b
    }

    /// Reads a strike header.
    pub fn decode(b: &[u8; STRIKE_HEADER_LEN]) -> Self {
        StrikeHeader {
            size_class: b[0],
            line_height: b[1],
            baseline: b[2],
            compact_top: b[3],
            compact_height: b[10],
            glyph_count: le32(b, 4),
            metrics_count: le16(b, 8),
            depth: b[11],
        }
    }

    /// Offset of metrics entry `index` from the start of the section.
    pub const fn metrics_offset(index: u16) -> u32 {
        STRIKE_HEADER_LEN as u32 + index as u32 * GLYPH_METRICS_LEN as u32
    }

    /// Offset of the glyph records from the start of the section.
    pub const fn records_offset(&self) -> u32 {
        Self::metrics_offset(self.metrics_count)
    }

    /// Length of a `Glyphs` section with this header.
    pub const fn section_len(&self) -> u64 {
        self.records_offset() as u64 + self.glyph_count as u64 * GLYPH_RECORD_LEN as u64
    }
}

/// A glyph's size, placement, advance and bits a pixel: one entry of a strike's metrics table,
/// shared by every glyph that has the same six values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct GlyphMetrics {
    /// Horizontal advance in pixels (0 for combining marks).
    pub advance: u8,
    /// Bitmap width in pixels.
    pub width: u8,
    /// Bitmap height in pixels.
    pub height: u8,
    /// Horizontal offset of the bitmap from the pen position.
    pub x: i8,
    /// Vertical offset of the bitmap from the top of the line.
    pub y: u8,
    /// Bits a pixel of its bitmap: 1 (ink or not) or 2 (coverage 0 to 3, anti-aliased).
    pub depth: u8,
}

impl GlyphMetrics {
    /// The entry's bytes.
    pub fn encode(&self) -> [u8; GLYPH_METRICS_LEN] {
        [
            self.advance,
            self.width,
            self.height,
            self.x.to_le_bytes()[0],
            self.y,
            self.depth,
        ]
    }

    /// Reads a metrics entry.
    pub fn decode(b: &[u8; GLYPH_METRICS_LEN]) -> Self {
        GlyphMetrics {
            advance: b[0],
            width: b[1],
            height: b[2],
            x: i8::from_le_bytes([b[3]]),
            y: b[4],
            depth: b[5],
        }
    }

    /// Whether a reader can draw it: 1 or 2 bits a pixel, a bitmap of at most
    /// [`MAX_GLYPH_BITMAP`] bytes.
    pub const fn is_valid(&self) -> bool {
        (self.depth == 1 || self.depth == 2)
            && (self.width as usize * self.height as usize * self.depth as usize).div_ceil(8)
                <= MAX_GLYPH_BITMAP
    }
}

/// One glyph record as stored: which character, which metrics, where its bitmap is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GlyphEntry {
    /// Its key: a Unicode scalar value, or a shaping font's glyph
    /// ([`crate::shaped::shaped_key`]).
    pub codepoint: u32,
    /// Index into the strike's metrics table.
    pub metrics: u16,
    /// Offset of the bitmap's first bit in the `GlyphBitmaps` section, in bits.
    pub bit_offset: u32,
}

impl GlyphEntry {
    /// The record's bytes.
    pub fn encode(&self) -> [u8; GLYPH_RECORD_LEN] {
        let cp = self.codepoint.to_le_bytes();
        let m = self.metrics.to_le_bytes();
        let o = self.bit_offset.to_le_bytes();
        [cp[0], cp[1], cp[2], m[0], m[1], o[0], o[1], o[2]]
    }

    /// Reads a glyph record.
    pub fn decode(b: &[u8; GLYPH_RECORD_LEN]) -> Self {
        GlyphEntry {
            codepoint: u32::from_le_bytes([b[0], b[1], b[2], 0]),
            metrics: u16::from_le_bytes([b[3], b[4]]),
            bit_offset: u32::from_le_bytes([b[5], b[6], b[7], 0]),
        }
    }
}

/// One character's metrics and where its bitmap is: a glyph record with its metrics looked up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct GlyphRecord {
    /// The Unicode scalar value.
    pub codepoint: u32,
    /// Horizontal advance in pixels (0 for combining marks).
    pub advance: u8,
    /// Offset of the bitmap's first bit in the `GlyphBitmaps` section, in bits.
    pub bit_offset: u32,
    /// Bitmap width in pixels.
    pub width: u8,
    /// Bitmap height in pixels.
    pub height: u8,
    /// Horizontal offset of the bitmap from the pen position.
    pub x: i8,
    /// Vertical offset of the bitmap from the top of the line.
    pub y: u8,
    /// Bits a pixel: 1, or 2 for an anti-aliased glyph.
    pub depth: u8,
}

impl GlyphRecord {
    /// The record for `entry` with its `metrics`.
    pub const fn new(entry: GlyphEntry, metrics: GlyphMetrics) -> Self {
        GlyphRecord {
            codepoint: entry.codepoint,
            advance: metrics.advance,
            bit_offset: entry.bit_offset,
            width: metrics.width,
            height: metrics.height,
            x: metrics.x,
            y: metrics.y,
            depth: metrics.depth,
        }
    }

    /// Bits of this glyph's bitmap: `height` rows of `width` pixels of `depth` bits.
    pub const fn bitmap_bits(&self) -> u32 {
        self.width as u32 * self.height as u32 * self.depth as u32
    }

    /// Bytes of the `GlyphBitmaps` section the bitmap touches, from byte `bit_offset / 8`.
    pub const fn bitmap_span(&self) -> usize {
        ((self.bit_offset % 8) + self.bitmap_bits()).div_ceil(8) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_bytes_are_pinned() {
        let h = Header {
            version: VERSION,
            section_count: 2,
            file_len: 0x0102_0304,
            table_crc: 0xAABB_CCDD,
        };
        let b = h.encode();
        assert_eq!(&b[..8], &MAGIC);
        assert_eq!(&b[8..20], &[9, 0, 2, 0, 4, 3, 2, 1, 0xDD, 0xCC, 0xBB, 0xAA]);
        assert_eq!(&b[20..28], &[0; 8]);
        assert_eq!(Header::decode(&b), Ok(h));
    }

    #[test]
    fn header_checks_in_order() {
        let mut b = Header {
            version: VERSION,
            section_count: 1,
            file_len: 64,
            table_crc: 0,
        }
        .encode();
        b[20] = 1;
        assert!(matches!(Header::decode(&b), Err(Error::Corrupt { .. })));
        b[8] = 10;
        assert_eq!(
            Header::decode(&b),
            Err(Error::UnsupportedVersion {
                found: 10,
                supported: 9
            })
        );
        b[1] = b'X';
        assert_eq!(Header::decode(&b), Err(Error::NotABundle));
    }

    #[test]
    fn records_round_trip() {
        let a = ArticleRecord {
            meta_offset: 7,
            meta_len: 30,
            flags: 1,
            first_chunk: 3,
            chunk_count: 2,
            raw_len: 9000,
            body_crc: 5,
            meta_crc: 6,
        };
        let mut b = a.encode();
        assert_eq!(ArticleRecord::decode(&b), Some(a));
        b[3] ^= 1;
        assert_eq!(ArticleRecord::decode(&b), None);

        let c = ChunkRecord {
            offset: 1,
            stored_len: 2,
            raw_len: 3,
            codec: Codec::Deflate,
            crc: 4,
        };
        assert_eq!(c.encode(), [1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 1, 0, 4, 0, 0, 0]);
        assert_eq!(ChunkRecord::decode(&c.encode()), Some(c));

        let e = GlyphEntry {
            codepoint: 0x10FFFF,
            metrics: 0x1234,
            bit_offset: 0xFF_FFFF,
        };
        assert_eq!(e.encode(), [0xFF, 0xFF, 0x10, 0x34, 0x12, 0xFF, 0xFF, 0xFF]);
        assert_eq!(GlyphEntry::decode(&e.encode()), e);
        let m = GlyphMetrics {
            advance: 16,
            width: 15,
            height: 14,
            x: -1,
            y: 2,
            depth: 1,
        };
        assert_eq!(m.encode(), [16, 15, 14, 0xFF, 2, 1]);
        assert_eq!(GlyphMetrics::decode(&m.encode()), m);
        let g = GlyphRecord::new(
            GlyphEntry {
                codepoint: 0xAC00,
                metrics: 0,
                bit_offset: 99,
            },
            m,
        );
        assert_eq!(g.bitmap_bits(), 210);
        // Bits 99..309 lie in bytes 12..39.
        assert_eq!(g.bitmap_span(), 27);
        let smooth = GlyphRecord::new(
            GlyphEntry {
                codepoint: 0x41,
                metrics: 0,
                bit_offset: 99,
            },
            GlyphMetrics { depth: 2, ..m },
        );
        assert_eq!(smooth.bitmap_bits(), 420);
        assert!(m.is_valid() && GlyphMetrics { depth: 2, ..m }.is_valid());
        assert!(!GlyphMetrics { depth: 0, ..m }.is_valid());
        assert!(!GlyphMetrics { depth: 4, ..m }.is_valid());
        // 32 x 17 pixels of 2 bits: 136 bytes, over the limit.
        let big = GlyphMetrics {
            width: 32,
            height: 17,
            depth: 2,
            ..m
        };
        assert!(!big.is_valid());
    }
}
