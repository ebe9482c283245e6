//! Shaping on the host: bidi level runs (UAX #9, `unicode-bidi`), word boundaries of scripts
//! written without spaces (UAX #14 with dictionaries, `icu_segmenter`), and words shaped with
//! HarfBuzz's algorithm (`rustybuzz`) in the Noto fonts, rasterised (`fontdue`) into the strikes.
//! A device draws the stored result (SPEC.md, "Levels" and "Shapes").

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use anyhow::{anyhow, Result};
use fieldpack_format::crc::Crc32;
use fieldpack_format::shaped::{
    is_shaped_script, positions_of, shaped_key, word_hash, LevelRun, ShapedGlyph, WordRecord,
    MAX_LEVEL, MAX_RUN_OFFSET, MAX_WORD_LEN, SHAPED_CLASSES, SHAPED_KEY, WORD_RECORD_LEN,
};
use unicode_bidi::{BidiInfo, Level};

use crate::glyphs::FontGlyph;

/// Pixels per em of the outline fonts in each position set ([`positions_of`]): the bitmap
/// fonts' sizes (13 and 16), and 20 for the larger smooth strike.
pub const CLASS_PX: [i32; SHAPED_CLASSES] = [13, 16, 20];

/// Coverage at or above which a pixel of a rasterised outline is ink (of 255): a little under
/// half, so that the thin strokes of Arabic and Thai at 13 pixels do not vanish.
const INK_THRESHOLD: u8 = 100;

/// One shaping font: its file, the scripts it shapes, its parsed faces.
pub struct ShapingFont {
    /// Its name, for reports and the shaping test.
    pub name: &'static str,
    /// Its file under `assets/fonts/`.
    pub file: &'static str,
    /// The OpenType script HarfBuzz shapes its words as.
    pub script: rustybuzz::Script,
    /// That script's ISO 15924 code (`Arab`, `Deva`, ...), as `hb-shape --script` takes it.
    pub script_code: &'static str,
    /// That script's name, for reports.
    pub script_name: &'static str,
    /// Whether it shapes words (else it only draws characters on their own: Ethiopic).
    pub shapes: bool,
    /// Whether its script is written right to left.
    pub rtl: bool,
    face: rustybuzz::Face<'static>,
    raster: fontdue::Font,
}

impl ShapingFont {
    /// Its units per em.
    pub fn units_per_em(&self) -> i32 {
        self.face.units_per_em()
    }

    /// Whether the font has a glyph for `c`.
    pub fn covers(&self, c: char) -> bool {
        self.face.glyph_index(c).is_some()
    }

    /// The glyph id the font's character map gives `c`.
    pub fn glyph_of(&self, c: char) -> Option<u16> {
        self.face.glyph_index(c).map(|g| g.0)
    }

    /// A glyph's own advance (its horizontal metrics), font units.
    pub fn advance_of(&self, gid: u16) -> i32 {
        self.face
            .glyph_hor_advance(rustybuzz::ttf_parser::GlyphId(gid))
            .map_or(0, i32::from)
    }
}

/// A shaping font's file: name, file name, bytes, ISO 15924 script, right to left.
type FontFile = (&'static str, &'static str, &'static [u8], [u8; 4], bool);

/// The shaping fonts in key order: a shaped glyph's key names its font by this index.
const FONT_FILES: [FontFile; 12] = [
    (
        "Noto Sans Arabic",
        "NotoSansArabic-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansArabic-Regular.ttf"),
        *b"Arab",
        true,
    ),
    (
        "Noto Sans Hebrew",
        "NotoSansHebrew-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansHebrew-Regular.ttf"),
        *b"Hebr",
        true,
    ),
    (
        "Noto Sans Devanagari",
        "NotoSansDevanagari-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansDevanagari-Regular.ttf"),
        *b"Deva",
        false,
    ),
    (
        "Noto Sans Bengali",
        "NotoSansBengali-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansBengali-Regular.ttf"),
        *b"Beng",
        false,
    ),
    (
        "Noto Sans Thai",
        "NotoSansThai-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansThai-Regular.ttf"),
        *b"Thai",
        false,
    ),
    (
        "Noto Sans Tamil",
        "NotoSansTamil-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansTamil-Regular.ttf"),
        *b"Taml",
        false,
    ),
    (
        "Noto Sans Khmer",
        "NotoSansKhmer-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansKhmer-Regular.ttf"),
        *b"Khmr",
        false,
    ),
    (
        "Noto Sans Myanmar",
        "NotoSansMyanmar-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansMyanmar-Regular.ttf"),
        *b"Mymr",
        false,
    ),
    (
        "Noto Sans Gurmukhi",
        "NotoSansGurmukhi-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansGurmukhi-Regular.ttf"),
        *b"Guru",
        false,
    ),
    (
        "Noto Sans Lao",
        "NotoSansLao-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansLao-Regular.ttf"),
        *b"Laoo",
        false,
    ),
    // Not a shaping font: Ethiopic syllables stand alone, but Unifont's are drawn in 16-pixel
    // cells with wide gaps; this font's are proportional (see `outline_font`).
    (
        "Noto Sans Ethiopic",
        "NotoSansEthiopic-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSansEthiopic-Regular.ttf"),
        *b"Ethi",
        false,
    ),
    // Not a shaping font either: the smooth strike's Latin, Greek and Cyrillic, proportional
    // (see `smooth_font`).
    (
        "Noto Sans",
        "NotoSans-Regular.ttf",
        include_bytes!("../../../assets/fonts/NotoSans-Regular.ttf"),
        *b"Latn",
        false,
    ),
];

