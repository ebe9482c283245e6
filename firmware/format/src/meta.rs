//! The postcard-encoded values of a bundle: bundle information and article metadata.

use serde::{Deserialize, Serialize};

/// Bundle-wide information: the `Info` section.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct BundleInfo<'a> {
    /// A title for the whole bundle, shown on the info screen.
    pub title: &'a str,
    /// Who made the bundle (free text; may be empty).
    pub creator: &'a str,
    /// When the bundle was made, `YYYY-MM-DD`, if the maker said so.
    pub created: Option<&'a str>,
    /// The tool and version that wrote the bundle.
    pub tool: &'a str,
    /// Number of articles.
    pub article_count: u32,
    /// Largest decoded length of any body chunk, in bytes.
    pub max_chunk_len: u32,
}

/// Writing direction of an article's text.
#[derive(Serialize, Deserialize, Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Direction {
    /// Left to right (Latin, Cyrillic, Hangul, Han, ...).
    #[default]
    Ltr,
    /// Right to left (Arabic, Hebrew, ...).
    Rtl,
}

/// What is known about one article: a record of the `Meta` section.
#[derive(Serialize, Deserialize, Debug, Clone, PartialEq, Eq)]
pub struct ArticleMeta<'a> {
    /// The headline.
    pub title: &'a str,
    /// BCP 47 language tag (`en`, `ko`, `ru`, ...), if known.
    pub lang: Option<&'a str>,
    /// Writing direction.
    pub dir: Direction,
    /// Publication date as found in the source, if any.
    pub date: Option<&'a str>,
    /// Where the article came from (a publication, a site), if known.
    pub source: Option<&'a str>,
    /// Who wrote it, if known.
    pub author: Option<&'a str>,
    /// The input file's path relative to the folder it was packed from.
    pub origin: &'a str,
}

/// Orders two titles the way the `Titles` section is sorted: by lower-cased characters.
pub fn title_cmp(a: &str, b: &str) -> core::cmp::Ordering {
    a.chars()
        .flat_map(char::to_lowercase)
        .cmp(b.chars().flat_map(char::to_lowercase))
}

/// Whether `title` starts with `prefix`, ignoring case.
pub fn title_has_prefix(title: &str, prefix: &str) -> bool {
    let mut t = title.chars().flat_map(char::to_lowercase);
    prefix
        .chars()
        .flat_map(char::to_lowercase)
        .all(|p| t.next() == Some(p))
}

/// Orders a title against a search prefix: `Equal` when the title starts with the prefix.
pub fn title_prefix_cmp(title: &str, prefix: &str) -> core::cmp::Ordering {
    let mut t = title.chars().flat_map(char::to_lowercase);
    for p in prefix.chars().flat_map(char::to_lowercase) {
        match t.next() {
            None => return core::cmp::Ordering::Less,
            Some(c) if c != p => return c.cmp(&p),
            Some(_) => {}
        }
    }
    core::cmp::Ordering::Equal
}
