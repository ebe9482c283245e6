//! Text layout: reading an article's text across chunks, breaking it into lines and pages with
//! the bundle's glyph metrics, and remembering where pages start.

use fieldpack_format::blocks::{BlockKind, ColumnWidths, Mark, LABEL_AT};
use fieldpack_format::layout::{SectionKind, MAX_META_LEN};
use fieldpack_format::{
    ArticleRecord, Bundle, Error, GlyphRecord, Inflater, Span, Storage, Strike,
};

use crate::shaping::RunCursor;

/// Glyph of the character drawn when the bundle has none for a character.
pub const REPLACEMENT: char = '\u{FFFD}';

/// A position in an article's text: a chunk of the article and a byte offset in it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct TextPos {
    /// Chunk number within the article (0 is the article's first chunk).
    pub chunk: u32,
    /// Byte offset inside that chunk's text.
    pub offset: u32,
}

/// How a line ends, which says what separates it from the next in the text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Break {
    /// At a paragraph end (a line feed in the text).
    Paragraph,
    /// At the end of a table cell drawn as a "header: value" line (the next cell follows).
    Cell,
    /// At a space, which is not drawn.
    Space,
    /// After a hyphen, or between two characters of a script written without spaces.
    Soft,
    /// Inside a word longer than the line.
    Forced,
    /// At the end of the text.
    End,
}

/// One laid-out line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line {
    /// Where the line's text starts.
    pub start: TextPos,
    /// Where the drawn part ends (a trailing space or line feed is not drawn).
    pub draw_end: TextPos,
    /// Where the next line starts.
    pub next: TextPos,
    /// How the line ends.
    pub brk: Break,
    /// Width of the drawn part in pixels.
    pub width: u32,
    /// Whether a glyph reaches outside the rows lines of text take, so the line needs full height.
    pub tall: bool,
    /// Where the drawn text starts: past a paragraph's block mark on its first line.
    pub text: TextPos,
    /// The block the line belongs to and how it is set.
    pub block: LineBlock,
}

/// How a line of a block (SPEC.md, "Blocks") is set: what it belongs to, where its text
/// starts and what is drawn beside it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineBlock {
    /// What the paragraph is.
    pub kind: BlockKind,
    /// Heading level, or nesting of a list item or quote.
    pub depth: u8,
    /// The paragraph's first line (a numbered item's label and a bullet are drawn beside it).
    pub first: bool,
    /// Where the paragraph's mark starts (its label lies [`LABEL_AT`] bytes in).
    pub mark_at: TextPos,
    /// Length of a numbered item's label in bytes.
    pub label_len: u8,
    /// Pixels from the text area's start edge (left, or right in a right-to-left article) to
    /// the line's text.
    pub indent: u16,
    /// A table row drawn as a grid row: its cells in columns.
    pub grid: bool,
    /// Nothing drawn and no room taken: a table's header row when its rows are drawn as
    /// "header: value" lines, each of which names its header.
    pub hidden: bool,
    /// A "header: value" line: where its header ends (at the `U+0004` after it).
    pub label_end: Option<TextPos>,
    /// Width of a "header: value" line's header with its ": ".
    pub label_width: u16,
}

/// A paragraph's start, its mark and where its text starts: what every line of it needs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Para {
    start: TextPos,
    text: TextPos,
    mark: Mark,
}

/// An article open for reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OpenArticle {
    /// Article number.
    pub index: u32,
    /// The article's record.
    pub record: ArticleRecord,
    /// Right-to-left text.
    pub rtl: bool,
    /// Its bidi level runs, checked (empty: all left to right).
    pub runs: Span,
}

const CACHE_SLOTS: usize = 32;

/// A small direct-mapped cache of glyph records: text reuses few characters, and each lookup
/// in the bundle is a binary search over storage. A slot is 12 bytes (its key, 24 bits, with the
/// glyph's depth above it; the bitmap offset with the advance; the four other metrics), not a
/// whole record: on a device it sits on the stack.
#[derive(Clone, Copy)]
struct GlyphCache {
    slots: [(u32, u32, [u8; 4]); CACHE_SLOTS],
}

impl GlyphCache {
    const EMPTY_TAG: u32 = u32::MAX;

    const fn new() -> Self {
        GlyphCache {
            slots: [(Self::EMPTY_TAG, 0, [0; 4]); CACHE_SLOTS],
        }
    }

    /// Forgets every record, in place (a new cache would be a 384-byte temporary on the stack
    /// of whatever calls this).
    fn clear(&mut self) {
        for slot in &mut self.slots {
            slot.0 = Self::EMPTY_TAG;
        }
    }

    /// The record cached for key `cp`.
    fn get(&self, cp: u32) -> Option<GlyphRecord> {
        let &(tag, packed, m) = self.slots.get((cp as usize) % CACHE_SLOTS)?;
        (tag != Self::EMPTY_TAG && tag & 0x00FF_FFFF == cp).then_some(GlyphRecord {
            codepoint: cp,
            advance: (packed >> 24) as u8,
            bit_offset: packed & 0x00FF_FFFF,
            width: m[0],
            height: m[1],
            x: i8::from_le_bytes([m[2]]),
            y: m[3],
            depth: (tag >> 24) as u8,
        })
    }

    /// Remembers `g` for key `cp`, unless its bitmap offset or key does not fit (a forged
    /// record).
    fn put(&mut self, cp: u32, g: &GlyphRecord) {
        if g.bit_offset > 0x00FF_FFFF || cp > 0x00FF_FFFF || g.depth == 0xFF {
            return;
        }
        if let Some(s) = self.slots.get_mut((cp as usize) % CACHE_SLOTS) {
            *s = (
                cp | u32::from(g.depth) << 24,
                (u32::from(g.advance) << 24) | g.bit_offset,
                [g.width, g.height, g.x.to_le_bytes()[0], g.y],
            );
        }
    }
}

