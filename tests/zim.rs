//! Kiwix ZIM archives in: archives written by the real `zimwriterfs` (Debian's zim-tools,
//! installed by scripts/setup) from the corpus's HTML pack to the same texts as the HTML
//! packed directly, titled by the archive; a redirect becomes another name of its article, not
//! a second article; a damaged cluster is named and the rest of the archive packed; --select,
//! --limit and --max-size choose what goes in.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{root, run, s, stderr};
use fieldpack_format::Bundle;

/// A 48x48 PNG, which zimwriterfs requires as the archive's illustration.
fn icon() -> Vec<u8> {
    use std::io::Write;
    let chunk = |out: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        out.extend_from_slice(&(data.len() as u32).to_be_bytes());
        let mut c = kind.to_vec();
        c.extend_from_slice(data);
        out.extend_from_slice(&c);
        out.extend_from_slice(&fieldpack_format::crc32(&c).to_be_bytes());
    };
    let mut raw = Vec::new();
    for _ in 0..48 {
        raw.push(0u8);
        raw.extend(std::iter::repeat_n([0xC0u8, 0x40, 0x20], 48).flatten());
    }
    let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    z.write_all(&raw).expect("zlib");
    let idat = z.finish().expect("zlib");
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&48u32.to_be_bytes());
    ihdr.extend_from_slice(&48u32.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &ihdr);
    chunk(&mut png, b"IDAT", &idat);
    chunk(&mut png, b"IEND", &[]);
    png
}

/// Runs zimwriterfs on `html` (which gets the icon) into `zim`, with `extra` arguments.
fn zimwriterfs(html: &Path, zim: &Path, welcome: &str, extra: &[&str]) {
    std::fs::write(html.join("icon.png"), icon()).expect("icon");
    let o = Command::new("zimwriterfs")
        .args([
            "-w",
            welcome,
            "-I",
            "icon.png",
            "-l",
            "eng",
            "-t",
            "Test archive",
        ])
        .args([
            "-d",
            "Pages for Fieldpack's tests",
            "-c",
            "Fieldpack",
            "-p",
            "Fieldpack",
        ])
        .args(["-j"])
        .args(extra)
        .arg(html)
        .arg(zim)
        .output()
        .expect("zimwriterfs (Debian's zim-tools; scripts/setup installs it)");
    assert!(
        o.status.success(),
        "zimwriterfs: {}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
}

/// The corpus's UDHR pages copied into `dir`, with a page that redirects (as a saved site's
/// redirect page does, which zimwriterfs turns into a ZIM redirect) to the English one.
fn udhr_pages(dir: &Path) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).expect("dir");
    let mut pages = Vec::new();
    for e in std::fs::read_dir(root().join("../shared/corpus/udhr")).expect("corpus") {
        let p = e.expect("entry").path();
        if p.extension().is_some_and(|x| x == "html") {
            let to = dir.join(p.file_name().expect("name"));
            std::fs::copy(&p, &to).expect("copy");
            pages.push(to);
        }
    }
    pages.sort();
    pages
}

const REDIRECT: &str = r#"<html><head><meta http-equiv="refresh" content="0;URL=eng.html">
<title>Universal Declaration of Human Rights</title></head><body></body></html>"#;

struct Read {
    titles: Vec<String>,
    bodies: Vec<String>,
    bundle: Vec<u8>,
}

fn read(fpk: &Path) -> Read {
    let bytes = std::fs::read(fpk).expect("bundle");
    let mut b = Bundle::open(&bytes[..]).expect("open");
    let mut titles = Vec::new();
    let mut bodies = Vec::new();
    for i in 0..b.article_count() {
        let a = fieldpack::report::read_article(&mut b, i).expect("article");
        titles.push(a.title);
        bodies.push(a.body);
    }
    Read {
        titles,
        bodies,
        bundle: bytes,
    }
}

fn build(args: &[&str]) -> std::process::Output {
    let mut all = vec!["build", "-q"];
    all.extend_from_slice(args);
    run(&all)
}

