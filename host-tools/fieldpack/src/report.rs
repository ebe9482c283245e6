//! `inspect`, `verify` and `extract`: reading bundles back on the host with the device's own
//! decoder.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};
use fieldpack_format::layout::SIZE_CLASS_COUNT;
use fieldpack_format::layout::{
    Header, SectionEntry, SectionKind, HEADER_LEN, MAX_INFO_LEN, MAX_META_LEN, SECTION_ENTRY_LEN,
    TITLE_KEY_LEN, TITLE_RECORD_LEN,
};
use fieldpack_format::{crc32, Bundle, Direction, Inflater, LineBox};
use serde::Serialize;

/// One article read back from a bundle.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct ExtractedArticle {
    /// Article number.
    pub index: u32,
    /// Headline.
    pub title: String,
    /// Language tag.
    pub lang: Option<String>,
    /// Right to left?
    pub rtl: bool,
    /// Date.
    pub date: Option<String>,
    /// Source.
    pub source: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Original path.
    pub origin: String,
    /// The body's UTF-8.
    pub body: String,
    /// Bytes stored for the body.
    pub stored: u64,
    /// Chunks of the body.
    pub chunks: u32,
    /// Other names the title index lists for it.
    pub aliases: Vec<String>,
}

/// Reads a bundle file whole (the host has the memory; the device never does this). Only a
/// regular file of at most the format's 4 GiB is read: a FIFO or a device is refused.
/// `-` reads standard input instead, to the same limit.
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    if crate::input::is_stdio(path) {
        use std::io::Read;
        let limit = crate::input::MAX_BUNDLE_FILE;
        let mut bytes = Vec::new();
        std::io::stdin()
            .lock()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .context("cannot read standard input")?;
        if bytes.len() as u64 > limit {
            bail!("standard input: over the limit of {limit} bytes");
        }
        return Ok(bytes);
    }
    crate::input::read_regular_file(path, crate::input::MAX_BUNDLE_FILE)
}

/// Opens bundle bytes, with the file name in the error.
pub fn open<'a>(bytes: &'a [u8], path: &Path) -> Result<Bundle<&'a [u8]>> {
    Bundle::open(bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
}

/// Decodes article `index`: metadata and the whole body, every checksum checked.
pub fn read_article(b: &mut Bundle<&[u8]>, index: u32) -> Result<ExtractedArticle> {
    ArticleReader::new(b).read(b, index)
}

/// Decodes whole articles of one bundle, one after another, with one inflate state and window.
pub struct ArticleReader {
    inflater: Box<Inflater>,
    window: Vec<u8>,
    /// Each article's aliases, read from the bundle at the first article.
    aliases: Option<std::collections::HashMap<u32, Vec<String>>>,
}

impl ArticleReader {
    /// A reader with a window as large as `b` needs.
    pub fn new(b: &Bundle<&[u8]>) -> Self {
        ArticleReader {
            inflater: Box::new(Inflater::new()),
            window: vec![0u8; b.window_needed() as usize],
            aliases: None,
        }
    }

    /// Article `index` of `b`, its body checked against its CRC.
    pub fn read(&mut self, b: &mut Bundle<&[u8]>, index: u32) -> Result<ExtractedArticle> {
        if self.aliases.is_none() {
            let mut map: std::collections::HashMap<u32, Vec<String>> = Default::default();
            let mut abuf = [0u8; fieldpack_format::layout::MAX_ALIAS_LEN];
            for k in 0..b.alias_count() {
                let (article, name) = b.alias(k, &mut abuf)?;
                map.entry(article).or_default().push(name.to_string());
            }
            self.aliases = Some(map);
        }
        let rec = b.article(index)?;
        let mut mbuf = [0u8; MAX_META_LEN];
        let meta = b.meta(&rec, &mut mbuf)?;
        // The record's length is checked against its chunks, but reserve no more than a
        // modest amount on its word: the text grows as it is decoded and checked.
        let mut body = Vec::with_capacity((rec.raw_len as usize).min(1 << 20));
        let mut stored = 0u64;
        for c in rec.first_chunk..rec.first_chunk.saturating_add(rec.chunk_count) {
            stored += u64::from(b.chunk(c)?.stored_len);
            let range = b.load_chunk(c, &mut self.inflater, &mut self.window)?;
            body.extend_from_slice(&self.window[range]);
            if body.len() > rec.raw_len as usize {
                bail!("article {index}: body longer than its record says");
            }
        }
        if body.len() != rec.raw_len as usize || crc32(&body) != rec.body_crc {
            bail!("article {index}: body checksum does not match");
        }
        let body = String::from_utf8(body).map_err(|e| {
            anyhow::anyhow!(
                "article {index}: body is not UTF-8 at byte {}",
                e.utf8_error().valid_up_to()
            )
        })?;
        Ok(ExtractedArticle {
            index,
            title: meta.title.into(),
            lang: meta.lang.map(Into::into),
            rtl: meta.dir == Direction::Rtl,
            date: meta.date.map(Into::into),
            source: meta.source.map(Into::into),
            author: meta.author.map(Into::into),
            origin: meta.origin.into(),
            body,
            stored,
            chunks: rec.chunk_count,
            aliases: self
                .aliases
                .as_ref()
                .and_then(|m| m.get(&index))
                .cloned()
                .unwrap_or_default(),
        })
    }
}

/// The raw section table, read from the bytes (the `Bundle` keeps only what a reader needs).
pub fn section_table(bytes: &[u8]) -> Result<(Header, Vec<SectionEntry>)> {
    let hb: &[u8; HEADER_LEN] = bytes
        .get(..HEADER_LEN)
        .and_then(|h| h.try_into().ok())
        .context("shorter than a bundle header")?;
    let header = Header::decode(hb)?;
    let mut entries = Vec::new();
    for i in 0..header.section_count as usize {
        let at = HEADER_LEN + i * SECTION_ENTRY_LEN;
        let eb: &[u8; SECTION_ENTRY_LEN] = bytes
            .get(at..at + SECTION_ENTRY_LEN)
            .and_then(|e| e.try_into().ok())
            .with_context(|| format!("section table cut short at byte offset {at}"))?;
        entries.push(SectionEntry::decode(eb));
    }
    Ok((header, entries))
}

/// The summary `inspect` prints.
#[derive(Serialize)]
pub struct Inspection {
    /// The JSON layout's version.
    pub schema_version: u32,
    /// File name.
    pub file: String,
    /// Format version.
    pub version: u16,
    /// Bundle bytes.
    pub file_len: u64,
    /// Bundle title.
    pub title: String,
    /// Creator.
    pub creator: String,
    /// Creation date.
    pub created: Option<String>,
    /// Writing tool.
    pub tool: String,
    /// Window a reader needs.
    pub window_bytes: u32,
    /// The bundle's identity (hex), which a device's saved places are tied to.
    pub id: Option<String>,
    /// Who signed it (the name it gives and the key), when it is signed.
    pub signed_by: Option<(String, String)>,
    /// Other names of articles (an archive's redirects) that the title index lists.
    pub aliases: u32,
    /// Sections.
    pub sections: Vec<SectionRow>,
    /// Glyph strikes.
    pub strikes: Vec<StrikeRow>,
    /// What the glyphs of each script cost (records and bitmaps), largest first.
    pub scripts: Vec<ScriptCost>,
    /// Articles.
    pub articles: Vec<ArticleRow>,
    /// Sum of the article bodies' UTF-8.
    pub raw_total: u64,
    /// Sum of what is stored for bodies.
    pub stored_total: u64,
    /// What could not be read (the rest is shown).
    pub problems: Vec<Problem>,
}

/// One section in `inspect`.
#[derive(Serialize)]
pub struct SectionRow {
    /// Kind name, as SPEC.md names it.
    pub kind: String,
    /// Kind number, as the section table holds it.
    pub kind_code: u16,
    /// What it holds, in words.
    pub holds: String,
    /// Offset.
    pub offset: u32,
    /// Length.
    pub len: u32,
    /// Checksum from the table.
    pub crc: String,
}

/// One strike in `inspect`.
#[derive(Serialize)]
pub struct StrikeRow {
    /// 0 small, 1 large.
    pub size_class: u8,
    /// Line height.
    pub line_height: u8,
    /// Glyphs.
    pub glyphs: u32,
    /// Section bytes.
    pub bytes: u32,
}

/// What one script's glyphs cost a bundle, in `inspect`.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct ScriptCost {
    /// The script (Unicode's name for it; `Common` for punctuation and symbols).
    pub script: &'static str,
    /// Glyphs in the small strike (128x64-class displays).
    pub glyphs_small: u32,
    /// Glyphs in the large strike (one bit a pixel).
    pub glyphs_large: u32,
    /// Glyphs in the smooth strike (colour displays: anti-aliased).
    pub glyphs_smooth: u32,
    /// Glyphs in the larger smooth strike (the reader's larger text).
    pub glyphs_larger: u32,
    /// Bytes of their glyph records (8 each) in every strike.
    pub record_bytes: u64,
    /// Bytes of their bitmaps; a bitmap two glyphs share is counted once, for the first.
    pub bitmap_bytes: u64,
    /// Shaped words of the script (SPEC.md, Shapes).
    pub shaped_words: u32,
    /// Bytes those words take in the Shapes section (records and data).
    pub shaped_bytes: u64,
}

