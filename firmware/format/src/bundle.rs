//! Opening a bundle and looking things up in it, through a [`Storage`], with bounded RAM.

use core::cmp::Ordering;

use miniz_oxide::inflate::core::{decompress, inflate_flags, DecompressorOxide};
use miniz_oxide::inflate::TINFLStatus;

use crate::crc::Crc32;
use crate::error::Error;
pub use crate::layout::MAX_STRIKES;
use crate::layout::{
    ArticleRecord, ChunkRecord, Codec, GlyphEntry, GlyphMetrics, GlyphRecord, Header, SectionEntry,
    SectionKind, StrikeHeader, ALIAS_RECORD_LEN, ARTICLE_RECORD_LEN, CHUNK_RECORD_LEN,
    GLYPH_METRICS_LEN, GLYPH_RECORD_LEN, HEADER_LEN, MAX_CHUNK_RAW, MAX_EXPANSION, MAX_INFO_LEN,
    MAX_META_LEN, SECTION_ENTRY_LEN, STRIKE_HEADER_LEN, TITLE_KEY_LEN, TITLE_RECORD_LEN,
};
use crate::meta::{title_prefix_cmp, ArticleMeta, BundleInfo, FoldedPrefix};
use crate::seal::{Seal, Signer};
use crate::storage::Storage;

/// Spare output room the inflater needs: `miniz_oxide` reports `HasMoreOutput` instead of
/// finishing when the output buffer ends exactly where the text does.
pub const INFLATE_SLACK: usize = 1;

/// Bytes read from storage at a time when streaming (checksums, compressed input).
const STREAM_PIECE: usize = 256;

/// Where one section is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// Offset from the start of the bundle.
    pub offset: u32,
    /// Length in bytes.
    pub len: u32,
}

impl Span {
    fn end(&self) -> u32 {
        self.offset.saturating_add(self.len)
    }
}

/// One title of the title index: an article's own title or one of its aliases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TitleEntry {
    /// The article it names.
    pub article: u32,
    /// Which alias it is (its number in the `Aliases` section), or `None` for the article's
    /// own title.
    pub alias: Option<u32>,
}

/// One glyph strike of an open bundle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Strike {
    /// The strike's header.
    pub header: StrikeHeader,
    /// Where its section is.
    pub span: Span,
}

/// An open, validated bundle.
///
/// Holds the section locations and a few counts, nothing that grows with the number or length
/// of articles.
pub struct Bundle<S> {
    storage: S,
    /// The checked signature of a signed bundle: every read is then checked against its tree.
    seal: Option<Seal>,
    info: Span,
    articles: Span,
    meta: Span,
    chunks: Span,
    bodies: Span,
    titles: Span,
    offers: Span,
    dictionary: Span,
    glyph_bitmaps: Span,
    levels: Span,
    shapes: Span,
    aliases: Span,
    strikes: heapless::Vec<Strike, MAX_STRIKES>,
    article_count: u32,
    alias_count: u32,
    chunk_count: u32,
    max_chunk_len: u32,
    id: [u8; 16],
}

fn corrupt(section: SectionKind, offset: u32) -> Error {
    Error::Corrupt { section, offset }
}

/// Reads `buf.len()` bytes at `at`, checked against the seal's hash tree when there is one.
fn read_checked<S: Storage>(
    storage: &mut S,
    seal: &mut Option<Seal>,
    at: u32,
    buf: &mut [u8],
) -> Result<(), Error> {
    if let Some(seal) = seal.as_mut() {
        seal.check(storage, at, buf.len())?;
    }
    storage.read_at(at, buf).map_err(Error::from)
}

/// CRC-32 of `span`'s bytes, read in small pieces.
fn crc_of<S: Storage>(storage: &mut S, span: Span) -> Result<u32, Error> {
    let mut crc = Crc32::new();
    let mut piece = [0u8; STREAM_PIECE];
    let mut at = span.offset;
    let end = span.end();
    while at < end {
        let n = core::cmp::min(STREAM_PIECE as u32, end - at) as usize;
        let buf = piece.get_mut(..n).unwrap_or(&mut []);
        storage.read_at(at, buf)?;
        crc.update(buf);
        at += n as u32;
    }
    Ok(crc.finish())
}

impl<S: Storage> Bundle<S> {
    /// Opens a bundle: checks magic, version, header and section table checksums, the ranges of
    /// all sections and the checksums of the small sections (info, glyphs, dictionary).
    pub fn open(storage: S) -> Result<Self, Error> {
        Self::open_checked(storage, None)
    }

