//! Any bytes as a bundle, read the way every reader reads one, without drawing: open, the
//! info, every article's record, metadata and chunks, a title search and glyph lookups. Fast
//! (thousands of inputs a second), so it reaches deep into the format's checks.
//!
//! Input: byte 0 = length of a title prefix to search for, then that many bytes, then the bundle.
#![no_main]

use fieldpack_format::layout::{MAX_INFO_LEN, MAX_META_LEN};
use fieldpack_format::{Bundle, Inflater};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&n, rest)) = data.split_first() else {
        return;
    };
    let (prefix, bundle) = rest.split_at(usize::from(n % 16).min(rest.len()));
    let Ok(mut b) = Bundle::open(bundle) else {
        return;
    };
    let mut buf = [0u8; if MAX_INFO_LEN > MAX_META_LEN { MAX_INFO_LEN } else { MAX_META_LEN }];
    let _ = b.info(&mut buf);
    let mut inflater = Box::new(Inflater::new());
    let mut window = vec![0u8; b.window_needed() as usize];
    // Bounded, so that a bundle claiming millions of articles stays one fast input.
    for i in 0..b.article_count().min(64) {
        let Ok(rec) = b.article(i) else { continue };
        let _ = b.meta(&rec, &mut buf);
        for c in rec.first_chunk..rec.first_chunk.saturating_add(rec.chunk_count.min(8)) {
            if let Ok(range) = b.load_chunk(c, &mut inflater, &mut window) {
                assert!(range.end <= window.len());
            }
        }
        let _ = b.title_order(i);
    }
    let _ = b.find_title(&String::from_utf8_lossy(prefix), &mut buf);
    for s in b.strikes().to_vec() {
        for c in ['a', 'Ж', '한', '\u{FFFD}'] {
            if let Ok(Some(g)) = b.glyph(&s, c) {
                let mut bits = [0u8; 256];
                let _ = b.glyph_bitmap(&g, &mut bits);
            }
        }
    }
});
