//! Glyphs: reading the shipped bitmap fonts and building the strikes a bundle carries.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::Read;
use std::sync::OnceLock;

use anyhow::{bail, Context, Result};
use fieldpack_format::layout::{GlyphEntry, GlyphMetrics, StrikeHeader, GLYPH_RECORD_LEN};
use fieldpack_format::shaped::{positions_of, SHAPED_CLASSES};
use fieldpack_format::LineBox;

use crate::shape::rasterise;

/// The replacement glyph drawn for characters no font covers.
pub const REPLACEMENT: char = '\u{FFFD}';

/// One glyph as a font draws it: pixels relative to the pen position on the baseline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FontGlyph {
    /// Horizontal advance.
    pub advance: i32,
    /// Left edge of the bitmap relative to the pen.
    pub x: i32,
    /// Top edge of the bitmap in pixels above the baseline.
    pub top: i32,
    /// Bitmap width.
    pub width: usize,
    /// Rows of pixels, top first, `width` values each: 0 none, up to `(1 << depth) - 1` ink.
    pub rows: Vec<Vec<u8>>,
    /// Bits a pixel: 1, or 2 for an anti-aliased glyph.
    pub depth: u8,
}

impl FontGlyph {
    /// A one-bit glyph scaled by `num / den` (larger), one bit a pixel: ink where half or more
    /// of the pixel is covered by the scaled ink (4 x 4 samples). How a bitmap font drawn for
    /// one size serves a larger strike (two bits would double what Han and Hangul cost: 100
    /// bytes a glyph, 300 KB for a Chinese bundle's 3,000 characters).
    pub fn scaled(&self, num: i32, den: i32) -> FontGlyph {
        let scale = |v: i32| (v * num + den / 2).div_euclid(den);
        let floor = |v: i32| (v * num).div_euclid(den);
        let ceil = |v: i32| -((-v * num).div_euclid(den));
        let (w, h) = (self.width as i32, self.rows.len() as i32);
        // Every pixel the scaled box touches (empty edges are cropped later).
        let (x0, top) = (floor(self.x), ceil(self.top));
        let (sw, sh) = (
            (ceil(self.x + w) - x0).max(0),
            (top - floor(self.top - h)).max(0),
        );
        let ink = |sx: f64, sy: f64| -> bool {
            let (c, r) = (sx.floor() as i32, sy.floor() as i32);
            (0..w).contains(&c) && (0..h).contains(&r) && self.rows[r as usize][c as usize] != 0
        };
        let f = f64::from(den) / f64::from(num);
        let rows = (0..sh)
            .map(|y| {
                (0..sw)
                    .map(|x| {
                        let mut hits = 0u32;
                        for j in 0..4 {
                            for i in 0..4 {
                                // The sample's place in the original, from its own top left.
                                let px = f64::from(x0 + x) + (f64::from(i) + 0.5) / 4.0;
                                let py = f64::from(top - y) - (f64::from(j) + 0.5) / 4.0;
                                let sx = px * f - f64::from(self.x);
                                let sy = f64::from(self.top) - py * f;
                                hits += u32::from(ink(sx, sy));
                            }
                        }
                        u8::from(hits >= 8)
                    })
                    .collect()
            })
            .collect();
        FontGlyph {
            advance: scale(self.advance),
            x: x0,
            top,
            width: sw as usize,
            rows,
            depth: 1,
        }
    }

    /// The same glyph with empty border rows and columns removed.
    fn cropped(&self) -> FontGlyph {
        let ink_rows: Vec<usize> = (0..self.rows.len())
            .filter(|&r| self.rows[r].iter().any(|&p| p != 0))
            .collect();
        let (Some(&r0), Some(&r1)) = (ink_rows.first(), ink_rows.last()) else {
            return FontGlyph {
                advance: self.advance,
                x: 0,
                top: 0,
                width: 0,
                rows: vec![],
                depth: 1,
            };
        };
        let cols: Vec<usize> = (0..self.width)
            .filter(|&c| self.rows.iter().any(|row| row[c] != 0))
            .collect();
        let (c0, c1) = (cols[0], cols[cols.len() - 1]);
        FontGlyph {
            advance: self.advance,
            x: self.x + c0 as i32,
            top: self.top - r0 as i32,
            width: c1 - c0 + 1,
            rows: self.rows[r0..=r1]
                .iter()
                .map(|row| row[c0..=c1].to_vec())
                .collect(),
            depth: self.depth,
        }
    }
}