/// The script of a code point, for reporting glyph costs: by Unicode block, the blocks a
/// bundle's text is likely to use.
pub fn script_of(cp: u32) -> &'static str {
    match cp {
        0x0041..=0x005A | 0x0061..=0x007A | 0x00C0..=0x024F | 0x1E00..=0x1EFF => "Latin",
        0x0370..=0x03FF | 0x1F00..=0x1FFF => "Greek",
        0x0400..=0x052F | 0x1C80..=0x1C8F | 0x2DE0..=0x2DFF | 0xA640..=0xA69F => "Cyrillic",
        0x0530..=0x058F => "Armenian",
        0x0590..=0x05FF | 0xFB1D..=0xFB4F => "Hebrew",
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            "Arabic"
        }
        0x0900..=0x097F => "Devanagari",
        0x0980..=0x09FF => "Bengali",
        0x0B80..=0x0BFF => "Tamil",
        0x0A00..=0x0DFF => "Indic (other)",
        0x0E00..=0x0E7F => "Thai",
        0x0E80..=0x0EFF => "Lao",
        0x1000..=0x109F => "Myanmar",
        0x1200..=0x139F | 0x2D80..=0x2DDF => "Ethiopic",
        0x13A0..=0x13FF | 0xAB70..=0xABBF => "Cherokee",
        0x1780..=0x17FF => "Khmer",
        0x2D30..=0x2D7F => "Tifinagh",
        0x1100..=0x11FF | 0x3130..=0x318F | 0xAC00..=0xD7AF => "Hangul",
        0x3040..=0x30FF | 0x31F0..=0x31FF => "Kana",
        0x2E80..=0x2FDF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF
        | 0x20000..=0x3FFFF => "Han",
        0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF | 0xFE20..=0xFE2F => {
            "Combining marks"
        }
        _ => "Common",
    }
}

/// The glyph costs of a bundle's strikes by script, largest first.
fn script_costs(b: &mut Bundle<&[u8]>) -> Vec<ScriptCost> {
    use fieldpack_format::layout::{GlyphEntry, GLYPH_RECORD_LEN};
    let mut costs: std::collections::BTreeMap<&'static str, ScriptCost> = Default::default();
    let mut bitmaps_seen = std::collections::HashSet::new();
    let strikes: Vec<_> = b.strikes().to_vec();
    for s in strikes {
        let base = s.span.offset + s.header.records_offset();
        for i in 0..s.header.glyph_count {
            let mut rb = [0u8; GLYPH_RECORD_LEN];
            if b.read_at(base + i * GLYPH_RECORD_LEN as u32, &mut rb)
                .is_err()
            {
                break;
            }
            let e = GlyphEntry::decode(&rb);
            let script = key_script(e.codepoint);
            let cost = costs
                .entry(script)
                .or_insert_with(|| ScriptCost::new(script));
            match s.header.size_class {
                0 => cost.glyphs_small += 1,
                1 => cost.glyphs_large += 1,
                2 => cost.glyphs_smooth += 1,
                _ => cost.glyphs_larger += 1,
            }
            cost.record_bytes += GLYPH_RECORD_LEN as u64;
            if let Ok(Some(g)) = b.glyph_by_key(&s, e.codepoint) {
                let bits = g.bitmap_bits();
                if bits > 0 && bitmaps_seen.insert((g.bit_offset, bits)) {
                    cost.bitmap_bytes += u64::from(bits).div_ceil(8);
                }
            }
        }
    }
    // Shaped words, by their font's script: a word's bytes run to the next word's data.
    let section_len = b
        .sections()
        .iter()
        .find(|(k, _)| *k == SectionKind::Shapes)
        .map_or(0, |(_, s)| s.len);
    let count = b.shaped_word_count().unwrap_or(0);
    let words: Vec<_> = (0..count)
        .filter_map(|i| b.shaped_word_at(i).ok())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let end = words.get(i + 1).map_or(section_len, |n| n.record.data);
        let script = key_script(fieldpack_format::shaped::shaped_key(w.font, 0));
        let cost = costs
            .entry(script)
            .or_insert_with(|| ScriptCost::new(script));
        cost.shaped_words += 1;
        cost.shaped_bytes += u64::from(end.saturating_sub(w.record.data))
            + fieldpack_format::shaped::WORD_RECORD_LEN as u64;
    }
    let mut out: Vec<ScriptCost> = costs.into_values().collect();
    out.sort_by_key(|c| std::cmp::Reverse(c.record_bytes + c.bitmap_bytes + c.shaped_bytes));
    out
}

impl ScriptCost {
    fn new(script: &'static str) -> Self {
        ScriptCost {
            script,
            glyphs_small: 0,
            glyphs_large: 0,
            glyphs_smooth: 0,
            glyphs_larger: 0,
            record_bytes: 0,
            bitmap_bytes: 0,
            shaped_words: 0,
            shaped_bytes: 0,
        }
    }
}

/// The script of a glyph key: a code point's, or a shaped glyph's font's.
fn key_script(key: u32) -> &'static str {
    if key >= fieldpack_format::shaped::SHAPED_KEY {
        let font = ((key - fieldpack_format::shaped::SHAPED_KEY) >> 16) as usize;
        crate::shape::shaping_fonts()
            .ok()
            .and_then(|f| f.get(font))
            .map_or("Shaped (unknown font)", |f| f.script_name)
    } else {
        script_of(key)
    }
}

/// One article in `inspect` and `list`.
#[derive(Serialize)]
pub struct ArticleRow {
    /// Number.
    pub index: u32,
    /// Headline.
    pub title: String,
    /// Language (BCP 47).
    pub lang: Option<String>,
    /// Text direction: `ltr` or `rtl`.
    pub dir: &'static str,
    /// Date, as found in the source.
    pub date: Option<String>,
    /// Publication or site.
    pub source: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Body bytes.
    pub raw: u64,
    /// Stored bytes.
    pub stored: u64,
    /// Chunks the body is cut into.
    pub chunks: u32,
    /// Stored / raw, to 4 decimals.
    pub ratio: f64,
    /// Why the article cannot be read, when it cannot.
    pub damaged: Option<String>,
}

impl ArticleRow {
    fn of(a: ExtractedArticle) -> Self {
        ArticleRow {
            index: a.index,
            raw: a.body.len() as u64,
            stored: a.stored,
            chunks: a.chunks,
            ratio: ratio(a.stored, a.body.len() as u64),
            title: a.title,
            lang: a.lang,
            dir: if a.rtl { "rtl" } else { "ltr" },
            date: a.date,
            source: a.source,
            author: a.author,
            damaged: None,
        }
    }

    fn damaged(index: u32, p: &Problem) -> Self {
        ArticleRow {
            index,
            title: p.title.clone().unwrap_or_else(|| "(unreadable)".into()),
            lang: None,
            dir: "ltr",
            date: None,
            source: None,
            author: None,
            raw: 0,
            stored: 0,
            chunks: 0,
            ratio: 0.0,
            damaged: Some(p.message.clone()),
        }
    }
}

/// `part / whole` to 4 decimals (0 for an empty whole): a ratio a report prints, without the
/// 16 digits of a float's full precision.
pub fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        return 0.0;
    }
    (part as f64 / whole as f64 * 10_000.0).round() / 10_000.0
}

