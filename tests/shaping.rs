//! Shaping checked against HarfBuzz itself: every word a bundle stores as shaped (the UDHR in
//! Arabic, Persian, Urdu, Hebrew, Hindi, Bengali, Thai, Tamil, Khmer, Burmese, Punjabi and Lao,
//! and a mixed Arabic and English page)
//! has exactly the glyphs and positions that `hb-shape` gives for the same font, script and
//! direction, turned into pixels by the format's documented rounding.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::process::Command;

use common::{pack, root};
use fieldpack::report::ArticleReader;
use fieldpack::shape::{device_words, is_looked_up, shaping_fonts, to_pixels, word_font, CLASS_PX};
use fieldpack_format::shaped::SHAPED_CLASSES as SETS;
use fieldpack_format::{Bundle, LevelRun};

fn pages() -> Vec<PathBuf> {
    let udhr = root().join("tests/udhr");
    let mut v: Vec<PathBuf> = [
        "arb", "pes_1", "urd", "heb", "hin", "ben", "tha", "tam", "khm", "mya", "pan", "lao",
    ]
    .iter()
    .map(|l| udhr.join(format!("{l}.html")))
    .collect();
    v.push(root().join("tests/pages/mixed-ar-en.html"));
    v
}

/// One line of `hb-shape --output-format=json` output: (glyph id, x advance, x offset, y offset).
fn parse_hb_line(line: &str) -> Vec<(u16, i32, i32, i32)> {
    let v: serde_json::Value = serde_json::from_str(line).expect("hb-shape JSON");
    v.as_array()
        .expect("array")
        .iter()
        .map(|g| {
            let n = |k: &str| g[k].as_i64().unwrap_or_else(|| panic!("{k} in {g}")) as i32;
            (n("g") as u16, n("ax"), n("dx"), n("dy"))
        })
        .collect()
}

