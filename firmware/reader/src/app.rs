//! The reader's screens and navigation: a plain state value, `handle(Input)` then `draw`.

use core::fmt::Write as _;

use embedded_graphics::pixelcolor::PixelColor;
use embedded_graphics::prelude::*;
use fieldpack_format::layout::{MAX_INFO_LEN, MAX_META_LEN};
use fieldpack_format::{Bundle, Error, Inflater, SectionKind, Storage, VERSION};

use crate::draw::{fill, footer_font, ui_font, ui_text, DrawError};
use crate::layout::{OpenArticle, PageTable, TextPos, Typesetter};
use crate::memory::{Changes, Memory, Place, CONTINUE_ROWS};
use crate::profile::{Profile, Theme};
use crate::search::{Outcome, Search, SearchKey};

/// A button press.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Up: previous entry, previous page.
    Up,
    /// Down: next entry, next page.
    Down,
    /// Left: previous page (optional button).
    Left,
    /// Right: next page (optional button).
    Right,
    /// Select: open the entry.
    Select,
    /// Back: to the library; in the library, to the bundle's information.
    Back,
    /// A long press of Select: on a page, set or remove a bookmark; on the bookmarks screen,
    /// remove the one selected; in the library, find a title.
    Hold,
    /// A long press of Up (repeating while held): a screenful of entries up; on a page, a
    /// tenth of the article back; on the search screen, back to the boxes of characters.
    PageUp,
    /// A long press of Down (repeating while held): a screenful of entries down; on a page, a
    /// tenth of the article on; on the search screen, into the list of titles.
    PageDown,
}

impl Input {
    /// Every input, with its key-script word and what it does: for `--help` texts.
    pub const GESTURES: [(Input, &'static str, &'static str); 9] = [
        (Input::Up, "up", "previous entry or page"),
        (Input::Down, "down", "next entry or page"),
        (Input::Left, "left", "previous page; in the library, the bundle's information"),
        (Input::Right, "right", "next page; in a list, open"),
        (Input::Select, "select", "open; on a page, the next page"),
        (Input::Back, "back", "back to the library; from the library, the information"),
        (
            Input::Hold,
            "hold",
            "long press of Select: set or remove a bookmark on a page; remove one from the bookmarks; in the library, find a title",
        ),
        (
            Input::PageUp,
            "pageup",
            "long press of Up: a screenful of entries up; on a page, a tenth of the article back; in Find, back to the boxes",
        ),
        (
            Input::PageDown,
            "pagedown",
            "long press of Down: a screenful of entries down; on a page, a tenth of the article on; in Find, into the list of titles",
        ),
    ];

    /// The input of a key-script word (`up`, `down`, `left`, `right`, `select`, `back`, `hold`,
    /// `pageup`, `pagedown`).
    pub fn from_name(name: &str) -> Option<Input> {
        match name {
            "up" | "u" => Some(Input::Up),
            "down" | "d" => Some(Input::Down),
            "left" | "l" => Some(Input::Left),
            "right" | "r" => Some(Input::Right),
            "select" | "s" | "enter" => Some(Input::Select),
            "back" | "b" | "esc" => Some(Input::Back),
            "hold" | "h" | "long" => Some(Input::Hold),
            "pageup" | "pgup" => Some(Input::PageUp),
            "pagedown" | "pgdn" => Some(Input::PageDown),
            _ => None,
        }
    }
}

/// Which screen is shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Screen {
    /// The list of articles.
    Library,
    /// An article's page.
    Article,
    /// The bundle's information.
    Info,
    /// The bookmarks, most recent first.
    Bookmarks,
    /// Finding an article by its title.
    Find,
    /// What is wrong, in words a reader understands.
    Error {
        /// The problem.
        error: Error,
        /// Whether Back returns to the library (a damaged article, not a damaged bundle).
        recoverable: bool,
    },
}

/// A publisher key a device trusts, with the name it shows for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TrustedKey<'k> {
    /// The name shown on the info screen (the device's own word, not the bundle's).
    pub name: &'k str,
    /// The publisher's Ed25519 public key.
    pub public_key: [u8; 32],
}

/// Which bundles a device opens: the publishers it trusts, and whether it opens bundles that
/// none of them signed. A signed bundle whose bytes do not match its signature is never
/// shown, whatever the policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Trust<'k> {
    /// Trusted publishers.
    pub keys: &'k [TrustedKey<'k>],
    /// Refuse unsigned bundles and bundles signed by other keys.
    pub require_signed: bool,
}

/// Who signed the open bundle, as far as this device knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signed<'k> {
    /// Not signed.
    No,
    /// Signed by a publisher this device trusts, by the name it knows them by.
    Trusted(&'k str),
    /// Signed by a key this device does not know: the key's first four bytes.
    Unknown([u8; 4]),
}

/// The reader: an open bundle, the screen shown and where the reader is.
pub struct App<'a, S> {
    profile: Profile,
    signed: Signed<'a>,
    ts: Option<Typesetter<'a, S>>,
    screen: Screen,
    selected: u32,
    article: Option<OpenArticle>,
    pages: PageTable,
    page: u32,
    /// Where the page shown starts.
    page_start: TextPos,
    /// Where the reader has been: history and bookmarks.
    memory: Memory,
    /// The entry selected on the bookmarks screen (0: the most recent).
    bookmark_selected: u32,
    /// What changed in the memory since [`App::take_changes`]: bits [`CHANGED_HISTORY`],
    /// [`CHANGED_BOOKMARKS`], [`CHANGED_SETTINGS`]. A byte, not three flags: with three
    /// flags the 128x64 firmware's deepest stack (laying out an article) was 448 bytes deeper.
    changed: u8,
    /// The title search, while its screen is shown.
    search: Option<Search>,
    /// Whether the open article is paged (short: its pages counted on opening) or read by
    /// position (long: see [`PAGED_TEXT_MAX`]).
    paged: bool,
    /// In a long article, the starts of the pages turned from, to turn back the same way.
    trail: heapless::Vec<TextPos, TRAIL_LEN>,
}

/// Articles of at most this many bytes of text are laid out whole on opening, so their pages are
/// counted ("3/12"); longer ones open at once at any place, their pages laid out as they are
/// read, and show how far the reader is as a percentage (counting would make opening cost as
/// much as the article is long: 1.7 G instructions for 2 MiB at 128x64).
pub const PAGED_TEXT_MAX: u32 = 16 * 1024;

/// [`App`]'s change bit for the history item.
const CHANGED_HISTORY: u8 = 1;
/// [`App`]'s change bit for the bookmarks item.
const CHANGED_BOOKMARKS: u8 = 2;
/// [`App`]'s change bit for the settings item.
const CHANGED_SETTINGS: u8 = 4;

