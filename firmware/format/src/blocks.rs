//! Blocks: what each paragraph of an article's body is (a heading, a list item, a quote, a
//! table row...), told by a mark at its start (SPEC.md, "Blocks").
//!
//! A mark is a few bytes of text, so the body stays one UTF-8 text that chunks cut and checksums
//! cover as before, and a reader learns a paragraph's block from the paragraph's own first
//! bytes: a page can be laid out from any paragraph start without an index.

/// First byte of a mark (U+0001).
pub const MARK_START: u8 = 0x01;
/// Last byte of a mark (U+0002).
pub const MARK_END: u8 = 0x02;
/// Between two cells of a table row (U+0003).
pub const CELL: char = '\u{3}';
/// After a cell's column header, before its value, in a table's body row (U+0004).
pub const LABEL_END: char = '\u{4}';
/// Longest mark in bytes, its first and last byte included.
pub const MAX_MARK_LEN: usize = 72;
/// Longest label of a numbered list item in bytes ("12.", "b)", "iv.").
pub const MAX_LABEL_LEN: usize = 16;
/// Deepest nesting of lists and quotes.
pub const MAX_DEPTH: u8 = 8;
/// Most columns in a table.
pub const MAX_COLUMNS: usize = 16;

/// What a paragraph is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BlockKind {
    /// An ordinary paragraph (no mark).
    #[default]
    Text,
    /// A heading; its depth is its level, 1 to 6.
    Heading,
    /// An item of a numbered (ordered) list, with its label as the author wrote it.
    Numbered,
    /// An item of a bulleted (unordered) list.
    Bullet,
    /// A further paragraph of a list item: indented as the item's text, without a label.
    ItemText,
    /// A paragraph of a block quote.
    Quote,
    /// One line of preformatted text, its spaces kept.
    Pre,
    /// A figure's or a table's caption.
    Caption,
    /// A table's header row: its cells' texts.
    HeaderRow,
    /// A table's body row: its cells, each `header U+0004 value` when the table has a header.
    Row,
}

impl BlockKind {
    /// The letter that names the kind in a mark (`Text` has no mark).
    pub const fn letter(self) -> u8 {
        match self {
            BlockKind::Text => b' ',
            BlockKind::Heading => b'h',
            BlockKind::Numbered => b'o',
            BlockKind::Bullet => b'u',
            BlockKind::ItemText => b'i',
            BlockKind::Quote => b'q',
            BlockKind::Pre => b'p',
            BlockKind::Caption => b'c',
            BlockKind::HeaderRow => b't',
            BlockKind::Row => b'r',
        }
    }

    /// The kind a mark's letter names.
    pub const fn of_letter(letter: u8) -> Option<BlockKind> {
        Some(match letter {
            b'h' => BlockKind::Heading,
            b'o' => BlockKind::Numbered,
            b'u' => BlockKind::Bullet,
            b'i' => BlockKind::ItemText,
            b'q' => BlockKind::Quote,
            b'p' => BlockKind::Pre,
            b'c' => BlockKind::Caption,
            b't' => BlockKind::HeaderRow,
            b'r' => BlockKind::Row,
            _ => return None,
        })
    }

    /// Whether a paragraph of this kind is a table row.
    pub const fn is_row(self) -> bool {
        matches!(self, BlockKind::HeaderRow | BlockKind::Row)
    }

    /// The deepest depth a mark of this kind may give.
    pub const fn max_depth(self) -> u8 {
        match self {
            BlockKind::Heading => 6,
            BlockKind::Numbered | BlockKind::Bullet | BlockKind::ItemText | BlockKind::Quote => {
                MAX_DEPTH
            }
            _ => 1,
        }
    }
}

/// A paragraph's mark, as read from its first bytes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mark {
    /// What the paragraph is.
    pub kind: BlockKind,
    /// Heading level, or nesting depth of a list item or quote (1 is the outermost).
    pub depth: u8,
    /// Length of the mark in bytes (0 for a paragraph without one): its text starts there.
    pub len: u8,
    /// Length in bytes of its label, which starts 3 bytes into the mark.
    pub label_len: u8,
}

