//! Finding an article by its title with four buttons: the reader picks, one at a time, the
//! characters that continue the titles, from a strip that offers only those (most titles first),
//! while the titles that match are listed live below.
//!
//! The screen's items, which Up and Down move through (wrapping), are the offered characters
//! followed by the titles listed; when no more titles match than the list shows, the titles
//! alone. Select takes an item: a character extends the prefix (and, while every matching title
//! goes on the same way, the prefix extends by itself); a title opens. Back undoes the last
//! choice, and leaves the search when there is none.

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
    /// The item the cursor is on.
    cursor: u32,
    /// How many titles the screen lists.
    rows: u32,
}

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

    /// Whether the strip of characters is shown (more titles match than the list holds).
    pub fn offers_shown(&self) -> bool {
        self.range.len() > self.rows
    }

    /// How many offers are items.
    fn offer_items(&self) -> u32 {
        if self.offers_shown() {
            self.offers.len()
        } else {
            0
        }
    }

    /// How many titles are listed.
    pub fn listed(&self) -> u32 {
        self.range.len().min(self.rows)
    }

    /// The number of items.
    pub fn items(&self) -> u32 {
        self.offer_items() + self.listed()
    }

    /// The item the cursor is on.
    pub fn cursor(&self) -> u32 {
        self.cursor
    }

    /// Item `i`.
    pub fn item<S: Storage>(&self, bundle: &mut Bundle<S>, i: u32) -> Result<Option<Item>, Error> {
        let offers = self.offer_items();
        if i < offers {
            return Ok(self.offers.get(bundle, i)?.map(|o| Item::Offer(o.c)));
        }
        let t = i - offers;
        Ok((t < self.listed()).then(|| Item::Title(self.range.start + t)))
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
        Ok(())
    }

    /// Acts on a key: `Up`/`Down` move (`true` for down), `Select` takes, `Back` undoes.
    pub fn handle<S: Storage>(
        &mut self,
        bundle: &mut Bundle<S>,
        key: SearchKey,
    ) -> Result<Outcome, Error> {
        let n = self.items();
        match key {
            SearchKey::Next if n > 0 => self.cursor = (self.cursor + 1) % n,
            SearchKey::Previous if n > 0 => self.cursor = (self.cursor + n - 1) % n,
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

/// The search screen's four actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SearchKey {
    /// To the next item.
    Next,
    /// To the previous item.
    Previous,
    /// Take the item: a character, or open a title.
    Take,
    /// Undo the last choice, or leave.
    Undo,
}
