//! The desktop simulator: the device's reader, drawing into an in-memory display, one PNG per
//! key press (and optionally one animated GIF).

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use embedded_graphics::pixelcolor::{BinaryColor, Rgb565, Rgb888};
use embedded_graphics::prelude::*;
use embedded_graphics_simulator::SimulatorDisplay;
use fieldpack_format::Inflater;
use fieldpack_reader::{App, Input, Profile, Theme, DAYLIGHT, MONO};
use image::{Rgb, RgbImage};

/// One screen as shown: RGB pixels, row by row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Pixels, `width * height`, top row first.
    pub pixels: Vec<[u8; 3]>,
}

/// The colours of a one-bit panel: OLEDs light up `On` pixels; e-paper inks them.
pub fn mono_colors(profile: &Profile) -> ([u8; 3], [u8; 3]) {
    if profile.height < 100 {
        ([0x00, 0x00, 0x00], [0xE6, 0xF2, 0xFF])
    } else {
        ([0xEC, 0xEA, 0xE2], [0x1E, 0x1E, 0x1E])
    }
}

/// The RGB of a one-bit pixel on this profile's panel.
pub fn mono_rgb(profile: &Profile, on: bool) -> [u8; 3] {
    let (off_c, on_c) = mono_colors(profile);
    if on {
        on_c
    } else {
        off_c
    }
}

/// The RGB of an RGB565 pixel, expanded as panels do (high bits repeated into low bits).
pub fn rgb565_to_rgb(c: Rgb565) -> [u8; 3] {
    let c: Rgb888 = c.into();
    [c.r(), c.g(), c.b()]
}

impl Frame {
    /// The frame as an image, each pixel `scale` x `scale`.
    pub fn to_image(&self, scale: u32) -> RgbImage {
        let scale = scale.max(1);
        RgbImage::from_fn(self.width * scale, self.height * scale, |x, y| {
            let i = (y / scale * self.width + x / scale) as usize;
            Rgb(self.pixels.get(i).copied().unwrap_or([0, 0, 0]))
        })
    }

    /// Writes the frame as a PNG.
    pub fn save_png(&self, path: &Path, scale: u32) -> Result<()> {
        self.to_image(scale)
            .save_with_format(path, image::ImageFormat::Png)
            .with_context(|| format!("cannot write {}", path.display()))
    }

    /// Reads a PNG written by [`Frame::save_png`] at `scale`.
    pub fn load_png(path: &Path, scale: u32) -> Result<Frame> {
        let img = image::open(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .to_rgb8();
        let scale = scale.max(1);
        let (width, height) = (img.width() / scale, img.height() / scale);
        let pixels = (0..height)
            .flat_map(|y| (0..width).map(move |x| (x, y)))
            .map(|(x, y)| img.get_pixel(x * scale, y * scale).0)
            .collect();
        Ok(Frame {
            width,
            height,
            pixels,
        })
    }
}

/// Parses a comma-separated key script (`down,down,select,back`).
pub fn parse_keys(script: &str) -> Result<Vec<Input>> {
    script
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| {
            Input::from_name(&k.to_ascii_lowercase()).with_context(|| {
                let words: Vec<&str> = Input::GESTURES.iter().map(|g| g.1).collect();
                format!("unknown key {k:?} (keys: {})", words.join(", "))
            })
        })
        .collect()
}

pub(crate) fn capture_mono(d: &SimulatorDisplay<BinaryColor>, profile: &Profile) -> Frame {
    let size = d.size();
    let pixels = (0..size.height as i32)
        .flat_map(|y| (0..size.width as i32).map(move |x| Point::new(x, y)))
        .map(|p| mono_rgb(profile, d.get_pixel(p).is_on()))
        .collect();
    Frame {
        width: size.width,
        height: size.height,
        pixels,
    }
}

