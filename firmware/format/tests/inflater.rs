//! Streaming inflate of real chunks, and the firmware's zero-initialised inflater.

use core::mem::MaybeUninit;

use fieldpack_format::{Bundle, Codec, Inflater};

const BUNDLE: &[u8] = include_bytes!("fixtures/deflate-chunks.fpk");

fn body(inflater: &mut Inflater) -> Vec<u8> {
    let mut b = Bundle::open(BUNDLE).expect("open");
    let rec = b.article(0).expect("article");
    let mut window = vec![0u8; b.window_needed() as usize];
    let mut out = Vec::new();
    for c in rec.first_chunk..rec.first_chunk + rec.chunk_count {
        assert_eq!(b.chunk(c).expect("chunk").codec, Codec::Deflate);
        let r = b.load_chunk(c, inflater, &mut window).expect("inflate");
        out.extend_from_slice(&window[r]);
    }
    assert_eq!(out.len(), rec.raw_len as usize);
    assert_eq!(fieldpack_format::crc32(&out), rec.body_crc);
    out
}

#[test]
fn chunks_inflate_to_the_body() {
    let text = body(&mut Inflater::new());
    assert!(text.starts_with(b"Paragraph 0: the quick brown fox"));
    assert!(text.ends_with(b"Paragraph 59: the quick brown fox jumps over the lazy dog, again and again, to make deflate worth it."));
}

/// The firmware places its inflater, zeroed, in .bss instead of building it on the stack; that
/// is sound only while miniz_oxide's initial state is all zeros.
#[test]
#[allow(unsafe_code)]
fn inflater_from_zeroed_bytes_decodes() {
    let mut slot = Box::new(MaybeUninit::<Inflater>::zeroed());
    // SAFETY: what this test checks; see firmware/qemu/src/bin/*.rs.
    let zeroed = unsafe { slot.assume_init_mut() };
    assert_eq!(body(zeroed), body(&mut Inflater::new()));
}

#[test]
fn a_window_one_byte_short_is_refused() {
    let mut b = Bundle::open(BUNDLE).expect("open");
    let mut window = vec![0u8; b.window_needed() as usize - 1];
    assert!(matches!(
        b.load_chunk(0, &mut Inflater::new(), &mut window),
        Err(fieldpack_format::Error::BufferTooSmall { .. })
    ));
}