/// Reads article text and sets it in lines with one glyph strike.
///
/// Holds the open bundle, the caller's inflate state and window (the big buffers, placed where
/// the device wants them), which chunk the window holds, and a glyph cache.
pub struct Typesetter<'a, S> {
    /// The open bundle.
    pub bundle: Bundle<S>,
    inflater: &'a mut Inflater,
    pub(crate) window: &'a mut [u8],
    /// Absolute chunk number held in the window, and the text's range there.
    loaded: Option<(u32, usize, usize)>,
    pub(crate) strike: Option<Strike>,
    /// The rows the open article's lines take in the strike (top, height): its metadata's
    /// line box; before an article is open, the strike's compact box.
    text_box: Option<(u8, u8)>,
    cache: GlyphCache,
    /// The last chunk whose text offset was asked for: (absolute chunk, its first byte's
    /// offset in the article's text).
    pub(crate) base: Option<(u32, u32)>,
    /// The level run last looked up.
    pub(crate) run: Option<RunCursor>,
    /// Words looked up lately, by hash: a page sets each word, then draws it in two passes.
    pub(crate) words: crate::shaping::WordCache,
    /// The paragraph of the line laid out last, where the next line starts, and whether that
    /// starts a new paragraph: lines are mostly laid out one after another, and then neither a
    /// paragraph's mark nor the byte before a line is read again.
    para: Option<(Para, TextPos, bool)>,
}

/// Whether a character belongs to a script written without spaces between words, where a
/// line may break between any two characters.
pub fn is_wide_script(c: char) -> bool {
    // Most text is below the first range: one comparison instead of a dozen.
    if (c as u32) < 0x1100 {
        return false;
    }
    matches!(c as u32,
        0x1100..=0x11FF | 0x2E80..=0x2FFF | 0x3040..=0x30FF | 0x3130..=0x318F | 0x31F0..=0x31FF
        | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xA960..=0xA97F | 0xAC00..=0xD7FF | 0xF900..=0xFAFF
        | 0xFF01..=0xFF60 | 0x20000..=0x3FFFF)
}

/// Characters a line must not start with (closing punctuation, combining marks).
fn no_break_before(c: char) -> bool {
    matches!(
        c,
        ',' | '.'
            | ';'
            | ':'
            | '!'
            | '?'
            | ')'
            | ']'
            | '}'
            | '’'
            | '”'
            | '»'
            | '、'
            | '。'
            | '，'
            | '．'
            | '：'
            | '；'
            | '！'
            | '？'
            | '）'
            | '」'
            | '』'
            | '】'
            | '〉'
            | '》'
            | '\u{00A0}'
    ) || is_mark(c)
}

/// Characters a line must not end with (opening punctuation).
fn no_break_after(c: char) -> bool {
    matches!(
        c,
        '(' | '[' | '{' | '‘' | '“' | '«' | '（' | '「' | '『' | '【' | '〈' | '《' | '\u{00A0}'
    )
}

/// Combining marks (the common blocks): they belong to the character before them.
pub fn is_mark(c: char) -> bool {
    matches!(c as u32,
        0x0300..=0x036F | 0x0483..=0x0489 | 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F
        | 0x0900..=0x0903 | 0x093A..=0x094F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0x302A..=0x302F | 0x3099..=0x309A | 0xFE20..=0xFE2F | 0x200C..=0x200D)
}

/// Decodes the character at the start of `bytes`: the character and its length, or U+FFFD and
/// 1 for bytes that are not UTF-8 (checksums make that a writer's bug, never a crash).
pub fn decode_char(bytes: &[u8]) -> Option<(char, usize)> {
    let first = *bytes.first()?;
    let len = match first {
        0x00..=0x7F => 1,
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return Some((REPLACEMENT, 1)),
    };
    match bytes.get(..len).map(core::str::from_utf8) {
        Some(Ok(s)) => s.chars().next().map(|c| (c, len)),
        _ => Some((REPLACEMENT, 1)),
    }
}

impl<'a, S: Storage> Typesetter<'a, S> {
    /// A typesetter over an open bundle with the caller's buffers; fails when the window is
    /// smaller than the bundle needs.
    pub fn new(
        bundle: Bundle<S>,
        inflater: &'a mut Inflater,
        window: &'a mut [u8],
        size_class: u8,
    ) -> Result<Self, Error> {
        let needed = bundle.window_needed();
        if (window.len() as u32) < needed {
            return Err(Error::BufferTooSmall {
                needed,
                available: window.len() as u32,
            });
        }
        let strike = bundle.strike(size_class);
        Ok(Typesetter {
            bundle,
            inflater,
            window,
            loaded: None,
            strike,
            text_box: None,
            cache: GlyphCache::new(),
            base: None,
            run: None,
            words: crate::shaping::WordCache::new(),
            para: None,
        })
    }

    /// Sets text with the strike of another size class (the reader's text size), or the
    /// nearest the bundle has; what was cached for the old one is forgotten. An article open
    /// before must be opened again ([`Typesetter::open_article`]).
    #[inline(never)]
    pub fn set_size_class(&mut self, size_class: u8) {
        self.strike = self.bundle.strike(size_class);
        self.cache.clear();
        self.text_box = None;
        self.para = None;
    }

    /// The glyph strike in use.
    pub fn strike(&self) -> Option<Strike> {
        self.strike
    }

    /// The size class of the strike in use.
    pub fn size_class(&self) -> u8 {
        self.strike.map_or(0, |s| s.header.size_class)
    }

    /// Height of a line of text in pixels.
    pub fn line_height(&self) -> u32 {
        self.strike.map_or(16, |s| u32::from(s.header.line_height))
    }

    /// The glyph drawn for `c`: its own, else the replacement glyph, else none.
    pub fn glyph(&mut self, c: char) -> Result<Option<GlyphRecord>, Error> {
        self.glyph_by_key(c as u32)
    }