/// A bitmap font: glyphs by code point plus its line metrics.
#[derive(Debug, Default)]
pub struct Font {
    /// Name for reports.
    pub name: &'static str,
    /// Pixels above the baseline a line needs.
    pub ascent: i32,
    /// Pixels below the baseline a line needs.
    pub descent: i32,
    /// The glyphs, still as the font's text: a bundle draws a few thousand of the fonts'
    /// hundred thousand, so each is decoded when asked for.
    glyphs: HashMap<u32, RawGlyph>,
}

/// A glyph's metrics and the font text of its bitmap.
#[derive(Debug, Clone, Copy)]
struct RawGlyph {
    advance: i32,
    x: i32,
    top: i32,
    width: usize,
    height: usize,
    /// BDF: the bitmap's lines of hex, one per row. Unifont: the row digits back to back.
    bits: &'static str,
    hex_font: bool,
}

impl Font {
    /// Whether the font draws `cp`.
    pub fn has(&self, cp: u32) -> bool {
        self.glyphs.contains_key(&cp)
    }

    /// The glyph of `cp`, if the font has one.
    pub fn glyph(&self, cp: u32) -> Option<FontGlyph> {
        let g = self.glyphs.get(&cp)?;
        let rows = if g.hex_font {
            let digits_per_row = g.width / 4;
            (0..g.height)
                .map(|r| {
                    let digits = g.bits.get(r * digits_per_row..(r + 1) * digits_per_row);
                    hex_row(digits.unwrap_or(""), g.width)
                })
                .collect()
        } else {
            g.bits
                .lines()
                .take(g.height)
                .map(|hex| hex_row(hex.trim(), g.width))
                .collect()
        };
        Some(FontGlyph {
            advance: g.advance,
            x: g.x,
            top: g.top,
            width: g.width,
            rows,
            depth: 1,
        })
    }
}

/// The first `width` pixels of a row written as hex digits, most significant bit leftmost
/// (unreadable digits: an empty row).
fn hex_row(hex: &str, width: usize) -> Vec<u8> {
    let bits = u64::from_str_radix(hex, 16).unwrap_or(0);
    let nbits = hex.len() * 4;
    (0..width)
        .map(|c| u8::from(c < nbits && bits >> (nbits - 1 - c) & 1 == 1))
        .collect()
}

/// The text of a gzip'd font, kept for the whole process: the fonts are parsed once and their
/// glyphs point into it.
fn gunzip(bytes: &[u8], name: &str) -> Result<&'static str> {
    let mut s = String::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_string(&mut s)
        .with_context(|| format!("font {name} is not gzip'd text"))?;
    Ok(Box::leak(s.into_boxed_str()))
}

