//! Packing articles into a bundle: chunking, compression, indexes, glyphs, layout.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result};
use fieldpack_format::layout::SIZE_CLASS_COUNT;
use fieldpack_format::layout::{
    ArticleRecord, ChunkRecord, Codec, Header, SectionEntry, SectionKind, HEADER_LEN,
    MAX_CHUNK_RAW, MAX_INFO_LEN, MAX_META_LEN, SECTION_ENTRY_LEN, VERSION,
};
use fieldpack_format::{crc32, ArticleMeta, BundleInfo, Crc32, LineBox};
use rayon::prelude::*;

use crate::compress::{ChunkCompressor, Effort};
use crate::glyphs::Shaped as ShapedGlyphs;
use crate::glyphs::{build_glyphs, fonts};
use crate::ingest::Article;
use crate::shape::{
    article_runs, default_advances, device_words, encode_shapes, is_looked_up, is_trivial, place,
    shape, shaping_fonts, stored_glyphs, unshaped_chars, word_font, Placed, Shaped, StoredWord,
};
use fieldpack_format::shaped::word_hash;
use fieldpack_format::shaped::{LevelRun, LevelSpan, RUN_LEN};

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
    /// Record each article's input path (off by default: paths can name people).
    pub keep_paths: bool,
    /// Sign the bundle with this publisher key.
    pub sign: Option<crate::sign::SigningKey>,
    /// The glyph strikes to carry, by size class: all four for any device, or a board's own
    /// two (`build --board`).
    pub size_classes: Vec<u8>,
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
            keep_paths: false,
            sign: None,
            size_classes: crate::glyphs::SIZE_CLASSES.to_vec(),
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
    /// Sections after the bodies (a signed bundle's hash tree and signature), with offsets.
    trailer: Vec<(usize, Vec<u8>)>,
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

    /// Length of the header, sections and bodies: the bundle without a signature.
    fn len_before_trailer(&self) -> usize {
        self.bodies_offset
            + self
                .articles
                .iter()
                .flat_map(|a| &a.chunks)
                .map(|c| c.1.len())
                .sum::<usize>()
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
                at += data.len();
            }
        }
        for (offset, data) in &self.trailer {
            pad(w, &mut at, *offset)?;
            w.write_all(data)?;
            at += data.len();
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
        // Never inside a block mark (SPEC.md, "Blocks"): a reader reads a mark from one chunk.
        let head = &rest[..cut];
        if let Some(m) = head.rfind('\u{1}') {
            if !head[m..].contains('\u{2}') && m > 0 {
                cut = m;
            }
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

/// An article's metadata as stored: the postcard bytes, always within [`MAX_META_LEN`], and
/// the title they hold (shortened when the fields together were too long). The input path is
/// recorded only when `keep_path` is set.
pub struct EncodedMeta {
    /// The postcard record.
    pub bytes: Vec<u8>,
    /// The title as stored, which the title index must use.
    pub title: String,
    /// Whether any field had to be shortened to fit.
    pub shortened: bool,
    /// The fields as stored (shortened where they had to be).
    pub fields: MetaFields,
}

/// Cuts `s` to at most `max_bytes` of UTF-8, marking a cut with an ellipsis.
fn shorten_bytes(s: &str, max_bytes: usize) -> String {
    if s.len() <= max_bytes {
        return s.to_string();
    }
    let cut = cut_str(s, max_bytes.saturating_sub('…'.len_utf8()));
    format!("{}…", cut.trim_end())
}

/// An article's metadata fields before encoding, kept by a build until it knows which titles
/// collide (those get a note that tells them apart).
#[derive(Clone, Debug, Default)]
pub struct MetaFields {
    /// Headline.
    pub title: String,
    /// BCP 47 tag.
    pub lang: Option<String>,
    /// Direction.
    pub dir: fieldpack_format::Direction,
    /// Date as found.
    pub date: Option<String>,
    /// Publication or site.
    pub source: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Input path as recorded (empty unless asked for).
    pub origin: String,
    /// The text's first words after the headline.
    pub lead: String,
}

/// Characters of an article's first words kept for telling it apart from others of its title.
const LEAD_CHARS: usize = 60;

impl MetaFields {
    /// The fields of an article; its path only with `keep_path`.
    pub fn of(a: &Article, keep_path: bool) -> Self {
        // The first words that are not the headline again.
        let title = a.title.trim_end_matches('…');
        let lead = a
            .paragraphs
            .iter()
            .map(|p| p.strip_prefix(title).unwrap_or(p).trim())
            .find(|p| !p.is_empty())
            .map(|p| crate::text::shorten(p, LEAD_CHARS))
            .unwrap_or_default();
        MetaFields {
            title: a.title.clone(),
            lang: a.lang.clone(),
            dir: a.dir,
            date: a.date.clone(),
            source: a.source.clone(),
            author: a.author.clone(),
            origin: if keep_path {
                a.origin.clone()
            } else {
                String::new()
            },
            lead,
        }
    }
}

/// Encodes metadata fields and a note so that they fit [`MAX_META_LEN`]: when they are too
/// long together (long CJK titles, authors and sources), the note goes first, then the path,
/// then the source, the author, the date and last the title are shortened, each at a
/// character boundary.
pub fn encode_fields(
    f: &MetaFields,
    note: Option<&str>,
    lines: [LineBox; SIZE_CLASS_COUNT],
    levels: LevelSpan,
) -> Result<EncodedMeta> {
    let mut title = f.title.clone();
    let mut source = f.source.clone();
    let mut author = f.author.clone();
    let mut date = f.date.clone();
    let mut origin = f.origin.clone();
    let mut note = note.map(str::to_string);
    let mut shortened = false;
    // Each round halves one field, in this order; a bounded number of rounds always fits,
    // since six empty fields and a 35-byte language tag take well under the limit.
    for round in 0..64 {
        let meta = ArticleMeta {
            title: &title,
            lang: f.lang.as_deref(),
            dir: f.dir,
            date: date.as_deref(),
            source: source.as_deref(),
            author: author.as_deref(),
            origin: &origin,
            note: note.as_deref(),
            lines,
            levels,
        };
        let bytes = postcard::to_allocvec(&meta).context("encoding article metadata")?;
        if bytes.len() <= MAX_META_LEN {
            let fields = MetaFields {
                title: title.clone(),
                date,
                source,
                author,
                origin,
                ..f.clone()
            };
            return Ok(EncodedMeta {
                bytes,
                title,
                shortened,
                fields,
            });
        }
        let over = bytes.len() - MAX_META_LEN;
        let halve = |s: &str| shorten_bytes(s, (s.len() / 2).min(s.len().saturating_sub(over)));
        if note.is_some() {
            // A note is a convenience: dropped before any field is cut.
            note = None;
            continue;
        }
        shortened = true;
        if !origin.is_empty() {
            origin = cut_str(&origin, origin.len() / 2).to_string();
        } else if source.as_deref().is_some_and(|s| s.len() > 24) {
            source = source.as_deref().map(halve);
        } else if author.as_deref().is_some_and(|s| s.len() > 24) {
            author = author.as_deref().map(halve);
        } else if date.as_deref().is_some_and(|s| s.len() > 24) {
            date = date.as_deref().map(halve);
        } else if title.len() > 48 {
            title = halve(&title);
        } else {
            // Only a hostile language tag is left this long: drop the optional fields.
            source = None;
            author = None;
            date = None;
            let _ = round;
        }
    }
    anyhow::bail!("article metadata cannot be made to fit {MAX_META_LEN} bytes")
}

/// What tells apart articles whose titles fold alike, one note each: their dates when those
/// differ, else their sources when those differ, else their first words.
pub fn collision_notes(group: &[&MetaFields]) -> Vec<String> {
    let distinct = |get: &dyn Fn(&MetaFields) -> Option<&str>| {
        let v: Vec<Option<&str>> = group.iter().map(|f| get(f)).collect();
        v.iter().all(Option::is_some) && v.iter().collect::<BTreeSet<_>>().len() == v.len()
    };
    if distinct(&|f| f.date.as_deref()) {
        return group
            .iter()
            .map(|f| f.date.clone().unwrap_or_default())
            .collect();
    }
    if distinct(&|f| f.source.as_deref()) {
        return group
            .iter()
            .map(|f| f.source.clone().unwrap_or_default())
            .collect();
    }
    group
        .iter()
        .map(|f| {
            [
                f.date.as_deref(),
                f.source.as_deref(),
                Some(f.lead.as_str()),
            ]
            .into_iter()
            .flatten()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
        })
        .collect()
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
    /// The fields it was encoded from (to add a note when titles collide).
    pub fields: MetaFields,
    /// Whether the metadata was shortened to fit the format's limit.
    pub meta_shortened: bool,
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
    /// The characters of its text and title (the article screen's lines), which set the
    /// height of its lines.
    pub body_chars: BTreeSet<char>,
    /// Characters no font draws, with how often the article uses each.
    pub uncovered: Vec<(char, usize)>,
    /// Its text's bidi level runs (empty when all left to right with no word boundaries).
    pub runs: Vec<LevelRun>,
    /// Its words (of the text and the metadata a screen draws) that are shaped, and their
    /// glyphs.
    pub words: Vec<(String, Shaped)>,
    /// The texts of those words, once they are merged into the bundle's set.
    pub word_texts: Vec<String>,
    /// The hashes of words a device looks up for it but finds unshaped (a shaped word with
    /// one of these hashes would be drawn in their place: the build leaves such words out).
    pub lookups: Vec<u32>,
    /// Other names the title index lists for it.
    pub aliases: Vec<String>,
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
    opts: &PackOptions,
) -> Result<PackedArticle> {
    let body = a.body();
    let fields = MetaFields::of(a, opts.keep_paths);
    // The line boxes are known once the bundle's strikes are: set in `assemble`. They take the
    // same bytes whatever their values, so what is shortened to fit is decided here.
    // So are the level runs' place (a span of three varints: its largest value is assumed).
    let most = LevelSpan {
        first: u32::MAX,
        count: u32::MAX,
        crc: u32::MAX,
    };
    let meta = encode_fields(&fields, None, [LineBox::default(); SIZE_CLASS_COUNT], most)?;
    // The fields as they fit with the largest span: encoded again with the real one, they
    // need no further cut, so the title index's title is the stored one.
    let fields = meta.fields.clone();
    let chunks = split_chunks(&body, opts.chunk_size)
        .par_iter()
        .map(|c| {
            let (codec, mut data) = compressor.compress(c.as_bytes());
            // Encoders over-allocate; a build keeps every chunk until the end.
            data.shrink_to_fit();
            (codec, data, c.len(), crc32(c.as_bytes()))
        })
        .collect();
    let mut counts: BTreeMap<char, usize> = BTreeMap::new();
    // A block mark is not drawn; a numbered item's label is.
    let hidden = crate::shape::hide_marks(&body);
    let marks = crate::shape::mark_chars(&body);
    for &c in &marks {
        *counts.entry(c).or_insert(0) += 1;
    }
    let drawn = [
        Some(meta.title.as_str()),
        Some(&*hidden),
        a.lang.as_deref(),
        a.date.as_deref(),
        a.source.as_deref(),
        a.author.as_deref(),
    ];
    for c in drawn
        .into_iter()
        .flatten()
        .flat_map(str::chars)
        .filter(|c| !c.is_control())
    {
        *counts.entry(c).or_insert(0) += 1;
    }
    // A search lists an alias as "alias → title".
    for c in a
        .aliases
        .iter()
        .flat_map(|x| x.chars())
        .chain(Some(fieldpack_format::layout::ALIAS_ARROW).filter(|_| !a.aliases.is_empty()))
    {
        *counts.entry(c).or_insert(0) += 1;
    }
    let fonts = fonts()?;
    let uncovered = counts
        .iter()
        .filter(|(&c, _)| !crate::glyphs::covered(fonts, c))
        .map(|(&c, &n)| (c, n))
        .collect();
    let rtl = a.dir == fieldpack_format::Direction::Rtl;
    let typeset = article_runs(&body, rtl)
        .with_context(|| format!("{}: finding bidi levels and words", a.origin))?;
    let shaping = shaping_fonts()?;
    // The metadata a screen draws is set as one line each, cut into words at spaces.
    let drawn_meta: Vec<&str> = [
        Some(meta.title.as_str()),
        a.source.as_deref(),
        a.author.as_deref(),
        a.date.as_deref(),
    ]
    .into_iter()
    .flatten()
    .chain(a.aliases.iter().map(String::as_str))
    .collect();
    let mut texts: Vec<String> = typeset.words.clone();
    for w in drawn_meta.iter().flat_map(|m| m.split(' ')) {
        if word_font(w, shaping).is_some() && !texts.iter().any(|t| t == w) {
            texts.push(w.to_string());
        }
    }
    let words = texts
        .into_iter()
        .map(|w| {
            let font = word_font(&w, shaping).unwrap_or(0);
            let shaped = shape(&w, font)?;
            Ok((w, shaped))
        })
        .collect::<Result<Vec<_>>>()
        .with_context(|| format!("{}: shaping its words", a.origin))?;
    // The characters its lines draw one by one: a shaped word's are drawn as its glyphs.
    let shaped: std::collections::HashSet<&str> = words.iter().map(|(t, _)| t.as_str()).collect();
    let is_shaped = |w: &str| shaped.contains(w);
    let mut body_chars = unshaped_chars(&body, &typeset.runs, is_shaped);
    body_chars.extend(unshaped_chars(&meta.title, &[], is_shaped));
    body_chars.extend(marks);
    let mut lookups: Vec<u32> = device_words(&body, &typeset.runs)
        .into_iter()
        .chain(drawn_meta.iter().flat_map(|m| m.split(' ')))
        .filter(|w| is_looked_up(w) && !is_shaped(w))
        .map(|w| word_hash(w.as_bytes()))
        .collect();
    lookups.sort_unstable();
    lookups.dedup();
    Ok(PackedArticle {
        origin: a.origin.clone(),
        title: meta.title,
        meta: meta.bytes,
        fields,
        meta_shortened: meta.shortened,
        rtl,
        chunks,
        raw_len: body.len(),
        body_crc: crc32(body.as_bytes()),
        body_hash: hash128(&body),
        chars: counts.into_keys().collect(),
        body_chars,
        uncovered,
        runs: typeset.runs,
        words,
        word_texts: Vec::new(),
        lookups,
        aliases: a.aliases.clone(),
    })
}

/// The `Offers` section (SPEC.md, Offers) for folded titles in title order: the next
/// characters of every prefix of at most `SEARCH_PREFIX_MAX` bytes whose titles go on with more
/// than `OFFER_SCAN_LIMIT` different characters, most titles first.
pub fn offers_section(folded: &[Vec<char>]) -> Vec<u8> {
    use fieldpack_format::layout::{OFFER_SCAN_LIMIT, SEARCH_PREFIX_MAX};

    /// A stored prefix and its offers: (character, titles).
    type Node = (Vec<u8>, Vec<(char, u32)>);

    fn walk(
        folded: &[Vec<char>],
        (lo, hi): (usize, usize),
        depth: usize,
        prefix: &mut String,
        nodes: &mut Vec<Node>,
    ) {
        // Titles that are the prefix itself sort first; the rest group by their next character.
        let mut groups: Vec<(char, usize, usize)> = Vec::new();
        for (i, t) in folded.iter().enumerate().take(hi).skip(lo) {
            let Some(&c) = t.get(depth) else { continue };
            match groups.last_mut() {
                Some(g) if g.0 == c => g.2 = i + 1,
                _ => groups.push((c, i, i + 1)),
            }
        }
        if groups.len() > OFFER_SCAN_LIMIT {
            let mut offers: Vec<(char, u32)> = groups
                .iter()
                .map(|&(c, a, b)| (c, (b - a) as u32))
                .collect();
            offers.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            nodes.push((prefix.as_bytes().to_vec(), offers));
        }
        for (c, a, b) in groups {
            // A run of at most the limit cannot go on with more characters than that.
            if b - a > OFFER_SCAN_LIMIT && prefix.len() + c.len_utf8() <= SEARCH_PREFIX_MAX {
                prefix.push(c);
                walk(folded, (a, b), depth + 1, prefix, nodes);
                prefix.pop();
            }
        }
    }

    let mut nodes = Vec::new();
    walk(folded, (0, folded.len()), 0, &mut String::new(), &mut nodes);
    nodes.sort_by(|a, b| a.0.cmp(&b.0));
    let mut out = Vec::new();
    out.extend_from_slice(&(nodes.len() as u32).to_le_bytes());
    let mut at = 4 + 4 * nodes.len();
    for (prefix, offers) in &nodes {
        out.extend_from_slice(&(at as u32).to_le_bytes());
        at += 1 + prefix.len() + 4 + 8 * offers.len();
    }
    for (prefix, offers) in &nodes {
        out.push(prefix.len() as u8);
        out.extend_from_slice(prefix);
        out.extend_from_slice(&(offers.len() as u32).to_le_bytes());
        for &(c, n) in offers {
            out.extend_from_slice(&(c as u32).to_le_bytes());
            out.extend_from_slice(&n.to_le_bytes());
        }
    }
    out
}

/// A bundle's shaped words as stored: their glyphs per size class, the strikes' share of them
/// and the encoded words.
struct StoredWords {
    /// Each kept word's glyphs in pixels.
    placed: BTreeMap<String, Vec<Placed>>,
    /// What the strikes need: every glyph use and each glyph's usual advance.
    glyphs: ShapedGlyphs,
    /// The words as the Shapes section stores them.
    stored: BTreeMap<String, StoredWord>,
}

/// Which shaped words a bundle stores: every one but those a device draws right a character at
/// a time ([`is_trivial`]), those whose hash another word a device looks up shares (`lookups`,
/// or another shaped word), which would be drawn in its place, and those the format cannot
/// hold; those are drawn a character at a time.
fn stored_words(shaped: BTreeMap<String, Shaped>, lookups: &BTreeSet<u32>) -> Result<StoredWords> {
    let mut hashes: BTreeMap<u32, usize> = BTreeMap::new();
    for t in shaped.keys() {
        *hashes.entry(word_hash(t.as_bytes())).or_default() += 1;
    }
    // Words a device draws right a character at a time are not stored; a device looks them up
    // all the same, so no stored word may share their hash.
    let mut trivial: BTreeSet<u32> = BTreeSet::new();
    for (text, s) in &shaped {
        if is_trivial(text, s)? {
            trivial.insert(word_hash(text.as_bytes()));
        }
    }
    let mut placed: BTreeMap<String, Vec<Placed>> = BTreeMap::new();
    let mut fonts: BTreeMap<String, (u8, bool)> = BTreeMap::new();
    for (text, s) in shaped {
        let h = word_hash(text.as_bytes());
        if hashes.get(&h) != Some(&1) || lookups.contains(&h) || trivial.contains(&h) {
            continue;
        }
        fonts.insert(text.clone(), (s.font, s.rtl));
        placed.insert(text, place(&s)?);
    }
    let advances = default_advances(placed.values().map(Vec::as_slice));
    let mut stored = BTreeMap::new();
    placed.retain(|text, p| match stored_glyphs(p, &advances) {
        Some((glyphs, width)) => {
            let (font, rtl) = fonts.get(text).copied().unwrap_or_default();
            stored.insert(
                text.clone(),
                StoredWord {
                    font,
                    rtl,
                    glyphs,
                    width,
                },
            );
            true
        }
        None => false,
    });
    let instances = placed.values().flatten().map(|g| (g.key, g.dy)).collect();
    Ok(StoredWords {
        placed,
        glyphs: ShapedGlyphs {
            instances,
            advances,
        },
        stored,
    })
}

/// Lays out packed articles (in bundle order, without duplicates) as a bundle.
pub fn assemble(
    mut articles: Vec<PackedArticle>,
    extra_chars: &BTreeSet<char>,
    dictionary: Vec<u8>,
    opts: &PackOptions,
) -> Result<Packed> {
    let (info_title, info_creator, info_created) = (
        cut_str(&opts.title, 160),
        cut_str(&opts.creator, 160),
        opts.created.as_deref().map(|c| cut_str(c, 32)),
    );
    // Every character a screen may draw from the bundle's glyphs.
    let mut chars: BTreeSet<char> = articles
        .iter()
        .flat_map(|a| a.chars.iter().copied())
        .collect();
    chars.extend(extra_chars);
    chars.extend(info_title.chars());
    chars.extend(info_creator.chars());
    chars.extend(info_created.unwrap_or("").chars());
    let fonts = fonts()?;
    // Every shaped word once (a word shapes the same in any article: no language, its
    // script's font and direction), sorted by text as the Shapes section is.
    let mut shaped: BTreeMap<String, Shaped> = BTreeMap::new();
    for a in &mut articles {
        for (text, w) in std::mem::take(&mut a.words) {
            a.word_texts.push(text.clone());
            shaped.entry(text).or_insert(w);
        }
    }
    let mut lookups: BTreeSet<u32> = articles
        .iter()
        .flat_map(|a| a.lookups.iter().copied())
        .collect();
    for s in [info_title, info_creator, info_created.unwrap_or("")] {
        lookups.extend(
            s.split(' ')
                .filter(|w| is_looked_up(w))
                .map(|w| word_hash(w.as_bytes())),
        );
    }
    let words = stored_words(shaped, &lookups)?;
    for a in &mut articles {
        // A word left unshaped is drawn one character at a time: its characters' glyphs set
        // the line box.
        let dropped: Vec<String> = a
            .word_texts
            .iter()
            .filter(|t| !words.stored.contains_key(*t))
            .cloned()
            .collect();
        for t in dropped {
            a.body_chars.extend(t.chars());
        }
    }
    let glyphs = build_glyphs(fonts, &chars, &words.glyphs, &opts.size_classes)?;

    // Titles that fold alike get a note each that tells them apart in the library.
    let mut by_title: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, a) in articles.iter().enumerate() {
        let folded: String = fieldpack_format::fold::fold_str(&a.title).collect();
        by_title.entry(folded).or_default().push(i);
    }
    let mut notes: Vec<Option<String>> = vec![None; articles.len()];
    for group in by_title.values().filter(|g| g.len() > 1) {
        let fields: Vec<&MetaFields> = group.iter().map(|&i| &articles[i].fields).collect();
        for (&i, note) in group.iter().zip(collision_notes(&fields)) {
            if !note.is_empty() {
                notes[i] = Some(note);
            }
        }
    }
    // Each article's lines are as tall as its own glyphs need, in each strike; its level
    // runs go to the Levels section.
    let mut levels_sec = Vec::new();
    for (a, note) in articles.iter_mut().zip(&notes) {
        let mut lines = [LineBox::default(); SIZE_CLASS_COUNT];
        for s in &glyphs.strikes {
            if let Some(slot) = lines.get_mut(usize::from(s.size_class)) {
                let shaped = a
                    .word_texts
                    .iter()
                    .filter_map(|t| words.placed.get(t))
                    .flat_map(|w| w.iter().map(|g| (g.key, g.dy)));
                *slot = s.line_box(a.body_chars.iter().copied(), shaped);
            }
        }
        let mut span = LevelSpan::default();
        if !a.runs.is_empty() {
            let bytes: Vec<u8> = a.runs.iter().flat_map(|r| r.encode()).collect();
            span = LevelSpan {
                first: u32::try_from(levels_sec.len() / RUN_LEN)
                    .context("more level runs than the format counts")?,
                count: a.runs.len() as u32,
                crc: crc32(&bytes),
            };
            levels_sec.extend_from_slice(&bytes);
        }
        a.meta = encode_fields(&a.fields, note.as_deref(), lines, span)?.bytes;
    }
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

    // Every title the index lists: each article's own (its number), then the aliases
    // (numbered after the articles, in article order): (record value, article, text).
    let mut listed: Vec<(u32, usize, &str)> = articles
        .iter()
        .enumerate()
        .map(|(i, a)| (i as u32, i, a.title.as_str()))
        .collect();
    let mut aliases_sec = Vec::new();
    let alias_count: usize = articles.iter().map(|a| a.aliases.len()).sum();
    if alias_count > 0 {
        aliases_sec.extend_from_slice(&(alias_count as u32).to_le_bytes());
        let mut names = Vec::new();
        let names_at = 4 + alias_count * fieldpack_format::layout::ALIAS_RECORD_LEN;
        for (i, a) in articles.iter().enumerate() {
            for name in &a.aliases {
                anyhow::ensure!(
                    !name.is_empty() && name.len() <= fieldpack_format::layout::MAX_ALIAS_LEN,
                    "{}: alias {name:?} is empty or longer than {} bytes",
                    a.origin,
                    fieldpack_format::layout::MAX_ALIAS_LEN
                );
                // Aliases are numbered after the articles, in the order they are listed.
                let value = listed.len() as u32;
                listed.push((value, i, name.as_str()));
                aliases_sec.extend_from_slice(&(i as u32).to_le_bytes());
                let at = u32::try_from(names_at + names.len()).context("aliases over 4 GiB")?;
                aliases_sec.extend_from_slice(&at.to_le_bytes());
                names.push(name.len() as u8);
                names.extend_from_slice(name.as_bytes());
            }
        }
        aliases_sec.extend_from_slice(&names);
    }
    listed.sort_by(|x, y| {
        fieldpack_format::title_cmp(x.2, y.2)
            .then_with(|| x.2.cmp(y.2))
            .then(x.0.cmp(&y.0))
    });
    let mut titles_sec = Vec::with_capacity(listed.len() * 16);
    for &(value, _, text) in &listed {
        titles_sec.extend_from_slice(&value.to_le_bytes());
        titles_sec.extend_from_slice(&fieldpack_format::meta::title_key(text));
    }
    let folded: Vec<Vec<char>> = listed
        .iter()
        .map(|&(_, _, text)| fieldpack_format::fold::fold_str(text).collect())
        .collect();
    let offers_sec = offers_section(&folded);

    // The bundle's identity: what a reader shows, hashed (SPEC.md, Info).
    let id = {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        for a in &articles {
            h.update(&a.meta);
            for (codec, data, _, _) in &a.chunks {
                h.update([codec.code()]);
                h.update(data);
            }
        }
        if uses_dictionary {
            h.update(&dictionary);
        }
        h.update(&aliases_sec);
        let digest = h.finalize();
        let mut id = [0u8; 16];
        id.copy_from_slice(&digest[..16]);
        id
    };
    let info = BundleInfo {
        title: info_title,
        creator: info_creator,
        created: info_created,
        tool: concat!("fieldpack ", env!("CARGO_PKG_VERSION")),
        article_count: articles.len() as u32,
        max_chunk_len: max_chunk_len as u32,
        id,
    };
    let info_sec = postcard::to_allocvec(&info).context("encoding bundle info")?;
    anyhow::ensure!(
        info_sec.len() <= MAX_INFO_LEN,
        "bundle title or creator too long"
    );

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
        (SectionKind::Offers, offers_sec),
        (SectionKind::Meta, meta_sec),
        (SectionKind::Chunks, chunks_sec),
    ];
    for s in glyphs.strikes {
        sections.push((SectionKind::Glyphs, s.bytes));
    }
    sections.push((SectionKind::GlyphBitmaps, glyphs.bitmaps));
    if !levels_sec.is_empty() {
        sections.push((SectionKind::Levels, levels_sec));
    }
    if !words.stored.is_empty() {
        sections.push((SectionKind::Shapes, encode_shapes(&words.stored)?));
    }
    if !aliases_sec.is_empty() {
        sections.push((SectionKind::Aliases, aliases_sec));
    }
    // The dictionary costs window RAM on the device: kept only when some chunk uses it.
    if uses_dictionary {
        sections.push((SectionKind::Dictionary, dictionary));
    }

    // The bodies come last, written from the articles' chunks; a signed bundle's hash tree and
    // signature follow them.
    let sealed = usize::from(opts.sign.is_some()) * 2;
    let table_len = (sections.len() + 1 + sealed) * SECTION_ENTRY_LEN;
    let base = HEADER_LEN + table_len;
    let mut table = Vec::with_capacity(table_len);
    let mut placed = Vec::with_capacity(sections.len());
    let mut at = base;
    let entry =
        |table: &mut Vec<u8>, kind: SectionKind, at: usize, len: usize, crc: u32| -> Result<()> {
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
        entry(&mut table, kind, at, data.len(), crc32(&data))?;
        let len = data.len();
        placed.push((at, data));
        at += len;
    }
    let bodies_offset = at.next_multiple_of(4);
    entry(
        &mut table,
        SectionKind::Bodies,
        bodies_offset,
        bodies_len,
        bodies_crc.finish(),
    )?;
    let mut file_len = bodies_offset + bodies_len;
    // Where the hash tree and the signature go, known before anything is hashed: their table
    // entries (but for the checksums) are part of what is signed.
    let seal_layout = opts.sign.as_ref().map(|key| {
        let tree_at = file_len.next_multiple_of(4);
        let tree_len =
            fieldpack_format::seal::tree_len(fieldpack_format::seal::block_count(tree_at as u32))
                as usize;
        let sig_at = tree_at + tree_len;
        file_len = sig_at + key.section_len();
        (key, tree_at, tree_len, sig_at)
    });
    anyhow::ensure!(
        u32::try_from(file_len).is_ok(),
        "bundle would be {file_len} bytes; the format's limit is 4 GiB"
    );
    let section_count = (placed.len() + 1 + sealed) as u16;
    let mut packed = Packed {
        head: Vec::new(),
        sections: placed,
        bodies_offset,
        articles,
        trailer: Vec::new(),
        len: file_len,
        stats,
        missing_glyphs,
    };
    let Some((key, tree_at, tree_len, sig_at)) = seal_layout else {
        let header = Header {
            version: VERSION,
            section_count,
            file_len: file_len as u32,
            table_crc: crc32(&table),
        };
        packed.head = header.encode().to_vec();
        packed.head.extend_from_slice(&table);
        return Ok(packed);
    };
    let tree_entry = HEADER_LEN + table.len();
    entry(&mut table, SectionKind::HashTree, tree_at, tree_len, 0)?;
    let sig_entry = HEADER_LEN + table.len();
    entry(
        &mut table,
        SectionKind::Signature,
        sig_at,
        key.section_len(),
        0,
    )?;
    let header = Header {
        version: VERSION,
        section_count,
        file_len: file_len as u32,
        table_crc: 0,
    };
    // Block 0 as it is signed: both header checksums and the two new entries' CRCs zero.
    let mut canonical = header.encode().to_vec();
    canonical[28..32].fill(0);
    canonical.extend_from_slice(&table);
    packed.head = canonical;
    let sealed_entries = [sig_entry as u32, tree_entry as u32];
    let mut hasher = crate::sign::BlockHasher::new(sealed_entries);
    packed
        .write_to(&mut hasher)
        .and_then(|()| {
            // The zero padding before the tree is part of the signed content.
            std::io::Write::write_all(
                &mut hasher,
                &[0u8; 4][..tree_at - packed.len_before_trailer()],
            )
        })
        .context("hashing the bundle for its signature")?;
    let leaves = hasher.finish();
    let (tree_bytes, root) = crate::sign::tree(&leaves);
    debug_assert_eq!(tree_bytes.len(), tree_len);
    let signature = crate::sign::signature_section(key, root, tree_at as u32);
    let (tree_crc, sig_crc) = (crc32(&tree_bytes), crc32(&signature));
    table[tree_entry - HEADER_LEN + 12..tree_entry - HEADER_LEN + 16]
        .copy_from_slice(&tree_crc.to_le_bytes());
    table[sig_entry - HEADER_LEN + 12..sig_entry - HEADER_LEN + 16]
        .copy_from_slice(&sig_crc.to_le_bytes());
    let header = Header {
        table_crc: crc32(&table),
        ..header
    };
    packed.head = header.encode().to_vec();
    packed.head.extend_from_slice(&table);
    packed.trailer = vec![(tree_at, tree_bytes), (sig_at, signature)];
    Ok(packed)
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