    /// The glyph with key `cp` (a code point or a shaped glyph's key): its own, else the
    /// replacement glyph, else none.
    pub fn glyph_by_key(&mut self, cp: u32) -> Result<Option<GlyphRecord>, Error> {
        let Some(strike) = self.strike else {
            return Ok(None);
        };
        if let Some(g) = self.cache.get(cp) {
            return Ok(Some(g));
        }
        let g = match self.bundle.glyph_by_key(&strike, cp)? {
            Some(g) => Some(g),
            None if cp != REPLACEMENT as u32 => self.bundle.glyph(&strike, REPLACEMENT)?,
            None => None,
        };
        if let Some(g) = &g {
            self.cache.put(cp, g);
        }
        Ok(g)
    }

    /// Height of `line` and how far its glyphs are drawn above its top (the strike's compact box
    /// offset for compact lines).
    pub fn line_box(&self, line: &Line) -> (u32, i32) {
        match self.text_rows() {
            Some((top, height)) if !line.tall => (u32::from(height), i32::from(top)),
            _ => (self.line_height(), 0),
        }
    }

    /// Rows `line` takes (none for a hidden one) and how far its glyphs are drawn above its top.
    pub fn line_rows(&self, line: &Line) -> (u32, i32) {
        if line.block.hidden {
            return (0, 0);
        }
        let (h, shift) = self.line_box(line);
        if line.block.kind == BlockKind::Heading && line.block.first {
            // A heading stands apart from the text before it: a paragraph gap more above.
            let above = paragraph_gap(self.text_height());
            return (h.saturating_add(above), shift.saturating_sub(above as i32));
        }
        (h, shift)
    }

    /// Space below `line`: a paragraph's gap after its last line, none inside a paragraph or
    /// after a hidden line.
    pub fn gap_after(&self, line: &Line) -> u32 {
        match line.brk {
            Break::Paragraph if !line.block.hidden => paragraph_gap(self.text_height()),
            _ => 0,
        }
    }

    /// Height of the open article's lines (its line box; a full line without one).
    pub fn text_height(&self) -> u32 {
        self.text_rows()
            .map_or(self.line_height(), |(_, h)| u32::from(h))
    }

    /// How far the open article's glyphs are drawn above a line's top: its line box's offset
    /// in the full line.
    pub fn text_shift(&self) -> i32 {
        self.text_rows().map_or(0, |(t, _)| i32::from(t))
    }

    /// The rows of a full line that lines of text take (top, height): the open article's line
    /// box, else the strike's compact box.
    fn text_rows(&self) -> Option<(u8, u8)> {
        self.text_box.or_else(|| {
            self.strike
                .map(|s| (s.header.compact_top, s.header.compact_height))
        })
    }

    /// Whether a glyph reaches outside the rows lines of text take (only in a bundle whose
    /// boxes are wrong: that line is then set at full height, not drawn over its neighbours).
    fn is_tall(&self, g: &GlyphRecord) -> bool {
        self.text_rows().is_some_and(|(top, height)| {
            g.height > 0
                && (g.y < top
                    || u16::from(g.y) + u16::from(g.height) > u16::from(top) + u16::from(height))
        })
    }

    /// Horizontal advance of `c` in pixels.
    pub fn advance(&mut self, c: char) -> Result<u32, Error> {
        Ok(self.glyph(c)?.map_or(0, |g| u32::from(g.advance)))
    }

    /// Width of a string in pixels.
    pub fn measure(&mut self, s: &str) -> Result<u32, Error> {
        let mut w = 0u32;
        for (i, word) in s.split(' ').enumerate() {
            if i > 0 {
                w = w.saturating_add(self.advance(' ')?);
            }
            if let Some(shaped) = self.shaped(word)? {
                w = w.saturating_add(u32::from(shaped.width(self.size_class())));
                continue;
            }
            for c in word.chars() {
                w = w.saturating_add(self.advance(c)?);
            }
        }
        Ok(w)
    }

    /// Opens article `index` (checking its record).
    pub fn open_article(&mut self, index: u32) -> Result<OpenArticle, Error> {
        let record = self.bundle.article(index)?;
        if let Some(s) = self.strike {
            // Its lines are as tall as its own glyphs need (SPEC.md, Article metadata).
            let mut buf = [0u8; MAX_META_LEN];
            let meta = self.bundle.meta(&record, &mut buf)?;
            let b = meta
                .lines
                .get(usize::from(s.header.size_class))
                .copied()
                .unwrap_or_default();
            if !b.fits(s.header.line_height) {
                let at = self
                    .bundle
                    .sections()
                    .iter()
                    .find(|(k, _)| *k == SectionKind::Meta)
                    .map_or(0, |(_, span)| span.offset)
                    .saturating_add(record.meta_offset);
                return Err(Error::Corrupt {
                    section: SectionKind::Meta,
                    offset: at,
                });
            }
            self.text_box = Some((b.top, b.height));
        }
        let mut buf = [0u8; MAX_META_LEN];
        let levels = self.bundle.meta(&record, &mut buf)?.levels;
        let runs = self.bundle.level_runs(levels)?;
        self.run = None;
        self.para = None;
        Ok(OpenArticle {
            index,
            record,
            rtl: record.flags & 1 != 0,
            runs,
        })
    }

    /// The chunk the window holds and its text's range there.
    pub(crate) fn loaded_range(&self) -> Option<(u32, usize, usize)> {
        self.loaded
    }

    /// Puts chunk `chunk` of the article in the window (unless it is there) and gives the range
    /// of its text in the window.
    fn load(&mut self, art: &OpenArticle, chunk: u32) -> Result<(usize, usize), Error> {
        let abs = art.record.first_chunk.saturating_add(chunk);
        match self.loaded {
            Some((c, s, e)) if c == abs => Ok((s, e)),
            _ => {
                self.loaded = None;
                let r = self.bundle.load_chunk(abs, self.inflater, self.window)?;
                self.loaded = Some((abs, r.start, r.end));
                Ok((r.start, r.end))
            }
        }
    }

