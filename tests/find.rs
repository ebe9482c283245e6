//! Finding articles by title: the search screen, the `find:` key-script word, folding, and the
//! Offers section against the title index.

mod common;

use std::collections::BTreeMap;

use fieldpack::sim::{self, Step};
use fieldpack_format::fold::{fold_str, BASE_LETTERS};
use fieldpack_format::search::Offers;
use fieldpack_format::Bundle;
use fieldpack_reader::profile::{OLED_128X64, TFT_320X240};
use fieldpack_reader::{Input, Trust};

use common::{pack, root};

fn corpus() -> Vec<std::path::PathBuf> {
    ["news", "brown", "udhr"]
        .iter()
        .map(|c| root().join("../shared/corpus").join(c))
        .collect()
}

/// The titles of a bundle, in article order.
fn titles(bytes: &[u8]) -> Vec<String> {
    let mut b = Bundle::open(bytes).expect("open");
    let mut buf = [0u8; 512];
    (0..b.article_count())
        .map(|i| {
            let rec = b.article(i).expect("record");
            b.meta(&rec, &mut buf).expect("meta").title.to_string()
        })
        .collect()
}

/// The shortest prefix of `title` (in characters) that no other title starts with; `None` when
/// every prefix is shared (a title that is another's start, or a duplicate).
fn unique_prefix(title: &str, all: &[String]) -> Option<String> {
    let folded: Vec<String> = all.iter().map(|t| fold_str(t).collect()).collect();
    let mine: String = fold_str(title).collect();
    let chars: Vec<(usize, char)> = title.char_indices().collect();
    for n in 1..=chars.len() {
        let end = chars.get(n).map_or(title.len(), |c| c.0);
        let p: String = fold_str(&title[..end]).collect();
        if folded.iter().filter(|t| t.starts_with(&p)).count() == 1 {
            assert!(mine.starts_with(&p));
            return Some(title[..end].to_string());
        }
    }
    None
}

#[test]
fn every_corpus_title_is_found_and_opens_as_from_the_library() {
    let dir = tempfile::tempdir().expect("tmp");
    for (profile, args) in [
        (OLED_128X64, &["--device", "128x64"][..]),
        (TFT_320X240, &[][..]),
    ] {
        let bytes = pack(args, &corpus(), &dir.path().join("c.fpk"));
        let all = titles(&bytes);
        let mut presses = Vec::new();
        let mut scripts = BTreeMap::new();
        for (i, title) in all.iter().enumerate() {
            let Some(prefix) = unique_prefix(title, &all) else {
                continue;
            };
            let steps = [Step::Find(prefix.clone()), Step::Key(Input::Select)];
            let (keys, finds) = sim::expand_script(&bytes, profile, Trust::default(), None, &steps)
                .unwrap_or_else(|e| panic!("{}: find:{prefix}: {e:#}", profile.name));
            assert_eq!(&finds[0].title, title);
            presses.push(finds[0].presses);
            let found = sim::final_frame(&bytes, profile, &keys).expect("sim");
            let mut library = vec![Input::Down; i];
            library.push(Input::Select);
            let listed = sim::final_frame(&bytes, profile, &library).expect("sim");
            assert!(
                found == listed,
                "{}: find:{prefix} then select differs from the library's article {i}",
                profile.name
            );
            let script = fold_str(&prefix).next().map(|c| c.to_string());
            *scripts.entry(script).or_insert(0) += 1;
        }
        // Every title but those that are another's start or a duplicate was found.
        assert!(presses.len() >= all.len() - 5, "{}", presses.len());
        let mean = presses.iter().sum::<usize>() as f64 / presses.len() as f64;
        let worst = presses.iter().max().copied().unwrap_or(0);
        eprintln!(
            "{}: {} of {} titles found by a unique prefix; presses mean {mean:.1}, worst {worst}",
            profile.name,
            presses.len(),
            all.len()
        );
        // Hangul, Cyrillic and CJK prefixes among them.
        for probe in ["세", "в", "世"] {
            assert!(
                scripts.keys().flatten().any(|k| k == probe),
                "no title found by a prefix starting with {probe}"
            );
        }
    }
}

