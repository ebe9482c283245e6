//! The postcard-encoded values of a bundle: bundle information and article metadata.

use crate::fold::fold_str;

use serde::{Deserialize, Serialize};

/// Bundle-wide information: the `Info` section.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BundleInfo<'a> {
    /// A title for the whole bundle, shown on the info screen.
    pub title: &'a str,
    /// Who made the bundle (free text; may be empty).
    pub creator: &'a str,
    /// When the bundle was made, `YYYY-MM-DD`, if the maker said so.
    pub created: Option<&'a str>,
    /// The tool and version that wrote the bundle.
    pub tool: &'a str,
    /// Number of articles.
    pub article_count: u32,
    /// Largest decoded length of any body chunk, in bytes.
    pub max_chunk_len: u32,
    /// The bundle's identity (a hash of what it shows): a saved reading position is applied
    /// only to the bundle it was saved for.
    pub id: [u8; 16],
}

/// Writing direction of an article's text.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Left to right (Latin, Cyrillic, Hangul, Han, ...).
    #[default]
    Ltr,
    /// Right to left (Arabic, Hebrew, ...).
    Rtl,
}

/// What is known about one article: a record of the `Meta` section.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ArticleMeta<'a> {
    /// The headline.
    pub title: &'a str,
    /// BCP 47 language tag (`en`, `ko`, `ru`, ...), if known.
    pub lang: Option<&'a str>,
    /// Writing direction.
    pub dir: Direction,
    /// Publication date as found in the source, if any.
    pub date: Option<&'a str>,
    /// Where the article came from (a publication, a site), if known.
    pub source: Option<&'a str>,
    /// Who wrote it, if known.
    pub author: Option<&'a str>,
    /// The input file's path relative to the folder it was packed from.
    pub origin: &'a str,
    /// What tells this article apart from others with the same title (their date, source or
    /// first words), when there are such.
    pub note: Option<&'a str>,
    /// The rows every line of this article takes in each size class's strike (index: size
    /// class), so that its lines are as tall as its own glyphs need and no taller.
    pub lines: [LineBox; crate::layout::SIZE_CLASS_COUNT],
    /// Where its bidi level runs are in the `Levels` section (none for text that is all left
    /// to right, with no word boundaries to mark).
    pub levels: crate::shaped::LevelSpan,
}

/// The rows of a strike's full line that an article's lines take: from `top` rows below a
/// full line's top, `height` rows (the ink of the article's glyphs and one row between lines).
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineBox {
    /// First row, below the full line's top.
    pub top: u8,
    /// Rows, at least 1; `top + height` is at most the strike's `line_height`.
    pub height: u8,
}

impl LineBox {
    /// The box of a text whose glyphs' ink is `ink` (each glyph's first row below a full
    /// line's top, and its rows) in a strike whose full line is `line_height` rows: from the
    /// highest ink to the lowest, and one row between lines; `no_ink` for a text without ink.
    /// Writers compute the boxes with it and full checks recompute them.
    pub fn enclosing(
        ink: impl IntoIterator<Item = (u32, u32)>,
        line_height: u8,
        no_ink: LineBox,
    ) -> LineBox {
        let (mut top, mut bottom) = (u32::MAX, 0u32);
        for (y, rows) in ink {
            top = top.min(y);
            bottom = bottom.max(y.saturating_add(rows));
        }
        if top == u32::MAX {
            return no_ink;
        }
        let line = u32::from(line_height);
        let top = top.min(line.saturating_sub(1));
        LineBox {
            top: top as u8,
            height: (bottom.saturating_add(1).saturating_sub(top))
                .clamp(1, line.saturating_sub(top).max(1)) as u8,
        }
    }

    /// Whether the box lies in a strike whose full line is `line_height` rows.
    pub fn fits(self, line_height: u8) -> bool {
        self.height >= 1 && u16::from(self.top) + u16::from(self.height) <= u16::from(line_height)
    }
}

/// Orders two titles the way the `Titles` section is sorted: by folded characters
/// ([`crate::fold`]).
pub fn title_cmp(a: &str, b: &str) -> core::cmp::Ordering {
    fold_str(a).cmp(fold_str(b))
}

/// Whether `title` starts with `prefix`, ignoring case and accents.
pub fn title_has_prefix(title: &str, prefix: &str) -> bool {
    let mut t = fold_str(title);
    fold_str(prefix).all(|p| t.next() == Some(p))
}

/// The key a title is stored with in the `Titles` section: its folded UTF-8, cut at a
/// character boundary to at most [`crate::layout::TITLE_KEY_LEN`] bytes; padded with `0x00`
/// when the whole title fits, with `0xFF` (never in UTF-8) when it was cut.
pub fn title_key(title: &str) -> [u8; crate::layout::TITLE_KEY_LEN] {
    let mut key = [0u8; crate::layout::TITLE_KEY_LEN];
    let mut at = 0;
    for c in fold_str(title) {
        let mut b = [0u8; 4];
        let s = c.encode_utf8(&mut b).as_bytes();
        match key.get_mut(at..at + s.len()) {
            Some(dst) => dst.copy_from_slice(s),
            None => {
                for k in key.iter_mut().skip(at) {
                    *k = 0xFF;
                }
                break;
            }
        }
        at += s.len();
    }
    key
}