/// Reads a BDF font.
pub fn parse_bdf(text: &'static str, name: &'static str) -> Result<Font> {
    let mut font = Font {
        name,
        ..Font::default()
    };
    let offset_of = |line: &str| line.as_ptr() as usize - text.as_ptr() as usize;
    let mut lines = text.lines().enumerate();
    let (mut enc, mut dwidth, mut bbx) = (None::<i64>, 0i32, (0usize, 0usize, 0i32, 0i32));
    while let Some((n, line)) = lines.next() {
        let mut words = line.split_whitespace();
        let key = words.next().unwrap_or("");
        let mut num = |what: &str| -> Result<i64> {
            words
                .next()
                .and_then(|w| w.parse().ok())
                .with_context(|| format!("{name}: line {}: bad {what}", n + 1))
        };
        match key {
            "FONT_ASCENT" => font.ascent = num("ascent")? as i32,
            "FONT_DESCENT" => font.descent = num("descent")? as i32,
            "ENCODING" => enc = Some(num("encoding")?),
            "DWIDTH" => dwidth = num("dwidth")? as i32,
            "BBX" => {
                bbx = (
                    num("bbx")? as usize,
                    num("bbx")? as usize,
                    num("bbx")? as i32,
                    num("bbx")? as i32,
                )
            }
            "BITMAP" => {
                let (w, h, xoff, yoff) = bbx;
                let start = offset_of(line) + line.len();
                let mut end = start;
                for _ in 0..h {
                    let (_, row) = lines.next().context("BDF bitmap ends early")?;
                    end = offset_of(row) + row.len();
                }
                if let Some(cp) = enc.take().filter(|&e| e >= 0) {
                    font.glyphs.insert(
                        cp as u32,
                        RawGlyph {
                            advance: dwidth,
                            x: xoff,
                            top: yoff + h as i32,
                            width: w,
                            height: h,
                            // From the line break after BITMAP: its lines are the rows.
                            bits: text
                                .get(start..end)
                                .unwrap_or("")
                                .trim_start_matches(['\r', '\n']),
                            hex_font: false,
                        },
                    );
                }
            }
            _ => {}
        }
    }
    if font.glyphs.is_empty() {
        bail!("{name}: no glyphs");
    }
    Ok(font)
}

/// Reads a GNU Unifont `.hex` font (8 or 16 pixels wide, 16 high, baseline 2 from the bottom).
pub fn parse_hex(text: &'static str, name: &'static str) -> Result<Font> {
    let mut font = Font {
        name,
        ascent: 14,
        descent: 2,
        ..Font::default()
    };
    for (n, line) in text.lines().enumerate() {
        let Some((cp, bits)) = line.split_once(':') else {
            continue;
        };
        let cp = u32::from_str_radix(cp, 16)
            .with_context(|| format!("{name}: line {}: bad code point", n + 1))?;
        let width = match bits.len() {
            32 => 8,
            64 => 16,
            _ => bail!("{name}: line {}: bitmap of {} digits", n + 1, bits.len()),
        };
        font.glyphs.insert(
            cp,
            RawGlyph {
                advance: width as i32,
                x: 0,
                top: 14,
                width,
                height: 16,
                bits,
                hex_font: true,
            },
        );
    }
    Ok(font)
}

/// The shipped fonts, parsed once per process.
pub struct Fonts {
    /// X11 misc-fixed 6x13.
    pub fixed: Font,
    /// WenQuanYi Bitmap Song 13 px.
    pub wqy: Font,
    /// GNU Unifont.
    pub unifont: Font,
}

/// The shipped fonts, parsed on first use.
pub fn fonts() -> Result<&'static Fonts> {
    static FONTS: OnceLock<Result<Fonts, String>> = OnceLock::new();
    FONTS
        .get_or_init(|| {
            // Plain threads, not rayon: this may run inside a rayon task, and a rayon join
            // here would wait on workers that are themselves waiting for this lock.
            let load = || -> Result<Fonts> {
                std::thread::scope(|scope| {
                    let fixed = scope.spawn(|| {
                        parse_bdf(
                            gunzip(
                                include_bytes!("../../../assets/fonts/misc-fixed-6x13.bdf.gz"),
                                "misc-fixed",
                            )?,
                            "misc-fixed 6x13",
                        )
                    });
                    let wqy = scope.spawn(|| {
                        parse_bdf(
                            gunzip(
                                include_bytes!("../../../assets/fonts/wqy-bitmapsong-13px.bdf.gz"),
                                "wqy",
                            )?,
                            "WenQuanYi Bitmap Song 13px",
                        )
                    });
                    let unifont = parse_hex(
                        gunzip(
                            include_bytes!("../../../assets/fonts/unifont.hex.gz"),
                            "unifont",
                        )?,
                        "GNU Unifont",
                    )?;
                    let join = |h: std::thread::ScopedJoinHandle<'_, Result<Font>>| {
                        h.join()
                            .map_err(|_| anyhow::anyhow!("font parser panicked"))?
                    };
                    Ok(Fonts {
                        fixed: join(fixed)?,
                        wqy: join(wqy)?,
                        unifont,
                    })
                })
            };
            load().map_err(|e| format!("{e:#}"))
        })
        .as_ref()
        .map_err(|e| anyhow::anyhow!("cannot load the built-in fonts: {e}"))
}