/// The font of the smooth strike's Latin, Greek and Cyrillic.
const NOTO_SANS: u8 = 11;

/// Whether a size class's strike is smooth (anti-aliased: the colour displays' 2, and 3, the
/// larger text setting's).
pub const fn is_smooth(size_class: u8) -> bool {
    size_class >= 2
}

/// Levels of coverage a smooth glyph's pixel has (two bits: none, a third, two thirds, ink).
const SMOOTH_LEVELS: u16 = 3;

/// The shaping fonts, parsed on first use.
pub fn shaping_fonts() -> Result<&'static [ShapingFont]> {
    static FONTS: OnceLock<Result<Vec<ShapingFont>, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            FONT_FILES
                .iter()
                .map(|(name, file, bytes, tag, rtl)| {
                    let (name, file, bytes, rtl) = (*name, *file, *bytes, *rtl);
                    let face = rustybuzz::Face::from_slice(bytes, 0)
                        .ok_or_else(|| format!("{file} is not a font rustybuzz reads"))?;
                    let raster = fontdue::Font::from_bytes(bytes, fontdue::FontSettings::default())
                        .map_err(|e| format!("{file}: {e}"))?;
                    let script = rustybuzz::Script::from_iso15924_tag(
                        rustybuzz::ttf_parser::Tag::from_bytes(tag),
                    )
                    .ok_or_else(|| format!("{file}: unknown script"))?;
                    let script_code = std::str::from_utf8(tag).unwrap_or("Zyyy");
                    let script_name = match name {
                        "Noto Sans" => "Latin",
                        _ => name.trim_start_matches("Noto Sans "),
                    };
                    Ok(ShapingFont {
                        name,
                        file,
                        script,
                        script_code,
                        script_name,
                        shapes: script != rustybuzz::script::ETHIOPIC
                            && script != rustybuzz::script::LATIN,
                        rtl,
                        face,
                        raster,
                    })
                })
                .collect()
        })
        .as_deref()
        .map_err(|e| anyhow!("cannot load the shaping fonts: {e}"))
}

/// The shaping font a character's script needs, if it is one that is shaped.
pub fn script_font(c: char) -> Option<u8> {
    match c as u32 {
        0x0600..=0x06FF | 0x0750..=0x077F | 0x08A0..=0x08FF | 0xFB50..=0xFDFF | 0xFE70..=0xFEFF => {
            Some(0)
        }
        0x0590..=0x05FF | 0xFB1D..=0xFB4F => Some(1),
        0x0900..=0x097F | 0xA8E0..=0xA8FF => Some(2),
        0x0980..=0x09FF => Some(3),
        0x0E00..=0x0E7F => Some(4),
        0x0B80..=0x0BFF => Some(5),
        0x1780..=0x17FF | 0x19E0..=0x19FF => Some(6),
        0x1000..=0x109F | 0xA9E0..=0xA9FF | 0xAA60..=0xAA7F => Some(7),
        0x0A00..=0x0A7F => Some(8),
        0x0E80..=0x0EFF => Some(9),
        _ => None,
    }
}

