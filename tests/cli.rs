//! End-to-end tests of the `fieldpack` binary: real articles in, real bundles out.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Output};

#[path = "common.rs"]
mod common;
use common::{root, run, s, stderr};

use fieldpack::ingest::{self, Article, Outcome, Utf8Policy};
use fieldpack::rules::Rules;

fn ok(args: &[&str]) -> Output {
    let o = run(args);
    assert!(
        o.status.success(),
        "fieldpack {args:?} failed: {}",
        stderr(&o)
    );
    o
}

/// Fails (not panics: exit code 1, not 101) with a message containing every `needles`.
fn fails(args: &[&str], needles: &[&str]) -> String {
    let o = run(args);
    assert_eq!(
        o.status.code(),
        Some(1),
        "fieldpack {args:?}: {}",
        stderr(&o)
    );
    let err = stderr(&o);
    for n in needles {
        assert!(err.contains(n), "error of {args:?} lacks {n:?}: {err}");
    }
    err
}

fn corpus() -> PathBuf {
    let p = root().join("../shared/corpus");
    assert!(p.is_dir(), "the corpus is expected at {}", p.display());
    p
}

fn corpus_dirs() -> Vec<PathBuf> {
    ["news", "brown", "udhr"]
        .iter()
        .map(|d| corpus().join(d))
        .collect()
}

/// The articles of the corpus as the library normalises them, by origin.
fn normalised(dirs: &[PathBuf]) -> BTreeMap<String, Article> {
    let (inputs, _) = ingest::discover(dirs, &ingest::Excludes::default()).expect("discover");
    let rules = Rules::builtin();
    inputs
        .iter()
        .filter_map(
            |i| match ingest::read(i, &rules, Utf8Policy::Strict).expect("read") {
                Outcome::Article(a, _) => Some((a.origin.clone(), a)),
                Outcome::Skipped(_) => None,
            },
        )
        .collect()
}

#[test]
fn whole_corpus_builds_verifies_and_extracts_losslessly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("corpus.fpk");
    let dirs = corpus_dirs();
    let mut args = vec!["build", "-q", "--keep-paths", "-o", s(&fpk)];
    args.extend(dirs.iter().map(|d| s(d)));
    ok(&args);
    let v = ok(&["verify", s(&fpk)]);
    assert!(String::from_utf8_lossy(&v.stdout).contains("158 articles"));

    let out = dir.path().join("extracted");
    ok(&["extract", s(&fpk), "-o", s(&out)]);
    let expected = normalised(&dirs);
    assert_eq!(expected.len(), 158);
    let extracted = normalised(std::slice::from_ref(&out));
    assert_eq!(extracted.len(), 158);
    for (origin, want) in &expected {
        let got = extracted
            .get(origin)
            .unwrap_or_else(|| panic!("{origin} not extracted"));
        // An extracted file carries its title as a headline, whatever named it first.
        let want = Article {
            named_by_text: got.named_by_text,
            ..want.clone()
        };
        assert_eq!(got, &want, "{origin} changed in the round trip");
    }

    // What was extracted packs to the very same bytes.
    let again = dir.path().join("again.fpk");
    ok(&["build", "-q", "--keep-paths", "-o", s(&again), s(&out)]);
    assert!(std::fs::read(&fpk).expect("read") == std::fs::read(&again).expect("read"));

    // By default no input path is recorded; the extracted files are numbered in bundle order,
    // so that they too pack to the very same bytes.
    let private = dir.path().join("private.fpk");
    let mut args = vec!["build", "-q", "-o", s(&private)];
    args.extend(dirs.iter().map(|d| s(d)));
    ok(&args);
    let bytes = std::fs::read(&private).expect("read");
    for name in ["ca01_news", "udhr_kor", "000_ac89483567ee3ac3", "brown"] {
        assert!(
            !bytes.windows(name.len()).any(|w| w == name.as_bytes()),
            "{name} recorded in a private bundle"
        );
    }
    let out2 = dir.path().join("extracted-private");
    ok(&["extract", s(&private), "-o", s(&out2)]);
    assert!(out2
        .join("001-Human-rights-activists-and-specialists-are-calling-on-Moscow.md")
        .is_file());
    let again2 = dir.path().join("again-private.fpk");
    ok(&["build", "-q", "-o", s(&again2), s(&out2)]);
    assert!(bytes == std::fs::read(&again2).expect("read"));

    let json = ok(&["inspect", "--json", s(&fpk)]);
    let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    assert_eq!(v["articles"].as_array().map(Vec::len), Some(158));
    assert_eq!(v["version"], fieldpack_format::VERSION);
}

