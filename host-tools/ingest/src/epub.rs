//! EPUB books: the package's metadata (title, author, language, date, publisher), its spine in
//! order, each document read as the HTML reader reads a page, and its headings from the table
//! of contents. A book becomes one article, or one per chapter. Books with DRM are refused:
//! their text cannot be read, and saying so is better than packing ciphertext.

use std::collections::HashMap;
use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};

use crate::ingest::{finish, parse_html, Outcome, Raw};
use crate::rules::Rules;

/// Font obfuscation (IDPF's and Adobe's): the only encryption a readable book may use.
const FONT_OBFUSCATION: [&str; 2] = [
    "http://www.idpf.org/2008/embedding",
    "http://ns.adobe.com/pdf/enc#RC",
];

/// Refuses a book whose content is encrypted (Adobe ADEPT, Readium LCP, Apple FairPlay, or any
/// encryption of more than its fonts), naming the scheme found.
fn refuse_drm(bytes: &[u8]) -> Result<()> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).context("not a ZIP archive")?;
    let names: Vec<String> = zip
        .file_names()
        .filter_map(|n| n.ok().map(|n| n.into_owned()))
        .collect();
    let has = |n: &str| names.iter().any(|x| x.eq_ignore_ascii_case(n));
    let drm = if has("META-INF/rights.xml") {
        Some("Adobe ADEPT (META-INF/rights.xml)")
    } else if has("META-INF/license.lcpl") {
        Some("Readium LCP (META-INF/license.lcpl)")
    } else if has("META-INF/sinf.xml") {
        Some("Apple FairPlay (META-INF/sinf.xml)")
    } else {
        None
    };
    if let Some(scheme) = drm {
        bail!("the book is protected by DRM ({scheme}): its text cannot be read; a DRM-free copy of it can be packed");
    }
    if has("META-INF/encryption.xml") {
        let mut xml = String::new();
        zip.by_name("META-INF/encryption.xml")
            .context("reading META-INF/encryption.xml")?
            .take(1 << 20)
            .read_to_string(&mut xml)
            .context("reading META-INF/encryption.xml")?;
        let other = xml
            .split("Algorithm=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next())
            .find(|a| {
                !FONT_OBFUSCATION.contains(a) && !a.contains("xmldsig") && !a.contains("xmlenc#rsa")
            });
        // Key transport algorithms (RSA) come with encrypted content algorithms (AES): the
        // content's is the one named.
        if let Some(alg) = other {
            bail!("the book is protected by DRM (its content is encrypted with {alg}, META-INF/encryption.xml): its text cannot be read; a DRM-free copy of it can be packed");
        }
    }
    Ok(())
}

/// The headings the table of contents gives each document (by path, without fragment), the
/// first entry pointing into it winning.
fn toc_labels(points: &[epub::doc::NavPoint], out: &mut HashMap<PathBuf, String>) {
    for p in points {
        let path = strip_fragment(&p.content);
        let label = p.label.split_whitespace().collect::<Vec<_>>().join(" ");
        if !label.is_empty() {
            out.entry(path).or_insert(label);
        }
        toc_labels(&p.children, out);
    }
}

fn strip_fragment(p: &Path) -> PathBuf {
    let s = p.to_string_lossy();
    PathBuf::from(s.split('#').next().unwrap_or(""))
}

/// Reads an EPUB book: one article (`chapters` false; each document's heading from the table of
/// contents is a paragraph before its text), or one article per document of the spine, named
/// `ORIGIN#NNN` and titled by the table of contents. Errors name the entry that failed.
pub fn read_epub(
    bytes: &[u8],
    origin: &str,
    rules: &Rules,
    chapters: bool,
) -> Result<Vec<Outcome>> {
    refuse_drm(bytes)?;
    let mut doc = epub::doc::EpubDoc::from_reader(Cursor::new(bytes.to_vec()))
        .map_err(|e| anyhow::anyhow!("not a readable EPUB package: {e}"))?;
    let meta = |doc: &epub::doc::EpubDoc<Cursor<Vec<u8>>>, p: &str| {
        doc.mdata(p)
            .map(|m| m.value.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let title = doc.get_title().filter(|t| !t.trim().is_empty());
    let author = meta(&doc, "creator");
    let lang = meta(&doc, "language");
    let date = meta(&doc, "date");
    let publisher = meta(&doc, "publisher");
    let mut labels = HashMap::new();
    toc_labels(&doc.toc, &mut labels);
    let spine: Vec<String> = doc
        .spine
        .iter()
        .filter(|s| s.linear)
        .map(|s| s.idref.clone())
        .collect();
    // Each document of the spine: (its heading, its paragraphs).
    let mut parts: Vec<(Option<String>, Vec<String>, Option<String>)> = Vec::new();
    for id in &spine {
        let Some(item) = doc.resources.get(id).cloned() else {
            bail!("the spine names {id}, which the manifest does not list");
        };
        if !item.mime.contains("html") {
            continue;
        }
        let (text, _) = doc
            .get_resource_str(id)
            .with_context(|| format!("cannot read {} from the book", item.path.display()))?;
        let raw = parse_html(&text);
        let heading = labels.get(&strip_fragment(&item.path)).cloned();
        let own_title = raw.title.clone();
        parts.push((heading, raw.paragraphs, own_title));
    }
    if chapters {
        let width = parts.len().to_string().len();
        let mut out = Vec::new();
        for (i, (heading, paragraphs, own_title)) in parts.into_iter().enumerate() {
            let raw = Raw {
                title: heading.or(own_title),
                paragraphs,
                lang: lang.clone(),
                dir: None,
                date: date.clone(),
                source: title.clone().or(publisher.clone()),
                author: author.clone(),
                ..Raw::default()
            };
            let name = format!("{origin}#{:0width$}", i + 1);
            out.push(finish(raw, &name, rules, Vec::new()));
        }
        return Ok(out);
    }
    let mut paragraphs = Vec::new();
    for (heading, ps, _) in parts {
        if let Some(h) = heading {
            // A heading that the document repeats as its first paragraph is kept once.
            let first = ps.first().map(|p| crate::blocks::plain_text(p));
            if first.as_deref().map(str::trim) != Some(h.trim()) {
                paragraphs.push(crate::blocks::block(
                    fieldpack_format::blocks::BlockKind::Heading,
                    1,
                    "",
                    &crate::blocks::clean_input(&h),
                ));
            }
        }
        paragraphs.extend(ps);
    }
    let raw = Raw {
        title,
        paragraphs,
        lang,
        dir: None,
        date,
        source: publisher,
        author,
        ..Raw::default()
    };
    Ok(vec![finish(raw, origin, rules, Vec::new())])
}