    /// Where the paragraph holding the text just before `pos` starts (for layout): just after
    /// the line feed before it, looked for in `pos`'s chunk and the one before; a paragraph
    /// longer than that is laid out from its chunk's start, so the cost stays bounded.
    pub fn paragraph_start(&mut self, art: &OpenArticle, pos: TextPos) -> Result<TextPos, Error> {
        let count = art.record.chunk_count;
        if count == 0 {
            return Ok(TextPos::default());
        }
        // The end of the text is the end of its last chunk.
        let (mut chunk, mut upto) = if pos.chunk >= count {
            (count - 1, usize::MAX)
        } else {
            (pos.chunk, pos.offset as usize)
        };
        let home = chunk;
        for _ in 0..2 {
            let (s, e) = self.load(art, chunk)?;
            let text = self.window.get(s..e).unwrap_or(&[]);
            let before = text.get(..upto.min(text.len())).unwrap_or(&[]);
            if let Some(i) = before.iter().rposition(|&b| b == b'\n') {
                let after = i + 1;
                return Ok(if after >= text.len() {
                    TextPos {
                        chunk: chunk.saturating_add(1),
                        offset: 0,
                    }
                } else {
                    TextPos {
                        chunk,
                        offset: after as u32,
                    }
                });
            }
            if chunk == 0 {
                return Ok(TextPos::default());
            }
            chunk -= 1;
            upto = usize::MAX;
        }
        Ok(TextPos {
            chunk: home,
            offset: 0,
        })
    }

    /// The position one byte before `pos` (inside the character before it), or `None` at the
    /// start of the text.
    fn byte_before(&mut self, art: &OpenArticle, pos: TextPos) -> Result<Option<TextPos>, Error> {
        if pos.offset > 0 && pos.chunk < art.record.chunk_count {
            return Ok(Some(TextPos {
                chunk: pos.chunk,
                offset: pos.offset - 1,
            }));
        }
        let mut chunk = pos.chunk.min(art.record.chunk_count);
        // Back over empty chunks (a writer makes none; bounded by the chunk count).
        while chunk > 0 {
            chunk -= 1;
            let len = u32::from(
                self.bundle
                    .chunk(art.record.first_chunk.saturating_add(chunk))?
                    .raw_len,
            );
            if len > 0 {
                return Ok(Some(TextPos {
                    chunk,
                    offset: len - 1,
                }));
            }
        }
        Ok(None)
    }

    /// The start of the line holding `target`, the lines laid out from its paragraph's start:
    /// where a page opens for a place in the text, at a cost bounded by the paragraph.
    pub fn line_start_at(
        &mut self,
        art: &OpenArticle,
        target: TextPos,
        width: u32,
    ) -> Result<TextPos, Error> {
        let mut pos = self.paragraph_start(art, target)?;
        if pos > target {
            return Ok(target);
        }
        for _ in 0..=art.record.raw_len {
            if self.at_end(art, pos)? {
                return Ok(pos);
            }
            let line = self.line(art, pos, width)?;
            if line.next > target || line.next == pos {
                return Ok(pos);
            }
            pos = line.next;
        }
        Ok(pos)
    }

    /// Where the page that ends at `end` starts: as many lines before `end` as fill a text
    /// area of `width` x `height`, laid out from the paragraphs' starts. Turning back through
    /// a long article costs a page and a paragraph, wherever the reader is.
    pub fn page_before(
        &mut self,
        art: &OpenArticle,
        end: TextPos,
        width: u32,
        height: u32,
    ) -> Result<TextPos, Error> {
        // The lines before `end`, latest last: (start, height, height with the gap after it).
        // Heights fit 16 bits (a line is at most a strike's height, a gap a quarter of it): on a
        // device this array is on the stack.
        let mut lines: heapless::Deque<(TextPos, u16, u16), BACK_LINES> = heapless::Deque::new();
        let mut until = end;
        let mut filled = 0u32;
        // Each turn lays out one more paragraph before those already laid out.
        for _ in 0..BACK_LINES {
            if filled >= height {
                break;
            }
            let Some(before) = self.byte_before(art, until)? else {
                break;
            };
            let from = self.paragraph_start(art, before)?;
            let mut segment: heapless::Vec<(TextPos, u16, u16), BACK_LINES> = heapless::Vec::new();
            let mut pos = from;
            while pos < until {
                let line = self.line(art, pos, width)?;
                let (h, _) = self.line_rows(&line);
                let with_gap = h.saturating_add(self.gap_after(&line));
                let (h, with_gap) = (
                    u16::try_from(h).unwrap_or(u16::MAX),
                    u16::try_from(with_gap).unwrap_or(u16::MAX),
                );
                if segment.push((pos, h, with_gap)).is_err() {
                    // Only the latest lines matter: drop the earliest.
                    segment.remove(0);
                    let _ = segment.push((pos, h, with_gap));
                }
                if line.next == pos {
                    break;
                }
                pos = line.next;
            }
            for &l in segment.iter().rev() {
                filled = filled.saturating_add(u32::from(l.2));
                if lines.push_front(l).is_err() {
                    filled = height;
                    break;
                }
            }
            if from == until || from == TextPos::default() {
                break;
            }
            until = from;
        }
        // The latest lines that fit, as a page laid out from the first of them puts them.
        let mut start = end;
        let mut y = 0u32;
        for (i, &(pos, h, with_gap)) in lines.iter().rev().enumerate() {
            let need = u32::from(if i == 0 { h } else { with_gap });
            if i > 0 && y.saturating_add(need) > height {
                break;
            }
            y = y.saturating_add(need);
            start = pos;
        }
        Ok(start)
    }