/// Whether any strike's fonts draw `c` (else it is shown as U+FFFD).
pub fn covered(fonts: &Fonts, c: char) -> bool {
    c == '\n'
        || is_zero_width(c)
        || SIZE_CLASSES
            .iter()
            .all(|&class| strike_fonts(fonts, class).iter().any(|f| f.has(c as u32)))
}

/// The bitmap fonts each size class takes glyphs from, in order, after its outline fonts
/// (`shape::rasterise_char`).
pub fn strike_fonts(fonts: &Fonts, size_class: u8) -> Vec<&Font> {
    match size_class {
        0 => vec![&fonts.fixed, &fonts.wqy, &fonts.unifont],
        _ => vec![&fonts.unifont],
    }
}

/// Size classes in every bundle: 0 small, 1 large, 2 smooth, 3 smooth and larger.
pub const SIZE_CLASSES: [u8; fieldpack_format::layout::SIZE_CLASS_COUNT] = [0, 1, 2, 3];

/// Whether `c` draws nothing and takes no room (format controls such as ZWJ).
fn is_zero_width(c: char) -> bool {
    matches!(c as u32, 0x200C..=0x200F | 0x202A..=0x202E | 0x2061..=0x2064 | 0xFE00..=0xFE0F)
}

/// A built strike: the section's bytes and what was missing.
pub struct BuiltStrike {
    /// The `Glyphs` section.
    pub bytes: Vec<u8>,
    /// Number of glyphs in it.
    pub glyph_count: usize,
    /// Characters no font has (they are drawn as U+FFFD).
    pub missing: BTreeSet<char>,
    /// Its size class (0 small, 1 large).
    pub size_class: u8,
    /// Rows of a full line.
    pub line_height: u8,
    /// The compact box of the strike's header (top, height).
    pub compact: LineBox,
    /// Each inked glyph's rows in a full line: (first row below the line's top, rows).
    pub ink_rows: HashMap<u32, (u32, u32)>,
}

impl BuiltStrike {
    /// The rows every line of a text drawing `chars` takes in this strike: its glyphs' ink
    /// and one row between lines (SPEC.md, Article metadata); the compact box for a text
    /// without ink.
    pub fn line_box(
        &self,
        chars: impl IntoIterator<Item = char>,
        shaped: impl IntoIterator<Item = (u32, [i32; SHAPED_CLASSES])>,
    ) -> LineBox {
        // Control characters (the line feeds between paragraphs) are never drawn.
        let ink = chars
            .into_iter()
            .filter(|c| !c.is_control())
            .filter_map(|c| {
                let cp = if self.missing.contains(&c) {
                    REPLACEMENT as u32
                } else {
                    c as u32
                };
                self.ink_rows.get(&cp).copied()
            });
        // A shaped word's glyphs are drawn `dy` rows below their place (marks above, below).
        let class = positions_of(self.size_class);
        let shaped = shaped.into_iter().filter_map(|(key, dy)| {
            let (top, rows) = self.ink_rows.get(&key).copied()?;
            let dy = i64::from(dy[class]);
            Some(((i64::from(top) + dy).max(0) as u32, rows))
        });
        LineBox::enclosing(ink.chain(shaped), self.line_height, self.compact)
    }
}