/// Gathers what `inspect` shows.
pub fn inspect(path: &Path) -> Result<Inspection> {
    let bytes = read_file(path)?;
    let (header, entries) =
        section_table(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut problems = Vec::new();
    let mut opened = Bundle::open(&bytes[..]);
    let (title, creator, created, tool) = match opened.as_mut().map(|b| {
        let mut ibuf = [0u8; MAX_INFO_LEN];
        b.info(&mut ibuf).map(|info| {
            (
                info.title.to_string(),
                info.creator.to_string(),
                info.created.map(str::to_string),
                info.tool.to_string(),
            )
        })
    }) {
        Ok(Ok(t)) => t,
        Ok(Err(e)) | Err(&mut e) => {
            problems.push(problem_of(&e));
            let unknown = || "(unreadable)".to_string();
            (unknown(), String::new(), None, unknown())
        }
    };
    let mut articles = Vec::new();
    let (mut raw_total, mut stored_total) = (0, 0);
    let mut strikes = Vec::new();
    let mut scripts = Vec::new();
    let mut window_bytes = 0;
    let mut id = None;
    let signed_by = match crate::sign::check(&bytes) {
        Ok(Some(r)) => Some((
            r.signer,
            r.public_key.iter().map(|b| format!("{b:02x}")).collect(),
        )),
        _ => None,
    };
    let mut aliases = 0;
    if let Ok(b) = opened.as_mut() {
        id = Some(b.id().iter().map(|b| format!("{b:02x}")).collect());
        aliases = b.alias_count();
        let mut reader = ArticleReader::new(b);
        for i in 0..b.article_count() {
            match reader.read(b, i) {
                Ok(a) => {
                    raw_total += a.body.len() as u64;
                    stored_total += a.stored;
                    articles.push(ArticleRow::of(a));
                }
                Err(e) => {
                    let p = article_problem(b, i, &e);
                    articles.push(ArticleRow::damaged(i, &p));
                    problems.push(p);
                }
            }
        }
        window_bytes = b.window_needed();
        scripts = script_costs(b);
        strikes = b
            .strikes()
            .iter()
            .map(|s| StrikeRow {
                size_class: s.header.size_class,
                line_height: s.header.line_height,
                glyphs: s.header.glyph_count,
                bytes: s.span.len,
            })
            .collect();
    }
    Ok(Inspection {
        schema_version: SCHEMA_VERSION,
        problems,
        file: crate::input::path_text(path),
        version: header.version,
        file_len: bytes.len() as u64,
        title,
        creator,
        created,
        tool,
        window_bytes,
        id,
        signed_by,
        aliases,
        sections: entries
            .iter()
            .map(|e| SectionRow {
                kind: e.kind.spec_name().to_string(),
                kind_code: e.kind.code(),
                holds: e.kind.name().to_string(),
                offset: e.offset,
                len: e.len,
                crc: format!("{:08x}", e.crc),
            })
            .collect(),
        strikes,
        scripts,
        articles,
        raw_total,
        stored_total,
    })
}

fn human(n: u64) -> String {
    if n >= 1 << 20 {
        format!("{:.2} MiB", n as f64 / (1u64 << 20) as f64)
    } else if n >= 1 << 10 {
        format!("{:.1} KiB", n as f64 / 1024.0)
    } else {
        format!("{n} B")
    }
}

/// A title cut with an ellipsis to `width` columns, and the columns it takes.
fn cut_title(title: &str, width: usize) -> (String, usize) {
    let shown = crate::input::printable(title);
    if unicode_width(&shown) <= width {
        let w = unicode_width(&shown);
        return (shown, w);
    }
    let mut out = String::new();
    for c in shown.chars() {
        let next = format!("{out}{c}");
        if unicode_width(&next) + 1 > width {
            break;
        }
        out = next;
    }
    out.push('…');
    let w = unicode_width(&out);
    (out, w)
}

/// The articles as a table whose columns fit their longest entries (a language tag such as
/// `zh-Hant-TW` included).
fn article_table(rows: &[ArticleRow]) -> String {
    const TITLE: usize = 48;
    let lang_w = rows
        .iter()
        .filter_map(|a| a.lang.as_deref())
        .map(|l| crate::input::printable(l).chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let date_w = rows
        .iter()
        .filter_map(|a| a.date.as_deref())
        .map(|d| crate::input::printable(d).chars().count().min(20))
        .max()
        .unwrap_or(0)
        .max(4);
    let mut s = String::new();
    let _ = writeln!(
        s,
        "  {:>5}  {:<TITLE$} {:<lang_w$} {:<3} {:<date_w$} {:>9} {:>9} {:>6}",
        "#", "title", "lang", "dir", "date", "raw", "stored", "ratio"
    );
    for a in rows {
        let (title, width) = cut_title(&a.title, TITLE);
        if let Some(why) = &a.damaged {
            let _ = writeln!(
                s,
                "  {:>5}  {title}  DAMAGED: {}",
                a.index,
                crate::input::printable(why)
            );
            continue;
        }
        let date: String = crate::input::printable(a.date.as_deref().unwrap_or("-"))
            .chars()
            .take(20)
            .collect();
        let _ = writeln!(
            s,
            "  {:>5}  {title}{} {:<lang_w$} {:<3} {:<date_w$} {:>9} {:>9} {:>5.1}%",
            a.index,
            " ".repeat(TITLE.saturating_sub(width)),
            crate::input::printable(a.lang.as_deref().unwrap_or("-")),
            a.dir,
            date,
            a.raw,
            a.stored,
            a.ratio * 100.0
        );
    }
    s
}

/// What `list` shows.
#[derive(Serialize)]
pub struct Listing {
    /// Version of this JSON's shape.
    pub schema_version: u32,
    /// The bundle.
    pub file: String,
    /// Its articles, in bundle order.
    pub articles: Vec<ArticleRow>,
    /// What could not be read.
    pub problems: Vec<Problem>,
}

/// One article's row from its records alone: its record and metadata (each checked against
/// its CRC) and its chunk records, no text decoded.
fn listed_row(b: &mut Bundle<&[u8]>, index: u32) -> Result<ArticleRow, fieldpack_format::Error> {
    let rec = b.article(index)?;
    let mut mbuf = [0u8; MAX_META_LEN];
    let meta = b.meta(&rec, &mut mbuf)?;
    let mut stored = 0u64;
    for c in rec.first_chunk..rec.first_chunk.saturating_add(rec.chunk_count) {
        stored += u64::from(b.chunk(c)?.stored_len);
    }
    let raw = u64::from(rec.raw_len);
    Ok(ArticleRow {
        index,
        title: meta.title.to_string(),
        lang: meta.lang.map(str::to_string),
        dir: if meta.dir == Direction::Rtl {
            "rtl"
        } else {
            "ltr"
        },
        date: meta.date.map(str::to_string),
        source: meta.source.map(str::to_string),
        author: meta.author.map(str::to_string),
        raw,
        stored,
        chunks: rec.chunk_count,
        ratio: ratio(stored, raw),
        damaged: None,
    })
}

/// Lists a bundle's articles from their records and metadata: as quick for 100,000 articles
/// as a table of contents should be (`verify` decodes and checks every text).
pub fn list(path: &Path) -> Result<Listing> {
    let bytes = read_file(path)?;
    let mut b = open(&bytes, path)?;
    let mut listing = Listing {
        schema_version: SCHEMA_VERSION,
        file: crate::input::path_text(path),
        articles: Vec::new(),
        problems: Vec::new(),
    };
    for i in 0..b.article_count() {
        match listed_row(&mut b, i) {
            Ok(row) => listing.articles.push(row),
            Err(e) => {
                let p = article_problem(&mut b, i, &anyhow::Error::new(e));
                listing.articles.push(ArticleRow::damaged(i, &p));
                listing.problems.push(p);
            }
        }
    }
    Ok(listing)
}

/// `list` as a table for people.
pub fn render_list(l: &Listing) -> String {
    article_table(&l.articles)
}

/// The article `which` names in the bundle at `path`: its number, or its title (folded as the
/// device's search folds it); a title several articles share is an error that lists them.
pub fn find_article(path: &Path, which: &str) -> Result<ExtractedArticle> {
    let bytes = read_file(path)?;
    let mut b = open(&bytes, path)?;
    let count = b.article_count();
    let mut reader = ArticleReader::new(&b);
    if let Ok(n) = which.trim().parse::<u32>() {
        anyhow::ensure!(
            n < count,
            "{}: no article {n} (it has {}, numbered from 0)",
            crate::input::path_text(path),
            crate::input::count(count as usize, "article")
        );
        return reader
            .read(&mut b, n)
            .with_context(|| crate::input::path_text(path));
    }
    let wanted: String = fieldpack_format::fold::fold_str(which.trim()).collect();
    let mut hits = Vec::new();
    for i in 0..count {
        let rec = b.article(i)?;
        let mut mbuf = [0u8; MAX_META_LEN];
        let meta = b.meta(&rec, &mut mbuf)?;
        if fieldpack_format::fold::fold_str(meta.title).eq(wanted.chars()) {
            hits.push((i, meta.title.to_string()));
        }
    }
    match hits.as_slice() {
        [] => bail!(
            "{}: no article titled {:?} (`fieldpack list` shows the titles)",
            crate::input::path_text(path),
            which
        ),
        [(i, _)] => reader
            .read(&mut b, *i)
            .with_context(|| crate::input::path_text(path)),
        many => {
            let names: Vec<String> = many.iter().map(|(i, t)| format!("{i} {t:?}")).collect();
            bail!(
                "{}: {} articles are titled {:?}: give the number of one of them ({})",
                crate::input::path_text(path),
                many.len(),
                which,
                names.join(", ")
            )
        }
    }
}

/// `inspect` as a table for people.
pub fn render_inspection(r: &Inspection) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: Fieldpack bundle, format version {}",
        crate::input::printable(&r.file),
        r.version
    );
    let _ = writeln!(s, "  title    {}", crate::input::printable(&r.title));
    if !r.creator.is_empty() {
        let _ = writeln!(s, "  creator  {}", crate::input::printable(&r.creator));
    }
    let _ = writeln!(
        s,
        "  created  {}",
        r.created.as_deref().unwrap_or("(not recorded)")
    );
    let _ = writeln!(s, "  tool     {}", r.tool);
    let _ = writeln!(s, "  size     {} bytes ({})", r.file_len, human(r.file_len));
    let _ = writeln!(
        s,
        "  window   {} bytes needed to decode a chunk",
        r.window_bytes
    );
    if let Some(id) = &r.id {
        let _ = writeln!(s, "  id       {id}");
    }
    match &r.signed_by {
        Some((name, key)) => {
            let _ = writeln!(
                s,
                "  signed   by \"{}\", key {key} (check it with verify --key)",
                crate::input::printable(name)
            );
        }
        None => {
            let _ = writeln!(s, "  signed   no");
        }
    }
    if r.aliases > 0 {
        let _ = writeln!(
            s,
            "  aliases  {} (other names of articles, found by a search as their titles are)",
            r.aliases
        );
    }
    let _ = writeln!(s, "\nsections:");
    let _ = writeln!(
        s,
        "  {:<13} {:>10} {:>10}  {:<8}  holds",
        "kind", "offset", "bytes", "crc32"
    );
    for e in &r.sections {
        let _ = writeln!(
            s,
            "  {:<13} {:>10} {:>10}  {}  {}",
            e.kind, e.offset, e.len, e.crc, e.holds
        );
    }
    let _ = writeln!(s, "\nglyph strikes:");
    for g in &r.strikes {
        let name = match g.size_class {
            0 => "small",
            1 => "large",
            2 => "smooth",
            _ => "larger",
        };
        let _ = writeln!(
            s,
            "  {name:<6} line {:>2} px  {:>6} glyphs  {:>9} bytes",
            g.line_height, g.glyphs, g.bytes
        );
    }
    let bitmaps = SectionKind::GlyphBitmaps.spec_name();
    if let Some(b) = r.sections.iter().find(|e| e.kind == bitmaps) {
        let _ = writeln!(s, "  bitmaps shared by the strikes   {:>9} bytes", b.len);
    }
    if !r.scripts.is_empty() {
        let _ = writeln!(
            s,
            "\nglyphs by script (records in every strike, bitmaps once; shaped words):"
        );
        let _ = writeln!(
            s,
            "  {:<16} {:>7} {:>7} {:>7} {:>7} {:>9} {:>9} {:>7} {:>9}",
            "script",
            "small",
            "large",
            "smooth",
            "larger",
            "records",
            "bitmaps",
            "words",
            "word bytes"
        );
        for c in &r.scripts {
            let _ = writeln!(
                s,
                "  {:<16} {:>7} {:>7} {:>7} {:>7} {:>9} {:>9} {:>7} {:>9}",
                c.script,
                c.glyphs_small,
                c.glyphs_large,
                c.glyphs_smooth,
                c.glyphs_larger,
                c.record_bytes,
                c.bitmap_bytes,
                c.shaped_words,
                c.shaped_bytes
            );
        }
    }
    let _ = writeln!(s, "\narticles:");
    s.push_str(&article_table(&r.articles));
    let _ = writeln!(s, "\ntotals:");
    let _ = writeln!(s, "  articles            {}", r.articles.len());
    let _ = writeln!(s, "  article text (raw)  {:>10} bytes", r.raw_total);
    let _ = writeln!(
        s,
        "  bodies stored       {:>10} bytes ({:.1}% of raw)",
        r.stored_total,
        r.stored_total as f64 * 100.0 / r.raw_total.max(1) as f64
    );
    let _ = writeln!(
        s,
        "  whole bundle        {:>10} bytes ({:.1}% of raw)",
        r.file_len,
        r.file_len as f64 * 100.0 / r.raw_total.max(1) as f64
    );
    s
}

