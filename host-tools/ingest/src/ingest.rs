//! Reading articles: plain text, Markdown with front matter, and HTML, into one clean form.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use fieldpack_format::Direction;
use scraper::{ElementRef, Html, Node};

use crate::blocks::{block, clean_input, clean_label, row};
use crate::rules::Rules;
use crate::text::{
    first_sentence, guess_language, is_dateline, is_rtl_language, mostly_rtl, normalize_paragraph,
    shorten, without_dateline,
};
use fieldpack_format::blocks::{write::mark, BlockKind};

/// Longest title kept, in characters.
pub const MAX_TITLE_CHARS: usize = 120;

/// One article, cleaned and normalised: what a bundle stores.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Article {
    /// Input path relative to the folder (or the file name) it was given as.
    pub origin: String,
    /// The headline.
    pub title: String,
    /// Paragraphs of the body, each normalised, none empty.
    pub paragraphs: Vec<String>,
    /// BCP 47 language tag.
    pub lang: Option<String>,
    /// Writing direction.
    pub dir: Direction,
    /// Publication date as found.
    pub date: Option<String>,
    /// Publication or site.
    pub source: Option<String>,
    /// Author.
    pub author: Option<String>,
    /// Whether the title was made from the text's first sentence (the file had no headline).
    pub named_by_text: bool,
    /// Other names the article is found by (an archive's redirects to it), each normalised.
    pub aliases: Vec<String>,
}

impl Article {
    /// The body as stored: paragraphs joined by line feeds.
    pub fn body(&self) -> String {
        self.paragraphs.join("\n")
    }
}

/// The kinds of input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Plain text.
    Text,
    /// Markdown, optionally with YAML front matter.
    Markdown,
    /// HTML.
    Html,
    /// An EPUB book.
    Epub,
    /// A Kiwix ZIM archive (read by `crate::zim`, a whole archive at a time).
    Zim,
}

impl Kind {
    /// The kind of a path by its extension.
    pub fn of(path: &Path) -> Option<Kind> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        match ext.as_str() {
            "txt" | "text" => Some(Kind::Text),
            "md" | "markdown" => Some(Kind::Markdown),
            "html" | "htm" | "xhtml" => Some(Kind::Html),
            "epub" => Some(Kind::Epub),
            "zim" => Some(Kind::Zim),
            _ => None,
        }
    }
}

/// An input file found under the paths given to `build`.
#[derive(Clone, Debug)]
pub struct Input {
    /// Where it is.
    pub path: PathBuf,
    /// The name stored in the bundle.
    pub origin: String,
    /// Its kind.
    pub kind: Kind,
}

/// Finds the article files under `paths` (files and folders, recursively), sorted by origin so
/// that the order on disk or on the command line does not matter. Files of other kinds are
/// returned separately so they can be reported.
pub fn discover(paths: &[PathBuf], excludes: &Excludes) -> Result<(Vec<Input>, Vec<Skipped>)> {
    let mut found = Vec::new();
    let mut skipped = Vec::new();
    for root in paths {
        if excludes.matches(root, None) {
            continue;
        }
        let meta = std::fs::metadata(root)
            .with_context(|| format!("cannot read input path {}", root.display()))?;
        if meta.is_dir() {
            walk(root, root, excludes, &mut found, &mut skipped)?;
        } else {
            let origin = root
                .file_name()
                .map(|n| crate::input::path_text(Path::new(n)))
                .unwrap_or_default();
            match Kind::of(root) {
                Some(kind) => found.push(Input {
                    path: root.clone(),
                    origin,
                    kind,
                }),
                None => skipped.push((root.clone(), NOT_ARTICLE.to_string())),
            }
        }
    }
    found.sort_by(|a, b| a.origin.cmp(&b.origin).then(a.path.cmp(&b.path)));
    skipped.sort();
    Ok((found, skipped))
}

/// A file left out of a build, and why.
pub type Skipped = (PathBuf, String);

/// Why a file in an input folder is not read: not one of the article kinds.
pub const NOT_ARTICLE: &str = "not an article file (.txt, .md, .html, .epub or .zim)";

/// Whether a file in an input folder is left out without a word: kinds that sit beside
/// articles saved from the web (a page's stylesheets, scripts and pictures).
fn quietly_skipped(path: &Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    matches!(
        ext.as_deref(),
        Some(
            "css"
                | "js"
                | "png"
                | "jpg"
                | "jpeg"
                | "gif"
                | "svg"
                | "webp"
                | "ico"
                | "woff"
                | "woff2"
                | "ttf"
                | "map"
        )
    )
}

/// Files and folders a build leaves out, by glob patterns (`build --exclude`): a pattern
/// without `/` matches a name at any depth, one with `/` the path below the input folder.
#[derive(Debug, Default)]
pub struct Excludes {
    names: Option<globset::GlobSet>,
    paths: Option<globset::GlobSet>,
}

impl Excludes {
    /// The patterns, each checked: a malformed one is an error that names it.
    pub fn new(patterns: &[String]) -> Result<Self> {
        let mut names = globset::GlobSetBuilder::new();
        let mut paths = globset::GlobSetBuilder::new();
        let (mut any_name, mut any_path) = (false, false);
        for p in patterns {
            let glob = globset::GlobBuilder::new(p.trim_end_matches('/'))
                .literal_separator(true)
                .build()
                .with_context(|| format!("--exclude {p:?} is not a glob pattern"))?;
            if p.trim_end_matches('/').contains('/') {
                paths.add(glob);
                any_path = true;
            } else {
                names.add(glob);
                any_name = true;
            }
        }
        Ok(Excludes {
            names: any_name.then(|| names.build()).transpose()?,
            paths: any_path.then(|| paths.build()).transpose()?,
        })
    }

    /// Whether `path` (below its input folder at `relative`, when it is inside one) is left out.
    fn matches(&self, path: &Path, relative: Option<&Path>) -> bool {
        let by_name = self
            .names
            .as_ref()
            .is_some_and(|set| path.file_name().is_some_and(|n| set.is_match(Path::new(n))));
        let by_path = self
            .paths
            .as_ref()
            .is_some_and(|set| set.is_match(relative.unwrap_or(path)));
        by_name || by_path
    }
}

fn walk(
    root: &Path,
    dir: &Path,
    excludes: &Excludes,
    found: &mut Vec<Input>,
    skipped: &mut Vec<Skipped>,
) -> Result<()> {
    let entries =
        std::fs::read_dir(dir).with_context(|| format!("cannot read folder {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read folder {}", dir.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        if name.to_string_lossy().starts_with('.')
            || excludes.matches(&path, path.strip_prefix(root).ok())
        {
            continue;
        }
        // The entry itself, not what a link points at: a link inside an input folder may lead
        // anywhere (another person's files, /etc), so it is never followed.
        let ft = entry
            .file_type()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if ft.is_symlink() {
            let target = std::fs::read_link(&path)
                .map(|t| crate::input::path_text(&t))
                .unwrap_or_else(|_| "?".into());
            skipped.push((
                path,
                format!(
                    "symbolic link to {target}: not followed (give the target itself to pack it)"
                ),
            ));
        } else if ft.is_dir() {
            walk(root, &path, excludes, found, skipped)?;
        } else if !ft.is_file() {
            skipped.push((path, "not a regular file (a pipe, socket or device)".into()));
        } else if let Some(kind) = Kind::of(&path) {
            let rel = path.strip_prefix(root).unwrap_or(&path);
            let origin = rel
                .components()
                .map(|c| crate::input::path_text(Path::new(c.as_os_str())))
                .collect::<Vec<_>>()
                .join("/");
            found.push(Input { path, origin, kind });
        } else if !quietly_skipped(&path) {
            skipped.push((path, NOT_ARTICLE.to_string()));
        }
    }
    Ok(())
}

/// How to treat text that is not valid UTF-8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Utf8Policy {
    /// Refuse the file, naming the byte offset.
    Strict,
    /// Replace bad bytes with U+FFFD and warn.
    Lossy,
}

/// What reading one file gave.
#[derive(Debug)]
pub enum Outcome {
    /// An article, with warnings to print.
    Article(Article, Vec<String>),
    /// Nothing worth keeping (empty, only boilerplate), with the reason.
    Skipped(String),
}

