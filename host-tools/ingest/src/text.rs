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

/// Words that end in a full stop without ending a sentence: titles, months, days, US states
/// (as news datelines write them), company forms and the like.
const ABBREVIATIONS: &[&str] = &[
    "Mr", "Mrs", "Ms", "Messrs", "Dr", "Prof", "St", "Jr", "Sr", "Gen", "Col", "Lt", "Sgt", "Capt",
    "Cmdr", "Adm", "Maj", "Gov", "Sen", "Rep", "Rev", "Hon", "Pres", "Supt", "Atty", "Inc", "Ltd",
    "Co", "Corp", "Bros", "No", "Nos", "Vol", "Fig", "vs", "etc", "approx", "Mt", "Ft", "Ave",
    "Blvd", "Rd", "Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sep", "Sept", "Oct", "Nov",
    "Dec", "Mon", "Tue", "Tues", "Wed", "Thu", "Thur", "Thurs", "Fri", "Sat", "Sun", "Ala", "Ariz",
    "Ark", "Calif", "Colo", "Conn", "Del", "Fla", "Ga", "Ill", "Ind", "Kan", "Kans", "Ky", "La",
    "Md", "Mass", "Mich", "Minn", "Miss", "Mo", "Mont", "Neb", "Nebr", "Nev", "Okla", "Ore", "Pa",
    "Penn", "Tenn", "Tex", "Va", "Vt", "Wash", "Wis", "Wyo", "Dak",
];

/// The first sentence of `text`, shortened at a word boundary to at most `max` characters
/// (an ellipsis marks a cut).
pub fn first_sentence(text: &str, max: usize) -> String {
    let mut end = text.len();
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    for (i, &(at, c)) in chars.iter().enumerate() {
        let next = chars.get(i + 1).map(|&(_, n)| n);
        let terminal = matches!(c, '.' | '!' | '?' | '。' | '！' | '？');
        // A full stop ends a sentence only before a space (or the end), not after an
        // abbreviation-like single capital ("U.S.", "U.N.") or a known abbreviation ("Mr.",
        // "Gov.", "Aug."), and not when the text goes on in lower case or with a number
        // ("Aug. 5", "approx. three").
        if terminal && next.is_none_or(char::is_whitespace) {
            if c == '.' {
                let word: String = text[..at]
                    .chars()
                    .rev()
                    .take_while(|c| c.is_alphabetic())
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .collect();
                let goes_on = chars[i + 1..]
                    .iter()
                    .map(|&(_, n)| n)
                    .find(|n| !n.is_whitespace())
                    .is_some_and(|n| n.is_lowercase() || n.is_ascii_digit());
                if word.chars().count() <= 1 || ABBREVIATIONS.contains(&word.as_str()) || goes_on {
                    continue;
                }
            }
            end = at + c.len_utf8();
            break;
        }
    }
    let sentence = text[..end].trim();
    shorten(sentence, max)
}

/// Months as datelines write them.
const MONTHS: &[&str] = &[
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
    "Jan",
    "Feb",
    "Mar",
    "Apr",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Sept",
    "Oct",
    "Nov",
    "Dec",
];

/// Whether a whole paragraph is a news dateline: a place, a month and a day ("St. Johns,
/// Mich., April 19.").
pub fn is_dateline(p: &str) -> bool {
    let p = p.trim().trim_end_matches(['.', ' ', '-', '—']);
    let Some(at) = p.find(|c: char| c.is_ascii_digit()) else {
        return false;
    };
    let head = &p[..at];
    p.len() <= 48
        && p[at..].chars().all(|c| c.is_ascii_digit())
        && head.contains(',')
        && head
            .split(|c: char| !c.is_alphabetic())
            .rfind(|w| !w.is_empty())
            .is_some_and(|w| MONTHS.contains(&w))
}

