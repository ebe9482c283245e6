//! The loop every board runs: draw the reader's screen, show it, sleep until a key, hand the key
//! to the reader, keep what it changed; dim the panel and then switch it off when nobody reads.
//!
//! A board is only what differs between boards: its panel (an embedded-graphics target and how
//! a drawn frame reaches the glass), its way of waiting for keys, and its panel's power.

use embedded_graphics::pixelcolor::PixelColor;
use embedded_graphics::prelude::DrawTarget;
use embedded_storage_async::nor_flash::MultiwriteNorFlash;
use fieldpack_format::Storage;
use fieldpack_reader::{App, Input, Theme};

use crate::keeper::Keeper;

/// What ended a board's wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Wake {
    /// A key.
    Input(Input),
    /// The wait's time ran out with no key.
    Timeout,
    /// No more keys will come (an emulator's key script is done).
    End,
}

/// How much of its light (or its controller) the panel uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Power {
    /// Full brightness.
    On,
    /// Dimmed: still readable, a fraction of the current.
    Dim,
    /// Dark (the controller asleep, its picture kept where the panel keeps one).
    Off,
}

/// When an idle panel dims and goes dark, in milliseconds since the last key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IdlePolicy {
    /// Dim after this long (`None`: never).
    pub dim_ms: Option<u32>,
    /// Go dark after this long (`None`: never).
    pub off_ms: Option<u32>,
    /// Whether a key that wakes the panel also acts: yes where the page stays visible while
    /// the panel sleeps (e-paper); no where the reader cannot see what the key would do.
    pub waking_key_acts: bool,
}

impl IdlePolicy {
    /// Never dims, never goes dark (e-paper keeps its page without power; an emulator).
    pub const ALWAYS_ON: IdlePolicy = IdlePolicy {
        dim_ms: None,
        off_ms: None,
        waking_key_acts: true,
    };

    /// A backlit or self-lit panel: dim after 30 s (a long page of dense text takes a slow
    /// reader about that long at 128x64), dark after 2 minutes.
    pub const LIT_PANEL: IdlePolicy = IdlePolicy {
        dim_ms: Some(30_000),
        off_ms: Some(120_000),
        waking_key_acts: false,
    };

    /// E-paper: the page stays without power, so the controller sleeps 5 s after a refresh
    /// (its wake-up costs a few ms, far less than the refresh) and a key acts at once.
    pub const PAPER: IdlePolicy = IdlePolicy {
        dim_ms: None,
        off_ms: Some(5_000),
        waking_key_acts: true,
    };

    fn next_timeout(&self, power: Power) -> Option<u32> {
        match power {
            Power::On => self.dim_ms.or(self.off_ms),
            Power::Dim => match (self.dim_ms, self.off_ms) {
                (Some(d), Some(o)) => Some(o.saturating_sub(d)),
                _ => None,
            },
            Power::Off => None,
        }
    }
}

/// One board: its panel, its keys, its panel's power.
pub trait Board {
    /// The panel's colour.
    type Color: PixelColor;
    /// What the reader draws on.
    type Display: DrawTarget<Color = Self::Color>;
    /// Why a frame could not be shown.
    type Error;

    /// The drawing target.
    fn display(&mut self) -> &mut Self::Display;

    /// Shows what was drawn since the last call: a buffered panel sends its buffer, an e-paper
    /// panel refreshes, a panel drawn directly has nothing left to do.
    fn present(&mut self) -> Result<(), Self::Error>;

    /// Sleeps until a key, or until `timeout_ms` has passed (`None`: as long as it takes).
    fn wait(&mut self, timeout_ms: Option<u32>) -> Wake;

    /// Sets the panel's power.
    fn set_power(&mut self, power: Power);
}

/// Why the loop stopped early.
#[derive(Debug)]
pub enum LoopError<E> {
    /// Drawing on the target failed.
    Draw,
    /// Showing a drawn frame failed.
    Present(E),
}

/// What a run did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Run {
    /// Keys handed to the reader.
    pub keys: u32,
    /// Frames shown.
    pub frames: u32,
}

/// Runs the reader on `board` until the board has no more keys: draws the first screen, then
/// one frame per key. `keeper` (when the board has a state region) keeps what each key changed.
/// A key that wakes a dimmed or dark lit panel only wakes it: the reader would otherwise act on
/// a press made to see the page.
pub fn run<B, S, F>(
    board: &mut B,
    app: &mut App<'_, S>,
    theme: &Theme<B::Color>,
    mut keeper: Option<&mut Keeper<F>>,
    idle: IdlePolicy,
) -> Result<Run, LoopError<B::Error>>
where
    B: Board,
    S: Storage,
    F: MultiwriteNorFlash,
{
    let mut run = Run::default();
    show(board, app, theme, &mut run)?;
    let mut power = Power::On;
    loop {
        match board.wait(idle.next_timeout(power)) {
            Wake::End => return Ok(run),
            Wake::Timeout => {
                power = match power {
                    Power::On if idle.dim_ms.is_some() => Power::Dim,
                    _ => Power::Off,
                };
                board.set_power(power);
            }
            Wake::Input(input) => {
                if power != Power::On {
                    power = Power::On;
                    board.set_power(power);
                    if !idle.waking_key_acts {
                        continue;
                    }
                }
                match keeper.as_deref_mut() {
                    Some(k) => k.handle(app, input),
                    None => app.handle(input),
                }
                run.keys = run.keys.saturating_add(1);
                show(board, app, theme, &mut run)?;
            }
        }
    }
}