/// The outline font a character is drawn from when it is drawn on its own (a strike's glyph for
/// the character, not a shaped word's): its shaping script's font, so that a word a device sets
/// a character at a time looks like the rest, and Noto Sans Ethiopic for Ethiopic.
pub fn outline_font(c: char) -> Option<u8> {
    script_font(c).or(match c as u32 {
        0x1200..=0x139F | 0x2D80..=0x2DDF | 0xAB00..=0xAB2F => Some(10),
        _ => None,
    })
}

/// The font the smooth strike draws `c` from when no script font does: Noto Sans, for the
/// alphabetic scripts and punctuation it has (Latin, Greek, Cyrillic: below U+2E80, where the
/// CJK blocks begin, whose bitmap glyphs stay).
fn smooth_font(c: char) -> Result<Option<u8>> {
    if (c as u32) >= 0x2E80 || c.is_control() || c == char::REPLACEMENT_CHARACTER {
        return Ok(None);
    }
    let fonts = shaping_fonts()?;
    Ok(fonts
        .get(usize::from(NOTO_SANS))
        .filter(|f| f.covers(c))
        .map(|_| NOTO_SANS))
}

/// Pixels per em of a size class's outline glyphs.
pub fn class_px(size_class: u8) -> i32 {
    CLASS_PX
        .get(positions_of(size_class))
        .copied()
        .unwrap_or(16)
}

/// The bitmap of `c` from its outline font in a size class, with its advance, relative to the
/// pen on the baseline; `None` when no outline font draws it in that class (its script font,
/// `outline_font`; in the smooth class also Noto Sans, `smooth_font`).
pub fn rasterise_char(c: char, size_class: u8) -> Result<Option<FontGlyph>> {
    let font = match outline_font(c) {
        Some(f) => Some(f),
        None if is_smooth(size_class) => smooth_font(c)?,
        None => None,
    };
    let Some(font) = font else {
        return Ok(None);
    };
    let fonts = shaping_fonts()?;
    let Some(f) = fonts.get(usize::from(font)) else {
        return Ok(None);
    };
    let Some(gid) = f.face.glyph_index(c) else {
        return Ok(None);
    };
    let advance = f.face.glyph_hor_advance(gid).map_or(0, |a| {
        to_pixels(i32::from(a), class_px(size_class), f.units_per_em())
    });
    let mut g = rasterise(shaped_key(font, gid.0), size_class)?;
    g.advance = advance;
    Ok(Some(g))
}

/// Whether a character belongs to a script written without spaces between words, whose word
/// boundaries the host finds with a dictionary (Thai, Lao, Khmer, Burmese).
fn is_dictionary_script(c: char) -> bool {
    matches!(c as u32, 0x0E00..=0x0EFF | 0x1000..=0x109F | 0x1780..=0x17FF | 0x19E0..=0x19FF)
}

/// Characters that end a word wherever they are (the device splits words at these too).
fn is_word_end(c: char) -> bool {
    // Line feeds end paragraphs; the controls of block marks and table cells end words.
    c == ' ' || c == '\n' || ('\u{1}'..='\u{4}').contains(&c)
}

/// The characters a screen draws for `text`'s block marks rather than from its words: numbered
/// items' labels, and the colon after a table header in a row drawn as "header: value" lines.
pub fn mark_chars(text: &str) -> BTreeSet<char> {
    let mut out = BTreeSet::new();
    for p in text.split('\n') {
        if let Ok(m) = fieldpack_format::blocks::Mark::parse(p.as_bytes()) {
            if m.kind == fieldpack_format::blocks::BlockKind::Numbered {
                out.extend(String::from_utf8_lossy(m.label(p.as_bytes())).chars());
            }
            if m.kind.is_row() && p.contains(fieldpack_format::blocks::LABEL_END) {
                out.insert(':');
            }
        }
    }
    out
}

/// `text` with every paragraph's block mark (SPEC.md, "Blocks") made U+0001 bytes, the same
/// length: a mark's letters and digits are not text, so bidi levels, line breaks and words are
/// found as if they were not there, at the same offsets.
pub fn hide_marks(text: &str) -> std::borrow::Cow<'_, str> {
    if !text.contains(char::from(fieldpack_format::blocks::MARK_START)) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    let mut at = 0usize;
    while at < bytes.len() {
        let len =
            fieldpack_format::blocks::Mark::parse(&bytes[at..]).map_or(0, |m| usize::from(m.len));
        for b in &mut bytes[at..at + len] {
            *b = 0x01;
        }
        at = match bytes[at..].iter().position(|&b| b == b'\n') {
            Some(i) => at + i + 1,
            None => bytes.len(),
        };
    }
    // Whole characters were replaced, each of their bytes by U+0001: still UTF-8.
    std::borrow::Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| text.to_string()))
}

