//! The no_std reader on real bundles: layout keeps every character, lines fit, navigation,
//! glyph drawing, and damaged bundles.

use std::path::{Path, PathBuf};

use embedded_graphics::mock_display::MockDisplay;
use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use embedded_graphics_simulator::SimulatorDisplay;
use fieldpack::build::{build, BuildOptions};
use fieldpack_format::{Bundle, Inflater};
use fieldpack_reader::{
    App, Break, Ink, Input, PageTable, Profile, Screen, TextPos, Typesetter, MONO, PROFILES,
};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn pack(inputs: &[PathBuf]) -> Vec<u8> {
    let opts = BuildOptions::default();
    build(inputs, &opts).expect("build").0.to_bytes()
}

fn corpus_bundle() -> Vec<u8> {
    let c = root().join("../shared/corpus");
    pack(&[c.join("news"), c.join("brown"), c.join("udhr")])
}

/// The article's text as the pages show it, rebuilt from the lines of every page.
fn text_through_pages(
    ts: &mut Typesetter<'_, &[u8]>,
    index: u32,
    profile: &Profile,
) -> (String, u32) {
    let art = ts.open_article(index).expect("open");
    let area = App::<&[u8]>::text_area(profile, ts.line_height());
    let table = PageTable::build(ts, &art, area.width, area.height).expect("pages");
    let mut text = String::new();
    let mut widest = 0;
    let mut expected_start = TextPos::default();
    for p in 0..table.count {
        let start = table
            .start(ts, &art, p, area.width, area.height)
            .expect("start");
        assert_eq!(
            start,
            expected_start,
            "page {p} does not start where {} ended",
            p.max(1) - 1
        );
        let mut lines = Vec::new();
        let end = ts
            .page(&art, start, area.width, area.height, |_, line, _| {
                lines.push(*line);
                Ok(())
            })
            .expect("page");
        assert!(!lines.is_empty() || p == 0, "page {p} is empty");
        for line in lines {
            widest = widest.max(line.width);
            let mut pos = line.start;
            while pos < line.draw_end {
                let (c, next) = ts.char_at(&art, pos).expect("char").expect("in text");
                text.push(c);
                pos = next;
            }
            text.push_str(match line.brk {
                Break::Paragraph => "\n",
                Break::Space => " ",
                Break::Cell => "\u{3}",
                Break::Soft | Break::Forced | Break::End => "",
            });
        }
        expected_start = end;
    }
    assert!(
        widest <= area.width,
        "a line is {widest} px wide, the screen {}",
        area.width
    );
    (text, table.count)
}

#[test]
fn pages_give_back_every_article_exactly_on_every_profile() {
    let bytes = corpus_bundle();
    let mut reference = Bundle::open(&bytes[..]).expect("open");
    let mut reader = fieldpack::report::ArticleReader::new(&reference);
    let bodies: Vec<String> = (0..reference.article_count())
        .map(|i| reader.read(&mut reference, i).expect("article").body)
        .collect();
    assert_eq!(bodies.len(), 158);
    for profile in PROFILES {
        let mut inflater = Box::new(Inflater::new());
        let mut window = vec![0u8; profile.window_bytes];
        let bundle = Bundle::open(&bytes[..]).expect("open");
        let mut ts =
            Typesetter::new(bundle, &mut inflater, &mut window, profile.size_class).expect("ts");
        // In the normal text size, then the larger (the reader's setting).
        let mut counts = Vec::new();
        for class in [profile.size_class, profile.larger_class] {
            ts.set_size_class(class);
            let mut pages = 0;
            for (i, body) in bodies.iter().enumerate() {
                let (text, n) = text_through_pages(&mut ts, i as u32, &profile);
                assert!(
                    text == *body,
                    "article {i} differs on {} in size class {class} after its pages",
                    profile.name
                );
                pages += n;
            }
            println!(
                "{} (size class {class}): {pages} pages for 158 articles",
                profile.name
            );
            counts.push(pages);
        }
        assert!(
            counts[1] > counts[0],
            "{}: the larger text takes more pages ({counts:?})",
            profile.name
        );
    }
}

fn sample() -> Vec<u8> {
    pack(&[root().join("assets/articles")])
}

