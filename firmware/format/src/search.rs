//! Title search: which titles start with a prefix, and which characters continue it.
//!
//! Titles are sorted by their folded form ([`crate::fold`]), so the titles that start with a
//! prefix are one run of the title order, found by two binary searches. The characters that
//! continue the prefix are the distinct next characters of that run: when there are at most
//! [`OFFER_SCAN_LIMIT`], a reader finds them with one binary search each; past that the writer
//! stored them, most titles first, in the `Offers` section. Every step is thus bounded by the
//! logarithm of the bundle's size, whatever it holds.

use core::cmp::Ordering;

use crate::bundle::Bundle;
use crate::error::Error;
use crate::fold::fold_str;
use crate::layout::{SectionKind, OFFER_LEN, OFFER_SCAN_LIMIT, SEARCH_PREFIX_MAX};
use crate::storage::Storage;

/// The titles that start with a prefix: a run of positions in title order.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TitleRange {
    /// First position of the run.
    pub start: u32,
    /// Position after the run.
    pub end: u32,
    /// Titles at the run's start that are the prefix itself (they sort first).
    pub exact: u32,
}

impl TitleRange {
    /// Number of titles in the run.
    pub fn len(&self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    /// Whether no title starts with the prefix.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// A character that continues a prefix, and how many titles go on with it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Offer {
    /// The next character (folded).
    pub c: char,
    /// Titles that go on with it.
    pub titles: u32,
}

/// The characters that continue a prefix, most titles first (then by code point).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Offers {
    /// Stored in the `Offers` section: `count` offers from byte `at` of the bundle.
    Stored {
        /// Where the first offer is.
        at: u32,
        /// How many there are.
        count: u32,
    },
    /// Found in the title index.
    Scanned(heapless::Vec<Offer, OFFER_SCAN_LIMIT>),
}

impl Default for Offers {
    fn default() -> Self {
        Offers::Scanned(heapless::Vec::new())
    }
}

impl Offers {
    /// How many characters continue the prefix.
    pub fn len(&self) -> u32 {
        match self {
            Offers::Stored { count, .. } => *count,
            Offers::Scanned(v) => v.len() as u32,
        }
    }

    /// Whether no title goes on past the prefix.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Offer `i` (0: the one most titles go on with).
    pub fn get<S: Storage>(&self, bundle: &mut Bundle<S>, i: u32) -> Result<Option<Offer>, Error> {
        match self {
            Offers::Scanned(v) => Ok(v.get(i as usize).copied()),
            Offers::Stored { at, count } => {
                if i >= *count {
                    return Ok(None);
                }
                let at = at.saturating_add(i.saturating_mul(OFFER_LEN as u32));
                let mut b = [0u8; OFFER_LEN];
                bundle.read_at(at, &mut b)?;
                let [c0, c1, c2, c3, t0, t1, t2, t3] = b;
                let c =
                    char::from_u32(u32::from_le_bytes([c0, c1, c2, c3])).ok_or(Error::Corrupt {
                        section: SectionKind::Offers,
                        offset: at,
                    })?;
                Ok(Some(Offer {
                    c,
                    titles: u32::from_le_bytes([t0, t1, t2, t3]),
                }))
            }
        }
    }
}

/// The folded bytes of a prefix, when it is short enough to search with.
fn folded_prefix(prefix: &str) -> Option<heapless::Vec<u8, SEARCH_PREFIX_MAX>> {
    let mut out = heapless::Vec::new();
    for c in fold_str(prefix) {
        let mut b = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut b).as_bytes())
            .ok()?;
    }
    Some(out)
}

fn corrupt(offset: u32) -> Error {
    Error::Corrupt {
        section: SectionKind::Offers,
        offset,
    }
}

