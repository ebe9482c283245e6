//! Finding an article by its title with four buttons: the reader picks, one at a time, the
//! characters that continue the titles, from a strip that offers only those, while the titles
//! that match are listed live below.
//!
//! The strip is a ring centred on the most likely character (the one most titles go on with);
//! the next likely ones sit beside it, alternately right and left, so Down (right) and Up (left)
//! reach the k-th most likely in about k/2 presses. Select takes a character: the prefix grows
//! (and, while every matching title goes on the same way, extends by itself). A long press of
//! Down moves into the list of matching titles (up to [`LIST_MAX`], scrolling), where Up and Down
//! move, Select opens and a long press of Up goes back to the strip; when no more titles match
//! than the screen lists, the list is all there is. Back undoes the last choice, and leaves the
//! search when there is none.

use fieldpack_format::layout::{MAX_META_LEN, SEARCH_PREFIX_MAX};
use fieldpack_format::search::{Offers, TitleRange};
use fieldpack_format::{Bundle, Error, Storage};

/// What the search screen is at: the prefix chosen so far and what it offers.
#[derive(Clone, Debug, Default)]
pub struct Search {
    /// The folded prefix.
    prefix: heapless::String<SEARCH_PREFIX_MAX>,
    /// The prefix's length before each choice, to undo it.
    marks: heapless::Vec<u8, SEARCH_PREFIX_MAX>,
    /// Titles starting with the prefix.
    range: TitleRange,
    /// Characters that continue it.
    offers: Offers,
    /// Where the cursor is: a place on the strip's ring, or a row of the list.
    cursor: u32,
    /// Whether the cursor is in the list of titles.
    in_list: bool,
    /// How many titles the screen shows at once.
    rows: u32,
}

/// Most titles the list holds (it scrolls past the rows the screen shows).
pub const LIST_MAX: u32 = 16;

/// One item of the search screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item {
    /// A character that continues the prefix.
    Offer(char),
    /// A matching title: its position in title order.
    Title(u32),
}

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

    /// The offered characters.
    pub fn offers(&self) -> &Offers {
        &self.offers
    }

    /// Whether the strip of characters is shown (more titles match than the screen lists).
    pub fn offers_shown(&self) -> bool {
        self.range.len() > self.rows
    }

    /// Whether the cursor is in the list of titles.
    pub fn in_list(&self) -> bool {
        self.in_list || !self.offers_shown()
    }

    /// How many titles the list holds.
    pub fn listed(&self) -> u32 {
        self.range.len().min(LIST_MAX)
    }

    /// How many places the cursor can take where it is: offers on the strip, or list rows.
    pub fn items(&self) -> u32 {
        if self.in_list() {
            self.listed()
        } else {
            self.offers.len()
        }
    }

    /// Where the cursor is (see [`Search::items`]).
    pub fn cursor(&self) -> u32 {
        self.cursor
    }

    /// The rank (0: most titles) of the offer at place `p` of the strip's ring: the most
    /// likely at 0, then alternately to its right and its left.
    pub fn rank_at(&self, p: u32) -> u32 {
        let n = self.offers.len();
        let right = n.div_ceil(2);
        if p < right {
            2 * p
        } else {
            2 * n.saturating_sub(p) - 1
        }
    }

    /// The place on the strip's ring of the offer of rank `r`.
    pub fn place_of(&self, r: u32) -> u32 {
        let n = self.offers.len();
        if r.is_multiple_of(2) {
            r / 2
        } else {
            n.saturating_sub(r.div_ceil(2))
        }
    }

    /// The item at place `i` where the cursor is (strip or list).
    pub fn item<S: Storage>(&self, bundle: &mut Bundle<S>, i: u32) -> Result<Option<Item>, Error> {
        if self.in_list() {
            return Ok((i < self.listed()).then(|| Item::Title(self.range.start + i)));
        }
        if i >= self.offers.len() {
            return Ok(None);
        }
        Ok(self
            .offers
            .get(bundle, self.rank_at(i))?
            .map(|o| Item::Offer(o.c)))
    }

    /// Recomputes the matching titles and the offers for the prefix, extending it while every
    /// matching title goes on with the same character.
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
        Ok(())
    }

    /// Acts on a key.
    pub fn handle<S: Storage>(
        &mut self,
        bundle: &mut Bundle<S>,
        key: SearchKey,
    ) -> Result<Outcome, Error> {
        let n = self.items();
        match key {
            SearchKey::Next if n > 0 => self.cursor = (self.cursor + 1) % n,
            SearchKey::Previous if n > 0 => self.cursor = (self.cursor + n - 1) % n,
            SearchKey::ToList if !self.in_list() && self.listed() > 0 => {
                self.in_list = true;
                self.cursor = 0;
            }
            SearchKey::ToStrip if self.in_list && self.offers_shown() => {
                self.in_list = false;
                self.cursor = 0;
            }
            SearchKey::Take => match self.item(bundle, self.cursor)? {
                Some(Item::Title(pos)) => return Ok(Outcome::Open(bundle.title_order(pos)?)),
                Some(Item::Offer(c)) => {
                    let before = self.prefix.len();
                    if before + c.len_utf8() <= SEARCH_PREFIX_MAX
                        && self.marks.push(before as u8).is_ok()
                    {
                        let _ = self.prefix.push(c);
                        self.refresh(bundle)?;
                    }
                }
                None => {}
            },
            SearchKey::Undo => match self.marks.pop() {
                Some(len) => {
                    self.prefix.truncate(usize::from(len));
                    self.refresh(bundle)?;
                }
                None => return Ok(Outcome::Leave),
            },
            _ => {}
        }
        Ok(Outcome::Stay)
    }
}

/// The search screen's actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchKey {
    /// To the next place (right on the strip, down the list).
    Next,
    /// To the previous place.
    Previous,
    /// Into the list of titles (a long press of Down).
    ToList,
    /// Back to the strip (a long press of Up).
    ToStrip,
    /// Take the item: a character, or open a title.
    Take,
    /// Undo the last choice, or leave.
    Undo,
}

#[cfg(test)]
mod tests {
    use super::*;
    use fieldpack_format::search::Offer;

    fn with_offers(n: u32) -> Search {
        let mut v = heapless::Vec::new();
        for i in 0..n {
            let _ = v.push(Offer {
                c: char::from(b'a' + i as u8),
                titles: 100 - i,
            });
        }
        Search {
            offers: Offers::Scanned(v),
            ..Search::default()
        }
    }

    #[test]
    fn the_search_state_is_small() {
        // It lives in the reader's state on a device with tens of KiB of RAM.
        let size = core::mem::size_of::<Search>();
        assert!(size <= 384, "{size} bytes");
    }

    #[test]
    fn the_ring_puts_the_likely_near_the_middle() {
        for n in 1..=16 {
            let s = with_offers(n);
            let mut seen = [false; 16];
            for p in 0..n {
                let r = s.rank_at(p);
                assert!(r < n, "n {n} place {p}: rank {r}");
                assert_eq!(s.place_of(r), p, "n {n}");
                seen[r as usize] = true;
                // The k-th most likely is about k/2 presses from the middle, either way.
                let presses = p.min(n - p);
                assert!(
                    presses <= r.div_ceil(2),
                    "n {n}: rank {r} at {presses} presses"
                );
            }
            assert!(seen.iter().take(n as usize).all(|&b| b));
        }
    }
}