/// What the host worked out for one article's text.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ArticleRuns {
    /// Its level runs; empty when the text is all left to right with no boundaries to mark.
    pub runs: Vec<LevelRun>,
    /// Its words that are shaped (text), in text order, each once.
    pub words: Vec<String>,
}

/// Bidi levels, word boundaries and the shaped words of an article's text; `rtl` when the
/// article is right to left (its paragraphs then are too; else each takes its first strong
/// character's direction, UAX #9 P2-P3).
pub fn article_runs(text: &str, rtl: bool) -> Result<ArticleRuns> {
    let fonts = shaping_fonts()?;
    if text.is_empty() {
        return Ok(ArticleRuns::default());
    }
    if text.len() as u64 >= u64::from(MAX_RUN_OFFSET) {
        // Too long to name offsets in runs: drawn left to right, unshaped.
        return Ok(ArticleRuns::default());
    }
    let hidden = hide_marks(text);
    let text: &str = &hidden;
    let info = BidiInfo::new(text, rtl.then(Level::rtl));
    let mut para_rtl = vec![false; text.len()];
    for p in &info.paragraphs {
        for v in &mut para_rtl[p.range.clone()] {
            *v = p.level.is_rtl();
        }
    }
    let segmenter = icu_segmenter::LineSegmenter::new_auto(Default::default());
    let line_breaks: BTreeSet<usize> = segmenter.segment_str(text).collect();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    // Where a run starts, and whether a line may break there.
    let mut starts: BTreeMap<usize, bool> = BTreeMap::new();
    starts.insert(0, false);
    let level_at = |i: usize| clamp_level(info.levels[i].number());
    for w in chars.windows(2) {
        let ((_, a), (i, b)) = (w[0], w[1]);
        if level_at(i) != level_at(w[0].0) || para_rtl[i] != para_rtl[w[0].0] {
            starts.insert(i, line_breaks.contains(&i));
        }
        // A dictionary word boundary inside a run of text without spaces.
        if !is_word_end(a)
            && !is_word_end(b)
            && line_breaks.contains(&i)
            && (is_dictionary_script(a) || is_dictionary_script(b))
        {
            starts.insert(i, true);
        }
    }
    // Inside each word, the characters its shaping font draws and those it does not (Latin
    // letters in a Hebrew word, parentheses in Thai) are separate words: a run starts where
    // they meet, without a break.
    for (ws, we) in words_of(text, &starts) {
        let word = &text[ws..we];
        let assigned = assign_fonts(word, fonts);
        let mut prev: Option<Option<u8>> = None;
        for ((off, _), font) in word.char_indices().zip(assigned) {
            if prev.is_some_and(|p| p != font) {
                starts.entry(ws + off).or_insert(false);
            }
            prev = Some(font);
        }
    }
    let any_rtl = info.levels.iter().any(|l| l.number() != 0);
    let runs = if any_rtl || starts.len() > 1 {
        starts
            .iter()
            .map(|(&offset, &breakable)| LevelRun {
                offset: offset as u32,
                level: level_at(offset),
                rtl_paragraph: para_rtl[offset],
                breakable,
            })
            .collect()
    } else {
        vec![]
    };
    let mut words = Vec::new();
    let mut seen = BTreeSet::new();
    let cut: BTreeMap<usize, bool> = if runs.is_empty() {
        [(0, false)].into()
    } else {
        starts
    };
    for (ws, we) in words_of(text, &cut) {
        let word = &text[ws..we];
        if word_font(word, fonts).is_some() && seen.insert(word) {
            words.push(word.to_string());
        }
    }
    Ok(ArticleRuns { runs, words })
}

/// The characters of `text` a device draws one by one (those outside its shaped words), cut
/// into words by `runs` as a device cuts them; `shaped` says whether a word is shaped.
pub fn unshaped_chars(
    text: &str,
    runs: &[LevelRun],
    shaped: impl Fn(&str) -> bool,
) -> BTreeSet<char> {
    device_words(text, runs)
        .into_iter()
        .filter(|w| !shaped(w))
        .flat_map(str::chars)
        .collect()
}