impl<S: Storage> Bundle<S> {
    /// The titles that start with `prefix` (ignoring case and accents); `buf` holds a title's
    /// metadata when a key is too short to decide.
    pub fn title_range(&mut self, prefix: &str, buf: &mut [u8]) -> Result<TitleRange, Error> {
        let start = self.find_title(prefix, buf)?;
        let end = self.find_title_end(prefix, buf)?.max(start);
        let at = folded_prefix(prefix).map_or(usize::MAX, |p| p.len());
        // The titles that are the prefix itself come first: a binary search for their end.
        let (mut lo, mut hi) = (start, end);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            if self.title_char_at(mid, at, buf)?.is_none() {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        Ok(TitleRange {
            start,
            end,
            exact: lo - start,
        })
    }

    /// The folded character at byte `at` of the folded title at position `pos`, or `None`
    /// where the title ends.
    pub fn title_char_at(
        &mut self,
        pos: u32,
        at: usize,
        buf: &mut [u8],
    ) -> Result<Option<char>, Error> {
        let key = self.title_key_at(pos)?;
        let text_len = key
            .iter()
            .position(|&b| b == 0 || b == 0xFF)
            .unwrap_or(key.len());
        let complete = key.get(text_len) == Some(&0);
        let text = key
            .get(..text_len)
            .and_then(|t| core::str::from_utf8(t).ok())
            .ok_or(Error::Corrupt {
                section: SectionKind::Titles,
                offset: self.title_key_offset(pos),
            })?;
        if let Some(c) = text.get(at..).and_then(|t| t.chars().next()) {
            return Ok(Some(c));
        }
        if complete {
            return Ok(None);
        }
        // The key was cut before `at`: the title itself decides.
        let title = self.title_text(pos, buf)?;
        let mut seen = 0usize;
        for c in fold_str(title) {
            if seen == at {
                return Ok(Some(c));
            }
            seen = seen.saturating_add(c.len_utf8());
            if seen > at {
                break;
            }
        }
        Ok(None)
    }

    /// The characters that continue `prefix` in the titles of `range` (its
    /// [`Bundle::title_range`]), most titles first.
    pub fn title_offers(
        &mut self,
        prefix: &str,
        range: &TitleRange,
        buf: &mut [u8],
    ) -> Result<Offers, Error> {
        let Some(folded) = folded_prefix(prefix) else {
            // Longer than any prefix a reader types: nothing is offered.
            return Ok(Offers::default());
        };
        if let Some(stored) = self.stored_offers(&folded)? {
            return Ok(stored);
        }
        let mut out: heapless::Vec<Offer, OFFER_SCAN_LIMIT> = heapless::Vec::new();
        let at = folded.len();
        let mut pos = range.start.saturating_add(range.exact);
        while pos < range.end {
            let Some(c) = self.title_char_at(pos, at, buf)? else {
                // Titles that end here sort first; one here means the index is out of order.
                return Err(Error::Corrupt {
                    section: SectionKind::Titles,
                    offset: self.title_key_offset(pos),
                });
            };
            // The end of the run going on with `c`.
            let (mut lo, mut hi) = (pos.saturating_add(1), range.end);
            while lo < hi {
                let mid = lo + (hi - lo) / 2;
                if self.title_char_at(mid, at, buf)? == Some(c) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            // More than the limit without a stored list: the writer broke the rule.
            out.push(Offer {
                c,
                titles: lo - pos,
            })
            .map_err(|_| corrupt(self.offers_span().offset))?;
            pos = lo;
        }
        // Most titles first, then by code point: an insertion sort of at most 16 offers (the
        // library sorts take 7 KiB of a device's flash).
        for i in 1..out.len() {
            let mut j = i;
            while j > 0 {
                let (Some(a), Some(b)) = (out.get(j - 1), out.get(j)) else {
                    break;
                };
                if (b.titles, core::cmp::Reverse(b.c)) <= (a.titles, core::cmp::Reverse(a.c)) {
                    break;
                }
                out.swap(j - 1, j);
                j -= 1;
            }
        }
        Ok(Offers::Scanned(out))
    }

    /// The stored offers of a folded prefix, found by binary search over the section's nodes.
    fn stored_offers(&mut self, folded: &[u8]) -> Result<Option<Offers>, Error> {
        let span = self.offers_span();
        if span.len < 4 {
            return Err(corrupt(span.offset));
        }
        let mut nb = [0u8; 4];
        self.read_at(span.offset, &mut nb)?;
        let nodes = u32::from_le_bytes(nb);
        if u64::from(nodes) * 4 + 4 > u64::from(span.len) {
            return Err(corrupt(span.offset));
        }
        let (mut lo, mut hi) = (0u32, nodes);
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let entry = span.offset + 4 + mid * 4;
            self.read_at(entry, &mut nb)?;
            let node = u32::from_le_bytes(nb);
            // A node: prefix length (1 byte), prefix, offer count (4 bytes), offers.
            if node >= span.len {
                return Err(corrupt(entry));
            }
            let at = span.offset + node;
            let mut lb = [0u8; 1];
            self.read_at(at, &mut lb)?;
            let plen = usize::from(lb[0]);
            let mut pb = [0u8; SEARCH_PREFIX_MAX];
            let key = pb.get_mut(..plen).ok_or(corrupt(at))?;
            if u64::from(node) + 1 + plen as u64 + 4 > u64::from(span.len) {
                return Err(corrupt(at));
            }
            self.read_at(at + 1, key)?;
            match (*key).cmp(folded) {
                Ordering::Less => lo = mid + 1,
                Ordering::Greater => hi = mid,
                Ordering::Equal => {
                    let count_at = at + 1 + plen as u32;
                    self.read_at(count_at, &mut nb)?;
                    let count = u32::from_le_bytes(nb);
                    let first = count_at + 4;
                    let fits = u64::from(first - span.offset) + u64::from(count) * OFFER_LEN as u64
                        <= u64::from(span.len);
                    if !fits || (count as usize) <= OFFER_SCAN_LIMIT {
                        return Err(corrupt(count_at));
                    }
                    return Ok(Some(Offers::Stored { at: first, count }));
                }
            }
        }
        Ok(None)
    }
}
