//! Text the host typeset, set on the device: each article's bidi level runs and the words the
//! host shaped (SPEC.md, "Levels" and "Shapes"). A line is cut into pieces (a shaped word, or
//! characters of one level), the pieces are put in visual order by UAX #9's rule L2, and each is
//! drawn where that order puts it: shaped words glyph by glyph as stored, right-to-left pieces
//! character by character from the right with mirrored brackets.

use embedded_graphics::prelude::*;
use fieldpack_format::shaped::{
    is_shaped_script, word_hash, LevelRun, Word, MAX_WORD_LEN, SHAPED_CLASSES,
};
use fieldpack_format::{Error, Storage};

use crate::draw::DrawError;
use crate::layout::{decode_char, Line, OpenArticle, TextPos, Typesetter};

/// A level run and where the next one starts in the article's text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RunCursor {
    /// The runs it belongs to (which article).
    runs: fieldpack_format::Span,
    /// Its index.
    index: u32,
    /// The run.
    pub run: LevelRun,
    /// Where the next run starts (the text's end for the last).
    pub end: u32,
}

/// Words remembered by [`WordCache`].
const WORD_CACHE_SLOTS: usize = 8;

/// A small direct-mapped cache of shaped-word lookups by the hash of their text, found or not.
/// Hashes tell words apart exactly here: a writer makes sure no two words a reader looks up in a
/// bundle share one (SPEC.md, Shapes).
#[derive(Clone, Copy)]
pub struct WordCache {
    slots: [Option<(u32, Option<Word>)>; WORD_CACHE_SLOTS],
}

impl WordCache {
    /// An empty cache.
    pub const fn new() -> Self {
        WordCache {
            slots: [None; WORD_CACHE_SLOTS],
        }
    }
}

impl Default for WordCache {
    fn default() -> Self {
        Self::new()
    }
}

/// Most pieces a line is cut into for ordering; the rest of a line with more is one piece.
const MAX_PIECES: usize = 24;

/// The character drawn for `c` in right-to-left text (UAX #9 rule L4, the brackets of
/// Unicode's mirroring list that the bundle's fonts draw).
pub fn mirrored(c: char) -> char {
    match c {
        '(' => ')',
        ')' => '(',
        '[' => ']',
        ']' => '[',
        '{' => '}',
        '}' => '{',
        '<' => '>',
        '>' => '<',
        '«' => '»',
        '»' => '«',
        '‹' => '›',
        '›' => '‹',
        _ => c,
    }
}

/// One piece of a line: to `end`, at one level, `width` pixels, a shaped word or characters.
#[derive(Clone, Copy)]
struct Piece {
    end: TextPos,
    level: u8,
    width: u32,
    word: Option<Word>,
}