/// The text size: `Select` on the information screen switches to the larger strike and marks
/// the settings changed; the same article then takes more pages, a memory with the setting
/// opens in it, and `Select` again goes back.
#[test]
fn the_larger_text_setting_lays_articles_out_again_and_is_remembered() {
    let bytes = sample();
    for profile in PROFILES {
        let mut inflater = Box::new(Inflater::new());
        let mut window = vec![0u8; profile.window_bytes];
        let mut app = App::new(&bytes[..], profile, &mut inflater, &mut window);
        app.handle(Input::Select);
        let (_, normal) = app.page().expect("page");
        app.take_changes();
        app.handle(Input::Back);
        app.handle(Input::Back);
        assert_eq!(app.screen(), Screen::Info, "{}", profile.name);
        app.handle(Input::Select);
        assert!(app.memory().larger_text);
        let changes = app.take_changes();
        assert!(changes.settings && !changes.bookmarks, "{changes:?}");
        assert_eq!(app.screen(), Screen::Info);
        app.handle(Input::Back);
        assert_eq!(app.screen(), Screen::Library);
        app.handle(Input::Select);
        let (_, larger) = app.page().expect("page");
        assert!(
            larger > normal,
            "{}: {larger} pages in the larger text, {normal} in the normal",
            profile.name
        );
        // Power-on with that memory: the article reopens, laid out in the larger text.
        let memory = app.memory().clone();
        drop(app);
        let mut app = App::new(&bytes[..], profile, &mut inflater, &mut window);
        app.restore(memory);
        assert_eq!(app.screen(), Screen::Article);
        assert_eq!(app.page().expect("page").1, larger, "{}", profile.name);
        app.handle(Input::Back);
        app.handle(Input::Back);
        app.handle(Input::Select);
        assert!(!app.memory().larger_text);
        app.handle(Input::Back);
        app.handle(Input::Select);
        assert_eq!(app.page().expect("page").1, normal, "{}", profile.name);
    }
}

#[test]
fn navigation_library_article_pages_back() {
    let bytes = sample();
    let profile = PROFILES[3];
    let mut inflater = Box::new(Inflater::new());
    let mut window = vec![0u8; profile.window_bytes];
    let mut app = App::new(&bytes[..], profile, &mut inflater, &mut window);
    assert_eq!(app.screen(), Screen::Library);
    assert_eq!(app.selected(), 0);
    app.handle(Input::Down);
    app.handle(Input::Down);
    assert_eq!(app.selected(), 2);
    app.handle(Input::Up);
    assert_eq!(app.selected(), 1);
    app.handle(Input::Up);
    app.handle(Input::Up);
    assert_eq!(
        app.selected(),
        4,
        "Up from the first entry wraps to the last"
    );
    // The last is long (read by position, see the test below): the one before it is paged.
    app.handle(Input::Up);
    app.handle(Input::Select);
    assert_eq!(app.screen(), Screen::Article);
    let (page, count) = app.page().expect("page");
    assert_eq!(page, 0);
    assert!(count > 2);
    app.handle(Input::Down);
    app.handle(Input::Right);
    assert_eq!(app.page(), Some((2, count)));
    app.handle(Input::Up);
    assert_eq!(app.page(), Some((1, count)));
    for _ in 0..count + 3 {
        app.handle(Input::Down);
    }
    assert_eq!(
        app.page(),
        Some((count - 1, count)),
        "paging stops at the last page"
    );
    for _ in 0..count + 3 {
        app.handle(Input::Left);
    }
    assert_eq!(app.page(), Some((0, count)));
    app.handle(Input::Back);
    assert_eq!(app.screen(), Screen::Library);
    assert_eq!(app.selected(), 3, "back to the library at the same entry");
    app.handle(Input::Back);
    assert_eq!(app.screen(), Screen::Info);
    app.handle(Input::Back);
    assert_eq!(app.screen(), Screen::Library);
}

