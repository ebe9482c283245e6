//! The defects an adversarial review found (issue 10), one test each, on the real binary:
//! hostile bundles, hostile input folders, hostile output folders, damage, privacy and
//! signatures.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use fieldpack_format::crc32;
use fieldpack_format::layout::{
    ArticleRecord, ChunkRecord, Header, SectionEntry, SectionKind, ARTICLE_RECORD_LEN,
    CHUNK_RECORD_LEN, GLYPH_METRICS_LEN, HEADER_LEN, SECTION_ENTRY_LEN, SIZE_CLASS_COUNT,
    TITLE_RECORD_LEN,
};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_fieldpack"))
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("run fieldpack")
}

/// Runs with a deadline: a hang is a failure, not a stuck test suite.
fn run_within(args: &[&str], limit: Duration) -> Output {
    let mut child = bin()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > limit {
            let _ = child.kill();
            panic!("fieldpack {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().expect("output")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn ok(args: &[&str]) -> Output {
    let o = run(args);
    assert!(
        o.status.success(),
        "fieldpack {args:?}: {}",
        text(&o.stderr)
    );
    o
}

/// Exit 1 (never 101, a panic) with every needle in standard error.
fn fails(o: &Output, needles: &[&str]) -> String {
    let err = text(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} not in: {err}");
    }
    err
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus")
}

/// The section table of bundle bytes: (entry offset, entry).
fn table(bytes: &[u8]) -> Vec<(usize, SectionEntry)> {
    let h = Header::decode(bytes[..HEADER_LEN].try_into().expect("header")).expect("header");
    (0..usize::from(h.section_count))
        .map(|i| {
            let at = HEADER_LEN + i * SECTION_ENTRY_LEN;
            let e = SectionEntry::decode(bytes[at..at + SECTION_ENTRY_LEN].try_into().expect("e"));
            (at, e)
        })
        .collect()
}

fn section(bytes: &[u8], kind: SectionKind) -> SectionEntry {
    table(bytes)
        .into_iter()
        .map(|(_, e)| e)
        .find(|e| e.kind == kind)
        .expect("section")
}

/// Recomputes every section's CRC, the table's and the header's: what a forger does so that
/// only a signature can tell.
fn reseal_crcs(bytes: &mut [u8]) {
    let entries = table(bytes);
    for (at, e) in &entries {
        let crc = crc32(&bytes[e.offset as usize..(e.offset + e.len) as usize]);
        bytes[at + 12..at + 16].copy_from_slice(&crc.to_le_bytes());
    }
    let end = HEADER_LEN + entries.len() * SECTION_ENTRY_LEN;
    let mut h = Header::decode(bytes[..HEADER_LEN].try_into().expect("h")).expect("h");
    h.table_crc = crc32(&bytes[HEADER_LEN..end]);
    bytes[..HEADER_LEN].copy_from_slice(&h.encode());
}

fn chunk_record(bytes: &[u8], i: usize) -> (usize, ChunkRecord) {
    let at = section(bytes, SectionKind::Chunks).offset as usize + i * CHUNK_RECORD_LEN;
    let rec = ChunkRecord::decode(bytes[at..at + CHUNK_RECORD_LEN].try_into().expect("c"))
        .expect("chunk record");
    (at, rec)
}

fn article_record(bytes: &[u8], i: usize) -> (usize, ArticleRecord) {
    let at = section(bytes, SectionKind::Articles).offset as usize + i * ARTICLE_RECORD_LEN;
    let rec = ArticleRecord::decode(bytes[at..at + ARTICLE_RECORD_LEN].try_into().expect("a"))
        .expect("article record");
    (at, rec)
}

#[test]
fn metadata_past_512_bytes_is_shortened_at_build_and_the_bundle_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let md = dir.path().join("long.md");
    let title: String = "人权".repeat(55);
    let author: String = "作者".repeat(20);
    let source: String = "来源".repeat(15);
    std::fs::write(
        &md,
        format!("---\ntitle: {title}\nauthor: {author}\nsource: {source}\n---\n\n正文。\n"),
    )
    .expect("w");
    let fpk = dir.path().join("long.fpk");
    let o = ok(&["build", "-o", s(&fpk), s(&md)]);
    assert!(text(&o.stderr).contains("shortened to fit the format's 512-byte metadata limit"));
    ok(&["verify", s(&fpk)]);
    ok(&["inspect", s(&fpk)]);
    ok(&["extract", s(&fpk), "-o", s(&dir.path().join("x"))]);
    ok(&[
        "sim",
        s(&fpk),
        "--device",
        "128x64",
        "--keys",
        "select",
        "--output",
        s(&dir.path().join("f")),
    ]);
}