/// Display columns of a string: East Asian wide characters take two.
fn unicode_width(s: &str) -> usize {
    s.chars()
        .map(|c| match c as u32 {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFF00..=0xFF60 => 2,
            _ => 1,
        })
        .sum()
}

/// The version of the shape of every `--json` report (docs/json.md): 2 since the section names
/// are SPEC.md's and every report carries it.
pub const SCHEMA_VERSION: u32 = 2;

/// One damaged part of a bundle.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Problem {
    /// The section it is in, named as SPEC.md names it.
    pub section: String,
    /// Byte offset in the bundle, where known.
    pub offset: Option<u64>,
    /// The article it touches, where it touches one.
    pub article: Option<u32>,
    /// That article's title, when its metadata can still be read.
    pub title: Option<String>,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} section", self.section)?;
        if let Some(o) = self.offset {
            write!(f, ", byte offset {o}")?;
        }
        if let Some(a) = self.article {
            write!(f, ", article {a}")?;
            if let Some(t) = &self.title {
                write!(f, " \"{}\"", crate::input::printable(t))?;
            }
        }
        write!(f, ": {}", crate::input::printable(&self.message))
    }
}

/// A signed bundle's signature, as `verify` found it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct SignatureReport {
    /// The name the bundle gives its signer (the signer's own words).
    pub signer: String,
    /// The signer's public key, hex.
    pub public_key: String,
    /// Whether every byte is as signed.
    pub intact: bool,
    /// Whether the key is the one given with `--key` (`None`: no key given).
    pub key_matches: Option<bool>,
}

/// What `verify` found: every damaged part, not only the first.
#[derive(Clone, Debug, Serialize)]
pub struct Verification {
    /// The JSON layout's version.
    pub schema_version: u32,
    /// The file.
    pub file: String,
    /// No damage found (and, with `--key`, signed by that key).
    pub ok: bool,
    /// The format version, when the header could be read.
    pub format_version: Option<u16>,
    /// Sections in the table.
    pub sections: usize,
    /// Articles the bundle lists.
    pub articles: u32,
    /// Articles that decode with every checksum matching.
    pub articles_readable: u32,
    /// Chunks of the readable articles.
    pub chunks: u64,
    /// Bytes of text of the readable articles.
    pub text_bytes: u64,
    /// The signature, when the bundle is signed.
    pub signature: Option<SignatureReport>,
    /// Everything found wrong.
    pub problems: Vec<Problem>,
}

fn problem(section: SectionKind, offset: Option<u64>, message: impl Into<String>) -> Problem {
    Problem {
        section: section.spec_name().to_string(),
        offset,
        article: None,
        title: None,
        message: message.into(),
    }
}

/// An article's title, if its record and metadata still read.
fn title_of(b: &mut Bundle<&[u8]>, i: u32) -> Option<String> {
    let r = b.article(i).ok()?;
    let mut buf = [0u8; MAX_META_LEN];
    b.meta(&r, &mut buf).ok().map(|m| m.title.to_string())
}

/// The problem reading article `i` met, with the article's title when it still reads.
fn article_problem(b: &mut Bundle<&[u8]>, i: u32, e: &anyhow::Error) -> Problem {
    let mut p = match e.downcast_ref::<fieldpack_format::Error>() {
        Some(fe) => problem_of(fe),
        None => problem(SectionKind::Bodies, None, format!("{e:#}")),
    };
    p.article = Some(i);
    p.title = title_of(b, i);
    p
}

/// The problem a bundle error is, in the section it names.
fn problem_of(e: &fieldpack_format::Error) -> Problem {
    use fieldpack_format::Error as E;
    match *e {
        E::Corrupt { section, offset } => problem(section, Some(offset.into()), e.to_string()),
        E::Tampered { offset } => {
            problem(SectionKind::HashTree, Some(offset.into()), e.to_string())
        }
        E::BadSignature => problem(SectionKind::Signature, None, e.to_string()),
        _ => problem(SectionKind::Header, None, e.to_string()),
    }
}

/// `verify`: every checksum, every article, every glyph and the title index; every damaged
/// part reported. With `key`, the bundle must also be signed by that key.
pub fn verify(path: &Path, key: Option<&crate::sign::PublicKeyFile>) -> Result<Verification> {
    let bytes = read_file(path)?;
    Ok(check_bytes(&bytes, &crate::input::path_text(path), key))
}

/// [`verify`] of bytes in memory, as one line for people; an error when anything is damaged.
pub fn verify_bytes(bytes: &[u8], name: &str) -> Result<String> {
    let v = check_bytes(bytes, name, None);
    let text = render_verification(&v);
    if v.ok {
        Ok(text)
    } else {
        bail!("{text}")
    }
}

/// Checks bundle bytes; `name` names them in messages.
pub fn check_bytes(
    bytes: &[u8],
    name: &str,
    key: Option<&crate::sign::PublicKeyFile>,
) -> Verification {
    let mut v = Verification {
        schema_version: SCHEMA_VERSION,
        file: name.to_string(),
        ok: false,
        format_version: None,
        sections: 0,
        articles: 0,
        articles_readable: 0,
        chunks: 0,
        text_bytes: 0,
        signature: None,
        problems: Vec::new(),
    };
    let (header, entries) = match section_table(bytes) {
        Ok(t) => t,
        Err(e) => {
            v.problems
                .push(problem(SectionKind::Header, Some(0), format!("{e:#}")));
            return v;
        }
    };
    v.format_version = Some(header.version);
    v.sections = entries.len();
    if (header.file_len as usize) > bytes.len() {
        v.problems.push(problem(
            SectionKind::Header,
            Some(12),
            format!(
                "truncated: header says {} bytes, file has {}",
                header.file_len,
                bytes.len()
            ),
        ));
    }
    let table_end = HEADER_LEN + entries.len() * SECTION_ENTRY_LEN;
    if crc32(&bytes[HEADER_LEN..table_end]) != header.table_crc {
        v.problems.push(problem(
            SectionKind::Header,
            Some(HEADER_LEN as u64),
            format!("section table damaged (byte offsets {HEADER_LEN}..{table_end})"),
        ));
    }
    for e in &entries {
        let range = e.offset as usize..(e.offset as usize).saturating_add(e.len as usize);
        match bytes.get(range.clone()) {
            None => v.problems.push(problem(
                e.kind,
                Some(e.offset.into()),
                "section lies outside the file",
            )),
            Some(data) if crc32(data) != e.crc => v.problems.push(problem(
                e.kind,
                Some(e.offset.into()),
                format!(
                    "section damaged (byte offsets {}..{}): its checksum does not match",
                    range.start, range.end
                ),
            )),
            Some(_) => {}
        }
    }
    // Padding between sections is zero: any other byte there is damage no checksum covers.
    let mut covered: Vec<(usize, usize)> = entries
        .iter()
        .map(|e| (e.offset as usize, e.offset as usize + e.len as usize))
        .collect();
    covered.push((0, table_end));
    covered.sort_unstable();
    let mut at = 0;
    let end = (header.file_len as usize).min(bytes.len());
    for (start, stop) in covered.into_iter().chain([(end, end)]) {
        if let Some(i) = bytes
            .get(at..start.min(end))
            .and_then(|gap| gap.iter().position(|&b| b != 0))
        {
            v.problems.push(problem(
                SectionKind::Header,
                Some((at + i) as u64),
                "damage between sections (padding is not zero)",
            ));
        }
        at = at.max(stop);
    }
    let mut b = match Bundle::open(bytes) {
        Ok(b) => b,
        Err(e) => {
            v.problems.push(problem_of(&e));
            v.ok = false;
            return v;
        }
    };
    v.articles = b.article_count();
    let mut reader = ArticleReader::new(&b);
    let mut used_words: BTreeSet<u32> = BTreeSet::new();
    for i in 0..b.article_count() {
        match reader.read(&mut b, i) {
            Ok(a) => {
                v.articles_readable += 1;
                v.chunks += u64::from(a.chunks);
                v.text_bytes += a.body.len() as u64;
                // Its stored line boxes and level runs, read once for the three checks.
                if let Some((lines, runs)) = stored_layout(&mut b, i) {
                    let cut = runs.as_deref().unwrap_or(&[]);
                    check_line_boxes(&mut b, &a, lines, cut, &mut v.problems);
                    check_runs(&a, &runs, &mut v.problems);
                    check_blocks(&a, &mut v.problems);
                    check_article_words(&mut b, &a, cut, &mut used_words, &mut v.problems);
                }
            }
            Err(e) => {
                let p = article_problem(&mut b, i, &e);
                v.problems.push(p);
            }
        }
    }
    check_tiling(&mut b, &mut v.problems);
    check_titles(&mut b, bytes, &entries, &mut v.problems);
    check_glyphs(&mut b, &mut v.problems);
    check_shapes(&mut b, &used_words, &mut v.problems);
    check_aliases(&mut b, bytes, &entries, &mut v.problems);
    check_id(&mut b, bytes, &entries, &mut v.problems);
    match crate::sign::check(bytes) {
        Ok(None) => {
            if key.is_some() {
                v.problems.push(problem(
                    SectionKind::Signature,
                    None,
                    "the bundle is not signed",
                ));
            }
        }
        Ok(Some(r)) => {
            if !r.content_matches {
                let detail = match r.altered_blocks.first() {
                    Some(o) => format!(" (first altered block at byte offset {o})"),
                    None => String::new(),
                };
                v.problems.push(problem(
                    SectionKind::HashTree,
                    r.altered_blocks.first().copied(),
                    format!("the bundle was altered after it was signed{detail}"),
                ));
            } else if !r.tree_matches {
                v.problems.push(problem(
                    SectionKind::HashTree,
                    None,
                    "the stored hash tree does not match the signed content",
                ));
            }
            let key_matches = key.map(|k| k.key == r.public_key);
            if key_matches == Some(false) {
                v.problems.push(problem(
                    SectionKind::Signature,
                    None,
                    format!(
                        "signed by another key ({}), not by {} ({})",
                        crate::sign::fingerprint(&r.public_key),
                        crate::input::printable(&key.map(|k| k.name.clone()).unwrap_or_default()),
                        crate::sign::fingerprint(&key.map(|k| k.key).unwrap_or_default())
                    ),
                ));
            }
            v.signature = Some(SignatureReport {
                signer: r.signer,
                public_key: crate::sign::fingerprint(&r.public_key)
                    + &r.public_key[8..]
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect::<String>(),
                intact: r.content_matches && r.tree_matches,
                key_matches,
            });
        }
        Err(e) => v
            .problems
            .push(problem(SectionKind::Signature, None, format!("{e:#}"))),
    }
    v.ok = v.problems.is_empty();
    v
}