#[test]
fn accents_and_case_fold_in_search() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("in");
    std::fs::create_dir(&src).expect("dir");
    for (name, title) in [
        ("a.md", "Côte d’Ivoire: water points"),
        ("b.md", "ÉCOLE de santé"),
        ("c.md", "Cote of arms"),
    ] {
        let body = format!("# {title}\n\nSome text about {name}.\n");
        std::fs::write(src.join(name), body).expect("w");
    }
    let bytes = pack(&[], &[src], &dir.path().join("f.fpk"));
    for (text, want) in [
        ("cote d'", "Côte d’Ivoire: water points"),
        ("COTE D’I", "Côte d’Ivoire: water points"),
        ("ecole", "ÉCOLE de santé"),
        ("cote o", "Cote of arms"),
    ] {
        let steps = [Step::Find(text.to_string())];
        let (_, finds) =
            sim::expand_script(&bytes, TFT_320X240, Trust::default(), None, &steps).expect("find");
        assert_eq!(finds[0].title, want, "find:{text}");
    }
}

/// The folding table is Unicode's canonical decompositions (and the few letters listed beside).
#[test]
fn the_folding_table_follows_unicode() {
    use unicode_normalization::UnicodeNormalization;
    let extra = [
        0x00F8, 0x0111, 0x0127, 0x0142, 0x0451, 0x2018, 0x2019, 0x201C, 0x201D,
    ];
    let mut expected = BTreeMap::new();
    for range in [
        0xC0..=0x24F,
        0x370..=0x3FF,
        0x1E00..=0x1EFF,
        0x1F00..=0x1FFF,
    ] {
        for cp in range {
            let Some(c) = char::from_u32(cp) else {
                continue;
            };
            if c.to_lowercase().collect::<String>() != c.to_string() {
                continue;
            }
            let d: Vec<char> = c.to_string().nfd().collect();
            let marks = d[1..].iter().all(|m| ('\u{300}'..='\u{36F}').contains(m));
            if d.len() > 1 && marks && d[0] != c {
                expected.insert(cp, d[0] as u32);
            }
        }
    }
    let table: BTreeMap<u32, u32> = BASE_LETTERS
        .iter()
        .map(|&(a, b)| (u32::from(a), u32::from(b)))
        .collect();
    for (cp, base) in &expected {
        // A base letter the table folds further (ǿ -> ø -> o) ends at the last one.
        let mut want = *base;
        while let Some(&next) = table.get(&want) {
            want = next;
        }
        assert_eq!(table.get(cp), Some(&want), "U+{cp:04X}");
    }
    for cp in table.keys() {
        assert!(
            expected.contains_key(cp) || extra.contains(cp),
            "U+{cp:04X} is not a decomposition"
        );
    }
}

/// Characters counted by hand, most titles first, then by code point (the offers' order).
fn most_first(counts: BTreeMap<char, u32>) -> Vec<(char, u32)> {
    let mut v: Vec<(char, u32)> = counts.into_iter().collect();
    v.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    v
}

/// Offers as the bundle gives them.
fn offers_in_order(b: &mut Bundle<&[u8]>, offers: &Offers) -> Vec<(char, u32)> {
    (0..offers.len())
        .map(|i| {
            let o = offers.get(b, i).expect("read").expect("offer");
            (o.c, o.titles)
        })
        .collect()
}