#[test]
fn html_nested_sixty_thousand_deep_builds() {
    // In a folder, as users pack pages: each file is read on a worker thread, whose smaller
    // stack a recursive walk overflowed (the whole build aborted), and parsing took 19 s.
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("in");
    std::fs::create_dir(&input).expect("mkdir");
    std::fs::write(input.join("other.txt"), "Another article.\n").expect("w");
    let depth = 60_000;
    let mut page = String::from("<html><body><h1>Deep</h1>");
    page.push_str(&"<div>".repeat(depth));
    page.push_str("The text at the bottom.");
    page.push_str(&"</div>".repeat(depth));
    page.push_str("<p>After.</p></body></html>");
    std::fs::write(input.join("deep.html"), page).expect("w");
    let fpk = dir.path().join("deep.fpk");
    let o = run_within(
        &["build", "-q", "-o", s(&fpk), s(&input)],
        Duration::from_secs(120),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let out = dir.path().join("x");
    ok(&["extract", s(&fpk), "-o", s(&out)]);
    let got = std::fs::read_to_string(out.join("1-Deep.md")).expect("extracted");
    assert!(
        got.ends_with("\nThe text at the bottom.\n\nAfter.\n"),
        "{got}"
    );
}

/// A bundle whose article has several chunks, for the bomb tests.
fn many_chunks(dir: &Path) -> Vec<u8> {
    let src = dir.join("a.txt");
    let para = "Water points in the east of the district work again after the repairs. ";
    std::fs::write(&src, para.repeat(40)).expect("w");
    let fpk = dir.join("a.fpk");
    ok(&["build", "-q", "-o", s(&fpk), s(&src), "--chunk-size", "256"]);
    std::fs::read(&fpk).expect("read")
}

#[test]
fn chunk_records_sharing_one_stream_are_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = many_chunks(dir.path());
    let (_, art) = article_record(&bytes, 0);
    assert!(art.chunk_count > 3, "{art:?}");
    // Every record points at the first chunk's stream: the classic decompression bomb.
    let (_, first) = chunk_record(&bytes, 0);
    for i in 1..art.chunk_count as usize {
        let (at, _) = chunk_record(&bytes, i);
        bytes[at..at + CHUNK_RECORD_LEN].copy_from_slice(&first.encode());
    }
    reseal_crcs(&mut bytes);
    let bomb = dir.path().join("bomb.fpk");
    std::fs::write(&bomb, &bytes).expect("w");
    let o = run_within(&["verify", s(&bomb)], Duration::from_secs(30));
    fails(&o, &["chunk index section", "article 0"]);
    let o = run_within(
        &["extract", s(&bomb), "-o", s(&dir.path().join("x"))],
        Duration::from_secs(30),
    );
    fails(&o, &["damaged, not extracted", "extracted 0 of 1"]);
}

#[test]
fn an_untrusted_raw_length_reserves_nothing_and_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut bytes = many_chunks(dir.path());
    let (at, mut art) = article_record(&bytes, 0);
    art.raw_len = u32::MAX;
    bytes[at..at + ARTICLE_RECORD_LEN].copy_from_slice(&art.encode());
    reseal_crcs(&mut bytes);
    let f = dir.path().join("huge.fpk");
    std::fs::write(&f, &bytes).expect("w");
    let o = run_within(&["verify", s(&f)], Duration::from_secs(30));
    fails(&o, &["article index section", "article 0"]);
}

#[test]
fn text_that_would_expand_past_the_bound_is_stored_and_reads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("dots.txt");
    std::fs::write(&src, format!("Dots: {}\n", ".".repeat(30_000))).expect("w");
    let fpk = dir.path().join("dots.fpk");
    ok(&[
        "build",
        "-q",
        "-o",
        s(&fpk),
        s(&src),
        "--device",
        "320x240",
        "--chunk-size",
        "32768",
        "--dictionary-size",
        "0",
    ]);
    let bytes = std::fs::read(&fpk).expect("read");
    let (_, c) = chunk_record(&bytes, 0);
    // 30 KB of one character deflates to about 40 bytes, 750 times smaller: over the bound.
    assert!(
        u64::from(c.raw_len) <= u64::from(c.stored_len) * 64,
        "{c:?} expands more than the reader accepts"
    );
    ok(&["verify", s(&fpk)]);
}

#[test]
fn links_pipes_devices_and_huge_files_are_not_read() {
    let dir = tempfile::tempdir().expect("tempdir");
    let inside = dir.path().join("in");
    std::fs::create_dir(&inside).expect("mkdir");
    std::fs::write(inside.join("story.txt"), "A story from the field.\n").expect("w");
    let secret = dir.path().join("private-notes.txt");
    std::fs::write(&secret, "Names of witnesses: nobody must read this.\n").expect("w");
    std::os::unix::fs::symlink(&secret, inside.join("link.txt")).expect("link");
    std::os::unix::fs::symlink("/etc", inside.join("etc")).expect("link");
    let fifo = inside.join("pipe.txt");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo")
        .success());
    let fpk = dir.path().join("o.fpk");
    let o = run_within(
        &["build", "-o", s(&fpk), s(&inside), "--keep-paths"],
        Duration::from_secs(60),
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(err.contains("link.txt: skipped: symbolic link"), "{err}");
    assert!(err.contains("etc: skipped: symbolic link to /etc"), "{err}");
    assert!(
        err.contains("pipe.txt: skipped: not a regular file"),
        "{err}"
    );
    let bytes = std::fs::read(&fpk).expect("read");
    let v = ok(&["inspect", "--json", s(&fpk)]);
    let j: serde_json::Value = serde_json::from_slice(&v.stdout).expect("json");
    assert_eq!(j["articles"].as_array().map(Vec::len), Some(1));
    assert!(!text(&bytes).contains("witnesses"));

    // Named directly: refused with a clear word, never a hang or the whole of /dev/zero.
    let o = run_within(&["build", "-o", s(&fpk), s(&fifo)], Duration::from_secs(30));
    fails(&o, &["pipe.txt", "named pipe"]);
    let zero_txt = dir.path().join("zero.txt");
    std::os::unix::fs::symlink("/dev/zero", &zero_txt).expect("link");
    let o = run_within(
        &["build", "-o", s(&fpk), s(&zero_txt)],
        Duration::from_secs(30),
    );
    fails(&o, &["zero.txt", "a device"]);
    let huge = dir.path().join("huge.txt");
    let f = std::fs::File::create(&huge).expect("create");
    f.set_len(65 << 20).expect("sparse file");
    let o = run_within(&["build", "-o", s(&fpk), s(&huge)], Duration::from_secs(30));
    fails(&o, &["huge.txt", "over the limit"]);
    for cmd in ["inspect", "verify"] {
        let o = run_within(&[cmd, s(&fifo)], Duration::from_secs(30));
        fails(&o, &["pipe.txt", "named pipe"]);
        let o = run_within(&[cmd, "/dev/zero"], Duration::from_secs(30));
        fails(&o, &["/dev/zero", "a device"]);
    }
}