/// The last article's chunks and the last chunk's bytes reach the ends of their sections.
fn check_tiling(b: &mut Bundle<&[u8]>, problems: &mut Vec<Problem>) {
    let count = b.article_count();
    if let Some(last) = count.checked_sub(1) {
        if let Ok(r) = b.article(last) {
            if r.first_chunk.checked_add(r.chunk_count) != Some(b.chunk_count()) {
                problems.push(problem(
                    SectionKind::Articles,
                    None,
                    "articles do not use every chunk record",
                ));
            }
        }
    } else if b.chunk_count() != 0 {
        problems.push(problem(
            SectionKind::Chunks,
            None,
            "chunk records but no articles",
        ));
    }
    if let Some(last) = b.chunk_count().checked_sub(1) {
        let bodies = b.sections()[4].1;
        if let Ok(c) = b.chunk(last) {
            if c.end() != Some(bodies.len) {
                problems.push(problem(
                    SectionKind::Bodies,
                    Some(bodies.offset.into()),
                    "the article text section holds bytes no chunk uses",
                ));
            }
        }
    }
}

/// The title index: a permutation of the articles, each key its title's, in order.
fn check_titles(
    b: &mut Bundle<&[u8]>,
    bytes: &[u8],
    entries: &[SectionEntry],
    problems: &mut Vec<Problem>,
) {
    let mut ids = BTreeSet::new();
    let titles = entries
        .iter()
        .find(|e| e.kind == SectionKind::Titles)
        .map_or(0, |e| e.offset as usize);
    let mut previous: Option<String> = None;
    // The folded titles in the index's order, to check the Offers section against.
    let mut folded: Vec<Vec<char>> = Vec::new();
    for pos in 0..b.title_count() {
        let at = (titles + pos as usize * TITLE_RECORD_LEN) as u64;
        let entry = match b.title_entry(pos) {
            Ok(e) => e,
            Err(e) => {
                problems.push(problem_of(&e));
                continue;
            }
        };
        let id = entry.article;
        // The record's own number: the article's, or the alias's after every article.
        let listed = entry.alias.map_or(u64::from(id), |k| {
            u64::from(b.article_count()) + u64::from(k)
        });
        if !ids.insert(listed) {
            let what = match entry.alias {
                Some(k) => format!("alias {k}"),
                None => format!("article {id}"),
            };
            problems.push(problem(
                SectionKind::Titles,
                Some(at),
                format!("title index lists {what} twice"),
            ));
            continue;
        }
        let title = match entry.alias {
            None => title_of(b, id),
            Some(k) => {
                let mut abuf = [0u8; fieldpack_format::layout::MAX_ALIAS_LEN];
                match b.alias(k, &mut abuf) {
                    Ok((_, name)) => Some(name.to_string()),
                    Err(e) => {
                        problems.push(problem_of(&e));
                        None
                    }
                }
            }
        };
        let Some(title) = title else {
            continue;
        };
        let key_at = at as usize + 4;
        if bytes.get(key_at..key_at + TITLE_KEY_LEN)
            != Some(&fieldpack_format::meta::title_key(&title)[..])
        {
            problems.push(problem(
                SectionKind::Titles,
                Some(key_at as u64),
                format!("title index key of article {id} does not match its title"),
            ));
        }
        if previous
            .as_deref()
            .is_some_and(|p| fieldpack_format::title_cmp(p, &title).is_gt())
        {
            problems.push(problem(
                SectionKind::Titles,
                Some(at),
                format!("title index out of order at article {id}"),
            ));
        }
        folded.push(fieldpack_format::fold::fold_str(&title).collect());
        previous = Some(title);
    }
    // The offers follow from the titles alone: the section must be what a writer makes of them.
    if folded.len() == b.title_count() as usize {
        if let Some(e) = entries.iter().find(|e| e.kind == SectionKind::Offers) {
            let expected = crate::pack::offers_section(&folded);
            check_rebuilt(
                bytes,
                e,
                &expected,
                "the title offers do not follow from the title index",
                problems,
            );
        }
    }
}

/// The Aliases section is what a writer makes of its aliases: records in article order, an
/// article's names in the order of their text, none folding to its article's title or to
/// another of its names, the names back to back after the records.
fn check_aliases(
    b: &mut Bundle<&[u8]>,
    bytes: &[u8],
    entries: &[SectionEntry],
    problems: &mut Vec<Problem>,
) {
    let Some(e) = entries.iter().find(|e| e.kind == SectionKind::Aliases) else {
        return;
    };
    let mut listed: Vec<(u32, String)> = Vec::new();
    let mut abuf = [0u8; fieldpack_format::layout::MAX_ALIAS_LEN];
    for k in 0..b.alias_count() {
        match b.alias(k, &mut abuf) {
            Ok((article, name)) => listed.push((article, name.to_string())),
            Err(err) => {
                problems.push(problem_of(&err));
                return;
            }
        }
    }
    let fold = |s: &str| fieldpack_format::fold::fold_str(s).collect::<String>();
    for (k, pair) in listed.windows(2).enumerate() {
        let (a, b) = (&pair[0], &pair[1]);
        if (a.0, &a.1) >= (b.0, &b.1) || (a.0 == b.0 && fold(&a.1) == fold(&b.1)) {
            problems.push(problem(
                SectionKind::Aliases,
                Some(u64::from(e.offset) + 4 + 8 * (k as u64 + 1)),
                format!("alias {} is out of order or repeats an earlier one", k + 1),
            ));
        }
    }
    for (k, (article, name)) in listed.iter().enumerate() {
        if title_of(b, *article).is_some_and(|t| fold(&t) == fold(name)) {
            problems.push(problem(
                SectionKind::Aliases,
                Some(u64::from(e.offset) + 4 + 8 * k as u64),
                format!("alias {k} is its article's own title"),
            ));
        }
    }
    // Rebuilt from what was read, the section's bytes must come out the same.
    let mut want = (listed.len() as u32).to_le_bytes().to_vec();
    let mut at = 4 + 8 * listed.len();
    let mut names = Vec::new();
    for (article, name) in &listed {
        want.extend_from_slice(&article.to_le_bytes());
        want.extend_from_slice(&(at as u32).to_le_bytes());
        names.push(name.len() as u8);
        names.extend_from_slice(name.as_bytes());
        at += 1 + name.len();
    }
    want.extend_from_slice(&names);
    check_rebuilt(
        bytes,
        e,
        &want,
        "the aliases are not laid out as a writer lays them out",
        problems,
    );
}

/// The bytes of a section, when they lie in the file.
fn section_bytes<'a>(bytes: &'a [u8], e: &SectionEntry) -> Option<&'a [u8]> {
    bytes.get(e.offset as usize..(e.offset as usize).saturating_add(e.len as usize))
}