/// Decodes a file's bytes as text: refuses binary files, handles the UTF-8 policy, drops a BOM.
pub fn decode(bytes: &[u8], policy: Utf8Policy, warnings: &mut Vec<String>) -> Result<String> {
    let head = &bytes[..bytes.len().min(8192)];
    let controls = head
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0C))
        .count();
    if head.contains(&0) || controls * 10 > head.len().max(1) {
        bail!("binary file, not text (control bytes near the start)");
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(e) => match policy {
            Utf8Policy::Strict => bail!(
                "invalid UTF-8 at byte offset {} (use --lossy-utf8 to replace bad bytes)",
                e.valid_up_to()
            ),
            Utf8Policy::Lossy => {
                warnings.push(format!(
                    "invalid UTF-8 from byte offset {}: bad bytes replaced with U+FFFD",
                    e.valid_up_to()
                ));
                String::from_utf8_lossy(bytes).into_owned()
            }
        },
    };
    Ok(text.strip_prefix('\u{FEFF}').unwrap_or(&text).to_string())
}

/// Reads one input file into an article.
pub fn read(input: &Input, rules: &Rules, policy: Utf8Policy) -> Result<Outcome> {
    let bytes = crate::input::read_regular_file(&input.path, crate::input::MAX_ARTICLE_FILE)?;
    read_bytes(input.kind, &bytes, &input.origin, rules, policy)
}

/// Reads an article from a file's bytes, as [`read`] does once it has them.
pub fn read_bytes(
    kind: Kind,
    bytes: &[u8],
    origin: &str,
    rules: &Rules,
    policy: Utf8Policy,
) -> Result<Outcome> {
    let mut warnings = Vec::new();
    let text = decode(bytes, policy, &mut warnings)?;
    let raw = match kind {
        Kind::Text => parse_text(&text),
        Kind::Markdown => parse_markdown(&text),
        Kind::Html => parse_html(&text),
        Kind::Epub => bail!("an EPUB book is read with read_all"),
        Kind::Zim => bail!("a ZIM archive is read with zim::ZimArchive"),
    };
    Ok(finish(raw, origin, rules, warnings))
}

/// Reads every article of an input file: one for a text, Markdown or HTML file; a book's one,
/// or one per chapter with `epub_chapters`.
pub fn read_all(
    input: &Input,
    rules: &Rules,
    policy: Utf8Policy,
    epub_chapters: bool,
) -> Result<Vec<Outcome>> {
    match input.kind {
        Kind::Epub => {}
        Kind::Zim => bail!("a ZIM archive is read with zim::ZimArchive"),
        _ => return Ok(vec![read(input, rules, policy)?]),
    }
    let bytes = crate::input::read_regular_file(&input.path, crate::input::MAX_BOOK_FILE)?;
    #[cfg(feature = "epub")]
    return crate::epub::read_epub(&bytes, &input.origin, rules, epub_chapters);
    #[cfg(not(feature = "epub"))]
    {
        let _ = (bytes, epub_chapters);
        bail!("this build reads no EPUB books (the ingest crate's `epub` feature is off)")
    }
}

/// An article as parsed, before cleaning.
#[derive(Debug, Default)]
pub struct Raw {
    pub(crate) title: Option<String>,
    pub(crate) paragraphs: Vec<String>,
    pub(crate) lang: Option<String>,
    pub(crate) dir: Option<String>,
    pub(crate) date: Option<String>,
    pub(crate) source: Option<String>,
    pub(crate) author: Option<String>,
    pub(crate) origin: Option<String>,
    pub(crate) aliases: Vec<String>,
    /// A plain text, whose first line may be its headline.
    pub(crate) plain: bool,
}

impl Raw {
    fn from_front_matter(fm: &BTreeMap<String, String>) -> Raw {
        Raw {
            title: fm.get("title").cloned(),
            lang: fm.get("lang").or_else(|| fm.get("language")).cloned(),
            dir: fm.get("dir").cloned(),
            date: fm.get("date").cloned(),
            source: fm.get("source").or_else(|| fm.get("publisher")).cloned(),
            author: fm.get("author").cloned(),
            origin: fm.get("origin").cloned(),
            // A list, as `extract` writes it: a JSON array, which is YAML's flow sequence.
            aliases: fm
                .get("aliases")
                .and_then(|v| serde_json::from_str::<Vec<String>>(v).ok())
                .unwrap_or_default(),
            paragraphs: Vec::new(),
            plain: false,
        }
    }
}

fn clean_field(v: Option<String>) -> Option<String> {
    v.map(|s| normalize_paragraph(&s))
        .filter(|s| !s.is_empty())
        .map(|s| shorten(&s, 80))
}

pub(crate) fn finish(raw: Raw, origin: &str, rules: &Rules, warnings: Vec<String>) -> Outcome {
    let mut paragraphs: Vec<String> = raw
        .paragraphs
        .iter()
        .map(|p| crate::blocks::normalize_block(p, |t| rules.strip(t)))
        .filter(|p| !p.is_empty())
        .collect();
    rules.drop_boilerplate(&mut paragraphs);
    // Preformatted lines keep their blank lines inside a block, not at its ends.
    trim_blank_pre(&mut paragraphs);
    crate::blocks::set_table_widths(&mut paragraphs);
    if paragraphs.is_empty() {
        return Outcome::Skipped(if raw.paragraphs.iter().all(|p| p.trim().is_empty()) {
            "empty: no text".into()
        } else {
            "only boilerplate, no article text".into()
        });
    }
    let headline = raw
        .title
        .map(|t| normalize_paragraph(&rules.strip(&t)))
        .filter(|t| !t.is_empty())
        .map(|t| shorten(&t, MAX_TITLE_CHARS));
    // A text whose first line is a headline (short, not a sentence: no full stop) and then
    // goes on is titled by that line, which is then not repeated as its first paragraph.
    let mut headline = headline;
    if raw.plain && headline.is_none() && paragraphs.len() > 1 {
        let (m, _, first) = crate::blocks::split_mark(&paragraphs[0]);
        let headline_like = m.kind == BlockKind::Text
            && first.chars().count() <= 80
            && first.chars().any(char::is_alphabetic)
            && !first.ends_with(['.', '!', '?', ':', ';', ',', '…', '"', '\u{201D}'])
            && !is_dateline(first)
            && first_sentence(first, 80) == first;
        if headline_like {
            headline = Some(first.to_string());
            paragraphs.remove(0);
        }
    }
    let named_by_text = headline.is_none();
    // A text without a headline is named by its first sentence, less a news dateline (the
    // build may prefer a descriptive file name: see `BuildOptions::file_titles`).
    let title = headline.unwrap_or_else(|| {
        let first = paragraphs
            .iter()
            .map(|p| crate::blocks::plain_text(p))
            .find(|p| !p.is_empty() && !is_dateline(p))
            .unwrap_or_else(|| crate::blocks::plain_text(&paragraphs[0]));
        first_sentence(without_dateline(&first), 80)
    });
    let body = paragraphs
        .iter()
        .map(|p| crate::blocks::plain_text(p))
        .collect::<Vec<_>>()
        .join("\n");
    // "und" is BCP 47 for "undetermined": no better than no tag, so guess.
    let lang = clean_field(raw.lang)
        .map(|l| l.replace('_', "-"))
        .filter(|l| !l.eq_ignore_ascii_case("und"))
        .or_else(|| guess_language(&body).map(str::to_string));
    // The input's own direction wins; else its language's (tagged or detected); else, for a
    // text in no language the detector knows, the direction most of its letters have.
    let dir = match raw.dir.as_deref().map(str::to_ascii_lowercase).as_deref() {
        Some("rtl") => Direction::Rtl,
        Some("ltr") => Direction::Ltr,
        _ => match lang.as_deref() {
            Some(l) if is_rtl_language(l) => Direction::Rtl,
            Some(_) => Direction::Ltr,
            None if mostly_rtl(&body) => Direction::Rtl,
            None => Direction::Ltr,
        },
    };
    let aliases = clean_aliases(raw.aliases, &title);
    Outcome::Article(
        Article {
            origin: raw.origin.unwrap_or_else(|| origin.to_string()),
            title,
            paragraphs,
            lang,
            dir,
            date: clean_field(raw.date),
            source: clean_field(raw.source),
            author: clean_field(raw.author),
            named_by_text,
            aliases,
        },
        warnings,
    )
}

