//! An article's structure as the bundle keeps it: each paragraph a block (heading, list item,
//! quote, preformatted line, caption, table row) told by a mark at its start (the format's
//! `blocks` module, SPEC.md "Blocks"); and the Markdown `extract` writes for it, which reads
//! back to the same blocks.

use std::fmt::Write as _;

use fieldpack_format::blocks::{
    cells, write::mark, BlockKind, ColumnWidths, Mark, CELL, LABEL_END, MAX_COLUMNS, MAX_DEPTH,
    MAX_LABEL_LEN,
};
use unicode_normalization::UnicodeNormalization;

use crate::text::normalize_paragraph;

/// A paragraph of `kind` at `depth` (1 is the outermost), its label (a numbered item's) and text.
pub fn block(kind: BlockKind, depth: usize, label: &str, text: &str) -> String {
    let depth = depth.clamp(1, usize::from(MAX_DEPTH)) as u8;
    let mut s = mark(kind, depth, label);
    s.push_str(text);
    s
}

/// The blocks open around the text being read (lists, items, quotes, a heading or a caption):
/// what a paragraph ended now is. The HTML and the Markdown readers keep one each.
#[derive(Debug, Default)]
pub struct Open {
    /// The mark of the block being read, when it is one of its own (a heading, a caption).
    pub mark: Option<String>,
    /// The mark of a list item just begun, for its first paragraph.
    pub item: Option<String>,
    /// List items open.
    pub items: usize,
    /// Lists open: an item's depth.
    pub lists: usize,
    /// Quotes open.
    pub quotes: usize,
}

impl Open {
    /// Ends the paragraph in `cur` (if it holds any text), marked as what it is: its own
    /// block's, an item's first paragraph, a further paragraph of an item, a quote's, or text.
    pub fn end(&mut self, cur: &mut String, out: &mut Vec<String>) {
        if !cur.trim().is_empty() {
            let text = clean_input(cur);
            let p = if let Some(m) = self.mark.clone() {
                format!("{m}{text}")
            } else if let Some(m) = self.item.take() {
                format!("{m}{text}")
            } else if self.items > 0 {
                block(BlockKind::ItemText, self.lists, "", &text)
            } else if self.quotes > 0 {
                block(BlockKind::Quote, self.quotes, "", &text)
            } else {
                text
            };
            out.push(p);
        }
        cur.clear();
    }
}

/// A table row of `cells`, its widths to be set by [`set_table_widths`]; a body row's cells
/// carry their column's header (`headers`) when the table has one.
pub fn row(header: bool, cells: &[String], headers: Option<&[String]>) -> String {
    let kind = if header {
        BlockKind::HeaderRow
    } else {
        BlockKind::Row
    };
    let mut s = mark(kind, 1, "1");
    for (i, c) in cells.iter().take(MAX_COLUMNS).enumerate() {
        if i > 0 {
            s.push(CELL);
        }
        if let Some(h) = headers {
            s.push_str(&clean_input(h.get(i).map_or("", String::as_str)));
            s.push(LABEL_END);
        }
        s.push_str(&clean_input(c));
    }
    s
}

