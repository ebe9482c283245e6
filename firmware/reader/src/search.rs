//! Finding an article by its title with four buttons: the reader picks, one at a time, the
//! characters that continue the titles, while the titles that match are listed live below.
//!
//! The characters that continue the prefix (only those the bundle's titles go on with) are
//! shown in three boxes, the likeliest (most titles) on the left: Up picks the left box, Select
//! the middle one, Down the right one. A box of one character types it; a larger box is split
//! in three again. The boxes hold about a third of the matching titles each, so a character
//! takes about as many presses as its share of the titles is small: one for a likely one, two or
//! three for most, four or five for a rare one among hundreds (measured against other layouts in
//! the README). While every matching title goes on the same way the prefix extends by itself.
//! Back undoes the last pick (a split, else the last character) and leaves the search when
//! there is none. A long press of Down moves into the list of matching titles (up to
//! [`LIST_MAX`], scrolling), where Up and Down move, Select opens and a long press of Up goes
//! back to the boxes; when no more titles match than the screen lists, the list is all there is.

use fieldpack_format::layout::{MAX_META_LEN, SEARCH_PREFIX_MAX};
use fieldpack_format::search::{Offers, TitleRange};
use fieldpack_format::{Bundle, Error, Storage};

/// Most splits of one character's offers kept for Back: three-way splits of the most offers a
/// prefix can have (every Unicode scalar) take fewer than 13.
const SPLITS: usize = 16;

/// What the search screen is at: the prefix chosen so far and what it offers.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// The folded prefix.
    prefix: heapless::String<SEARCH_PREFIX_MAX>,
    /// The prefix's length before each character chosen, to undo it.
    marks: heapless::Vec<u8, SEARCH_PREFIX_MAX>,
    /// Titles starting with the prefix.
    range: TitleRange,
    /// Characters that continue it, most titles first.
    offers: Offers,
    /// The offers (by rank) still in play for the next character, and where the three boxes
    /// start: `[span.0, cuts.0)`, `[cuts.0, cuts.1)`, `[cuts.1, span.1)`.
    span: (u32, u32),
    cuts: (u32, u32),
    /// The spans before each split of this character, to undo it.
    splits: heapless::Vec<(u32, u32), SPLITS>,
    /// The row of the list the cursor is on.
    cursor: u32,
    /// Whether the cursor is in the list of titles.
    in_list: bool,
    /// How many titles the screen shows at once.
    rows: u32,
}

/// Most titles the list holds (it scrolls past the rows the screen shows).
pub const LIST_MAX: u32 = 16;

/// What a key did on the search screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// The search goes on.
    Stay,
    /// Open this article.
    Open(u32),
    /// Back to the library.
    Leave,
}

/// The search screen's actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchKey {
    /// Up: the left box, or up the list.
    Up,
    /// Select: the middle box, or open the title.
    Select,
    /// Down: the right box, or down the list.
    Down,
    /// Into the list of titles (a long press of Down).
    ToList,
    /// Back to the boxes (a long press of Up).
    ToBoxes,
    /// Undo the last pick, or leave.
    Undo,
}

impl Search {
    /// A new search over every title, listing `rows` titles at a time.
    pub fn start<S: Storage>(bundle: &mut Bundle<S>, rows: u32) -> Result<Self, Error> {
        let mut s = Search {
            rows: rows.max(1),
            ..Search::default()
        };
        s.refresh(bundle)?;
        Ok(s)
    }

    /// The prefix chosen so far (folded: lower case, no accents).
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// Titles that start with the prefix.
    pub fn range(&self) -> TitleRange {
        self.range
    }

    /// The offered characters, most titles first.
    pub fn offers(&self) -> &Offers {
        &self.offers
    }

    /// Whether the boxes of characters are shown (more titles match than the screen lists).
    pub fn offers_shown(&self) -> bool {
        self.range.len() > self.rows
    }

    /// Whether the cursor is in the list of titles.
    pub fn in_list(&self) -> bool {
        self.in_list || !self.offers_shown()
    }