/// A section that follows from the rest of the bundle must be what a writer makes of it: a
/// problem at its first differing byte otherwise.
fn check_rebuilt(
    bytes: &[u8],
    e: &SectionEntry,
    want: &[u8],
    message: &str,
    problems: &mut Vec<Problem>,
) {
    let stored = section_bytes(bytes, e);
    if stored != Some(want) {
        let first = stored.map_or(0, |s| {
            s.iter().zip(want).take_while(|(a, b)| a == b).count()
        });
        problems.push(problem(
            e.kind,
            Some(u64::from(e.offset) + first as u64),
            message,
        ));
    }
}

/// The bundle's `id` in Info is the hash of what it holds (SPEC.md, Info): recomputed, so that
/// damage that keeps every checksum right (a repaired section CRC) is still found.
fn check_id(
    b: &mut Bundle<&[u8]>,
    bytes: &[u8],
    entries: &[SectionEntry],
    problems: &mut Vec<Problem>,
) {
    use sha2::Digest;
    let section = |kind: SectionKind| {
        entries
            .iter()
            .find(|e| e.kind == kind)
            .and_then(|e| section_bytes(bytes, e))
    };
    let (Some(meta), Some(bodies)) = (section(SectionKind::Meta), section(SectionKind::Bodies))
    else {
        return;
    };
    let mut h = sha2::Sha256::new();
    for i in 0..b.article_count() {
        let Ok(rec) = b.article(i) else { return };
        let m = rec.meta_offset as usize;
        let Some(m) = meta.get(m..m.saturating_add(usize::from(rec.meta_len))) else {
            return;
        };
        h.update(m);
        for c in rec.first_chunk..rec.first_chunk.saturating_add(rec.chunk_count) {
            let Ok(c) = b.chunk(c) else { return };
            let o = c.offset as usize;
            let Some(data) = bodies.get(o..o.saturating_add(c.stored_len as usize)) else {
                return;
            };
            h.update([c.codec.code()]);
            h.update(data);
        }
    }
    for kind in [SectionKind::Dictionary, SectionKind::Aliases] {
        if let Some(d) = section(kind) {
            h.update(d);
        }
    }
    let digest = h.finalize();
    if digest[..16] != b.id() {
        problems.push(problem(
            SectionKind::Info,
            entries
                .iter()
                .find(|e| e.kind == SectionKind::Info)
                .map(|e| u64::from(e.offset)),
            "the bundle's id is not the hash of its articles, dictionary and aliases (SPEC.md, Info)",
        ));
    }
}

/// Each strike's line box in an article's metadata: the one its text and title draw (SPEC.md,
/// Article metadata), recomputed from the glyphs' metrics.
fn check_line_boxes(
    b: &mut Bundle<&[u8]>,
    a: &ExtractedArticle,
    stored: [LineBox; SIZE_CLASS_COUNT],
    runs: &[fieldpack_format::LevelRun],
    problems: &mut Vec<Problem>,
) {
    // The shaped words it draws, cut as a device cuts them, with their glyphs.
    let mut words: Vec<&str> = crate::shape::device_words(&a.body, runs);
    words.extend(a.title.split(' '));
    let mut found: BTreeSet<&str> = BTreeSet::new();
    let mut shaped_ink: Vec<(u32, [i32; fieldpack_format::shaped::SHAPED_CLASSES])> = Vec::new();
    for w in words {
        if let Ok(Some(word)) = b.shaped_word(w.as_bytes()) {
            found.insert(w);
            if let Ok(glyphs) = resolved_glyphs(b, &word) {
                shaped_ink.extend(glyphs.iter().map(|g| (g.key, g.dy)));
            }
        }
    }
    // The characters drawn one by one (not inside shaped words); line feeds end paragraphs
    // and are never drawn.
    let is_shaped = |w: &str| found.contains(w);
    let mut chars = crate::shape::unshaped_chars(&a.body, runs, is_shaped);
    chars.extend(crate::shape::unshaped_chars(&a.title, &[], is_shaped));
    chars.extend(crate::shape::mark_chars(&a.body));
    chars.retain(|c| !c.is_control());
    for s in b.strikes().to_vec() {
        let class = fieldpack_format::shaped::positions_of(s.header.size_class);
        let shaped_rows: Vec<(u32, u32)> = shaped_ink
            .iter()
            .filter_map(|&(key, dy)| {
                let g = b.glyph_by_key(&s, key).ok().flatten()?;
                let dy = i64::from(dy[class]);
                (g.height > 0).then_some(((i64::from(g.y) + dy).max(0) as u32, u32::from(g.height)))
            })
            .collect();
        let ink: Vec<(u32, u32)> = chars
            .iter()
            .filter_map(|&c| match b.glyph(&s, c) {
                Ok(Some(g)) => Some(g),
                Ok(None) => b.glyph(&s, '\u{FFFD}').ok().flatten(),
                Err(_) => None,
            })
            .filter(|g| g.height > 0)
            .map(|g| (u32::from(g.y), u32::from(g.height)))
            .chain(shaped_rows)
            .collect();
        let compact = LineBox {
            top: s.header.compact_top,
            height: s.header.compact_height,
        };
        let want = LineBox::enclosing(ink, s.header.line_height, compact);
        let got = stored
            .get(usize::from(s.header.size_class))
            .copied()
            .unwrap_or_default();
        if got != want {
            problems.push(Problem {
                section: SectionKind::Meta.spec_name().to_string(),
                offset: None,
                article: Some(a.index),
                title: Some(a.title.clone()),
                message: format!(
                    "line box {}+{} in the size-{} strike, where its glyphs need {}+{}",
                    got.top, got.height, s.header.size_class, want.top, want.height
                ),
            });
        }
    }
}

/// Article `index`'s stored line boxes and its level runs (checked against their checksum, or
/// why they cannot be read); `None` when its metadata cannot be read (reported elsewhere).
type StoredLayout = (
    [LineBox; SIZE_CLASS_COUNT],
    Result<Vec<fieldpack_format::LevelRun>, fieldpack_format::Error>,
);

fn stored_layout(b: &mut Bundle<&[u8]>, index: u32) -> Option<StoredLayout> {
    let rec = b.article(index).ok()?;
    let mut mbuf = [0u8; MAX_META_LEN];
    let meta = b.meta(&rec, &mut mbuf).ok()?;
    let (lines, levels) = (meta.lines, meta.levels);
    let runs = b
        .level_runs(levels)
        .and_then(|span| (0..levels.count).map(|i| b.level_run(span, i)).collect());
    Some((lines, runs))
}

/// An article's level runs: present and intact, and the ones its text and direction give
/// (UAX #9 levels, dictionary word boundaries, font changes), recomputed.
/// Every paragraph's block mark is one a writer makes (SPEC.md, "Blocks"): a known kind,
/// depth and label; controls only in marks and table rows; each table's rows with a cell a
/// column and the widths its cells give.
fn check_blocks(a: &ExtractedArticle, problems: &mut Vec<Problem>) {
    use fieldpack_format::blocks::{BlockKind, Mark, CELL, LABEL_END};
    let mut report = |n: usize, message: String| {
        problems.push(Problem {
            section: SectionKind::Bodies.spec_name().to_string(),
            offset: None,
            article: Some(a.index),
            title: Some(a.title.clone()),
            message: format!("paragraph {}: {message}", n + 1),
        })
    };
    let paragraphs: Vec<&str> = a.body.split('\n').collect();
    for (n, p) in paragraphs.iter().enumerate() {
        let m = match Mark::parse(p.as_bytes()) {
            Ok(m) => m,
            Err(e) => {
                report(n, format!("its block mark is malformed ({e:?})"));
                continue;
            }
        };
        let text = &p[usize::from(m.len)..];
        let cell_controls = m.kind.is_row();
        if text
            .chars()
            .any(|c| c.is_control() && !(cell_controls && (c == CELL || c == LABEL_END)))
        {
            report(n, "a control character outside a block mark".into());
        }
        if text.is_empty() && m.kind != BlockKind::Pre {
            report(n, "empty".into());
        }
    }
    let mut rebuilt: Vec<String> = paragraphs.iter().map(|p| p.to_string()).collect();
    crate::blocks::set_table_widths(&mut rebuilt);
    if let Some(n) = rebuilt.iter().zip(&paragraphs).position(|(x, y)| x != y) {
        report(
            n,
            "a table row whose column widths or cells are not those its table gives".into(),
        );
    }
}

fn check_runs(
    a: &ExtractedArticle,
    runs: &Result<Vec<fieldpack_format::LevelRun>, fieldpack_format::Error>,
    problems: &mut Vec<Problem>,
) {
    let mut report = |message: String| {
        problems.push(Problem {
            section: SectionKind::Levels.spec_name().to_string(),
            offset: None,
            article: Some(a.index),
            title: Some(a.title.clone()),
            message,
        })
    };
    let stored = match runs {
        Ok(r) => r,
        Err(e) => return report(format!("its level runs cannot be read: {e}")),
    };
    match crate::shape::article_runs(&a.body, a.rtl) {
        Ok(want) if want.runs != *stored => report(format!(
            "{} level runs, where its text gives {} (first difference at run {})",
            stored.len(),
            want.runs.len(),
            stored
                .iter()
                .zip(&want.runs)
                .position(|(x, y)| x != y)
                .unwrap_or(stored.len().min(want.runs.len()))
        )),
        Ok(_) => {}
        Err(e) => report(format!("cannot recompute its level runs: {e:#}")),
    }
}