/// A search prefix folded once, as far as a title key can compare it: a binary search
/// then compares bytes at each step instead of folding the prefix again.
#[derive(Clone, Copy, Debug)]
pub struct FoldedPrefix {
    bytes: [u8; crate::layout::TITLE_KEY_LEN],
    len: usize,
    /// The folded prefix is longer than a key.
    longer: bool,
    /// The prefix holds U+0000.
    has_nul: bool,
    /// Its first eight bytes, big-endian, and the mask of those that are the prefix's.
    head: u64,
    head_mask: u64,
}

impl FoldedPrefix {
    /// Folds the start of `prefix`.
    pub fn new(prefix: &str) -> Self {
        let mut f = FoldedPrefix {
            bytes: [0; crate::layout::TITLE_KEY_LEN],
            len: 0,
            longer: false,
            has_nul: prefix.contains('\0'),
            head: 0,
            head_mask: 0,
        };
        'chars: for c in fold_str(prefix) {
            let mut b = [0u8; 4];
            for &pb in c.encode_utf8(&mut b).as_bytes() {
                match f.bytes.get_mut(f.len) {
                    Some(slot) => *slot = pb,
                    None => {
                        f.longer = true;
                        break 'chars;
                    }
                }
                f.len += 1;
            }
        }
        let n = f.len.min(8) as u32;
        f.head_mask = u64::MAX.checked_shl(64 - 8 * n).unwrap_or(0);
        let mut head = [0u8; 8];
        for (d, s) in head.iter_mut().zip(&f.bytes) {
            *d = *s;
        }
        f.head = u64::from_be_bytes(head) & f.head_mask;
        f
    }

    /// Orders a key by its first eight bytes (read big-endian) against the prefix, when they
    /// decide: a search step then costs one 8-byte read and an integer comparison. `None`:
    /// compare the whole key with [`FoldedPrefix::cmp_key`].
    pub fn cmp_key_head(&self, head: u64) -> Option<core::cmp::Ordering> {
        use core::cmp::Ordering;
        if self.has_nul {
            return None;
        }
        let (k, p) = (head & self.head_mask, self.head);
        match k.cmp(&p) {
            // Padding 0x00 (a complete title, shorter than the prefix) sorts below any text.
            Ordering::Less => Some(Ordering::Less),
            Ordering::Equal => (self.len <= 8 && !self.longer).then_some(Ordering::Equal),
            Ordering::Greater => {
                // 0xFF padding (a cut title) sorts above any text, but the title may match.
                let first = (k ^ p).leading_zeros() / 8;
                let byte = (k >> (56 - 8 * first)) & 0xFF;
                (byte != 0xFF).then_some(Ordering::Greater)
            }
        }
    }

    /// Orders a title key against the prefix: `Some(Equal)` when the title starts with it,
    /// `None` when the key is too short to tell (the full title must decide).
    pub fn cmp_key(&self, key: &[u8; crate::layout::TITLE_KEY_LEN]) -> Option<core::cmp::Ordering> {
        use core::cmp::Ordering;
        let len = key
            .iter()
            .position(|&b| b == 0 || b == 0xFF)
            .unwrap_or(key.len());
        // Zero padding: the whole title is in the key. A full key or 0xFF padding: it was cut.
        let complete = key.get(len) == Some(&0);
        let folded = self.bytes.get(..self.len).unwrap_or(&[]);
        for (at, &pb) in folded.iter().enumerate() {
            match key.get(at) {
                Some(&kb) if at < len => {
                    if kb != pb {
                        return Some(kb.cmp(&pb));
                    }
                }
                // The key ran out: a complete title is shorter than the prefix, so before it.
                _ => return complete.then_some(Ordering::Less),
            }
        }
        if self.longer {
            // The prefix goes on past what any key holds.
            return complete.then_some(Ordering::Less);
        }
        Some(Ordering::Equal)
    }
}

/// Orders a title key against a search prefix: `Some(Equal)` when the title starts with the
/// prefix, `None` when the key is too short to tell (the full title must decide).
pub fn title_key_prefix_cmp(
    key: &[u8; crate::layout::TITLE_KEY_LEN],
    prefix: &str,
) -> Option<core::cmp::Ordering> {
    FoldedPrefix::new(prefix).cmp_key(key)
}