#[test]
fn an_output_that_is_an_input_is_refused_and_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let a = dir.path().join("a.txt");
    std::fs::write(&a, "Precious notes.\n").expect("w");
    let o = run(&["build", "-o", s(&a), s(&a)]);
    fails(&o, &["is also an input"]);
    assert_eq!(std::fs::read_to_string(&a).expect("r"), "Precious notes.\n");
}

#[test]
fn a_link_at_the_output_is_replaced_not_written_through() {
    let dir = tempfile::tempdir().expect("tempdir");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "keep me").expect("w");
    let src = dir.path().join("a.txt");
    std::fs::write(&src, "Some article.\n").expect("w");
    let out = dir.path().join("out.fpk");
    std::os::unix::fs::symlink(&victim, &out).expect("link");
    ok(&["build", "-q", "-o", s(&out), s(&src)]);
    assert_eq!(std::fs::read_to_string(&victim).expect("r"), "keep me");
    assert!(!std::fs::symlink_metadata(&out)
        .expect("m")
        .file_type()
        .is_symlink());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("ls")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A bundle whose recorded paths are hostile: NUL, over-long, case twins, a file/folder clash.
fn hostile_names(dir: &Path) -> PathBuf {
    let src = dir.join("src");
    std::fs::create_dir(&src).expect("mkdir");
    let long = "n".repeat(300);
    let origins = [
        "a\\u0000b.txt".to_string(),
        format!("{long}.txt"),
        "Report.txt".into(),
        "report.txt".into(),
        "x.txt".into(),
        "x.txt/y.txt".into(),
        "../../escape.txt".into(),
        "sub/inner.txt".into(),
        "CON.txt".into(),
    ];
    for (i, origin) in origins.iter().enumerate() {
        std::fs::write(
            src.join(format!("{i}.md")),
            format!("---\ntitle: \"Article {i}\"\norigin: \"{origin}\"\n---\n\nText number {i}.\n"),
        )
        .expect("w");
    }
    let fpk = dir.join("names.fpk");
    ok(&["build", "-q", "--keep-paths", "-o", s(&fpk), s(&src)]);
    fpk
}

#[test]
fn extract_writes_every_article_inside_its_folder_under_safe_unique_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = hostile_names(dir.path());
    let out = dir.path().join("out");
    let o = ok(&["extract", s(&fpk), "-o", s(&out)]);
    assert!(
        text(&o.stderr).contains("extracted 9 of 9"),
        "{}",
        text(&o.stderr)
    );
    let mut names = Vec::new();
    for e in walk(&out) {
        let rel = e
            .strip_prefix(&out)
            .expect("inside")
            .to_string_lossy()
            .into_owned();
        assert!(!rel.contains('\0') && !rel.contains(".."), "{rel}");
        for part in rel.split('/') {
            assert!(part.len() <= 104, "{part}");
        }
        names.push(rel.to_lowercase());
    }
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(
        before,
        names.len(),
        "names that differ only in case: {names:?}"
    );
    assert_eq!(before, 9, "{names:?}");
    assert!(!dir.path().join("escape.md").exists());
    assert!(names.contains(&"_con.md".to_string()), "{names:?}");
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).expect("ls").filter_map(Result::ok) {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

#[test]
fn extract_never_writes_through_links_or_over_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = hostile_names(dir.path());
    let out = dir.path().join("out");
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir_all(&out).expect("mkdir");
    std::fs::create_dir_all(&elsewhere).expect("mkdir");
    std::os::unix::fs::symlink(&elsewhere, out.join("sub")).expect("link");
    let o = run(&["extract", s(&fpk), "-o", s(&out)]);
    fails(&o, &["symbolic link"]);
    assert_eq!(std::fs::read_dir(&elsewhere).expect("ls").count(), 0);
    std::fs::remove_file(out.join("sub")).expect("rm");

    // An existing file is not replaced, and then nothing at all is written.
    std::fs::write(out.join("x.md"), "mine").expect("w");
    let o = run(&["extract", s(&fpk), "-o", s(&out)]);
    fails(&o, &["already exists", "--overwrite"]);
    assert_eq!(
        std::fs::read_to_string(out.join("x.md")).expect("r"),
        "mine"
    );
    assert_eq!(walk(&out).len(), 1);
    ok(&["extract", s(&fpk), "-o", s(&out), "--overwrite"]);
    assert_ne!(
        std::fs::read_to_string(out.join("x.md")).expect("r"),
        "mine"
    );
}