pub(crate) fn capture_color(d: &SimulatorDisplay<Rgb565>) -> Frame {
    let size = d.size();
    let pixels = (0..size.height as i32)
        .flat_map(|y| (0..size.width as i32).map(move |x| Point::new(x, y)))
        .map(|p| rgb565_to_rgb(d.get_pixel(p)))
        .collect();
    Frame {
        width: size.width,
        height: size.height,
        pixels,
    }
}

/// Runs the reader on `bundle` for `profile`: the first screen, then one frame after each key.
pub fn run(bundle: &[u8], profile: Profile, keys: &[Input]) -> Result<Vec<Frame>> {
    run_trusting(bundle, profile, keys, fieldpack_reader::Trust::default())
}

/// The publishers a simulated device trusts, from their public key files.
pub struct TrustList<'k> {
    keys: Vec<fieldpack_reader::TrustedKey<'k>>,
    require_signed: bool,
}

impl<'k> TrustList<'k> {
    /// Trusts the keys of `files`; with `require_signed`, opens nothing else.
    pub fn new(files: &'k [crate::sign::PublicKeyFile], require_signed: bool) -> Self {
        TrustList {
            keys: files
                .iter()
                .map(|f| fieldpack_reader::TrustedKey {
                    name: &f.name,
                    public_key: f.key,
                })
                .collect(),
            require_signed,
        }
    }

    /// The device's policy.
    pub fn policy(&self) -> fieldpack_reader::Trust<'_> {
        fieldpack_reader::Trust {
            keys: &self.keys,
            require_signed: self.require_signed,
        }
    }
}

/// As [`run`], on a device that trusts the publishers of `trust`.
pub fn run_trusting(
    bundle: &[u8],
    profile: Profile,
    keys: &[Input],
    trust: fieldpack_reader::Trust<'_>,
) -> Result<Vec<Frame>> {
    run_session(bundle, profile, keys, trust, None)
}

/// The bytes of the device's state region (the raw image of its flash: [`STATE_REGION_LEN`]
/// bytes, erased bytes `0xFF`), from `path`, or erased when there is no such file yet.
pub fn read_state(path: &Path) -> Result<Vec<u8>> {
    let len = fieldpack_device::STATE_REGION_LEN as u64;
    if std::fs::symlink_metadata(path).is_err() {
        return Ok(vec![0xFF; len as usize]);
    }
    let bytes = crate::input::read_regular_file(path, len)?;
    anyhow::ensure!(
        bytes.len() as u64 == len,
        "{}: {} bytes; a state file is the raw image of the device's {len}-byte state region",
        crate::input::path_text(path),
        bytes.len()
    );
    Ok(bytes)
}

/// As [`run_trusting`], with the reader's memory kept in `state`, the raw bytes of the
/// device's state region: the first frame is the page the memory reopens, and each key's
/// change is written to it as the device writes its flash.
pub fn run_session(
    bundle: &[u8],
    profile: Profile,
    keys: &[Input],
    trust: fieldpack_reader::Trust<'_>,
    state: Option<&mut [u8]>,
) -> Result<Vec<Frame>> {
    with_session(bundle, profile, trust, state, |app, handle| {
        let size = Size::new(profile.width, profile.height);
        if profile.color {
            record(
                app,
                handle,
                keys,
                SimulatorDisplay::<Rgb565>::new(size),
                &DAYLIGHT,
                capture_color,
            )
        } else {
            record(
                app,
                handle,
                keys,
                SimulatorDisplay::<BinaryColor>::new(size),
                &MONO,
                |d| capture_mono(d, &profile),
            )
        }
    })?
}

/// The screen after the last of `keys` (no frames drawn before it): for tests that compare
/// where two ways of getting somewhere end.
pub fn final_frame(bundle: &[u8], profile: Profile, keys: &[Input]) -> Result<Frame> {
    let trust = fieldpack_reader::Trust::default();
    with_session(bundle, profile, trust, None, |app, handle| {
        for &k in keys {
            handle(app, k);
        }
        let size = Size::new(profile.width, profile.height);
        if profile.color {
            let mut d = SimulatorDisplay::<Rgb565>::new(size);
            app.draw(&mut d, &DAYLIGHT)
                .map_err(|e| anyhow::anyhow!("display error: {e:?}"))?;
            Ok(capture_color(&d))
        } else {
            let mut d = SimulatorDisplay::<BinaryColor>::new(size);
            app.draw(&mut d, &MONO)
                .map_err(|e| anyhow::anyhow!("display error: {e:?}"))?;
            Ok(capture_mono(&d, &profile))
        }
    })?
}

