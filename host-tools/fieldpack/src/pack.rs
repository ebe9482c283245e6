//! Packing articles into a bundle: chunking, compression, indexes, glyphs, layout.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use fieldpack_format::layout::{
    ArticleRecord, ChunkRecord, Codec, Header, SectionEntry, SectionKind, HEADER_LEN,
    MAX_CHUNK_RAW, MAX_INFO_LEN, MAX_META_LEN, SECTION_ENTRY_LEN, VERSION,
};
use fieldpack_format::{crc32, ArticleMeta, BundleInfo, Crc32};
use rayon::prelude::*;

use crate::compress::{ChunkCompressor, Effort};
use crate::glyphs::{build_glyphs, fonts};
use crate::ingest::Article;

/// Default largest decoded chunk: the smallest profile's, so default bundles open everywhere.
pub const DEFAULT_CHUNK_SIZE: usize = fieldpack_reader::profile::OLED_128X64.bundle_sizes().0;

/// Default preset dictionary size (the smallest profile's).
pub const DEFAULT_DICTIONARY_SIZE: usize = fieldpack_reader::profile::OLED_128X64.bundle_sizes().1;

/// Bundle-wide settings.
#[derive(Clone, Debug)]
pub struct PackOptions {
    /// Bundle title.
    pub title: String,
    /// Who made it.
    pub creator: String,
    /// When, `YYYY-MM-DD`.
    pub created: Option<String>,
    /// Largest decoded chunk in bytes.
    pub chunk_size: usize,
    /// Largest preset dictionary in bytes (0: none).
    pub dictionary_size: usize,
    /// How hard to compress.
    pub effort: Effort,
}

impl Default for PackOptions {
    fn default() -> Self {
        PackOptions {
            title: "Fieldpack".into(),
            creator: String::new(),
            created: None,
            chunk_size: DEFAULT_CHUNK_SIZE,
            dictionary_size: DEFAULT_DICTIONARY_SIZE,
            effort: Effort::Good,
        }
    }
}

/// Per-article figures of a packed bundle.
#[derive(Clone, Debug)]
pub struct ArticleStats {
    /// Bytes of UTF-8 body.
    pub raw: usize,
    /// Bytes stored for the body.
    pub stored: usize,
    /// Chunks of the body.
    pub chunks: usize,
}

/// A packed bundle and what building it found.
///
/// The article text is not copied into one buffer: it stays in the packed articles and is
/// written out chunk by chunk, so that a build holds the bundle's text once.
pub struct Packed {
    /// Header and section table.
    head: Vec<u8>,
    /// Every section but the bodies, with its offset, in file order.
    sections: Vec<(usize, Vec<u8>)>,
    /// Where the bodies start.
    bodies_offset: usize,
    /// The articles, whose chunks are the bodies.
    articles: Vec<PackedArticle>,
    /// Length of the whole bundle.
    len: usize,
    /// Figures for each article, in bundle order.
    pub stats: Vec<ArticleStats>,
    /// Characters no font has: for each, the articles that use it.
    pub missing_glyphs: BTreeMap<char, Vec<MissingUse>>,
}

impl Packed {
    /// Length of the bundle in bytes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the bundle is empty (never: it has a header).
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Writes the bundle's bytes to `w`.
    pub fn write_to(&self, w: &mut impl std::io::Write) -> std::io::Result<()> {
        let mut at = 0usize;
        let pad = |w: &mut dyn std::io::Write, at: &mut usize, to: usize| {
            let zeros = [0u8; 4];
            let n = to - *at;
            *at = to;
            w.write_all(&zeros[..n])
        };
        w.write_all(&self.head)?;
        at += self.head.len();
        for (offset, data) in &self.sections {
            pad(w, &mut at, *offset)?;
            w.write_all(data)?;
            at += data.len();
        }
        pad(w, &mut at, self.bodies_offset)?;
        for a in &self.articles {
            for (_, data, _, _) in &a.chunks {
                w.write_all(data)?;
            }
        }
        Ok(())
    }

    /// The bundle's bytes, in memory.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut v = Vec::with_capacity(self.len);
        // Writing to a Vec cannot fail.
        let _ = self.write_to(&mut v);
        v
    }
}