/// `text` without a news dateline before its first sentence ("Austin, Texas -- ",
/// "MIAMI, Fla., March 17 — ", "St. Johns, Mich., April 19. "): a place and perhaps a date,
/// then a dash, or a place and a date, then a full stop.
pub fn without_dateline(text: &str) -> &str {
    // The dash of a dateline that was a paragraph of its own.
    let text = text
        .strip_prefix("-- ")
        .or_else(|| text.strip_prefix("— "))
        .unwrap_or(text);
    // A place, a month and a day, then ". ".
    if let Some(at) = text
        .get(..48)
        .unwrap_or(text)
        .find(|c: char| c.is_ascii_digit())
    {
        let digits = text[at..]
            .find(|c: char| !c.is_ascii_digit())
            .map_or(text.len(), |n| at + n);
        let head = &text[..at];
        let month = head
            .split(|c: char| !c.is_alphabetic())
            .rfind(|w| !w.is_empty())
            .is_some_and(|w| MONTHS.contains(&w));
        if month && head.contains(',') {
            if let Some(rest) = text[digits..].strip_prefix(". ") {
                if !rest.trim().is_empty() {
                    return rest.trim_start();
                }
            }
        }
    }
    for dash in [" -- ", " — ", " – "] {
        if let Some(at) = text.find(dash) {
            let place = &text[..at];
            let rest = text[at + dash.len()..].trim_start();
            // A short run of capitalised words, commas, abbreviations and numbers.
            let dateline = at <= 40
                && !rest.is_empty()
                && place.split_whitespace().count() <= 6
                && place
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .filter(|w| !w.is_empty())
                    .all(|w| {
                        w.chars()
                            .next()
                            .is_some_and(|c| c.is_uppercase() || c.is_ascii_digit())
                            || w.starts_with('(')
                    });
            if dateline {
                return rest;
            }
        }
    }
    text
}

/// Whether a title made from a text's first sentence says nothing of the article: a salutation
/// ("Dear colleagues,", "To the editor:"), a dateline alone, or under three words.
pub fn is_weak_title(title: &str) -> bool {
    let t = title.trim().to_lowercase();
    let salutation = [
        "dear ",
        "hi ",
        "hi,",
        "hello",
        "greetings",
        "good morning",
        "good afternoon",
        "good evening",
        "to whom it may concern",
        "to the editor",
        "sir",
        "madam",
        "gentlemen",
        "colleagues",
        "friends,",
        "all,",
    ]
    .iter()
    .any(|s| t.starts_with(s));
    salutation || is_dateline(title) || title.split_whitespace().count() < 3
}

/// A title made from a file name that reads as words ("water-purification_guide.txt" ->
/// "Water purification guide"), or `None` for names that are codes, numbers or hashes
/// ("ca01_news", "000_ac89483567ee3ac3", "udhr_eng").
pub fn title_from_file_name(path: &str) -> Option<String> {
    let stem = std::path::Path::new(path).file_stem()?.to_str()?;
    let words: Vec<&str> = stem
        .split(['-', '_', ' ', '.', '+'])
        .filter(|w| !w.is_empty())
        .collect();
    let wordlike = |w: &str| {
        w.chars().count() >= 3
            && w.chars().all(char::is_alphabetic)
            && w.chars()
                .any(|c| "aeiouyAEIOUY".contains(c) || !c.is_ascii())
    };
    let letters: usize = words
        .iter()
        .filter(|w| wordlike(w))
        .map(|w| w.chars().count())
        .sum();
    // Mostly words: at least two, eight letters of them, and nothing else but short numbers.
    let others_ok = words
        .iter()
        .filter(|w| !wordlike(w))
        .all(|w| w.chars().count() <= 4 && w.chars().all(|c| c.is_ascii_digit()));
    if words.iter().filter(|w| wordlike(w)).count() < 2 || letters < 8 || !others_ok {
        return None;
    }
    let mut title = words.join(" ");
    if let Some(first) = title.chars().next() {
        let upper: String = first.to_uppercase().collect();
        title.replace_range(..first.len_utf8(), &upper);
    }
    Some(title)
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

/// A BCP 47 tag for a text, from a language detector (`whatlang`, trigrams and scripts, 69
/// languages), or `None` when it is unsure: too little text, or a guess it does not rate
/// reliable. A tag in the input always wins over this guess.
pub fn guess_language(text: &str) -> Option<&'static str> {
    // A few thousand characters decide; a long article is not read whole.
    let end = text.char_indices().nth(4000).map_or(text.len(), |(i, _)| i);
    let sample = &text[..end];
    let letters = sample.chars().filter(|c| c.is_alphabetic()).count();
    if letters < 8 {
        return None;
    }
    let info = whatlang::detect(sample)?;
    if !info.is_reliable() {
        return None;
    }
    Some(bcp47(info.lang()))
}