/// Every strike of a bundle and the bitmap section they share.
pub struct BuiltGlyphs {
    /// One strike per size class asked for, in their order.
    pub strikes: Vec<BuiltStrike>,
    /// The `GlyphBitmaps` section.
    pub bitmaps: Vec<u8>,
}

/// Bitmaps packed bit after bit, each stored once however many glyphs of however many strikes
/// draw it (the strikes share Unifont's CJK and Hangul, and scripts share look-alike letters).
#[derive(Default)]
struct BitmapPool {
    bytes: Vec<u8>,
    bit_len: u64,
    seen: HashMap<(usize, u8, Vec<u8>), u32>,
}

impl BitmapPool {
    /// The bit offset of `g`'s bitmap, adding it if it is new.
    fn offset_of(&mut self, g: &FontGlyph) -> Result<u32> {
        let pixels: Vec<u8> = g.rows.iter().flatten().copied().collect();
        if pixels.is_empty() {
            return Ok(0);
        }
        let key = (g.width, g.depth, pixels);
        if let Some(&at) = self.seen.get(&key) {
            return Ok(at);
        }
        let at = u32::try_from(self.bit_len)
            .ok()
            .filter(|&at| at < 1 << 24)
            .context("the glyph bitmaps exceed the format's limit of 2 MiB")?;
        for &value in &key.2 {
            // A pixel's bits, the most significant first.
            for b in (0..g.depth).rev() {
                let i = (self.bit_len / 8) as usize;
                if i == self.bytes.len() {
                    self.bytes.push(0);
                }
                if value >> b & 1 == 1 {
                    self.bytes[i] |= 0x80 >> (self.bit_len % 8);
                }
                self.bit_len += 1;
            }
        }
        self.seen.insert(key, at);
        Ok(at)
    }
}

/// The glyphs one size class takes from the fonts, with the line metrics they need.
struct Chosen {
    glyphs: BTreeMap<u32, FontGlyph>,
    missing: BTreeSet<char>,
    ascent: i32,
    descent: i32,
    compact_ascent: i32,
    compact_descent: i32,
}

