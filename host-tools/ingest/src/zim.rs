//! Kiwix ZIM archives, read with the `zim` crate: the archive's articles (its HTML entries
//! that are articles, in the old namespace scheme and the new), their titles from the archive,
//! the language from its metadata, redirects as other names of their articles, and the links
//! between articles, to rank them when not all of them fit a device.

use std::collections::HashMap;
use std::path::Path;

use anyhow::{bail, Context, Result};
use zim::{MimeType, Namespace, Target, Zim};

use crate::ingest::{finish, parse_html, Outcome};
use crate::rules::Rules;

/// Redirects followed from one entry before it counts as a loop.
const MAX_REDIRECT_HOPS: usize = 16;

/// One article of an archive: where its HTML is and what the archive calls it.
#[derive(Clone, Debug)]
pub struct ZimArticle {
    /// Its path in the archive, with the namespace in the old scheme (`A/Cholera.html`), as
    /// it is in the new (`Cholera`).
    pub path: String,
    /// Its title in the archive (its path when the archive gives none).
    pub title: String,
    /// The cluster and the blob in it that hold its HTML.
    pub cluster: u32,
    /// The blob in its cluster.
    pub blob: u32,
    /// The titles of the redirects that lead to it.
    pub aliases: Vec<String>,
}

/// An opened archive and the articles in it, in path order.
pub struct ZimArchive {
    zim: Zim,
    /// The archive as named in origins and messages (its file name).
    pub name: String,
    /// Whether it uses the old namespace scheme (articles in `A`), before format 6.1.
    pub old_namespaces: bool,
    /// The archive's language as a BCP 47 tag, from its `Language` metadata.
    pub lang: Option<String>,
    /// Its own title, from its metadata.
    pub title: Option<String>,
    /// Its creator, from its metadata.
    pub creator: Option<String>,
    /// When it was made, from its metadata (not an article's date: articles get none from it).
    pub date: Option<String>,
    /// The articles, in path order.
    pub articles: Vec<ZimArticle>,
    /// Redirect entries that lead nowhere an article is (a loop, a missing or non-article
    /// target), each with why: left out.
    pub dangling: Vec<String>,
}

/// The archive's `Language` metadata (ISO 639-3, several separated by commas) as a BCP 47
/// tag: the first language, in its two-letter form where ISO 639-1 has one.
pub fn zim_language(value: &str) -> Option<String> {
    let first = value.split(',').next()?.trim().to_ascii_lowercase();
    if first.is_empty() || !first.chars().all(|c| c.is_ascii_alphabetic()) {
        return None;
    }
    match whatlang::Lang::from_code(&first) {
        Some(l) => Some(crate::text::bcp47(l).to_string()),
        None => Some(first),
    }
}

