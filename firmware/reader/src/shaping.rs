//! Text the host typeset, set on the device: each article's bidi level runs and the words the
//! host shaped (SPEC.md, "Levels" and "Shapes"). A line is cut into pieces (a shaped word, or
//! characters of one level), the pieces are put in visual order by UAX #9's rule L2, and each is
//! drawn where that order puts it: shaped words glyph by glyph as stored, right-to-left pieces
//! character by character from the right with mirrored brackets.

use embedded_graphics::prelude::*;
use fieldpack_format::shaped::{
    is_shaped_script, positions_of, word_hash, LevelRun, Word, MAX_WORD_LEN,
};
use fieldpack_format::{Error, Storage};

use crate::draw::DrawError;
use crate::draw::{fill, Ink, Pass};
use crate::layout::{decode_char, Break, Line, OpenArticle, TextPos, Typesetter};
use embedded_graphics::primitives::Rectangle;
use fieldpack_format::blocks::{BlockKind, CELL, LABEL_AT, LABEL_END};

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
    /// right-to-left paragraph, its pieces in the order UAX #9 gives; set as its block is
    /// (indented, a numbered item's label or a bullet beside its first line, quote bars, a
    /// heading in bold with a rule under a level 1 or 2, a table row in columns or as
    /// "header: value").
    #[allow(clippy::too_many_arguments)]
    pub fn draw_line<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        art: &OpenArticle,
        line: &Line,
        x: i32,
        width: u32,
        top: i32,
        ink: Ink<C>,
    ) -> Result<(), DrawError<D::Error>> {
        let b = line.block;
        if b.hidden {
            return Ok(());
        }
        // The rows its text takes (below any room a heading keeps above it).
        let (h, shift) = self.line_box(line);
        let box_top = top.saturating_add(shift);
        let unit = self.indent_unit()?;
        let rtl = art.rtl;
        let place = |from: u32, w: u32| from_start_edge(rtl, (x, width), from, w);
        let indent = u32::from(b.indent);
        let gap = self.gap_after(line);
        self.draw_block_marks(target, art, line, (x, width), (box_top, h), ink)?;
        if b.grid {
            return self.draw_grid_row(target, art, line, (x, width), top, (box_top, h), ink);
        }
        let right = if b.kind == BlockKind::Caption {
            unit.min(width / 4)
        } else {
            0
        };
        let avail = width.saturating_sub(indent).saturating_sub(right);
        let mut text_from = line.text;
        let mut text_width = line.width;
        let mut text_x = indent;
        if let Some(end) = b.label_end {
            // "header: value": the header in bold, its colon, then the value.
            let label_w = self.span_width(art, line.text, end)?;
            let colon = self.advance(':')?;
            let at = place(indent, label_w);
            self.in_bold(ink, |ts, dx, ink| {
                ts.draw_chars(
                    target,
                    art,
                    (line.text, end),
                    false,
                    at + dx,
                    label_w,
                    top,
                    ink,
                )
            })?;
            let colon_here = self.char_at(art, end)?.is_some_and(|(c, _)| c == LABEL_END);
            if end > line.text && colon_here {
                if let Some(g) = self.glyph(':')? {
                    let cx = if rtl {
                        at.saturating_sub(colon as i32)
                    } else {
                        at.saturating_add(label_w as i32).saturating_add(1)
                    };
                    self.draw_glyph(target, &g, cx, top, ink)?;
                }
            }
            text_from = if colon_here {
                self.char_at(art, end)?
                    .map_or(line.draw_end, |(_, next)| next)
            } else {
                line.draw_end
            };
            let label = u32::from(b.label_width);
            text_width = text_width.saturating_sub(label);
            text_x = indent.saturating_add(label);
        }
        let avail_text = avail.saturating_sub(text_x - indent);
        let tx = if rtl {
            x.saturating_add(right as i32)
        } else {
            x.saturating_add(text_x as i32)
        };
        let span = (text_from, line.draw_end, text_width);
        let bold = b.kind == BlockKind::Heading;
        if bold {
            self.in_bold(ink, |ts, dx, ink| {
                ts.draw_text(target, art, span, tx + dx, avail_text, top, ink)
            })?;
        } else {
            self.draw_text(target, art, span, tx, avail_text, top, ink)?;
        }
        if bold && b.depth <= 2 && matches!(line.brk, Break::Paragraph | Break::End) {
            // A rule under a level 1 heading across the column, under a level 2 one its text.
            let w = if b.depth == 1 {
                width
            } else {
                line.width.saturating_add(1).min(width)
            };
            let y = box_top
                .saturating_add(h as i32)
                .saturating_add((gap / 2) as i32);
            fill(target, place(0, w), y, w, 1, ink.full)?;
        }
        Ok(())
    }

    /// Draws what stands beside a line's text: a numbered item's label, a bullet, quote bars,
    /// the dotted rule of preformatted text. Apart (never inlined), for a device's stack.
    #[inline(never)]
    fn draw_block_marks<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        art: &OpenArticle,
        line: &Line,
        (x, width): (i32, u32),
        (box_top, h): (i32, u32),
        ink: Ink<C>,
    ) -> Result<(), DrawError<D::Error>> {
        let b = line.block;
        let unit = self.indent_unit()?;
        let rtl = art.rtl;
        let place = |from: u32, w: u32| from_start_edge(rtl, (x, width), from, w);
        let depth = u32::from(b.depth.max(1));
        let indent = u32::from(b.indent);
        let gap = self.gap_after(line);
        let top = box_top.saturating_sub(self.line_box(line).1);
        match b.kind {
            BlockKind::Numbered if b.first => {
                let from = TextPos {
                    chunk: b.mark_at.chunk,
                    offset: b.mark_at.offset.saturating_add(LABEL_AT as u32),
                };
                let to = TextPos {
                    chunk: from.chunk,
                    offset: from.offset.saturating_add(u32::from(b.label_len)),
                };
                let w = self.span_width(art, from, to)?;
                let at = place(unit.saturating_mul(depth - 1).min(width / 2), w);
                self.draw_chars(target, art, (from, to), false, at, w, top, ink)?;
            }
            BlockKind::Bullet if b.first => {
                let size = (h / 4).clamp(2, 5);
                let from = unit
                    .saturating_mul(depth - 1)
                    .min(width / 2)
                    .saturating_add(unit.saturating_sub(size) / 2);
                let at = place(from, size);
                let y = box_top.saturating_add((h.saturating_sub(size) / 2) as i32);
                fill(target, at, y, size, size, ink.full)?;
            }
            BlockKind::Quote => {
                // A bar a level, through the gap below, so a quote's bars join.
                for k in 0..depth {
                    let from = unit.saturating_mul(k).saturating_add(unit / 4);
                    if from >= indent {
                        break;
                    }
                    let at = place(from, 2);
                    fill(target, at, box_top, 2, h.saturating_add(gap), ink.full)?;
                }
            }
            BlockKind::Pre => {
                // A dotted rule beside preformatted text.
                let at = place(unit / 3, 1);
                let mut y = 0;
                while y < h.saturating_add(gap) {
                    fill(target, at, box_top.saturating_add(y as i32), 1, 1, ink.full)?;
                    y += 2;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// Draws a table row as a grid row: each cell's value in its column, cut at the column's
    /// edge; a header row in bold with a rule under it. Apart (never inlined), so that its
    /// locals do not weigh on every line's stack on a device.
    #[allow(clippy::too_many_arguments)]
    #[inline(never)]
    fn draw_grid_row<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        art: &OpenArticle,
        line: &Line,
        (x, width): (i32, u32),
        top: i32,
        (box_top, h): (i32, u32),
        ink: Ink<C>,
    ) -> Result<(), DrawError<D::Error>> {
        let Some(columns) = self.columns_at(art, line.block.mark_at)? else {
            return Ok(());
        };
        let cell = self.advance('0')?.max(1);
        let header = line.block.kind == BlockKind::HeaderRow;
        let rtl = art.rtl;
        let mut pos = line.text;
        let mut from = 0u32;
        for &w in columns.as_slice() {
            let col = u32::from(w).saturating_mul(cell);
            // The cell: up to the next cell separator or the row's end.
            let start = pos;
            let mut value = start;
            let mut end = line.draw_end;
            while pos < line.draw_end {
                let Some((c, next)) = self.char_at(art, pos)? else {
                    break;
                };
                if c == CELL {
                    end = pos;
                    pos = next;
                    break;
                }
                if c == LABEL_END && value == start {
                    value = next;
                }
                pos = next;
                end = pos;
            }
            let w = self.span_width(art, value, end)?.min(col);
            let cx = from_start_edge(rtl, (x, width), from, col);
            let clip = Rectangle::new(
                Point::new(cx, box_top.saturating_sub(h as i32)),
                Size::new(col, h.saturating_mul(3)),
            );
            let mut clipped = target.clipped(&clip);
            let span = (value, end, w);
            if header {
                self.in_bold(ink, |ts, dx, ink| {
                    ts.draw_text(&mut clipped, art, span, cx + dx, col, top, ink)
                })?;
            } else {
                self.draw_text(&mut clipped, art, span, cx, col, top, ink)?;
            }
            from = from.saturating_add(col).saturating_add(cell);
            if pos >= line.draw_end && end >= line.draw_end {
                break;
            }
        }
        if header {
            let w = line.width.min(width);
            let at = if rtl {
                x.saturating_add(width.saturating_sub(w) as i32)
            } else {
                x
            };
            fill(target, at, box_top.saturating_add(h as i32), w, 1, ink.full)?;
        }
        Ok(())
    }

    /// Draws the text of `span` (from, to, its width) in a column `x..x + width`.
    #[allow(clippy::too_many_arguments)]
    fn draw_text<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        art: &OpenArticle,
        span: (TextPos, TextPos, u32),
        x: i32,
        width: u32,
        top: i32,
        ink: Ink<C>,
    ) -> Result<(), DrawError<D::Error>> {
        if !self.needs_pieces(art) {
            // All left to right, nothing shaped: the characters in order.
            return self.draw_chars(target, art, (span.0, span.1), false, x, span.2, top, ink);
        }
        self.draw_line_pieces(target, art, span, (x, width), top, ink)
    }

    /// [`Typesetter::draw_line`] for a line of pieces: apart, so that the plain walk above does
    /// not carry this one's arrays on a device's stack.
    #[inline(never)]
    fn draw_line_pieces<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        art: &OpenArticle,
        (from, to, line_width): (TextPos, TextPos, u32),
        (x, width): (i32, u32),
        top: i32,
        ink: Ink<C>,
    ) -> Result<(), DrawError<D::Error>> {
        let start_offset = self.offset_of(art, from)?;
        let rtl_paragraph = self
            .run_at(art, start_offset)?
            .map_or(art.rtl, |r| r.run.rtl_paragraph);
        let x0 = if rtl_paragraph {
            x.saturating_add(width.saturating_sub(line_width) as i32)
        } else {
            x
        };
        // First pass: the pieces' widths and levels.
        // Pixels fit 16 bits: a piece is at most a line wide (saturating below for a forged one).
        let mut widths = [0u16; MAX_PIECES];
        let mut levels = [0u8; MAX_PIECES];
        let mut n = 0usize;
        let mut pos = from;
        while pos < to && n < MAX_PIECES {
            let p = self.piece(art, pos, to, n + 1 == MAX_PIECES)?;
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
        let mut pos = from;
        let mut i = 0usize;
        while pos < to && i < n {
            let p = self.piece(art, pos, to, i + 1 == MAX_PIECES)?;
            let at = x0.saturating_add(i32::from(xs.get(i).copied().unwrap_or(0)));
            if let Some(word) = p.word {
                self.draw_word(target, &word, at, top, ink)?;
            } else {
                self.draw_chars(
                    target,
                    art,
                    (pos, p.end),
                    p.level % 2 == 1,
                    at,
                    p.width,
                    top,
                    ink,
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
        ink: Ink<C>,
    ) -> Result<(), DrawError<D::Error>> {
        if ink.pass == Pass::All && self.smooth() {
            // Marks and joins overlap their neighbours: every edge first, then every ink.
            self.draw_word(target, word, x, top, ink.in_pass(Pass::Edges))?;
            return self.draw_word(target, word, x, top, ink.in_pass(Pass::Full));
        }
        let class = positions_of(self.size_class());
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
                    ink,
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
        ink: Ink<C>,
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
                    self.draw_glyph(target, &g, pen, top, ink)?;
                } else {
                    let adv = self.draw_glyph(target, &g, pen, top, ink)?;
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
/// Where a span `w` pixels wide starts when it lies `from` pixels from the start edge of the
/// column `x..x + width`: the left edge, or the right one in a right-to-left article.
fn from_start_edge(rtl: bool, (x, width): (i32, u32), from: u32, w: u32) -> i32 {
    if rtl {
        x.saturating_add(width.saturating_sub(from).saturating_sub(w) as i32)
    } else {
        x.saturating_add(from.min(width) as i32)
    }
}

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
