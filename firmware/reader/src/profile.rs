//! Display profiles and colour themes.

use embedded_graphics::pixelcolor::{BinaryColor, Rgb565, RgbColor, WebColors};

use crate::draw::Ink;

/// A class of display the reader lays out for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Profile {
    /// Short name, as given on command lines (`128x64`).
    pub name: &'static str,
    /// What kind of panel it stands for.
    pub description: &'static str,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Which glyph strike of the bundle to use (0 small, 1 large, 2 smooth).
    pub size_class: u8,
    /// Which strike the larger text setting uses (1 large, 3 smooth and larger).
    pub larger_class: u8,
    /// Whether the panel shows colour (else one bit per pixel).
    pub color: bool,
    /// Bytes of inflate window the device sets aside: the largest bundle window it can read
    /// (a power of two for dictionary plus chunk, and 16 bytes for the inflater's slack).
    pub window_bytes: usize,
}

impl Profile {
    /// Whether there is room for a title bar above an article's text.
    pub const fn has_title_bar(&self) -> bool {
        self.height >= 100
    }

    /// Whether library entries get a second line (language, date, source).
    pub const fn two_line_entries(&self) -> bool {
        self.height >= 100
    }
}

/// The 0.96" / 1.3" SSD1306-class OLED.
pub const OLED_128X64: Profile = Profile {
    name: "128x64",
    description: "128x64 monochrome OLED (SSD1306 class)",
    width: 128,
    height: 64,
    size_class: 0,
    larger_class: 1,
    color: false,
    window_bytes: 12 * 1024 + 16,
};

/// The 2.9" e-paper panel.
pub const EPAPER_296X128: Profile = Profile {
    name: "296x128",
    description: "296x128 monochrome e-paper (2.9 inch)",
    width: 296,
    height: 128,
    size_class: 1,
    larger_class: 3,
    color: false,
    window_bytes: 16 * 1024 + 16,
};

/// The 1.14" ST7789 TFT.
pub const TFT_240X135: Profile = Profile {
    name: "240x135",
    description: "240x135 RGB565 TFT (1.14 inch, ST7789 class)",
    width: 240,
    height: 135,
    size_class: 2,
    larger_class: 3,
    color: true,
    window_bytes: 16 * 1024 + 16,
};

/// The 2.4" / 2.8" ILI9341 TFT.
pub const TFT_320X240: Profile = Profile {
    name: "320x240",
    description: "320x240 RGB565 TFT (2.4 to 2.8 inch, ILI9341 class)",
    width: 320,
    height: 240,
    size_class: 2,
    larger_class: 3,
    color: true,
    window_bytes: 32 * 1024 + 16,
};

impl Profile {
    /// The chunk and dictionary sizes a bundle made for this profile uses: the best compression
    /// whose window still fits the device.
    ///
    /// Measured on the 158-article corpus (`fieldpack dev bench`): in a small window, longer chunks
    /// gain more than a dictionary, which helps only the first few KiB of each chunk; 12 KiB:
    /// 12 + 0 beats 8 + 4 by 15 KB; 16 KiB: 12 + 4 beats 8 + 8 by 26 KB and 16 + 0 by 11 KB;
    /// 32 KiB: 20 + 12 beats 16 + 16 by 3 KB.
    pub const fn bundle_sizes(&self) -> (usize, usize) {
        match self.window_bytes {
            w if w >= 32 * 1024 => (20 * 1024, 12 * 1024),
            w if w >= 16 * 1024 => (12 * 1024, 4 * 1024),
            _ => (12 * 1024, 0),
        }
    }
}

/// Every profile, smallest first.
pub const PROFILES: [Profile; 4] = [OLED_128X64, EPAPER_296X128, TFT_240X135, TFT_320X240];

/// The profile of a name (`128x64`, ...).
pub fn profile_by_name(name: &str) -> Option<Profile> {
    PROFILES.iter().copied().find(|p| p.name == name)
}