    /// Opens a bundle whose signature was checked by [`Seal::check_bundle`] (`checked`), so
    /// that the Ed25519 check is not repeated here, where a device's stack is deeper. A seal
    /// that is not this bundle's is ignored and the signature checked again.
    pub fn open_checked(mut storage: S, checked: Option<Seal>) -> Result<Self, Error> {
        let actual = storage.len();
        let mut hb = [0u8; HEADER_LEN];
        if (actual as usize) < HEADER_LEN {
            let n = core::cmp::min(actual as usize, 8);
            let mut magic = [0u8; 8];
            let m = magic.get_mut(..n).unwrap_or(&mut []);
            storage.read_at(0, m)?;
            if n < 8 || magic != crate::layout::MAGIC {
                return Err(Error::NotABundle);
            }
            return Err(Error::Truncated {
                expected: HEADER_LEN as u32,
                actual,
            });
        }
        storage.read_at(0, &mut hb)?;
        let header = Header::decode(&hb)?;
        // A flash region may be larger than the bundle written into it; shorter is truncation.
        if header.file_len > actual {
            return Err(Error::Truncated {
                expected: header.file_len,
                actual,
            });
        }
        let file_len = header.file_len;
        let table = Span {
            offset: HEADER_LEN as u32,
            len: u32::from(header.section_count) * SECTION_ENTRY_LEN as u32,
        };
        if table.end() > file_len {
            return Err(corrupt(SectionKind::Header, 10));
        }
        if crc_of(&mut storage, table)? != header.table_crc {
            return Err(corrupt(SectionKind::Header, table.offset));
        }

        let mut b = Bundle {
            storage,
            seal: None,
            info: Span::default(),
            articles: Span::default(),
            meta: Span::default(),
            chunks: Span::default(),
            bodies: Span::default(),
            titles: Span::default(),
            offers: Span::default(),
            dictionary: Span::default(),
            glyph_bitmaps: Span::default(),
            levels: Span::default(),
            shapes: Span::default(),
            aliases: Span::default(),
            strikes: heapless::Vec::new(),
            article_count: 0,
            alias_count: 0,
            chunk_count: 0,
            max_chunk_len: 0,
            id: [0; 16],
        };
        let mut seen = 0u32;
        // The signature and hash tree: (offset, len) and the place of their table entries.
        let mut signature: Option<(Span, u32)> = None;
        let mut tree: Option<(Span, u32)> = None;
        for i in 0..u32::from(header.section_count) {
            let at = table.offset + i * SECTION_ENTRY_LEN as u32;
            let mut eb = [0u8; SECTION_ENTRY_LEN];
            b.storage.read_at(at, &mut eb)?;
            let e = SectionEntry::decode(&eb);
            let span = Span {
                offset: e.offset,
                len: e.len,
            };
            if e.offset < table.end() || e.offset.checked_add(e.len).is_none_or(|x| x > file_len) {
                return Err(corrupt(e.kind, at));
            }
            let slot = match e.kind {
                SectionKind::Info => &mut b.info,
                SectionKind::Articles => &mut b.articles,
                SectionKind::Meta => &mut b.meta,
                SectionKind::Chunks => &mut b.chunks,
                SectionKind::Bodies => &mut b.bodies,
                SectionKind::Titles => &mut b.titles,
                SectionKind::Offers => &mut b.offers,
                SectionKind::Dictionary => &mut b.dictionary,
                SectionKind::GlyphBitmaps => &mut b.glyph_bitmaps,
                SectionKind::Levels => &mut b.levels,
                SectionKind::Shapes => &mut b.shapes,
                SectionKind::Aliases => &mut b.aliases,
                SectionKind::Glyphs => {
                    if crc_of(&mut b.storage, span)? != e.crc {
                        return Err(corrupt(e.kind, e.offset));
                    }
                    let strike = Self::read_strike(&mut b.storage, span)?;
                    if b.strikes.push(strike).is_err() {
                        return Err(corrupt(e.kind, at));
                    }
                    continue;
                }
                SectionKind::Signature | SectionKind::HashTree => {
                    let slot = if e.kind == SectionKind::Signature {
                        &mut signature
                    } else {
                        &mut tree
                    };
                    if slot.is_some() {
                        return Err(corrupt(e.kind, at));
                    }
                    *slot = Some((span, at));
                    continue;
                }
                // Later versions may add sections; this reader does not need them.
                SectionKind::Unknown(_) | SectionKind::Header => continue,
            };
            let bit = 1u32 << e.kind.code();
            if seen & bit != 0 {
                return Err(corrupt(e.kind, at));
            }
            seen |= bit;
            *slot = span;
            if matches!(
                e.kind,
                SectionKind::Info | SectionKind::Dictionary | SectionKind::GlyphBitmaps
            ) && crc_of(&mut b.storage, span)? != e.crc
            {
                return Err(corrupt(e.kind, e.offset));
            }
        }
        for kind in [
            SectionKind::Info,
            SectionKind::Articles,
            SectionKind::Meta,
            SectionKind::Chunks,
            SectionKind::Bodies,
            SectionKind::Titles,
            SectionKind::Offers,
        ] {
            if seen & (1u32 << kind.code()) == 0 {
                return Err(Error::MissingSection(kind));
            }
        }
        if b.dictionary.len as usize > MAX_CHUNK_RAW {
            return Err(corrupt(SectionKind::Dictionary, b.dictionary.offset));
        }

        let mut ib = [0u8; MAX_INFO_LEN];
        let info_len = b.info.len as usize;
        let ibuf = ib
            .get_mut(..info_len)
            .ok_or(corrupt(SectionKind::Info, b.info.offset))?;
        b.storage.read_at(b.info.offset, ibuf)?;
        let info: BundleInfo<'_> =
            postcard::from_bytes(ibuf).map_err(|_| corrupt(SectionKind::Info, b.info.offset))?;
        b.article_count = info.article_count;
        b.max_chunk_len = info.max_chunk_len;
        b.id = info.id;
        if b.max_chunk_len as usize > MAX_CHUNK_RAW {
            return Err(corrupt(SectionKind::Info, b.info.offset));
        }
        if u64::from(b.articles.len) != u64::from(b.article_count) * ARTICLE_RECORD_LEN as u64 {
            return Err(corrupt(SectionKind::Articles, b.articles.offset));
        }
        if b.chunks.len % CHUNK_RECORD_LEN as u32 != 0 {
            return Err(corrupt(SectionKind::Chunks, b.chunks.offset));
        }
        b.chunk_count = b.chunks.len / CHUNK_RECORD_LEN as u32;
        if b.aliases.len > 0 {
            let mut cb = [0u8; 4];
            if b.aliases.len < 4 {
                return Err(corrupt(SectionKind::Aliases, b.aliases.offset));
            }
            b.storage.read_at(b.aliases.offset, &mut cb)?;
            b.alias_count = u32::from_le_bytes(cb);
            if 4 + u64::from(b.alias_count) * ALIAS_RECORD_LEN as u64 > u64::from(b.aliases.len) {
                return Err(corrupt(SectionKind::Aliases, b.aliases.offset));
            }
        }
        let titles = u64::from(b.article_count) + u64::from(b.alias_count);
        if u64::from(b.titles.len) != titles * TITLE_RECORD_LEN as u64 {
            return Err(corrupt(SectionKind::Titles, b.titles.offset));
        }
        match (signature, tree) {
            (None, None) => {}
            (Some((sig, sig_entry)), Some((tree, tree_entry))) => {
                // Everything but the tree and the signature lies in the signed content, which
                // ends where the tree starts; the signature comes last.
                let content_end = tree.offset;
                let inside = b.sections().iter().all(|(_, s)| s.end() <= content_end)
                    && b.strikes.iter().all(|s| s.span.end() <= content_end)
                    && tree.end() <= sig.offset;
                if !inside {
                    return Err(corrupt(SectionKind::HashTree, tree_entry));
                }
                let seal = match checked {
                    Some(seal)
                        if seal.is_of(&mut b.storage, (sig.offset, sig.len), tree.offset)? =>
                    {
                        seal
                    }
                    _ => Seal::open(
                        &mut b.storage,
                        (sig.offset, sig.len),
                        (tree.offset, tree.len),
                        [sig_entry, tree_entry],
                    )?,
                };
                b.seal = Some(seal);
                // What opening read and keeps: header, table, info and the strike headers.
                let mut spans: heapless::Vec<Span, { MAX_STRIKES + 2 }> = heapless::Vec::new();
                let _ = spans.push(table);
                let _ = spans.push(b.info);
                for s in &b.strikes {
                    let _ = spans.push(Span {
                        offset: s.span.offset,
                        len: STRIKE_HEADER_LEN as u32,
                    });
                }
                if let Some(seal) = b.seal.as_mut() {
                    seal.check(&mut b.storage, 0, HEADER_LEN)?;
                    for s in &spans {
                        seal.check(&mut b.storage, s.offset, s.len as usize)?;
                    }
                }
            }
            (Some((_, at)), None) | (None, Some((_, at))) => {
                return Err(corrupt(SectionKind::Signature, at));
            }
        }
        Ok(b)
    }

