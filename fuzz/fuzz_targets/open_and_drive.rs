//! Any bytes as a bundle, any key presses, every profile: the reader must answer with screens,
//! never a panic or a hang.
//!
//! Input: byte 0 = number of keys (mod 64), then that many key bytes (each picks one of
//! `Input::GESTURES`: the search screen and long articles' paging included), then the bundle.
#![no_main]

use fieldpack_format::Inflater;
use fieldpack_reader::{App, Input, NullDisplay, MONO, PROFILES};
use libfuzzer_sys::fuzz_target;

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
            let gestures = &Input::GESTURES;
            app.handle(gestures[k as usize % gestures.len()].0);
            let _ = app.draw(&mut display, &MONO);
        }
    }
});