/// The BCP 47 tag of a detected language: its two-letter ISO 639-1 code where it has one, else
/// its ISO 639-3 code (both are valid BCP 47 primary subtags).
pub(crate) fn bcp47(lang: whatlang::Lang) -> &'static str {
    let code = lang.code();
    const TWO: [(&str, &str); 63] = [
        ("epo", "eo"),
        ("eng", "en"),
        ("rus", "ru"),
        ("cmn", "zh"),
        ("spa", "es"),
        ("por", "pt"),
        ("ita", "it"),
        ("ben", "bn"),
        ("fra", "fr"),
        ("deu", "de"),
        ("ukr", "uk"),
        ("kat", "ka"),
        ("ara", "ar"),
        ("hin", "hi"),
        ("jpn", "ja"),
        ("heb", "he"),
        ("yid", "yi"),
        ("pol", "pl"),
        ("amh", "am"),
        ("jav", "jv"),
        ("kor", "ko"),
        ("nob", "nb"),
        ("dan", "da"),
        ("swe", "sv"),
        ("fin", "fi"),
        ("tur", "tr"),
        ("nld", "nl"),
        ("hun", "hu"),
        ("ces", "cs"),
        ("ell", "el"),
        ("bul", "bg"),
        ("bel", "be"),
        ("mar", "mr"),
        ("kan", "kn"),
        ("ron", "ro"),
        ("slv", "sl"),
        ("hrv", "hr"),
        ("srp", "sr"),
        ("mkd", "mk"),
        ("lit", "lt"),
        ("lav", "lv"),
        ("est", "et"),
        ("tam", "ta"),
        ("vie", "vi"),
        ("urd", "ur"),
        ("tha", "th"),
        ("guj", "gu"),
        ("uzb", "uz"),
        ("pan", "pa"),
        ("aze", "az"),
        ("ind", "id"),
        ("tel", "te"),
        ("pes", "fa"),
        ("mal", "ml"),
        ("ori", "or"),
        ("mya", "my"),
        ("nep", "ne"),
        ("sin", "si"),
        ("khm", "km"),
        ("tuk", "tk"),
        ("aka", "ak"),
        ("zul", "zu"),
        ("sna", "sn"),
    ];
    const MORE: [(&str, &str); 7] = [
        ("afr", "af"),
        ("lat", "la"),
        ("slk", "sk"),
        ("cat", "ca"),
        ("hye", "hy"),
        ("cym", "cy"),
        ("tgl", "tl"),
    ];
    TWO.iter()
        .chain(MORE.iter())
        .find(|(three, _)| *three == code)
        .map_or(code, |(_, two)| two)
}

/// Whether a language (a BCP 47 tag) is written right to left: Arabic, Persian, Urdu, Pashto,
/// Sindhi, Uyghur, Kurdish in Arabic script, Dhivehi, Hebrew, Yiddish, and the like.
pub fn is_rtl_language(tag: &str) -> bool {
    let primary = tag
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    let script = tag
        .split(['-', '_'])
        .skip(1)
        .find(|s| s.len() == 4)
        .map(str::to_ascii_lowercase);
    match script.as_deref() {
        Some("arab" | "hebr" | "syrc" | "thaa" | "nkoo" | "adlm" | "rohg") => return true,
        Some(_) => return false,
        None => {}
    }
    matches!(
        primary.as_str(),
        "ar" | "arb"
            | "fa"
            | "pes"
            | "prs"
            | "ur"
            | "ps"
            | "pbu"
            | "pbt"
            | "sd"
            | "ug"
            | "ckb"
            | "dv"
            | "he"
            | "yi"
            | "ydd"
            | "syr"
            | "arc"
            | "aii"
            | "nqo"
            | "bal"
            | "glk"
            | "mzn"
            | "azb"
            | "lrc"
            | "khw"
            | "ks"
    )
}