/// Orders a title against a search prefix: `Equal` when the title starts with the prefix.
pub fn title_prefix_cmp(title: &str, prefix: &str) -> core::cmp::Ordering {
    let mut t = fold_str(title);
    for p in fold_str(prefix) {
        match t.next() {
            None => return core::cmp::Ordering::Less,
            Some(c) if c != p => return c.cmp(&p),
            Some(_) => {}
        }
    }
    core::cmp::Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::cmp::Ordering;

    #[test]
    fn metadata_bytes_are_pinned() {
        let meta = ArticleMeta {
            title: "Ab",
            lang: Some("en"),
            dir: Direction::Rtl,
            date: None,
            source: None,
            author: None,
            origin: "",
            note: None,
            lines: [
                LineBox { top: 3, height: 11 },
                LineBox {
                    top: 0,
                    height: 200,
                },
                LineBox { top: 2, height: 17 },
                LineBox { top: 3, height: 21 },
            ],
            levels: crate::shaped::LevelSpan {
                first: 300,
                count: 2,
                crc: 1,
            },
        };
        let mut buf = [0u8; 32];
        let bytes = postcard::to_slice(&meta, &mut buf).expect("encode");
        // The line boxes are eight bytes, one byte a field (not varints); the level span three
        // varints.
        assert_eq!(
            &bytes[..],
            &[
                2, b'A', b'b', 1, 2, b'e', b'n', 1, 0, 0, 0, 0, 0, 3, 11, 0, 200, 2, 17, 3, 21,
                0xAC, 2, 2, 1
            ]
        );
        let back: ArticleMeta = postcard::from_bytes(bytes).expect("decode");
        assert_eq!(back, meta);
        assert!(LineBox { top: 3, height: 11 }.fits(14));
        assert!(!LineBox { top: 3, height: 12 }.fits(14));
        assert!(!LineBox { top: 0, height: 0 }.fits(14));
    }

    #[test]
    fn keys_decide_or_defer() {
        let k = title_key("Human Rights");
        assert_eq!(&k, b"human rights");
        assert_eq!(title_key_prefix_cmp(&k, "HUMAN"), Some(Ordering::Equal));
        assert_eq!(title_key_prefix_cmp(&k, "Humbug"), Some(Ordering::Less));
        assert_eq!(title_key_prefix_cmp(&k, "Hua"), Some(Ordering::Greater));
        // The key holds all of it, so "human rights!" cannot match: it is after the title.
        assert_eq!(title_key_prefix_cmp(&k, "Human Rights!"), None);
        let short = title_key("Abc");
        assert_eq!(&short[..4], b"abc\0");
        assert_eq!(title_key_prefix_cmp(&short, "abcd"), Some(Ordering::Less));
        // Hangul: three bytes a syllable; the fifth does not fit and the key says it was cut.
        let ko = title_key("세계인권선언");
        assert_eq!(&ko[..12], "세계인권".as_bytes());
        let ko11 = title_key("a세계인권선언");
        assert_eq!(ko11[10], 0xFF);
        assert_eq!(title_key_prefix_cmp(&ko11, "a세계인권선"), None);
        assert_eq!(title_key_prefix_cmp(&ko11, "a세계"), Some(Ordering::Equal));
    }

    extern crate std;
    use std::{format, string::String, vec, vec::Vec};

    /// What a search step decides from the key head, else the key, else the whole title.
    fn decide(title: &str, prefix: &str) -> Ordering {
        let key = title_key(title);
        let folded = FoldedPrefix::new(prefix);
        let head = u64::from_be_bytes(key[..8].try_into().expect("8 bytes"));
        folded
            .cmp_key_head(head)
            .or_else(|| folded.cmp_key(&key))
            .unwrap_or_else(|| title_prefix_cmp(title, prefix))
    }

    #[test]
    fn every_shortcut_agrees_with_the_whole_title() {
        let titles = [
            "",
            "A",
            "Abc",
            "Human Rights",
            "Human Rights Watch",
            "human",
            "humanity",
            "Ärzte ohne Grenzen",
            "ÄRZTE",
            "세계인권선언",
            "a세계인권선언",
            "Всеобщая декларация прав человека",
            "İstanbul",
            "ΣΟΦΊΑ",
            "12345678",
            "123456789012",
            "1234567890123",
            // No title holds U+0000: the writer drops control characters.
        ];
        let mut prefixes: Vec<String> = vec![
            String::new(),
            "\u{0}".into(),
            "zzzz".into(),
            "\u{10FFFF}".into(),
            "human rights watch and more and more".into(),
        ];
        for t in titles {
            let chars: Vec<char> = t.chars().collect();
            for n in 0..=chars.len() {
                let p: String = chars[..n].iter().collect();
                prefixes.push(p.to_uppercase());
                prefixes.push(format!("{p}a"));
                prefixes.push(format!("{p}\u{FFFF}"));
                prefixes.push(format!("{p} "));
                prefixes.push(p);
            }
        }
        for t in titles {
            for p in &prefixes {
                assert_eq!(
                    decide(t, p),
                    title_prefix_cmp(t, p),
                    "title {t:?}, prefix {p:?}"
                );
            }
        }
    }
}
