//! Unicode clean-up shared by every input format: NFC, invisible characters, whitespace,
//! titles from first sentences, and a script-based language guess.

use unicode_normalization::UnicodeNormalization;

/// Characters that carry nothing visible and only get in the way of layout and search.
/// Zero-width joiners stay: they change how some scripts and emoji are written.
const INVISIBLE: &[char] = &['\u{00AD}', '\u{200B}', '\u{FEFF}', '\u{2060}', '\u{180E}'];

/// Spaces that forbid a line break; they are kept (collapsed like other spaces).
const NO_BREAK: &[char] = &['\u{00A0}', '\u{202F}', '\u{2007}'];

/// One paragraph in normal form: NFC, no invisible or control characters, runs of white space
/// collapsed to one space (or one no-break space if the run had one), trimmed.
pub fn normalize_paragraph(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending: Option<char> = None;
    for c in s.nfc() {
        if INVISIBLE.contains(&c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            let keep = if NO_BREAK.contains(&c) {
                '\u{00A0}'
            } else {
                ' '
            };
            pending = Some(match pending {
                Some('\u{00A0}') => '\u{00A0}',
                _ => keep,
            });
            continue;
        }
        if let Some(p) = pending.take() {
            if !out.is_empty() {
                out.push(p);
            }
        }
        out.push(c);
    }
    out
}

/// The first sentence of `text`, shortened at a word boundary to at most `max` characters
/// (an ellipsis marks a cut).
pub fn first_sentence(text: &str, max: usize) -> String {
    let mut end = text.len();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        let next = chars.get(i + 1).map(|&(_, n)| n);
        let terminal = matches!(c, '.' | '!' | '?' | '。' | '！' | '？');
        // A full stop ends a sentence only before a space (or the end) and not after an
        // abbreviation-like single capital ("U.S.", "U.N.").
        if terminal && next.is_none_or(char::is_whitespace) {
            let before = text[..at]
                .chars()
                .rev()
                .take_while(|c| c.is_alphabetic())
                .count();
            if c == '.' && before <= 1 {
                continue;
            }
            end = at + c.len_utf8();
            break;
        }
    }
    let sentence = text[..end].trim();
    shorten(sentence, max)
}

/// `s` cut at a word boundary to at most `max` characters, with an ellipsis when cut.
pub fn shorten(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max.saturating_sub(1)).collect();
    let at_space = cut.rfind(' ').filter(|&i| i > cut.len() / 2);
    let mut out = match at_space {
        Some(i) => cut[..i].trim_end_matches([',', ';', ':', ' ']).to_string(),
        None => cut,
    };
    out.push('…');
    out
}

/// A language tag guessed from the script and common words, or `None` when unsure.
pub fn guess_language(text: &str) -> Option<&'static str> {
    let (mut hangul, mut kana, mut han, mut cyr, mut latin, mut greek) = (0, 0, 0, 0, 0, 0);
    for c in text.chars().take(4000) {
        match c as u32 {
            0xAC00..=0xD7A3 | 0x1100..=0x11FF | 0x3130..=0x318F => hangul += 1,
            0x3040..=0x30FF => kana += 1,
            0x4E00..=0x9FFF | 0x3400..=0x4DBF => han += 1,
            0x0400..=0x04FF => cyr += 1,
            0x0370..=0x03FF => greek += 1,
            _ if c.is_ascii_alphabetic() => latin += 1,
            _ => {}
        }
    }
    let total = hangul + kana + han + cyr + latin + greek;
    if total == 0 {
        return None;
    }
    if hangul * 2 > total {
        return Some("ko");
    }
    if kana * 10 > total {
        return Some("ja");
    }
    if han * 2 > total {
        return Some("zh");
    }
    if greek * 2 > total {
        return Some("el");
    }
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .take(2000)
        .map(str::to_lowercase)
        .collect();
    let share = |list: &[&str]| {
        let hits = words.iter().filter(|w| list.contains(&w.as_str())).count();
        hits as f64 / words.len().max(1) as f64
    };
    if cyr * 2 > total {
        let ru = share(&["и", "в", "не", "на", "что", "с", "по", "как", "это", "его"]);
        return (ru > 0.05).then_some("ru");
    }
    if latin * 2 > total {
        let en = share(&[
            "the", "and", "of", "to", "in", "is", "that", "for", "was", "with",
        ]);
        return (en > 0.08).then_some("en");
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalizes() {
        assert_eq!(normalize_paragraph("  a\u{00AD}b \t\u{200B} c  "), "ab c");
        assert_eq!(normalize_paragraph("e\u{0301}"), "é");
        assert_eq!(normalize_paragraph("10\u{00A0} km"), "10\u{00A0}km");
        assert_eq!(normalize_paragraph("“quoted” it’s"), "“quoted” it’s");
    }

    #[test]
    fn titles() {
        assert_eq!(
            first_sentence("The U.S. envoy spoke. Then more.", 80),
            "The U.S. envoy spoke."
        );
        assert_eq!(shorten("alpha beta gamma delta", 12), "alpha beta…");
    }

    #[test]
    fn languages() {
        assert_eq!(
            guess_language("모든 인간은 태어날 때부터 자유로우며"),
            Some("ko")
        );
        assert_eq!(
            guess_language("Все люди рождаются свободными и равными в своем достоинстве и правах."),
            Some("ru")
        );
        assert_eq!(
            guess_language("The jury said that the city of Atlanta and the county was in the way."),
            Some("en")
        );
        assert_eq!(guess_language("12345"), None);
    }
}