#[test]
fn glyphs_draw_as_their_bitmaps() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("a.txt");
    std::fs::write(&f, "AЖ\n").expect("w");
    let bytes = pack(&[f]);
    let mut inflater = Box::new(Inflater::new());
    let mut window = vec![0u8; 16 * 1024];
    let bundle = Bundle::open(&bytes[..]).expect("open");
    let mut ts = Typesetter::new(bundle, &mut inflater, &mut window, 0).expect("ts");
    let mut display = MockDisplay::<BinaryColor>::new();
    let g = ts.glyph('A').expect("lookup").expect("glyph");
    ts.draw_glyph(&mut display, &g, 0, 0, Ink::solid(BinaryColor::On))
        .expect("draw");
    // misc-fixed 6x13 "A", cropped to its ink; it is the tallest glyph here, so it starts at
    // the line's top.
    display.assert_pattern(&[
        "  #  ", //
        " # # ", //
        "#   #", //
        "#   #", //
        "#   #", //
        "#####", //
        "#   #", //
        "#   #", //
        "#   #", //
    ]);
    let mut display = MockDisplay::<BinaryColor>::new();
    let g = ts.glyph('Ж').expect("lookup").expect("glyph");
    ts.draw_glyph(&mut display, &g, 0, 0, Ink::solid(BinaryColor::On))
        .expect("draw");
    display.assert_pattern(&[
        "# # #", //
        "# # #", //
        "# # #", //
        " ### ", //
        "  #  ", //
        " ### ", //
        "# # #", //
        "# # #", //
        "# # #", //
    ]);
    // A character the bundle has no glyph for is drawn as the replacement glyph.
    let r = ts.glyph('\u{E000}').expect("lookup").expect("replacement");
    assert_eq!(r.codepoint, 0xFFFD);
}

/// Drives every screen of an app over `bytes`, drawing each; returns what the screens were.
fn tour(bytes: &[u8], profile: Profile) -> Vec<Screen> {
    let mut inflater = Box::new(Inflater::new());
    let mut window = vec![0u8; profile.window_bytes];
    let mut app = App::new(bytes, profile, &mut inflater, &mut window);
    let mut d = SimulatorDisplay::<BinaryColor>::new(Size::new(profile.width, profile.height));
    let mut seen = Vec::new();
    let keys = [
        Input::Select,
        Input::Down,
        Input::Down,
        Input::Up,
        Input::Back,
        Input::Down,
        Input::Select,
        Input::Down,
        Input::Back,
        Input::Back,
        Input::Back,
    ];
    app.draw(&mut d, &MONO).expect("draw");
    seen.push(app.screen());
    for k in keys {
        app.handle(k);
        app.draw(&mut d, &MONO).expect("draw");
        seen.push(app.screen());
    }
    seen
}

#[test]
fn every_single_byte_corruption_gives_an_error_screen_or_the_right_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("a.txt"),
        "First article, short.\nIt has two paragraphs.\n",
    )
    .expect("w");
    std::fs::write(dir.path().join("b.txt"), "Второй текст — по-русски.\n").expect("w");
    let good = pack(&[dir.path().to_path_buf()]);
    let originals: Vec<String> = {
        let mut b = Bundle::open(&good[..]).expect("open");
        (0..2)
            .map(|i| fieldpack::report::read_article(&mut b, i).expect("a").body)
            .collect()
    };
    let profile = PROFILES[0];
    let mut errors = 0;
    for i in 0..good.len() {
        let mut bad = good.clone();
        bad[i] ^= 0x20;
        let screens = tour(&bad, profile);
        if screens.iter().any(|s| matches!(s, Screen::Error { .. })) {
            errors += 1;
        }
        // Whatever text the reader produces is the right text, or an error.
        let Ok(bundle) = Bundle::open(&bad[..]) else {
            continue;
        };
        let mut inflater = Box::new(Inflater::new());
        let mut window = vec![0u8; profile.window_bytes];
        let Ok(mut ts) = Typesetter::new(bundle, &mut inflater, &mut window, 0) else {
            continue;
        };
        for (n, original) in originals.iter().enumerate() {
            let Ok(art) = ts.open_article(n as u32) else {
                continue;
            };
            let mut text = String::new();
            let mut pos = TextPos::default();
            let complete = loop {
                match ts.char_at(&art, pos) {
                    Ok(Some((c, next))) => {
                        text.push(c);
                        pos = next;
                    }
                    Ok(None) => break true,
                    Err(_) => break false,
                }
            };
            if complete {
                assert_eq!(&text, original, "byte {i}: wrong text shown as right");
            }
        }
    }
    assert!(
        errors > good.len() / 2,
        "only {errors} of {} corruptions were noticed",
        good.len()
    );
}

