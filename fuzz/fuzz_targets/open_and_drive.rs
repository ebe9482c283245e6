//! Any bytes as a bundle, any key presses, every profile: the reader must answer with screens,
//! never a panic or a hang.
//!
//! Input: byte 0 = number of keys (mod 64), then that many key bytes (mod 6), then the bundle.
#![no_main]

use fieldpack_format::Inflater;
use fieldpack_reader::{App, Input, NullDisplay, MONO, PROFILES};
use libfuzzer_sys::fuzz_target;

const KEYS: [Input; 6] = [
    Input::Up,
    Input::Down,
    Input::Left,
    Input::Right,
    Input::Select,
    Input::Back,
];

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let n = (n % 64) as usize;
    let (keys, bundle) = rest.split_at(n.min(rest.len()));
    let mut inflater = Box::new(Inflater::new());
    for profile in [PROFILES[0], PROFILES[3]] {
        let mut window = vec![0u8; profile.window_bytes];
        let mut app = App::new(bundle, profile, &mut inflater, &mut window);
        let mut display = NullDisplay::new(profile.width, profile.height);
        let _ = app.draw(&mut display, &MONO);
        for &k in keys {
            app.handle(KEYS[(k % 6) as usize]);
            let _ = app.draw(&mut display, &MONO);
        }
    }
});