/// The colours screens are drawn with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Theme<C> {
    /// Screen background.
    pub background: C,
    /// Body text.
    pub text: C,
    /// Secondary text (language, date, page numbers).
    pub muted: C,
    /// Background of bars and of the selected entry.
    pub bar: C,
    /// Text on bars and on the selected entry.
    pub bar_text: C,
    /// Background of the error screen's heading.
    pub alert: C,
    /// Edges of anti-aliased body text: a third and two thirds of the way from the background
    /// (`None`: left as the background).
    pub text_edges: [Option<C>; 2],
    /// Edges of anti-aliased secondary text on the background.
    pub muted_edges: [Option<C>; 2],
    /// Edges of anti-aliased text on a bar.
    pub bar_text_edges: [Option<C>; 2],
}

impl<C: Copy> Theme<C> {
    /// Body text on the background.
    pub const fn text_ink(&self) -> Ink<C> {
        Ink::blended(self.text, self.text_edges)
    }

    /// Secondary text on the background.
    pub const fn muted_ink(&self) -> Ink<C> {
        Ink::blended(self.muted, self.muted_edges)
    }

    /// Text on a bar or the selected entry.
    pub const fn bar_ink(&self) -> Ink<C> {
        Ink::blended(self.bar_text, self.bar_text_edges)
    }
}

/// A one-bit theme: light text on a dark panel (OLED), bars inverted. An anti-aliased glyph
/// (the larger text on the e-paper display) is drawn where it is covered two thirds or more.
pub const MONO: Theme<BinaryColor> = Theme {
    background: BinaryColor::Off,
    text: BinaryColor::On,
    muted: BinaryColor::On,
    bar: BinaryColor::On,
    bar_text: BinaryColor::Off,
    alert: BinaryColor::On,
    text_edges: [None, Some(BinaryColor::On)],
    muted_edges: [None, Some(BinaryColor::On)],
    bar_text_edges: [None, Some(BinaryColor::Off)],
};

/// An 8-bit-a-channel colour.
type Rgb = (u16, u16, u16);

/// `fg` over `bg` at `thirds` thirds of coverage, in RGB565 (channels mixed as stored, as a
/// panel shows them: dark text keeps its weight).
const fn mix(bg: Rgb, fg: Rgb, thirds: u16) -> Rgb565 {
    let r = channel(bg.0, fg.0, thirds);
    let g = channel(bg.1, fg.1, thirds);
    let b = channel(bg.2, fg.2, thirds);
    Rgb565::new((r >> 3) as u8, (g >> 2) as u8, (b >> 3) as u8)
}

/// One channel of `fg` over `bg` at `thirds` thirds, rounded.
const fn channel(bg: u16, fg: u16, thirds: u16) -> u16 {
    (bg * (3 - thirds) + fg * thirds + 1) / 3
}

/// The two edge colours of `fg` on `bg`.
const fn edges(bg: Rgb, fg: Rgb) -> [Option<Rgb565>; 2] {
    [Some(mix(bg, fg, 1)), Some(mix(bg, fg, 2))]
}

const PAPER: Rgb = (255, 255, 255);
const INK: Rgb = (0, 0, 0);
const DIM_GRAY: Rgb = (105, 105, 105);
const SLATE_BLUE: Rgb = (72, 61, 139);

/// A colour theme: dark text on paper white, for reading in daylight.
pub const DAYLIGHT: Theme<Rgb565> = Theme {
    background: Rgb565::WHITE,
    text: Rgb565::BLACK,
    muted: Rgb565::CSS_DIM_GRAY,
    bar: Rgb565::CSS_DARK_SLATE_BLUE,
    bar_text: Rgb565::WHITE,
    alert: Rgb565::CSS_DARK_RED,
    text_edges: edges(PAPER, INK),
    muted_edges: edges(PAPER, DIM_GRAY),
    bar_text_edges: edges(SLATE_BLUE, PAPER),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn edges_lie_between_background_and_ink() {
        // Black on white: a third is light grey, two thirds dark grey.
        assert_eq!(
            DAYLIGHT.text_edges,
            [Some(Rgb565::new(21, 42, 21)), Some(Rgb565::new(10, 21, 10))]
        );
        // White on the bar: from the bar's slate blue towards white.
        let [Some(a), Some(b)] = DAYLIGHT.bar_text_edges else {
            panic!("edges")
        };
        assert!(a.r() < b.r() && b.r() < Rgb565::WHITE.r());
        assert!(DAYLIGHT.bar.r() < a.r());
        assert_eq!(mix(PAPER, INK, 3), Rgb565::BLACK);
        assert_eq!(mix(PAPER, INK, 0), Rgb565::WHITE);
    }
}