/// A stored shaped word's glyphs in each size class's pixels, their advances resolved
/// against the strikes (SPEC.md, "Shapes").
fn resolved_glyphs(
    b: &mut Bundle<&[u8]>,
    word: &fieldpack_format::Word,
) -> Result<Vec<crate::shape::Placed>, fieldpack_format::Error> {
    let strikes: Vec<_> = b.strikes().to_vec();
    let mut at = word.first_glyph();
    let mut out = Vec::new();
    for _ in 0..word.record.glyph_count {
        let g = b.next_shaped_glyph(word, &mut at)?;
        let mut advance = [0i32; fieldpack_format::shaped::SHAPED_CLASSES];
        for (class, slot) in advance.iter_mut().enumerate() {
            *slot = match g.advance {
                Some(a) => i32::from(a[class]),
                None => match strikes
                    .iter()
                    .find(|s| fieldpack_format::shaped::positions_of(s.header.size_class) == class)
                {
                    Some(s) => b
                        .glyph_by_key(s, g.key)?
                        .map_or(0, |r| i32::from(r.advance)),
                    None => 0,
                },
            };
        }
        out.push(crate::shape::Placed {
            key: g.key,
            advance,
            dx: g.offset.map(|o| i32::from(o.0)),
            dy: g.offset.map(|o| i32::from(o.1)),
        });
    }
    Ok(out)
}

/// Every word of an article a device looks up that the bundle has shaped: stored as its font
/// shapes it today (glyphs, advances, offsets, width, direction). Adds their hashes to `used`.
fn check_article_words(
    b: &mut Bundle<&[u8]>,
    a: &ExtractedArticle,
    runs: &[fieldpack_format::LevelRun],
    used: &mut BTreeSet<u32>,
    problems: &mut Vec<Problem>,
) {
    let Ok(fonts) = crate::shape::shaping_fonts() else {
        return;
    };
    let mut words: BTreeSet<&str> = crate::shape::device_words(&a.body, runs)
        .into_iter()
        .collect();
    for m in [
        Some(a.title.as_str()),
        a.source.as_deref(),
        a.author.as_deref(),
        a.date.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        words.extend(m.split(' '));
    }
    // The position sets the bundle's strikes draw (a board's bundle has two of the four
    // strikes; a set no strike draws has no strike glyph advances to resolve against).
    let sets: BTreeSet<usize> = b
        .strikes()
        .iter()
        .map(|s| fieldpack_format::shaped::positions_of(s.header.size_class))
        .collect();
    for w in words.into_iter().filter(|w| crate::shape::is_looked_up(w)) {
        let word = match b.shaped_word(w.as_bytes()) {
            Ok(Some(word)) => word,
            Ok(None) => continue,
            Err(e) => {
                problems.push(problem_of(&e));
                continue;
            }
        };
        used.insert(word.record.hash);
        let stored = resolved_glyphs(b, &word);
        let want = crate::shape::word_font(w, fonts).map(|f| {
            crate::shape::shape(w, f).and_then(|sh| Ok((sh.rtl, crate::shape::place(&sh)?)))
        });
        let ok = match (&stored, &want) {
            (Ok(got), Some(Ok((rtl, placed)))) => {
                got.len() == placed.len()
                    && got.iter().zip(placed).all(|(g, p)| {
                        g.key == p.key
                            && sets.iter().all(|&c| {
                                g.advance[c] == p.advance[c]
                                    && g.dx[c] == p.dx[c]
                                    && g.dy[c] == p.dy[c]
                            })
                    })
                    && *rtl == word.rtl
                    && sets.iter().all(|&c| {
                        got.iter().map(|p| p.advance[c]).sum::<i32>() == i32::from(word.advance[c])
                    })
            }
            _ => false,
        };
        if !ok {
            problems.push(Problem {
                section: SectionKind::Shapes.spec_name().to_string(),
                offset: None,
                article: Some(a.index),
                title: Some(a.title.clone()),
                message: format!(
                    "the word \"{w}\" is stored with other glyphs than its font shapes"
                ),
            });
        }
    }
}

/// The Shapes section as a whole: records sorted by hash, every word intact and drawn by some
/// article (`used`).
fn check_shapes(b: &mut Bundle<&[u8]>, used: &BTreeSet<u32>, problems: &mut Vec<Problem>) {
    let count = match b.shaped_word_count() {
        Ok(n) => n,
        Err(e) => {
            problems.push(problem_of(&e));
            return;
        }
    };
    let mut report = |message: String| {
        problems.push(Problem {
            section: SectionKind::Shapes.spec_name().to_string(),
            offset: None,
            article: None,
            title: None,
            message,
        })
    };
    let mut prev: Option<(u32, u32)> = None;
    for i in 0..count {
        let word = match b.shaped_word_at(i) {
            Ok(w) => w,
            Err(e) => {
                report(format!("word {i}: {e}"));
                continue;
            }
        };
        let (hash, data) = (word.record.hash, word.record.data);
        if prev.is_some_and(|(h, d)| h >= hash || d >= data) {
            report(format!("word {i} (hash {hash:08x}) is out of order"));
        }
        prev = Some((hash, data));
        if !used.contains(&hash) {
            report(format!(
                "word {i} (hash {hash:08x}) is no word of any article"
            ));
        }
    }
}

/// Every glyph record of every strike: keys valid and ascending, metrics index in the table,
/// depth and size a reader draws, bitmap inside the bitmaps section, and a glyph for U+FFFD.
fn check_glyphs(b: &mut Bundle<&[u8]>, problems: &mut Vec<Problem>) {
    use fieldpack_format::layout::{GlyphEntry, GLYPH_RECORD_LEN};
    let bitmaps_len = b
        .sections()
        .iter()
        .find(|(k, _)| *k == SectionKind::GlyphBitmaps)
        .map_or(0, |(_, s)| u64::from(s.len));
    let strikes: Vec<_> = b.strikes().to_vec();
    for s in strikes {
        let base = s.span.offset + s.header.records_offset();
        let mut previous: Option<u32> = None;
        let mut replacement = false;
        for i in 0..s.header.glyph_count {
            let at = base + i * GLYPH_RECORD_LEN as u32;
            let mut rb = [0u8; GLYPH_RECORD_LEN];
            if b.read_at(at, &mut rb).is_err() {
                problems.push(problem(
                    SectionKind::Glyphs,
                    Some(at.into()),
                    "glyph record cannot be read",
                ));
                break;
            }
            let e = GlyphEntry::decode(&rb);
            let bad = |m: String| problem(SectionKind::Glyphs, Some(at.into()), m);
            let key_ok = char::from_u32(e.codepoint).is_some()
                || e.codepoint >= fieldpack_format::shaped::SHAPED_KEY;
            if !key_ok || previous.is_some_and(|p| p >= e.codepoint) {
                problems.push(bad(format!(
                    "glyph record U+{:04X} is not a character in ascending order",
                    e.codepoint
                )));
            }
            previous = Some(e.codepoint);
            replacement |= e.codepoint == 0xFFFD;
            let name = format!("glyph {}", fieldpack_format::shaped::KeyName(e.codepoint));
            if e.metrics >= s.header.metrics_count {
                problems.push(bad(format!(
                    "{name}'s metrics index {} is past the strike's {} metrics",
                    e.metrics, s.header.metrics_count
                )));
                continue;
            }
            match b.glyph_by_key(&s, e.codepoint) {
                Ok(Some(g)) => {
                    let end = u64::from(g.bit_offset) + u64::from(g.bitmap_bits());
                    if g.bitmap_bits() > 0 && end.div_ceil(8) > bitmaps_len {
                        problems.push(bad(format!(
                            "{name}'s bitmap lies outside the glyph bitmaps section"
                        )));
                    }
                }
                Ok(None) => {}
                Err(_) => {
                    let mut mb = [0u8; fieldpack_format::layout::GLYPH_METRICS_LEN];
                    let m = b
                        .read_at(
                            s.span.offset
                                + fieldpack_format::StrikeHeader::metrics_offset(e.metrics),
                            &mut mb,
                        )
                        .map(|()| fieldpack_format::GlyphMetrics::decode(&mb));
                    problems.push(bad(match m {
                        Ok(m) if m.depth != 1 && m.depth != 2 || m.depth > s.header.depth => {
                            format!(
                                "{name} is {} bits a pixel: a glyph has 1 or 2, and its strike at most {}",
                                m.depth, s.header.depth
                            )
                        }
                        Ok(m) => format!(
                            "{name}'s bitmap ({}x{} pixels of {} bits) is larger than the {} bytes a reader draws",
                            m.width,
                            m.height,
                            m.depth,
                            fieldpack_format::layout::MAX_GLYPH_BITMAP
                        ),
                        Err(_) => format!("{name}'s metrics cannot be read"),
                    }));
                }
            }
        }
        if !replacement {
            problems.push(problem(
                SectionKind::Glyphs,
                Some(s.span.offset.into()),
                "the strike has no glyph for U+FFFD",
            ));
        }
    }
}