impl ZimArchive {
    /// Opens an archive and lists its articles and their redirects; errors name the archive.
    pub fn open(path: &Path, name: &str) -> Result<ZimArchive> {
        // The crate maps the file: refuse what is not a regular file first (a FIFO, a device).
        let meta = std::fs::metadata(path).with_context(|| format!("cannot read {name}"))?;
        if !meta.is_file() {
            bail!("{name}: not a regular file: refused");
        }
        let zim = Zim::new(path)
            .map_err(|e| anyhow::anyhow!("{name}: not a readable ZIM archive: {e}"))?;
        let text = |key: &str| -> Option<String> {
            let content = zim.metadata(key).ok()??;
            let bytes = content.to_vec().ok()?;
            let s = String::from_utf8(bytes).ok()?;
            let s = s.trim().to_string();
            (!s.is_empty()).then_some(s)
        };
        let lang = text("Language").and_then(|l| zim_language(&l));
        let title = text("Title");
        let creator = text("Creator").or_else(|| text("Publisher"));
        let date = text("Date");
        // The new scheme (6.1 and later) keeps every item in `C`; the old one articles in `A`.
        let old_namespaces = zim.header.version_minor < 1
            && zim
                .namespace_range(Namespace::UserContent)
                .map_or(true, |r| r.is_empty());
        let content_ns = if old_namespaces {
            Namespace::Articles
        } else {
            Namespace::UserContent
        };
        let range = zim
            .namespace_range(content_ns)
            .map_err(|e| anyhow::anyhow!("{name}: its directory cannot be read: {e}"))?;
        let key = |e: &zim::DirectoryEntry| -> String {
            if old_namespaces {
                format!("{}/{}", char::from(e.namespace.as_byte()), e.url)
            } else {
                e.url.clone()
            }
        };
        let is_html = |m: &MimeType| matches!(m, MimeType::Type(t) if t.starts_with("text/html"));
        let mut articles = Vec::new();
        let mut by_index: HashMap<u32, usize> = HashMap::new();
        let mut redirects = Vec::new();
        let mut dangling = Vec::new();
        for idx in range {
            let e = match zim.get_by_url_index(idx) {
                Ok(e) => e,
                Err(err) => {
                    dangling.push(format!(
                        "entry {idx}: its directory entry cannot be read ({err}): left out"
                    ));
                    continue;
                }
            };
            match e.target {
                Some(Target::Redirect(to)) => redirects.push((idx, e, to)),
                Some(Target::Cluster(cluster, blob)) if is_html(&e.mime_type) => {
                    let path = key(&e);
                    let title = if e.title.trim().is_empty() {
                        e.url.clone()
                    } else {
                        e.title.clone()
                    };
                    by_index.insert(idx, articles.len());
                    articles.push(ZimArticle {
                        path,
                        title,
                        cluster,
                        blob,
                        aliases: Vec::new(),
                    });
                }
                _ => {}
            }
        }
        // In the new scheme the archive says which HTML entries are articles (its front
        // articles, listed by title); its other HTML (a page's parts) is left out.
        if !old_namespaces {
            if let Ok(Some(listing)) = zim.article_list_by_title() {
                let mut front = std::collections::HashSet::new();
                let _ = listing.for_each(|i| {
                    front.insert(i);
                });
                if !front.is_empty() {
                    let mut kept = Vec::new();
                    let mut renumbered = HashMap::new();
                    let mut old: Vec<(u32, usize)> =
                        by_index.iter().map(|(&k, &v)| (k, v)).collect();
                    old.sort_by_key(|&(_, v)| v);
                    for (idx, at) in old {
                        if front.contains(&idx) {
                            renumbered.insert(idx, kept.len());
                            kept.push(articles[at].clone());
                        }
                    }
                    articles = kept;
                    by_index = renumbered;
                }
            }
        }
        for (_, e, to) in redirects {
            let mut target = to;
            let mut found = None;
            for _ in 0..MAX_REDIRECT_HOPS {
                if let Some(&at) = by_index.get(&target) {
                    found = Some(at);
                    break;
                }
                match zim.get_by_url_index(target).map(|t| t.target) {
                    Ok(Some(Target::Redirect(next))) => target = next,
                    _ => break,
                }
            }
            let alias = if e.title.trim().is_empty() {
                e.url.clone()
            } else {
                e.title.clone()
            };
            match (found, zim.get_by_url_index(target)) {
                (Some(at), _) => articles[at].aliases.push(alias),
                // A redirect to a picture, a style sheet or a page that is not an article
                // names no article: nothing to say.
                (None, Ok(t)) if !matches!(t.target, Some(Target::Redirect(_))) => {}
                _ => dangling.push(format!(
                    "redirect {}: leads to no article (a loop, or an entry that is not there): left out",
                    crate::input::printable(&key(&e))
                )),
            }
        }
        Ok(ZimArchive {
            zim,
            name: name.to_string(),
            old_namespaces,
            lang,
            title,
            creator,
            date,
            articles,
            dangling,
        })
    }