    /// The character at `pos` and the position after it, or `None` at the end of the text.
    pub fn char_at(
        &mut self,
        art: &OpenArticle,
        mut pos: TextPos,
    ) -> Result<Option<(char, TextPos)>, Error> {
        // Skips over empty chunks; bounded by the article's chunk count.
        while pos.chunk < art.record.chunk_count {
            let (start, end) = self.load(art, pos.chunk)?;
            let text = self.window.get(start..end).unwrap_or(&[]);
            match text.get(pos.offset as usize..).and_then(decode_char) {
                Some((c, len)) => {
                    let mut next = TextPos {
                        chunk: pos.chunk,
                        offset: pos.offset.saturating_add(len as u32),
                    };
                    if next.offset as usize >= text.len() {
                        next = TextPos {
                            chunk: pos.chunk.saturating_add(1),
                            offset: 0,
                        };
                    }
                    return Ok(Some((c, next)));
                }
                None => {
                    pos = TextPos {
                        chunk: pos.chunk.saturating_add(1),
                        offset: 0,
                    };
                }
            }
        }
        Ok(None)
    }

    /// The byte at `pos`, if it is inside the text.
    fn byte_at(&mut self, art: &OpenArticle, pos: TextPos) -> Result<Option<u8>, Error> {
        if pos.chunk >= art.record.chunk_count {
            return Ok(None);
        }
        let (s, e) = self.load(art, pos.chunk)?;
        let text = self.window.get(s..e).unwrap_or(&[]);
        Ok(text.get(pos.offset as usize).copied())
    }

    /// The byte just before `pos`, `None` at the text's start.
    fn byte_before_pos(&mut self, art: &OpenArticle, pos: TextPos) -> Result<Option<u8>, Error> {
        match self.byte_before(art, pos)? {
            Some(p) => self.byte_at(art, p),
            None => Ok(None),
        }
    }

    /// The paragraph starting at `start`: its mark read from the window (a damaged mark reads
    /// as none: the paragraph is plain text, its control bytes drawn as nothing).
    fn para_from(&mut self, art: &OpenArticle, start: TextPos) -> Result<Para, Error> {
        let mut mark = Mark::default();
        if start.chunk < art.record.chunk_count {
            let (s, e) = self.load(art, start.chunk)?;
            let bytes = self
                .window
                .get(s.saturating_add(start.offset as usize)..e)
                .unwrap_or(&[]);
            mark = Mark::parse(bytes).unwrap_or_default();
        }
        let mut text = TextPos {
            chunk: start.chunk,
            offset: start.offset.saturating_add(u32::from(mark.len)),
        };
        // A mark that ends its chunk (a writer never cuts one) leaves the text in the next.
        if mark.len > 0 {
            let len = self
                .bundle
                .chunk(art.record.first_chunk.saturating_add(start.chunk))?
                .raw_len;
            if text.offset >= u32::from(len) {
                text = TextPos {
                    chunk: start.chunk.saturating_add(1),
                    offset: 0,
                };
            }
        }
        Ok(Para { start, text, mark })
    }

    /// The paragraph holding a line that starts at `start`, and whether the line is its first.
    fn para_at(&mut self, art: &OpenArticle, start: TextPos) -> Result<(Para, bool), Error> {
        if let Some((p, next, new)) = self.para {
            if next == start {
                return Ok(if new {
                    (self.para_from(art, start)?, true)
                } else {
                    (p, false)
                });
            }
        }
        let before = self.byte_before_pos(art, start)?;
        if before.is_none() || before == Some(b'\n') {
            return Ok((self.para_from(art, start)?, true));
        }
        let from = self.paragraph_start(art, start)?;
        if from > start {
            return Ok((Para::default(), false));
        }
        Ok((self.para_from(art, from)?, from == start))
    }

    /// Pixels a list or quote level is indented by: three digits' width, where "1. " ends, so
    /// that a nested list's labels stand under its parent item's text.
    pub fn indent_unit(&mut self) -> Result<u32, Error> {
        Ok(self.advance('0')?.saturating_mul(3).max(6))
    }

    /// Whether the text from `pos` reaches its cell's header end (`U+0004`) before the cell
    /// ends: a line ending there is all header. Looks at most a header's length ahead.
    fn in_label(&mut self, art: &OpenArticle, mut pos: TextPos) -> Result<bool, Error> {
        for _ in 0..=fieldpack_format::layout::MAX_LABEL_SCAN {
            let Some((c, next)) = self.char_at(art, pos)? else {
                return Ok(false);
            };
            match c {
                fieldpack_format::blocks::LABEL_END => return Ok(true),
                fieldpack_format::blocks::CELL | '\n' => return Ok(false),
                _ => pos = next,
            }
        }
        Ok(false)
    }

    /// The column widths a table row starting at `start` carries in its mark (read again where
    /// needed rather than carried in every line: a device's stack is small).
    pub fn columns_at(
        &mut self,
        art: &OpenArticle,
        start: TextPos,
    ) -> Result<Option<ColumnWidths>, Error> {
        if start.chunk >= art.record.chunk_count {
            return Ok(None);
        }
        let (s, e) = self.load(art, start.chunk)?;
        let bytes = self
            .window
            .get(s.saturating_add(start.offset as usize)..e)
            .unwrap_or(&[]);
        Ok(Mark::parse(bytes).ok().and_then(|m| m.columns(bytes)))
    }

    /// Width of a table's grid (its columns with one character cell between them), in pixels.
    pub fn grid_width(&mut self, columns: &ColumnWidths) -> Result<u32, Error> {
        let cell = self.advance('0')?.max(1);
        let cells: u32 = columns.as_slice().iter().map(|&w| u32::from(w)).sum();
        let gaps = columns.len().saturating_sub(1) as u32;
        Ok(cells.saturating_add(gaps).saturating_mul(cell))
    }

    /// Width of the text from `from` to `to`, each character's advance.
    pub fn span_width(
        &mut self,
        art: &OpenArticle,
        from: TextPos,
        to: TextPos,
    ) -> Result<u32, Error> {
        let mut w = 0u32;
        let mut pos = from;
        while pos < to {
            let Some((c, next)) = self.char_at(art, pos)? else {
                break;
            };
            w = w.saturating_add(self.advance(c)?);
            pos = next;
        }
        Ok(w)
    }