/// Offset of a label inside its mark.
pub const LABEL_AT: usize = 3;

/// Why a paragraph's first bytes are not a mark a writer makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkError {
    /// No `U+0002` within [`MAX_MARK_LEN`] bytes.
    Unterminated,
    /// A letter that names no kind.
    Kind,
    /// A depth that is not a digit from 1 to the kind's deepest.
    Depth,
    /// A label the kind does not take, or one malformed for it.
    Label,
}

impl Mark {
    /// The mark at the start of a paragraph's bytes: a plain paragraph's (`Text`, length 0) when
    /// they do not start with [`MARK_START`]. A table row's label must be its column widths.
    pub fn parse(bytes: &[u8]) -> Result<Mark, MarkError> {
        if bytes.first() != Some(&MARK_START) {
            return Ok(Mark {
                kind: BlockKind::Text,
                depth: 1,
                len: 0,
                label_len: 0,
            });
        }
        let head = bytes.get(..MAX_MARK_LEN.min(bytes.len())).unwrap_or(&[]);
        let end = head
            .iter()
            .position(|&b| b == MARK_END)
            .ok_or(MarkError::Unterminated)?;
        let kind = head
            .get(1)
            .and_then(|&l| BlockKind::of_letter(l))
            .ok_or(MarkError::Kind)?;
        let depth = match head.get(2) {
            Some(&d @ b'1'..=b'9') if d - b'0' <= kind.max_depth() => d - b'0',
            _ => return Err(MarkError::Depth),
        };
        if end < LABEL_AT {
            return Err(MarkError::Depth);
        }
        let label = head.get(LABEL_AT..end).unwrap_or(&[]);
        let ok = match kind {
            BlockKind::Numbered => {
                !label.is_empty()
                    && label.len() <= MAX_LABEL_LEN
                    && core::str::from_utf8(label)
                        .is_ok_and(|s| s.chars().all(|c| !c.is_control() && !c.is_whitespace()))
            }
            BlockKind::HeaderRow | BlockKind::Row => ColumnWidths::new(label).is_some(),
            _ => label.is_empty(),
        };
        if !ok {
            return Err(MarkError::Label);
        }
        Ok(Mark {
            kind,
            depth,
            len: (end + 1) as u8,
            label_len: label.len() as u8,
        })
    }

    /// The label's bytes inside `bytes`, the paragraph's bytes this mark was read from.
    pub fn label<'a>(&self, bytes: &'a [u8]) -> &'a [u8] {
        bytes
            .get(LABEL_AT..LABEL_AT + usize::from(self.label_len))
            .unwrap_or(&[])
    }

    /// A table row's column widths, from `bytes`, the paragraph's bytes this mark was read
    /// from; `None` for any other block.
    pub fn columns(&self, bytes: &[u8]) -> Option<ColumnWidths> {
        if self.kind.is_row() {
            ColumnWidths::new(self.label(bytes))
        } else {
            None
        }
    }
}

/// A table's column widths, from a row's label: decimal numbers of character cells (a wide
/// character two), one a column, between commas.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ColumnWidths {
    widths: [u8; MAX_COLUMNS],
    count: u8,
}

impl ColumnWidths {
    /// The widths a label gives: 1 to [`MAX_COLUMNS`] numbers from 1 to 255 without leading
    /// zeros; `None` for anything else.
    pub fn new(label: &[u8]) -> Option<ColumnWidths> {
        let mut widths = [0u8; MAX_COLUMNS];
        let mut count = 0usize;
        for part in label.split(|&b| b == b',') {
            if part.is_empty() || part.len() > 3 || part.first() == Some(&b'0') {
                return None;
            }
            let mut n = 0u16;
            for &d in part {
                if !d.is_ascii_digit() {
                    return None;
                }
                n = n * 10 + u16::from(d - b'0');
            }
            let slot = widths.get_mut(count)?;
            *slot = u8::try_from(n).ok()?;
            count += 1;
        }
        Some(ColumnWidths {
            widths,
            count: count as u8,
        })
    }