/// Whether most of a text's strongly directional letters are right to left (Hebrew, Arabic,
/// Syriac, Thaana, N'Ko scripts): the direction of a text no tag describes.
pub fn mostly_rtl(text: &str) -> bool {
    let (mut rtl, mut ltr) = (0usize, 0usize);
    for c in text.chars().take(4000) {
        match c as u32 {
            0x0590..=0x08FF | 0xFB1D..=0xFDFF | 0xFE70..=0xFEFF => rtl += 1,
            _ if c.is_alphabetic() => ltr += 1,
            _ => {}
        }
    }
    rtl > ltr
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abbreviations_do_not_end_a_title() {
        let t = |s| first_sentence(s, 200);
        assert_eq!(
            t("Mr. Podger enjoyed the walk. Then rain."),
            "Mr. Podger enjoyed the walk."
        );
        assert_eq!(
            t("Committee approval of Gov. Price Daniel's act. More."),
            "Committee approval of Gov. Price Daniel's act."
        );
        assert_eq!(t("The U.S. said no. Then yes."), "The U.S. said no.");
        assert_eq!(
            t("Chicago, Aug. 9 was hot. Yes."),
            "Chicago, Aug. 9 was hot."
        );
        assert_eq!(
            t("It cost approx. three dollars. Fine."),
            "It cost approx. three dollars."
        );
        assert_eq!(t("Rain fell. The road closed."), "Rain fell.");
    }

    #[test]
    fn datelines_are_not_titles() {
        assert_eq!(
            without_dateline("Austin, Texas -- Committee approval of the act."),
            "Committee approval of the act."
        );
        assert_eq!(
            without_dateline("Miami, Fla., March 17 -- The Orioles tonight won."),
            "The Orioles tonight won."
        );
        assert_eq!(
            without_dateline("London, Feb. 3. The talks ended."),
            "The talks ended."
        );
        assert_eq!(
            without_dateline("-- A jury found him guilty."),
            "A jury found him guilty."
        );
        // A dash inside a sentence is not a dateline's.
        assert_eq!(
            without_dateline("The water -- boiled for a minute -- is safe."),
            "The water -- boiled for a minute -- is safe."
        );
        assert!(is_dateline("St. Johns, Mich., April 19."));
        assert!(!is_dateline("The meeting on April 19."));
    }

    #[test]
    fn weak_titles() {
        assert!(is_weak_title("Dear colleagues,"));
        assert!(is_weak_title("To the editor: Sir -- We…"));
        assert!(is_weak_title("Update."));
        assert!(!is_weak_title("What I saw that day."));
        assert!(!is_weak_title("Water is safe to drink after boiling."));
    }

    #[test]
    fn file_names_that_read_as_words_make_titles() {
        let t = title_from_file_name;
        assert_eq!(
            t("guides/water-purification_guide.txt").as_deref(),
            Some("Water purification guide")
        );
        assert_eq!(
            t("cholera treatment 2024.md").as_deref(),
            Some("Cholera treatment 2024")
        );
        assert_eq!(t("ca01_news.txt"), None);
        assert_eq!(t("000_ac89483567ee3ac3.txt"), None);
        assert_eq!(t("udhr_eng.html"), None);
        assert_eq!(t("report.txt"), None);
        assert_eq!(t("IMG_20240101_123456.txt"), None);
    }

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
        // Languages the script alone does not tell apart, and right-to-left ones.
        assert_eq!(
            guess_language(
                "Tous les êtres humains naissent libres et égaux en dignité et en droits."
            ),
            Some("fr")
        );
        assert_eq!(
            guess_language("Alle Menschen sind frei und gleich an Würde und Rechten geboren."),
            Some("de")
        );
        assert_eq!(
            guess_language(
                "يولد جميع الناس أحرارًا متساوين في الكرامة والحقوق. وقد وهبوا عقلاً وضميرًا"
            ),
            Some("ar")
        );
        assert_eq!(
            guess_language(
                "تمام افراد بشر آزاد به دنیا می‌آیند و از لحاظ حیثیت و حقوق با هم برابرند"
            ),
            Some("fa")
        );
        assert!(is_rtl_language("ar") && is_rtl_language("fa-IR") && is_rtl_language("he"));
        assert!(is_rtl_language("pa-Arab") && !is_rtl_language("pa") && !is_rtl_language("en"));
        assert!(mostly_rtl("שלום world עולם") && !mostly_rtl("hello שלום world"));
    }
}