impl<S: Storage> Typesetter<'_, S> {
    /// The byte offset of `pos` in the article's text, remembering the chunk's offset so that
    /// reading on through a chunk costs nothing.
    pub(crate) fn offset_of(&mut self, art: &OpenArticle, pos: TextPos) -> Result<u32, Error> {
        let abs = art.record.first_chunk.saturating_add(pos.chunk);
        let base = match self.base {
            Some((c, b)) if c == abs => b,
            Some((c, b)) if c.checked_add(1) == Some(abs) && abs > art.record.first_chunk => {
                let len = u32::from(self.bundle.chunk(c)?.raw_len);
                b.saturating_add(len)
            }
            _ => self.text_offset(
                art,
                TextPos {
                    chunk: pos.chunk,
                    offset: 0,
                },
            )?,
        };
        self.base = Some((abs, base));
        Ok(base.saturating_add(pos.offset))
    }

    /// The level run holding text byte `offset` of the open article, if it has runs.
    pub(crate) fn run_at(
        &mut self,
        art: &OpenArticle,
        offset: u32,
    ) -> Result<Option<RunCursor>, Error> {
        if art.runs.len == 0 {
            return Ok(None);
        }
        if let Some(c) = self.run {
            if c.runs == art.runs && c.run.offset <= offset && offset < c.end {
                return Ok(Some(c));
            }
        }
        let count = art.runs.len / fieldpack_format::shaped::RUN_LEN as u32;
        // Text is read forwards: the run after the last one is the likely one (Thai has a run
        // a word), found with two reads instead of a binary search.
        let index = match self.run {
            Some(c)
                if c.runs == art.runs && c.end <= offset && c.index.saturating_add(1) < count =>
            {
                let next = c.index + 1;
                let after = next.saturating_add(1);
                if after >= count || self.bundle.level_run(art.runs, after)?.offset > offset {
                    next
                } else {
                    self.bundle.run_index_at(art.runs, offset)?
                }
            }
            _ => self.bundle.run_index_at(art.runs, offset)?,
        };
        let run = self.bundle.level_run(art.runs, index)?;
        let end = if index.saturating_add(1) < count {
            self.bundle
                .level_run(art.runs, index + 1)?
                .offset
                .max(run.offset.saturating_add(1))
        } else {
            u32::MAX
        };
        let c = RunCursor {
            runs: art.runs,
            index,
            run,
            end,
        };
        self.run = Some(c);
        Ok(Some(c))
    }

    /// The shaped word starting at `pos`, where it ends and its length in bytes: the text up to
    /// the next space, line feed or run start, when it holds a shaped script and the bundle has
    /// it.
    pub(crate) fn word_at(
        &mut self,
        art: &OpenArticle,
        pos: TextPos,
    ) -> Result<Option<(Word, TextPos, u32)>, Error> {
        let limit = if art.runs.len > 0 {
            let offset = self.offset_of(art, pos)?;
            self.run_at(art, offset)?
                .map_or(u32::MAX, |r| r.end.saturating_sub(offset))
        } else {
            u32::MAX
        };
        if self.char_at(art, pos)?.is_none() {
            return Ok(None);
        }
        let Some((_, s, e)) = self.loaded_range() else {
            return Ok(None);
        };
        let text = self.window.get(s..e).unwrap_or(&[]);
        let from = pos.offset as usize;
        let rest = text.get(from..).unwrap_or(&[]);
        let max = rest
            .len()
            .min(MAX_WORD_LEN.saturating_add(1))
            .min(limit as usize);
        let len = rest
            .get(..max)
            .unwrap_or(&[])
            .iter()
            .position(|&b| b == b' ' || b == b'\n')
            .unwrap_or(max);
        let word = rest.get(..len).unwrap_or(&[]);
        if word.is_empty() || word.len() > MAX_WORD_LEN || !holds_shaped_script(word) {
            return Ok(None);
        }
        let hash = word_hash(word);
        let text_len = text.len();
        let Some(found) = self.lookup_hash(hash)? else {
            return Ok(None);
        };
        let end_offset = pos.offset.saturating_add(len as u32);
        let end = if end_offset as usize >= text_len {
            TextPos {
                chunk: pos.chunk.saturating_add(1),
                offset: 0,
            }
        } else {
            TextPos {
                chunk: pos.chunk,
                offset: end_offset,
            }
        };
        Ok(Some((found, end, len as u32)))
    }

    /// The next piece of a line from `pos` (before `end`); `rest` makes it run to `end`.
    fn piece(
        &mut self,
        art: &OpenArticle,
        pos: TextPos,
        end: TextPos,
        rest: bool,
    ) -> Result<Piece, Error> {
        let mut offset = self.offset_of(art, pos)?;
        let run = self.run_at(art, offset)?;
        let level = run.map_or(u8::from(art.rtl), |r| r.run.level);
        let run_end = run.map_or(u32::MAX, |r| r.end);
        if !rest {
            if let Some((word, wend, _)) = self.word_at(art, pos)? {
                if wend <= end {
                    return Ok(Piece {
                        end: wend,
                        level,
                        width: u32::from(word.width(self.size_class())),
                        word: Some(word),
                    });
                }
            }
        }
        let mut p = pos;
        let mut width = 0u32;
        let mut after_space = false;
        while p < end {
            if p != pos && !rest {
                if offset >= run_end {
                    break;
                }
                if after_space && self.word_at(art, p)?.is_some() {
                    break;
                }
            }
            let Some((c, next)) = self.char_at(art, p)? else {
                break;
            };
            width = width.saturating_add(self.advance(c)?);
            after_space = c == ' ';
            offset = offset.saturating_add(c.len_utf8() as u32);
            p = next;
        }
        Ok(Piece {
            end: p,
            level,
            width,
            word: None,
        })
    }

    /// Whether a line needs pieces (levels or shaped words) rather than one left-to-right walk.
    fn needs_pieces(&self, art: &OpenArticle) -> bool {
        art.runs.len > 0 || art.rtl || self.bundle.has_shaped_words()
    }

    /// Draws a laid-out line of article text in a column `x..x + width`: right-aligned in a
    /// right-to-left paragraph, its pieces in the order UAX #9 gives.
    #[allow(clippy::too_many_arguments)]
    pub fn draw_line<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        art: &OpenArticle,
        line: &Line,
        x: i32,
        width: u32,
        top: i32,
        color: C,
    ) -> Result<(), DrawError<D::Error>> {
        if !self.needs_pieces(art) {
            // All left to right, nothing shaped: the characters in order.
            return self.draw_chars(
                target,
                art,
                (line.start, line.draw_end),
                false,
                x,
                line.width,
                top,
                color,
            );
        }
        self.draw_line_pieces(target, art, line, (x, width), top, color)
    }

    /// [`Typesetter::draw_line`] for a line of pieces: apart, so that the plain walk above does
    /// not carry this one's arrays on a device's stack.
    #[inline(never)]
    fn draw_line_pieces<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        art: &OpenArticle,
        line: &Line,
        (x, width): (i32, u32),
        top: i32,
        color: C,
    ) -> Result<(), DrawError<D::Error>> {
        let start_offset = self.offset_of(art, line.start)?;
        let rtl_paragraph = self
            .run_at(art, start_offset)?
            .map_or(art.rtl, |r| r.run.rtl_paragraph);
        let x0 = if rtl_paragraph {
            x.saturating_add(width.saturating_sub(line.width) as i32)
        } else {
            x
        };
        // First pass: the pieces' widths and levels.
        // Pixels fit 16 bits: a piece is at most a line wide (saturating below for a forged one).
        let mut widths = [0u16; MAX_PIECES];
        let mut levels = [0u8; MAX_PIECES];
        let mut n = 0usize;
        let mut pos = line.start;
        while pos < line.draw_end && n < MAX_PIECES {
            let p = self.piece(art, pos, line.draw_end, n + 1 == MAX_PIECES)?;
            if let (Some(w), Some(l)) = (widths.get_mut(n), levels.get_mut(n)) {
                *w = u16::try_from(p.width).unwrap_or(u16::MAX);
                *l = p.level;
            }
            n += 1;
            if p.end <= pos {
                break;
            }
            pos = p.end;
        }
        // Visual order (UAX #9 L2): from the highest level down to the lowest odd one, each
        // maximal sequence of pieces at that level or higher is reversed.
        let mut order = [0u8; MAX_PIECES];
        for (i, o) in order.iter_mut().enumerate() {
            *o = i as u8;
        }
        let order = order.get_mut(..n).unwrap_or(&mut []);
        let levels_used = levels.get(..n).unwrap_or(&[]);
        let highest = levels_used.iter().copied().max().unwrap_or(0);
        let lowest_odd = levels_used
            .iter()
            .copied()
            .filter(|l| l % 2 == 1)
            .min()
            .unwrap_or(highest.saturating_add(1));
        let mut k = highest;
        while k >= lowest_odd && k > 0 {
            let mut i = 0;
            while i < order.len() {
                let at = |j: usize| {
                    order
                        .get(j)
                        .and_then(|&o| levels.get(usize::from(o)))
                        .copied()
                        .unwrap_or(0)
                };
                if at(i) >= k {
                    let mut j = i;
                    while j < order.len() && at(j) >= k {
                        j += 1;
                    }
                    if let Some(seq) = order.get_mut(i..j) {
                        seq.reverse();
                    }
                    i = j;
                } else {
                    i += 1;
                }
            }
            k -= 1;
        }
        // Each piece's left edge, from the line's start (x0), in the visual order.
        let mut xs = [0u16; MAX_PIECES];
        let mut pen = 0u16;
        for &o in order.iter() {
            let o = usize::from(o);
            if let Some(slot) = xs.get_mut(o) {
                *slot = pen;
            }
            pen = pen.saturating_add(widths.get(o).copied().unwrap_or(0));
        }
        // Second pass: the same pieces, each drawn where the order put it.
        let mut pos = line.start;
        let mut i = 0usize;
        while pos < line.draw_end && i < n {
            let p = self.piece(art, pos, line.draw_end, i + 1 == MAX_PIECES)?;
            let at = x0.saturating_add(i32::from(xs.get(i).copied().unwrap_or(0)));
            if let Some(word) = p.word {
                self.draw_word(target, &word, at, top, color)?;
            } else {
                self.draw_chars(
                    target,
                    art,
                    (pos, p.end),
                    p.level % 2 == 1,
                    at,
                    p.width,
                    top,
                    color,
                )?;
            }
            i += 1;
            if p.end <= pos {
                break;
            }
            pos = p.end;
        }
        Ok(())
    }

    /// Draws a shaped word with its left edge at `x`: each glyph at the sum of the advances
    /// before it, moved by its offsets (SPEC.md, "Shapes").
    pub fn draw_word<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        word: &Word,
        x: i32,
        top: i32,
        color: C,
    ) -> Result<(), DrawError<D::Error>> {
        let class = usize::from(self.size_class()).min(SHAPED_CLASSES - 1);
        let mut at = word.first_glyph();
        let mut pen = x;
        for _ in 0..word.record.glyph_count {
            let g = self.bundle.next_shaped_glyph(word, &mut at)?;
            let (dx, dy) = g.offset.get(class).copied().unwrap_or((0, 0));
            let rec = self.glyph_by_key(g.key)?;
            if let Some(rec) = rec {
                self.draw_glyph(
                    target,
                    &rec,
                    pen.saturating_add(i32::from(dx)),
                    top.saturating_add(i32::from(dy)),
                    color,
                )?;
            }
            let advance = match g.advance {
                Some(a) => i32::from(a.get(class).copied().unwrap_or(0)),
                None => rec.map_or(0, |r| i32::from(r.advance)),
            };
            pen = pen.saturating_add(advance);
        }
        Ok(())
    }

    /// Draws the characters of `span` from `x`, or right to left from `x + width` with
    /// mirrored brackets.
    #[allow(clippy::too_many_arguments)]
    fn draw_chars<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        art: &OpenArticle,
        span: (TextPos, TextPos),
        rtl: bool,
        x: i32,
        width: u32,
        top: i32,
        color: C,
    ) -> Result<(), DrawError<D::Error>> {
        let (mut pos, end) = span;
        let mut pen = if rtl {
            x.saturating_add(width as i32)
        } else {
            x
        };
        while pos < end {
            let Some((c, next)) = self.char_at(art, pos)? else {
                break;
            };
            let c = if rtl { mirrored(c) } else { c };
            if let Some(g) = self.glyph(c)? {
                // Saturating: a hostile line of millions of spaces runs the pen off the screen,
                // never around the integer.
                if rtl {
                    pen = pen.saturating_sub(i32::from(g.advance));
                    self.draw_glyph(target, &g, pen, top, color)?;
                } else {
                    let adv = self.draw_glyph(target, &g, pen, top, color)?;
                    pen = pen.saturating_add(adv as i32);
                }
            }
            pos = next;
        }
        Ok(())
    }

    /// The shaped word that is `word`, if it holds a shaped script and the bundle has it.
    pub fn shaped(&mut self, word: &str) -> Result<Option<Word>, Error> {
        if word.is_empty() || !holds_shaped_script(word.as_bytes()) {
            return Ok(None);
        }
        self.lookup_word(word.as_bytes())
    }

    /// The shaped word `text`, through the cache.
    fn lookup_word(&mut self, text: &[u8]) -> Result<Option<Word>, Error> {
        if text.is_empty() || text.len() > MAX_WORD_LEN {
            return Ok(None);
        }
        self.lookup_hash(word_hash(text))
    }

    /// The shaped word whose text has `hash`, through the cache. Not inlined: the search's
    /// buffers are on a device's stack only while it searches.
    #[inline(never)]
    fn lookup_hash(&mut self, hash: u32) -> Result<Option<Word>, Error> {
        let slot = (hash as usize) % WORD_CACHE_SLOTS;
        if let Some(Some((h, w))) = self.words.slots.get(slot) {
            if *h == hash {
                return Ok(*w);
            }
        }
        let found = self.bundle.shaped_word_by_hash(hash)?;
        if let Some(s) = self.words.slots.get_mut(slot) {
            *s = Some((hash, found));
        }
        Ok(found)
    }
}

/// Whether UTF-8 text holds a character of a shaped script (a cheap look at lead bytes first:
/// all of them encode as two or three bytes from 0xD6).
fn holds_shaped_script(text: &[u8]) -> bool {
    let mut at = 0usize;
    while let Some(rest) = text.get(at..) {
        let Some(&b) = rest.first() else {
            return false;
        };
        if b < 0xD6 {
            at += 1;
            continue;
        }
        match decode_char(rest) {
            Some((c, len)) => {
                if is_shaped_script(c) {
                    return true;
                }
                at += len;
            }
            None => at += 1,
        }
    }
    false
}