/// Shows the shelf of `count` bundles (`label(i)`: name and size) on `board` until one is
/// chosen; `None` when the keys end first.
pub fn choose<'n, B: Board>(
    board: &mut B,
    theme: &Theme<B::Color>,
    profile: &fieldpack_reader::Profile,
    count: usize,
    label: impl Fn(usize) -> (&'n str, u32) + Copy,
) -> Result<Option<usize>, LoopError<B::Error>> {
    let mut shelf = fieldpack_reader::Shelf::default();
    loop {
        shelf
            .draw(board.display(), theme, profile, count, label)
            .map_err(|_| LoopError::Draw)?;
        board.present().map_err(LoopError::Present)?;
        match board.wait(None) {
            Wake::End => return Ok(None),
            Wake::Timeout => {}
            Wake::Input(input) => {
                if let Some(i) = shelf.handle(input, count) {
                    return Ok(Some(i));
                }
            }
        }
    }
}

fn show<B: Board, S: Storage>(
    board: &mut B,
    app: &mut App<'_, S>,
    theme: &Theme<B::Color>,
    run: &mut Run,
) -> Result<(), LoopError<B::Error>> {
    app.draw(board.display(), theme)
        .map_err(|_| LoopError::Draw)?;
    board.present().map_err(LoopError::Present)?;
    run.frames = run.frames.saturating_add(1);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use embedded_graphics::mock_display::MockDisplay;
    use embedded_graphics::pixelcolor::BinaryColor;

    struct Script {
        display: MockDisplay<BinaryColor>,
        wakes: &'static [Wake],
        at: usize,
        timeouts: heapless::Vec<Option<u32>, 16>,
        powers: heapless::Vec<Power, 16>,
        presents: u32,
    }

    impl Board for Script {
        type Color = BinaryColor;
        type Display = MockDisplay<BinaryColor>;
        type Error = ();
        fn display(&mut self) -> &mut Self::Display {
            self.display = MockDisplay::new();
            self.display.set_allow_overdraw(true);
            self.display.set_allow_out_of_bounds_drawing(true);
            &mut self.display
        }
        fn present(&mut self) -> Result<(), ()> {
            self.presents += 1;
            Ok(())
        }
        fn wait(&mut self, timeout_ms: Option<u32>) -> Wake {
            let _ = self.timeouts.push(timeout_ms);
            let w = self.wakes.get(self.at).copied().unwrap_or(Wake::End);
            self.at += 1;
            w
        }
        fn set_power(&mut self, power: Power) {
            let _ = self.powers.push(power);
        }
    }

    #[test]
    fn dims_goes_dark_and_a_waking_key_only_wakes() {
        static WAKES: [Wake; 5] = [
            Wake::Input(Input::Down),
            Wake::Timeout,
            Wake::Timeout,
            Wake::Input(Input::Down),
            Wake::Input(Input::Down),
        ];
        let mut board = Script {
            display: MockDisplay::new(),
            wakes: &WAKES,
            at: 0,
            timeouts: heapless::Vec::new(),
            powers: heapless::Vec::new(),
            presents: 0,
        };
        let mut inflater = fieldpack_format::Inflater::new();
        let mut window = [0u8; 64];
        let bundle: &[u8] = &[];
        let mut app = App::new(
            bundle,
            fieldpack_reader::profile::OLED_128X64,
            &mut inflater,
            &mut window,
        );
        let r = run::<_, _, crate::ImageFlash<'static>>(
            &mut board,
            &mut app,
            &fieldpack_reader::profile::MONO,
            None,
            IdlePolicy::LIT_PANEL,
        )
        .expect("runs");
        assert_eq!(r, Run { keys: 2, frames: 3 });
        assert_eq!(board.presents, 3);
        assert_eq!(
            board.powers.as_slice(),
            &[Power::Dim, Power::Off, Power::On]
        );
        assert_eq!(
            board.timeouts.as_slice(),
            &[
                Some(30_000),
                Some(30_000),
                Some(90_000),
                None,
                Some(30_000),
                Some(30_000)
            ]
        );
    }
}