/// Runs `f` with a reader on `bundle` and the way a device hands it a key (through the keeper of
/// its memory in `state`, when there is one).
fn with_session<R>(
    bundle: &[u8],
    profile: Profile,
    trust: fieldpack_reader::Trust<'_>,
    state: Option<&mut [u8]>,
    f: impl FnOnce(&mut App<&[u8]>, &mut dyn FnMut(&mut App<&[u8]>, Input)) -> R,
) -> Result<R> {
    let mut inflater = Box::new(Inflater::new());
    let mut window = vec![0u8; profile.window_bytes];
    let mut app = App::with_trust(bundle, profile, &mut inflater, &mut window, trust);
    let mut keeper = match state {
        Some(bytes) => {
            let len = bytes.len() as u32;
            let store =
                fieldpack_device::StateStore::new(fieldpack_device::ImageFlash::new(bytes), 0..len)
                    .map_err(|e| anyhow::anyhow!("state region: {e:?}"))?;
            fieldpack_device::Keeper::start(&mut app, store)
        }
        None => None,
    };
    let mut handle = |app: &mut App<&[u8]>, k: Input| match keeper.as_mut() {
        Some(keeper) => keeper.handle(app, k),
        None => app.handle(k),
    };
    Ok(f(&mut app, &mut handle))
}

/// One word of a key script: a key, or `find:TEXT`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A button press.
    Key(Input),
    /// The presses a person makes on the search screen to reach the first title that starts
    /// with the text (case and accents folded).
    Find(String),
}

/// Parses a comma-separated key script whose words may include `find:TEXT`.
pub fn parse_script(script: &str) -> Result<Vec<Step>> {
    script
        .split(',')
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .map(|k| match k.split_once(':') {
            Some((w, text)) if w.eq_ignore_ascii_case("find") => {
                anyhow::ensure!(!text.is_empty(), "find: needs a text (find:TEXT)");
                Ok(Step::Find(text.to_string()))
            }
            _ => parse_keys(k).map(|v| Step::Key(v[0])),
        })
        .collect()
}

/// How many presses a `find:` word took.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FindPresses {
    /// The word's text.
    pub text: String,
    /// The title reached.
    pub title: String,
    /// Presses, entering the search screen included.
    pub presses: usize,
}

/// Turns a script's `find:` words into the presses they stand for, by running the reader as the
/// real run will (from the same state): the keys to send, and the presses each word took.
pub fn expand_script(
    bundle: &[u8],
    profile: Profile,
    trust: fieldpack_reader::Trust<'_>,
    state: Option<&[u8]>,
    steps: &[Step],
) -> Result<(Vec<Input>, Vec<FindPresses>)> {
    let mut copy = state.map(<[u8]>::to_vec);
    with_session(
        bundle,
        profile,
        trust,
        copy.as_deref_mut(),
        |app, handle| {
            let mut keys = Vec::new();
            let mut finds = Vec::new();
            for step in steps {
                match step {
                    Step::Key(k) => {
                        handle(app, *k);
                        keys.push(*k);
                    }
                    Step::Find(text) => {
                        let (presses, title) = presses_to_find(app, handle, text)?;
                        finds.push(FindPresses {
                            text: text.clone(),
                            title,
                            presses: presses.len(),
                        });
                        keys.extend(presses);
                    }
                }
            }
            Ok((keys, finds))
        },
    )?
}