#[test]
fn sample_article_title_body_and_no_boilerplate() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("news.fpk");
    ok(&[
        "build",
        "-q",
        "-o",
        s(&fpk),
        s(&root().join("assets/articles/000_ac89483567ee3ac3.txt")),
    ]);
    let out = dir.path().join("x");
    ok(&["extract", s(&fpk), "-o", s(&out)]);
    let text = std::fs::read_to_string(
        out.join("1-Human-rights-activists-and-specialists-are-calling-on-Moscow.md"),
    )
    .expect("extracted");
    assert!(text.starts_with(
        "---\ntitle: \"Human rights activists and specialists are calling on Moscow to supply…\"\nlang: \"en\"\n"
    ), "{text}");
    for boiler in ["[ad_1]", "[ad_2]", "Source link"] {
        assert!(!text.contains(boiler), "{boiler} left in");
    }
    // Curly quotes stay as written, paragraphs stay paragraphs.
    assert!(text.contains("“We have to name consideration to the abuse of North Korean escapees"));
    assert!(text.contains("North Korea’s human rights"));
    assert!(
        text.ends_with("originated in VOA’s Korean Service.\n"),
        "{text}"
    );
    let paragraphs = text
        .split("\n---\n")
        .nth(1)
        .expect("body")
        .trim()
        .split("\n\n")
        .count();
    assert_eq!(paragraphs, 26);
    let table = ok(&["inspect", s(&fpk)]);
    assert!(String::from_utf8_lossy(&table.stdout).contains("Human rights activists"));
}

#[test]
fn builds_are_deterministic_whatever_the_input_order() {
    let dir = tempfile::tempdir().expect("tempdir");
    let udhr = corpus().join("udhr");
    let files = ["kor.html", "rus.html", "eng.html", "cmn_hans.html"];
    let paths: Vec<PathBuf> = files.iter().map(|f| udhr.join(f)).collect();
    let a = dir.path().join("a.fpk");
    let b = dir.path().join("b.fpk");
    let mut args = vec!["build", "-q", "-o", s(&a)];
    args.extend(paths.iter().map(|p| s(p)));
    ok(&args);
    // The same files copied into a new folder in another order, given as a folder.
    let copy = dir.path().join("copy");
    std::fs::create_dir(&copy).expect("mkdir");
    for f in files.iter().rev() {
        std::fs::copy(udhr.join(f), copy.join(f)).expect("copy");
    }
    ok(&["build", "-q", "-o", s(&b), s(&copy)]);
    assert!(std::fs::read(&a).expect("a") == std::fs::read(&b).expect("b"));
}

#[test]
fn every_single_byte_flip_is_reported_by_verify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let small = dir.path().join("small.txt");
    std::fs::write(&small, "A short note.\nSecond paragraph, with “quotes”.\n").expect("write");
    let fpk = dir.path().join("small.fpk");
    ok(&["build", "-q", "-o", s(&fpk), s(&small)]);
    let good = std::fs::read(&fpk).expect("read");
    assert!(fieldpack::report::verify_bytes(&good, "small.fpk").is_ok());
    for i in 0..good.len() {
        for mask in [0x01u8, 0xFF] {
            let mut bad = good.clone();
            bad[i] ^= mask;
            assert!(
                fieldpack::report::verify_bytes(&bad, "small.fpk").is_err(),
                "flip {mask:#x} at byte {i} went unnoticed"
            );
        }
    }
    // And through the real binary, for a spread of offsets: exit 1 and a byte offset named.
    let bad_path = dir.path().join("bad.fpk");
    for i in (0..good.len()).step_by(97) {
        let mut bad = good.clone();
        bad[i] ^= 0x55;
        std::fs::write(&bad_path, &bad).expect("write");
        fails(&["verify", s(&bad_path)], &["bad.fpk"]);
    }
}

