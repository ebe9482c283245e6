//! The language detector measured on the UDHR in 82 languages (the corpus's pages and those
//! under tests/udhr), each read once with its `lang` tag and once with the tag taken out: how
//! often the guess names the tagged language, how often it names another, how often none.

use std::path::{Path, PathBuf};

use fieldpack_ingest::ingest::{read_bytes, Kind, Outcome, Utf8Policy};
use fieldpack_ingest::rules::Rules;

fn pages() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let mut v = Vec::new();
    for dir in [root.join("../shared/corpus/udhr"), root.join("tests/udhr")] {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in entries.flatten() {
            if e.path().extension().is_some_and(|x| x == "html") {
                v.push(e.path());
            }
        }
    }
    v.sort();
    v
}

fn lang_and_dir(html: &str) -> (Option<String>, bool) {
    match read_bytes(
        Kind::Html,
        html.as_bytes(),
        "p.html",
        &Rules::default(),
        Utf8Policy::Strict,
    )
    .expect("read")
    {
        Outcome::Article(a, _) => (a.lang, a.dir == fieldpack_format::Direction::Rtl),
        other => panic!("not an article: {other:?}"),
    }
}

/// The primary language subtag, with the macrolanguage a detector names for its members.
fn primary(tag: &str) -> String {
    let p = tag
        .split(['-', '_'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase();
    match p.as_str() {
        "cmn" => "zh".into(),
        "arb" => "ar".into(),
        "pes" => "fa".into(),
        "khk" => "mn".into(),
        "uzn" => "uz".into(),
        "swh" => "sw".into(),
        _ => p,
    }
}

#[test]
fn the_detector_names_most_untagged_declarations_and_their_direction() {
    let (mut right, mut wrong, mut none, mut dir_right) = (0, Vec::new(), 0, 0);
    let mut compared = 0usize;
    let pages = pages();
    for path in &pages {
        let html = std::fs::read_to_string(path).expect("read");
        let (tagged, tagged_rtl) = lang_and_dir(&html);
        // A few declarations are in languages without a BCP 47 tag (their file names are
        // numbers): nothing to compare with.
        let Some(tagged) = tagged else {
            continue;
        };
        compared += 1;
        // The same page with no language or direction anywhere.
        let untagged = html
            .replace(&format!("lang=\"{tagged}\""), "")
            .replace("dir=\"rtl\"", "")
            .replace("dir=\"ltr\"", "");
        let (guess, guess_rtl) = lang_and_dir(&untagged);
        dir_right += usize::from(guess_rtl == tagged_rtl);
        match guess {
            Some(g) if primary(&g) == primary(&tagged) => right += 1,
            Some(g) => wrong.push(format!("{}: {tagged} taken for {g}", path.display())),
            None => none += 1,
        }
    }
    eprintln!(
        "{compared} tagged pages: {right} named right, {} wrong, {none} left untagged; direction right on {dir_right}",
        wrong.len()
    );
    for w in &wrong {
        eprintln!("  {w}");
    }
    assert!(compared >= 75, "{compared} pages");
    // Every direction is right: a right-to-left page is never set left to right.
    assert_eq!(dir_right, compared);
    // Most languages the detector knows are named. It names a wrong one mostly for languages
    // it does not know (Tuvan as Russian, Mirandese as Portuguese, Magahi as Hindi).
    assert!(right >= 35, "{right} right");
    assert!(wrong.len() * 5 <= compared, "{} wrong", wrong.len());
}