/// Drops blank preformatted lines at the ends of each run of them.
fn trim_blank_pre(paragraphs: &mut Vec<String>) {
    let pre = |p: &str| crate::blocks::split_mark(p).0.kind == BlockKind::Pre;
    let blank = |p: &str| pre(p) && crate::blocks::split_mark(p).2.is_empty();
    let n = paragraphs.len();
    let mut keep = vec![true; n];
    let mut i = 0;
    while i < n {
        if !pre(&paragraphs[i]) {
            i += 1;
            continue;
        }
        let mut j = i;
        while j < n && pre(&paragraphs[j]) {
            j += 1;
        }
        let mut a = i;
        while a < j && blank(&paragraphs[a]) {
            keep[a] = false;
            a += 1;
        }
        let mut b = j;
        while b > a && blank(&paragraphs[b - 1]) {
            keep[b - 1] = false;
            b -= 1;
        }
        i = j;
    }
    let mut k = keep.into_iter();
    paragraphs.retain(|_| k.next().unwrap_or(true));
}

/// Other names of an article, normalised and shortened as titles are, without empty ones,
/// repeats, or names that fold to the title itself (a search finds those by the title).
pub fn clean_aliases(aliases: Vec<String>, title: &str) -> Vec<String> {
    let folded = |s: &str| fieldpack_format::fold::fold_str(s).collect::<String>();
    let own = folded(title);
    let mut seen = std::collections::BTreeSet::new();
    let mut out = Vec::new();
    for a in aliases {
        let a = shorten(&normalize_paragraph(&a), MAX_TITLE_CHARS);
        let cut = cut_to_bytes(&a, fieldpack_format::layout::MAX_ALIAS_LEN);
        let f = folded(cut);
        if !cut.is_empty() && f != own && seen.insert(f) {
            out.push(cut.to_string());
        }
    }
    out.sort();
    out
}

/// `s` cut at a character boundary to at most `max` bytes.
fn cut_to_bytes(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].trim_end()
}

/// Plain text, optionally with the same front matter as Markdown: with blank lines between blocks, a block of short lines is one hard-wrapped
/// paragraph; otherwise (no blank lines, or long lines) each line is a paragraph. Lists are
/// kept where they are unambiguous: a block starting with a line "1.", "a)", "-", "*" or "•"
/// and holding another, or beside such a block, is a list whose items are those lines (with
/// the lines after each that start no item), nested by their indentation.
pub fn parse_text(text: &str) -> Raw {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let (fm, text) = front_matter(&text);
    let mut raw = Raw::from_front_matter(&fm);
    let has_blank = text.trim().lines().any(|l| l.trim().is_empty());
    let mut blocks: Vec<Vec<&str>> = vec![Vec::new()];
    for line in text.lines() {
        if line.trim().is_empty() {
            if blocks.last().is_some_and(|b| !b.is_empty()) {
                blocks.push(Vec::new());
            }
        } else if let Some(b) = blocks.last_mut() {
            b.push(line);
        }
    }
    blocks.retain(|b| !b.is_empty());
    if !has_blank {
        // Each line is a paragraph: and an item, beside another.
        blocks = blocks.concat().into_iter().map(|l| vec![l]).collect();
    }
    let starts_list = |b: &Vec<&str>| b.first().is_some_and(|l| text_item(l).is_some());
    let items_in = |b: &Vec<&str>| b.iter().filter(|l| text_item(l).is_some()).count();
    let mut paragraphs = Vec::new();
    // Open items' indentation, outermost first.
    let mut indents: Vec<usize> = Vec::new();
    for (i, block) in blocks.iter().enumerate() {
        let beside = |j: Option<usize>| j.and_then(|j| blocks.get(j)).is_some_and(starts_list);
        let list = starts_list(block)
            && (items_in(block) >= 2 || beside(i.checked_sub(1)) || beside(Some(i + 1)));
        if list {
            let mut item: Option<(String, String)> = None;
            for line in block {
                if let Some((indent, label, rest)) = text_item(line) {
                    if let Some((m, t)) = item.take() {
                        paragraphs.push(format!("{m}{}", crate::blocks::clean_input(&t)));
                    }
                    while indents.last().is_some_and(|&top| top > indent) {
                        indents.pop();
                    }
                    if indents.last().is_none_or(|&top| top < indent) {
                        indents.push(indent);
                    }
                    let depth = indents.len().clamp(1, 8) as u8;
                    let m = match label {
                        Some(l) => mark(BlockKind::Numbered, depth, &l),
                        None => mark(BlockKind::Bullet, depth, ""),
                    };
                    item = Some((m, rest.to_string()));
                } else if let Some((_, t)) = item.as_mut() {
                    t.push(' ');
                    t.push_str(line.trim());
                }
            }
            if let Some((m, t)) = item.take() {
                paragraphs.push(format!("{m}{}", crate::blocks::clean_input(&t)));
            }
            continue;
        }
        indents.clear();
        let longest = block.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        if has_blank && longest <= 100 {
            paragraphs.push(crate::blocks::clean_input(&block.join(" ")));
        } else {
            paragraphs.extend(block.iter().map(|l| crate::blocks::clean_input(l)));
        }
    }
    raw.paragraphs = paragraphs;
    raw.plain = true;
    raw
}

/// A plain-text line that starts a list item: its indentation, its label ("1.", "b)"; `None`
/// for a bullet) and its text.
fn text_item(line: &str) -> Option<(usize, Option<String>, &str)> {
    let indent = line.len() - line.trim_start().len();
    let t = &line[indent..];
    let (label, rest) = if let Some(rest) = ["- ", "* ", "• ", "– "]
        .iter()
        .find_map(|b| t.strip_prefix(b))
    {
        (None, rest)
    } else {
        let lead = t.find(|c: char| !c.is_ascii_alphanumeric())?;
        let head = &t[..lead];
        let numbered = (1..=3).contains(&lead) && head.bytes().all(|b| b.is_ascii_digit());
        let lettered = lead == 1 && head.bytes().all(|b| b.is_ascii_alphabetic());
        if !(numbered || lettered) {
            return None;
        }
        let sep = t[lead..].chars().next()?;
        if !matches!(sep, '.' | ')') {
            return None;
        }
        let rest = t[lead + 1..].strip_prefix(' ')?;
        (Some(t[..=lead].to_string()), rest)
    };
    let rest = rest.trim();
    (!rest.is_empty()).then_some((indent, label, rest))
}

/// Splits YAML front matter (`---` ... `---`) off a Markdown text: simple `key: value` lines.
fn front_matter(text: &str) -> (BTreeMap<String, String>, &str) {
    let mut map = BTreeMap::new();
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return (map, text);
    };
    let mut end = None;
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if matches!(line.trim_end(), "---" | "...") {
            end = Some((offset, offset + line.len()));
            break;
        }
        offset += line.len();
    }
    let Some((yaml_end, body_start)) = end else {
        return (map, text);
    };
    for line in rest[..yaml_end].lines() {
        if line.starts_with([' ', '\t', '#', '-']) {
            continue;
        }
        if let Some((k, v)) = line.split_once(':') {
            let v = v.trim();
            let v = if v.starts_with('"') {
                // Double-quoted YAML scalars use JSON's escapes.
                serde_json::from_str::<String>(v)
                    .unwrap_or_else(|_| v.trim_matches('"').to_string())
            } else {
                v.strip_prefix('\'')
                    .and_then(|v| v.strip_suffix('\''))
                    .unwrap_or(v)
                    .to_string()
            };
            if !v.is_empty() {
                map.insert(k.trim().to_ascii_lowercase(), v);
            }
        }
    }
    (map, &rest[body_start..])
}