#[test]
fn invalid_utf8_is_refused_with_its_offset_or_replaced_on_request() {
    let dir = tempfile::tempdir().expect("tempdir");
    let f = dir.path().join("latin1.txt");
    std::fs::write(&f, b"Caf\xe9 au lait.\n").expect("write");
    let out = dir.path().join("o.fpk");
    fails(
        &["build", "-q", "-o", s(&out), s(&f)],
        &["latin1.txt", "byte offset 3"],
    );
    assert!(!out.exists(), "no bundle after a failed build");
    let o = ok(&["build", "-o", s(&out), "--lossy-utf8", s(&f)]);
    assert!(stderr(&o).contains("latin1.txt: invalid UTF-8 from byte offset 3"));
    ok(&["verify", s(&out)]);
}

#[test]
fn binary_empty_boilerplate_and_duplicate_files_are_skipped_and_reported() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("in");
    std::fs::create_dir(&d).expect("mkdir");
    std::fs::write(d.join("image.txt"), b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR").expect("w");
    std::fs::write(d.join("empty.md"), b"   \n\n").expect("w");
    std::fs::write(d.join("ads.txt"), "[ad_1]\n[ad_2]\nSource link\n").expect("w");
    std::fs::write(d.join("a.txt"), "The same story.\n").expect("w");
    std::fs::write(d.join("b.txt"), "The same story.\n").expect("w");
    std::fs::write(d.join("notes.pdf"), b"%PDF").expect("w");
    let out = dir.path().join("o.fpk");
    let o = ok(&["build", "-o", s(&out), s(&d)]);
    let err = stderr(&o);
    for needle in [
        "image.txt: skipped: binary file",
        "empty.md: skipped: empty",
        "ads.txt: skipped: only boilerplate",
        "b.txt: duplicate of",
        "left out 1 file that is not an article (.txt, .md, .html, .epub, .zim): -v lists them",
        "1 article, ",
    ] {
        assert!(err.contains(needle), "{needle:?} not in: {err}");
    }
}

#[test]
fn nothing_to_pack_and_missing_paths_are_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("o.fpk");
    fails(
        &["build", "-o", s(&out), s(&dir.path().join("nope"))],
        &["nope"],
    );
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    fails(&["build", "-o", s(&out), s(&empty)], &["no articles found"]);
    assert!(!out.exists());
}

#[test]
fn a_failed_build_keeps_the_previous_bundle() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = dir.path().join("good.txt");
    std::fs::write(&good, "Good text.\n").expect("w");
    let out = dir.path().join("o.fpk");
    ok(&["build", "-q", "-o", s(&out), s(&good)]);
    let before = std::fs::read(&out).expect("read");
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, b"\xff\xfe broken").expect("w");
    fails(
        &["build", "-q", "-o", s(&out), s(&good), s(&bad)],
        &["bad.txt"],
    );
    assert_eq!(std::fs::read(&out).expect("read"), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
}

#[test]
fn non_bundles_and_truncated_bundles_get_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = dir.path().join("notes.fpk");
    std::fs::write(
        &text,
        "just some text, long enough to have a header's worth of bytes",
    )
    .expect("w");
    for cmd in ["inspect", "verify"] {
        fails(&[cmd, s(&text)], &["notes.fpk", "not a Fieldpack bundle"]);
    }
    let out = dir.path().join("x");
    fails(
        &["extract", s(&text), "-o", s(&out)],
        &["not a Fieldpack bundle"],
    );

    let src = dir.path().join("a.txt");
    std::fs::write(&src, "Some article text.\n").expect("w");
    let fpk = dir.path().join("a.fpk");
    ok(&["build", "-q", "-o", s(&fpk), s(&src)]);
    let bytes = std::fs::read(&fpk).expect("read");
    let cut = dir.path().join("cut.fpk");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).expect("w");
    for cmd in ["inspect", "verify"] {
        fails(&[cmd, s(&cut)], &["cut.fpk", "truncated"]);
    }
    fails(
        &["verify", s(&dir.path().join("missing.fpk"))],
        &["missing.fpk"],
    );
}