    /// The end of the paragraph holding `pos`: the line feed ending it (or the text's end),
    /// and the position after it.
    fn paragraph_end(
        &mut self,
        art: &OpenArticle,
        mut pos: TextPos,
    ) -> Result<(TextPos, TextPos, Break), Error> {
        for _ in 0..=art.record.raw_len {
            let Some((c, next)) = self.char_at(art, pos)? else {
                break;
            };
            if c == '\n' {
                return Ok((pos, next, Break::Paragraph));
            }
            pos = next;
        }
        Ok((pos, pos, Break::End))
    }

    /// Lays out the line starting at `start` in `max_width` pixels.
    pub fn line(
        &mut self,
        art: &OpenArticle,
        start: TextPos,
        max_width: u32,
    ) -> Result<Line, Error> {
        let (para, first) = self.para_at(art, start)?;
        let line = self.line_in(art, start, max_width, para, first)?;
        self.para = match line.brk {
            Break::End => None,
            brk => Some((para, line.next, brk == Break::Paragraph)),
        };
        Ok(line)
    }

    /// [`Typesetter::line`] in paragraph `para`.
    fn line_in(
        &mut self,
        art: &OpenArticle,
        start: TextPos,
        max_width: u32,
        para: Para,
        first: bool,
    ) -> Result<Line, Error> {
        let kind = para.mark.kind;
        let depth = u32::from(para.mark.depth.max(1));
        let mut block = LineBlock {
            kind,
            depth: para.mark.depth,
            first,
            mark_at: para.start,
            label_len: para.mark.label_len,
            ..LineBlock::default()
        };
        let text_start = if first { para.text } else { start };
        if kind.is_row() {
            let columns = self.columns_at(art, para.start)?;
            let grid = match &columns {
                Some(c) => self.grid_width(c)? <= max_width,
                None => false,
            };
            if grid || kind == BlockKind::HeaderRow {
                // A grid row is one line; a header row, when rows name their headers, none.
                let (draw_end, next, brk) = self.paragraph_end(art, text_start)?;
                block.grid = grid;
                block.hidden = !grid;
                let width = match &columns {
                    Some(c) if grid => self.grid_width(c)?,
                    _ => 0,
                };
                return Ok(Line {
                    start,
                    draw_end,
                    next,
                    brk,
                    width,
                    tall: false,
                    text: text_start,
                    block,
                });
            }
        }
        let unit = self.indent_unit()?;
        let cell_first = kind == BlockKind::Row
            && (first
                || self.byte_before_pos(art, start)? == Some(fieldpack_format::blocks::CELL as u8));
        let indent = match kind {
            BlockKind::Numbered => {
                let label_from = TextPos {
                    chunk: para.start.chunk,
                    offset: para.start.offset.saturating_add(LABEL_AT as u32),
                };
                let label_to = TextPos {
                    chunk: label_from.chunk,
                    offset: label_from
                        .offset
                        .saturating_add(u32::from(para.mark.label_len)),
                };
                let label = self.span_width(art, label_from, label_to)?;
                let own = unit
                    .saturating_mul(depth - 1)
                    .saturating_add(label)
                    .saturating_add(self.advance(' ')?);
                // Every line of the item starts where its first line's text does.
                own.max(unit.saturating_mul(depth))
            }
            BlockKind::Bullet | BlockKind::ItemText | BlockKind::Quote => {
                unit.saturating_mul(depth)
            }
            BlockKind::Pre | BlockKind::Caption => unit,
            BlockKind::Row if !cell_first => unit,
            _ => 0,
        };
        // Deep nesting on a narrow screen keeps half the line for text.
        let indent = indent.min(max_width / 2);
        block.indent = indent as u16;
        let right = if kind == BlockKind::Caption {
            unit.min(max_width / 4)
        } else {
            0
        };
        let max_width = max_width.saturating_sub(indent).saturating_sub(right);
        let row = kind == BlockKind::Row;
        let mut pos = text_start;
        let mut width = 0u32;
        let mut prev: Option<char> = None;
        // The latest place the line may end: (draw_end, next, break, width there).
        let mut last: Option<(TextPos, TextPos, Break, u32)> = None;
        let mut tall = false;
        let bound = art.record.raw_len.saturating_add(1);
        // Where the text is in the article and where its next level run starts (only for
        // articles with runs: most text has none and pays nothing).
        let has_runs = art.runs.len > 0;
        // Only a bundle with shaped words has words to look up.
        let has_words = self.bundle.has_shaped_words();
        let mut offset = if has_runs {
            self.offset_of(art, text_start)?
        } else {
            0
        };
        let mut run_end = if has_runs {
            self.run_at(art, offset)?.map_or(u32::MAX, |r| r.end)
        } else {
            u32::MAX
        };
        macro_rules! done {
            ($draw_end:expr, $next:expr, $brk:expr, $width:expr, $tall:expr) => {
                if row
                    && block.label_end.is_none()
                    && matches!($brk, Break::Space | Break::Soft | Break::Forced)
                    && self.in_label(art, $draw_end)?
                {
                    // A header wider than the line: this line is all header, drawn as one.
                    block.label_end = Some($draw_end);
                    block.label_width = u16::try_from($width).unwrap_or(u16::MAX);
                }
                return Ok(Line {
                    start,
                    draw_end: $draw_end,
                    next: $next,
                    brk: $brk,
                    width: $width,
                    tall: $tall,
                    text: text_start,
                    block,
                })
            };
        }
        for _ in 0..bound {
            // The end of the text ends the line (as the bound does: below).
            let Some((c, next)) = self.char_at(art, pos)? else {
                break;
            };
            let mut word_start =
                pos == text_start || matches!(prev, Some(' ' | '\n' | '\u{3}' | '\u{4}'));
            if has_runs && offset >= run_end {
                // A new run: a word ends here, and a line may break if the run says so.
                let run = self.run_at(art, offset)?;
                run_end = run.map_or(u32::MAX, |r| r.end);
                word_start = true;
                if run.is_some_and(|r| r.run.breakable) && pos != text_start && prev != Some(' ') {
                    last = Some((pos, pos, Break::Soft, width));
                }
            }
            if c == '\n' {
                done!(pos, next, Break::Paragraph, width, tall);
            }
            if row && c == fieldpack_format::blocks::CELL {
                done!(pos, next, Break::Cell, width, tall);
            }
            if row && c == fieldpack_format::blocks::LABEL_END && block.label_end.is_none() {
                // "header: value": the header's colon and space take room the value does not.
                block.label_end = Some(pos);
                if pos != text_start {
                    width = width
                        .saturating_add(self.advance(':')?)
                        .saturating_add(self.advance(' ')?);
                }
                block.label_width = u16::try_from(width).unwrap_or(u16::MAX);
                last = Some((pos, next, Break::Soft, width));
                pos = next;
                prev = Some(c);
                offset = offset.saturating_add(1);
                continue;
            }
            if c == ' ' {
                last = Some((pos, next, Break::Space, width));
                // A space may hang past the edge: it is never drawn at a line end. Saturating:
                // a hostile line of millions of spaces must not wrap the width around.
                width = width.saturating_add(self.advance(c)?);
                pos = next;
                prev = Some(c);
                offset = offset.saturating_add(1);
                continue;
            }
            if word_start && has_words {
                if let Some((word, end, len)) = self.word_at(art, pos)? {
                    // A shaped word is set whole, as the host shaped it.
                    let adv = u32::from(word.width(self.size_class()));
                    if width.saturating_add(adv) <= max_width || pos == text_start {
                        if width.saturating_add(adv) <= max_width {
                            width = width.saturating_add(adv);
                            pos = end;
                            offset = offset.saturating_add(len);
                            prev = Some('\u{0}');
                            continue;
                        }
                        // Wider than the line: its characters are set one by one below.
                    } else {
                        let (d, n, b, w, t) =
                            self.overflow(art, (text_start, pos), last, width, tall)?;
                        done!(d, n, b, w, t);
                    }
                }
            }
            if let Some(p) = prev {
                let cjk = is_wide_script(p) || is_wide_script(c);
                if cjk && p != ' ' && !no_break_before(c) && !no_break_after(p) {
                    last = Some((pos, pos, Break::Soft, width));
                }
            }
            let g = self.glyph(c)?;
            let adv = g.map_or(0, |g| u32::from(g.advance));
            if width.saturating_add(adv) > max_width && pos != text_start {
                let (d, n, b, w, t) = self.overflow(art, (text_start, pos), last, width, tall)?;
                done!(d, n, b, w, t);
            }
            tall |= g.is_some_and(|g| self.is_tall(&g));
            width = width.saturating_add(adv);
            // A line may end after a hyphen or dash, and after Ethiopic's word space and
            // punctuation, which stand where other scripts put a space (UAX #14 class BA).
            if matches!(
                c,
                '-' | '\u{2010}' | '\u{2013}' | '\u{2014}' | '/' | '\u{1361}'..='\u{1366}'
            ) && prev.is_some_and(|p| p.is_alphanumeric())
            {
                last = Some((next, next, Break::Soft, width));
            }
            pos = next;
            prev = Some(c);
            offset = offset.saturating_add(c.len_utf8() as u32);
        }
        // The end of the text; past `bound` steps (unreachable for well-formed text, as each
        // step consumes a character) a defensive stop.
        done!(pos, pos, Break::End, width, tall);
    }