/// Text from an input with the characters marks are made of (C0 controls) made spaces, so
/// that no input can forge a mark.
pub fn clean_input(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_control() && c != '\n' && c != '\t' {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// A numbered item's label as an input gave it, made a label the format takes: no spaces or
/// controls, at most `MAX_LABEL_LEN` bytes; `None` if nothing is left.
pub fn clean_label(label: &str) -> Option<String> {
    let mut s: String = label
        .nfc()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect();
    while s.len() > MAX_LABEL_LEN {
        s.pop();
    }
    (!s.is_empty()).then_some(s)
}

/// The mark of a paragraph and the rest of it.
pub fn split_mark(p: &str) -> (Mark, &str, &str) {
    match Mark::parse(p.as_bytes()) {
        Ok(m) => {
            let (a, b) = p.split_at(usize::from(m.len));
            (m, a, b)
        }
        Err(_) => (Mark::default(), "", p),
    }
}

/// One paragraph in normal form (see [`normalize_paragraph`]), its mark kept: a table row's
/// cells each normalised, a preformatted line's spaces kept (tabs to the next multiple of 4).
/// Empty when nothing but white space is left, except a preformatted line, which may be blank.
pub fn normalize_block(p: &str, strip: impl Fn(&str) -> String) -> String {
    let (m, head, text) = split_mark(p);
    match m.kind {
        BlockKind::Text => normalize_paragraph(&strip(text)),
        BlockKind::Pre => {
            let mut out = String::from(head);
            let mut col = 0usize;
            for c in text.nfc() {
                if c == '\t' {
                    let n = 4 - col % 4;
                    out.extend(std::iter::repeat_n(' ', n));
                    col += n;
                } else if !c.is_control() && !matches!(c, '\u{00AD}' | '\u{200B}' | '\u{FEFF}') {
                    out.push(if c.is_whitespace() { ' ' } else { c });
                    col += 1;
                }
            }
            out.truncate(out.trim_end().len().max(head.len()));
            out
        }
        k if k.is_row() => {
            let mut out = String::from(head);
            let mut any = false;
            for (i, cell) in text.split(CELL).enumerate() {
                if i > 0 {
                    out.push(CELL);
                }
                match cell.split_once(LABEL_END) {
                    Some((h, v)) => {
                        out.push_str(&normalize_paragraph(h));
                        out.push(LABEL_END);
                        let v = normalize_paragraph(v);
                        any |= !v.is_empty();
                        out.push_str(&v);
                    }
                    None => {
                        let v = normalize_paragraph(cell);
                        any |= !v.is_empty();
                        out.push_str(&v);
                    }
                }
            }
            if any {
                out
            } else {
                String::new()
            }
        }
        _ => {
            let t = normalize_paragraph(&strip(text));
            if t.is_empty() {
                t
            } else {
                format!("{head}{t}")
            }
        }
    }
}

/// The text of a paragraph as words: its mark left out, a row's cells (values only) apart.
pub fn plain_text(p: &str) -> String {
    let (m, _, text) = split_mark(p);
    if !m.kind.is_row() {
        return text.to_string();
    }
    text.split(CELL)
        .map(|c| c.split_once(LABEL_END).map_or(c, |(_, v)| v))
        .filter(|v| !v.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Character cells a text takes in a table column.
fn text_cells(s: &str) -> u32 {
    s.chars().map(cells).sum()
}

/// Sets every table row's column widths: a table is a run of row paragraphs that only its first
/// may start as a header row, and each column is as wide as its widest cell (at least 1, at
/// most 255 cells); body rows' headers are not counted.
pub fn set_table_widths(paragraphs: &mut [String]) {
    let mut i = 0;
    while i < paragraphs.len() {
        let (m, _, _) = split_mark(&paragraphs[i]);
        if !m.kind.is_row() {
            i += 1;
            continue;
        }
        let mut j = i + 1;
        while j < paragraphs.len() && split_mark(&paragraphs[j]).0.kind == BlockKind::Row {
            j += 1;
        }
        let mut widths: Vec<u32> = Vec::new();
        for p in &paragraphs[i..j] {
            let (_, _, text) = split_mark(p);
            for (c, cell) in text.split(CELL).enumerate() {
                let v = cell.split_once(LABEL_END).map_or(cell, |(_, v)| v);
                if widths.len() <= c {
                    widths.resize(c + 1, 1);
                }
                widths[c] = widths[c].max(text_cells(v)).clamp(1, 255);
            }
        }
        let label = widths
            .iter()
            .map(u32::to_string)
            .collect::<Vec<_>>()
            .join(",");
        for p in &mut paragraphs[i..j] {
            let (m, _, text) = split_mark(p);
            // Every row has a cell for every column.
            let mut text = text.to_string();
            let have = text.split(CELL).count();
            let labelled = text.contains(LABEL_END);
            for _ in have..widths.len() {
                text.push(CELL);
                if labelled {
                    text.push(LABEL_END);
                }
            }
            *p = format!("{}{text}", mark(m.kind, 1, &label));
        }
        i = j;
    }
}

/// The column widths a well-formed row carries.
pub fn row_widths(p: &str) -> Option<ColumnWidths> {
    Mark::parse(p.as_bytes()).ok()?.columns(p.as_bytes())
}

/// Backslash-escapes what Markdown would read as syntax in `s`, a run of inline text; at a
/// line's start (`line_start`) also what would start a block.
fn escape_inline(s: &str, line_start: bool, out: &mut String) {
    let bytes = s.as_bytes();
    if line_start {
        // "1." / "1)" / "a." / "iv)": a list item; "#", ">", "-", "+", "*", "=": a block.
        let lead = s
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(s.len());
        let label_like = lead > 0
            && lead <= 9
            && matches!(bytes.get(lead), Some(b'.' | b')'))
            && (s[..lead].bytes().all(|b| b.is_ascii_digit()) || is_letter_label(&s[..lead]));
        if label_like {
            out.push_str(&s[..lead]);
            out.push('\\');
            escape_inline(&s[lead..], false, out);
            return;
        }
        if matches!(bytes.first(), Some(b'#' | b'>' | b'-' | b'+' | b'=' | b'|')) {
            out.push('\\');
        }
    }
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '&' | '|' | '~' | '!'
        ) {
            out.push('\\');
        }
        out.push(c);
    }
}

/// Whether `s` is a letter or Roman-numeral label ("a", "B", "iv").
pub fn is_letter_label(s: &str) -> bool {
    (s.len() == 1 && s.bytes().all(|b| b.is_ascii_alphabetic()))
        || (!s.is_empty()
            && s.len() <= 7
            && (s.bytes().all(|b| b"ivxlcdm".contains(&b))
                || s.bytes().all(|b| b"IVXLCDM".contains(&b))))
}

/// The body as Markdown that [`crate::ingest::parse_markdown`] reads back to the same blocks:
/// headings with `#`, list items with their labels (nested ones indented under their parent's
/// text), quotes with `>`, preformatted lines in fences, captions as `<figcaption>` and tables
/// as pipe tables.
pub fn body_to_markdown(body: &str) -> String {
    let mut out = String::new();
    // The text column of the open list item at each depth.
    let mut columns: Vec<usize> = Vec::new();
    let paragraphs: Vec<&str> = body.split('\n').collect();
    let mut i = 0;
    let is_item = |k: BlockKind| matches!(k, BlockKind::Numbered | BlockKind::Bullet);
    let mut prev = BlockKind::Text;
    while i < paragraphs.len() {
        let p = paragraphs[i];
        let (m, head, text) = split_mark(p);
        let depth = usize::from(m.depth.max(1));
        // Items one after another are a tight list: no blank line between them.
        let tight = is_item(m.kind) && is_item(prev);
        if !out.is_empty() && !tight {
            out.push('\n');
        }
        prev = m.kind;
        match m.kind {
            BlockKind::Text => {
                columns.clear();
                escape_inline(text, true, &mut out);
                out.push('\n');
            }
            BlockKind::Heading => {
                columns.clear();
                out.push_str(&"#".repeat(depth));
                out.push(' ');
                escape_inline(text, false, &mut out);
                if text.ends_with('#') {
                    // A closing sequence would be dropped.
                    out.insert(out.len() - 1, '\\');
                }
                out.push('\n');
            }
            BlockKind::Numbered | BlockKind::Bullet => {
                columns.truncate(depth - 1);
                let indent = columns.last().copied().unwrap_or(0);
                // A list one deeper than the open ones is under the deepest.
                let label = if m.kind == BlockKind::Numbered {
                    String::from_utf8_lossy(m.label(head.as_bytes())).into_owned()
                } else {
                    "-".into()
                };
                // A label is written as it is: a CommonMark marker ("3.", "2)"), or a letter or
                // Roman numeral, which `parse_markdown` reads as an item in a list.
                let written = label;
                out.push_str(&" ".repeat(indent));
                out.push_str(&written);
                out.push(' ');
                // An item's text starts a line of its own for Markdown ("1. - x" nests a list).
                escape_inline(text, true, &mut out);
                out.push('\n');
                while columns.len() < depth {
                    columns.push(indent + written.chars().count() + 1);
                }
            }
            BlockKind::ItemText => {
                columns.truncate(depth);
                let indent = columns.last().copied().unwrap_or(0);
                out.push_str(&" ".repeat(indent));
                escape_inline(text, true, &mut out);
                out.push('\n');
            }
            BlockKind::Quote => {
                columns.clear();
                out.push_str(&"> ".repeat(depth));
                escape_inline(text, true, &mut out);
                out.push('\n');
            }
            BlockKind::Pre => {
                columns.clear();
                let mut j = i;
                let mut lines = Vec::new();
                while j < paragraphs.len() {
                    let (m, _, t) = split_mark(paragraphs[j]);
                    if m.kind != BlockKind::Pre {
                        break;
                    }
                    lines.push(t);
                    j += 1;
                }
                let longest = lines.iter().map(|l| longest_run(l, '`')).max().unwrap_or(0);
                let fence = "`".repeat(longest.max(2) + 1);
                let _ = writeln!(out, "{fence}");
                for l in lines {
                    let _ = writeln!(out, "{l}");
                }
                let _ = writeln!(out, "{fence}");
                i = j;
                continue;
            }
            BlockKind::Caption => {
                columns.clear();
                let _ = writeln!(out, "<figcaption>{}</figcaption>", html_escape(text));
            }
            BlockKind::HeaderRow | BlockKind::Row => {
                columns.clear();
                let mut j = i;
                let mut rows: Vec<(bool, Vec<String>)> = Vec::new();
                while j < paragraphs.len() {
                    let (m, _, t) = split_mark(paragraphs[j]);
                    if !m.kind.is_row() || (j > i && m.kind == BlockKind::HeaderRow) {
                        break;
                    }
                    let cells = t
                        .split(CELL)
                        .map(|c| c.split_once(LABEL_END).map_or(c, |(_, v)| v))
                        .map(|c| {
                            let mut s = String::new();
                            escape_inline(c, false, &mut s);
                            s
                        })
                        .collect();
                    rows.push((m.kind == BlockKind::HeaderRow, cells));
                    j += 1;
                }
                let cols = rows.iter().map(|r| r.1.len()).max().unwrap_or(1);
                let line = |cells: &[String]| {
                    let mut s = String::from("|");
                    for c in 0..cols {
                        let _ = write!(s, " {} |", cells.get(c).map_or("", String::as_str));
                    }
                    s
                };
                let mut rest = &rows[..];
                // A table without a header row has one of empty cells.
                match rows.first() {
                    Some((true, cells)) => {
                        let _ = writeln!(out, "{}", line(cells));
                        rest = &rows[1..];
                    }
                    _ => {
                        let _ = writeln!(out, "{}", line(&[]));
                    }
                }
                let _ = writeln!(out, "|{}", " --- |".repeat(cols));
                for (_, cells) in rest {
                    let _ = writeln!(out, "{}", line(cells));
                }
                i = j;
                continue;
            }
        }
        i += 1;
    }
    out
}

fn longest_run(s: &str, c: char) -> usize {
    let mut best = 0;
    let mut run = 0;
    for x in s.chars() {
        run = if x == c { run + 1 } else { 0 };
        best = best.max(run);
    }
    best
}

/// `s` with HTML's special characters escaped.
pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The body as plain text, for a terminal: headings underlined, items with their labels or
/// a bullet, quotes with a bar, table rows with their cells between bars.
pub fn body_to_text(body: &str) -> String {
    let mut out = String::new();
    for p in body.split('\n') {
        let (m, head, text) = split_mark(p);
        let indent = "  ".repeat(usize::from(m.depth.saturating_sub(1)));
        match m.kind {
            BlockKind::Text => out.push_str(text),
            BlockKind::Heading => {
                out.push_str(text);
                out.push('\n');
                let c = if m.depth <= 1 { '=' } else { '-' };
                out.extend(std::iter::repeat_n(c, text.chars().count().max(1)));
            }
            BlockKind::Numbered => {
                let _ = write!(
                    out,
                    "{indent}{} {text}",
                    String::from_utf8_lossy(m.label(head.as_bytes()))
                );
            }
            BlockKind::Bullet => {
                let _ = write!(out, "{indent}• {text}");
            }
            BlockKind::ItemText => {
                let _ = write!(out, "{indent}  {text}");
            }
            BlockKind::Quote => {
                let _ = write!(out, "{}{text}", "│ ".repeat(usize::from(m.depth)));
            }
            BlockKind::Pre => {
                let _ = write!(out, "    {text}");
            }
            BlockKind::Caption => {
                let _ = write!(out, "  ({text})");
            }
            BlockKind::HeaderRow | BlockKind::Row => {
                out.push('|');
                for c in text.split(CELL) {
                    let v = c.split_once(LABEL_END).map_or(c, |(_, v)| v);
                    let _ = write!(out, " {v} |");
                }
            }
        }
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widths_span_a_table_and_pad_rows() {
        let mut ps = vec![
            "before".to_string(),
            row(true, &["Dose".into(), "Age".into()], None),
            row(
                false,
                &["1 tablet".into(), "5-9".into(), "x".into()],
                Some(&["Dose".into(), "Age".into()]),
            ),
            row(false, &["½".into()], Some(&["Dose".into(), "Age".into()])),
        ];
        set_table_widths(&mut ps);
        assert_eq!(ps[1], "\u{1}t18,3,1\u{2}Dose\u{3}Age\u{3}");
        assert_eq!(ps[3], "\u{1}r18,3,1\u{2}Dose\u{4}½\u{3}\u{4}\u{3}\u{4}");
        assert_eq!(row_widths(&ps[2]).map(|w| w.len()), Some(3));
    }

    #[test]
    fn controls_in_input_cannot_forge_marks() {
        assert_eq!(clean_input("\u{1}h1\u{2}x"), " h1 x");
        assert_eq!(clean_label(" 1 . "), Some("1.".into()));
    }
}
