//! Any bytes as a bundle, any key presses, every profile: the reader must answer with screens,
//! never a panic or a hang.
//!
//! Input: byte 0 = number of keys (mod 64), then that many key bytes (mod 6), then the bundle.
#![no_main]

use embedded_graphics::pixelcolor::BinaryColor;
use embedded_graphics::prelude::*;
use fieldpack_format::Inflater;
use fieldpack_reader::{App, Input, MONO, PROFILES};
use libfuzzer_sys::fuzz_target;

/// A display that keeps nothing: drawing is exercised, not stored.
struct Null(Size);

impl OriginDimensions for Null {
    fn size(&self) -> Size {
        self.0
    }
}

impl DrawTarget for Null {
    type Color = BinaryColor;
    type Error = core::convert::Infallible;
    fn draw_iter<I: IntoIterator<Item = Pixel<BinaryColor>>>(&mut self, pixels: I) -> Result<(), Self::Error> {
        for p in pixels {
            std::hint::black_box(p);
        }
        Ok(())
    }
}

const KEYS: [Input; 6] = [Input::Up, Input::Down, Input::Left, Input::Right, Input::Select, Input::Back];

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else { return };
    let n = (n % 64) as usize;
    let (keys, bundle) = rest.split_at(n.min(rest.len()));
    let mut inflater = Box::new(Inflater::new());
    for profile in [PROFILES[0], PROFILES[3]] {
        let mut window = vec![0u8; profile.window_bytes];
        let mut app = App::new(bundle, profile, &mut inflater, &mut window);
        let mut display = Null(Size::new(profile.width, profile.height));
        let _ = app.draw(&mut display, &MONO);
        for &k in keys {
            app.handle(KEYS[(k % 6) as usize]);
            let _ = app.draw(&mut display, &MONO);
        }
    }
});