/// The corpus bundle with two articles' text damaged (a byte flipped in each).
fn damaged_corpus(dir: &Path) -> (PathBuf, usize) {
    let fpk = dir.join("corpus.fpk");
    let c = corpus();
    ok(&[
        "build",
        "-q",
        "-o",
        s(&fpk),
        s(&c.join("news")),
        s(&c.join("brown")),
        s(&c.join("udhr")),
    ]);
    let mut bytes = std::fs::read(&fpk).expect("read");
    let bodies = section(&bytes, SectionKind::Bodies).offset as usize;
    for article in [3usize, 100] {
        let (_, a) = article_record(&bytes, article);
        let (_, c) = chunk_record(&bytes, a.first_chunk as usize);
        bytes[bodies + c.offset as usize + 5] ^= 0x20;
    }
    let bad = dir.join("damaged.fpk");
    std::fs::write(&bad, &bytes).expect("w");
    (bad, 158)
}

#[test]
fn damage_is_reported_in_full_and_the_healthy_articles_are_salvaged() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (bad, count) = damaged_corpus(dir.path());
    let o = run(&["verify", s(&bad)]);
    let err = fails(
        &o,
        &["article 3", "article 100", "156 of 158 articles readable"],
    );
    assert!(err.contains("article text section"), "{err}");
    let o = run(&["verify", "--json", s(&bad)]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["schema_version"], 2);
    assert_eq!(v["ok"], false);
    let articles: Vec<u64> = v["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(|p| p["article"].as_u64())
        .collect();
    assert_eq!(articles, [3, 100]);

    let o = run(&["inspect", s(&bad)]);
    assert_eq!(o.status.code(), Some(1));
    let table = text(&o.stdout);
    assert_eq!(table.matches("DAMAGED").count(), 2, "{table}");
    assert!(table.contains("Human rights activists"), "{table}");

    let out = dir.path().join("x");
    let o = run(&["extract", s(&bad), "-o", s(&out)]);
    fails(
        &o,
        &[
            "damaged, not extracted",
            "article 3",
            "article 100",
            "extracted 156 of 158",
        ],
    );
    assert_eq!(walk(&out).len(), count - 2);
}

/// A bundle of one short line of text, built by the tool in `dir`: its path and its bytes.
fn short_bundle(dir: &Path) -> (PathBuf, Vec<u8>) {
    let src = dir.join("a.txt");
    std::fs::write(&src, "Short text.\n").expect("w");
    let fpk = dir.join("a.fpk");
    ok(&["build", "-q", "-o", s(&fpk), s(&src)]);
    let bytes = std::fs::read(&fpk).expect("read");
    (fpk, bytes)
}

#[test]
fn verify_checks_every_glyph_record() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, mut bytes) = short_bundle(dir.path());
    let g = section(&bytes, SectionKind::Glyphs);
    let metrics = u16::from_le_bytes([bytes[g.offset as usize + 8], bytes[g.offset as usize + 9]]);
    // The first glyph record's metrics index, past the table.
    let rec = g.offset as usize + 16 + GLYPH_METRICS_LEN * usize::from(metrics);
    bytes[rec + 3..rec + 5].copy_from_slice(&(metrics + 7).to_le_bytes());
    reseal_crcs(&mut bytes);
    let bad = dir.path().join("glyph.fpk");
    std::fs::write(&bad, &bytes).expect("w");
    fails(
        &run(&["verify", s(&bad)]),
        &["Glyphs section", "metrics index"],
    );
}

/// Glyphs a reader cannot draw (a depth of 0 or 3, a smooth glyph in a strike that says it has
/// none, a bitmap past 128 bytes): `verify` names the glyph, and a device shows its error screen
/// rather than drawing them wrongly or panicking.
#[test]
fn glyph_depths_and_sizes_past_the_limits_are_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, good) = short_bundle(dir.path());
    // The smooth strike (size class 2): its header and its metrics table.
    let smooth = table(&good)
        .into_iter()
        .map(|(_, e)| e)
        .filter(|e| e.kind == SectionKind::Glyphs)
        .find(|e| good[e.offset as usize] == 2)
        .expect("a smooth strike");
    let at = smooth.offset as usize;
    assert_eq!(good[at + 11], 2, "the smooth strike holds two-bit glyphs");
    let metrics = usize::from(u16::from_le_bytes([good[at + 8], good[at + 9]]));
    let entries = (0..metrics).map(|i| at + 16 + GLYPH_METRICS_LEN * i);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "depth-3",
            {
                let mut b = good.clone();
                for e in entries.clone() {
                    b[e + 5] = 3;
                }
                b
            },
            "is 3 bits a pixel",
        ),
        (
            "strike-says-one-bit",
            {
                let mut b = good.clone();
                b[at + 11] = 1;
                b
            },
            "its strike at most 1",
        ),
        (
            "too-big",
            {
                let mut b = good.clone();
                for e in entries.clone() {
                    // 40 x 40 pixels of 2 bits: 400 bytes.
                    b[e + 1] = 40;
                    b[e + 2] = 40;
                }
                b
            },
            "larger than the 128 bytes a reader draws",
        ),
    ];
    for (name, mut bytes, message) in cases {
        reseal_crcs(&mut bytes);
        let path = dir.path().join(format!("{name}.fpk"));
        std::fs::write(&path, &bytes).expect("w");
        fails(&run(&["verify", s(&path)]), &["Glyphs section", message]);
        let profile = fieldpack_reader::profile_by_name("320x240").expect("profile");
        let mut inflater = Box::new(fieldpack_format::Inflater::new());
        let mut window = vec![0u8; profile.window_bytes];
        let mut app = fieldpack_reader::App::new(&bytes[..], profile, &mut inflater, &mut window);
        app.handle(fieldpack_reader::Input::Select);
        let mut display = fieldpack_reader::NullDisplay::new(profile.width, profile.height);
        let _ = app.draw(&mut display, &fieldpack_reader::MONO);
        assert!(
            matches!(app.screen(), fieldpack_reader::Screen::Error { .. }),
            "{name}: {:?}",
            app.screen()
        );
    }
}