/// The words of `text` as a device cuts them with `runs`, as text.
pub fn device_words<'t>(text: &'t str, runs: &[LevelRun]) -> Vec<&'t str> {
    let starts: BTreeMap<usize, bool> = if runs.is_empty() {
        [(0, false)].into()
    } else {
        runs.iter()
            .map(|r| (r.offset as usize, r.breakable))
            .collect()
    };
    words_of(text, &starts)
        .into_iter()
        .map(|(s, e)| &text[s..e])
        .collect()
}

/// Whether a device looks `word` up among the shaped words (it holds a shaped script).
pub fn is_looked_up(word: &str) -> bool {
    word.chars().any(is_shaped_script)
}

/// A level in the format's range, keeping its direction.
fn clamp_level(level: u8) -> u8 {
    if level <= MAX_LEVEL {
        level
    } else {
        MAX_LEVEL - 1 + level % 2
    }
}

/// The words of `text` as a device cuts them: at spaces, line feeds and run starts.
pub fn words_of(text: &str, starts: &BTreeMap<usize, bool>) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let hidden = hide_marks(text);
    for (i, c) in hidden.char_indices() {
        if is_word_end(c) {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
            continue;
        }
        if starts.contains_key(&i) {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        }
        start.get_or_insert(i);
    }
    if let Some(s) = start {
        out.push((s, text.len()));
    }
    out
}

/// For each character of a word, the shaping font that draws it, if any: a character of a
/// shaped script its script's font; any other (digits, punctuation, marks, joiners) the font of
/// the character before it, else after it, when that font has it.
fn assign_fonts(word: &str, fonts: &[ShapingFont]) -> Vec<Option<u8>> {
    let chars: Vec<char> = word.chars().collect();
    let strong: Vec<Option<u8>> = chars.iter().map(|&c| script_font(c)).collect();
    let covers = |f: u8, c: char| fonts.get(usize::from(f)).is_some_and(|f| f.covers(c));
    let mut out: Vec<Option<u8>> = strong.clone();
    for i in 0..chars.len() {
        if out[i].is_some() {
            continue;
        }
        let before = i.checked_sub(1).and_then(|j| out[j]);
        let after = strong[i..].iter().flatten().next().copied();
        out[i] = before
            .filter(|&f| covers(f, chars[i]))
            .or(after.filter(|&f| covers(f, chars[i]) && before.is_none()));
    }
    out
}

/// The font that shapes a whole word (one the device looks up as a unit), if it is shaped: every
/// character is drawn by the same shaping font, and the word fits a record.
pub fn word_font(word: &str, fonts: &[ShapingFont]) -> Option<u8> {
    if word.is_empty() || word.len() > MAX_WORD_LEN {
        return None;
    }
    let assigned = assign_fonts(word, fonts);
    let first = assigned.first().copied().flatten()?;
    assigned.iter().all(|&f| f == Some(first)).then_some(first)
}

/// A word as HarfBuzz shaped it: glyph ids with advances and offsets in font units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shaped {
    /// Its font's index.
    pub font: u8,
    /// Whether it was shaped right to left (glyphs in visual order).
    pub rtl: bool,
    /// (glyph id, x advance, x offset, y offset up), font units, in visual order.
    pub glyphs: Vec<(u16, i32, i32, i32)>,
}

/// Shapes a word with its font (`word_font`): direction and script from the font, no language.
pub fn shape(word: &str, font: u8) -> Result<Shaped> {
    let fonts = shaping_fonts()?;
    let f = fonts
        .get(usize::from(font))
        .ok_or_else(|| anyhow!("no shaping font {font}"))?;
    let mut buffer = rustybuzz::UnicodeBuffer::new();
    buffer.push_str(word);
    buffer.set_script(f.script);
    buffer.set_direction(if f.rtl {
        rustybuzz::Direction::RightToLeft
    } else {
        rustybuzz::Direction::LeftToRight
    });
    let out = rustybuzz::shape(&f.face, &[], buffer);
    let glyphs = out
        .glyph_infos()
        .iter()
        .zip(out.glyph_positions())
        .map(|(info, pos)| {
            (
                info.glyph_id as u16,
                pos.x_advance,
                pos.x_offset,
                pos.y_offset,
            )
        })
        .collect();
    Ok(Shaped {
        font,
        rtl: f.rtl,
        glyphs,
    })
}

