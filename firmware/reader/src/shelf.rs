//! The shelf: the bundles on a card, one to choose. Drawn in the built-in interface font (no
//! bundle is open yet to lend its glyphs), so names outside ASCII show their ASCII letters
//! and `?` for the rest.

use embedded_graphics::pixelcolor::PixelColor;
use embedded_graphics::prelude::*;

use crate::app::Input;
use crate::draw::{fill, ui_font, ui_text, DrawError};
use crate::profile::{Profile, Theme};

/// Which bundle the shelf has selected, and which row is at the top of the list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Shelf {
    /// The selected bundle.
    pub selected: usize,
    /// The first bundle shown.
    pub top: usize,
}

impl Shelf {
    /// Moves the selection for `input` among `count` bundles; `Some(i)` when bundle `i` is
    /// chosen (Select or Right).
    pub fn handle(&mut self, input: Input, count: usize) -> Option<usize> {
        match input {
            Input::Up | Input::Left => self.selected = self.selected.saturating_sub(1),
            Input::PageUp => self.selected = 0,
            Input::Down => {
                if self.selected + 1 < count {
                    self.selected += 1;
                }
            }
            Input::PageDown => self.selected = count.saturating_sub(1),
            Input::Select | Input::Right => {
                return (self.selected < count).then_some(self.selected)
            }
            Input::Back | Input::Hold => {}
        }
        None
    }

    /// Draws the shelf: a bar with the count, then one row a bundle (name, size in KiB), the
    /// selected one inverted. `name(i)` gives bundle `i`'s name and size in bytes.
    pub fn draw<'n, D, C>(
        &mut self,
        target: &mut D,
        theme: &Theme<C>,
        profile: &Profile,
        count: usize,
        name: impl Fn(usize) -> (&'n str, u32),
    ) -> Result<(), D::Error>
    where
        D: DrawTarget<Color = C>,
        C: PixelColor,
    {
        match self.draw_inner(target, theme, profile, count, name) {
            Ok(()) => Ok(()),
            Err(DrawError::Target(e)) => Err(e),
            // Nothing is read from a bundle here.
            Err(_) => Ok(()),
        }
    }

    fn draw_inner<'n, D, C>(
        &mut self,
        target: &mut D,
        theme: &Theme<C>,
        profile: &Profile,
        count: usize,
        name: impl Fn(usize) -> (&'n str, u32),
    ) -> Result<(), DrawError<D::Error>>
    where
        D: DrawTarget<Color = C>,
        C: PixelColor,
    {
        target.clear(theme.background).map_err(DrawError::Target)?;
        let font = ui_font(profile.height);
        let cw = font.character_size.width;
        let fh = font.character_size.height;
        let bar = fh + 2;
        fill(target, 0, 0, profile.width, bar, theme.bar)?;
        ui_text(
            target,
            font,
            "Bundles on the card",
            Point::new(2, 1),
            theme.bar_text,
        )?;
        let mut n: heapless::String<16> = heapless::String::new();
        let _ = core::fmt::write(&mut n, format_args!("{count}"));
        let nw = n.len() as u32 * cw;
        ui_text(
            target,
            font,
            &n,
            Point::new(profile.width as i32 - nw as i32 - 2, 1),
            theme.bar_text,
        )?;
        let row_h = fh + 2;
        let rows = ((profile.height - bar) / row_h).max(1) as usize;
        if self.selected < self.top {
            self.top = self.selected;
        } else if self.selected >= self.top + rows {
            self.top = self.selected + 1 - rows;
        }
        let cols = ((profile.width - 4) / cw) as usize;
        for (row, i) in (self.top..count.min(self.top + rows)).enumerate() {
            let y = (bar + 1 + row as u32 * row_h) as i32;
            let (label, size) = name(i);
            let (fg, bg) = if i == self.selected {
                (theme.bar_text, Some(theme.bar))
            } else {
                (theme.text, None)
            };
            if let Some(bg) = bg {
                fill(target, 0, y - 1, profile.width, row_h, bg)?;
            }
            let mut kib: heapless::String<16> = heapless::String::new();
            let _ = core::fmt::write(&mut kib, format_args!(" {} KiB", size.div_ceil(1024)));
            let room = cols.saturating_sub(kib.len());
            let mut line: heapless::String<64> = heapless::String::new();
            for c in label.chars().take(room.min(63)) {
                let _ = line.push(if c.is_ascii_graphic() || c == ' ' {
                    c
                } else {
                    '?'
                });
            }
            ui_text(target, font, &line, Point::new(2, y), fg)?;
            let kw = kib.len() as u32 * cw;
            ui_text(
                target,
                font,
                &kib,
                Point::new(profile.width as i32 - kw as i32 - 2, y),
                fg,
            )?;
        }
        Ok(())
    }
}
