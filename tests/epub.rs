//! EPUB books in: a book made here from corpus texts (its spine in another order than its file
//! names, headings from its table of contents, metadata in its package) packs as one article
//! in spine order, or one per chapter; a book with DRM is refused by name; a damaged one is an
//! error naming the book.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::root;

/// The chapters: (file name, table-of-contents label, corpus text).
const CHAPTERS: [(&str, &str, &str); 3] = [
    ("c.xhtml", "Part one: the jury", "ca01_news.txt"),
    ("a.xhtml", "Part two: the legislature", "ca02_news.txt"),
    ("b.xhtml", "Part three: the election", "ca03_news.txt"),
];

fn paragraphs(name: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join("../shared/corpus/brown").join(name))
        .expect("corpus text");
    text.split("\n\n")
        .map(|p| p.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .take(6)
        .collect()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Writes an EPUB 2 book: `extra` files (name, bytes) are added to META-INF.
fn make_book(path: &Path, extra: &[(&str, &str)]) {
    let file = std::fs::File::create(path).expect("create");
    let mut zip = zip::ZipWriter::new(file);
    let stored =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let deflated = zip::write::SimpleFileOptions::default();
    zip.start_file("mimetype", stored).expect("mimetype");
    zip.write_all(b"application/epub+zip").expect("w");
    zip.start_file("META-INF/container.xml", deflated)
        .expect("c");
    zip.write_all(br#"<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/></rootfiles>
</container>"#)
        .expect("w");
    for (name, body) in extra {
        zip.start_file(format!("META-INF/{name}"), deflated)
            .expect("extra");
        zip.write_all(body.as_bytes()).expect("w");
    }
    let mut manifest = String::new();
    let mut spine = String::new();
    let mut nav = String::new();
    for (i, (file, label, text)) in CHAPTERS.iter().enumerate() {
        let id = format!("ch{}", i + 1);
        manifest.push_str(&format!(
            r#"<item id="{id}" href="{file}" media-type="application/xhtml+xml"/>"#
        ));
        spine.push_str(&format!(r#"<itemref idref="{id}"/>"#));
        nav.push_str(&format!(
            r#"<navPoint id="n{i}" playOrder="{}"><navLabel><text>{}</text></navLabel><content src="{file}"/></navPoint>"#,
            i + 1,
            escape(label)
        ));
        let body: String = paragraphs(text)
            .iter()
            .map(|p| format!("<p>{}</p>", escape(p)))
            .collect();
        zip.start_file(format!("OEBPS/{file}"), deflated)
            .expect("chapter");
        zip.write_all(
            format!(
                r#"<?xml version="1.0" encoding="utf-8"?>
<html xmlns="http://www.w3.org/1999/xhtml"><head><title>{}</title></head><body>{body}</body></html>"#,
                escape(label)
            )
            .as_bytes(),
        )
        .expect("w");
    }
    zip.start_file("OEBPS/content.opf", deflated).expect("opf");
    zip.write_all(
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://www.idpf.org/2007/opf" version="2.0" unique-identifier="id">
  <metadata xmlns:dc="http://purl.org/dc/elements/1.1/">
    <dc:title>News of the Day, 1961</dc:title>
    <dc:creator>The Brown Corpus</dc:creator>
    <dc:language>en</dc:language>
    <dc:date>1961-07-01</dc:date>
    <dc:publisher>Brown University</dc:publisher>
    <dc:identifier id="id">urn:uuid:fieldpack-test-book</dc:identifier>
  </metadata>
  <manifest>
    <item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>
    {manifest}
  </manifest>
  <spine toc="ncx">{spine}</spine>
</package>"#
        )
        .as_bytes(),
    )
    .expect("w");
    zip.start_file("OEBPS/toc.ncx", deflated).expect("ncx");
    zip.write_all(
        format!(
            r#"<?xml version="1.0" encoding="utf-8"?>
<ncx xmlns="http://www.daisy.org/z3986/2005/ncx/" version="2005-1">
  <head><meta name="dtb:uid" content="urn:uuid:fieldpack-test-book"/></head>
  <docTitle><text>News of the Day, 1961</text></docTitle>
  <navMap>{nav}</navMap>
</ncx>"#
        )
        .as_bytes(),
    )
    .expect("w");
    zip.finish().expect("finish");
}

fn fieldpack(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_fieldpack"))
        .args(args)
        .output()
        .expect("run fieldpack")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8")
}

fn show(fpk: &Path, n: usize) -> String {
    let o = fieldpack(&["show", s(fpk), &n.to_string()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

#[test]
fn a_book_is_read_in_spine_order_with_its_headings_and_metadata() {
    let dir = tempfile::tempdir().expect("tempdir");
    let book = dir.path().join("news.epub");
    make_book(&book, &[]);
    let fpk = dir.path().join("book.fpk");
    let o = fieldpack(&["build", "-q", "-o", s(&fpk), s(&book)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = show(&fpk, 0);
    assert!(text.contains("title: \"News of the Day, 1961\""), "{text}");
    assert!(text.contains("author: \"The Brown Corpus\""), "{text}");
    assert!(text.contains("lang: \"en\""), "{text}");
    assert!(text.contains("date: \"1961-07-01\""), "{text}");
    // The spine's order (c, a, b), each chapter after its heading from the table of contents.
    let mut at = 0;
    for (_, label, corpus) in CHAPTERS {
        let h = text[at..]
            .find(label)
            .unwrap_or_else(|| panic!("{label} after {at}"));
        at += h;
        let first = &paragraphs(corpus)[0];
        let p = text[at..]
            .find(first.as_str())
            .unwrap_or_else(|| panic!("{corpus}'s first paragraph after {label}"));
        at += p;
    }
}

#[test]
fn with_epub_chapters_each_chapter_is_an_article_titled_by_the_table_of_contents() {
    let dir = tempfile::tempdir().expect("tempdir");
    let book = dir.path().join("news.epub");
    make_book(&book, &[]);
    let fpk = dir.path().join("chapters.fpk");
    let o = fieldpack(&["build", "-q", "--epub-chapters", "-o", s(&fpk), s(&book)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for (i, (_, label, corpus)) in CHAPTERS.iter().enumerate() {
        let text = show(&fpk, i);
        assert!(text.contains(&format!("title: \"{label}\"")), "{text}");
        assert!(text.contains("source: \"News of the Day, 1961\""), "{text}");
        assert!(text.contains(paragraphs(corpus)[1].as_str()), "{text}");
    }
}

#[test]
fn drm_is_refused_by_name_and_font_obfuscation_is_not_drm() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fonts_only = dir.path().join("fonts.epub");
    make_book(
        &fonts_only,
        &[(
            "encryption.xml",
            r#"<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:EncryptionMethod Algorithm="http://www.idpf.org/2008/embedding"/><enc:CipherData><enc:CipherReference URI="OEBPS/font.otf"/></enc:CipherData></enc:EncryptedData></encryption>"#,
        )],
    );
    let fpk = dir.path().join("fonts.fpk");
    let o = fieldpack(&["build", "-q", "-o", s(&fpk), s(&fonts_only)]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    for (name, extra, says) in [
        ("adept.epub", ("rights.xml", "<rights/>"), "Adobe ADEPT"),
        ("lcp.epub", ("license.lcpl", "{}"), "Readium LCP"),
        (
            "aes.epub",
            (
                "encryption.xml",
                r#"<encryption><EncryptedData><EncryptionMethod Algorithm="http://www.w3.org/2001/04/xmlenc#aes128-cbc"/></EncryptedData></encryption>"#,
            ),
            "aes128-cbc",
        ),
    ] {
        let book = dir.path().join(name);
        make_book(&book, &[extra]);
        let out = dir.path().join("drm.fpk");
        let o = fieldpack(&["build", "-q", "-o", s(&out), s(&book)]);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{name}: {err}");
        assert!(
            err.contains(name) && err.contains("DRM") && err.contains(says),
            "{err}"
        );
        assert!(!out.exists(), "nothing is written for a refused book");
    }
}

#[test]
fn a_damaged_book_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let book = dir.path().join("broken.epub");
    make_book(&book, &[]);
    let mut bytes = std::fs::read(&book).expect("read");
    let n = bytes.len();
    bytes.truncate(n / 2);
    std::fs::write(&book, &bytes).expect("write");
    let out: PathBuf = dir.path().join("b.fpk");
    let o = fieldpack(&["build", "-q", "-o", s(&out), s(&book)]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("broken.epub"), "{err}");
}