#[test]
fn markdown_front_matter_and_user_rules() {
    let dir = tempfile::tempdir().expect("tempdir");
    let md = dir.path().join("report.md");
    std::fs::write(
        &md,
        "---\ntitle: Water points in the east\ndate: 2024-03-01\nsource: Field team\nauthor: R. K.\nlang: en\n---\n\nThree wells work again.\n\nSHARE THIS\n\nSponsored by nobody.\n",
    )
    .expect("w");
    let rules = dir.path().join("my.rules");
    std::fs::write(&rules, "drop (?i)sponsored by .*\n").expect("w");
    let fpk = dir.path().join("r.fpk");
    ok(&["build", "-q", "-o", s(&fpk), "--rules", s(&rules), s(&md)]);
    let out = dir.path().join("x");
    ok(&["extract", s(&fpk), "-o", s(&out)]);
    let text =
        std::fs::read_to_string(out.join("1-Water-points-in-the-east.md")).expect("extracted");
    assert_eq!(
        text,
        "---\ntitle: \"Water points in the east\"\nlang: \"en\"\ndate: \"2024-03-01\"\nsource: \"Field team\"\nauthor: \"R. K.\"\n---\n\nThree wells work again.\n"
    );
    let bad = dir.path().join("bad.rules");
    std::fs::write(&bad, "strip [unclosed\n").expect("w");
    fails(
        &["build", "-o", s(&fpk), "--rules", s(&bad), s(&md)],
        &["bad.rules:1"],
    );
}

#[test]
fn every_subcommand_has_help() {
    for cmd in ["build", "inspect", "verify", "extract", "sim", "rules"] {
        let o = ok(&[cmd, "--help"]);
        assert!(String::from_utf8_lossy(&o.stdout).contains("Usage"));
    }
}