/// Whether a device draws `word` as its shaping has it without storing it: one glyph a
/// character, each the character's own glyph in the word's font (the one the strikes draw the
/// character with), in order (reversed for right to left), at its own advance, nothing moved,
/// in every size class. Such words (Hebrew without points, many Thai words) are left out of
/// the Shapes section.
pub fn is_trivial(word: &str, shaped: &Shaped) -> Result<bool> {
    let fonts = shaping_fonts()?;
    let Some(f) = fonts.get(usize::from(shaped.font)) else {
        return Ok(false);
    };
    let chars: Vec<char> = word.chars().collect();
    if chars.len() != shaped.glyphs.len() {
        return Ok(false);
    }
    let upem = f.units_per_em();
    let logical: Vec<&(u16, i32, i32, i32)> = if shaped.rtl {
        shaped.glyphs.iter().rev().collect()
    } else {
        shaped.glyphs.iter().collect()
    };
    for (&c, &&(gid, ax, dx, dy)) in chars.iter().zip(&logical) {
        if outline_font(c) != Some(shaped.font) || f.glyph_of(c) != Some(gid) {
            return Ok(false);
        }
        let own = f.advance_of(gid);
        let same = CLASS_PX.iter().all(|&px| {
            to_pixels(ax, px, upem) == to_pixels(own, px, upem)
                && to_pixels(dx, px, upem) == 0
                && to_pixels(dy, px, upem) == 0
        });
        if !same {
            return Ok(false);
        }
    }
    Ok(true)
}

/// `v * px / upem` rounded to the nearest pixel, halves away from zero: how font units become
/// the pixels a bundle stores (the shaping test applies it to `hb-shape`'s output).
pub fn to_pixels(v: i32, px: i32, upem: i32) -> i32 {
    let n = i64::from(v) * i64::from(px);
    let d = i64::from(upem.max(1));
    let r = if n >= 0 {
        (2 * n + d) / (2 * d)
    } else {
        -((-2 * n + d) / (2 * d))
    };
    r.clamp(i64::from(i32::MIN), i64::from(i32::MAX)) as i32
}

/// One glyph of a shaped word in each size class's pixels: its advance and offsets each
/// rounded on their own, so a glyph's place is the sum of the advances before it plus its
/// x offset (SPEC.md, "Shapes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    /// Its glyph key.
    pub key: u32,
    /// Advance per size class.
    pub advance: [i32; SHAPED_CLASSES],
    /// Offset right, per size class.
    pub dx: [i32; SHAPED_CLASSES],
    /// Offset down, per size class.
    pub dy: [i32; SHAPED_CLASSES],
}

/// A shaped word's glyphs in pixels.
pub fn place(shaped: &Shaped) -> Result<Vec<Placed>> {
    let fonts = shaping_fonts()?;
    let upem = fonts
        .get(usize::from(shaped.font))
        .map_or(1000, |f| f.units_per_em());
    Ok(shaped
        .glyphs
        .iter()
        .map(|&(gid, ax, dx, dy)| Placed {
            key: shaped_key(shaped.font, gid),
            advance: CLASS_PX.map(|px| to_pixels(ax, px, upem)),
            dx: CLASS_PX.map(|px| to_pixels(dx, px, upem)),
            dy: CLASS_PX.map(|px| -to_pixels(dy, px, upem)),
        })
        .collect())
}

/// Each shaped glyph's usual advance per size class (the one most of its uses have, the
/// smallest of equals): the strikes store it, and a word stores only the advances that differ.
pub fn default_advances<'a>(
    words: impl IntoIterator<Item = &'a [Placed]>,
) -> BTreeMap<u32, [u8; SHAPED_CLASSES]> {
    let mut counts: BTreeMap<(u32, usize, i32), usize> = BTreeMap::new();
    for g in words.into_iter().flatten() {
        for (class, &a) in g.advance.iter().enumerate() {
            *counts.entry((g.key, class, a)).or_default() += 1;
        }
    }
    let mut best: BTreeMap<(u32, usize), (usize, i32)> = BTreeMap::new();
    for (&(key, class, a), &n) in &counts {
        if !(0..=255).contains(&a) {
            continue;
        }
        let e = best.entry((key, class)).or_insert((n, a));
        if n > e.0 {
            *e = (n, a);
        }
    }
    let mut out: BTreeMap<u32, [u8; SHAPED_CLASSES]> = BTreeMap::new();
    for (&(key, class), &(_, a)) in &best {
        out.entry(key).or_default()[class] = a as u8;
    }
    out
}