#[test]
fn titles_and_names_are_printed_without_their_escape_codes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let md = dir.path().join("evil.md");
    std::fs::write(
        &md,
        "---\ntitle: \"Red \\u001b[31malert\\u001b]0;owned\\u0007\"\n---\n\nBody.\n",
    )
    .expect("w");
    let fpk = dir.path().join("e.fpk");
    ok(&["build", "-q", "-o", s(&fpk), s(&md)]);
    let o = ok(&["inspect", s(&fpk)]);
    assert!(!o.stdout.contains(&0x1b), "raw ESC printed");
    // File names with invalid UTF-8 stay apart.
    use std::os::unix::ffi::OsStrExt;
    let d = dir.path().join("names");
    std::fs::create_dir(&d).expect("mkdir");
    for (b, body) in [(0xFFu8, "One."), (0xFE, "Two.")] {
        let bytes = [b'x', b, b'.', b't', b'x', b't'];
        let name = std::ffi::OsStr::from_bytes(&bytes);
        std::fs::write(d.join(name), format!("{body}\n")).expect("w");
    }
    let o = ok(&["build", "-o", s(&fpk), s(&d), "--keep-paths"]);
    let v = ok(&["inspect", "--json", s(&fpk)]);
    let j: serde_json::Value = serde_json::from_slice(&v.stdout).expect("json");
    assert_eq!(
        j["articles"].as_array().map(Vec::len),
        Some(2),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn an_interrupted_build_leaves_no_temporary_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let c = corpus();
    let out = dir.path().join("o.fpk");
    // Interrupted at several moments; whatever phase each hit, nothing is left behind.
    for delay_ms in [50u64, 300, 800, 1500] {
        let mut child = bin()
            .args(["build", "-q", "--effort", "best", "-o", s(&out)])
            .arg(c.join("brown"))
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        std::thread::sleep(Duration::from_millis(delay_ms));
        // SIGINT, as Ctrl-C sends.
        let _ = Command::new("kill")
            .args(["-INT", &child.id().to_string()])
            .status();
        let _ = child.wait();
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tmp"))
            .collect();
        assert!(leftovers.is_empty(), "after {delay_ms} ms: {leftovers:?}");
    }
}

#[test]
fn bundles_record_no_paths_unless_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("witness-interviews");
    std::fs::create_dir(&d).expect("mkdir");
    std::fs::write(d.join("Amina Haddad.txt"), "What I saw that day.\n").expect("w");
    let fpk = dir.path().join("p.fpk");
    ok(&["build", "-q", "-o", s(&fpk), s(&d)]);
    let bytes = std::fs::read(&fpk).expect("r");
    assert!(
        !text(&bytes).contains("Amina"),
        "a name from the path is in the bundle"
    );
    assert!(!text(&bytes).contains("witness"));
    let o = ok(&["inspect", "--json", s(&fpk)]);
    assert!(!text(&o.stdout).contains("Amina"));
    ok(&["build", "-q", "--keep-paths", "-o", s(&fpk), s(&d)]);
    assert!(text(&std::fs::read(&fpk).expect("r")).contains("Amina Haddad.txt"));
}

/// A signed bundle of one short, stored article, its key pair and another key.
fn signed(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let key = dir.join("publisher");
    ok(&["keygen", "--name", "Relief Org", "-o", s(&key)]);
    let other = dir.join("other");
    ok(&["keygen", "--name", "Someone else", "-o", s(&other)]);
    let src = dir.join("a.txt");
    std::fs::write(&src, "Boil water.\n").expect("w");
    let fpk = dir.join("signed.fpk");
    ok(&["build", "-q", "-o", s(&fpk), s(&src), "--sign", s(&key)]);
    (fpk, key.with_extension("pub"), other.with_extension("pub"))
}