    /// The line from `start` that ends because the text at `pos` does not fit: at the latest
    /// place it may break (`last`), else (a word longer than the line) just before `pos`.
    /// Gives its drawn end, the next line's start, the break, its width and tallness.
    fn overflow(
        &mut self,
        art: &OpenArticle,
        (start, pos): (TextPos, TextPos),
        last: Option<(TextPos, TextPos, Break, u32)>,
        width: u32,
        tall: bool,
    ) -> Result<(TextPos, TextPos, Break, u32, bool), Error> {
        if let Some((draw_end, next, brk, w)) = last.filter(|l| l.0 != start) {
            // Tallness of the part kept: recomputed, as glyphs past the break may differ.
            let tall = self.span_is_tall(art, start, draw_end)?;
            return Ok((draw_end, next, brk, w, tall));
        }
        Ok((pos, pos, Break::Forced, width, tall))
    }

    fn span_is_tall(
        &mut self,
        art: &OpenArticle,
        start: TextPos,
        end: TextPos,
    ) -> Result<bool, Error> {
        let mut pos = start;
        while pos < end {
            let Some((c, next)) = self.char_at(art, pos)? else {
                break;
            };
            if self.glyph(c)?.is_some_and(|g| self.is_tall(&g)) {
                return Ok(true);
            }
            pos = next;
        }
        Ok(false)
    }

    /// Where the page starting at `start` ends (the next page's start), for a text area of
    /// `width` x `height`, calling `each` for every line on it with the y its glyphs are drawn
    /// at (its top, less the compact box offset).
    pub fn page<F>(
        &mut self,
        art: &OpenArticle,
        start: TextPos,
        width: u32,
        height: u32,
        mut each: F,
    ) -> Result<TextPos, Error>
    where
        F: FnMut(&mut Self, &Line, i32) -> Result<(), Error>,
    {
        let mut y = 0u32;
        let mut pos = start;
        let mut lines = 0u32;
        loop {
            if self.char_at(art, pos)?.is_none() {
                return Ok(pos);
            }
            let line = self.line(art, pos, width)?;
            let (h, shift) = self.line_rows(&line);
            if lines > 0 && y.saturating_add(h) > height {
                return Ok(pos);
            }
            each(self, &line, (y as i32).saturating_sub(shift))?;
            lines += 1;
            y = y.saturating_add(h).saturating_add(self.gap_after(&line));
            if line.next == pos {
                // No progress is only possible at the very end; never loop forever.
                return Ok(line.next);
            }
            pos = line.next;
        }
    }