/// A shaped word as stored, given the strikes' default advances; `None` when it cannot be
/// (a glyph id past 14 bits, a pixel value past a signed byte, a width past 16 bits).
pub fn stored_glyphs(
    placed: &[Placed],
    defaults: &BTreeMap<u32, [u8; SHAPED_CLASSES]>,
) -> Option<(Vec<ShapedGlyph>, [u16; SHAPED_CLASSES])> {
    let byte = |v: i32| i8::try_from(v).ok();
    let mut width = [0i64; SHAPED_CLASSES];
    let mut out = Vec::with_capacity(placed.len());
    for g in placed {
        let default = defaults.get(&g.key).copied().unwrap_or_default();
        let advance = if (0..SHAPED_CLASSES).all(|c| g.advance[c] == i32::from(default[c])) {
            None
        } else {
            let mut a = [0i8; SHAPED_CLASSES];
            for (v, &px) in a.iter_mut().zip(&g.advance) {
                *v = byte(px)?;
            }
            Some(a)
        };
        for (w, a) in width.iter_mut().zip(g.advance) {
            *w += i64::from(a);
        }
        let mut offset = [(0i8, 0i8); SHAPED_CLASSES];
        for (c, o) in offset.iter_mut().enumerate() {
            *o = (byte(g.dx[c])?, byte(g.dy[c])?);
        }
        out.push(ShapedGlyph {
            key: g.key,
            advance,
            offset,
        });
    }
    let mut w = [0u16; SHAPED_CLASSES];
    for (slot, &total) in w.iter_mut().zip(&width) {
        *slot = u16::try_from(total).ok()?;
    }
    Some((out, w))
}

/// A shaped word as the Shapes section stores it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredWord {
    /// Its shaping font.
    pub font: u8,
    /// Whether it was shaped right to left.
    pub rtl: bool,
    /// Its glyphs, in visual order.
    pub glyphs: Vec<ShapedGlyph>,
    /// Its width in pixels per size class.
    pub width: [u16; SHAPED_CLASSES],
}

/// The `Shapes` section for shaped words, each stored under its hash; the hashes must differ
/// (SPEC.md, "Shapes").
pub fn encode_shapes(words: &BTreeMap<String, StoredWord>) -> Result<Vec<u8>> {
    let mut by_hash: BTreeMap<u32, &StoredWord> = BTreeMap::new();
    for (text, w) in words {
        if by_hash.insert(word_hash(text.as_bytes()), w).is_some() {
            return Err(anyhow!("two shaped words share the hash of {text:?}"));
        }
    }
    let count = by_hash.len();
    let records_end = 4 + count * WORD_RECORD_LEN;
    let mut records = Vec::with_capacity(count * WORD_RECORD_LEN);
    let mut data: Vec<u8> = Vec::new();
    for (&hash, w) in &by_hash {
        let StoredWord {
            font,
            rtl,
            glyphs,
            width,
        } = w;
        let at = u32::try_from(records_end + data.len())
            .ok()
            .filter(|&a| a < 1 << 24)
            .ok_or_else(|| anyhow!("the shaped words exceed the format's 16 MiB"))?;
        let glyph_count =
            u8::try_from(glyphs.len()).map_err(|_| anyhow!("a word of over 255 glyphs"))?;
        let font_byte = (font & 0x7F) | (u8::from(*rtl) << 7);
        let mut body: Vec<u8> = Vec::new();
        for w in width {
            body.extend_from_slice(&w.to_le_bytes());
        }
        for g in glyphs {
            g.encode_into(shaped_key(*font, 0), &mut body)
                .ok_or_else(|| anyhow!("a glyph id past 14 bits"))?;
        }
        let mut crc = Crc32::new();
        crc.update(&hash.to_le_bytes());
        crc.update(&[glyph_count, font_byte]);
        crc.update(&body);
        data.push(font_byte);
        data.extend_from_slice(&crc.finish().to_le_bytes());
        data.extend_from_slice(&body);
        records.extend_from_slice(
            &WordRecord {
                hash,
                data: at,
                glyph_count,
            }
            .encode(),
        );
    }
    let mut out = u32::try_from(count)?.to_le_bytes().to_vec();
    out.extend_from_slice(&records);
    out.extend_from_slice(&data);
    Ok(out)
}