    /// The widths, one a column.
    pub fn as_slice(&self) -> &[u8] {
        self.widths.get(..usize::from(self.count)).unwrap_or(&[])
    }

    /// Number of columns.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// Whether there are no columns (never, for widths [`ColumnWidths::new`] accepted).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }
}

/// Character cells a character takes in a table column: 2 for the wide scripts (Han, Hangul,
/// kana, full-width forms), 0 for combining marks and joiners, 1 for the rest.
pub fn cells(c: char) -> u32 {
    let u = c as u32;
    if matches!(u, 0x0300..=0x036F | 0x200B..=0x200F | 0x20D0..=0x20FF | 0xFE00..=0xFE0F)
        || matches!(u, 0x0591..=0x05BD | 0x0610..=0x061A | 0x064B..=0x065F | 0x0E31 | 0x0E34..=0x0E3A | 0x0E47..=0x0E4E)
        || matches!(u, 0x0900..=0x0903 | 0x093A..=0x094F | 0x0951..=0x0957 | 0x0962..=0x0963)
    {
        return 0;
    }
    if matches!(u,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE30..=0xFE4F | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
    {
        return 2;
    }
    1
}

/// The marks a writer writes.
#[cfg(feature = "std")]
pub mod write {
    use super::{BlockKind, MARK_END, MARK_START};
    use std::string::String;

    /// The mark that starts a paragraph of `kind` at `depth` with `label` (empty but for
    /// numbered items and table rows); empty for a plain paragraph.
    pub fn mark(kind: BlockKind, depth: u8, label: &str) -> String {
        if kind == BlockKind::Text {
            return String::new();
        }
        let mut s = String::with_capacity(4 + label.len());
        s.push(char::from(MARK_START));
        s.push(char::from(kind.letter()));
        s.push(char::from(b'0' + depth.clamp(1, kind.max_depth())));
        s.push_str(label);
        s.push(char::from(MARK_END));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marks_parse_and_refuse() {
        assert_eq!(Mark::parse(b"plain").map(|m| m.len), Ok(0));
        let m = Mark::parse(b"\x01h2\x02Heading").expect("heading");
        assert_eq!((m.kind, m.depth, m.len), (BlockKind::Heading, 2, 4));
        let b = b"\x01o112.\x02Step";
        let m = Mark::parse(b).expect("numbered");
        assert_eq!(
            (m.kind, m.depth, m.label(b)),
            (BlockKind::Numbered, 1, &b"12."[..])
        );
        let b = b"\x01r13,10,255\x02a\x03b";
        let m = Mark::parse(b).expect("row");
        let w = ColumnWidths::new(m.label(b)).expect("widths");
        assert_eq!(w.as_slice(), &[3, 10, 255]);
        assert_eq!(Mark::parse(b"\x01h7\x02x"), Err(MarkError::Depth));
        assert_eq!(Mark::parse(b"\x01z1\x02x"), Err(MarkError::Kind));
        assert_eq!(Mark::parse(b"\x01h1x"), Err(MarkError::Unterminated));
        assert_eq!(Mark::parse(b"\x01o1\x02x"), Err(MarkError::Label));
        assert_eq!(Mark::parse(b"\x01u1a\x02x"), Err(MarkError::Label));
        assert_eq!(Mark::parse(b"\x01r1\x02x"), Err(MarkError::Label));
        assert_eq!(Mark::parse(b"\x01r1256\x02x"), Err(MarkError::Label));
        assert_eq!(Mark::parse(b"\x01r101\x02x"), Err(MarkError::Label));
        assert_eq!(Mark::parse(b"\x01\x02"), Err(MarkError::Kind));
        assert_eq!(Mark::parse(b"\x01h\x02"), Err(MarkError::Depth));
        assert_eq!(Mark::parse(b"\x01"), Err(MarkError::Unterminated));
        assert!(ColumnWidths::new(b"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17").is_none());
    }
}