/// Markdown: front matter for metadata; headings, paragraphs, list items (their labels as
/// written, nested), quotes, code blocks, `<figcaption>` blocks and pipe tables become blocks;
/// the first level-1 heading is the title when front matter has none. A list may also number
/// its items with letters or Roman numerals ("a.", "iv)"), which CommonMark does not.
pub fn parse_markdown(text: &str) -> Raw {
    use pulldown_cmark::{Event, HeadingLevel, Options, Parser, Tag, TagEnd};
    let (fm, body) = front_matter(text);
    let mut raw = Raw::from_front_matter(&fm);
    let (body, letter_labels) = letter_lists(body);
    let mut cur = String::new();
    let mut in_h1 = false;
    let mut in_image = 0usize;
    let mut open = crate::blocks::Open::default();
    let mut code: Option<String> = None;
    let mut html: Option<String> = None;
    // A table: its header cells, the row being read, the cell being read.
    let mut table: Option<(Option<Vec<String>>, Vec<String>)> = None;
    macro_rules! flush {
        () => {
            open.end(&mut cur, &mut raw.paragraphs)
        };
    }
    for (ev, range) in Parser::new_ext(&body, Options::ENABLE_TABLES).into_offset_iter() {
        if let Some(c) = code.as_mut() {
            match ev {
                Event::Text(t) => c.push_str(&t),
                Event::End(TagEnd::CodeBlock) => {
                    let c = code.take().unwrap_or_default();
                    for line in c.strip_suffix('\n').unwrap_or(&c).split('\n') {
                        raw.paragraphs
                            .push(block(BlockKind::Pre, 1, "", &clean_input(line)));
                    }
                }
                _ => {}
            }
            continue;
        }
        if let Some(h) = html.as_mut() {
            match ev {
                Event::Html(t) | Event::Text(t) => h.push_str(&t),
                Event::End(TagEnd::HtmlBlock) => {
                    let h = html.take().unwrap_or_default();
                    let t = h.trim();
                    if let Some(inner) = t
                        .strip_prefix("<figcaption>")
                        .and_then(|t| t.strip_suffix("</figcaption>"))
                    {
                        let text = Html::parse_fragment(inner)
                            .root_element()
                            .text()
                            .collect::<String>();
                        raw.paragraphs
                            .push(block(BlockKind::Caption, 1, "", &clean_input(&text)));
                    }
                }
                _ => {}
            }
            continue;
        }
        if let Some((headers, cells)) = table.as_mut() {
            match ev {
                Event::Text(t) | Event::Code(t) if in_image == 0 => cur.push_str(&t),
                Event::Start(Tag::Image { .. }) => in_image += 1,
                Event::End(TagEnd::Image) => in_image = in_image.saturating_sub(1),
                Event::SoftBreak | Event::HardBreak => cur.push(' '),
                Event::End(TagEnd::TableCell) => cells.push(std::mem::take(&mut cur)),
                Event::End(TagEnd::TableHead) => {
                    let h = std::mem::take(cells);
                    // A header of empty cells is a table without one.
                    if h.iter().any(|c| !c.trim().is_empty()) {
                        raw.paragraphs.push(row(true, &h, None));
                        *headers = Some(h.iter().map(|c| normalize_paragraph(c)).collect());
                    }
                }
                Event::End(TagEnd::TableRow) => {
                    let r = std::mem::take(cells);
                    raw.paragraphs.push(row(false, &r, headers.as_deref()));
                }
                Event::End(TagEnd::Table) => table = None,
                _ => {}
            }
            continue;
        }
        match ev {
            Event::Start(Tag::Heading { level, .. }) => {
                flush!();
                in_h1 = level == HeadingLevel::H1 && raw.title.is_none();
                open.mark = (!in_h1).then(|| mark(BlockKind::Heading, level as u8, ""));
            }
            Event::End(TagEnd::Heading(_)) => {
                if in_h1 {
                    raw.title = Some(std::mem::take(&mut cur));
                    in_h1 = false;
                } else {
                    flush!();
                }
                open.mark = None;
            }
            Event::Start(Tag::Image { .. }) => in_image += 1,
            Event::End(TagEnd::Image) => in_image = in_image.saturating_sub(1),
            Event::Start(Tag::List(_)) => {
                flush!();
                open.lists += 1;
            }
            Event::End(TagEnd::List(_)) => {
                flush!();
                open.lists = open.lists.saturating_sub(1);
            }
            Event::Start(Tag::Item) => {
                flush!();
                open.items += 1;
                let source = &body[range.start..];
                let written: String = source
                    .trim_start()
                    .chars()
                    .take_while(|c| !c.is_whitespace())
                    .collect();
                let label = letter_labels.get(&range.start).cloned().unwrap_or(written);
                let numbered = !matches!(label.as_str(), "-" | "*" | "+");
                let depth = open.lists.clamp(1, 8) as u8;
                open.item = Some(match clean_label(&label) {
                    Some(l) if numbered => mark(BlockKind::Numbered, depth, &l),
                    _ => mark(BlockKind::Bullet, depth, ""),
                });
            }
            Event::End(TagEnd::Item) => {
                flush!();
                open.item = None;
                open.items = open.items.saturating_sub(1);
            }
            Event::Start(Tag::BlockQuote(_)) => {
                flush!();
                open.quotes += 1;
            }
            Event::End(TagEnd::BlockQuote(_)) => {
                flush!();
                open.quotes = open.quotes.saturating_sub(1);
            }
            Event::Start(Tag::CodeBlock(_)) => {
                flush!();
                code = Some(String::new());
            }
            Event::Start(Tag::HtmlBlock) => {
                flush!();
                html = Some(String::new());
            }
            Event::Start(Tag::Table(_)) => {
                flush!();
                table = Some((None, Vec::new()));
            }
            Event::Start(Tag::Paragraph)
            | Event::End(TagEnd::Paragraph)
            | Event::HardBreak
            | Event::Rule => flush!(),
            Event::Text(t) | Event::Code(t) if in_image == 0 => cur.push_str(&t),
            Event::SoftBreak => cur.push(' '),
            _ => {}
        }
    }
    flush!();
    raw
}

/// Lists numbered with letters or Roman numerals ("a.", "B)", "iv."), which CommonMark does
/// not know: such a line that follows a list item, or that the next such line follows, is
/// given to the parser as a numbered item ("1."), its label kept by its offset in the text
/// returned.
fn letter_lists(text: &str) -> (String, BTreeMap<usize, String>) {
    let label_of = |line: &str| -> Option<(usize, String)> {
        let indent = line.len() - line.trim_start_matches(' ').len();
        let rest = &line[indent..];
        let lead = rest.find(|c: char| !c.is_ascii_alphabetic())?;
        let sep = rest.as_bytes().get(lead)?;
        let after = rest.as_bytes().get(lead + 1)?;
        (lead > 0
            && matches!(sep, b'.' | b')')
            && *after == b' '
            && crate::blocks::is_letter_label(&rest[..lead]))
        .then(|| (indent, rest[..=lead].to_string()))
    };
    let lines: Vec<&str> = text.split_inclusive('\n').collect();
    let labels: Vec<Option<(usize, String)>> = lines.iter().map(|l| label_of(l)).collect();
    let mut out = String::with_capacity(text.len());
    let mut map = BTreeMap::new();
    let mut in_fence = false;
    // The label converted last, at each indentation: a list goes on with its successor.
    let mut last: BTreeMap<usize, String> = BTreeMap::new();
    for (i, line) in lines.iter().enumerate() {
        let t = line.trim();
        if t.starts_with("```") || t.starts_with("~~~") {
            in_fence = !in_fence;
        }
        if t.is_empty() {
            out.push_str(line);
            continue;
        }
        let next = lines[i + 1..]
            .iter()
            .zip(&labels[i + 1..])
            .find(|(l, _)| !l.trim().is_empty())
            .and_then(|(_, lab)| lab.clone());
        let convert = match &labels[i] {
            Some((indent, label)) if !in_fence => {
                let goes_on = last
                    .get(indent)
                    .is_some_and(|prev| is_successor(prev, label));
                let starts = is_list_start(label)
                    && next
                        .as_ref()
                        .is_some_and(|(ni, nl)| ni == indent && is_successor(label, nl));
                goes_on || starts
            }
            _ => false,
        };
        match &labels[i] {
            Some((indent, label)) if convert => {
                map.insert(out.len() + indent, label.clone());
                out.push_str(&line[..*indent]);
                out.push_str(if label.ends_with(')') { "1)" } else { "1." });
                out.push_str(&line[indent + label.len()..]);
                last.retain(|k, _| k <= indent);
                last.insert(*indent, label.clone());
            }
            _ => {
                out.push_str(line);
                let indent = line.len() - line.trim_start_matches(' ').len();
                // Text at an item's indentation or left of it ends the lists there.
                if !line.starts_with(' ') || indent == 0 {
                    last.clear();
                }
            }
        }
    }
    (out, map)
}

/// Whether a letter or Roman-numeral label starts a list ("a.", "A)", "i.", "I.").
fn is_list_start(label: &str) -> bool {
    matches!(label.get(..label.len() - 1), Some("a" | "A" | "i" | "I"))
}