/// Page starts a long article remembers for turning back.
const TRAIL_LEN: usize = 8;

/// Geometry of the article screen's text area.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TextArea {
    /// Left edge.
    pub x: i32,
    /// Top edge.
    pub y: i32,
    /// Width.
    pub width: u32,
    /// Height.
    pub height: u32,
}

impl<'a, S: Storage> App<'a, S> {
    /// Opens the bundle in `storage` for `profile`, with the caller's inflate state and window
    /// (see [`Bundle::window_needed`]). A bundle that cannot be opened gives the error screen.
    pub fn new(
        storage: S,
        profile: Profile,
        inflater: &'a mut Inflater,
        window: &'a mut [u8],
    ) -> Self {
        Self::with_trust(storage, profile, inflater, window, Trust::default())
    }

    /// As [`App::new`], for a device that knows trusted publishers: an unsigned or unknown
    /// bundle is refused when `trust` requires a trusted signature.
    pub fn with_trust(
        storage: S,
        profile: Profile,
        inflater: &'a mut Inflater,
        window: &'a mut [u8],
        trust: Trust<'a>,
    ) -> Self {
        Self::with_checked_seal(storage, profile, inflater, window, trust, Ok(None))
    }

    /// As [`App::with_trust`], with the bundle's signature already checked by
    /// [`fieldpack_format::seal::Seal::check_bundle`] (a device does that first, before its
    /// reader's state is on the stack); a failed check shows its error screen.
    pub fn with_checked_seal(
        storage: S,
        profile: Profile,
        inflater: &'a mut Inflater,
        window: &'a mut [u8],
        trust: Trust<'a>,
        seal: Result<Option<fieldpack_format::seal::Seal>, Error>,
    ) -> Self {
        let mut signed = Signed::No;
        let opened = seal
            .and_then(|seal| Bundle::open_checked(storage, seal))
            .and_then(|b| {
                signed = match b.signer() {
                    None => Signed::No,
                    Some(s) => match trust.keys.iter().find(|k| k.public_key == s.public_key) {
                        Some(k) => Signed::Trusted(k.name),
                        None => {
                            let mut id = [0u8; 4];
                            id.copy_from_slice(s.public_key.get(..4).unwrap_or(&[0; 4]));
                            Signed::Unknown(id)
                        }
                    },
                };
                if trust.require_signed && !matches!(signed, Signed::Trusted(_)) {
                    return Err(Error::NotTrusted);
                }
                Ok(b)
            })
            .and_then(|b| Typesetter::new(b, inflater, window, profile.size_class));
        let (ts, screen) = match opened {
            Ok(ts) => (Some(ts), Screen::Library),
            Err(error) => (
                None,
                Screen::Error {
                    error,
                    recoverable: false,
                },
            ),
        };
        App {
            profile,
            signed,
            ts,
            screen,
            selected: 0,
            article: None,
            pages: PageTable::default(),
            page: 0,
            page_start: TextPos::default(),
            memory: Memory::default(),
            bookmark_selected: 0,
            changed: 0,
            search: None,
            paged: true,
            trail: heapless::Vec::new(),
        }
    }

    /// What changed in the memory since the last call. A device writes those items and nothing
    /// else.
    pub fn take_changes(&mut self) -> Changes {
        let bits = core::mem::take(&mut self.changed);
        Changes {
            history: bits & CHANGED_HISTORY != 0,
            bookmarks: bits & CHANGED_BOOKMARKS != 0,
            settings: bits & CHANGED_SETTINGS != 0,
        }
    }

    /// What the reader remembers (to be kept in the device's storage).
    pub fn memory(&self) -> &Memory {
        &self.memory
    }

    /// Takes up a memory saved for this bundle: places that do not exist in it are dropped;
    /// if the reader was reading, the article reopens on the page holding its place, else the
    /// library shows with the last article selected.
    pub fn restore(&mut self, mut memory: Memory) {
        let count = self.article_count();
        if let Some(ts) = self.ts.as_mut() {
            memory.keep_valid(count, |a| ts.bundle.article(a).ok().map(|r| r.raw_len));
        } else {
            return;
        }
        self.memory = memory;
        self.apply_text_size();
        let Some(&last) = self.memory.history.first() else {
            return;
        };
        if self.memory.reading {
            if let Err(e) = self.open_at(last) {
                self.fail(e);
            }
        } else {
            self.select_article(last.article);
        }
    }

    /// Sets text in the strike the memory's text size asks for. No article is open where the
    /// size changes (the information screen); one opened later is laid out in the new size.
    #[inline(never)]
    fn apply_text_size(&mut self) {
        let class = if self.memory.larger_text {
            self.profile.larger_class
        } else {
            self.profile.size_class
        };
        if let Some(ts) = self.ts.as_mut() {
            ts.set_size_class(class);
        }
        self.article = None;
    }

    /// The open bundle's identity (its Info `id`), when a bundle is open.
    pub fn bundle_id(&self) -> Option<[u8; 16]> {
        self.ts.as_ref().map(|t| t.bundle.id())
    }