    /// Whether `pos` is at the end of the text.
    pub fn at_end(&mut self, art: &OpenArticle, pos: TextPos) -> Result<bool, Error> {
        Ok(self.char_at(art, pos)?.is_none())
    }

    /// The byte offset into the article's text of `pos`: the same text on every profile.
    pub fn text_offset(&mut self, art: &OpenArticle, pos: TextPos) -> Result<u32, Error> {
        let mut offset = 0u32;
        for c in 0..pos.chunk.min(art.record.chunk_count) {
            let rec = self
                .bundle
                .chunk(art.record.first_chunk.saturating_add(c))?;
            offset = offset.saturating_add(u32::from(rec.raw_len));
        }
        Ok(offset.saturating_add(pos.offset))
    }

    /// The text offsets a page from `start` to `end` (the next page's start) covers; a last page
    /// reaches past the text's end, so that a place at the very end is on it.
    pub fn span_offsets(
        &mut self,
        art: &OpenArticle,
        start: TextPos,
        end: TextPos,
    ) -> Result<(u32, u32), Error> {
        let from = self.text_offset(art, start)?;
        let to = if end == start {
            art.record.raw_len.saturating_add(1)
        } else {
            self.text_offset(art, end)?
        };
        Ok((from, to))
    }

    /// The position of byte `offset` of the article's text (its end, past the last byte).
    pub fn text_pos(&mut self, art: &OpenArticle, offset: u32) -> Result<TextPos, Error> {
        let mut rest = offset;
        for c in 0..art.record.chunk_count {
            let len = u32::from(
                self.bundle
                    .chunk(art.record.first_chunk.saturating_add(c))?
                    .raw_len,
            );
            if rest < len {
                return Ok(TextPos {
                    chunk: c,
                    offset: rest,
                });
            }
            rest -= len;
        }
        Ok(TextPos {
            chunk: art.record.chunk_count,
            offset: 0,
        })
    }
}

/// Most lines [`Typesetter::page_before`] keeps in hand: more than a page of text holds (the
/// tallest text area, 320x240's, holds about 16 lines of Latin text). A page of more, shorter
/// lines (an article of dots and dashes) turns back by this many lines.
const BACK_LINES: usize = 24;

/// Extra space between paragraphs for a line height.
pub const fn paragraph_gap(line_height: u32) -> u32 {
    let g = line_height / 4;
    if g < 2 {
        2
    } else {
        g
    }
}

/// Most page starts remembered per article; longer articles keep every 2nd, 4th, ... start.
pub const PAGE_TABLE_LEN: usize = 64;

/// Page starts of the open article, thinned out when the article is long, so that any page is
/// reached by laying out at most `stride - 1` pages from a remembered one.
#[derive(Clone, Debug, Default)]
pub struct PageTable {
    starts: heapless::Vec<TextPos, PAGE_TABLE_LEN>,
    stride: u32,
    /// Number of pages of the article.
    pub count: u32,
}

impl PageTable {
    /// Lays out the whole article once, counting pages and remembering their starts.
    pub fn build<S: Storage>(
        ts: &mut Typesetter<'_, S>,
        art: &OpenArticle,
        width: u32,
        height: u32,
    ) -> Result<Self, Error> {
        let mut t = PageTable {
            starts: heapless::Vec::new(),
            stride: 1,
            count: 0,
        };
        let mut pos = TextPos::default();
        // Each page consumes at least one character: the text length bounds the loop.
        for _ in 0..=art.record.raw_len {
            if t.count.is_multiple_of(t.stride) {
                if t.starts.is_full() {
                    // Keep every other start; the stride doubles.
                    let mut kept = heapless::Vec::new();
                    for (i, s) in t.starts.iter().enumerate() {
                        if i % 2 == 0 {
                            let _ = kept.push(*s);
                        }
                    }
                    t.starts = kept;
                    t.stride *= 2;
                }
                if t.count.is_multiple_of(t.stride) {
                    let _ = t.starts.push(pos);
                }
            }
            t.count = t.count.saturating_add(1);
            let next = ts.page(art, pos, width, height, |_, _, _| Ok(()))?;
            if next == pos || ts.at_end(art, next)? {
                break;
            }
            pos = next;
        }
        Ok(t)
    }

    /// The page (0-based) holding the text at `target`: the last page starting at or before
    /// it. Lays out at most `stride` pages from a remembered start.
    pub fn page_at<S: Storage>(
        &self,
        ts: &mut Typesetter<'_, S>,
        art: &OpenArticle,
        target: TextPos,
        width: u32,
        height: u32,
    ) -> Result<u32, Error> {
        let idx = self.starts.iter().rposition(|s| *s <= target).unwrap_or(0);
        let Some(&base) = self.starts.get(idx) else {
            return Ok(0);
        };
        let stride = self.stride.max(1);
        let mut page = (idx as u32).saturating_mul(stride);
        let mut pos = base;
        while page.saturating_add(1) < self.count {
            let next = ts.page(art, pos, width, height, |_, _, _| Ok(()))?;
            if next > target || next == pos {
                break;
            }
            page += 1;
            pos = next;
        }
        Ok(page)
    }

    /// Where page `n` (0-based) starts.
    pub fn start<S: Storage>(
        &self,
        ts: &mut Typesetter<'_, S>,
        art: &OpenArticle,
        n: u32,
        width: u32,
        height: u32,
    ) -> Result<TextPos, Error> {
        let stride = self.stride.max(1);
        let idx = (n / stride) as usize;
        let Some(&base) = self.starts.get(idx).or(self.starts.last()) else {
            return Ok(TextPos::default());
        };
        let mut pos = base;
        let first = (idx as u32).min(self.starts.len().saturating_sub(1) as u32) * stride;
        for _ in first..n {
            pos = ts.page(art, pos, width, height, |_, _, _| Ok(()))?;
        }
        Ok(pos)
    }
}