#[test]
fn no_bundle_shows_the_error_screen() {
    for bytes in [&b""[..], &b"hello, not a bundle at all, just bytes"[..]] {
        let screens = tour(bytes, PROFILES[0]);
        assert!(screens.iter().all(|s| matches!(
            s,
            Screen::Error {
                recoverable: false,
                ..
            }
        )));
    }
}

#[test]
fn title_search_finds_the_first_match_like_a_linear_scan() {
    let bytes = corpus_bundle();
    let mut b = Bundle::open(&bytes[..]).expect("open");
    let n = b.article_count();
    let mut buf = [0u8; fieldpack_format::layout::MAX_META_LEN];
    let titles: Vec<String> = (0..n)
        .map(|pos| {
            let id = b.title_order(pos).expect("order");
            let rec = b.article(id).expect("article");
            b.meta(&rec, &mut buf).expect("meta").title.to_string()
        })
        .collect();
    let mut prefixes: Vec<String> = vec![
        String::new(),
        "a".into(),
        "zzz".into(),
        "Ω".into(),
        "세계".into(),
    ];
    for t in &titles {
        for len in [1, 2, 4, 9, 14, 40] {
            prefixes.push(t.chars().take(len).collect());
        }
        prefixes.push(format!("{t}!"));
    }
    for p in &prefixes {
        let want = titles
            .iter()
            .position(|t| {
                fieldpack_format::meta::title_prefix_cmp(t, p) != std::cmp::Ordering::Less
            })
            .unwrap_or(titles.len()) as u32;
        assert_eq!(
            b.find_title(p, &mut buf).expect("find"),
            want,
            "prefix {p:?}"
        );
    }
}

/// A long article (past `PAGED_TEXT_MAX`) read by position: pages chain from start to end and
/// give back the text; turning back returns to the start, each page ending where the one after
/// it begins or overlapping it; a place reopens on the same page; a jump lands on the place.
#[test]
fn long_articles_open_anywhere_and_turn_both_ways() {
    use fieldpack_reader::app::PAGED_TEXT_MAX;
    let dir = tempfile::tempdir().expect("tempdir");
    let brown = root().join("../shared/corpus/brown");
    let mut text = String::from("A long article\n\n");
    let mut files: Vec<_> = std::fs::read_dir(&brown)
        .expect("brown")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    for f in files {
        text.push_str(&std::fs::read_to_string(f).expect("read"));
        if text.len() > 120_000 {
            break;
        }
    }
    std::fs::write(dir.path().join("long.txt"), &text).expect("w");
    let bytes = pack(&[dir.path().to_path_buf()]);
    let body = {
        let mut b = Bundle::open(&bytes[..]).expect("open");
        fieldpack::report::read_article(&mut b, 0).expect("a").body
    };
    assert!(body.len() as u32 > PAGED_TEXT_MAX * 4, "{}", body.len());
    for profile in [PROFILES[0], PROFILES[3]] {
        let mut inflater = Box::new(Inflater::new());
        let mut window = vec![0u8; profile.window_bytes];
        let mut app = App::new(&bytes[..], profile, &mut inflater, &mut window);
        app.handle(Input::Select);
        assert_eq!(app.screen(), Screen::Article);
        assert_eq!(app.page(), None, "a long article is not paged");
        // Forward to the end: every page starts where the last ended, and the pages' text is
        // the article's.
        let mut starts = vec![app.page_start().expect("start")];
        loop {
            app.handle(Input::Down);
            let s = app.page_start().expect("start");
            if s == *starts.last().expect("last") {
                break;
            }
            starts.push(s);
            assert!(starts.len() < 20_000, "no end");
        }
        let mut shown = String::new();
        {
            let ts = app.typesetter().expect("ts");
            let art = ts.open_article(0).expect("art");
            let area = App::<&[u8]>::text_area(&profile, ts.line_height());
            for (k, &s) in starts.iter().enumerate() {
                let end = ts
                    .page(&art, s, area.width, area.height, |ts, line, _| {
                        let mut p = line.start;
                        while p < line.next {
                            let (c, n) = ts.char_at(&art, p)?.expect("char");
                            shown.push(c);
                            p = n;
                        }
                        Ok(())
                    })
                    .expect("page");
                if let Some(&next) = starts.get(k + 1) {
                    assert_eq!(end, next, "page {k} does not end where {} starts", k + 1);
                }
            }
        }
        assert_eq!(
            shown, body,
            "{}: the pages' text is the article",
            profile.name
        );
        // Back to the start: the way it came for a few pages, then laid out backwards.
        let mut back = 0;
        while app.page_start() != Some(TextPos::default()) {
            let here = app.page_start().expect("here");
            app.handle(Input::Up);
            let s = app.page_start().expect("start");
            assert!(s < here, "{}: turning back did not move back", profile.name);
            let ts = app.typesetter().expect("ts");
            let art = ts.open_article(0).expect("art");
            let area = App::<&[u8]>::text_area(&profile, ts.line_height());
            let end = ts
                .page(&art, s, area.width, area.height, |_, _, _| Ok(()))
                .expect("page");
            assert!(end >= here, "{}: a gap before {here:?}", profile.name);
            back += 1;
            assert!(back < 2 * starts.len(), "no way back");
        }
        assert!(
            back <= starts.len() + starts.len() / 10,
            "{}: {back} pages back for {} forward",
            profile.name,
            starts.len()
        );
        // A jump to half-way lands on the page holding that place.
        app.jump_to_percent(50);
        let ts = app.typesetter().expect("ts");
        let art = ts.open_article(0).expect("art");
        let s = app.page_start().expect("start");
        let ts = app.typesetter().expect("ts");
        let area = App::<&[u8]>::text_area(&profile, ts.line_height());
        let end = ts
            .page(&art, s, area.width, area.height, |_, _, _| Ok(()))
            .expect("page");
        let half = body.len() as u32 / 2;
        let (from, to) = ts.span_offsets(&art, s, end).expect("span");
        assert!(
            from <= half && half < to,
            "{from}..{to} does not hold {half}"
        );
        // Two pages on, the reader's memory reopens that very page.
        app.handle(Input::Down);
        app.handle(Input::Down);
        let here = app.page_start();
        let memory = app.memory().clone();
        let mut inflater = Box::new(Inflater::new());
        let mut window = vec![0u8; profile.window_bytes];
        let mut again = App::new(&bytes[..], profile, &mut inflater, &mut window);
        again.restore(memory);
        assert_eq!(
            again.page_start(),
            here,
            "{}: reopened elsewhere",
            profile.name
        );
    }
}