/// Presses, made on `app` as they are found, that bring the search screen's cursor onto the first
/// title starting with `text`; and that title.
pub fn presses_to_find(
    app: &mut App<&[u8]>,
    handle: &mut dyn FnMut(&mut App<&[u8]>, Input),
    text: &str,
) -> Result<(Vec<Input>, String)> {
    use fieldpack_reader::Screen;
    let mut presses = Vec::new();
    let mut press = |app: &mut App<&[u8]>, k: Input, presses: &mut Vec<Input>| {
        handle(app, k);
        presses.push(k);
    };
    // The title aimed at: its place in title order and its folded form.
    let (target, title, folded) = {
        let ts = app.typesetter().context("no bundle is open")?;
        let mut buf = [0u8; fieldpack_format::layout::MAX_META_LEN];
        let pos = ts.bundle.find_title(text, &mut buf)?;
        // The title there: an article's own or an alias.
        let meta_title = if pos < ts.bundle.title_count() {
            ts.bundle.title_text(pos, &mut buf)?.to_string()
        } else {
            String::new()
        };
        anyhow::ensure!(
            fieldpack_format::title_has_prefix(&meta_title, text),
            "find:{text}: no title starts with {text:?}"
        );
        let folded: String = fieldpack_format::fold::fold_str(&meta_title).collect();
        (pos, meta_title, folded)
    };
    // To the search screen: from a page or another screen, back to the library first.
    for _ in 0..4 {
        match app.screen() {
            Screen::Find | Screen::Library => break,
            Screen::Error { .. } => anyhow::bail!("find:{text}: the reader shows an error"),
            _ => press(app, Input::Back, &mut presses),
        }
    }
    if app.screen() == Screen::Library {
        press(app, Input::Hold, &mut presses);
    }
    anyhow::ensure!(
        app.screen() == Screen::Find,
        "find:{text}: no search screen"
    );
    // Each turn moves onto the title, types a character or undoes one: bounded.
    for _ in 0..1000 {
        let search = app.search().context("the search screen closed")?.clone();
        let (prefix, in_list, range, listed) = (
            search.prefix().to_string(),
            search.in_list(),
            search.range(),
            search.listed(),
        );
        // The shorter way round the list from row `from` to row `to`.
        let way = |from: u32, to: u32| {
            let down = (to + listed - from) % listed.max(1);
            let up = (from + listed - to) % listed.max(1);
            if down <= up {
                (Input::Down, down)
            } else {
                (Input::Up, up)
            }
        };
        let on_path = folded.starts_with(&prefix);
        // In the list: the target's row, and what reaching it costs.
        let row = (on_path && target >= range.start && target < range.start + listed)
            .then(|| target - range.start);
        let list_cost = row.map(|r| {
            let from = if in_list { search.cursor() } else { 0 };
            u32::from(!in_list) + way(from, r).1
        });
        // In the boxes: the picks that type the target's next character, tried on a copy.
        let next = folded.get(prefix.len()..).and_then(|t| t.chars().next());
        let mut picks: Vec<Input> = Vec::new();
        if let (true, Some(c), true) = (on_path, next, search.offers_shown()) {
            let ts = app.typesetter().context("no bundle")?;
            let offers = search.offers().clone();
            let mut rank = None;
            for r in 0..offers.len() {
                if offers.get(&mut ts.bundle, r)?.map(|o| o.c) == Some(c) {
                    rank = Some(r);
                    break;
                }
            }
            if let Some(r) = rank {
                let mut trial = search.clone();
                if in_list {
                    trial.handle(&mut ts.bundle, fieldpack_reader::SearchKey::ToBoxes)?;
                    picks.push(Input::PageUp);
                }
                for _ in 0..64 {
                    if trial.prefix() != prefix {
                        break;
                    }
                    let Some(k) = trial.boxes().iter().position(|&(a, b)| a <= r && r < b) else {
                        break;
                    };
                    let (key, input) = match k {
                        0 => (fieldpack_reader::SearchKey::Up, Input::Up),
                        1 => (fieldpack_reader::SearchKey::Select, Input::Select),
                        _ => (fieldpack_reader::SearchKey::Down, Input::Down),
                    };
                    trial.handle(&mut ts.bundle, key)?;
                    picks.push(input);
                }
            }
        }
        let type_cost = (!picks.is_empty()).then_some(picks.len() as u32);
        match (list_cost, type_cost) {
            (Some(l), t) if t.is_none_or(|t| l <= t) => {
                let r = row.unwrap_or(0);
                if !in_list {
                    press(app, Input::PageDown, &mut presses);
                }
                let from = app.search().map_or(0, |s| s.cursor());
                let (key, n) = way(from, r);
                for _ in 0..n {
                    press(app, key, &mut presses);
                }
                return Ok((presses, title));
            }
            (_, Some(_)) => {
                for k in picks {
                    press(app, k, &mut presses);
                }
            }
            _ => {
                // Off the title's path (or stuck): undo a choice.
                anyhow::ensure!(
                    !prefix.is_empty(),
                    "find:{text}: {title:?} cannot be reached"
                );
                press(app, Input::Back, &mut presses);
            }
        }
    }
    anyhow::bail!("find:{text}: no way to {title:?} in 1000 presses")
}