/// Whether `next` is the label after `prev` in a list numbered with letters or Roman numerals:
/// the same punctuation, and the next letter or numeral in the same case.
fn is_successor(prev: &str, next: &str) -> bool {
    let (p, ps) = prev.split_at(prev.len() - 1);
    let (n, ns) = next.split_at(next.len() - 1);
    if ps != ns {
        return false;
    }
    let upper = |s: &str| s.bytes().all(|b| b.is_ascii_uppercase());
    if upper(p) != upper(n) {
        return false;
    }
    let style = if upper(p) { 'A' } else { 'a' };
    let roman = if upper(p) { 'I' } else { 'i' };
    let letter_next = p.len() == 1 && list_number(letter_value(p) + 1, style) == n;
    let roman_next = roman_value(p).is_some_and(|v| list_number(v + 1, roman) == n);
    letter_next || roman_next
}

/// A single letter's place in the alphabet (a = 1).
fn letter_value(s: &str) -> i64 {
    s.bytes()
        .next()
        .map_or(0, |b| i64::from(b.to_ascii_lowercase() - b'a') + 1)
}

/// The value of a Roman numeral written as [`list_number`] writes it.
fn roman_value(s: &str) -> Option<i64> {
    let lower = s.to_ascii_lowercase();
    (1..4000).find(|&n| list_number(n, 'i') == lower)
}

/// Elements whose content is never article text.
const HTML_SKIP: &[&str] = &[
    "script", "style", "nav", "aside", "footer", "form", "noscript", "template", "svg", "iframe",
    "button", "select", "textarea", "head", "object", "canvas", "menu",
];

/// Classes of elements that make no sense as text: MediaWiki's (Wikipedia's, and the pages
/// of Kiwix archives made from it) edit links, citation marks and reference lists, infoboxes
/// and navigation boxes, tables of contents, and what it marks as not for print.
const SKIP_CLASSES: &[&str] = &[
    "mw-editsection",
    "reference",
    "references",
    "reflist",
    "mw-references-wrap",
    "infobox",
    "navbox",
    "vertical-navbox",
    "toc",
    "metadata",
    "noprint",
    "mw-jump-link",
    "catlinks",
];

/// Whether an element of this class is dropped: `SKIP_CLASSES`, and bylines (the author and
/// date, which the metadata carries).
fn skipped_class(c: &str) -> bool {
    SKIP_CLASSES.contains(&c) || c.contains("byline")
}

/// `skipped_class` as a CSS selector.
fn skipped_selector() -> String {
    let mut sel: Vec<String> = SKIP_CLASSES.iter().map(|c| format!(".{c}")).collect();
    sel.push("[class*=byline]".into());
    sel.join(", ")
}

/// Elements that start and end a paragraph.
const HTML_BLOCK: &[&str] = &[
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "caption",
    "address",
    "hr",
    "br",
    "body",
    "center",
    "details",
    "summary",
    "figcaption",
];

/// Deepest element nesting kept in HTML: Blink and WebKit stop nesting elements at 512 deep
/// too. Real pages stay far below (Wikipedia's: under 40); past it, an HTML parser's scope
/// checks make parsing quadratic in the depth.
pub const MAX_HTML_DEPTH: usize = 512;

/// Elements that never hold others (no end tag).
const HTML_VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Elements whose end tag may be left out: a parser closes them itself, so they do not count
/// towards the depth.
const HTML_OPTIONAL_END: &[&str] = &[
    "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "tbody", "thead", "tfoot",
    "colgroup", "caption", "rb", "rt", "rp", "html", "head", "body",
];

/// Elements whose content is text up to their end tag.
const HTML_RAW_TEXT: &[&str] = &["script", "style", "textarea", "title", "xmp", "noscript"];

/// The document with the tags of elements nested past [`MAX_HTML_DEPTH`] left out (their text
/// kept), or the document itself when it is not that deep. A linear scan of the tags, so a
/// hostile page costs a parser no more than its length.
pub fn flatten_deep_html(text: &str) -> std::borrow::Cow<'_, str> {
    flatten_html(text, MAX_HTML_DEPTH)
}

/// Nesting past which a page is not given to the main-content extraction, which scores every
/// element against its ancestors (a page 512 deep costs it 70 ms): real pages nest a few dozen
/// deep; deeper ones are read whole.
const READABLE_DEPTH: usize = 128;

/// [`flatten_deep_html`] with the limit `limit`.
fn flatten_html(text: &str, limit: usize) -> std::borrow::Cow<'_, str> {
    // Fewer tags than the limit cannot nest past it.
    if text.bytes().filter(|&b| b == b'<').count() <= limit {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut depth = 0usize;
    let mut flattened = false;
    let mut rest = text;
    while let Some(lt) = rest.find('<') {
        out.push_str(&rest[..lt]);
        rest = &rest[lt..];
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").map_or(rest.len(), |e| 4 + e + 3);
            out.push_str(&rest[..end]);
            rest = &rest[end..];
            continue;
        }
        let closing = rest.starts_with("</");
        let name_start = if closing { 2 } else { 1 };
        let name: String = rest[name_start..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect::<String>()
            .to_ascii_lowercase();
        if name.is_empty() {
            out.push('<');
            rest = &rest[1..];
            continue;
        }
        let tag_end = rest.find('>').map_or(rest.len(), |e| e + 1);
        let tag = &rest[..tag_end];
        let counted = !HTML_VOID.contains(&name.as_str())
            && !HTML_OPTIONAL_END.contains(&name.as_str())
            && !tag.ends_with("/>");
        let keep = if !counted {
            true
        } else if closing {
            let keep = depth <= limit;
            depth = depth.saturating_sub(1);
            keep
        } else {
            depth += 1;
            depth <= limit
        };
        if keep {
            out.push_str(tag);
        } else {
            flattened = true;
        }
        rest = &rest[tag_end..];
        if !closing && HTML_RAW_TEXT.contains(&name.as_str()) {
            // Its text, up to its end tag, is not markup.
            let end = find_end_tag(rest, &name).unwrap_or(rest.len());
            out.push_str(&rest[..end]);
            rest = &rest[end..];
        }
    }
    out.push_str(rest);
    if flattened {
        std::borrow::Cow::Owned(out)
    } else {
        std::borrow::Cow::Borrowed(text)
    }
}

/// Where `</name` starts in `text`, in any case, without copying the text (a page with
/// thousands of scripts is scanned once, not once per script).
fn find_end_tag(text: &str, name: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let name = name.as_bytes();
    let mut from = 0;
    while let Some(i) = text.get(from..)?.find("</") {
        let at = from + i;
        let tag = bytes.get(at + 2..at + 2 + name.len())?;
        if tag.eq_ignore_ascii_case(name) {
            return Some(at);
        }
        from = at + 2;
    }
    None
}