    /// The HTML of some articles of one cluster, read with one decompression: each article's
    /// bytes or the error that kept them (naming the cluster and where it is in the archive).
    pub fn read_cluster(&self, cluster: u32, blobs: &[u32]) -> Vec<Result<Vec<u8>>> {
        let fail = |e: &dyn std::fmt::Display| -> Vec<Result<Vec<u8>>> {
            blobs
                .iter()
                .map(|_| Err(anyhow::anyhow!("cluster {cluster} cannot be read: {e}")))
                .collect()
        };
        let c = match self.zim.get_cluster(cluster) {
            Ok(c) => c,
            Err(e) => return fail(&e),
        };
        // A damaged cluster can make a decompressor panic inside the crate: contained, so the
        // rest of the archive is still read.
        let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let guard = match c.read() {
                Ok(g) => g,
                Err(e) => return fail(&e),
            };
            blobs
                .iter()
                .map(|&b| {
                    guard
                        .blob(b)
                        .map(<[u8]>::to_vec)
                        .map_err(|e| anyhow::anyhow!("cluster {cluster}, blob {b}: {e}"))
                })
                .collect()
        }));
        read.unwrap_or_else(|_| fail(&"its data is damaged"))
    }

    /// Where cluster `cluster` starts in the archive, in bytes (for messages).
    pub fn cluster_offset(&self, cluster: u32) -> Option<u64> {
        let at = self
            .zim
            .header
            .cluster_ptr_pos
            .checked_add(u64::from(cluster) * 8)?;
        let bytes = self.zim.store.slice(at, 8).ok()?;
        let raw: [u8; 8] = bytes.as_ref().try_into().ok()?;
        Some(u64::from_le_bytes(raw))
    }

    /// An article read from its HTML as the HTML reader reads a page, titled by the archive,
    /// in the archive's language when the page does not say its own, and with its aliases.
    pub fn article(&self, a: &ZimArticle, html: &[u8], rules: &Rules) -> Result<Outcome> {
        let mut warnings = Vec::new();
        let text = crate::ingest::decode(html, crate::ingest::Utf8Policy::Lossy, &mut warnings)?;
        let mut raw = parse_html(&text);
        raw.title = Some(a.title.clone());
        // A page's own tag is the more specific one (a multilingual archive); "und" says none.
        if raw
            .lang
            .as_deref()
            .is_none_or(|l| l.trim().is_empty() || l.trim().eq_ignore_ascii_case("und"))
        {
            raw.lang = self.lang.clone();
        }
        if raw.source.is_none() {
            raw.source = self.title.clone();
        }
        raw.aliases = a.aliases.clone();
        Ok(finish(raw, &self.origin(a), rules, warnings))
    }

    /// The origin an article of the archive is stored under: the archive's name, `#`, its path.
    pub fn origin(&self, a: &ZimArticle) -> String {
        format!("{}#{}", self.name, a.path)
    }

    /// The articles each article's links lead to (redirects followed), for ranking: for each
    /// article, how many other articles link to it. Reads every cluster once, telling
    /// `progress` how many articles each read.
    pub fn inbound_links(&self, progress: &(dyn Fn(u64) + Sync)) -> Vec<u32> {
        let by_path: HashMap<&str, usize> = self
            .articles
            .iter()
            .enumerate()
            .map(|(i, a)| (a.path.as_str(), i))
            .collect();
        let mut by_cluster: std::collections::BTreeMap<u32, Vec<usize>> = Default::default();
        for (i, a) in self.articles.iter().enumerate() {
            by_cluster.entry(a.cluster).or_default().push(i);
        }
        use rayon::prelude::*;
        let groups: Vec<(u32, Vec<usize>)> = by_cluster.into_iter().collect();
        let lists: Vec<Vec<(usize, usize)>> = groups
            .par_iter()
            .map(|(cluster, members)| {
                let blobs: Vec<u32> = members.iter().map(|&i| self.articles[i].blob).collect();
                let mut edges = Vec::new();
                for (&i, html) in members.iter().zip(self.read_cluster(*cluster, &blobs)) {
                    let Ok(html) = html else { continue };
                    let from = &self.articles[i].path;
                    let mut seen = std::collections::HashSet::new();
                    for href in hrefs(&html) {
                        let Some(to) = resolve_link(from, &href) else {
                            continue;
                        };
                        if let Some(&j) = by_path.get(to.as_str()) {
                            if j != i && seen.insert(j) {
                                edges.push((i, j));
                            }
                        }
                    }
                }
                progress(members.len() as u64);
                edges
            })
            .collect();
        let mut counts = vec![0u32; self.articles.len()];
        for (_, j) in lists.into_iter().flatten() {
            counts[j] += 1;
        }
        counts
    }
}

/// The `href` values of an HTML page's links, found by a scan (the ranking needs only links,
/// not a parsed page).
fn hrefs(html: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(at) = find(rest, b"href=") {
        rest = &rest[at + 5..];
        let Some(&q) = rest.first() else { break };
        let (value, next) = if q == b'"' || q == b'\'' {
            let body = &rest[1..];
            match body.iter().position(|&b| b == q) {
                Some(end) => (&body[..end], &body[end + 1..]),
                None => break,
            }
        } else {
            let end = rest
                .iter()
                .position(|b| b.is_ascii_whitespace() || *b == b'>')
                .unwrap_or(rest.len());
            (&rest[..end], &rest[end..])
        };
        if let Ok(v) = std::str::from_utf8(value) {
            out.push(v.replace("&amp;", "&"));
        }
        rest = next;
    }
    out
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The archive path a link from the article at `from` leads to: relative to `from`'s folder,
/// percent-decoded, without its fragment or query; `None` for links out of the archive.
pub fn resolve_link(from: &str, href: &str) -> Option<String> {
    let href = href.split(['#', '?']).next()?;
    if href.is_empty()
        || href.contains("://")
        || href.starts_with("mailto:")
        || href.starts_with("//")
    {
        return None;
    }
    let decoded = percent_decode(href);
    let mut parts: Vec<&str> = if decoded.starts_with('/') {
        Vec::new()
    } else {
        let mut p: Vec<&str> = from.split('/').collect();
        p.pop();
        p
    };
    for seg in decoded.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_resolve_as_a_browser_would() {
        assert_eq!(
            resolve_link("Cholera", "Water#Boiling").as_deref(),
            Some("Water")
        );
        assert_eq!(
            resolve_link("A/Cholera.html", "../A/Oral%20rehydration.html").as_deref(),
            Some("A/Oral rehydration.html")
        );
        assert_eq!(
            resolve_link("wiki/Cholera", "./Water").as_deref(),
            Some("wiki/Water")
        );
        assert_eq!(resolve_link("Cholera", "https://who.int/x"), None);
        assert_eq!(resolve_link("Cholera", "../../up"), None);
        assert_eq!(
            hrefs(b"<a href=\"A\">x</a><a href='B?x=1&amp;y'>y</a><a href=C>z</a>"),
            ["A", "B?x=1&y", "C"]
        );
    }

    #[test]
    fn iso_639_3_becomes_bcp_47() {
        assert_eq!(zim_language("eng").as_deref(), Some("en"));
        assert_eq!(zim_language("fra,eng").as_deref(), Some("fr"));
        assert_eq!(zim_language("").as_deref(), None);
    }
}