#[test]
fn bench_reports_every_figure_as_json() {
    let assets = root().join("assets/articles");
    let out = ok(&["dev", "bench", "--json", "--no-device-cost", s(&assets)]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let n = |k: &str| v[k].as_u64().unwrap_or_else(|| panic!("{k} missing: {v}"));
    for k in [
        "raw",
        "gzip9_each",
        "bundle_total",
        "bundle_bodies",
        "bundle_indexes",
        "bundle_glyphs",
        "bundle_glyphs_plain",
        "deflate_solid",
    ] {
        assert!(n(k) > 0, "{k}");
    }
    // The peers that need a tool are reported as null when it is not installed.
    for k in ["zstd19_each", "xz9e_solid", "zim"] {
        assert!(v.get(k).is_some(), "{k} missing");
    }
    assert!(n("bundle_total") > n("bundle_bodies") + n("bundle_indexes") + n("bundle_glyphs"));
    assert!(n("bundle_glyphs") < n("bundle_glyphs_plain"));
    let builds = v["builds"].as_array().expect("builds");
    let efforts: Vec<&str> = builds.iter().filter_map(|b| b["effort"].as_str()).collect();
    assert_eq!(efforts, ["fast", "good", "best"]);
    // Each effort keeps the smallest of more candidates than the one before.
    let sizes: Vec<u64> = builds
        .iter()
        .filter_map(|b| b["bodies_and_indexes"].as_u64())
        .collect();
    assert!(sizes.windows(2).all(|w| w[1] <= w[0]), "{sizes:?}");
    assert_eq!(sizes[1], n("bundle_bodies") + n("bundle_indexes"));
    let techniques: Vec<u64> = v["techniques"]
        .as_array()
        .expect("techniques")
        .iter()
        .filter_map(|t| t[1].as_u64())
        .collect();
    assert!(techniques.len() >= 3, "{techniques:?}");
    assert!(
        techniques[..3].windows(2).all(|w| w[1] <= w[0]),
        "{techniques:?}"
    );
    let windows = v["by_window"].as_array().expect("by_window");
    assert_eq!(windows.len(), 3);
    for w in windows {
        assert!(w["best"].as_u64() <= w["good"].as_u64(), "{w}");
    }
}

#[test]
fn uf2_loads_the_bundle_at_its_address_and_refuses_what_does_not_fit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("s.fpk");
    ok(&[
        "build",
        "-q",
        "-o",
        s(&fpk),
        s(&root().join("assets/articles")),
    ]);
    let uf2 = dir.path().join("s.uf2");
    let o = ok(&["uf2", s(&fpk), "-o", s(&uf2), "--board", "pico-display-2"]);
    assert!(stderr(&o).contains("0x10100000"), "{}", stderr(&o));
    let bundle = std::fs::read(&fpk).expect("bundle");
    let blocks = fieldpack::uf2::decode(&std::fs::read(&uf2).expect("uf2")).expect("decode");
    let mut flash = Vec::new();
    for (i, (addr, payload)) in blocks.iter().enumerate() {
        assert_eq!(*addr, 0x1010_0000 + 256 * i as u32);
        flash.extend_from_slice(payload);
    }
    assert_eq!(
        &flash[..bundle.len()],
        &bundle[..],
        "the UF2 does not hold the bundle"
    );
    assert!(flash[bundle.len()..].iter().all(|&b| b == 0xFF));

    // The whole corpus is too big for the flash a Pico leaves: refused, sizes named, no file.
    let big = dir.path().join("big.fpk");
    let mut args = vec!["build", "-q", "-o", s(&big)];
    let dirs = corpus_dirs();
    args.extend(dirs.iter().map(|d| s(d)));
    ok(&args);
    let padded = dir.path().join("padded.fpk");
    let mut b = std::fs::read(&big).expect("big");
    // A flash region may be larger than its bundle: pad past the 1,032,192 bytes a Pico holds.
    b.resize(1_100_000, 0);
    std::fs::write(&padded, &b).expect("w");
    let out = dir.path().join("big.uf2");
    let err = fails(
        &["uf2", s(&padded), "-o", s(&out)],
        &["1100000 bytes", "1032192"],
    );
    assert!(err.contains("pico-oled"), "{err}");
    assert!(!out.exists());
    // A board the tool does not know is a usage error that lists the boards.
    let o = run(&["uf2", s(&fpk), "-o", s(&out), "--board", "pico-w"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("possible values: pico-oled"),
        "{}",
        stderr(&o)
    );
    fails(
        &["uf2", s(&root().join("README.md")), "-o", s(&out)],
        &["not a bundle"],
    );
}

/// Shell completions and manual pages come from the command line's own definitions; the exit
/// statuses are in `--help` and the manual.
#[test]
fn completions_man_pages_and_exit_statuses() {
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let o = ok(&["completions", shell]);
        let script = String::from_utf8_lossy(&o.stdout);
        for word in ["fieldpack", "build", "no-file-titles", "verify"] {
            assert!(script.contains(word), "{shell}: no {word}");
        }
        assert!(
            !script.contains("device-op"),
            "{shell}: a hidden command is completed"
        );
    }
    // The bash script is valid bash.
    let dir = tempfile::tempdir().expect("tempdir");
    let bash = dir.path().join("fieldpack.bash");
    std::fs::write(&bash, ok(&["completions", "bash"]).stdout).expect("write");
    let check = Command::new("bash")
        .arg("-n")
        .arg(&bash)
        .status()
        .expect("bash");
    assert!(check.success(), "bash -n rejects the completion script");
    let o = run(&["completions", "nushell"]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
    assert!(stderr(&o).contains("possible values: bash"));

    let man = dir.path().join("man");
    ok(&["man", "-o", s(&man)]);
    let main = std::fs::read_to_string(man.join("fieldpack.1")).expect("fieldpack.1");
    assert!(
        main.starts_with(".ie") || main.contains(".TH fieldpack"),
        "{}",
        &main[..80]
    );
    assert!(main.contains("Exit status"));
    let build = std::fs::read_to_string(man.join("fieldpack-build.1")).expect("build page");
    assert!(build.contains("fieldpack build") && build.contains("no\\-file\\-titles"));
    assert!(
        !man.join("fieldpack-device-op.1").exists(),
        "a hidden command has a page"
    );

    let help = String::from_utf8_lossy(&ok(&["--help"]).stdout).into_owned();
    assert!(help.contains("Exit status:") && help.contains("2  usage error"));
    // A display the tool does not know is a usage error that says which it knows.
    let o = run(&["build", "--device", "100x50", "-o", "x.fpk", "in"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("possible values: 128x64, 296x128, 240x135, 320x240"));
}

/// The paragraphs (with their block marks) of the one article in `file`, as the library reads it.
fn blocks_of(file: &std::path::Path) -> (String, Vec<String>) {
    let (inputs, _) =
        ingest::discover(&[file.to_path_buf()], &ingest::Excludes::default()).expect("discover");
    match ingest::read(&inputs[0], &Rules::builtin(), Utf8Policy::Strict).expect("read") {
        Outcome::Article(a, _) => (a.title, a.paragraphs),
        Outcome::Skipped(why) => panic!("{}: skipped: {why}", file.display()),
    }
}

#[test]
fn structure_is_the_same_from_html_markdown_and_text_and_survives_extract() {
    let pages = root().join("tests/pages/structure");
    let (title, html) = blocks_of(&pages.join("guide.html"));
    let (md_title, md) = blocks_of(&pages.join("guide.md"));
    assert_eq!(title, "Oral rehydration at home");
    assert_eq!(md_title, title);
    // A saved site page and the same guide written in Markdown: the same blocks, byte for byte.
    assert_eq!(html, md);
    let shown = fieldpack::blocks::body_to_text(&html.join("\n"));
    assert_eq!(
        shown,
        std::fs::read_to_string(pages.join("guide.expected")).expect("expected"),
        "{shown}"
    );
    // Plain text keeps what it can say unambiguously: its lists, nested by indentation; its
    // first line is its title, not repeated as a paragraph.
    let (text_title, text) = blocks_of(&pages.join("guide.txt"));
    assert_eq!(text_title, title);
    let items: Vec<&String> = text.iter().filter(|p| p.starts_with('\u{1}')).collect();
    assert_eq!(
        fieldpack::blocks::body_to_text(
            &items.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("\n")
        ),
        "1. Wash your hands with soap.\n2. Measure one litre of safe water.\n  a. Boiled and cooled water is best.\n  b. Chlorinated water is next best.\n3. Stir in six level teaspoons of sugar and half a level teaspoon of salt until they dissolve.\n• Blood in the stool\n• Not able to drink\n• Very sleepy or hard to wake\n"
    );

    // Packed with the web pages, extracted as Markdown and packed again: the same bundle.
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("structure.fpk");
    let web = root().join("tests/pages/web");
    let mut args = vec!["build", "-q", "-o", s(&fpk), s(&pages)];
    let mut web_pages: Vec<PathBuf> = std::fs::read_dir(&web)
        .expect("pages")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .collect();
    web_pages.sort();
    assert_eq!(web_pages.len(), 20);
    args.extend(web_pages.iter().map(|p| s(p)));
    ok(&args);
    ok(&["verify", s(&fpk)]);
    let out = dir.path().join("md");
    ok(&["extract", s(&fpk), "-o", s(&out)]);
    // The guide as a page and as Markdown is one article (the second a duplicate, kept once),
    // and the text file another.
    let guides: Vec<String> = std::fs::read_dir(&out)
        .expect("extracted")
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter(|t| t.contains("title: \"Oral rehydration at home\""))
        .collect();
    assert_eq!(guides.len(), 2);
    let guide = guides
        .into_iter()
        .find(|t| t.contains("| Age |"))
        .expect("the guide, extracted");
    assert!(guide.contains("\n1. Wash your hands with soap.\n2. Measure one litre of safe water.\n   a. Boiled and cooled water is best.\n"), "{guide}");
    assert!(
        guide.contains("| Age | Amount |\n| --- | --- |\n| Under 2 years | 50 to 100 ml |\n"),
        "{guide}"
    );
    let again = dir.path().join("again.fpk");
    ok(&["build", "-q", "-o", s(&again), s(&out)]);
    assert!(
        std::fs::read(&fpk).expect("read") == std::fs::read(&again).expect("read"),
        "the extracted Markdown packs to another bundle"
    );
}

/// A bundle made for a board carries its display's two strikes (normal and larger text); one
/// made for any device carries all four; each verifies.
#[test]
fn a_board_bundle_carries_its_displays_strikes_only() {
    let dir = tempfile::tempdir().expect("tempdir");
    let assets = root().join("assets/articles");
    let mut sizes = Vec::new();
    for (board, classes) in [
        (None, vec![0, 1, 2, 3]),
        (Some("pico-oled"), vec![0, 1]),
        (Some("pico-epaper"), vec![1, 3]),
        (Some("pico-display-2"), vec![2, 3]),
    ] {
        let fpk = dir.path().join(format!("{}.fpk", board.unwrap_or("any")));
        let mut args = vec!["build", "-q", "-o", s(&fpk), s(&assets)];
        if let Some(b) = board {
            args.extend(["--board", b]);
        }
        ok(&args);
        let json = ok(&["inspect", "--json", s(&fpk)]);
        let v: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
        let got: Vec<u64> = v["strikes"]
            .as_array()
            .expect("strikes")
            .iter()
            .map(|s| s["size_class"].as_u64().expect("class"))
            .collect();
        assert_eq!(got, classes, "{board:?}");
        ok(&["verify", s(&fpk)]);
        sizes.push(std::fs::metadata(&fpk).expect("size").len());
    }
    // Fewer strikes, fewer bytes (the window differs too, but glyphs dominate this sample).
    assert!(sizes[1] < sizes[0] && sizes[3] < sizes[0], "{sizes:?}");
}
