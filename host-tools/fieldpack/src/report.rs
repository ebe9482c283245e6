//! `inspect`, `verify` and `extract`: reading bundles back on the host with the device's own
//! decoder.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Component, Path, PathBuf};

use anyhow::{bail, Context, Result};
use fieldpack_format::layout::{
    Header, SectionEntry, SectionKind, HEADER_LEN, MAX_INFO_LEN, MAX_META_LEN, SECTION_ENTRY_LEN,
    TITLE_KEY_LEN, TITLE_RECORD_LEN,
};
use fieldpack_format::{crc32, Bundle, Direction, Inflater};
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
}

/// Reads a bundle file whole (the host has the memory; the device never does this).
pub fn read_file(path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))
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
}

impl ArticleReader {
    /// A reader with a window as large as `b` needs.
    pub fn new(b: &Bundle<&[u8]>) -> Self {
        ArticleReader {
            inflater: Box::new(Inflater::new()),
            window: vec![0u8; b.window_needed() as usize],
        }
    }

    /// Article `index` of `b`, its body checked against its CRC.
    pub fn read(&mut self, b: &mut Bundle<&[u8]>, index: u32) -> Result<ExtractedArticle> {
        let rec = b.article(index)?;
        let mut mbuf = [0u8; MAX_META_LEN];
        let meta = b.meta(&rec, &mut mbuf)?;
        let mut body = Vec::with_capacity(rec.raw_len as usize);
        let mut stored = 0u64;
        for c in rec.first_chunk..rec.first_chunk + rec.chunk_count {
            stored += u64::from(b.chunk(c)?.stored_len);
            let range = b.load_chunk(c, &mut self.inflater, &mut self.window)?;
            body.extend_from_slice(&self.window[range]);
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
    /// Sections.
    pub sections: Vec<SectionRow>,
    /// Glyph strikes.
    pub strikes: Vec<StrikeRow>,
    /// Articles.
    pub articles: Vec<ArticleRow>,
    /// Sum of the article bodies' UTF-8.
    pub raw_total: u64,
    /// Sum of what is stored for bodies.
    pub stored_total: u64,
}

/// One section in `inspect`.
#[derive(Serialize)]
pub struct SectionRow {
    /// Kind name.
    pub kind: String,
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

/// One article in `inspect`.
#[derive(Serialize)]
pub struct ArticleRow {
    /// Number.
    pub index: u32,
    /// Headline.
    pub title: String,
    /// Language.
    pub lang: Option<String>,
    /// Body bytes.
    pub raw: u64,
    /// Stored bytes.
    pub stored: u64,
    /// Stored / raw.
    pub ratio: f64,
}

/// Gathers what `inspect` shows.
pub fn inspect(path: &Path) -> Result<Inspection> {
    let bytes = read_file(path)?;
    let (header, entries) =
        section_table(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut b = open(&bytes, path)?;
    let mut ibuf = [0u8; MAX_INFO_LEN];
    let info = b.info(&mut ibuf)?;
    let (title, creator, created, tool) = (
        info.title.to_string(),
        info.creator.to_string(),
        info.created.map(str::to_string),
        info.tool.to_string(),
    );
    let mut articles = Vec::new();
    let (mut raw_total, mut stored_total) = (0, 0);
    let mut reader = ArticleReader::new(&b);
    for i in 0..b.article_count() {
        let a = reader
            .read(&mut b, i)
            .with_context(|| format!("{}: article {i}", path.display()))?;
        raw_total += a.body.len() as u64;
        stored_total += a.stored;
        articles.push(ArticleRow {
            index: i,
            title: a.title,
            lang: a.lang,
            raw: a.body.len() as u64,
            stored: a.stored,
            ratio: a.stored as f64 / a.body.len().max(1) as f64,
        });
    }
    Ok(Inspection {
        file: path.display().to_string(),
        version: header.version,
        file_len: bytes.len() as u64,
        title,
        creator,
        created,
        tool,
        window_bytes: b.window_needed(),
        sections: entries
            .iter()
            .map(|e| SectionRow {
                kind: e.kind.name().to_string(),
                offset: e.offset,
                len: e.len,
                crc: format!("{:08x}", e.crc),
            })
            .collect(),
        strikes: b
            .strikes()
            .iter()
            .map(|s| StrikeRow {
                size_class: s.header.size_class,
                line_height: s.header.line_height,
                glyphs: s.header.glyph_count,
                bytes: s.span.len,
            })
            .collect(),
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

/// `inspect` as a table for people.
pub fn render_inspection(r: &Inspection) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "{}: Fieldpack bundle, format version {}",
        r.file, r.version
    );
    let _ = writeln!(s, "  title    {}", r.title);
    if !r.creator.is_empty() {
        let _ = writeln!(s, "  creator  {}", r.creator);
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
    let _ = writeln!(s, "\nsections:");
    let _ = writeln!(
        s,
        "  {:<14} {:>10} {:>10}  crc32",
        "kind", "offset", "bytes"
    );
    for e in &r.sections {
        let _ = writeln!(
            s,
            "  {:<14} {:>10} {:>10}  {}",
            e.kind, e.offset, e.len, e.crc
        );
    }
    let _ = writeln!(s, "\nglyph strikes:");
    for g in &r.strikes {
        let name = if g.size_class == 0 { "small" } else { "large" };
        let _ = writeln!(
            s,
            "  {name:<6} line {:>2} px  {:>6} glyphs  {:>9} bytes",
            g.line_height, g.glyphs, g.bytes
        );
    }
    let bitmaps = SectionKind::GlyphBitmaps.name();
    if let Some(b) = r.sections.iter().find(|e| e.kind == bitmaps) {
        let _ = writeln!(s, "  bitmaps shared by the strikes   {:>9} bytes", b.len);
    }
    let _ = writeln!(s, "\narticles:");
    let _ = writeln!(
        s,
        "  {:>5}  {:<48} {:<6} {:>8} {:>8} {:>6}",
        "#", "title", "lang", "raw", "stored", "ratio"
    );
    for a in &r.articles {
        let title: String = if a.title.chars().count() > 48 {
            a.title.chars().take(47).chain(['…']).collect()
        } else {
            a.title.clone()
        };
        let pad = 48usize.saturating_sub(unicode_width(&title));
        let _ = writeln!(
            s,
            "  {:>5}  {title}{} {:<6} {:>8} {:>8} {:>5.1}%",
            a.index,
            " ".repeat(pad),
            a.lang.as_deref().unwrap_or("-"),
            a.raw,
            a.stored,
            a.ratio * 100.0
        );
    }
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

/// `verify`: every checksum and every article; the first damage found, named.
pub fn verify(path: &Path) -> Result<String> {
    let bytes = read_file(path)?;
    verify_bytes(&bytes, &path.display().to_string())
}

/// [`verify`] of bytes in memory; `name` names them in messages.
pub fn verify_bytes(bytes: &[u8], name: &str) -> Result<String> {
    let path = Path::new(name);
    let (header, entries) = section_table(bytes).map_err(|e| anyhow::anyhow!("{name}: {e}"))?;
    if (header.file_len as usize) > bytes.len() {
        bail!(
            "{name}: truncated: header says {} bytes, file has {}",
            header.file_len,
            bytes.len()
        );
    }
    let table_end = HEADER_LEN + entries.len() * SECTION_ENTRY_LEN;
    if crc32(&bytes[HEADER_LEN..table_end]) != header.table_crc {
        bail!("{name}: section table damaged (byte offsets {HEADER_LEN}..{table_end})");
    }
    for e in &entries {
        let range = e.offset as usize..(e.offset as usize).saturating_add(e.len as usize);
        let data = bytes.get(range.clone()).with_context(|| {
            format!(
                "{name}: {} section lies outside the file (byte offset {})",
                e.kind.name(),
                e.offset
            )
        })?;
        if crc32(data) != e.crc {
            let detail = locate_damage(bytes, e.kind);
            bail!(
                "{name}: {} section damaged (byte offsets {}..{}){detail}",
                e.kind.name(),
                range.start,
                range.end
            );
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
    for (start, end) in covered {
        if let Some(i) = bytes
            .get(at..start)
            .and_then(|gap| gap.iter().position(|&b| b != 0))
        {
            bail!("{name}: damage between sections at byte offset {}", at + i);
        }
        at = at.max(end);
    }
    if let Some(i) = bytes
        .get(at..)
        .and_then(|gap| gap.iter().position(|&b| b != 0))
    {
        bail!(
            "{name}: damage after the last section at byte offset {}",
            at + i
        );
    }
    let mut b = open(bytes, path)?;
    let mut chunks = 0;
    let mut raw = 0u64;
    let mut reader = ArticleReader::new(&b);
    for i in 0..b.article_count() {
        let a = reader
            .read(&mut b, i)
            .with_context(|| format!("{name}: article {i}"))?;
        chunks += a.chunks;
        raw += a.body.len() as u64;
    }
    let mut ids = BTreeSet::new();
    let titles = entries
        .iter()
        .find(|e| e.kind == SectionKind::Titles)
        .map_or(0, |e| e.offset as usize);
    let mut previous: Option<String> = None;
    for pos in 0..b.article_count() {
        let id = b.title_order(pos)?;
        if !ids.insert(id) {
            bail!("{name}: title index lists article {id} twice");
        }
        let rec = b.article(id)?;
        let mut buf = [0u8; MAX_META_LEN];
        let title = b.meta(&rec, &mut buf)?.title.to_string();
        let at = titles + pos as usize * TITLE_RECORD_LEN + 4;
        if bytes.get(at..at + TITLE_KEY_LEN) != Some(&fieldpack_format::meta::title_key(&title)[..])
        {
            bail!("{name}: title index key of article {id} does not match its title (byte offset {at})");
        }
        if previous
            .as_deref()
            .is_some_and(|p| fieldpack_format::title_cmp(p, &title).is_gt())
        {
            bail!("{name}: title index out of order at article {id} (byte offset {at})");
        }
        previous = Some(title);
    }
    Ok(format!(
        "{name}: ok: format version {}, {} sections, {} articles, {} chunks, {} bytes of text; every checksum matches",
        header.version,
        entries.len(),
        b.article_count(),
        chunks,
        raw
    ))
}

/// For a damaged section, which article (if any) the damage falls in.
fn locate_damage(bytes: &[u8], kind: SectionKind) -> String {
    let Ok(mut b) = Bundle::open(bytes) else {
        return String::new();
    };
    if !matches!(
        kind,
        SectionKind::Bodies | SectionKind::Meta | SectionKind::Articles | SectionKind::Chunks
    ) {
        return String::new();
    }
    let mut reader = ArticleReader::new(&b);
    for i in 0..b.article_count() {
        if let Err(e) = reader.read(&mut b, i) {
            let title = b
                .article(i)
                .ok()
                .and_then(|r| {
                    let mut buf = [0u8; MAX_META_LEN];
                    b.meta(&r, &mut buf).ok().map(|m| m.title.to_string())
                })
                .map(|t| format!(" \"{t}\""))
                .unwrap_or_default();
            return format!(": article {i}{title}: {e:#}");
        }
    }
    String::new()
}

/// The file name an extracted article gets: its origin made safe, with `.txt`.
fn extract_name(a: &ExtractedArticle, taken: &mut BTreeSet<PathBuf>) -> PathBuf {
    let mut p = PathBuf::new();
    for c in Path::new(&a.origin).components() {
        if let Component::Normal(n) = c {
            p.push(n);
        }
    }
    if p.as_os_str().is_empty() {
        p = PathBuf::from(format!("article-{:05}", a.index));
    }
    p.set_extension("txt");
    let mut candidate = p.clone();
    let mut n = 2;
    while !taken.insert(candidate.clone()) {
        let stem = p
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        candidate = p.with_file_name(format!("{stem}-{n}.txt"));
        n += 1;
    }
    candidate
}

/// An article as the text `extract` writes: front matter, then paragraphs between blank lines.
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
    let _ = writeln!(s, "origin: {}", q(&a.origin));
    s.push_str("---\n");
    for p in a.body.split('\n') {
        s.push('\n');
        s.push_str(p);
        s.push('\n');
    }
    s
}

/// `extract`: decodes every article first, then writes them all under `dir`.
pub fn extract(path: &Path, dir: &Path) -> Result<usize> {
    let bytes = read_file(path)?;
    let mut b = open(&bytes, path)?;
    let mut all = Vec::new();
    let mut reader = ArticleReader::new(&b);
    for i in 0..b.article_count() {
        all.push(
            reader
                .read(&mut b, i)
                .with_context(|| format!("{}: article {i}", path.display()))?,
        );
    }
    let mut taken = BTreeSet::new();
    for a in &all {
        let rel = extract_name(a, &mut taken);
        let out = dir.join(&rel);
        if let Some(parent) = out.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create folder {}", parent.display()))?;
        }
        crate::build::write_atomically(&out, article_text(a).as_bytes())?;
    }
    Ok(all.len())
}