    /// Reads bytes of the bundle, checked against the signature's hash tree when it is signed.
    pub fn read_at(&mut self, at: u32, buf: &mut [u8]) -> Result<(), Error> {
        read_checked(&mut self.storage, &mut self.seal, at, buf)
    }

    /// Who signed the bundle, when it is signed (the signature was checked on opening).
    pub fn signer(&self) -> Option<&Signer> {
        self.seal.as_ref().map(|s| &s.signer)
    }

    fn read_strike(storage: &mut S, span: Span) -> Result<Strike, Error> {
        let mut hb = [0u8; STRIKE_HEADER_LEN];
        if (span.len as usize) < STRIKE_HEADER_LEN {
            return Err(corrupt(SectionKind::Glyphs, span.offset));
        }
        storage.read_at(span.offset, &mut hb)?;
        let header = StrikeHeader::decode(&hb);
        if header.section_len() != u64::from(span.len)
            || header.line_height == 0
            || header.baseline > header.line_height
            || header.compact_height == 0
            || !(header.depth == 1 || header.depth == 2)
            || u16::from(header.compact_top) + u16::from(header.compact_height)
                > u16::from(header.line_height)
        {
            return Err(corrupt(SectionKind::Glyphs, span.offset));
        }
        Ok(Strike { header, span })
    }