fn choose(
    fonts: &Fonts,
    size_class: u8,
    chars: &BTreeSet<char>,
    shaped: &Shaped,
) -> Result<Chosen> {
    let cascade = strike_fonts(fonts, size_class);
    let mut chosen: BTreeMap<u32, FontGlyph> = BTreeMap::new();
    let mut missing = BTreeSet::new();
    let (mut ascent, mut descent) = (0, 0);
    // Ink of the alphabetic scripts alone (below the CJK blocks): lines of such text are set
    // tighter than lines that hold Hangul or Han, whose glyphs are taller.
    let (mut c_ascent, mut c_descent) = (0, 0);
    let mut wanted: BTreeSet<char> = chars.clone();
    // Characters the reader itself draws from the bundle: replacement, space, the ellipsis of
    // cut titles and the separator of the library's second lines.
    wanted.extend([REPLACEMENT, ' ', '…', '·']);
    for &c in &wanted {
        if c == '\n' {
            continue;
        }
        if is_zero_width(c) {
            chosen.insert(
                c as u32,
                FontGlyph {
                    advance: 0,
                    x: 0,
                    top: 0,
                    width: 0,
                    rows: vec![],
                    depth: 1,
                },
            );
            continue;
        }
        // Scripts with an outline font of their own take it; the bitmap fonts the rest.
        let outline = crate::shape::rasterise_char(c, size_class)?;
        let from_outline = outline.is_some();
        let found = outline.or_else(|| {
            let g = cascade.iter().find_map(|f| f.glyph(c as u32))?;
            // The larger strike has no bitmap font of its size: Unifont's glyphs are scaled
            // to it.
            Some(match crate::shape::class_px(size_class) {
                px if px > 16 => g.scaled(px, 16),
                _ => g,
            })
        });
        let Some(g) = found else {
            missing.insert(c);
            continue;
        };
        let mut g = g.cropped();
        // Lines are as tall as the ink of the glyphs in use, not the fonts' nominal boxes:
        // the fonts of a cascade disagree on those, and every pixel counts on 64 rows.
        if !g.rows.is_empty() {
            ascent = ascent.max(g.top);
            descent = descent.max(g.rows.len() as i32 - g.top);
            if (c as u32) < 0x2E80 && c != REPLACEMENT {
                c_ascent = c_ascent.max(g.top);
                c_descent = c_descent.max(g.rows.len() as i32 - g.top);
            }
        }
        if !from_outline && unicode_normalization::char::is_combining_mark(c) && g.advance > 0 {
            // Marks are drawn over the character before them (a bitmap font's have a cell of
            // their own; an outline font's own advances are right: spacing marks such as
            // Devanagari's vowel signs take room).
            g.x -= g.advance;
            g.advance = 0;
        }
        chosen.insert(c as u32, g);
    }
    // Shaped words' glyphs, where their words put them: a mark's offset moves its ink.
    let class = positions_of(size_class);
    for &(key, dy) in &shaped.instances {
        if let std::collections::btree_map::Entry::Vacant(e) = chosen.entry(key) {
            let mut g = rasterise(key, size_class)?.cropped();
            // Its usual advance: a word stores only the advances that differ.
            g.advance = shaped.advances.get(&key).map_or(0, |a| i32::from(a[class]));
            e.insert(g);
        }
        if let Some(fg) = chosen.get(&key).filter(|fg| !fg.rows.is_empty()) {
            let dy = dy[class];
            ascent = ascent.max(fg.top - dy);
            descent = descent.max(fg.rows.len() as i32 - fg.top + dy);
        }
    }
    let (compact_ascent, compact_descent) = if c_ascent + c_descent == 0 {
        (ascent, descent)
    } else {
        (c_ascent, c_descent)
    };
    Ok(Chosen {
        glyphs: chosen,
        missing,
        ascent,
        descent,
        compact_ascent,
        compact_descent,
    })
}

fn encode_strike(size_class: u8, chosen: Chosen, pool: &mut BitmapPool) -> Result<BuiltStrike> {
    let Chosen {
        glyphs,
        missing,
        ascent,
        descent,
        compact_ascent,
        compact_descent,
    } = chosen;
    // One pixel of leading keeps descenders off the next line's capitals.
    let line_height = (ascent + descent + 1).clamp(1, 255);
    let mut metrics: Vec<GlyphMetrics> = Vec::new();
    let mut metrics_index: HashMap<GlyphMetrics, u16> = HashMap::new();
    let mut records = Vec::with_capacity(glyphs.len() * GLYPH_RECORD_LEN);
    let mut ink_rows = HashMap::new();
    for (&cp, g) in &glyphs {
        if !g.rows.is_empty() {
            ink_rows.insert(cp, ((ascent - g.top).max(0) as u32, g.rows.len() as u32));
        }
        let m = GlyphMetrics {
            advance: g.advance.clamp(0, 255) as u8,
            width: g.width as u8,
            height: g.rows.len() as u8,
            x: g.x.clamp(-128, 127) as i8,
            y: (ascent - g.top).clamp(0, 255) as u8,
            depth: g.depth,
        };
        if !m.is_valid() || g.width > 255 || g.rows.len() > 255 {
            bail!(
                "glyph {} is {}x{} pixels, more than a reader draws ({} bytes of bitmap)",
                fieldpack_format::shaped::KeyName(cp),
                g.width,
                g.rows.len(),
                fieldpack_format::layout::MAX_GLYPH_BITMAP
            );
        }
        let index = match metrics_index.get(&m) {
            Some(&i) => i,
            None => {
                let i = u16::try_from(metrics.len())
                    .context("a strike needs more than 65,536 different glyph metrics")?;
                metrics.push(m);
                metrics_index.insert(m, i);
                i
            }
        };
        let entry = GlyphEntry {
            codepoint: cp,
            metrics: index,
            bit_offset: pool.offset_of(g)?,
        };
        records.extend_from_slice(&entry.encode());
    }
    let header = StrikeHeader {
        size_class,
        line_height: line_height as u8,
        baseline: ascent.clamp(0, 255) as u8,
        compact_top: (ascent - compact_ascent).clamp(0, 255) as u8,
        compact_height: (compact_ascent + compact_descent + 1).clamp(1, line_height) as u8,
        glyph_count: glyphs.len() as u32,
        metrics_count: metrics.len() as u16,
        depth: metrics.iter().map(|m| m.depth).max().unwrap_or(1),
    };
    let mut bytes = header.encode().to_vec();
    for m in &metrics {
        bytes.extend_from_slice(&m.encode());
    }
    bytes.extend_from_slice(&records);
    Ok(BuiltStrike {
        bytes,
        glyph_count: glyphs.len(),
        missing,
        size_class,
        line_height: header.line_height,
        compact: LineBox {
            top: header.compact_top,
            height: header.compact_height,
        },
        ink_rows,
    })
}