/// HTML: title from `og:title`, the first `<h1>` or `<title>`; text from the block elements of
/// the page's main content (Readability's) or else its body; scripts, styles, navigation and
/// comments dropped; `lang` and `dir` kept.
pub fn parse_html(text: &str) -> Raw {
    let flat = flatten_deep_html(text);
    let doc = Html::parse_document(&flat);
    let mut raw = Raw::default();
    let meta = |names: &[&str]| -> Option<String> {
        doc.root_element()
            .descendent_elements()
            .filter(|e| e.value().name() == "meta")
            .find(|e| {
                let v = e.value();
                names.iter().any(|n| {
                    v.attr("name").is_some_and(|a| a.eq_ignore_ascii_case(n))
                        || v.attr("property")
                            .is_some_and(|a| a.eq_ignore_ascii_case(n))
                })
            })
            .and_then(|e| e.value().attr("content"))
            .map(str::to_string)
    };
    let root = doc.root_element();
    raw.lang = root
        .value()
        .attr("lang")
        .map(str::to_string)
        .or_else(|| meta(&["og:locale"]));
    raw.dir = root.value().attr("dir").map(str::to_string);
    raw.date = meta(&[
        "article:published_time",
        "date",
        "pubdate",
        "dc.date",
        "publish-date",
    ])
    .or_else(|| {
        root.descendent_elements()
            .find(|e| e.value().name() == "time")
            .and_then(|e| e.value().attr("datetime").map(str::to_string))
    });
    raw.author = meta(&["author", "article:author", "dc.creator"]);
    raw.source = meta(&["og:site_name", "publisher", "dc.publisher"]);
    let h1 = root
        .descendent_elements()
        .find(|e| e.value().name() == "h1");
    let element_text = |e: ElementRef<'_>| e.text().collect::<Vec<_>>().join("");
    let title_el = root
        .descendent_elements()
        .find(|e| e.value().name() == "title");
    raw.title = meta(&["og:title"])
        .filter(|t| !t.trim().is_empty())
        .or_else(|| h1.map(element_text).filter(|t| !t.trim().is_empty()))
        .or_else(|| title_el.map(element_text).filter(|t| !t.trim().is_empty()));
    let skip_id = h1
        .filter(|h| raw.title.as_deref().map(str::trim) == Some(element_text(*h).trim()))
        .map(|h| h.id());
    let mut cur = String::new();
    // The page's main content, as Readability finds it, when it finds one; else the whole body.
    // A page nested deeper than real pages are is read whole (see `READABLE_DEPTH`).
    let readable = matches!(
        flatten_html(&flat, READABLE_DEPTH),
        std::borrow::Cow::Borrowed(_)
    );
    let found = if readable { main_content(&flat) } else { None };
    // The page's own article element, when it marks one.
    let marked: Vec<ElementRef<'_>> = root
        .descendent_elements()
        .filter(|e| e.value().name() == "article" || e.value().name() == "main")
        .collect();
    let own = match marked.as_slice() {
        [one] => Some(*one),
        _ => None,
    };
    let words = |s: &str| s.split_whitespace().count();
    // Readability judges short pages badly (it may keep a page's paragraphs and drop its
    // lists and tables): when it keeps less than half of the text the page itself marks as its
    // article, that element is read instead.
    let found = found.filter(|(content, _)| {
        own.is_none_or(|a| {
            let kept = words(
                &Html::parse_fragment(content)
                    .root_element()
                    .text()
                    .collect::<String>(),
            );
            2 * kept >= words(&element_text(a))
        })
    });
    let byline = found.as_ref().and_then(|(_, b)| b.clone());
    let main = found.map(|(content, _)| Html::parse_fragment(&content));
    let body = match &main {
        Some(fragment) => fragment.root_element(),
        None => own.unwrap_or_else(|| {
            root.descendent_elements()
                .find(|e| e.value().name() == "body")
                .unwrap_or(root)
        }),
    };
    // The headline, where the content repeats it, is the title, not a paragraph.
    let skip = match &main {
        Some(_) => body
            .descendent_elements()
            .filter(|e| matches!(e.value().name(), "h1" | "h2"))
            .find(|h| raw.title.as_deref().map(str::trim) == Some(element_text(*h).trim()))
            .map(|h| h.id()),
        None => skip_id,
    };
    collect_html(body, skip, &mut cur, &mut raw.paragraphs);
    if !cur.trim().is_empty() {
        raw.paragraphs.push(cur);
    }
    if main.is_some() {
        let norm = |s: &str| s.split_whitespace().collect::<Vec<_>>().join(" ");
        // The byline Readability found is the author, not the text.
        if let Some(b) = byline.as_deref().map(norm).filter(|b| !b.is_empty()) {
            if let Some(i) = raw.paragraphs.iter().position(|p| norm(p) == b) {
                raw.paragraphs.remove(i);
            }
            if raw.author.is_none() {
                raw.author = Some(b);
            }
        }
        // Paragraphs after the text that are a link and nothing else ("Back to all notices",
        // "Read more") are the site's navigation.
        let links: Vec<String> = body
            .descendent_elements()
            .filter(|e| matches!(e.value().name(), "p" | "div"))
            .filter(|e| {
                let own = norm(&element_text(*e));
                !own.is_empty()
                    && e.children().all(|c| match c.value() {
                        Node::Text(t) => t.trim().is_empty(),
                        Node::Element(x) => x.name() == "a",
                        _ => true,
                    })
                    && e.children()
                        .filter(|c| matches!(c.value(), Node::Element(_)))
                        .count()
                        == 1
            })
            .map(|e| norm(&element_text(e)))
            .collect();
        while raw.paragraphs.len() > 1
            && raw
                .paragraphs
                .last()
                .is_some_and(|p| links.contains(&norm(p)))
        {
            raw.paragraphs.pop();
        }
    }
    raw
}

/// The main content of a page (its article, without the site's menus, banners, share bars,
/// related lists, comments and footer) as HTML, and the byline it found, by Readability's
/// algorithm (`dom_smoothie`, a port of Mozilla's readability.js); `None` when it finds none.
fn main_content(page: &str) -> Option<(String, Option<String>)> {
    let cfg = dom_smoothie::Config {
        // The classes mark what else is dropped (MediaWiki's chrome: `SKIP_CLASSES`).
        keep_classes: true,
        ..dom_smoothie::Config::default()
    };
    // A page that trips the crate up is read whole instead: a build never stops on a page.
    let article = std::panic::catch_unwind(|| {
        // What is dropped by class goes first: Readability turns a <div> of text into a <p>,
        // and its class with it.
        let doc = dom_query::Document::from(page);
        doc.select(&skipped_selector()).remove();
        let mut r = dom_smoothie::Readability::with_document(doc, None, Some(cfg)).ok()?;
        r.parse().ok()
    })
    .ok()??;
    (!article.text_content.trim().is_empty()).then(|| {
        (
            article.content.to_string(),
            article.byline.map(|b| b.to_string()),
        )
    })
}

/// An HTML list being read: whether it is numbered, its next number and its numbering style
/// (`type`: `1`, `a`, `A`, `i`, `I`).
struct HtmlList {
    numbered: bool,
    next: i64,
    style: char,
    reversed: bool,
}

/// A list number as the `type` attribute writes it: 3 → "3", "c", "C", "iii", "III".
fn list_number(n: i64, style: char) -> String {
    match style {
        'a' | 'A' if n >= 1 => {
            let mut s = Vec::new();
            let mut k = n;
            while k > 0 {
                k -= 1;
                s.push((b'a' + (k % 26) as u8) as char);
                k /= 26;
            }
            let s: String = s.into_iter().rev().collect();
            if style == 'A' {
                s.to_uppercase()
            } else {
                s
            }
        }
        'i' | 'I' if (1..4000).contains(&n) => {
            let mut k = n;
            let mut s = String::new();
            for (v, r) in [
                (1000, "m"),
                (900, "cm"),
                (500, "d"),
                (400, "cd"),
                (100, "c"),
                (90, "xc"),
                (50, "l"),
                (40, "xl"),
                (10, "x"),
                (9, "ix"),
                (5, "v"),
                (4, "iv"),
                (1, "i"),
            ] {
                while k >= v {
                    s.push_str(r);
                    k -= v;
                }
            }
            if style == 'I' {
                s.to_uppercase()
            } else {
                s
            }
        }
        _ => n.to_string(),
    }
}

/// The state of reading a page's blocks: the lists (with their numbering) and the other blocks
/// open around the text.
#[derive(Default)]
struct HtmlBlocks {
    lists: Vec<HtmlList>,
    open: crate::blocks::Open,
}

impl HtmlBlocks {
    /// Ends the paragraph in `cur`, marked as what it is.
    fn end(&mut self, cur: &mut String, out: &mut Vec<String>) {
        self.open.lists = self.lists.len();
        self.open.end(cur, out);
    }
}

/// What ends when a block element entered earlier ends.
enum HtmlEnd {
    Block,
    List,
    Item,
    Quote,
    Marked,
}

/// The text of a `<pre>`: its lines as preformatted blocks.
fn html_pre(el: ElementRef<'_>, out: &mut Vec<String>) {
    let text: String = el.text().collect();
    let text = text.strip_prefix('\n').unwrap_or(&text);
    let text = text.strip_suffix('\n').unwrap_or(text);
    for line in text.split('\n') {
        out.push(block(
            BlockKind::Pre,
            1,
            "",
            &crate::blocks::clean_input(line.trim_end_matches('\r')),
        ));
    }
}