/// `verify` for people: one line when all is well, else a line per problem and a summary.
pub fn render_verification(v: &Verification) -> String {
    let mut s = String::new();
    let name = crate::input::printable(&v.file);
    for p in &v.problems {
        let _ = writeln!(s, "{name}: damaged: {p}");
    }
    let signed = match &v.signature {
        Some(sig) => {
            let whose = match sig.key_matches {
                Some(true) => "by the key you gave",
                Some(false) => "by another key",
                None => "(key not checked: give --key PUB to check who signed it)",
            };
            format!(
                "; signed by \"{}\" ({}) {whose}",
                crate::input::printable(&sig.signer),
                &sig.public_key[..16]
            )
        }
        None => "; not signed".to_string(),
    };
    if v.ok {
        let _ = write!(
            s,
            "{name}: ok: format version {}, {}, {}, {}, {} bytes of text; every checksum matches{signed}",
            v.format_version.unwrap_or(0),
            crate::input::count(v.sections, "section"),
            crate::input::count(v.articles as usize, "article"),
            crate::input::count(v.chunks as usize, "chunk"),
            v.text_bytes,
        );
    } else {
        let _ = write!(
            s,
            "{name}: DAMAGED: {}; {} of {} readable",
            crate::input::count(v.problems.len(), "problem"),
            v.articles_readable,
            crate::input::count(v.articles as usize, "article")
        );
    }
    s
}

/// Longest name of one file or folder that `extract` writes, in bytes (file systems allow 255;
/// room is left for the `-2` and `.md` a name may get).
const MAX_NAME_BYTES: usize = 100;

/// Names Windows reserves for devices, whatever the extension.
const RESERVED_NAMES: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// One part of a path made safe on every file system a user may extract to (ext4, FAT,
/// exFAT, NTFS, APFS): no control characters or NUL, none of `/\:*?"<>|`, no leading dot,
/// no trailing dot or space, no device name, at most [`MAX_NAME_BYTES`].
pub fn safe_name(part: &str) -> String {
    let mut s: String = part
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| if "/\\:*?\"<>|".contains(c) { '_' } else { c })
        .collect();
    let mut end = s.len().min(MAX_NAME_BYTES);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.truncate(end);
    let s = s
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    let stem = s.split('.').next().unwrap_or("").to_ascii_lowercase();
    if s.is_empty() {
        "_".into()
    } else if RESERVED_NAMES.contains(&stem.as_str()) {
        format!("_{s}")
    } else {
        s.to_string()
    }
}

/// A file name made of a title: words joined by `-`.
fn title_slug(title: &str) -> String {
    let mut slug = String::new();
    for word in title
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
    {
        if slug.len() + word.len() + 1 > 60 {
            break;
        }
        if !slug.is_empty() {
            slug.push('-');
        }
        slug.push_str(word);
    }
    slug
}

/// The relative path an extracted article gets: its recorded input path made safe, or (when
/// the bundle records none, the default) its number and title, so that packing the folder
/// again keeps the order. Names are unique ignoring case, and no name is both a file and a
/// folder, so nothing is overwritten on FAT, macOS or Windows either.
fn extract_name(
    index: u32,
    title: &str,
    origin: &str,
    digits: usize,
    taken: &mut std::collections::HashSet<String>,
) -> PathBuf {
    let mut parts: Vec<String> = Path::new(origin)
        .components()
        .filter_map(|c| match c {
            Component::Normal(n) => Some(safe_name(&n.to_string_lossy())),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        let slug = title_slug(title);
        parts.push(safe_name(&if slug.is_empty() {
            format!("{:0digits$}", index + 1)
        } else {
            format!("{:0digits$}-{slug}", index + 1)
        }));
    }
    if let Some(last) = parts.last_mut() {
        let p = Path::new(last.as_str());
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| last.clone());
        *last = format!("{stem}.md");
    }
    // A folder part that is already a file (or the reverse) cannot be both: the article goes
    // to the top folder under its joined name.
    let folders: Vec<String> = (1..parts.len())
        .map(|n| parts[..n].join("/").to_lowercase() + "/")
        .collect();
    let clash = folders
        .iter()
        .any(|f| taken.contains(f.trim_end_matches('/')));
    if clash {
        parts = vec![parts.join("_")];
    }
    let (dir, file) = parts.split_at(parts.len() - 1);
    let file = &file[0];
    let stem = file.trim_end_matches(".md");
    let mut n = 1;
    loop {
        let name = if n == 1 {
            file.clone()
        } else {
            format!("{stem}-{n}.md")
        };
        let mut rel: Vec<String> = dir.to_vec();
        rel.push(name);
        let joined = rel.join("/");
        let key = joined.to_lowercase();
        if !taken.contains(&key) && !taken.contains(&(key.clone() + "/")) {
            taken.insert(key);
            for f in (1..rel.len()).map(|n| rel[..n].join("/").to_lowercase() + "/") {
                taken.insert(f);
            }
            return rel.iter().collect();
        }
        n += 1;
    }
}

/// An article as `extract` writes it: front matter, then its blocks in Markdown (which packs
/// back to the same article).
pub fn article_text(a: &ExtractedArticle) -> String {
    let q = |s: &str| serde_json::to_string(s).unwrap_or_default();
    let mut s = String::from("---\n");
    let _ = writeln!(s, "title: {}", q(&a.title));
    for (k, v) in [
        ("lang", &a.lang),
        ("date", &a.date),
        ("source", &a.source),
        ("author", &a.author),
    ] {
        if let Some(v) = v {
            let _ = writeln!(s, "{k}: {}", q(v));
        }
    }
    if a.rtl {
        s.push_str("dir: rtl\n");
    }
    if !a.origin.is_empty() {
        let _ = writeln!(s, "origin: {}", q(&a.origin));
    }
    if !a.aliases.is_empty() {
        // A JSON array is YAML's flow sequence.
        let list = serde_json::to_string(&a.aliases).unwrap_or_default();
        let _ = writeln!(s, "aliases: {list}");
    }
    s.push_str("---\n\n");
    s.push_str(&crate::blocks::body_to_markdown(&a.body));
    s
}

/// What `extract` did.
#[derive(Debug, Default)]
pub struct Extraction {
    /// Articles written.
    pub written: usize,
    /// Articles that could not be read, each with why: none of them was written.
    pub damaged: Vec<Problem>,
}

/// Makes `dir/rel`'s folders, refusing to pass through a symbolic link (one already in the
/// folder could lead anywhere on the disk).
fn make_folders(dir: &Path, rel: &Path) -> Result<PathBuf> {
    let mut at = dir.to_path_buf();
    if let Some(parent) = rel.parent() {
        for c in parent.components() {
            at.push(c);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => bail!(
                    "{} is a symbolic link: refusing to write through it",
                    crate::input::path_text(&at)
                ),
                Ok(m) if m.is_dir() => {}
                Ok(_) => bail!(
                    "{} is a file where a folder is needed",
                    crate::input::path_text(&at)
                ),
                Err(_) => std::fs::create_dir(&at).with_context(|| {
                    format!("cannot create folder {}", crate::input::path_text(&at))
                })?,
            }
        }
    }
    Ok(dir.join(rel))
}

/// `extract`: writes every article that reads back whole under `dir` and lists those that do
/// not. Names are chosen and checked for every article before anything is written, and an
/// existing file is only replaced with `overwrite`.
pub fn extract(path: &Path, dir: &Path, overwrite: bool) -> Result<Extraction> {
    let bytes = read_file(path)?;
    let mut b = open(&bytes, path)?;
    let count = b.article_count();
    let digits = count.max(1).ilog10() as usize + 1;
    let mut taken = std::collections::HashSet::new();
    let mut plan = Vec::new();
    let mut result = Extraction::default();
    for i in 0..count {
        let rec = b.article(i);
        let meta = rec.and_then(|r| {
            let mut buf = [0u8; MAX_META_LEN];
            b.meta(&r, &mut buf)
                .map(|m| (m.title.to_string(), m.origin.to_string()))
        });
        match meta {
            Ok((title, origin)) => {
                let rel = extract_name(i, &title, &origin, digits, &mut taken);
                plan.push((i, rel));
            }
            Err(e) => {
                let mut p = problem_of(&e);
                p.article = Some(i);
                result.damaged.push(p);
            }
        }
    }
    // Every folder on the way must be a real folder (or not there yet): checked for every
    // article before anything is written.
    for (_, rel) in &plan {
        let mut at = dir.to_path_buf();
        for c in rel.parent().into_iter().flat_map(Path::components) {
            at.push(c);
            match std::fs::symlink_metadata(&at) {
                Ok(m) if m.file_type().is_symlink() => bail!(
                    "{} is a symbolic link: refusing to write through it; nothing was written",
                    crate::input::path_text(&at)
                ),
                Ok(m) if !m.is_dir() => bail!(
                    "{} is a file where a folder is needed; nothing was written",
                    crate::input::path_text(&at)
                ),
                _ => {}
            }
        }
    }
    if !overwrite {
        let existing: Vec<String> = plan
            .iter()
            .map(|(_, rel)| dir.join(rel))
            .filter(|p| std::fs::symlink_metadata(p).is_ok())
            .map(|p| crate::input::path_text(&p))
            .collect();
        if let Some(first) = existing.first() {
            bail!(
                "{first} already exists{}: nothing was written (use --overwrite to replace files)",
                if existing.len() > 1 {
                    format!(" (and {} more)", existing.len() - 1)
                } else {
                    String::new()
                }
            );
        }
    }
    std::fs::create_dir_all(dir)
        .with_context(|| format!("cannot create folder {}", crate::input::path_text(dir)))?;
    let mut reader = ArticleReader::new(&b);
    for (i, rel) in plan {
        match reader.read(&mut b, i) {
            Ok(a) => {
                let out = make_folders(dir, &rel)?;
                crate::build::write_atomically(&out, article_text(&a).as_bytes())?;
                result.written += 1;
            }
            Err(e) => {
                let p = article_problem(&mut b, i, &e);
                result.damaged.push(p);
            }
        }
    }
    result.damaged.sort_by_key(|p| p.article);
    Ok(result)
}