#[test]
fn a_signed_bundle_verifies_and_an_altered_one_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (fpk, public, other) = signed(dir.path());
    let o = ok(&["verify", s(&fpk), "--key", s(&public)]);
    assert!(
        text(&o.stdout).contains("signed by \"Relief Org\""),
        "{}",
        text(&o.stdout)
    );
    fails(
        &run(&["verify", s(&fpk), "--key", s(&other)]),
        &["signed by another key"],
    );

    // One byte of the text changed, and every checksum made to match again.
    let mut bytes = std::fs::read(&fpk).expect("r");
    let (cat, mut c) = chunk_record(&bytes, 0);
    assert_eq!(c.codec, fieldpack_format::Codec::Stored);
    let bodies = section(&bytes, SectionKind::Bodies).offset as usize;
    let at = bodies + c.offset as usize;
    bytes[at] = b'C'; // "Boil water." -> "Coil water."
    let body = bytes[at..at + usize::from(c.raw_len)].to_vec();
    c.crc = crc32(&body);
    bytes[cat..cat + CHUNK_RECORD_LEN].copy_from_slice(&c.encode());
    let (aat, mut a) = article_record(&bytes, 0);
    a.body_crc = crc32(&body);
    bytes[aat..aat + ARTICLE_RECORD_LEN].copy_from_slice(&a.encode());
    reseal_crcs(&mut bytes);
    let forged = dir.path().join("forged.fpk");
    std::fs::write(&forged, &bytes).expect("w");
    fails(
        &run(&["verify", s(&forged), "--key", s(&public)]),
        &["altered after it was signed"],
    );
    fails(
        &run(&["verify", s(&forged)]),
        &["altered after it was signed"],
    );

    // The simulated device shows an error screen, never the altered text.
    let frames = dir.path().join("frames");
    ok(&[
        "sim",
        s(&forged),
        "--device",
        "320x240",
        "--keys",
        "select",
        "--output",
        s(&frames),
        "--raw",
        "--trust",
        s(&public),
    ]);
    let good_frames = dir.path().join("good");
    ok(&[
        "sim",
        s(&fpk),
        "--device",
        "320x240",
        "--keys",
        "select",
        "--output",
        s(&good_frames),
        "--raw",
        "--trust",
        s(&public),
    ]);
    let forged_page = std::fs::read(frames.join("001.png")).expect("frame");
    let good_page = std::fs::read(good_frames.join("001.png")).expect("frame");
    assert_ne!(forged_page, good_page);
    // What the device's reader does with it: the error screen, naming the altered block.
    let key = fieldpack::sign::read_public(&public).expect("key");
    let trusted = [fieldpack_reader::TrustedKey {
        name: "Relief Org",
        public_key: key.key,
    }];
    let profile = fieldpack_reader::profile_by_name("320x240").expect("profile");
    let mut inflater = Box::new(fieldpack_format::Inflater::new());
    let mut window = vec![0u8; profile.window_bytes];
    let trust = fieldpack_reader::Trust {
        keys: &trusted,
        require_signed: true,
    };
    let mut app =
        fieldpack_reader::App::with_trust(&bytes[..], profile, &mut inflater, &mut window, trust);
    // A bundle this small is one or two 4 KiB blocks: the change may already be found when
    // it opens; either way the reader shows the error screen.
    app.handle(fieldpack_reader::Input::Select);
    let mut display = fieldpack_reader::NullDisplay::new(profile.width, profile.height);
    let _ = app.draw(&mut display, &fieldpack_reader::MONO);
    assert!(
        matches!(
            app.screen(),
            fieldpack_reader::Screen::Error {
                error: fieldpack_format::Error::Tampered { .. },
                ..
            }
        ),
        "{:?}",
        app.screen()
    );

    let good = std::fs::read(&fpk).expect("r");
    let mut window = vec![0u8; profile.window_bytes];
    let app =
        fieldpack_reader::App::with_trust(&good[..], profile, &mut inflater, &mut window, trust);
    assert_eq!(
        app.signed(),
        fieldpack_reader::Signed::Trusted("Relief Org")
    );
    assert_eq!(app.screen(), fieldpack_reader::Screen::Library);

    // A device that requires a trusted signature refuses a bundle signed by another key.
    ok(&[
        "sim",
        s(&fpk),
        "--device",
        "320x240",
        "--output",
        s(&dir.path().join("u")),
        "--raw",
        "--trust",
        s(&other),
        "--require-signed",
    ]);
    let refused = std::fs::read(dir.path().join("u/000.png")).expect("frame");
    let library = std::fs::read(good_frames.join("000.png")).expect("frame");
    assert_ne!(refused, library);
}

/// Rewrites article 0's line box for size class `class` (the last 4 bytes of its metadata
/// record) and every checksum over it.
fn forge_line_box(bytes: &mut [u8], class: usize, top: u8, height: u8) {
    let (rec_at, mut rec) = article_record(bytes, 0);
    let meta = section(bytes, SectionKind::Meta).offset as usize + rec.meta_offset as usize;
    let end = meta + usize::from(rec.meta_len);
    // The line boxes come before the level span, three zero varints for text without runs.
    assert_eq!(
        &bytes[end - 3..end],
        &[0, 0, 0],
        "an article without level runs"
    );
    let at = end - 3 - 2 * SIZE_CLASS_COUNT + 2 * class;
    bytes[at] = top;
    bytes[at + 1] = height;
    rec.meta_crc = crc32(&bytes[meta..end]);
    bytes[rec_at..rec_at + ARTICLE_RECORD_LEN].copy_from_slice(&rec.encode());
    reseal_crcs(bytes);
}

#[test]
fn line_boxes_are_checked_by_verify_and_the_reader() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, good) = short_bundle(dir.path());
    // A box that fits the strike but is not the one the text's glyphs need: verify says so.
    let mut wrong = good.clone();
    forge_line_box(&mut wrong, 1, 0, 3);
    let path = dir.path().join("wrong.fpk");
    std::fs::write(&path, &wrong).expect("w");
    fails(
        &run(&["verify", s(&path)]),
        &["Meta section", "line box 0+3 in the size-1 strike"],
    );
    // One past the strike's line: the reader refuses the article as damaged, on every
    // profile, with the error screen (never a panic, never a line drawn over another).
    let mut tall = good.clone();
    for class in 0..SIZE_CLASS_COUNT {
        forge_line_box(&mut tall, class, 200, 200);
    }
    let path = dir.path().join("tall.fpk");
    std::fs::write(&path, &tall).expect("w");
    for device in ["128x64", "320x240"] {
        let shots = dir.path().join(format!("shots-{device}"));
        let o = run(&[
            "sim",
            s(&path),
            "--device",
            device,
            "--keys",
            "select",
            "-o",
            s(&shots),
        ]);
        assert!(o.status.success(), "{device}: {}", text(&o.stderr));
        let profile = fieldpack_reader::profile_by_name(device).expect("profile");
        let mut inflater = Box::new(fieldpack_format::Inflater::new());
        let mut window = vec![0u8; profile.window_bytes];
        let mut app = fieldpack_reader::App::new(&tall[..], profile, &mut inflater, &mut window);
        app.handle(fieldpack_reader::Input::Select);
        assert!(
            matches!(app.screen(), fieldpack_reader::Screen::Error { .. }),
            "{device}: {:?}",
            app.screen()
        );
    }
    let o = run(&["show", s(&path), "0", "--text"]);
    assert!(
        o.status.success(),
        "the host still reads the text: {}",
        text(&o.stderr)
    );
}