    /// Who signed the open bundle.
    pub fn signed(&self) -> Signed<'a> {
        self.signed
    }

    /// The screen shown.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The article of the selected library entry.
    pub fn selected(&self) -> u32 {
        self.row_article(self.selected)
    }

    /// Continue entries at the top of the library.
    fn continue_rows(&self) -> u32 {
        self.memory.history.len().min(CONTINUE_ROWS) as u32
    }

    /// The library entry that opens the bookmarks, when there are any.
    fn bookmark_row(&self) -> Option<u32> {
        (!self.memory.bookmarks.is_empty()).then(|| self.continue_rows())
    }

    /// Library entries before the articles.
    fn extra_rows(&self) -> u32 {
        self.continue_rows() + u32::from(self.bookmark_row().is_some())
    }

    /// The article a library entry stands for.
    fn row_article(&self, row: u32) -> u32 {
        if let Some(p) = self.memory.history.get(row as usize) {
            if row < self.continue_rows() {
                return p.article;
            }
        }
        row.saturating_sub(self.extra_rows())
    }

    /// The bookmark shown at `i` on the bookmarks screen (most recent first).
    fn bookmark_at(&self, i: u32) -> Option<Place> {
        let n = self.memory.bookmarks.len();
        n.checked_sub(1 + i as usize)
            .and_then(|k| self.memory.bookmarks.get(k))
            .copied()
    }

    /// The page shown and the article's page count, on the article screen of a paged article
    /// (see [`PAGED_TEXT_MAX`]).
    pub fn page(&self) -> Option<(u32, u32)> {
        (self.screen == Screen::Article && self.paged).then_some((self.page, self.pages.count))
    }

    /// Where the page shown starts, on the article screen.
    pub fn page_start(&self) -> Option<TextPos> {
        (self.screen == Screen::Article).then_some(self.page_start)
    }

    /// Moves the library's selection to article `index` (clamped to the last), as if by
    /// pressing Down that often: for tools, tests and resuming where a reader left off.
    pub fn select_article(&mut self, index: u32) {
        let count = self.article_count();
        if count > 0 {
            self.selected = self.extra_rows() + index.min(count - 1);
        }
    }

    /// The display profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The typesetter, when a bundle is open (for tests and tools).
    pub fn typesetter(&mut self) -> Option<&mut Typesetter<'a, S>> {
        self.ts.as_mut()
    }

    fn article_count(&self) -> u32 {
        self.ts.as_ref().map_or(0, |t| t.bundle.article_count())
    }

    /// The text area of the article screen for a profile and line height.
    pub fn text_area(profile: &Profile, line_height: u32) -> TextArea {
        let margin = if profile.height < 100 { 2 } else { 6 };
        let top = if profile.has_title_bar() {
            line_height + 4 + margin
        } else {
            0
        };
        let footer = footer_font(profile.height).character_size.height + 1;
        let bottom_margin = if profile.height < 100 { 0 } else { 1 };
        TextArea {
            x: margin as i32,
            y: top as i32,
            width: profile.width - 2 * margin,
            height: profile.height.saturating_sub(top + footer + bottom_margin),
        }
    }

    fn fail(&mut self, error: Error) {
        self.screen = Screen::Error {
            error,
            recoverable: self.ts.is_some() && !matches!(error, Error::Storage(_)),
        };
    }

    /// Opens an article on the page holding `place`.
    fn open_at(&mut self, place: Place) -> Result<(), Error> {
        let Some(ts) = self.ts.as_mut() else {
            return Ok(());
        };
        let art = ts.open_article(place.article)?;
        let area = Self::text_area(&self.profile, ts.text_height());
        let target = ts.text_pos(&art, place.offset)?;
        self.trail.clear();
        if art.record.raw_len <= PAGED_TEXT_MAX {
            self.paged = true;
            self.pages = PageTable::build(ts, &art, area.width, area.height)?;
            let page = self
                .pages
                .page_at(ts, &art, target, area.width, area.height)?;
            self.article = Some(art);
            self.screen = Screen::Article;
            return self.go_to_page(page);
        }
        self.paged = false;
        self.pages = PageTable::default();
        let start = ts.line_start_at(&art, target, area.width)?;
        self.article = Some(art);
        self.screen = Screen::Article;
        self.show_from(start)
    }

    /// Shows the page that starts at `start`, and remembers it (a paged article's caller sets
    /// the page number).
    fn show_from(&mut self, start: TextPos) -> Result<(), Error> {
        let (Some(ts), Some(art)) = (self.ts.as_mut(), self.article) else {
            return Ok(());
        };
        self.page_start = start;
        self.page = 0;
        let offset = ts.text_offset(&art, start)?;
        self.memory.visit(Place {
            article: art.index,
            offset,
        });
        self.memory.reading = true;
        self.changed |= CHANGED_HISTORY;
        Ok(())
    }

    /// Turns a page of a long article: on to where this page ends, or back the way the reader
    /// came (else to the lines that fill a page before this one).
    fn turn_long(&mut self, forward: bool) -> Result<(), Error> {
        let (Some(ts), Some(art)) = (self.ts.as_mut(), self.article) else {
            return Ok(());
        };
        let area = Self::text_area(&self.profile, ts.text_height());
        let here = self.page_start;
        if forward {
            let end = ts.page(&art, here, area.width, area.height, |_, _, _| Ok(()))?;
            if end == here || ts.at_end(&art, end)? {
                return Ok(());
            }
            if self.trail.is_full() {
                self.trail.remove(0);
            }
            let _ = self.trail.push(here);
            return self.show_from(end);
        }
        if here == TextPos::default() {
            return Ok(());
        }
        let back = match self.trail.pop() {
            Some(p) => p,
            None => ts.page_before(&art, here, area.width, area.height)?,
        };
        self.show_from(back)
    }

    /// Moves to `percent` of the article's text: the page holding that place (a paged
    /// article), or one starting at the line holding it.
    pub fn jump_to_percent(&mut self, percent: u32) {
        let r = self.jump_to(|len| (u64::from(len) * u64::from(percent.min(100)) / 100) as u32);
        self.result(r);
    }

    /// Moves to the text offset `to` gives for the article's length.
    fn jump_to(&mut self, to: impl FnOnce(u32) -> u32) -> Result<(), Error> {
        let (Some(ts), Some(art)) = (self.ts.as_mut(), self.article) else {
            return Ok(());
        };
        let area = Self::text_area(&self.profile, ts.text_height());
        let len = art.record.raw_len;
        let offset = to(len).min(len.saturating_sub(1));
        let target = ts.text_pos(&art, offset)?;
        if self.paged {
            let page = self
                .pages
                .page_at(ts, &art, target, area.width, area.height)?;
            return self.go_to_page(page);
        }
        self.trail.clear();
        let start = ts.line_start_at(&art, target, area.width)?;
        self.show_from(start)
    }

    /// Shows page `n` of the open article, and remembers it.
    fn go_to_page(&mut self, n: u32) -> Result<(), Error> {
        let (Some(ts), Some(art)) = (self.ts.as_mut(), self.article) else {
            return Ok(());
        };
        let area = Self::text_area(&self.profile, ts.text_height());
        let start = self.pages.start(ts, &art, n, area.width, area.height)?;
        self.show_from(start)?;
        self.page = n;
        Ok(())
    }

    /// The text offsets where the page shown starts and ends (the next page's start).
    pub fn page_span(&mut self) -> Result<(u32, u32), Error> {
        let (Some(ts), Some(art)) = (self.ts.as_mut(), self.article) else {
            return Ok((0, 0));
        };
        let area = Self::text_area(&self.profile, ts.text_height());
        let end = ts.page(&art, self.page_start, area.width, area.height, |_, _, _| {
            Ok(())
        })?;
        let (from, to) = ts.span_offsets(&art, self.page_start, end)?;
        Ok((from, to))
    }

    fn result(&mut self, r: Result<(), Error>) {
        if let Err(e) = r {
            self.fail(e);
        }
    }

    /// Acts on a button press.
    // Not inlined into a board's loop, where its frame (every screen's locals) and the loop's
    // own stayed side by side under the deepest stack of all, laying out an article: the
    // 128x64 QEMU firmware measured 10,004 bytes of stack with it inlined, 9,484 without, past
    // and within its 32 KiB. (The Pico boards' stacks grow by 400 bytes this way, within 64 KiB.)
    #[inline(never)]
    pub fn handle(&mut self, input: Input) {
        let rows = self.extra_rows() + self.article_count();
        match self.screen {
            Screen::Library => match input {
                Input::Up if rows > 0 => self.selected = (self.selected + rows - 1) % rows,
                Input::Down if rows > 0 => self.selected = (self.selected + 1) % rows,
                // A screenful at a time, stopping at the ends (wrapping would hide where they are).
                Input::PageUp => {
                    self.selected = self.selected.saturating_sub(self.library_rows());
                }
                Input::PageDown if rows > 0 => {
                    self.selected = (self.selected + self.library_rows()).min(rows - 1);
                }
                Input::Hold if self.article_count() > 0 => {
                    let rows = self.search_rows();
                    if let Some(ts) = self.ts.as_mut() {
                        match Search::start(&mut ts.bundle, rows) {
                            Ok(s) => {
                                self.search = Some(s);
                                self.screen = Screen::Find;
                            }
                            Err(e) => self.fail(e),
                        }
                    }
                }
                Input::Select | Input::Right if rows > 0 => {
                    let row = self.selected;
                    if Some(row) == self.bookmark_row() {
                        self.bookmark_selected = 0;
                        self.screen = Screen::Bookmarks;
                    } else {
                        // An article opens where the reader left it, as its Continue entry does.
                        let article = self.row_article(row);
                        self.open_article(article);
                    }
                }
                Input::Back | Input::Left => self.screen = Screen::Info,
                _ => {}
            },
            Screen::Find => {
                let key = match input {
                    Input::Up => SearchKey::Up,
                    Input::Select | Input::Right => SearchKey::Select,
                    Input::Down => SearchKey::Down,
                    Input::PageDown => SearchKey::ToList,
                    Input::PageUp => SearchKey::ToBoxes,
                    Input::Back | Input::Left => SearchKey::Undo,
                    Input::Hold => return,
                };
                let (Some(ts), Some(search)) = (self.ts.as_mut(), self.search.as_mut()) else {
                    return;
                };
                match search.handle(&mut ts.bundle, key) {
                    Ok(Outcome::Stay) => {}
                    Ok(Outcome::Open(article)) => {
                        self.search = None;
                        self.open_article(article);
                    }
                    Ok(Outcome::Leave) => {
                        self.search = None;
                        self.screen = Screen::Library;
                    }
                    Err(e) => self.fail(e),
                }
            }
            Screen::Article => match input {
                Input::PageDown | Input::PageUp => {
                    let r = self.jump_tenth(input == Input::PageDown);
                    self.result(r);
                }
                Input::Down | Input::Right | Input::Select if !self.paged => {
                    let r = self.turn_long(true);
                    self.result(r);
                }
                Input::Up | Input::Left if !self.paged => {
                    let r = self.turn_long(false);
                    self.result(r);
                }
                Input::Down | Input::Right | Input::Select => {
                    if self.page + 1 < self.pages.count {
                        let r = self.go_to_page(self.page + 1);
                        self.result(r);
                    }
                }
                Input::Up | Input::Left => {
                    if self.page > 0 {
                        let r = self.go_to_page(self.page - 1);
                        self.result(r);
                    }
                }
                Input::Hold => {
                    let article = self.article.map_or(0, |a| a.index);
                    match self.page_span() {
                        Ok((from, to)) => {
                            self.memory.toggle_bookmark(article, from, to);
                            self.changed |= CHANGED_BOOKMARKS;
                        }
                        Err(e) => self.fail(e),
                    }
                }
                Input::Back => self.leave_article(),
            },
            Screen::Bookmarks => {
                let n = self.memory.bookmarks.len() as u32;
                match input {
                    Input::Up if n > 0 => {
                        self.bookmark_selected = (self.bookmark_selected + n - 1) % n
                    }
                    Input::Down if n > 0 => {
                        self.bookmark_selected = (self.bookmark_selected + 1) % n
                    }
                    Input::Select | Input::Right => {
                        if let Some(place) = self.bookmark_at(self.bookmark_selected) {
                            let r = self.open_at(place);
                            self.result(r);
                        }
                    }
                    Input::Hold => {
                        let k = (n as usize).checked_sub(1 + self.bookmark_selected as usize);
                        if let Some(k) = k {
                            self.memory.bookmarks.remove(k);
                            self.changed |= CHANGED_BOOKMARKS;
                        }
                        let left = self.memory.bookmarks.len() as u32;
                        if left == 0 {
                            self.screen = Screen::Library;
                            self.selected = 0;
                        } else {
                            self.bookmark_selected = self.bookmark_selected.min(left - 1);
                        }
                    }
                    Input::Back | Input::Left => {
                        self.screen = Screen::Library;
                        self.selected = self.bookmark_row().unwrap_or(0);
                    }
                    _ => {}
                }
            }
            Screen::Info => match input {
                Input::Back | Input::Right => self.screen = Screen::Library,
                Input::Select => {
                    // The text size: every screen is set again in the other strike.
                    self.memory.larger_text = !self.memory.larger_text;
                    self.changed |= CHANGED_SETTINGS;
                    self.apply_text_size();
                }
                _ => {}
            },
            Screen::Error { recoverable, .. } => {
                if recoverable && matches!(input, Input::Back | Input::Select) {
                    self.screen = Screen::Library;
                    self.article = None;
                    self.memory.reading = false;
                    self.changed |= CHANGED_HISTORY;
                }
            }
        }
    }

    /// Opens an article where the reader left it (as its Continue entry does), else at its start.
    fn open_article(&mut self, article: u32) {
        let place = self
            .memory
            .place_in(article)
            .unwrap_or(Place { article, offset: 0 });
        let r = self.open_at(place);
        self.result(r);
    }

    /// Moves a tenth of the article's text on (or back).
    fn jump_tenth(&mut self, forward: bool) -> Result<(), Error> {
        let (Some(ts), Some(art)) = (self.ts.as_mut(), self.article) else {
            return Ok(());
        };
        let here = ts.text_offset(&art, self.page_start)?;
        self.jump_to(|len| {
            let step = (len / 10).max(1);
            if forward {
                here.saturating_add(step)
            } else {
                here.saturating_sub(step)
            }
        })
    }

    /// Height of the bar at the top of the lists and the information screen.
    fn bar_height(&self) -> u32 {
        ui_font(self.profile.height).character_size.height + 2
    }

    /// Height of a library entry for a line height: two lines where the profile has room.
    fn entry_height(&self, lh: u32) -> u32 {
        if self.profile.two_line_entries() {
            lh * 2 + 4
        } else {
            lh + 1
        }
    }

    /// Entries the library shows at once.
    pub fn library_rows(&self) -> u32 {
        let lh = self.ts.as_ref().map_or(16, |t| t.line_height());
        ((self.profile.height - self.bar_height()) / self.entry_height(lh)).max(1)
    }

    /// Titles the search screen lists below its prefix and boxes.
    fn search_rows(&self) -> u32 {
        let lh = self.ts.as_ref().map_or(16, |t| t.line_height());
        let used = self.bar_height() + 1 + lh;
        (self.profile.height.saturating_sub(used) / (lh + 1)).max(1)
    }

    /// The search, for tools and tests: the prefix, the boxes and the list's cursor.
    pub fn search(&self) -> Option<&Search> {
        self.search.as_ref().filter(|_| self.screen == Screen::Find)
    }

    /// Back from a page to the library, at the article's own entry.
    fn leave_article(&mut self) {
        let article = self.article.map_or(0, |a| a.index);
        self.screen = Screen::Library;
        self.article = None;
        self.memory.reading = false;
        self.changed |= CHANGED_HISTORY;
        self.select_article(article);
    }

    /// Draws the current screen. A bundle error met while drawing replaces the screen with the
    /// error screen, which is drawn instead.
    pub fn draw<D, C>(&mut self, target: &mut D, theme: &Theme<C>) -> Result<(), D::Error>
    where
        D: DrawTarget<Color = C>,
        C: PixelColor,
    {
        // At most two attempts: the screen, then the error screen (which reads no bundle).
        for _ in 0..2 {
            target.clear(theme.background)?;
            let result = match self.screen {
                Screen::Library => self.draw_library(target, theme),
                Screen::Article => self.draw_article(target, theme),
                Screen::Info => self.draw_info(target, theme),
                Screen::Bookmarks => self.draw_bookmarks(target, theme),
                Screen::Find => self.draw_search(target, theme),
                Screen::Error { error, recoverable } => {
                    draw_error(target, theme, &self.profile, &error, recoverable)
                }
            };
            match result {
                Ok(()) => return Ok(()),
                Err(DrawError::Target(e)) => return Err(e),
                Err(DrawError::Bundle(e)) => self.fail(e),
            }
        }
        Ok(())
    }

    fn header<D: DrawTarget<Color = C>, C: PixelColor>(
        &self,
        target: &mut D,
        theme: &Theme<C>,
        left: &str,
        right: &str,
    ) -> Result<i32, DrawError<D::Error>> {
        let font = ui_font(self.profile.height);
        let h = self.bar_height();
        fill(target, 0, 0, self.profile.width, h, theme.bar)?;
        ui_text(target, font, left, Point::new(2, 1), theme.bar_text)?;
        let rw = right.len() as u32 * font.character_size.width;
        ui_text(
            target,
            font,
            right,
            Point::new(self.profile.width as i32 - rw as i32 - 2, 1),
            theme.bar_text,
        )?;
        Ok(h as i32)
    }

    fn draw_library<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        theme: &Theme<C>,
    ) -> Result<(), DrawError<D::Error>> {
        let count = self.article_count();
        let continue_rows = self.continue_rows();
        let bookmark_row = self.bookmark_row();
        let extra = self.extra_rows();
        let rows = extra + count;
        let bookmarks = self.memory.bookmarks.len();
        let visible = self.library_rows();
        let item_h = self.entry_height(self.ts.as_ref().map_or(16, |t| t.line_height()));
        let mut pos: heapless::String<24> = heapless::String::new();
        if count > 0 {
            // The counter counts articles; on a Continue entry, that article's number.
            let _ = write_count(&mut pos, self.selected() + 1);
            let _ = pos.push('/');
            let _ = write_count(&mut pos, count);
        }
        let top = self.header(target, theme, "Library", &pos)?;
        let profile = self.profile;
        let Some(ts) = self.ts.as_mut() else {
            return Ok(());
        };
        let font = ui_font(profile.height);
        if count == 0 {
            return ui_text(
                target,
                font,
                "This bundle has no articles.",
                Point::new(2, top + 4),
                theme.text,
            );
        }
        let lh = ts.line_height();
        let two = profile.two_line_entries();
        // Keep the selection in view, a little below the top when possible.
        let first = self
            .selected
            .saturating_sub(visible.saturating_sub(1) / 2)
            .min(rows.saturating_sub(visible));
        let margin = if profile.height < 100 { 2 } else { 6 };
        let text_w = profile.width - 2 * margin;
        for row in 0..visible {
            let i = first + row;
            if i >= rows {
                break;
            }
            let y = top + 1 + (row * item_h) as i32;
            let selected = i == self.selected;
            let (fg, muted) = if selected {
                fill(target, 0, y, profile.width, item_h, theme.bar)?;
                (theme.bar_ink(), theme.bar_ink())
            } else {
                (theme.text_ink(), theme.muted_ink())
            };
            if Some(i) == bookmark_row {
                let mut label: heapless::String<32> = heapless::String::new();
                let _ = write!(label, "Bookmarks ({bookmarks})");
                let fy = y + (item_h as i32 - font.character_size.height as i32) / 2;
                ui_text(target, font, &label, Point::new(margin as i32, fy), fg.full)?;
                continue;
            }
            let (article, place) = match self.memory.history.get(i as usize) {
                Some(p) if i < continue_rows => (p.article, Some(*p)),
                _ => (i - extra, None),
            };
            let rec = ts.bundle.article(article)?;
            let mut buf = [0u8; MAX_META_LEN];
            let meta = ts.bundle.meta(&rec, &mut buf)?;
            let mut x = margin as i32;
            let mut w = text_w;
            if place.is_some() && !two {
                // One line: a mark before the title says "continue here".
                let mark = font.character_size.width * 2;
                let fy = y + (lh as i32 - font.character_size.height as i32) / 2 + 1;
                ui_text(target, font, ">", Point::new(x, fy), fg.full)?;
                x += mark as i32;
                w = w.saturating_sub(mark);
            }
            ts.draw_str(target, meta.title, x, y + 1, w, fg)?;
            if two {
                if let Some(p) = place {
                    let mut line: heapless::String<48> = heapless::String::new();
                    let percent = u64::from(p.offset) * 100 / u64::from(rec.raw_len.max(1));
                    let _ = write!(line, "Continue reading, {percent}%");
                    ui_text(
                        target,
                        font,
                        &line,
                        Point::new(margin as i32, y + 3 + lh as i32),
                        muted.full,
                    )?;
                    continue;
                }
                let mut second: heapless::String<192> = heapless::String::new();
                // Where titles collide, the note that tells this one apart; else what is known.
                let parts = match meta.note {
                    Some(note) => [meta.lang, Some(note), None],
                    None => [meta.lang, meta.date, meta.source],
                };
                for part in parts.into_iter().flatten() {
                    if !second.is_empty() {
                        let _ = second.push_str(" · ");
                    }
                    if second.push_str(part).is_err() {
                        break;
                    }
                }
                ts.draw_str(
                    target,
                    &second,
                    margin as i32,
                    y + 2 + lh as i32,
                    text_w,
                    muted,
                )?;
            }
        }
        Ok(())
    }

    fn draw_search<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        theme: &Theme<C>,
    ) -> Result<(), DrawError<D::Error>> {
        let Some(search) = self.search.as_ref() else {
            return Ok(());
        };
        let range = search.range();
        let mut count: heapless::String<32> = heapless::String::new();
        let _ = write_count(&mut count, range.len());
        let _ = count.push('/');
        // Out of every title the search looks through: articles' own and their other names.
        let titles = self.ts.as_ref().map_or(0, |t| t.bundle.title_count());
        let _ = write_count(&mut count, titles);
        // Which key picks which box, where the bar has room to say it.
        let label = if self.profile.width >= 240 {
            "Find: Up / Select / Down"
        } else {
            "Find"
        };
        let top = self.header(target, theme, label, &count)?;
        let profile = self.profile;
        let (Some(ts), Some(search)) = (self.ts.as_mut(), self.search.as_ref()) else {
            return Ok(());
        };
        let lh = ts.line_height();
        let margin: u32 = if profile.height < 100 { 2 } else { 6 };
        let right = profile.width - margin;
        let y = top + 1;
        let cursor = search.cursor();
        let strip = search.offers_shown();
        let in_list = search.in_list();
        // The prefix, its tail when it is too long, then a caret.
        let prefix = search.prefix();
        let room = if strip {
            profile.width * 2 / 5
        } else {
            right - margin
        };
        let mut tail = prefix;
        for (i, _) in prefix.char_indices() {
            tail = prefix.get(i..).unwrap_or("");
            if ts.measure(tail)? <= room {
                break;
            }
        }
        let pen = ts.draw_str(target, tail, margin as i32, y, room, theme.text_ink())?;
        let caret_x = margin as i32 + pen as i32 + 1;
        fill(target, caret_x, y + 1, 1, lh.saturating_sub(2), theme.text)?;
        if strip {
            // Three boxes of characters, the likeliest on the left, each with as many of its
            // characters as fit (then an ellipsis); a line between boxes.
            let left = (caret_x + 4) as u32;
            let box_w = right.saturating_sub(left) / 3;
            let gap = 2u32;
            let ellipsis = ts.advance('…')?;
            for (k, &(a, b)) in search.boxes().iter().enumerate() {
                let x0 = left + box_w * k as u32;
                if k > 0 {
                    fill(
                        target,
                        x0 as i32 - 1,
                        y + 1,
                        1,
                        lh.saturating_sub(3),
                        theme.muted,
                    )?;
                }
                let ink = if in_list {
                    theme.muted_ink()
                } else {
                    theme.text_ink()
                };
                let end = x0 + box_w;
                let mut x = x0 + gap;
                for r in a..b {
                    let Some(o) = search.offers().get(&mut ts.bundle, r)? else {
                        break;
                    };
                    let w = ts.advance(o.c)?.max(lh / 3) + 1;
                    let room_needed = if r + 1 < b { w + ellipsis } else { w };
                    if x + room_needed > end {
                        if let Some(g) = ts.glyph('…')? {
                            ts.draw_glyph(target, &g, x as i32, y + 1, ink)?;
                        }
                        break;
                    }
                    if o.c == ' ' {
                        // A space has no ink: drawn as an open box, as on a keyboard.
                        let bw = w.saturating_sub(2).max(3);
                        let by = y + lh as i32 - 4;
                        fill(target, x as i32, by, bw, 1, ink.full)?;
                        fill(target, x as i32, by - 2, 1, 2, ink.full)?;
                        fill(target, (x + bw) as i32 - 1, by - 2, 1, 2, ink.full)?;
                    } else if let Some(g) = ts.glyph(o.c)? {
                        ts.draw_glyph(target, &g, x as i32, y + 1, ink)?;
                    }
                    x += w;
                }
            }
        }
        // The matching titles, scrolled to keep the cursor's in view.
        let list_y = y + lh as i32;
        let item_h = lh + 1;
        let rows = search.rows();
        let listed = search.listed();
        let first = if in_list {
            cursor
                .saturating_sub(rows.saturating_sub(1) / 2)
                .min(listed.saturating_sub(rows))
        } else {
            0
        };
        for row in 0..rows.min(listed) {
            let t = first + row;
            let pos = range.start + t;
            let row_y = list_y + (row * item_h) as i32;
            let fg = if in_list && t == cursor {
                fill(target, 0, row_y, profile.width, item_h, theme.bar)?;
                theme.bar_ink()
            } else {
                theme.text_ink()
            };
            let entry = ts.bundle.title_entry(pos)?;
            let rec = ts.bundle.article(entry.article)?;
            let mut buf = [0u8; MAX_META_LEN];
            let meta = ts.bundle.meta(&rec, &mut buf)?;
            let mut x = margin;
            if let Some(k) = entry.alias {
                // An alias is listed as "alias → title": the name typed, then where it leads,
                // the name taking at most half the row when the title needs the rest.
                let mut abuf = [0u8; fieldpack_format::layout::MAX_ALIAS_LEN];
                let (_, name) = ts.bundle.alias(k, &mut abuf)?;
                let arrow = " \u{2192} ";
                let row = right.saturating_sub(margin);
                let wanted = ts.measure(meta.title)?.saturating_add(ts.measure(arrow)?);
                let room = row.saturating_sub(wanted.min(row / 2));
                x = x.saturating_add(ts.draw_str(target, name, x as i32, row_y + 1, room, fg)?);
                let room = right.saturating_sub(x);
                x = x.saturating_add(ts.draw_str(target, arrow, x as i32, row_y + 1, room, fg)?);
            }
            let room = right.saturating_sub(x);
            ts.draw_str(target, meta.title, x as i32, row_y + 1, room, fg)?;
        }
        Ok(())
    }

    fn draw_bookmarks<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        theme: &Theme<C>,
    ) -> Result<(), DrawError<D::Error>> {
        let n = self.memory.bookmarks.len() as u32;
        let mut pos: heapless::String<24> = heapless::String::new();
        if n > 0 {
            let _ = write!(pos, "{}/{}", self.bookmark_selected + 1, n);
        }
        let top = self.header(target, theme, "Bookmarks", &pos)?;
        let profile = self.profile;
        let selected = self.bookmark_selected;
        let Some(ts) = self.ts.as_mut() else {
            return Ok(());
        };
        let font = ui_font(profile.height);
        let lh = ts.line_height();
        let item_h = lh + 1;
        let visible = ((profile.height - top as u32) / item_h).max(1);
        let first = selected
            .saturating_sub(visible.saturating_sub(1) / 2)
            .min(n.saturating_sub(visible));
        let margin = if profile.height < 100 { 2 } else { 6 };
        for row in 0..visible {
            let i = first + row;
            // Most recent first.
            let Some(p) = (n as usize)
                .checked_sub(1 + i as usize)
                .and_then(|k| self.memory.bookmarks.get(k))
            else {
                break;
            };
            let y = top + 1 + (row * item_h) as i32;
            let fg = if i == selected {
                fill(target, 0, y, profile.width, item_h, theme.bar)?;
                theme.bar_ink()
            } else {
                theme.text_ink()
            };
            let rec = ts.bundle.article(p.article)?;
            let mut label: heapless::String<8> = heapless::String::new();
            let percent = u64::from(p.offset) * 100 / u64::from(rec.raw_len.max(1));
            let _ = write!(label, "{percent}%");
            let lw = label.len() as u32 * font.character_size.width;
            let fy = y + (lh as i32 - font.character_size.height as i32) / 2 + 1;
            ui_text(
                target,
                font,
                &label,
                Point::new((profile.width - margin - lw) as i32, fy),
                fg.full,
            )?;
            let mut buf = [0u8; MAX_META_LEN];
            let meta = ts.bundle.meta(&rec, &mut buf)?;
            let w = profile.width.saturating_sub(2 * margin + lw + 4);
            ts.draw_str(target, meta.title, margin as i32, y + 1, w, fg)?;
        }
        Ok(())
    }

    fn draw_article<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        theme: &Theme<C>,
    ) -> Result<(), DrawError<D::Error>> {
        let profile = self.profile;
        let (Some(ts), Some(art)) = (self.ts.as_mut(), self.article) else {
            return Ok(());
        };
        let th = ts.text_height();
        let area = Self::text_area(&profile, th);
        if profile.has_title_bar() {
            // The title is one of the article's lines: its rows, in a bar around them.
            fill(target, 0, 0, profile.width, th + 4, theme.bar)?;
            let mut buf = [0u8; MAX_META_LEN];
            let meta = ts.bundle.meta(&art.record, &mut buf)?;
            let top = 2 - ts.text_shift();
            // The bar follows the article's direction: a right-to-left title sits at the right.
            let x = if art.rtl {
                let w = ts.measure(meta.title)?.min(area.width);
                area.x.saturating_add(area.width.saturating_sub(w) as i32)
            } else {
                area.x
            };
            ts.draw_str(target, meta.title, x, top, area.width, theme.bar_ink())?;
        }
        let start = self.page_start;
        let mut failed: Option<DrawError<D::Error>> = None;
        let ink = theme.text_ink();
        let end = ts.page(&art, start, area.width, area.height, |ts, line, y| {
            if failed.is_none() {
                if let Err(e) =
                    ts.draw_line(target, &art, line, area.x, area.width, area.y + y, ink)
                {
                    failed = Some(e);
                }
            }
            Ok(())
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        // A ribbon in the top right corner marks a page with a bookmark.
        let (from, to) = ts.span_offsets(&art, start, end)?;
        if self.memory.has_bookmark(art.index, from, to) {
            let (w, h) = if profile.height < 100 {
                (2, 7)
            } else {
                (5, 11)
            };
            let color = if profile.has_title_bar() {
                theme.bar_text
            } else {
                theme.text
            };
            fill(target, (profile.width - w - 1) as i32, 0, w, h, color)?;
        }
        let font = footer_font(profile.height);
        let fh = font.character_size.height;
        let y = (profile.height - fh) as i32;
        let mut s: heapless::String<24> = heapless::String::new();
        // How far into the article this page ends: of the pages, or of the text of a long one.
        let (done_part, whole) = if self.paged {
            let _ = write!(s, "{}/{}", self.page + 1, self.pages.count.max(1));
            (self.page + 1, self.pages.count.max(1))
        } else {
            let len = art.record.raw_len.max(1);
            let through = if ts.at_end(&art, end)? {
                len
            } else {
                to.min(len)
            };
            // Rounded up: a page read is never "0%".
            let _ = write!(
                s,
                "{}%",
                (u64::from(through) * 100).div_ceil(u64::from(len))
            );
            (through, len)
        };
        let w = s.len() as u32 * font.character_size.width;
        // A progress rule along the bottom, filling in the article's reading direction: from
        // the right in a right-to-left article, its count then at the left.
        let rule_w = profile.width.saturating_sub(w + 8);
        let done = (u64::from(rule_w) * u64::from(done_part) / u64::from(whole)) as u32;
        let (rule_x, count_x) = if art.rtl {
            ((w + 6) as i32, 2)
        } else {
            (2, (profile.width - w - 2) as i32)
        };
        let done_x = if art.rtl {
            rule_x.saturating_add(rule_w.saturating_sub(done) as i32)
        } else {
            rule_x
        };
        fill(target, rule_x, y + fh as i32 / 2, rule_w, 1, theme.muted)?;
        fill(target, done_x, y + fh as i32 / 2 - 1, done, 3, theme.text)?;
        ui_text(target, font, &s, Point::new(count_x, y), theme.muted)
    }

    fn draw_info<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        theme: &Theme<C>,
    ) -> Result<(), DrawError<D::Error>> {
        // The text size setting, changed here with Select.
        let (about, size) = match (self.profile.height < 100, self.memory.larger_text) {
            (true, false) => ("About", "Select: larger text"),
            (true, true) => ("About", "Select: normal text"),
            (false, false) => ("About this bundle", "Select: larger text"),
            (false, true) => ("About this bundle", "Select: normal text"),
        };
        let top = self.header(target, theme, about, size)?;
        let profile = self.profile;
        let font = ui_font(profile.height);
        let fh = font.character_size.height as i32;
        let Some(ts) = self.ts.as_mut() else {
            return Ok(());
        };
        let lh = ts.line_height() as i32;
        let mut buf = [0u8; MAX_INFO_LEN];
        let count = ts.bundle.article_count();
        let window = ts.bundle.window_needed();
        let info = ts.bundle.info(&mut buf)?;
        let mut y = top + 2;
        let w = profile.width - 4;
        ts.draw_str(target, info.title, 2, y, w, theme.text_ink())?;
        y += lh;
        if !info.creator.is_empty() {
            ts.draw_str(target, info.creator, 2, y, w, theme.muted_ink())?;
            y += lh;
        }
        let mut s: heapless::String<64> = heapless::String::new();
        let _ = write!(s, "{count} articles");
        ui_text(target, font, &s, Point::new(2, y), theme.text)?;
        y += fh + 1;
        s.clear();
        let _ = write!(s, "Made {}", info.created.unwrap_or("(date not recorded)"));
        ui_text(target, font, &s, Point::new(2, y), theme.text)?;
        y += fh + 1;
        s.clear();
        let _ = write!(s, "Format v{VERSION}, {} KiB window", window.div_ceil(1024));
        ui_text(target, font, &s, Point::new(2, y), theme.muted)?;
        y += fh + 1;
        match self.signed {
            Signed::No => ui_text(target, font, "Not signed", Point::new(2, y), theme.muted),
            Signed::Unknown(id) => {
                s.clear();
                let _ = write!(
                    s,
                    "Signed by unknown key {:02x}{:02x}{:02x}{:02x}",
                    id[0], id[1], id[2], id[3]
                );
                ui_text(target, font, &s, Point::new(2, y), theme.text)
            }
            Signed::Trusted(name) => {
                let w = ts.measure("Signed: ")?;
                ts.draw_str(target, "Signed: ", 2, y, w, theme.text_ink())?;
                ts.draw_str(
                    target,
                    name,
                    2 + w as i32,
                    y,
                    profile.width.saturating_sub(4 + w),
                    theme.text_ink(),
                )?;
                Ok(())
            }
        }
    }
}