    /// How many titles the screen shows at once.
    pub fn rows(&self) -> u32 {
        self.rows
    }

    /// How many titles the list holds.
    pub fn listed(&self) -> u32 {
        self.range.len().min(LIST_MAX)
    }

    /// The list row the cursor is on.
    pub fn cursor(&self) -> u32 {
        self.cursor
    }

    /// The three boxes: ranges of offer ranks (left, middle, right; any may be empty).
    pub fn boxes(&self) -> [(u32, u32); 3] {
        [
            (self.span.0, self.cuts.0),
            (self.cuts.0, self.cuts.1),
            (self.cuts.1, self.span.1),
        ]
    }

    /// Recomputes the matching titles and the offers for the prefix, extending it while every
    /// matching title goes on with the same character; then the boxes over every offer.
    fn refresh<S: Storage>(&mut self, bundle: &mut Bundle<S>) -> Result<(), Error> {
        let mut buf = [0u8; MAX_META_LEN];
        // Bounded: each turn adds a character to a prefix of bounded length.
        for _ in 0..=SEARCH_PREFIX_MAX {
            self.range = bundle.title_range(&self.prefix, &mut buf)?;
            self.offers = bundle.title_offers(&self.prefix, &self.range, &mut buf)?;
            let only = match (self.offers.len(), self.range.exact) {
                (1, 0) if self.offers_shown() => self.offers.get(bundle, 0)?,
                _ => None,
            };
            let Some(next) = only else { break };
            if self.prefix.len() + next.c.len_utf8() > SEARCH_PREFIX_MAX
                || self.prefix.push(next.c).is_err()
            {
                break;
            }
        }
        self.cursor = 0;
        self.in_list = false;
        self.splits.clear();
        self.split(bundle, (0, self.offers.len()))
    }

    /// Puts the offers of ranks `span` in three boxes of about a third of their titles each,
    /// the likeliest on the left (a first offer with a third or more is a box of its own).
    fn split<S: Storage>(&mut self, bundle: &mut Bundle<S>, span: (u32, u32)) -> Result<(), Error> {
        let (a, b) = span;
        self.span = span;
        let n = b.saturating_sub(a);
        if n <= 3 {
            // One offer a box.
            self.cuts = ((a + 1).min(b), (a + 2).min(b));
            return Ok(());
        }
        let mut total = 0u64;
        for r in a..b {
            total += u64::from(bundle_titles(&self.offers, bundle, r)?);
        }
        let (mut first, mut second) = (None, None);
        let mut sum = 0u64;
        for r in a..b {
            sum += u64::from(bundle_titles(&self.offers, bundle, r)?);
            if first.is_none() && sum * 3 >= total {
                first = Some(r + 1);
            } else if first.is_some() && second.is_none() && sum * 3 >= 2 * total {
                second = Some(r + 1);
            }
        }
        // Every box holds at least one offer.
        let c1 = first.unwrap_or(a + 1).clamp(a + 1, b - 2);
        let c2 = second.unwrap_or(c1 + 1).clamp(c1 + 1, b - 1);
        self.cuts = (c1, c2);
        Ok(())
    }