/// A `<table>`'s caption and rows: a header row when its first row is all `<th>` (or in
/// `<thead>`); cells' text on one line each; tables inside cells read as their text.
fn html_table(el: ElementRef<'_>, out: &mut Vec<String>) {
    let norm = |s: String| s.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut rows: Vec<(bool, Vec<String>)> = Vec::new();
    let mut caption = None;
    // This table's own rows: not those of tables inside it.
    let mut stack: Vec<ego_tree::NodeRef<'_, Node>> = el.children().rev().collect();
    while let Some(n) = stack.pop() {
        let Some(e) = ElementRef::wrap(n) else {
            continue;
        };
        match e.value().name() {
            "caption" => caption = Some(norm(e.text().collect())),
            "thead" | "tbody" | "tfoot" => stack.extend(n.children().rev()),
            "tr" => {
                let cells: Vec<ElementRef<'_>> = e
                    .children()
                    .filter_map(ElementRef::wrap)
                    .filter(|c| matches!(c.value().name(), "td" | "th"))
                    .collect();
                let in_head = n
                    .parent()
                    .and_then(ElementRef::wrap)
                    .is_some_and(|p| p.value().name() == "thead");
                let header = !cells.is_empty()
                    && (in_head || cells.iter().all(|c| c.value().name() == "th"));
                let texts = cells
                    .iter()
                    .map(|c| {
                        let mut t = String::new();
                        for piece in c.text() {
                            t.push_str(piece);
                            t.push(' ');
                        }
                        norm(t)
                    })
                    .collect::<Vec<_>>();
                if texts.iter().any(|t| !t.is_empty()) {
                    rows.push((header, texts));
                }
            }
            _ => {}
        }
    }
    if let Some(c) = caption.filter(|c| !c.is_empty()) {
        out.push(block(
            BlockKind::Caption,
            1,
            "",
            &crate::blocks::clean_input(&c),
        ));
    }
    let headers = match rows.first() {
        Some((true, h)) => Some(h.clone()),
        _ => None,
    };
    for (i, (_, cells)) in rows.iter().enumerate() {
        if i == 0 && headers.is_some() {
            out.push(row(true, cells, None));
        } else {
            out.push(row(false, cells, headers.as_deref()));
        }
    }
}