/// Writes a count with thin groups of three digits ("100,000"), as a person reads it.
fn write_count(out: &mut impl core::fmt::Write, n: u32) -> core::fmt::Result {
    let mut groups = [0u32; 4];
    let mut k = 0;
    let mut rest = n;
    while rest >= 1000 {
        let Some(g) = groups.get_mut(k) else { break };
        *g = rest % 1000;
        rest /= 1000;
        k += 1;
    }
    write!(out, "{rest}")?;
    for g in groups.iter().take(k).rev() {
        write!(out, ",{g:03}")?;
    }
    Ok(())
}

/// What a field worker is told about a bundle problem.
pub fn error_message(error: &Error, out: &mut impl core::fmt::Write) -> core::fmt::Result {
    match *error {
        Error::NotABundle => out.write_str(
            "No Fieldpack bundle found. Copy a .fpk file made by 'fieldpack build' to the device.",
        ),
        Error::UnsupportedVersion { found, supported } => write!(
            out,
            "This bundle is format version {found}; this device reads version {supported}. Update the device or rebuild the bundle."
        ),
        Error::Truncated { expected, actual } => write!(
            out,
            "The bundle is incomplete ({actual} of {expected} bytes). Copy it to the device again."
        ),
        Error::Corrupt { section, offset } => write!(
            out,
            "The bundle is damaged ({}, byte {offset}). Copy it to the device again.",
            section_words(section)
        ),
        Error::MissingSection(kind) => write!(
            out,
            "The bundle has no {}. Rebuild it with 'fieldpack build'.",
            section_words(kind)
        ),
        Error::NoSuchArticle { index, count } => write!(
            out,
            "Article {} is not in this bundle ({count} articles).",
            index + 1
        ),
        Error::BufferTooSmall { needed, available } => write!(
            out,
            "This bundle needs {} KiB of memory; this device has {}. Rebuild it with 'fieldpack build --device 128x64'.",
            needed.div_ceil(1024),
            available / 1024
        ),
        Error::Storage(_) => out.write_str("The storage (card or flash) cannot be read."),
        Error::Tampered { offset } => write!(
            out,
            "This bundle was changed after its publisher signed it (byte {offset}). Do not trust it; get a new copy."
        ),
        Error::BadSignature => out.write_str(
            "This bundle's signature is not valid. Do not trust it; get a new copy.",
        ),
        Error::NotTrusted => out.write_str(
            "This device only opens bundles signed by a publisher it trusts, and this one is not.",
        ),
        _ => out.write_str("The bundle cannot be read."),
    }
}