    /// The storage the bundle is read from (reads from it directly are not checked against a
    /// signature: use [`Bundle::read_at`]).
    pub fn storage_mut(&mut self) -> &mut S {
        &mut self.storage
    }

    /// Number of articles.
    pub fn article_count(&self) -> u32 {
        self.article_count
    }

    /// Number of titles in the title index: every article's own, and its aliases.
    pub fn title_count(&self) -> u32 {
        // Checked when the bundle was opened: the Titles section holds this many records.
        self.article_count.saturating_add(self.alias_count)
    }

    /// Number of aliases (other names of articles, such as an archive's redirects).
    pub fn alias_count(&self) -> u32 {
        self.alias_count
    }

    /// The bundle's identity, from its Info section.
    pub fn id(&self) -> [u8; 16] {
        self.id
    }

    /// Number of body chunks.
    pub fn chunk_count(&self) -> u32 {
        self.chunk_count
    }

    /// Bytes of window a reader needs to decode any chunk: dictionary, largest chunk, and the
    /// decoder's slack.
    pub fn window_needed(&self) -> u32 {
        self.dictionary.len + self.max_chunk_len + INFLATE_SLACK as u32
    }

    /// The bundle's information, decoded into `buf` (at least [`MAX_INFO_LEN`] bytes).
    pub fn info<'b>(&mut self, buf: &'b mut [u8]) -> Result<BundleInfo<'b>, Error> {
        let span = self.info;
        let dst = buf
            .get_mut(..span.len as usize)
            .ok_or(Error::BufferTooSmall {
                needed: span.len,
                available: 0,
            })?;
        self.read_at(span.offset, dst)?;
        postcard::from_bytes(dst).map_err(|_| corrupt(SectionKind::Info, span.offset))
    }

    /// The record of article `index` (0-based), checked.
    pub fn article(&mut self, index: u32) -> Result<ArticleRecord, Error> {
        if index >= self.article_count {
            return Err(Error::NoSuchArticle {
                index,
                count: self.article_count,
            });
        }
        let at = self.articles.offset + index * ARTICLE_RECORD_LEN as u32;
        let mut rb = [0u8; ARTICLE_RECORD_LEN];
        self.read_at(at, &mut rb)?;
        let rec = ArticleRecord::decode(&rb).ok_or(corrupt(SectionKind::Articles, at))?;
        // Articles own consecutive runs of chunks, in order, each chunk once: a bundle cannot
        // make a reader decode the same text for many articles.
        let expected_first = match index.checked_sub(1) {
            None => Some(0),
            Some(prev) => {
                let mut pb = [0u8; ARTICLE_RECORD_LEN];
                let prev_at = at - ARTICLE_RECORD_LEN as u32;
                self.read_at(prev_at, &mut pb)?;
                let p =
                    ArticleRecord::decode(&pb).ok_or(corrupt(SectionKind::Articles, prev_at))?;
                debug_assert_eq!(prev + 1, index);
                p.first_chunk.checked_add(p.chunk_count)
            }
        };
        let chunks_ok = expected_first == Some(rec.first_chunk)
            && rec
                .first_chunk
                .checked_add(rec.chunk_count)
                .is_some_and(|end| end <= self.chunk_count)
            && u64::from(rec.raw_len) <= u64::from(rec.chunk_count) * u64::from(self.max_chunk_len);
        let meta_ok = rec
            .meta_offset
            .checked_add(u32::from(rec.meta_len))
            .is_some_and(|end| end <= self.meta.len)
            && rec.meta_len as usize <= MAX_META_LEN;
        if !chunks_ok || !meta_ok {
            return Err(corrupt(SectionKind::Articles, at));
        }
        Ok(rec)
    }

    /// The metadata of an article, decoded into `buf` (at least [`MAX_META_LEN`] bytes).
    pub fn meta<'b>(
        &mut self,
        rec: &ArticleRecord,
        buf: &'b mut [u8],
    ) -> Result<ArticleMeta<'b>, Error> {
        let at = self.meta.offset + rec.meta_offset;
        let available = buf.len() as u32;
        let dst = buf
            .get_mut(..usize::from(rec.meta_len))
            .ok_or(Error::BufferTooSmall {
                needed: u32::from(rec.meta_len),
                available,
            })?;
        self.read_at(at, dst)?;
        if crate::crc::crc32(dst) != rec.meta_crc {
            return Err(corrupt(SectionKind::Meta, at));
        }
        postcard::from_bytes(dst).map_err(|_| corrupt(SectionKind::Meta, at))
    }

    /// The record of chunk `index` (an index into the whole `Chunks` section).
    pub fn chunk(&mut self, index: u32) -> Result<ChunkRecord, Error> {
        let at = self
            .chunks
            .offset
            .saturating_add(index.saturating_mul(CHUNK_RECORD_LEN as u32));
        if index >= self.chunk_count {
            return Err(corrupt(SectionKind::Chunks, at));
        }
        let mut rb = [0u8; CHUNK_RECORD_LEN];
        self.read_at(at, &mut rb)?;
        let rec = ChunkRecord::decode(&rb).ok_or(corrupt(SectionKind::Chunks, at))?;
        // Chunks lie back to back in the Bodies section, in order: no two records share bytes.
        let expected_offset = match index.checked_sub(1) {
            None => Some(0),
            Some(_) => {
                let prev_at = at - CHUNK_RECORD_LEN as u32;
                self.read_at(prev_at, &mut rb)?;
                ChunkRecord::decode(&rb)
                    .ok_or(corrupt(SectionKind::Chunks, prev_at))?
                    .end()
            }
        };
        let in_range = expected_offset == Some(rec.offset)
            && rec.end().is_some_and(|end| end <= self.bodies.len);
        let raw = u32::from(rec.raw_len);
        let expansion_ok = match rec.codec {
            Codec::Stored => rec.stored_len == raw,
            Codec::Deflate | Codec::DeflateDict => {
                u64::from(raw) <= u64::from(rec.stored_len) * u64::from(MAX_EXPANSION)
            }
        };
        if !in_range || !expansion_ok || raw > self.max_chunk_len {
            return Err(corrupt(SectionKind::Chunks, at));
        }
        Ok(rec)
    }

    /// Decodes chunk `index` into `window` and returns the range of `window` holding its text.
    ///
    /// `window` must hold [`Bundle::window_needed`] bytes; the part before the returned range is
    /// the preset dictionary when the chunk uses one. The text is checked against its CRC-32
    /// before it is returned.
    pub fn load_chunk(
        &mut self,
        index: u32,
        inflater: &mut Inflater,
        window: &mut [u8],
    ) -> Result<core::ops::Range<usize>, Error> {
        let rec = self.chunk(index)?;
        let data_at = self.bodies.offset + rec.offset;
        let raw_len = usize::from(rec.raw_len);
        let needed = self.window_needed();
        if (window.len() as u32) < needed {
            return Err(Error::BufferTooSmall {
                needed,
                available: window.len() as u32,
            });
        }
        let start = match rec.codec {
            Codec::Stored => {
                if rec.stored_len != u32::from(rec.raw_len) {
                    return Err(corrupt(SectionKind::Chunks, data_at));
                }
                let dst = window.get_mut(..raw_len).unwrap_or(&mut []);
                self.read_at(data_at, dst)?;
                0
            }
            Codec::Deflate | Codec::DeflateDict => {
                let dict_len = if rec.codec == Codec::DeflateDict {
                    if self.dictionary.len == 0 {
                        return Err(corrupt(SectionKind::Chunks, data_at));
                    }
                    let d = self.dictionary;
                    let dst = window.get_mut(..d.len as usize).unwrap_or(&mut []);
                    self.read_at(d.offset, dst)?;
                    d.len as usize
                } else {
                    0
                };
                let (storage, seal) = (&mut self.storage, &mut self.seal);
                inflater.inflate(
                    |at, buf| read_checked(storage, seal, at, buf),
                    data_at,
                    rec.stored_len,
                    window,
                    dict_len,
                    raw_len,
                )?;
                dict_len
            }
        };
        let text = window
            .get(start..start + raw_len)
            .ok_or(corrupt(SectionKind::Bodies, data_at))?;
        if crate::crc::crc32(text) != rec.crc {
            return Err(corrupt(SectionKind::Bodies, data_at));
        }
        Ok(start..start + raw_len)
    }

    /// The article at position `pos` of the title order (an alias's article for an alias).
    pub fn title_order(&mut self, pos: u32) -> Result<u32, Error> {
        Ok(self.title_entry(pos)?.article)
    }

    /// The title at position `pos` of the title order: its article, and which alias it is
    /// when it is not the article's own title.
    pub fn title_entry(&mut self, pos: u32) -> Result<TitleEntry, Error> {
        let at = self.titles.offset + pos.saturating_mul(TITLE_RECORD_LEN as u32);
        if pos >= self.title_count() {
            return Err(Error::NoSuchArticle {
                index: pos,
                count: self.title_count(),
            });
        }
        let mut rb = [0u8; 4];
        self.read_at(at, &mut rb)?;
        let id = u32::from_le_bytes(rb);
        if id < self.article_count {
            return Ok(TitleEntry {
                article: id,
                alias: None,
            });
        }
        let alias = id - self.article_count;
        if alias >= self.alias_count {
            return Err(corrupt(SectionKind::Titles, at));
        }
        let (article, _) = self.alias_record(alias)?;
        Ok(TitleEntry {
            article,
            alias: Some(alias),
        })
    }

    /// Alias `k`'s record: its article and where its name is (checked to lie in the section).
    fn alias_record(&mut self, k: u32) -> Result<(u32, Span), Error> {
        let at = self.aliases.offset + 4 + k.saturating_mul(ALIAS_RECORD_LEN as u32);
        let mut rb = [0u8; ALIAS_RECORD_LEN];
        self.read_at(at, &mut rb)?;
        let [a0, a1, a2, a3, n0, n1, n2, n3] = rb;
        let article = u32::from_le_bytes([a0, a1, a2, a3]);
        let name = u32::from_le_bytes([n0, n1, n2, n3]);
        let table_end = 4 + u64::from(self.alias_count) * ALIAS_RECORD_LEN as u64;
        if article >= self.article_count || u64::from(name) < table_end || name >= self.aliases.len
        {
            return Err(corrupt(SectionKind::Aliases, at));
        }
        let mut lb = [0u8; 1];
        self.read_at(self.aliases.offset + name, &mut lb)?;
        let len = u32::from(lb[0]);
        if len == 0 || u64::from(name) + 1 + u64::from(len) > u64::from(self.aliases.len) {
            return Err(corrupt(SectionKind::Aliases, at));
        }
        Ok((
            article,
            Span {
                offset: self.aliases.offset + name + 1,
                len,
            },
        ))
    }

    /// Alias `k`: its article and its name, read into `buf` (at least
    /// [`crate::layout::MAX_ALIAS_LEN`] bytes).
    pub fn alias<'b>(&mut self, k: u32, buf: &'b mut [u8]) -> Result<(u32, &'b str), Error> {
        if k >= self.alias_count {
            return Err(corrupt(SectionKind::Aliases, self.aliases.offset));
        }
        let (article, span) = self.alias_record(k)?;
        let bytes = buf
            .get_mut(..span.len as usize)
            .ok_or(corrupt(SectionKind::Aliases, span.offset))?;
        self.read_at(span.offset, bytes)?;
        let name =
            core::str::from_utf8(bytes).map_err(|_| corrupt(SectionKind::Aliases, span.offset))?;
        Ok((article, name))
    }

    /// The text of the title at position `pos`: the article's title or the alias's name, read
    /// into `buf` (at least [`MAX_META_LEN`] bytes).
    pub fn title_text<'b>(&mut self, pos: u32, buf: &'b mut [u8]) -> Result<&'b str, Error> {
        let entry = self.title_entry(pos)?;
        match entry.alias {
            Some(k) => Ok(self.alias(k, buf)?.1),
            None => {
                let rec = self.article(entry.article)?;
                Ok(self.meta(&rec, buf)?.title)
            }
        }
    }

    /// Where the key of the title at `pos` (in title order) is.
    pub(crate) fn title_key_offset(&self, pos: u32) -> u32 {
        self.titles.offset + pos.saturating_mul(TITLE_RECORD_LEN as u32) + 4
    }

    /// The title key stored at position `pos` of the title order.
    pub(crate) fn title_key_at(&mut self, pos: u32) -> Result<[u8; TITLE_KEY_LEN], Error> {
        let at = self.title_key_offset(pos);
        let mut key = [0u8; TITLE_KEY_LEN];
        self.read_at(at, &mut key)?;
        Ok(key)
    }

    /// The first position in title order whose title starts with `prefix` (ignoring case and
    /// accents), or the position where such a title would be. Most steps compare the stored
    /// title keys; only a prefix longer than a key reads the titles themselves (into `buf`).
    pub fn find_title(&mut self, prefix: &str, buf: &mut [u8]) -> Result<u32, Error> {
        self.title_bound(prefix, buf, Ordering::Less)
    }

    /// The position after the last title that starts with `prefix` (as [`Bundle::find_title`]).
    pub fn find_title_end(&mut self, prefix: &str, buf: &mut [u8]) -> Result<u32, Error> {
        self.title_bound(prefix, buf, Ordering::Greater)
    }

    /// The first position whose title orders `below` the prefix no more: `Less` gives the
    /// first title at or after the prefix, `Greater` the first one past every title that
    /// starts with it.
    fn title_bound(&mut self, prefix: &str, buf: &mut [u8], below: Ordering) -> Result<u32, Error> {
        let folded = FoldedPrefix::new(prefix);
        let (mut lo, mut hi) = (0u32, self.title_count());
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let mut head = [0u8; 8];
            self.read_at(self.title_key_offset(mid), &mut head)?;
            let decided = match folded.cmp_key_head(u64::from_be_bytes(head)) {
                Some(o) => Some(o),
                None => folded.cmp_key(&self.title_key_at(mid)?),
            };
            let order = match decided {
                Some(o) => o,
                None => title_prefix_cmp(self.title_text(mid, buf)?, prefix),
            };
            let before = match below {
                Ordering::Greater => order != Ordering::Greater,
                _ => order == Ordering::Less,
            };
            if before {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(lo)
    }

    /// The strike of a size class, or the nearest one the bundle has.
    pub fn strike(&self, size_class: u8) -> Option<Strike> {
        self.strikes
            .iter()
            .find(|s| s.header.size_class == size_class)
            .or_else(|| {
                self.strikes.iter().min_by_key(|s| {
                    (
                        s.header.size_class.abs_diff(size_class),
                        s.header.size_class,
                    )
                })
            })
            .copied()
    }

    /// The glyph for `c` in `strike`, if the bundle has one.
    pub fn glyph(&mut self, strike: &Strike, c: char) -> Result<Option<GlyphRecord>, Error> {
        self.glyph_by_key(strike, c as u32)
    }

    /// The glyph with key `cp` (a code point, or a shaped glyph's key) in `strike`, if the
    /// bundle has one.
    pub fn glyph_by_key(&mut self, strike: &Strike, cp: u32) -> Result<Option<GlyphRecord>, Error> {
        let (mut lo, mut hi) = (0u32, strike.header.glyph_count);
        let base = strike.span.offset + strike.header.records_offset();
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let mut rb = [0u8; GLYPH_RECORD_LEN];
            self.read_at(base + mid * GLYPH_RECORD_LEN as u32, &mut rb)?;
            let e = GlyphEntry::decode(&rb);
            match e.codepoint.cmp(&cp) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => {
                    if e.metrics >= strike.header.metrics_count {
                        return Err(corrupt(SectionKind::Glyphs, strike.span.offset));
                    }
                    let mut mb = [0u8; GLYPH_METRICS_LEN];
                    self.read_at(
                        strike.span.offset + StrikeHeader::metrics_offset(e.metrics),
                        &mut mb,
                    )?;
                    let m = GlyphMetrics::decode(&mb);
                    if !m.is_valid() || m.depth > strike.header.depth {
                        return Err(corrupt(
                            SectionKind::Glyphs,
                            strike.span.offset + StrikeHeader::metrics_offset(e.metrics),
                        ));
                    }
                    return Ok(Some(GlyphRecord::new(e, m)));
                }
            }
        }
        Ok(None)
    }

    /// Reads the bytes holding a glyph's bitmap into `buf`; the bitmap's first bit is bit
    /// `glyph.bit_offset % 8` (most significant first) of the first byte.
    pub fn glyph_bitmap<'b>(
        &mut self,
        glyph: &GlyphRecord,
        buf: &'b mut [u8],
    ) -> Result<&'b [u8], Error> {
        let len = glyph.bitmap_span();
        let first = glyph.bit_offset / 8;
        if u64::from(first) + len as u64 > u64::from(self.glyph_bitmaps.len) {
            return Err(corrupt(
                SectionKind::GlyphBitmaps,
                self.glyph_bitmaps.offset,
            ));
        }
        let available = buf.len() as u32;
        let dst = buf.get_mut(..len).ok_or(Error::BufferTooSmall {
            needed: len as u32,
            available,
        })?;
        self.read_at(self.glyph_bitmaps.offset + first, dst)?;
        Ok(dst)
    }

    /// Where each known section is, for tools that report on a bundle.
    pub fn sections(&self) -> [(SectionKind, Span); 12] {
        [
            (SectionKind::Info, self.info),
            (SectionKind::Articles, self.articles),
            (SectionKind::Meta, self.meta),
            (SectionKind::Chunks, self.chunks),
            (SectionKind::Bodies, self.bodies),
            (SectionKind::Titles, self.titles),
            (SectionKind::Offers, self.offers),
            (SectionKind::Dictionary, self.dictionary),
            (SectionKind::GlyphBitmaps, self.glyph_bitmaps),
            (SectionKind::Levels, self.levels),
            (SectionKind::Shapes, self.shapes),
            (SectionKind::Aliases, self.aliases),
        ]
    }

    /// The `Levels` section (empty without one).
    pub(crate) fn levels_span(&self) -> Span {
        self.levels
    }

    /// The `Shapes` section (empty without one).
    pub(crate) fn shapes_span(&self) -> Span {
        self.shapes
    }

    /// The `Offers` section.
    pub(crate) fn offers_span(&self) -> Span {
        self.offers
    }

    /// The glyph strikes of the bundle.
    pub fn strikes(&self) -> &[Strike] {
        &self.strikes
    }
}

