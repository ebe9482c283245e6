//! A board's buttons as the reader's inputs: debounced, with a long press of Select as `Hold`.
//!
//! A board samples its buttons' levels (on an interrupt's wake-up, then every few ms while any
//! is down) and passes them with the time; mechanical contacts bounce for a few milliseconds,
//! so a level counts only once it has held for [`DEBOUNCE_MS`]. Select is reported when it is
//! let go, as `Select` after a short press or, once it has been held [`LONG_PRESS_MS`], as
//! `Hold` (and nothing when it is let go): a long press sets a bookmark on a page. Up and Down
//! act when pressed; held for [`LONG_PRESS_MS`] they go on as `PageUp` and `PageDown`, again
//! every [`REPEAT_MS`] while held, as a keyboard's keys repeat.

use fieldpack_reader::Input;

/// Milliseconds a level must hold to count (contacts of tactile switches settle in 5-10).
pub const DEBOUNCE_MS: u32 = 20;

/// Milliseconds Select must be held to be a long press.
pub const LONG_PRESS_MS: u32 = 600;

/// Milliseconds between the repeats of a held Up or Down.
pub const REPEAT_MS: u32 = 300;

#[derive(Clone, Copy, Debug, Default)]
struct Button {
    /// The debounced level.
    down: bool,
    /// The raw level last seen and since when.
    raw: bool,
    raw_since: u32,
    /// When the debounced press began, and whether its long press was reported.
    pressed_at: u32,
    held: bool,
}

/// Debounced buttons, `N` of them, each standing for one input.
pub struct Buttons<const N: usize> {
    map: [Input; N],
    state: [Button; N],
}

impl<const N: usize> Buttons<N> {
    /// Buttons that stand for `map` (a board's wiring: which button is Up, Select, ...).
    pub fn new(map: [Input; N]) -> Self {
        Buttons {
            map,
            state: [Button::default(); N],
        }
    }

    /// Takes the buttons' raw levels (`true`: pressed) at `now_ms` and returns what the reader
    /// is to do, if anything (at most one input per call: the first button in `map` order).
    pub fn update(&mut self, now_ms: u32, levels: [bool; N]) -> Option<Input> {
        let mut out = None;
        for ((b, &level), &input) in self.state.iter_mut().zip(&levels).zip(&self.map) {
            if level != b.raw {
                b.raw = level;
                b.raw_since = now_ms;
            }
            let settled = now_ms.wrapping_sub(b.raw_since) >= DEBOUNCE_MS;
            let event = if settled && b.raw != b.down {
                b.down = b.raw;
                if b.down {
                    b.pressed_at = now_ms;
                    b.held = false;
                    // Select waits for its release or its long press; the others act at once.
                    (input != Input::Select).then_some(input)
                } else if input == Input::Select && !b.held {
                    Some(Input::Select)
                } else {
                    None
                }
            } else if b.down
                && b.raw
                && input == Input::Select
                && !b.held
                && now_ms.wrapping_sub(b.pressed_at) >= LONG_PRESS_MS
            {
                b.held = true;
                Some(Input::Hold)
            } else if b.down
                && b.raw
                && matches!(input, Input::Up | Input::Down)
                && now_ms.wrapping_sub(b.pressed_at) >= LONG_PRESS_MS
            {
                // The first page after the long press, then one every REPEAT_MS: the press
                // time moves on so that the next repeat is measured from this one.
                b.held = true;
                b.pressed_at = now_ms.wrapping_sub(LONG_PRESS_MS - REPEAT_MS);
                Some(if input == Input::Up {
                    Input::PageUp
                } else {
                    Input::PageDown
                })
            } else {
                None
            };
            if out.is_none() {
                out = event;
            }
        }
        out
    }

    /// Whether any button is down (raw or debounced): the board keeps sampling until none is,
    /// then sleeps until a button's interrupt.
    pub fn busy(&self) -> bool {
        self.state.iter().any(|b| b.down || b.raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(
        buttons: &mut Buttons<2>,
        script: &[(u32, [bool; 2])],
        until: u32,
    ) -> heapless::Vec<(u32, Input), 8> {
        let mut out = heapless::Vec::new();
        let mut levels = [false; 2];
        let mut next = 0;
        for t in 0..until {
            while let Some(&(at, l)) = script.get(next) {
                if at > t {
                    break;
                }
                levels = l;
                next += 1;
            }
            if let Some(i) = buttons.update(t, levels) {
                let _ = out.push((t, i));
            }
        }
        out
    }

    #[test]
    fn a_release_seen_late_is_not_a_long_press() {
        // A short press of Down, then the firmware draws and refreshes an e-paper page for
        // 900 ms and looks at the keys only then, the button long released: one Down, not a
        // Down and a PageDown (a screenful skipped), and a short Select is a Select.
        for input in [Input::Down, Input::Select] {
            let mut b = Buttons::new([input, Input::Up]);
            let mut got = heapless::Vec::<Input, 4>::new();
            for (t, level) in [
                (0, true),
                (10, true),
                (25, true),
                (900, false),
                (930, false),
            ] {
                if let Some(i) = b.update(t, [level, false]) {
                    let _ = got.push(i);
                }
            }
            assert_eq!(got.as_slice(), &[input], "{input:?}");
            assert!(!b.busy());
        }
    }

    #[test]
    fn a_bouncing_press_is_one_press() {
        let mut b = Buttons::new([Input::Down, Input::Select]);
        // Down bounces for 6 ms on press and on release.
        let script = [
            (10, [true, false]),
            (11, [false, false]),
            (12, [true, false]),
            (14, [false, false]),
            (16, [true, false]),
            (200, [false, false]),
            (202, [true, false]),
            (203, [false, false]),
        ];
        let got = run(&mut b, &script, 400);
        assert_eq!(got.len(), 1, "{got:?}");
        assert_eq!(got[0], (16 + DEBOUNCE_MS, Input::Down));
        assert!(!b.busy());
    }

    #[test]
    fn select_short_and_long() {
        let mut b = Buttons::new([Input::Down, Input::Select]);
        let script = [(10, [false, true]), (150, [false, false])];
        let got = run(&mut b, &script, 400);
        assert_eq!(got.as_slice(), &[(150 + DEBOUNCE_MS, Input::Select)]);
        let mut b = Buttons::new([Input::Down, Input::Select]);
        let script = [(10, [false, true]), (1500, [false, false])];
        let got = run(&mut b, &script, 2000);
        assert_eq!(
            got.as_slice(),
            &[(10 + DEBOUNCE_MS + LONG_PRESS_MS, Input::Hold)],
            "a long press is Hold alone"
        );
    }

    #[test]
    fn a_held_down_pages_and_repeats() {
        let mut b = Buttons::new([Input::Down, Input::Select]);
        let script = [(10, [true, false]), (1500, [false, false])];
        let got = run(&mut b, &script, 2000);
        let press = 10 + DEBOUNCE_MS;
        let first = press + LONG_PRESS_MS;
        assert_eq!(
            got.as_slice(),
            &[
                (press, Input::Down),
                (first, Input::PageDown),
                (first + REPEAT_MS, Input::PageDown),
                (first + 2 * REPEAT_MS, Input::PageDown),
            ],
            "a step at once, then a page after the long press and every REPEAT_MS"
        );
    }

    #[test]
    fn the_clock_may_wrap() {
        let mut b = Buttons::new([Input::Down, Input::Select]);
        let start = u32::MAX - 5;
        assert_eq!(b.update(start, [true, false]), None);
        assert_eq!(
            b.update(start.wrapping_add(DEBOUNCE_MS), [true, false]),
            Some(Input::Down)
        );
    }
}