/// The first screen, then one frame after each key, drawn on `display` in `theme`'s colours.
pub(crate) fn record<C: PixelColor, S: fieldpack_format::Storage>(
    app: &mut App<S>,
    handle: &mut dyn FnMut(&mut App<S>, Input),
    keys: &[Input],
    mut display: SimulatorDisplay<C>,
    theme: &Theme<C>,
    capture: impl Fn(&SimulatorDisplay<C>) -> Frame,
) -> Result<Vec<Frame>> {
    let mut frames = Vec::with_capacity(keys.len() + 1);
    for key in std::iter::once(None).chain(keys.iter().copied().map(Some)) {
        if let Some(k) = key {
            handle(app, k);
        }
        app.draw(&mut display, theme)
            .map_err(|e| anyhow::anyhow!("display error: {e:?}"))?;
        frames.push(capture(&display));
    }
    Ok(frames)
}

/// A scale at which a profile's screenshots are comfortable to read (about 640 pixels wide).
pub fn default_scale(profile: &Profile) -> u32 {
    (640 / profile.width).clamp(1, 5)
}

/// Writes frames as `000.png`, `001.png`, ... in `dir`; returns the paths.
pub fn write_frames(frames: &[Frame], dir: &Path, scale: u32) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let mut paths = Vec::with_capacity(frames.len());
    for (i, f) in frames.iter().enumerate() {
        let p = dir.join(format!("{i:03}.png"));
        f.save_png(&p, scale)?;
        paths.push(p);
    }
    Ok(paths)
}

/// Writes frames as one looping animation, `delay_ms` per frame.
pub fn write_gif(frames: &[Frame], path: &Path, scale: u32, delay_ms: u32) -> Result<()> {
    use image::codecs::gif::{GifEncoder, Repeat};
    use image::{Delay, DynamicImage, Frame as ImgFrame};
    if frames.is_empty() {
        bail!("no frames to animate");
    }
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut enc = GifEncoder::new_with_speed(std::io::BufWriter::new(file), 10);
    enc.set_repeat(Repeat::Infinite)?;
    for f in frames {
        let rgba = DynamicImage::ImageRgb8(f.to_image(scale)).to_rgba8();
        enc.encode_frame(ImgFrame::from_parts(
            rgba,
            0,
            0,
            Delay::from_numer_denom_ms(delay_ms, 1),
        ))
        .with_context(|| format!("cannot write {}", path.display()))?;
    }
    Ok(())
}