/// The text of `el`'s block elements as paragraphs, each marked as the block it is (headings,
/// list items with their numbers, quotes, preformatted lines, captions, table rows).
/// Iterative, with an explicit stack: a page nested tens of thousands of levels deep is walked
/// like any other, never overflowing the thread's stack.
fn collect_html(
    el: ElementRef<'_>,
    skip: Option<ego_tree::NodeId>,
    cur: &mut String,
    out: &mut Vec<String>,
) {
    // Each entry: a node to visit, or the end of a block element entered earlier.
    enum Step<'a> {
        Visit(ego_tree::NodeRef<'a, Node>),
        End(HtmlEnd),
    }
    let mut st = HtmlBlocks::default();
    let mut stack: Vec<Step<'_>> = el.children().rev().map(Step::Visit).collect();
    while let Some(step) = stack.pop() {
        let child = match step {
            Step::End(what) => {
                st.end(cur, out);
                match what {
                    HtmlEnd::Block => {}
                    HtmlEnd::List => {
                        st.lists.pop();
                    }
                    HtmlEnd::Item => {
                        st.open.items = st.open.items.saturating_sub(1);
                        st.open.item = None;
                    }
                    HtmlEnd::Quote => st.open.quotes = st.open.quotes.saturating_sub(1),
                    HtmlEnd::Marked => st.open.mark = None,
                }
                continue;
            }
            Step::Visit(child) => child,
        };
        match child.value() {
            Node::Text(t) => cur.push_str(t),
            Node::Element(e) => {
                let name = e.name();
                if HTML_SKIP.contains(&name) || Some(child.id()) == skip {
                    continue;
                }
                if e.attr("hidden").is_some() || e.attr("aria-hidden") == Some("true") {
                    continue;
                }
                if e.classes().any(skipped_class) {
                    continue;
                }
                let Some(el) = ElementRef::wrap(child) else {
                    continue;
                };
                let end = match name {
                    "pre" => {
                        st.end(cur, out);
                        html_pre(el, out);
                        continue;
                    }
                    "table" => {
                        st.end(cur, out);
                        html_table(el, out);
                        continue;
                    }
                    "ol" | "ul" | "menu" => {
                        st.end(cur, out);
                        let numbered = name == "ol";
                        let reversed = e.attr("reversed").is_some();
                        let count = el
                            .children()
                            .filter_map(ElementRef::wrap)
                            .filter(|c| c.value().name() == "li")
                            .count() as i64;
                        let start = e
                            .attr("start")
                            .and_then(|v| v.trim().parse::<i64>().ok())
                            .unwrap_or(if reversed { count } else { 1 });
                        let style = e
                            .attr("type")
                            .and_then(|t| t.chars().next())
                            .filter(|c| matches!(c, '1' | 'a' | 'A' | 'i' | 'I'))
                            .unwrap_or('1');
                        st.lists.push(HtmlList {
                            numbered,
                            next: start,
                            style,
                            reversed,
                        });
                        HtmlEnd::List
                    }
                    "li" => {
                        st.end(cur, out);
                        let depth = st.lists.len().clamp(1, 8) as u8;
                        st.open.item = Some(match st.lists.last_mut() {
                            Some(l) if l.numbered => {
                                let n = e
                                    .attr("value")
                                    .and_then(|v| v.trim().parse::<i64>().ok())
                                    .unwrap_or(l.next);
                                l.next = if l.reversed { n - 1 } else { n + 1 };
                                let label = format!("{}.", list_number(n, l.style));
                                match crate::blocks::clean_label(&label) {
                                    Some(label) => mark(BlockKind::Numbered, depth, &label),
                                    None => mark(BlockKind::Bullet, depth, ""),
                                }
                            }
                            _ => mark(BlockKind::Bullet, depth, ""),
                        });
                        st.open.items += 1;
                        HtmlEnd::Item
                    }
                    "blockquote" => {
                        st.end(cur, out);
                        st.open.quotes += 1;
                        HtmlEnd::Quote
                    }
                    "h1" | "h2" | "h3" | "h4" | "h5" | "h6" if st.open.items == 0 => {
                        st.end(cur, out);
                        let level = usize::from(name.as_bytes()[1] - b'0');
                        st.open.mark = Some(mark(BlockKind::Heading, level as u8, ""));
                        HtmlEnd::Marked
                    }
                    "figcaption" | "caption" if st.open.items == 0 => {
                        st.end(cur, out);
                        st.open.mark = Some(mark(BlockKind::Caption, 1, ""));
                        HtmlEnd::Marked
                    }
                    _ if HTML_BLOCK.contains(&name) => {
                        st.end(cur, out);
                        HtmlEnd::Block
                    }
                    _ => {
                        stack.extend(child.children().rev().map(Step::Visit));
                        continue;
                    }
                };
                stack.push(Step::End(end));
                stack.extend(child.children().rev().map(Step::Visit));
            }
            _ => {}
        }
    }
    st.end(cur, out);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(raw: Raw, _stem: &str) -> Article {
        match finish(raw, "x", &Rules::builtin(), vec![]) {
            Outcome::Article(a, _) => a,
            Outcome::Skipped(why) => panic!("skipped: {why}"),
        }
    }

    #[test]
    fn html_structure() {
        let a = article(
            parse_html(
                r#"<!doctype html><html lang="ru" dir="ltr"><head><title>Site</title>
                <meta property="og:site_name" content="Example News"><style>p{}</style></head>
                <body><nav>Home | About</nav><h1>Заголовок &amp; тест</h1>
                <!-- a comment --><p>Первый <b>абзац</b>.</p><script>var x;</script>
                <ul><li>один</li><li>два</li></ul><footer>© site</footer></body></html>"#,
            ),
            "page",
        );
        assert_eq!(a.title, "Заголовок & тест");
        assert_eq!(
            a.paragraphs,
            ["Первый абзац.", "\u{1}u1\u{2}один", "\u{1}u1\u{2}два"]
        );
        assert_eq!(a.lang.as_deref(), Some("ru"));
        assert_eq!(a.source.as_deref(), Some("Example News"));
    }

    #[test]
    fn wikipedia_chrome_is_dropped() {
        let a = article(
            parse_html(
                r##"<html lang="en"><body><h1>Cholera</h1>
                <table class="infobox vcard"><tr><th>Specialty</th><td>Infectious disease</td></tr></table>
                <div id="toc" class="toc"><ul><li>1 Signs</li></ul></div>
                <h2>Signs<span class="mw-editsection">[edit]</span></h2>
                <p>Cholera causes watery diarrhoea.<sup class="reference"><a href="#cite-1">[1]</a></sup></p>
                <div class="navbox">Diseases of poverty</div>
                <ol class="references"><li>WHO fact sheet</li></ol></body></html>"##,
            ),
            "page",
        );
        assert_eq!(a.title, "Cholera");
        assert_eq!(
            a.paragraphs,
            ["\u{1}h2\u{2}Signs", "Cholera causes watery diarrhoea."]
        );
    }

    #[test]
    fn markdown_front_matter() {
        let a = article(
            parse_markdown(
                "---\ntitle: \"Field report\"\ndate: 2024-02-12\nauthor: A. Writer\nlang: en\n---\n\n# Ignored heading\n\nFirst *para*\ncontinues.\n\n- item one\n- item two\n",
            ),
            "report",
        );
        assert_eq!(a.title, "Field report");
        assert_eq!(a.date.as_deref(), Some("2024-02-12"));
        assert_eq!(a.author.as_deref(), Some("A. Writer"));
        assert_eq!(
            a.paragraphs,
            [
                "\u{1}h1\u{2}Ignored heading",
                "First para continues.",
                "\u{1}u1\u{2}item one",
                "\u{1}u1\u{2}item two"
            ]
        );
    }

    #[test]
    fn markdown_h1_title() {
        let a = article(parse_markdown("# The title\n\nBody."), "x");
        assert_eq!(a.title, "The title");
        assert_eq!(a.paragraphs, ["Body."]);
    }

    #[test]
    fn text_title_from_first_sentence() {
        let a = article(
            parse_text("[ad_1]\nFirst sentence here. Second one.\nMore.\nSource link\n"),
            "000_ac89483567ee3ac3",
        );
        assert_eq!(a.title, "First sentence here.");
        assert_eq!(a.paragraphs, ["First sentence here. Second one.", "More."]);
    }

    #[test]
    fn text_blank_line_paragraphs() {
        let r = parse_text("one\ntwo\n\nthree\n");
        assert_eq!(r.paragraphs, ["one two", "three"]);
        let long = "x".repeat(150);
        let r = parse_text(&format!("{long}\n{long}\n\n{long}\n"));
        assert_eq!(r.paragraphs.len(), 3);
    }

    #[test]
    fn boilerplate_only_is_skipped() {
        let r = parse_text("[ad_1]\n[ad_2]\nSource link\n");
        assert!(matches!(
            finish(r, "x", &Rules::builtin(), vec![]),
            Outcome::Skipped(_)
        ));
    }

    #[test]
    fn deep_nesting_is_flattened_past_the_limit_and_the_text_kept() {
        let deep = format!(
            "<html><body>{}<p>inner</p>{}<p>after</p></body></html>",
            "<div>".repeat(3000),
            "</div>".repeat(3000)
        );
        let flat = flatten_deep_html(&deep);
        assert_eq!(flat.matches("<div>").count(), MAX_HTML_DEPTH);
        assert_eq!(flat.matches("</div>").count(), MAX_HTML_DEPTH);
        let a = article(parse_html(&deep), "deep");
        assert_eq!(a.paragraphs, ["inner", "after"]);
        // Ordinary pages, sloppy ones included, are parsed as they are.
        let sloppy = format!("<html><body>{}</body></html>", "<p>para ".repeat(2000));
        assert!(matches!(
            flatten_deep_html(&sloppy),
            std::borrow::Cow::Borrowed(_)
        ));
        let script = format!("<script>{}</script><p>x</p>", "<div>".repeat(2000));
        assert!(matches!(
            flatten_deep_html(&script),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn invalid_utf8_names_offset() {
        let mut w = vec![];
        let e = decode(b"abc\xffdef", Utf8Policy::Strict, &mut w).expect_err("invalid");
        assert!(e.to_string().contains("byte offset 3"), "{e}");
        let s = decode(b"abc\xffdef", Utf8Policy::Lossy, &mut w).expect("lossy");
        assert_eq!(s, "abc\u{FFFD}def");
        assert_eq!(w.len(), 1);
        assert!(decode(b"\x7fELF\x02\x01\x01\0\0\0", Utf8Policy::Strict, &mut w).is_err());
    }

    /// The blocks of an article as `extract`'s plain view shows them.
    fn shown(a: &Article) -> String {
        crate::blocks::body_to_text(&a.paragraphs.join("\n"))
    }

    const GUIDE_HTML: &str = r#"<html lang="en"><body><article><h1>Safe water</h1>
        <p>Dirty water spreads cholera.</p>
        <h2>Steps</h2>
        <ol><li>Filter the water through cloth.</li>
        <li><p>Boil it for one minute.</p><p>At altitude, three minutes.</p>
          <ol type="a"><li>Let it cool covered.</li><li>Store it clean.</li></ol></li>
        <li value="7">Drink within a day.</li></ol>
        <ul><li>Soap</li><li>Chlorine</li></ul>
        <blockquote><p>Boiling is the surest way.</p></blockquote>
        <figure><img src="x.png" alt="a pot"><figcaption>A pot at a rolling boil.</figcaption></figure>
        <pre>dose = 2 drops
  per litre</pre>
        <table><caption>Doses</caption><thead><tr><th>Water</th><th>Drops</th></tr></thead>
        <tbody><tr><td>1 litre</td><td>2</td></tr><tr><td>20 litres</td><td>40</td></tr></tbody></table>
        </article></body></html>"#;

    const GUIDE_SHOWN: &str = "Dirty water spreads cholera.\nSteps\n-----\n1. Filter the water through cloth.\n2. Boil it for one minute.\n  At altitude, three minutes.\n  a. Let it cool covered.\n  b. Store it clean.\n7. Drink within a day.\n• Soap\n• Chlorine\n│ Boiling is the surest way.\n  (A pot at a rolling boil.)\n    dose = 2 drops\n      per litre\n  (Doses)\n| Water | Drops |\n| 1 litre | 2 |\n| 20 litres | 40 |\n";

    #[test]
    fn html_blocks_are_kept() {
        let a = article(parse_html(GUIDE_HTML), "guide");
        assert_eq!(a.title, "Safe water");
        assert_eq!(shown(&a), GUIDE_SHOWN);
        // Rows carry their table's widths and a body row its headers.
        assert_eq!(
            a.paragraphs.last().map(String::as_str),
            Some("\u{1}r19,5\u{2}Water\u{4}20 litres\u{3}Drops\u{4}40")
        );
    }

    #[test]
    fn markdown_written_for_blocks_reads_back_the_same() {
        let a = article(parse_html(GUIDE_HTML), "guide");
        let md = crate::blocks::body_to_markdown(&a.paragraphs.join("\n"));
        let b = article(
            parse_markdown(&format!("---\ntitle: Safe water\n---\n\n{md}")),
            "md",
        );
        assert_eq!(b.paragraphs, a.paragraphs, "{md}");
    }

    #[test]
    fn markdown_blocks() {
        let a = article(
            parse_markdown(
                "# Title\n\n## Part\n\n3. three\n4. four\n   - under\n\n| A | B |\n|---|---|\n| 1 | 2 \\| 3 |\n\n> quoted\n> > deeper\n\n```\ncode  kept\n```\n\na. first\nb. second\n\nA. Smith said so.\n",
            ),
            "md",
        );
        assert_eq!(
            shown(&a),
            "Part\n----\n3. three\n4. four\n  • under\n| A | B |\n| 1 | 2 | 3 |\n│ quoted\n│ │ deeper\n    code  kept\na. first\nb. second\nA. Smith said so.\n"
        );
        assert_eq!(
            a.paragraphs.last().map(|p| split_mark_kind(p)),
            Some(BlockKind::Text)
        );
    }

    fn split_mark_kind(p: &str) -> BlockKind {
        crate::blocks::split_mark(p).0.kind
    }

    #[test]
    fn text_lists_where_unambiguous() {
        let a = article(
            parse_text("Water guide\n\nBefore you start:\n\n1. Filter it.\n2. Boil it\n   for a minute.\n  - or use tablets\n\n- Only one bullet here? No:\n\n1998. A year, not a list.\n"),
            "t",
        );
        assert_eq!(
            shown(&a),
            "Before you start:\n1. Filter it.\n2. Boil it for a minute.\n  • or use tablets\n• Only one bullet here? No:\n1998. A year, not a list.\n"
        );
        // One line with a dash, alone, is text.
        let b = article(
            parse_text("Notes\n\n- just a dash line\n\nMore text.\n"),
            "t",
        );
        assert_eq!(shown(&b), "- just a dash line\nMore text.\n");
    }
}