    /// Acts on a key.
    pub fn handle<S: Storage>(
        &mut self,
        bundle: &mut Bundle<S>,
        key: SearchKey,
    ) -> Result<Outcome, Error> {
        if self.in_list() {
            let n = self.listed();
            match key {
                SearchKey::Down if n > 0 => self.cursor = (self.cursor + 1) % n,
                SearchKey::Up if n > 0 => self.cursor = (self.cursor + n - 1) % n,
                SearchKey::Select if n > 0 => {
                    let pos = self.range.start + self.cursor.min(n - 1);
                    return Ok(Outcome::Open(bundle.title_order(pos)?));
                }
                SearchKey::ToBoxes if self.offers_shown() => {
                    self.in_list = false;
                    self.cursor = 0;
                }
                SearchKey::Undo => return self.undo(bundle),
                _ => {}
            }
            return Ok(Outcome::Stay);
        }
        let pick = match key {
            SearchKey::Up => 0,
            SearchKey::Select => 1,
            SearchKey::Down => 2,
            SearchKey::ToList => {
                self.in_list = true;
                self.cursor = 0;
                return Ok(Outcome::Stay);
            }
            SearchKey::Undo => return self.undo(bundle),
            SearchKey::ToBoxes => return Ok(Outcome::Stay),
        };
        let Some(&(a, b)) = self.boxes().get(pick) else {
            return Ok(Outcome::Stay);
        };
        match b.saturating_sub(a) {
            0 => {}
            1 => {
                // One character: typed.
                if let Some(o) = self.offers.get(bundle, a)? {
                    let before = self.prefix.len();
                    if before + o.c.len_utf8() <= SEARCH_PREFIX_MAX
                        && self.marks.push(before as u8).is_ok()
                    {
                        let _ = self.prefix.push(o.c);
                        self.refresh(bundle)?;
                    }
                }
            }
            _ => {
                if self.splits.push(self.span).is_ok() {
                    self.split(bundle, (a, b))?;
                }
            }
        }
        Ok(Outcome::Stay)
    }

    /// Back: the last split undone, else the last character, else out of the search.
    fn undo<S: Storage>(&mut self, bundle: &mut Bundle<S>) -> Result<Outcome, Error> {
        if self.in_list && self.offers_shown() {
            self.in_list = false;
            self.cursor = 0;
            return Ok(Outcome::Stay);
        }
        if let Some(span) = self.splits.pop() {
            self.split(bundle, span)?;
            return Ok(Outcome::Stay);
        }
        match self.marks.pop() {
            Some(len) => {
                self.prefix.truncate(usize::from(len));
                self.refresh(bundle)?;
                Ok(Outcome::Stay)
            }
            None => Ok(Outcome::Leave),
        }
    }
}

/// How many titles go on with the offer of rank `r` (0 when there is none).
fn bundle_titles<S: Storage>(
    offers: &Offers,
    bundle: &mut Bundle<S>,
    r: u32,
) -> Result<u32, Error> {
    Ok(offers.get(bundle, r)?.map_or(0, |o| o.titles))
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldpack_format::search::Offer;

    #[test]
    fn the_search_state_is_small() {
        // It lives in the reader's state on a device with tens of KiB of RAM.
        let size = core::mem::size_of::<Search>();
        assert!(size <= 512, "{size} bytes");
    }

    #[test]
    fn boxes_hold_about_a_third_of_the_titles_each() {
        let counts = [50u32, 20, 10, 8, 5, 4, 2, 1];
        let mut v = heapless::Vec::new();
        for (i, &t) in counts.iter().enumerate() {
            let _ = v.push(Offer {
                c: char::from(b'a' + i as u8),
                titles: t,
            });
        }
        let offers = Offers::Scanned(v);
        let mut s = Search {
            offers: offers.clone(),
            ..Search::default()
        };
        // A bundle is needed only for stored offers: an empty one will do for these.
        let bytes: &[u8] = include_bytes!("../../format/tests/fixtures/version-9.fpk");
        let mut bundle = Bundle::open(bytes).expect("open");
        s.split(&mut bundle, (0, 8)).expect("split");
        // 50 of 100 titles: the first offer alone; 20 more pass two thirds; the rest.
        assert_eq!(s.boxes(), [(0, 1), (1, 2), (2, 8)]);
        // 8, 5, 4, 2, 1 of 20: a third at 8, two thirds at 17.
        s.split(&mut bundle, (3, 8)).expect("split");
        assert_eq!(s.boxes(), [(3, 4), (4, 6), (6, 8)]);
        s.split(&mut bundle, (6, 8)).expect("split");
        assert_eq!(s.boxes(), [(6, 7), (7, 8), (8, 8)]);
    }
}