#[test]
fn every_shaped_word_equals_hb_shape() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("scripts.fpk");
    let bytes = pack(&[], &pages(), &fpk);
    let mut b = Bundle::open(&bytes[..]).expect("open");
    let fonts = shaping_fonts().expect("fonts");
    // The strike each position set is drawn with: size class 0 for set 0, 1 for 1, 3 for 2 (the
    // smooth strike, class 2, draws set 1 too, with the same advances).
    let all: Vec<_> = b.strikes().to_vec();
    let strikes: Vec<_> = (0..SETS)
        .map(|set| {
            *all.iter()
                .find(|s| fieldpack_format::shaped::positions_of(s.header.size_class) == set)
                .expect("a strike for every position set")
        })
        .collect();

    // Every word a device looks up in the bundle's articles, as the device cuts them (the
    // level runs mark Thai word boundaries), with the font that shapes it.
    let mut words: BTreeMap<usize, BTreeSet<String>> = BTreeMap::new();
    let mut reader = ArticleReader::new(&b);
    for i in 0..b.article_count() {
        let a = reader.read(&mut b, i).expect("article");
        let rec = b.article(i).expect("record");
        let mut mbuf = [0u8; 512];
        let levels = b.meta(&rec, &mut mbuf).expect("meta").levels;
        let span = b.level_runs(levels).expect("runs");
        let runs: Vec<LevelRun> = (0..levels.count)
            .map(|r| b.level_run(span, r).expect("run"))
            .collect();
        let mut cut = device_words(&a.body, &runs);
        cut.extend(a.title.split(' '));
        for w in cut.into_iter().filter(|w| is_looked_up(w)) {
            if let Some(font) = word_font(w, fonts) {
                words
                    .entry(usize::from(font))
                    .or_default()
                    .insert(w.to_string());
            }
        }
    }
    assert_eq!(
        words.keys().copied().collect::<Vec<_>>(),
        (0..fonts.len())
            .filter(|&f| fonts[f].shapes)
            .collect::<Vec<_>>(),
        "every shaping font has words"
    );

    let mut compared = 0usize;
    let mut by_character = 0usize;
    let mut mismatches = Vec::new();
    for (&font, words) in &words {
        let f = &fonts[font];
        let text_file = dir.path().join(format!("words-{font}.txt"));
        let lines: Vec<&str> = words.iter().map(String::as_str).collect();
        std::fs::write(&text_file, lines.join("\n") + "\n").expect("write words");
        let out = Command::new("hb-shape")
            .arg("--no-glyph-names")
            .arg("--output-format=json")
            .arg(format!("--direction={}", if f.rtl { "rtl" } else { "ltr" }))
            .arg(format!("--script={}", f.script_code))
            .arg(format!("--text-file={}", text_file.display()))
            .arg(root().join("assets/fonts").join(f.file))
            .output()
            .expect("hb-shape (Debian's libharfbuzz-bin; bash scripts/setup installs it)");
        assert!(
            out.status.success(),
            "hb-shape: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).expect("utf-8");
        let hb: Vec<&str> = stdout.lines().collect();
        assert_eq!(hb.len(), words.len(), "one hb-shape line per word");
        let upem = f.units_per_em();
        for (text, line) in words.iter().zip(hb) {
            compared += 1;
            let Some(word) = b.shaped_word(text.as_bytes()).expect("lookup") else {
                // Not stored: a device draws it a character at a time, each character's own
                // glyph at its own advance. That must be what HarfBuzz gives.
                by_character += 1;
                let hb = parse_hb_line(line);
                let chars: Vec<char> = text.chars().collect();
                let logical: Vec<&(u16, i32, i32, i32)> = if f.rtl {
                    hb.iter().rev().collect()
                } else {
                    hb.iter().collect()
                };
                let plain = chars.len() == logical.len()
                    && chars.iter().zip(&logical).all(|(&c, &&(gid, ax, dx, dy))| {
                        f.glyph_of(c) == Some(gid)
                            && CLASS_PX.iter().enumerate().all(|(class, &px)| {
                                let drawn = b
                                    .glyph(&strikes[class], c)
                                    .expect("glyph")
                                    .map_or(-1, |g| i32::from(g.advance));
                                to_pixels(ax, px, upem) == drawn
                                    && to_pixels(dx, px, upem) == 0
                                    && to_pixels(dy, px, upem) == 0
                            })
                    });
                if !plain {
                    mismatches.push(format!(
                        "{} {text:?}: not in the bundle, and HarfBuzz shapes it {hb:?}",
                        f.name
                    ));
                }
                continue;
            };
            // What the bundle makes a device draw, per size class: (key, x, y) and the width.
            let mut got: Vec<[(u32, i32, i32); SETS]> = Vec::new();
            let mut pen = [0i32; SETS];
            let mut at = word.first_glyph();
            for _ in 0..word.record.glyph_count {
                let g = b.next_shaped_glyph(&word, &mut at).expect("glyph");
                let mut placed = [(0u32, 0i32, 0i32); SETS];
                for c in 0..SETS {
                    let advance = match g.advance {
                        Some(a) => i32::from(a[c]),
                        None => b
                            .glyph_by_key(&strikes[c], g.key)
                            .expect("glyph record")
                            .map_or(0, |r| i32::from(r.advance)),
                    };
                    placed[c] = (
                        g.key,
                        pen[c] + i32::from(g.offset[c].0),
                        i32::from(g.offset[c].1),
                    );
                    pen[c] += advance;
                }
                got.push(placed);
            }
            // HarfBuzz's glyphs in font units, in pixels by the format's rule: each advance
            // and offset rounded on its own, a glyph at the sum of the advances before it.
            let mut want: Vec<[(u32, i32, i32); SETS]> = Vec::new();
            let mut hb_pen = [0i32; SETS];
            for (gid, ax, dx, dy) in parse_hb_line(line) {
                let mut placed = [(0u32, 0i32, 0i32); SETS];
                for c in 0..SETS {
                    let px = CLASS_PX[c];
                    placed[c] = (
                        fieldpack_format::shaped::shaped_key(font as u8, gid),
                        hb_pen[c] + to_pixels(dx, px, upem),
                        -to_pixels(dy, px, upem),
                    );
                    hb_pen[c] += to_pixels(ax, px, upem);
                }
                want.push(placed);
            }
            let width = word.advance.map(i32::from);
            if got != want || pen != hb_pen || width != hb_pen {
                mismatches.push(format!(
                    "{} {text:?}: bundle {got:?} width {width:?}, hb-shape {want:?} width {hb_pen:?}",
                    f.name
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} of {compared} words differ from hb-shape:\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(10)].join("\n")
    );
    assert!(compared > 3000, "only {compared} words");
    eprintln!(
        "{compared} words of {} scripts' pages equal hb-shape's glyphs and positions ({} stored, {by_character} drawn a character at a time)",
        words.len(),
        compared - by_character
    );
}

/// A plain text file of Arabic, no markup, no tag: its language is detected and it is set right
/// to left, its words shaped.
#[test]
fn an_untagged_arabic_text_file_is_right_to_left() {
    let dir = tempfile::tempdir().expect("tempdir");
    let txt = dir.path().join("notice.txt");
    std::fs::write(
        &txt,
        "حملة التطعيم\n\nيولد جميع الناس أحرارًا متساوين في الكرامة والحقوق. وقد وهبوا عقلاً وضميرًا وعليهم أن يعامل بعضهم بعضًا بروح الإخاء.\n",
    )
    .expect("write");
    let fpk = dir.path().join("n.fpk");
    let bytes = pack(&[], &[txt], &fpk);
    let out = Command::new(env!("CARGO_BIN_EXE_fieldpack"))
        .args(["show", fpk.to_str().expect("utf-8"), "0"])
        .output()
        .expect("show");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("lang: \"ar\""), "{shown}");
    assert!(shown.contains("dir: rtl"), "{shown}");
    let mut b = Bundle::open(&bytes[..]).expect("open");
    assert!(b
        .shaped_word("الكرامة".as_bytes())
        .expect("lookup")
        .is_some());
}