/// The state of a streaming deflate decoder (about 11 KiB), kept by the caller so that its
/// memory is placed where the device wants it (static or stack).
pub struct Inflater {
    state: DecompressorOxide,
}

impl Default for Inflater {
    fn default() -> Self {
        Self::new()
    }
}

impl Inflater {
    /// A fresh decoder.
    pub fn new() -> Self {
        Inflater {
            state: DecompressorOxide::new(),
        }
    }

    /// Inflates `stored_len` bytes of raw deflate at `at` into `window[start..start + raw_len]`,
    /// with `window[..start]` as history. Reads input in small pieces.
    fn inflate(
        &mut self,
        mut read: impl FnMut(u32, &mut [u8]) -> Result<(), Error>,
        at: u32,
        stored_len: u32,
        window: &mut [u8],
        start: usize,
        raw_len: usize,
    ) -> Result<(), Error> {
        let bad = corrupt(SectionKind::Bodies, at);
        let end = start
            .checked_add(raw_len)
            .and_then(|e| e.checked_add(INFLATE_SLACK))
            .ok_or(bad)?;
        let out = window.get_mut(..end).ok_or(bad)?;
        self.state.init();
        let mut piece = [0u8; STREAM_PIECE];
        let (mut have, mut used) = (0usize, 0usize);
        let mut read_len = 0u32;
        let mut out_pos = start;
        // Every call either consumes input, produces output or ends; the bound makes a hang
        // impossible even on hostile input.
        let max_steps = (stored_len as usize)
            .saturating_add(raw_len)
            .saturating_mul(2)
            .saturating_add(16);
        for _ in 0..max_steps {
            if used == have && read_len < stored_len {
                let n = core::cmp::min(STREAM_PIECE as u32, stored_len - read_len) as usize;
                let dst = piece.get_mut(..n).ok_or(bad)?;
                read(at.saturating_add(read_len), dst)?;
                read_len += n as u32;
                have = n;
                used = 0;
            }
            let more = read_len < stored_len;
            let mut flags = inflate_flags::TINFL_FLAG_USING_NON_WRAPPING_OUTPUT_BUF;
            if more {
                flags |= inflate_flags::TINFL_FLAG_HAS_MORE_INPUT;
            }
            let input = piece.get(used..have).ok_or(bad)?;
            let (status, consumed, produced) =
                decompress(&mut self.state, input, out, out_pos, flags);
            used += consumed;
            out_pos += produced;
            match status {
                TINFLStatus::Done => {
                    return if out_pos == end - INFLATE_SLACK && used == have && !more {
                        Ok(())
                    } else {
                        Err(bad)
                    };
                }
                TINFLStatus::NeedsMoreInput if more => {}
                _ => return Err(bad),
            }
        }
        Err(bad)
    }
}
