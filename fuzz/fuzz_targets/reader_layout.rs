//! Any bytes as a bundle, laid out by the reader without drawing: each article's page table
//! on the smallest and the largest profile, and its pages. Catches what drawing-free layout
//! can get wrong (arithmetic, loops that do not end) at a thousand times the speed of
//! `open_and_drive`, which draws every frame.
#![no_main]

use fieldpack_format::{Bundle, Inflater};
use fieldpack_reader::{App, PageTable, Typesetter, PROFILES};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut inflater = Box::new(Inflater::new());
    for profile in [PROFILES[0], PROFILES[3]] {
        let Ok(b) = Bundle::open(data) else {
            return;
        };
        let mut window = vec![0u8; profile.window_bytes];
        let Ok(mut ts) = Typesetter::new(b, &mut inflater, &mut window, profile.size_class)
        else {
            return;
        };
        let area = App::<&[u8]>::text_area(&profile, ts.line_height());
        for i in 0..ts.bundle.article_count().min(4) {
            let Ok(art) = ts.open_article(i) else { continue };
            let Ok(pages) = PageTable::build(&mut ts, &art, area.width, area.height) else {
                continue;
            };
            for n in [0, pages.count / 2, pages.count.saturating_sub(1)] {
                if let Ok(start) = pages.start(&mut ts, &art, n, area.width, area.height) {
                    let _ = ts.page(&art, start, area.width, area.height, |_, _, _| Ok(()));
                }
            }
        }
    }
});