/// The shaped glyphs a bundle draws: each use (its key and how far it is drawn below its place
/// in each size class) and each glyph's usual advance.
#[derive(Default)]
pub struct Shaped {
    /// Every use of a shaped glyph: (key, offset down per size class).
    pub instances: BTreeSet<(u32, [i32; SHAPED_CLASSES])>,
    /// Each shaped glyph's usual advance per size class.
    pub advances: BTreeMap<u32, [u8; SHAPED_CLASSES]>,
}

/// Builds the strike of each of `classes` (size classes, ascending) for the characters in
/// `chars` and the `shaped` glyphs, and their bitmaps.
pub fn build_glyphs(
    fonts: &Fonts,
    chars: &BTreeSet<char>,
    shaped: &Shaped,
    classes: &[u8],
) -> Result<BuiltGlyphs> {
    let mut pool = BitmapPool::default();
    let strikes = classes
        .iter()
        .map(|&class| encode_strike(class, choose(fonts, class, chars, shaped)?, &mut pool))
        .collect::<Result<Vec<_>>>()?;
    Ok(BuiltGlyphs {
        strikes,
        bitmaps: pool.bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bdf_and_hex_parse() {
        let bdf = "STARTFONT 2.1\nFONT_ASCENT 3\nFONT_DESCENT 1\nSTARTCHAR A\nENCODING 65\nDWIDTH 4 0\nBBX 3 3 0 0\nBITMAP\n40\nA0\nE0\nENDCHAR\n";
        let f = parse_bdf(bdf, "t").expect("parse");
        let g = f.glyph(65).expect("A");
        assert_eq!((g.advance, g.top, g.width), (4, 3, 3));
        assert_eq!(g.rows[0], [0, 1, 0]);
        assert_eq!(g.rows[2], [1, 1, 1]);
        let f = parse_hex("0041:0000000018242442427E424242420000\n", "u").expect("hex");
        let c = f.glyph(0x41).expect("A").cropped();
        assert_eq!((c.width, c.rows.len(), c.top, c.x), (6, 10, 10, 1));
    }

    #[test]
    fn shipped_fonts_cover_the_scripts() {
        let fonts = fonts().expect("fonts load");
        let chars: BTreeSet<char> = "Aé’“”Жω한中".chars().collect();
        let built = build_glyphs(fonts, &chars, &Shaped::default(), &SIZE_CLASSES).expect("glyphs");
        for s in &built.strikes {
            assert!(s.missing.is_empty(), "{:?}", s.missing);
            // The characters plus space, replacement, ellipsis and middle dot.
            assert_eq!(s.glyph_count, chars.len() + 4);
        }
        let built = build_glyphs(
            fonts,
            &['\u{1F600}'].into(),
            &Shaped::default(),
            &SIZE_CLASSES,
        )
        .expect("glyphs");
        assert_eq!(built.strikes[1].missing.len(), 1);
    }
}
