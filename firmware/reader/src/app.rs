//! The reader's screens and navigation: a plain state value, `handle(Input)` then `draw`.

use core::fmt::Write as _;

use embedded_graphics::pixelcolor::PixelColor;
use embedded_graphics::prelude::*;
use fieldpack_format::layout::{MAX_INFO_LEN, MAX_META_LEN};
use fieldpack_format::{Bundle, Error, Inflater, SectionKind, Storage, VERSION};

use crate::draw::{fill, footer_font, ui_font, ui_text, DrawError};
use crate::layout::{OpenArticle, PageTable, Typesetter};
use crate::profile::{Profile, Theme};

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
}

impl Input {
    /// The input of a key-script word (`up`, `down`, `left`, `right`, `select`, `back`).
    pub fn from_name(name: &str) -> Option<Input> {
        match name {
            "up" | "u" => Some(Input::Up),
            "down" | "d" => Some(Input::Down),
            "left" | "l" => Some(Input::Left),
            "right" | "r" => Some(Input::Right),
            "select" | "s" | "enter" => Some(Input::Select),
            "back" | "b" | "esc" => Some(Input::Back),
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
}

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
        let mut signed = Signed::No;
        let opened = Bundle::open(storage)
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
        }
    }

    /// Who signed the open bundle.
    pub fn signed(&self) -> Signed<'a> {
        self.signed
    }

    /// The screen shown.
    pub fn screen(&self) -> Screen {
        self.screen
    }

    /// The selected article in the library.
    pub fn selected(&self) -> u32 {
        self.selected
    }

    /// The page shown and the article's page count, on the article screen.
    pub fn page(&self) -> Option<(u32, u32)> {
        (self.screen == Screen::Article).then_some((self.page, self.pages.count))
    }

    /// Moves the library's selection to article `index` (clamped to the last), as if by
    /// pressing Down that often: for tools, tests and resuming where a reader left off.
    pub fn select_article(&mut self, index: u32) {
        let count = self.article_count();
        if count > 0 {
            self.selected = index.min(count - 1);
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

    fn open_selected(&mut self) -> Result<(), Error> {
        let Some(ts) = self.ts.as_mut() else {
            return Ok(());
        };
        let art = ts.open_article(self.selected)?;
        let area = Self::text_area(&self.profile, ts.line_height());
        self.pages = PageTable::build(ts, &art, area.width, area.height)?;
        self.article = Some(art);
        self.page = 0;
        self.screen = Screen::Article;
        Ok(())
    }

    /// Acts on a button press.
    pub fn handle(&mut self, input: Input) {
        let count = self.article_count();
        match self.screen {
            Screen::Library => match input {
                Input::Up if count > 0 => self.selected = (self.selected + count - 1) % count,
                Input::Down if count > 0 => self.selected = (self.selected + 1) % count,
                Input::Select | Input::Right if count > 0 => {
                    if let Err(e) = self.open_selected() {
                        self.fail(e);
                    }
                }
                Input::Back | Input::Left => self.screen = Screen::Info,
                _ => {}
            },
            Screen::Article => match input {
                Input::Down | Input::Right | Input::Select => {
                    if self.page + 1 < self.pages.count {
                        self.page += 1;
                    }
                }
                Input::Up | Input::Left => self.page = self.page.saturating_sub(1),
                Input::Back => {
                    self.screen = Screen::Library;
                    self.article = None;
                }
            },
            Screen::Info => {
                if matches!(input, Input::Back | Input::Select | Input::Right) {
                    self.screen = Screen::Library;
                }
            }
            Screen::Error { recoverable, .. } => {
                if recoverable && matches!(input, Input::Back | Input::Select) {
                    self.screen = Screen::Library;
                    self.article = None;
                }
            }
        }
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
        let h = font.character_size.height + 2;
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
        let mut pos: heapless::String<24> = heapless::String::new();
        if count > 0 {
            let _ = write!(pos, "{}/{}", self.selected + 1, count);
        }
        let top = self.header(target, theme, "Library", &pos)?;
        let profile = self.profile;
        let Some(ts) = self.ts.as_mut() else {
            return Ok(());
        };
        if count == 0 {
            let font = ui_font(profile.height);
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
        let item_h = if two { lh * 2 + 4 } else { lh + 1 };
        let visible = ((profile.height - top as u32) / item_h).max(1);
        // Keep the selection in view, a little below the top when possible.
        let first = self
            .selected
            .saturating_sub(visible.saturating_sub(1) / 2)
            .min(count.saturating_sub(visible));
        let margin = if profile.height < 100 { 2 } else { 6 };
        let text_w = profile.width - 2 * margin;
        for row in 0..visible {
            let i = first + row;
            if i >= count {
                break;
            }
            let y = top + 1 + (row * item_h) as i32;
            let selected = i == self.selected;
            let (fg, muted) = if selected {
                fill(target, 0, y, profile.width, item_h, theme.bar)?;
                (theme.bar_text, theme.bar_text)
            } else {
                (theme.text, theme.muted)
            };
            let rec = ts.bundle.article(i)?;
            let mut buf = [0u8; MAX_META_LEN];
            let meta = ts.bundle.meta(&rec, &mut buf)?;
            ts.draw_str(target, meta.title, margin as i32, y + 1, text_w, fg)?;
            if two {
                let mut second: heapless::String<192> = heapless::String::new();
                for part in [meta.lang, meta.date, meta.source].into_iter().flatten() {
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

    fn draw_article<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        theme: &Theme<C>,
    ) -> Result<(), DrawError<D::Error>> {
        let profile = self.profile;
        let (Some(ts), Some(art)) = (self.ts.as_mut(), self.article) else {
            return Ok(());
        };
        let lh = ts.line_height();
        let area = Self::text_area(&profile, lh);
        if profile.has_title_bar() {
            fill(target, 0, 0, profile.width, lh + 4, theme.bar)?;
            let mut buf = [0u8; MAX_META_LEN];
            let meta = ts.bundle.meta(&art.record, &mut buf)?;
            ts.draw_str(target, meta.title, area.x, 2, area.width, theme.bar_text)?;
        }
        let start = self
            .pages
            .start(ts, &art, self.page, area.width, area.height)?;
        let mut failed: Option<DrawError<D::Error>> = None;
        let color = theme.text;
        ts.page(&art, start, area.width, area.height, |ts, line, y| {
            if failed.is_none() {
                if let Err(e) =
                    ts.draw_line(target, &art, line, area.x, area.width, area.y + y, color)
                {
                    failed = Some(e);
                }
            }
            Ok(())
        })?;
        if let Some(e) = failed {
            return Err(e);
        }
        let font = footer_font(profile.height);
        let fh = font.character_size.height;
        let y = (profile.height - fh) as i32;
        let mut s: heapless::String<24> = heapless::String::new();
        let _ = write!(s, "{}/{}", self.page + 1, self.pages.count.max(1));
        let w = s.len() as u32 * font.character_size.width;
        // A progress rule along the bottom: how far into the article this page is.
        let rule_w = profile.width.saturating_sub(w + 8);
        let done = rule_w * (self.page + 1) / self.pages.count.max(1);
        fill(target, 2, y + fh as i32 / 2, rule_w, 1, theme.muted)?;
        fill(target, 2, y + fh as i32 / 2 - 1, done, 3, theme.text)?;
        ui_text(
            target,
            font,
            &s,
            Point::new((profile.width - w - 2) as i32, y),
            theme.muted,
        )
    }

    fn draw_info<D: DrawTarget<Color = C>, C: PixelColor>(
        &mut self,
        target: &mut D,
        theme: &Theme<C>,
    ) -> Result<(), DrawError<D::Error>> {
        let top = self.header(target, theme, "About this bundle", "")?;
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
        ts.draw_str(target, info.title, 2, y, w, theme.text)?;
        y += lh;
        if !info.creator.is_empty() {
            ts.draw_str(target, info.creator, 2, y, w, theme.muted)?;
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
                ts.draw_str(target, "Signed: ", 2, y, w, theme.text)?;
                ts.draw_str(
                    target,
                    name,
                    2 + w as i32,
                    y,
                    profile.width.saturating_sub(4 + w),
                    theme.text,
                )?;
                Ok(())
            }
        }
    }
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
            "This bundle needs {} KiB of memory to read; this device has {}. Rebuild it with a smaller --chunk-size.",
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