fn section_words(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Header => "file header",
        SectionKind::Bodies => "article text",
        SectionKind::Glyphs => "letter shapes",
        other => other.name(),
    }
}

/// Draws the error screen: a heading and the message, wrapped, in the built-in font.
pub fn draw_error<D: DrawTarget<Color = C>, C: PixelColor>(
    target: &mut D,
    theme: &Theme<C>,
    profile: &Profile,
    error: &Error,
    recoverable: bool,
) -> Result<(), DrawError<D::Error>> {
    let font = ui_font(profile.height);
    let cw = font.character_size.width;
    let fh = font.character_size.height;
    fill(target, 0, 0, profile.width, fh + 2, theme.alert)?;
    let heading = if recoverable {
        "Cannot show this article"
    } else {
        "Cannot open the bundle"
    };
    ui_text(target, font, heading, Point::new(2, 1), theme.bar_text)?;
    let mut msg: heapless::String<256> = heapless::String::new();
    let _ = error_message(error, &mut msg);
    let cols = ((profile.width - 4) / cw).max(1) as usize;
    let mut y = (fh + 4) as i32;
    let bottom = profile.height as i32 - if recoverable { fh as i32 + 1 } else { 0 };
    let mut line: heapless::String<64> = heapless::String::new();
    let mut words = msg.split(' ').peekable();
    while let Some(word) = words.next() {
        let fits = line.len() + usize::from(!line.is_empty()) + word.len() <= cols.min(64);
        if !fits && !line.is_empty() {
            if y + fh as i32 > bottom {
                break;
            }
            ui_text(target, font, &line, Point::new(2, y), theme.text)?;
            y += fh as i32 + 1;
            line.clear();
        }
        if !line.is_empty() {
            let _ = line.push(' ');
        }
        for c in word.chars() {
            if line.push(c).is_err() {
                break;
            }
        }
        if words.peek().is_none() && y + fh as i32 <= bottom {
            ui_text(target, font, &line, Point::new(2, y), theme.text)?;
        }
    }
    if recoverable {
        ui_text(
            target,
            font,
            "Back: library",
            Point::new(2, profile.height as i32 - fh as i32 - 1),
            theme.muted,
        )?;
    }
    Ok(())
}