/// The bitmap of a shaped glyph (`key` at or above [`SHAPED_KEY`]) in a size class, relative to
/// the pen on the baseline: one bit a pixel, or in the smooth class two (its coverage in
/// thirds), unless two bits would make the bitmap larger than a reader draws.
pub fn rasterise(key: u32, size_class: u8) -> Result<FontGlyph> {
    let fonts = shaping_fonts()?;
    let font = ((key - SHAPED_KEY) >> 16) as usize;
    let gid = (key & 0xFFFF) as u16;
    let f = fonts
        .get(font)
        .ok_or_else(|| anyhow!("no shaping font {font}"))?;
    let (m, coverage) = f.raster.rasterize_indexed(gid, class_px(size_class) as f32);
    let smooth = is_smooth(size_class)
        && (m.width * m.height * 2).div_ceil(8) <= fieldpack_format::layout::MAX_GLYPH_BITMAP;
    let pixel = |v: u8| -> u8 {
        if smooth {
            // The nearest third: 0-42 none, 43-127 a third, 128-212 two thirds, 213- ink.
            ((u16::from(v) * SMOOTH_LEVELS + 127) / 255) as u8
        } else {
            u8::from(v >= INK_THRESHOLD)
        }
    };
    let rows = (0..m.height)
        .map(|r| {
            (0..m.width)
                .map(|c| pixel(coverage.get(r * m.width + c).copied().unwrap_or(0)))
                .collect()
        })
        .collect();
    Ok(FontGlyph {
        advance: 0,
        x: m.xmin,
        top: m.ymin + m.height as i32,
        width: m.width,
        rows,
        depth: if smooth { 2 } else { 1 },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arabic_joins_and_orders_right_to_left() {
        let fonts = shaping_fonts().expect("fonts");
        assert_eq!(word_font("حقوق", fonts), Some(0));
        let s = shape("حقوق", 0).expect("shape");
        // hb-shape NotoSansArabic-Regular.ttf 'حقوق': [945=3+774|1468=2+472|949=1+495|417=0+589]
        let gids: Vec<u16> = s.glyphs.iter().map(|g| g.0).collect();
        assert_eq!(gids, [945, 1468, 949, 417]);
        let advances: Vec<i32> = s.glyphs.iter().map(|g| g.1).collect();
        assert_eq!(advances, [774, 472, 495, 589]);
    }

    #[test]
    fn runs_mark_levels_words_and_font_changes() {
        let text = "abc אבג def\nשלום (world)";
        let r = article_runs(text, false).expect("runs");
        let levels: Vec<(u32, u8, bool)> = r
            .runs
            .iter()
            .map(|r| (r.offset, r.level, r.rtl_paragraph))
            .collect();
        // Paragraph 1 is left to right with a Hebrew word at level 1; paragraph 2 right to
        // left, its Latin word at level 2.
        assert_eq!(levels.first(), Some(&(0, 0, false)));
        assert!(levels.contains(&(4, 1, false)), "{levels:?}");
        assert!(levels.iter().any(|&(_, l, p)| l == 2 && p), "{levels:?}");
        assert!(r.words.contains(&"אבג".to_string()));
        assert!(r.words.contains(&"שלום".to_string()));
        assert!(!r.words.iter().any(|w| w.contains("world")));
    }

    #[test]
    fn thai_words_are_cut_by_the_dictionary() {
        let text = "สิทธิมนุษยชนเป็นของทุกคน";
        let r = article_runs(text, false).expect("runs");
        assert!(r.runs.len() > 2, "{:?}", r.runs);
        assert!(r.runs.iter().skip(1).all(|r| r.breakable && r.level == 0));
        assert_eq!(r.words.concat(), text);
    }

    #[test]
    fn pixels_round_halves_away_from_zero() {
        assert_eq!(to_pixels(500, 13, 1000), 7);
        assert_eq!(to_pixels(-500, 13, 1000), -7);
        assert_eq!(to_pixels(461, 13, 1000), 6);
        assert_eq!(to_pixels(0, 16, 1000), 0);
    }
}