/// The stored offers are what scanning the title index gives, for every stored prefix.
#[test]
fn stored_offers_agree_with_the_title_index() {
    let dir = tempfile::tempdir().expect("tmp");
    let bytes = pack(&[], &corpus(), &dir.path().join("c.fpk"));
    let mut b = Bundle::open(&bytes[..]).expect("open");
    let mut buf = [0u8; 512];
    let all = titles(&bytes);
    let range = b.title_range("", &mut buf).expect("range");
    assert_eq!(range.len() as usize, all.len());
    let offers = b.title_offers("", &range, &mut buf).expect("offers");
    assert!(matches!(offers, Offers::Stored { .. }), "{offers:?}");
    // Count first characters by hand and compare, most titles first.
    let mut firsts: BTreeMap<char, u32> = BTreeMap::new();
    for t in &all {
        if let Some(c) = fold_str(t).next() {
            *firsts.entry(c).or_default() += 1;
        }
    }
    let got = offers_in_order(&mut b, &offers);
    assert_eq!(got, most_first(firsts));
    // Each offer's count is its run in the title index; where a prefix's offers are found by
    // searching the index (16 or fewer), they come in the same order as stored ones.
    for &(c, n) in &got {
        let prefix = c.to_string();
        let r = b.title_range(&prefix, &mut buf).expect("range");
        assert_eq!(r.len(), n, "{c}");
        let offers = b.title_offers(&prefix, &r, &mut buf).expect("offers");
        let mut next: BTreeMap<char, u32> = BTreeMap::new();
        for t in &all {
            let f: Vec<char> = fold_str(t).collect();
            if f.first() == Some(&c) {
                if let Some(&d) = f.get(1) {
                    *next.entry(d).or_default() += 1;
                }
            }
        }
        assert_eq!(
            offers_in_order(&mut b, &offers),
            most_first(next),
            "after {c}"
        );
    }
}

/// Titles that tell articles apart: a descriptive file name names a text without a headline
/// whose first sentence is a salutation (unless `--no-file-titles`), and titles that collide carry a note (their dates, else their
/// first words) that the library shows.
#[test]
fn file_names_and_notes_tell_articles_apart() {
    let dir = tempfile::tempdir().expect("tmp");
    let src = dir.path().join("in");
    std::fs::create_dir(&src).expect("dir");
    let files = [
        (
            "a.txt",
            "Daily briefing\n\nFloods closed the northern road; convoys wait.\n",
        ),
        (
            "b.txt",
            "Daily briefing\n\nThe clinic in the east reopened after repairs.\n",
        ),
        (
            "c.md",
            "---\ntitle: Situation report\ndate: 2026-11-02\n---\nText one.\n",
        ),
        (
            "d.md",
            "---\ntitle: Situation report\ndate: 2026-11-09\n---\nText two.\n",
        ),
        (
            "water-purification-guide.txt",
            "Dear colleagues,\n\nWater is safe to drink after boiling for one minute.\n",
        ),
    ];
    for (name, text) in files {
        std::fs::write(src.join(name), text).expect("w");
    }
    let metas = |args: &[&str]| -> Vec<(String, Option<String>)> {
        let bytes = pack(args, std::slice::from_ref(&src), &dir.path().join("t.fpk"));
        let mut b = Bundle::open(&bytes[..]).expect("open");
        let mut buf = [0u8; 512];
        (0..b.article_count())
            .map(|i| {
                let rec = b.article(i).expect("rec");
                let m = b.meta(&rec, &mut buf).expect("meta");
                (m.title.to_string(), m.note.map(str::to_string))
            })
            .collect()
    };
    let got = metas(&[]);
    let want: Vec<(String, Option<String>)> = vec![
        (
            "Daily briefing".into(),
            Some("Floods closed the northern road; convoys wait.".into()),
        ),
        (
            "Daily briefing".into(),
            Some("The clinic in the east reopened after repairs.".into()),
        ),
        ("Situation report".into(), Some("2026-11-02".into())),
        ("Situation report".into(), Some("2026-11-09".into())),
        ("Water purification guide".into(), None),
    ];
    assert_eq!(got, want);
    let plain = metas(&["--no-file-titles"]);
    assert_eq!(plain[4].0, "Dear colleagues,");
}
