//! What the reader remembers between sessions: where it is, the articles read last with their
//! places, and the bookmarks. Places are text offsets, not page numbers, so they stay right on
//! another display or text size. Keeping it in flash is the device's business (see the
//! `fieldpack-device` crate); this is the value.

/// A place in the bundle: an article and a byte offset into its text.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Place {
    /// Article number.
    pub article: u32,
    /// Byte offset into the article's text (the start of the page shown there).
    pub offset: u32,
}

/// Articles remembered in the history.
pub const HISTORY_LEN: usize = 8;

/// Bookmarks kept at most; setting one more forgets the oldest.
pub const BOOKMARKS_LEN: usize = 16;

/// Continue entries the library shows at its top.
pub const CONTINUE_ROWS: usize = 3;

/// The reader's memory of one bundle.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Memory {
    /// The articles read last, each once, most recent first; the first is where the reader is,
    /// or was when it was switched off.
    pub history: heapless::Vec<Place, HISTORY_LEN>,
    /// Whether the article screen was shown (power-on reopens the article, not the library).
    pub reading: bool,
    /// Bookmarks, oldest first.
    pub bookmarks: heapless::Vec<Place, BOOKMARKS_LEN>,
    /// Whether text is set in the larger size (the reader's setting, for every bundle).
    pub larger_text: bool,
}

/// What changed in a reader's memory: which items a device writes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Changes {
    /// Where the reader is, and the articles read last.
    pub history: bool,
    /// The bookmarks.
    pub bookmarks: bool,
    /// The settings (the text size).
    pub settings: bool,
}

impl Memory {
    /// Puts `place` first in the history, dropping the article's older place (and the oldest
    /// article when the history is full).
    pub fn visit(&mut self, place: Place) {
        if let Some(i) = self.history.iter().position(|p| p.article == place.article) {
            self.history.remove(i);
        }
        if self.history.is_full() {
            self.history.pop();
        }
        // Cannot fail: there is room now.
        let _ = self.history.insert(0, place);
    }

    /// Where the reader last was in `article`, if it is in the history.
    pub fn place_in(&self, article: u32) -> Option<Place> {
        self.history.iter().copied().find(|p| p.article == article)
    }

    /// Removes the bookmark of `article` in `from..to`, if there is one; else adds one at
    /// `from` (forgetting the oldest when full). Returns whether a bookmark is there now.
    pub fn toggle_bookmark(&mut self, article: u32, from: u32, to: u32) -> bool {
        let on_page = |b: &Place| b.article == article && b.offset >= from && b.offset < to;
        if let Some(i) = self.bookmarks.iter().position(on_page) {
            self.bookmarks.remove(i);
            return false;
        }
        if self.bookmarks.is_full() {
            self.bookmarks.remove(0);
        }
        let _ = self.bookmarks.push(Place {
            article,
            offset: from,
        });
        true
    }

    /// Whether a bookmark of `article` lies in `from..to`.
    pub fn has_bookmark(&self, article: u32, from: u32, to: u32) -> bool {
        self.bookmarks
            .iter()
            .any(|b| b.article == article && b.offset >= from && b.offset < to)
    }

    /// Drops every place that does not exist in a bundle of `count` articles, whose article
    /// `n` is `len(n)` bytes long (`None`: unreadable): memory saved for another bundle, or
    /// damaged, never opens a page that is not there.
    pub fn keep_valid(&mut self, count: u32, mut len: impl FnMut(u32) -> Option<u32>) {
        let mut ok = |p: &Place| p.article < count && len(p.article).is_some_and(|l| p.offset <= l);
        self.history.retain(&mut ok);
        self.bookmarks.retain(&mut ok);
        if self.history.is_empty() {
            self.reading = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_keeps_each_article_once_most_recent_first() {
        let mut m = Memory::default();
        for a in 0..10 {
            m.visit(Place {
                article: a,
                offset: a * 10,
            });
        }
        assert_eq!(m.history.len(), HISTORY_LEN);
        assert_eq!(m.history[0].article, 9);
        m.visit(Place {
            article: 5,
            offset: 7,
        });
        assert_eq!(
            m.history[0],
            Place {
                article: 5,
                offset: 7
            }
        );
        assert_eq!(m.history.iter().filter(|p| p.article == 5).count(), 1);
    }

    #[test]
    fn bookmarks_toggle_per_page() {
        let mut m = Memory::default();
        assert!(m.toggle_bookmark(1, 100, 200));
        assert!(m.has_bookmark(1, 100, 200));
        assert!(!m.has_bookmark(1, 200, 300));
        assert!(!m.toggle_bookmark(1, 100, 200));
        assert!(m.bookmarks.is_empty());
        for i in 0..BOOKMARKS_LEN as u32 + 1 {
            m.toggle_bookmark(i, 0, 1);
        }
        assert_eq!(m.bookmarks.len(), BOOKMARKS_LEN);
        assert_eq!(m.bookmarks[0].article, 1, "the oldest was forgotten");
    }

    #[test]
    fn places_outside_the_bundle_are_dropped() {
        let mut m = Memory::default();
        m.visit(Place {
            article: 3,
            offset: 50,
        });
        m.visit(Place {
            article: 1,
            offset: 5000,
        });
        m.reading = true;
        m.keep_valid(2, |_| Some(100));
        assert!(m.history.is_empty() && !m.reading);
    }
}