/// Splits a body into chunks of at most `limit` bytes, cutting after a paragraph end where
/// there is one in the last quarter, else after a space, else at a character boundary.
pub fn split_chunks(body: &str, limit: usize) -> Vec<&str> {
    let limit = limit.clamp(64, MAX_CHUNK_RAW);
    let mut out = Vec::new();
    let mut rest = body;
    while rest.len() > limit {
        let mut cut = limit;
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let mut lo = limit * 3 / 4;
        while !rest.is_char_boundary(lo) {
            lo += 1;
        }
        let window = &rest[lo..cut];
        if let Some(i) = window.rfind('\n').or_else(|| window.rfind(' ')) {
            cut = lo + i + 1;
        }
        out.push(&rest[..cut]);
        rest = &rest[cut..];
    }
    if !rest.is_empty() || out.is_empty() {
        out.push(rest);
    }
    out
}

fn cut_str(s: &str, max_bytes: usize) -> &str {
    let mut end = max_bytes.min(s.len());
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// The postcard bytes of an article's metadata, shortened to fit [`MAX_META_LEN`].
pub fn encode_meta(a: &Article) -> Result<Vec<u8>> {
    let mut origin_limit = 200;
    loop {
        let meta = ArticleMeta {
            title: &a.title,
            lang: a.lang.as_deref(),
            dir: a.dir,
            date: a.date.as_deref(),
            source: a.source.as_deref(),
            author: a.author.as_deref(),
            origin: cut_str(&a.origin, origin_limit),
        };
        let bytes = postcard::to_allocvec(&meta).context("encoding article metadata")?;
        if bytes.len() <= MAX_META_LEN || origin_limit == 0 {
            return Ok(bytes);
        }
        origin_limit /= 2;
    }
}

/// One article compressed and encoded, its text dropped: what a bundle keeps of it. A build
/// holds these, not the articles, so its memory follows the output, not the input.
#[derive(Clone, Debug)]
pub struct PackedArticle {
    /// Input path as stored (the bundle's order).
    pub origin: String,
    /// Headline (the title index's order).
    pub title: String,
    /// Postcard metadata.
    pub meta: Vec<u8>,
    /// Right to left.
    pub rtl: bool,
    /// Chunks: codec, stored bytes, decoded length, decoded CRC.
    pub chunks: Vec<(Codec, Vec<u8>, usize, u32)>,
    /// Body length.
    pub raw_len: usize,
    /// Body CRC.
    pub body_crc: u32,
    /// A 128-bit hash of the body, to find duplicates.
    pub body_hash: u128,
    /// Every character the screens may draw from this article (emptied once merged into the
    /// bundle's set, so that a build does not keep it per article).
    pub chars: BTreeSet<char>,
    /// Characters no font draws, with how often the article uses each.
    pub uncovered: Vec<(char, usize)>,
}

/// A 128-bit hash of text: two SipHash passes with different keys (fixed, so builds repeat).
pub fn hash128(text: &str) -> u128 {
    use std::hash::{Hash, Hasher};
    let mut a = std::collections::hash_map::DefaultHasher::new();
    let mut b = std::collections::hash_map::DefaultHasher::new();
    0u8.hash(&mut a);
    1u8.hash(&mut b);
    text.hash(&mut a);
    text.hash(&mut b);
    (u128::from(a.finish()) << 64) | u128::from(b.finish())
}

/// Compresses and encodes one article.
pub fn pack_article(
    a: &Article,
    compressor: &ChunkCompressor,
    chunk_size: usize,
) -> Result<PackedArticle> {
    let body = a.body();
    let chunks = split_chunks(&body, chunk_size)
        .par_iter()
        .map(|c| {
            let (codec, mut data) = compressor.compress(c.as_bytes());
            // Encoders over-allocate; a build keeps every chunk until the end.
            data.shrink_to_fit();
            (codec, data, c.len(), crc32(c.as_bytes()))
        })
        .collect();
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    let fields = [
        Some(a.title.as_str()),
        Some(body.as_str()),
        a.lang.as_deref(),
        a.date.as_deref(),
        a.source.as_deref(),
        a.author.as_deref(),
    ];
    for c in fields.into_iter().flatten().flat_map(str::chars) {
        *counts.entry(c).or_insert(0) += 1;
    }
    let fonts = fonts()?;
    let uncovered = counts
        .iter()
        .filter(|(&c, _)| !crate::glyphs::covered(fonts, c))
        .map(|(&c, &n)| (c, n))
        .collect();
    Ok(PackedArticle {
        origin: a.origin.clone(),
        title: a.title.clone(),
        meta: {
            let mut m = encode_meta(a)?;
            m.shrink_to_fit();
            m
        },
        rtl: a.dir == fieldpack_format::Direction::Rtl,
        chunks,
        raw_len: body.len(),
        body_crc: crc32(body.as_bytes()),
        body_hash: hash128(&body),
        chars: counts.into_keys().collect(),
        uncovered,
    })
}

/// Lays out packed articles (in bundle order, without duplicates) as a bundle.
pub fn assemble(
    articles: Vec<PackedArticle>,
    extra_chars: &BTreeSet<char>,
    dictionary: Vec<u8>,
    opts: &PackOptions,
) -> Result<Packed> {
    let mut articles_sec = Vec::with_capacity(articles.len() * 32);
    let mut meta_sec = Vec::new();
    let mut chunks_sec = Vec::new();
    let mut bodies_len = 0usize;
    let mut bodies_crc = Crc32::new();
    let mut stats = Vec::with_capacity(articles.len());
    let mut chunk_index = 0u32;
    let mut max_chunk_len = 0usize;
    let mut uses_dictionary = false;
    for a in &articles {
        let first_chunk = chunk_index;
        let mut stored = 0;
        for (codec, data, raw_len, crc) in &a.chunks {
            let rec = ChunkRecord {
                offset: u32::try_from(bodies_len).context("article text over 4 GiB")?,
                stored_len: data.len() as u32,
                raw_len: *raw_len as u16,
                codec: *codec,
                crc: *crc,
            };
            uses_dictionary |= *codec == Codec::DeflateDict;
            max_chunk_len = max_chunk_len.max(*raw_len);
            stored += data.len();
            bodies_len += data.len();
            bodies_crc.update(data);
            chunks_sec.extend_from_slice(&rec.encode());
            chunk_index += 1;
        }
        let rec = ArticleRecord {
            meta_offset: meta_sec.len() as u32,
            meta_len: a.meta.len() as u16,
            flags: u16::from(a.rtl),
            first_chunk,
            chunk_count: a.chunks.len() as u32,
            raw_len: a.raw_len as u32,
            body_crc: a.body_crc,
            meta_crc: crc32(&a.meta),
        };
        articles_sec.extend_from_slice(&rec.encode());
        meta_sec.extend_from_slice(&a.meta);
        stats.push(ArticleStats {
            raw: a.raw_len,
            stored,
            chunks: a.chunks.len(),
        });
    }

    let mut order: Vec<usize> = (0..articles.len()).collect();
    order.sort_by(|&x, &y| {
        fieldpack_format::title_cmp(&articles[x].title, &articles[y].title)
            .then_with(|| articles[x].title.cmp(&articles[y].title))
            .then(x.cmp(&y))
    });
    let mut titles_sec = Vec::with_capacity(order.len() * 16);
    for &i in &order {
        titles_sec.extend_from_slice(&(i as u32).to_le_bytes());
        titles_sec.extend_from_slice(&fieldpack_format::meta::title_key(&articles[i].title));
    }

    let info = BundleInfo {
        title: cut_str(&opts.title, 160),
        creator: cut_str(&opts.creator, 160),
        created: opts.created.as_deref().map(|c| cut_str(c, 32)),
        tool: concat!("fieldpack ", env!("CARGO_PKG_VERSION")),
        article_count: articles.len() as u32,
        max_chunk_len: max_chunk_len as u32,
    };
    let info_sec = postcard::to_allocvec(&info).context("encoding bundle info")?;
    anyhow::ensure!(
        info_sec.len() <= MAX_INFO_LEN,
        "bundle title or creator too long"
    );

    // Every character a screen may draw from the bundle's glyphs.
    let mut chars: BTreeSet<char> = articles
        .iter()
        .flat_map(|a| a.chars.iter().copied())
        .collect();
    chars.extend(extra_chars);
    chars.extend(info.title.chars());
    chars.extend(info.creator.chars());
    chars.extend(info.created.unwrap_or("").chars());
    let fonts = fonts()?;
    let glyphs = build_glyphs(fonts, &chars)?;
    let mut missing_glyphs: BTreeMap<char, Vec<MissingUse>> = BTreeMap::new();
    for (i, a) in articles.iter().enumerate() {
        for &(c, count) in &a.uncovered {
            missing_glyphs.entry(c).or_default().push(MissingUse {
                article: i,
                title: a.title.clone(),
                origin: a.origin.clone(),
                count,
            });
        }
    }

    let mut sections: Vec<(SectionKind, Vec<u8>)> = vec![
        (SectionKind::Info, info_sec),
        (SectionKind::Articles, articles_sec),
        (SectionKind::Titles, titles_sec),
        (SectionKind::Meta, meta_sec),
        (SectionKind::Chunks, chunks_sec),
    ];
    for s in glyphs.strikes {
        sections.push((SectionKind::Glyphs, s.bytes));
    }
    sections.push((SectionKind::GlyphBitmaps, glyphs.bitmaps));
    // The dictionary costs window RAM on the device: kept only when some chunk uses it.
    if uses_dictionary {
        sections.push((SectionKind::Dictionary, dictionary));
    }

    // The bodies come last, written from the articles' chunks.
    let table_len = (sections.len() + 1) * SECTION_ENTRY_LEN;
    let base = HEADER_LEN + table_len;
    let mut table = Vec::with_capacity(table_len);
    let mut placed = Vec::with_capacity(sections.len());
    let mut at = base;
    let mut entry = |kind: SectionKind, at: usize, len: usize, crc: u32| -> Result<()> {
        let e = SectionEntry {
            kind,
            flags: 0,
            offset: u32::try_from(at).context("bundle over 4 GiB")?,
            len: u32::try_from(len).context("section over 4 GiB")?,
            crc,
        };
        table.extend_from_slice(&e.encode());
        Ok(())
    };
    for (kind, data) in sections {
        at = at.next_multiple_of(4);
        entry(kind, at, data.len(), crc32(&data))?;
        let len = data.len();
        placed.push((at, data));
        at += len;
    }
    let bodies_offset = at.next_multiple_of(4);
    entry(
        SectionKind::Bodies,
        bodies_offset,
        bodies_len,
        bodies_crc.finish(),
    )?;
    let file_len = bodies_offset + bodies_len;
    anyhow::ensure!(
        u32::try_from(file_len).is_ok(),
        "bundle would be {file_len} bytes; the format's limit is 4 GiB"
    );
    let header = Header {
        version: VERSION,
        section_count: (placed.len() + 1) as u16,
        file_len: file_len as u32,
        table_crc: crc32(&table),
    };
    let mut head = header.encode().to_vec();
    head.extend_from_slice(&table);
    Ok(Packed {
        head,
        sections: placed,
        bodies_offset,
        articles,
        len: file_len,
        stats,
        missing_glyphs,
    })
}

/// One use of a character that no font has.
#[derive(Clone, Debug)]
pub struct MissingUse {
    /// Article number in the bundle.
    pub article: usize,
    /// Its title.
    pub title: String,
    /// Its input path.
    pub origin: String,
    /// How often it uses the character.
    pub count: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_cut_at_paragraphs_and_characters() {
        let body = format!("{}\n{}", "a".repeat(100), "b".repeat(100));
        let c = split_chunks(&body, 128);
        assert_eq!(c.concat(), body);
        assert!(c.iter().all(|c| c.len() <= 128));
        assert!(c[0].ends_with('\n'));
        let korean = "한".repeat(100);
        let c = split_chunks(&korean, 64);
        assert_eq!(c.concat(), korean);
        assert!(c.iter().all(|c| c.len() <= 64 && c.len() % 3 == 0));
        assert_eq!(split_chunks("", 64), [""]);
    }
}