/// An article's lines are as tall as its own glyphs need (format 5's line boxes): a Brown news
/// text looks the same, page for page, alone and in a bundle with Han and Hangul texts, on
/// every profile. (In format 4 the other scripts' glyphs made its title bar taller and its
/// paragraph gaps wider: 11 lines on the first page at 320x240 instead of 12.)
#[test]
fn an_articles_lines_do_not_grow_with_other_articles_scripts() {
    let brown = root().join("../shared/corpus/brown/ca01_news.txt");
    let alone = pack(std::slice::from_ref(&brown));
    let mixed = pack(&[
        brown,
        root().join("assets/articles/udhr_kor.html"),
        root().join("assets/articles/udhr_cmn_hans.html"),
    ]);
    // The Brown text is the first title in both libraries.
    let keys = [Input::Select, Input::Down, Input::Down];
    for profile in PROFILES {
        let trust = fieldpack::sim::TrustList::new(&[], false);
        let a = fieldpack::sim::run_session(&alone, profile, &keys, trust.policy(), None)
            .expect("alone");
        let m = fieldpack::sim::run_session(&mixed, profile, &keys, trust.policy(), None)
            .expect("mixed");
        for (i, (x, y)) in a.iter().zip(&m).enumerate().skip(1) {
            assert!(
                x == y,
                "{}: page {i} differs beside Han and Hangul",
                profile.name
            );
        }
    }
    // The Han article's lines stay as tall as Han needs.
    let mut b = Bundle::open(&mixed[..]).expect("open");
    let strike = b.strike(1).expect("large strike");
    let mut buf = [0u8; fieldpack_format::layout::MAX_META_LEN];
    let heights: Vec<u8> = (0..b.article_count())
        .map(|i| {
            let rec = b.article(i).expect("record");
            b.meta(&rec, &mut buf).expect("meta").lines[1].height
        })
        .collect();
    assert!(heights.contains(&strike.header.line_height), "{heights:?}");
    assert!(
        heights.iter().any(|&h| h < strike.header.line_height),
        "{heights:?}"
    );
}