/// Shows the reader in a desktop window: arrow keys are Up, Down, Left and Right, Enter or Space
/// is Select, Backspace or Escape is Back; Shift with Up or Down (or Page Up, Page Down) is a
/// long press of Up or Down, Shift with Enter (or H, or F in the library) a long press of
/// Select; closing the window (or Q) ends it.
#[cfg(feature = "window")]
pub fn interactive(bundle: &[u8], profile: Profile, scale: u32) -> Result<()> {
    use embedded_graphics_simulator::sdl2::Keycode;
    use embedded_graphics_simulator::{OutputSettingsBuilder, SimulatorEvent, Window};
    use std::time::{Duration, Instant};

    let settings = OutputSettingsBuilder::new()
        .scale(scale.max(1))
        .theme(window_theme(&profile))
        .build();
    let mut window = Window::new(&format!("Fieldpack {}", profile.name), &settings);
    let mut inflater = Box::new(Inflater::new());
    let mut buffer = vec![0u8; profile.window_bytes];
    let mut app = App::new(bundle, profile, &mut inflater, &mut buffer);
    let size = Size::new(profile.width, profile.height);
    let mut mono = SimulatorDisplay::<BinaryColor>::new(size);
    let mut color = SimulatorDisplay::<Rgb565>::new(size);
    // The frame is drawn again only after a key; the window is shown again a few times a
    // second (a covered window repaints) and the loop sleeps between looks at the keyboard,
    // so an idle window costs next to nothing.
    let mut dirty = true;
    let mut shown = Instant::now();
    loop {
        if dirty {
            if profile.color {
                app.draw(&mut color, &DAYLIGHT)
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            } else {
                app.draw(&mut mono, &MONO)
                    .map_err(|e| anyhow::anyhow!("{e:?}"))?;
            }
        }
        if dirty || shown.elapsed() >= Duration::from_millis(250) {
            if profile.color {
                window.update(&color);
            } else {
                window.update(&mono);
            }
            shown = Instant::now();
            dirty = false;
        }
        let mut pressed = Vec::new();
        for event in window.events() {
            match event {
                SimulatorEvent::Quit => return Ok(()),
                SimulatorEvent::KeyDown {
                    keycode, keymod, ..
                } => pressed.push((keycode, keymod)),
                _ => {}
            }
        }
        if pressed.is_empty() {
            std::thread::sleep(Duration::from_millis(15));
        }
        for (key, keymod) in pressed {
            let shift = keymod.intersects(
                embedded_graphics_simulator::sdl2::Mod::LSHIFTMOD
                    | embedded_graphics_simulator::sdl2::Mod::RSHIFTMOD,
            );
            let input = match key {
                Keycode::Up if shift => Input::PageUp,
                Keycode::Down if shift => Input::PageDown,
                Keycode::PageUp => Input::PageUp,
                Keycode::PageDown => Input::PageDown,
                Keycode::Up => Input::Up,
                Keycode::Down => Input::Down,
                Keycode::Left => Input::Left,
                Keycode::Right => Input::Right,
                Keycode::Return | Keycode::Space if shift => Input::Hold,
                Keycode::H | Keycode::F => Input::Hold,
                Keycode::Return | Keycode::Space => Input::Select,
                Keycode::Backspace | Keycode::Escape => Input::Back,
                Keycode::Q => return Ok(()),
                _ => continue,
            };
            app.handle(input);
            dirty = true;
        }
    }
}

/// How the window shows the profile's pixels: the panel's two colours for a one-bit display;
/// a colour display's pixels as they are (a two-colour theme would turn its colours into two).
#[cfg(feature = "window")]
pub fn window_theme(profile: &Profile) -> embedded_graphics_simulator::BinaryColorTheme {
    use embedded_graphics_simulator::BinaryColorTheme;
    if profile.color {
        return BinaryColorTheme::Default;
    }
    let (off, on) = mono_colors(profile);
    BinaryColorTheme::Custom {
        color_off: Rgb888::new(off[0], off[1], off[2]),
        color_on: Rgb888::new(on[0], on[1], on[2]),
    }
}

#[cfg(all(test, feature = "window"))]
mod window_tests {
    use super::window_theme;
    use embedded_graphics_simulator::BinaryColorTheme;

    #[test]
    fn colour_profiles_keep_their_colours_in_the_window() {
        for p in fieldpack_reader::PROFILES {
            let theme = window_theme(&p);
            assert_eq!(
                matches!(theme, BinaryColorTheme::Default),
                p.color,
                "{}: {theme:?}",
                p.name
            );
        }
    }
}