/// Damage in the level runs or the shaped words (each byte of a mixed Arabic and English page's
/// Levels section, and bytes all through its Shapes section, flipped with the section checksums
/// made to match): the reader never panics and draws every page or shows its error screen, and
/// `verify` names the damage.
#[test]
fn damaged_level_runs_and_shaped_words_are_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let page = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/pages/mixed-ar-en.html");
    let fpk = dir.path().join("mixed.fpk");
    ok(&["build", "-q", "-o", s(&fpk), s(&page)]);
    let good = std::fs::read(&fpk).expect("read");
    let levels = section(&good, SectionKind::Levels);
    let shapes = section(&good, SectionKind::Shapes);
    assert!(
        levels.len >= 40 && shapes.len > 1000,
        "{levels:?} {shapes:?}"
    );
    let mut places: Vec<usize> = (levels.offset..levels.offset + levels.len)
        .map(|a| a as usize)
        .collect();
    places.extend(
        (shapes.offset..shapes.offset + shapes.len)
            .step_by(13)
            .map(|a| a as usize),
    );
    let profile = fieldpack_reader::profile_by_name("320x240").expect("profile");
    let mut inflater = Box::new(fieldpack_format::Inflater::new());
    let mut window = vec![0u8; profile.window_bytes];
    let (mut errors, mut undetected) = (0, Vec::new());
    for &at in &places {
        let mut bad = good.clone();
        bad[at] ^= 0x24;
        reseal_crcs(&mut bad);
        let mut display = fieldpack_reader::NullDisplay::new(profile.width, profile.height);
        let mut app = fieldpack_reader::App::new(&bad[..], profile, &mut inflater, &mut window);
        app.handle(fieldpack_reader::Input::Select);
        for _ in 0..4 {
            let _ = app.draw(&mut display, &fieldpack_reader::MONO);
            app.handle(fieldpack_reader::Input::Down);
        }
        if matches!(app.screen(), fieldpack_reader::Screen::Error { .. }) {
            errors += 1;
        }
        let path = dir.path().join("bad.fpk");
        std::fs::write(&path, &bad).expect("w");
        let o = run(&["verify", s(&path)]);
        if o.status.success() {
            undetected.push(at);
        }
    }
    damage_caught(places.len(), &undetected, errors);
}

#[test]
fn damaged_aliases_and_title_records_are_caught() {
    let dir = tempfile::tempdir().expect("tempdir");
    let src = dir.path().join("articles");
    std::fs::create_dir_all(&src).expect("dir");
    // Articles with other names, as an archive's redirects give them.
    let names: [(&str, &[&str]); 4] = [
        ("Cholera", &["Asiatic cholera", "Vibrio cholerae infection"]),
        (
            "Oral rehydration therapy",
            &["ORS", "Oral rehydration salts"],
        ),
        ("Water purification", &[]),
        ("Hà Nội", &["Hanoi", "Thăng Long"]),
    ];
    for (i, (title, aliases)) in names.iter().enumerate() {
        let list = serde_json::to_string(aliases).expect("json");
        std::fs::write(
            src.join(format!("{i}.md")),
            format!("---\ntitle: \"{title}\"\naliases: {list}\n---\n\nAn article about {title}, long enough to be one.\n"),
        )
        .expect("write");
    }
    let fpk = dir.path().join("aliases.fpk");
    ok(&["build", "-q", "-o", s(&fpk), s(&src)]);
    let good = std::fs::read(&fpk).expect("read");
    ok(&["verify", s(&fpk)]);
    let aliases = section(&good, SectionKind::Aliases);
    let titles = section(&good, SectionKind::Titles);
    assert_eq!(titles.len as usize, (4 + 6) * TITLE_RECORD_LEN);
    // Every byte of the aliases, and every title record's number.
    let mut places: Vec<usize> = (aliases.offset..aliases.offset + aliases.len)
        .map(|a| a as usize)
        .collect();
    places.extend(
        (0..10)
            .flat_map(|r| (0..4).map(move |b| titles.offset as usize + r * TITLE_RECORD_LEN + b)),
    );
    let profile = fieldpack_reader::profile_by_name("128x64").expect("profile");
    let mut inflater = Box::new(fieldpack_format::Inflater::new());
    let mut window = vec![0u8; profile.window_bytes];
    let (mut errors, mut undetected) = (0, Vec::new());
    for &at in &places {
        // The low bit: a number off by one, a letter changed.
        let mut bad = good.clone();
        bad[at] ^= 0x01;
        reseal_crcs(&mut bad);
        // The search screen, its list, every title in it: never a panic.
        let mut display = fieldpack_reader::NullDisplay::new(profile.width, profile.height);
        let mut app = fieldpack_reader::App::new(&bad[..], profile, &mut inflater, &mut window);
        for k in [
            fieldpack_reader::Input::Hold,
            fieldpack_reader::Input::PageDown,
        ]
        .into_iter()
        .chain(std::iter::repeat_n(fieldpack_reader::Input::Down, 10))
        .chain([fieldpack_reader::Input::Select])
        {
            let _ = app.draw(&mut display, &fieldpack_reader::MONO);
            app.handle(k);
        }
        let _ = app.draw(&mut display, &fieldpack_reader::MONO);
        if matches!(app.screen(), fieldpack_reader::Screen::Error { .. }) {
            errors += 1;
        }
        let path = dir.path().join("bad.fpk");
        std::fs::write(&path, &bad).expect("w");
        if run(&["verify", s(&path)]).status.success() {
            undetected.push(at);
        }
    }
    damage_caught(places.len(), &undetected, errors);
}