#[test]
fn an_archive_packs_to_the_texts_of_its_pages_titled_by_the_archive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("html");
    let pages = udhr_pages(&html);
    // Straight from the HTML, before the archive's extra files are added.
    let direct = dir.path().join("direct.fpk");
    let o = build(&["-o", s(&direct), s(&html)]);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(html.join("UDHR.html"), REDIRECT).expect("redirect page");
    let zim = dir.path().join("udhr.zim");
    zimwriterfs(&html, &zim, "eng.html", &[]);
    let packed = dir.path().join("zim.fpk");
    let o = build(&["-o", s(&packed), s(&zim)]);
    assert!(o.status.success(), "{}", stderr(&o));

    let (d, z) = (read(&direct), read(&packed));
    // One article a page: the redirect is not a second English article.
    assert_eq!(z.bodies.len(), pages.len());
    assert_eq!(d.bodies.len(), pages.len());
    // Both in their pages' path order: the same texts, article for article.
    for (i, (a, b)) in d.bodies.iter().zip(&z.bodies).enumerate() {
        assert_eq!(a, b, "article {i} ({}): texts differ", z.titles[i]);
    }
    // Titled by the archive (a page's <title>), not by the page's heading.
    for (i, page) in pages.iter().enumerate() {
        let text = std::fs::read_to_string(page).expect("page");
        let title = text
            .split("<title>")
            .nth(1)
            .and_then(|t| t.split("</title>").next())
            .expect("<title>")
            .trim();
        assert_eq!(z.titles[i], title, "{}", page.display());
    }

    // The redirect's title finds the English article, as a title of its own.
    let mut b = Bundle::open(&z.bundle[..]).expect("open");
    assert_eq!(b.alias_count(), 1);
    assert_eq!(b.title_count(), b.article_count() + 1);
    let mut buf = [0u8; fieldpack_format::layout::MAX_META_LEN];
    let pos = b.find_title("universal decl", &mut buf).expect("find");
    let entry = b.title_entry(pos).expect("entry");
    assert_eq!(entry.alias, Some(0));
    let rec = b.article(entry.article).expect("record");
    assert_eq!(b.meta(&rec, &mut buf).expect("meta").title, "English");
    // verify checks the title index with its alias, and extract writes the alias back.
    let o = run(&["verify", s(&packed)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shown = run(&["show", s(&packed), &entry.article.to_string()]);
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(
        shown.contains(r#"aliases: ["Universal Declaration of Human Rights"]"#),
        "{shown}"
    );
    // And the simulated reader gets there by the alias.
    let shots = dir.path().join("shots");
    let o = run(&[
        "sim",
        s(&packed),
        "--keys",
        "find:Universal",
        "-o",
        s(&shots),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("to Universal Declaration of Human Rights")
            || stderr(&o).contains("to Universal Declaration of Human Rights"),
        "{}",
        stderr(&o)
    );

    // Extracted and packed again, the same bundle: the alias survives as front matter.
    let out = dir.path().join("extracted");
    let o = run(&["extract", s(&packed), "-o", s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let again = dir.path().join("again.fpk");
    let o = build(&["-o", s(&again), s(&out)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let r = read(&again);
    assert_eq!(r.bodies, z.bodies);
    assert_eq!(r.titles, z.titles);
    assert_eq!(Bundle::open(&r.bundle[..]).expect("open").alias_count(), 1);
}

/// The same archive in the old namespace scheme (ZIM 6.0, as Kiwix's archives were made until
/// 2021): HTML articles and redirects to them in `A`, other content in `I`, the directory
/// re-sorted by namespace and path and every index into it (redirect targets, the title list,
/// the main page) renumbered. zimwriterfs writes only the new scheme; the clusters are the ones
/// it wrote.
fn to_old_namespaces(zim: &[u8]) -> Vec<u8> {
    let mut b = zim.to_vec();
    let u32_at = |b: &[u8], at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4"));
    let u64_at = |b: &[u8], at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8"));
    let cstr = |b: &[u8], at: usize| {
        let end = at + b[at..].iter().position(|&c| c == 0).expect("NUL");
        (b[at..end].to_vec(), end + 1)
    };
    let count = u32_at(&b, 24) as usize;
    let (url_list, title_list, mime_list) = (
        u64_at(&b, 32) as usize,
        u64_at(&b, 40),
        u64_at(&b, 56) as usize,
    );
    let mut mimes = Vec::new();
    let mut at = mime_list;
    loop {
        let (m, next) = cstr(&b, at);
        if m.is_empty() {
            break;
        }
        mimes.push(String::from_utf8(m).expect("mime"));
        at = next;
    }
    // Each entry: (where it is, its namespace in the old scheme, path, title, redirect target).
    let mut entries = Vec::new();
    for i in 0..count {
        let at = u64_at(&b, url_list + 8 * i) as usize;
        let mime = u16::from_le_bytes([b[at], b[at + 1]]);
        let ns = b[at + 3];
        let (fixed, target) = match mime {
            0xFFFF => (12, Some(u32_at(&b, at + 8) as usize)),
            0xFFFE | 0xFFFD => (8, None),
            _ => (16, None),
        };
        let (path, next) = cstr(&b, at + fixed);
        let (title, _) = cstr(&b, next);
        let html = mime == 0xFFFF || mimes[mime as usize].starts_with("text/html");
        let old = match ns {
            b'C' if html => b'A',
            b'C' => b'I',
            other => other,
        };
        entries.push((at, old, path, title, target));
    }
    let mut order: Vec<usize> = (0..count).collect();
    order.sort_by(|&x, &y| (entries[x].1, &entries[x].2).cmp(&(entries[y].1, &entries[y].2)));
    let mut renumbered = vec![0u32; count];
    for (new, &old) in order.iter().enumerate() {
        renumbered[old] = new as u32;
    }
    for (at, ns, _, _, target) in &entries {
        b[at + 3] = *ns;
        if let Some(t) = target {
            b[at + 8..at + 12].copy_from_slice(&renumbered[*t].to_le_bytes());
        }
    }
    for (new, &old) in order.iter().enumerate() {
        let ptr = (entries[old].0 as u64).to_le_bytes();
        b[url_list + 8 * new..url_list + 8 * new + 8].copy_from_slice(&ptr);
    }
    if title_list != u64::MAX {
        let title_list = title_list as usize;
        let mut by_title = order.clone();
        let key = |i: usize| {
            let t = if entries[i].3.is_empty() {
                &entries[i].2
            } else {
                &entries[i].3
            };
            (entries[i].1, t.clone())
        };
        by_title.sort_by_key(|&i| key(i));
        for (pos, &old) in by_title.iter().enumerate() {
            let at = title_list + 4 * pos;
            b[at..at + 4].copy_from_slice(&renumbered[old].to_le_bytes());
        }
    }
    let main = u32_at(&b, 64);
    if main != u32::MAX {
        b[64..68].copy_from_slice(&renumbered[main as usize].to_le_bytes());
    }
    // Version 6.0.
    b[6..8].copy_from_slice(&0u16.to_le_bytes());
    b
}

#[test]
fn the_old_namespace_scheme_packs_as_the_new_one_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("html");
    udhr_pages(&html);
    std::fs::write(html.join("UDHR.html"), REDIRECT).expect("redirect page");
    let zim = dir.path().join("new.zim");
    zimwriterfs(&html, &zim, "eng.html", &[]);
    let old = dir.path().join("old.zim");
    std::fs::write(&old, to_old_namespaces(&std::fs::read(&zim).expect("zim"))).expect("old");
    let (a, b) = (dir.path().join("new.fpk"), dir.path().join("old.fpk"));
    for (from, to) in [(&zim, &a), (&old, &b)] {
        let o = build(&["-o", s(to), s(from)]);
        assert!(o.status.success(), "{}", stderr(&o));
    }
    let (new, old) = (read(&a), read(&b));
    assert_eq!(old.bodies.len(), 69);
    assert_eq!(
        Bundle::open(&old.bundle[..]).expect("open").alias_count(),
        1
    );
    // Paths differ ("A/eng.html", "eng.html") but are not stored: the same bundle, byte for byte.
    assert!(old.bundle == new.bundle, "the old scheme's bundle differs");
}

/// Offset of every cluster of a ZIM archive (its header: cluster count at 28, the cluster
/// pointer list's place at 48), with the byte after each (its compression).
fn clusters(zim: &[u8]) -> Vec<u64> {
    let u32_at = |at: usize| u32::from_le_bytes(zim[at..at + 4].try_into().expect("4"));
    let u64_at = |at: usize| u64::from_le_bytes(zim[at..at + 8].try_into().expect("8"));
    let count = u32_at(28) as usize;
    let list = u64_at(48) as usize;
    (0..count).map(|i| u64_at(list + 8 * i)).collect()
}

#[test]
fn a_damaged_cluster_is_named_and_the_rest_of_the_archive_packed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("html");
    let pages = udhr_pages(&html);
    let zim = dir.path().join("udhr.zim");
    // Small clusters: several, so that one can be damaged alone.
    zimwriterfs(&html, &zim, "eng.html", &["-m", "65536"]);
    let mut bytes = std::fs::read(&zim).expect("zim");
    let offsets = clusters(&bytes);
    // The second zstd cluster (compression 5): its frame's magic number overwritten.
    let damaged = offsets
        .iter()
        .enumerate()
        .filter(|(_, &o)| bytes[o as usize] & 0x0F == 5)
        .nth(1)
        .map(|(i, &o)| (i, o))
        .expect("two zstd clusters");
    let at = damaged.1 as usize + 1;
    bytes[at..at + 8].fill(0xA5);
    std::fs::write(&zim, &bytes).expect("write");
    let packed = dir.path().join("zim.fpk");
    let o = build(&["-o", s(&packed), s(&zim)]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let named = format!("(cluster {} at byte offset {})", damaged.0, damaged.1);
    assert!(err.contains(&named), "{named} not in: {err}");
    assert!(err.contains("the rest of the archive packed"), "{err}");
    let lost = err.lines().filter(|l| l.contains(&named)).count();
    assert!(lost > 0);
    let r = read(&packed);
    assert_eq!(r.bodies.len() + lost, pages.len(), "{err}");
}

/// Pages that link to each other: page `i` links to every page after it, so the last is the
/// most linked to.
fn linked_pages(dir: &Path, n: usize) {
    std::fs::create_dir_all(dir).expect("dir");
    for i in 0..n {
        let links: String = (i + 1..n)
            .map(|j| format!(r#"<li><a href="p{j:02}.html#top">page {j}</a></li>"#))
            .collect();
        std::fs::write(
            dir.join(format!("p{i:02}.html")),
            format!(
                "<html lang=\"en\"><head><title>Page {i:02} of the set</title></head><body><h1>Page {i:02}</h1>\
                 <p>This is page number {i} of a set of pages that link to each other, written for a test of choosing articles.</p>\
                 <ul>{links}</ul></body></html>"
            ),
        )
        .expect("page");
    }
}

#[test]
fn select_limit_and_max_size_choose_what_goes_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let html = dir.path().join("html");
    linked_pages(&html, 12);
    let zim = dir.path().join("set.zim");
    zimwriterfs(&html, &zim, "p00.html", &[]);

    // --limit: the most linked to.
    let limited = dir.path().join("limited.fpk");
    let o = build(&["-o", s(&limited), "--limit", "3", s(&zim)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut titles = read(&limited).titles;
    titles.sort();
    assert_eq!(
        titles,
        [
            "Page 09 of the set",
            "Page 10 of the set",
            "Page 11 of the set"
        ]
    );

    // --select: by title pattern, by path, and a file of titles (case and accents aside).
    let selected = dir.path().join("selected.fpk");
    let list = dir.path().join("titles.txt");
    std::fs::write(&list, "PAGE 04 OF THE SET\n\n").expect("list");
    let o = build(&[
        "-o",
        s(&selected),
        "--select",
        "page 0[12]*",
        "--select",
        "p07.html",
        "--select-file",
        s(&list),
        s(&zim),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let mut titles = read(&selected).titles;
    titles.sort();
    assert_eq!(
        titles,
        [
            "Page 01 of the set",
            "Page 02 of the set",
            "Page 04 of the set",
            "Page 07 of the set"
        ]
    );
    let o = build(&["-o", s(&selected), "--select", "nothing*", s(&zim)]);
    assert!(!o.status.success());
    assert!(stderr(&o).contains("matches --select"), "{}", stderr(&o));

    // --max-size: as many as fit, the most linked first, and the count said.
    let all = dir.path().join("all.fpk");
    let o = build(&["-o", s(&all), s(&zim)]);
    assert!(o.status.success(), "{}", stderr(&o));
    let full = std::fs::metadata(&all).expect("size").len();
    let max = full - 1500;
    let fitted = dir.path().join("fitted.fpk");
    let o = run(&[
        "build",
        "-o",
        s(&fitted),
        "--max-size",
        &max.to_string(),
        s(&zim),
    ]);
    let err = stderr(&o);
    assert!(o.status.success(), "{err}");
    let size = std::fs::metadata(&fitted).expect("size").len();
    assert!(size <= max, "{size} > {max}");
    let r = read(&fitted);
    let kept = r.titles.len();
    assert!((1..12).contains(&kept), "{kept}");
    assert!(
        err.contains(&format!("{kept} of 12 articles fitted ({size} bytes)")),
        "{err}"
    );
    // The most linked to are the ones kept: pages 12 - kept to 11.
    let mut titles = r.titles.clone();
    titles.sort();
    let want: Vec<String> = (12 - kept..12)
        .map(|i| format!("Page {i:02} of the set"))
        .collect();
    assert_eq!(titles, want);
    let o = build(&["-o", s(&fitted), "--max-size", "500", s(&zim)]);
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("not even one article fits"),
        "{}",
        stderr(&o)
    );
}