/// Every one of `n` damaged bundles was caught by verify, and some reached the reader's error
/// screen (the rest damaged what the screens drawn did not read).
fn damage_caught<T: std::fmt::Debug>(n: usize, undetected: &[T], errors: usize) {
    assert!(
        undetected.is_empty(),
        "verify passed damage at {undetected:?}"
    );
    assert!(errors > 0, "no damage reached the reader's error screen");
    eprintln!(
        "{n} damaged bundles: verify caught every one, the reader showed its error screen for {errors}"
    );
}

/// A one-article bundle of `paragraphs` as given, packed by the library with no ingest in
/// between: what a hostile writer could make with valid checksums.
fn forged_bundle(paragraphs: &[String]) -> Vec<u8> {
    use fieldpack::compress::{ChunkCompressor, Effort};
    use fieldpack::pack::{assemble, pack_article, PackOptions};
    let a = fieldpack::ingest::Article {
        origin: "forged.md".into(),
        title: "Forged".into(),
        paragraphs: paragraphs.to_vec(),
        lang: Some("en".into()),
        dir: fieldpack_format::Direction::Ltr,
        date: None,
        source: None,
        author: None,
        named_by_text: false,
        aliases: Vec::new(),
    };
    let opts = PackOptions {
        dictionary_size: 0,
        effort: Effort::Fast,
        ..PackOptions::default()
    };
    let compressor = ChunkCompressor::new(Vec::new(), Effort::Fast);
    let packed = pack_article(&a, &compressor, &opts).expect("pack");
    assemble(vec![packed], &Default::default(), Vec::new(), &opts)
        .expect("assemble")
        .to_bytes()
}

#[test]
fn forged_block_marks_never_panic_the_reader_and_verify_names_them() {
    let wide_row = format!(
        "\u{1}r1{}\u{2}{}",
        vec!["255"; 16].join(","),
        vec!["cell"; 16].join("\u{3}")
    );
    // (paragraph, whether a writer could have made it)
    let cases: Vec<(String, bool)> = vec![
        ("\u{1}h9\u{2}A heading too deep".into(), false),
        ("\u{1}z1\u{2}An unknown kind".into(), false),
        (
            "\u{1}o1\u{2}A numbered item without its number".into(),
            false,
        ),
        (
            format!("\u{1}o1{}\u{2}A label too long", "9".repeat(40)),
            false,
        ),
        ("\u{1}h1 never terminated".into(), false),
        ("\u{1}".into(), false),
        ("\u{1}r1999,0\u{2}a\u{3}b".into(), false),
        ("\u{1}r13\u{2}a\u{3}b\u{3}c\u{4}d\u{4}e".into(), false),
        ("\u{1}t11\u{2}".into(), false),
        ("Text with \u{3} and \u{4} in it".into(), false),
        (format!("\u{1}r14\u{2}{}\u{4}y", "x".repeat(3000)), false),
        (wide_row, false),
        (
            format!("\u{1}q8\u{2}{}", "deep quote ".repeat(80).trim_end()),
            true,
        ),
        ("\u{1}u8\u{2}A bullet eight lists deep".into(), true),
        (format!("\u{1}p1\u{2}{}x", " ".repeat(5000)), true),
        (
            format!("\u{1}o1{}\u{2}A label that fills its line", "٣".repeat(8)),
            true,
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut inflater = Box::new(fieldpack_format::Inflater::new());
    for (i, (p, valid)) in cases.iter().enumerate() {
        let paragraphs = vec!["Before.".to_string(), p.clone(), "After.".to_string()];
        let bytes = forged_bundle(&paragraphs);
        for profile in fieldpack_reader::PROFILES {
            let mut window = vec![0u8; profile.window_bytes];
            let mut display = fieldpack_reader::NullDisplay::new(profile.width, profile.height);
            let mut app =
                fieldpack_reader::App::new(&bytes[..], profile, &mut inflater, &mut window);
            // Into the article, through every page and back: never a panic.
            for k in [fieldpack_reader::Input::Select]
                .into_iter()
                .chain(std::iter::repeat_n(fieldpack_reader::Input::Down, 40))
                .chain(std::iter::repeat_n(fieldpack_reader::Input::Up, 8))
            {
                let _ = app.draw(&mut display, &fieldpack_reader::MONO);
                app.handle(k);
            }
            let _ = app.draw(&mut display, &fieldpack_reader::MONO);
        }
        let path = dir.path().join(format!("forged-{i}.fpk"));
        std::fs::write(&path, &bytes).expect("w");
        let o = run(&["verify", s(&path)]);
        if *valid {
            assert!(o.status.success(), "case {i}: {}", text(&o.stderr));
        } else {
            assert!(!o.status.success(), "case {i}: verify passed {p:?}");
            let err = text(&o.stderr) + &text(&o.stdout);
            assert!(err.contains("paragraph 2"), "case {i}: {err}");
        }
    }
}
