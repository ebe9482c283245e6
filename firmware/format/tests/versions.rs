//! Bundles of other format versions are refused with the version named, never misread.

use fieldpack_format::{Bundle, Error};

#[test]
fn version_9_opens() {
    let bytes: &[u8] = include_bytes!("fixtures/version-9.fpk");
    let mut b = Bundle::open(bytes).expect("version 9 opens");
    assert_eq!(b.article_count(), 1);
    // Its article's metadata decodes too (a line box for each of the four size classes): the
    // fixture is the format as it stands, not an earlier draft of it.
    let rec = b.article(0).expect("record");
    let mut buf = [0u8; fieldpack_format::layout::MAX_META_LEN];
    let meta = b.meta(&rec, &mut buf).expect("metadata");
    assert_eq!(meta.title, "A bundle from the future.");
    assert_eq!(b.strikes().len(), 4);
}

#[test]
fn other_versions_are_refused_by_number() {
    for (bytes, found) in [
        (&include_bytes!("fixtures/version-0.fpk")[..], 0),
        // A real version 1 bundle, as fieldpack 0.1 wrote it (12-byte glyph records).
        (&include_bytes!("fixtures/version-1.fpk")[..], 1),
        // A real version 2 bundle, as fieldpack wrote it before version 3 bounded chunk
        // expansion and made chunks and articles tile their sections.
        (&include_bytes!("fixtures/version-2.fpk")[..], 2),
        // A real version 3 bundle, as fieldpack wrote it before version 4 folded accents in
        // the title index and added the Offers section.
        (&include_bytes!("fixtures/version-3.fpk")[..], 3),
        // A real version 4 bundle, as fieldpack wrote it before version 5 gave each article
        // its own line box.
        (&include_bytes!("fixtures/version-4.fpk")[..], 4),
        // A real version 5 bundle, as fieldpack wrote it before version 6 added level runs,
        // shaped words and shaped glyph keys.
        (&include_bytes!("fixtures/version-5.fpk")[..], 5),
        // A real version 6 bundle, as fieldpack wrote it before version 7 added aliases to the
        // title index.
        (&include_bytes!("fixtures/version-6.fpk")[..], 6),
        // A real version 7 bundle, as fieldpack wrote it before version 8 marked each
        // paragraph's block (headings, list items, table rows...).
        (&include_bytes!("fixtures/version-7.fpk")[..], 7),
        // A real version 8 bundle, as fieldpack wrote it before version 9 added the smooth
        // strike (anti-aliased glyphs, two bits a pixel, for colour displays).
        (&include_bytes!("fixtures/version-8.fpk")[..], 8),
        (&include_bytes!("fixtures/version-10.fpk")[..], 10),
    ] {
        assert_eq!(
            Bundle::open(bytes).err(),
            Some(Error::UnsupportedVersion {
                found,
                supported: 9
            })
        );
    }
}

#[test]
fn short_and_foreign_bytes() {
    assert_eq!(Bundle::open(&b""[..]).err(), Some(Error::NotABundle));
    assert_eq!(
        Bundle::open(&b"%PDF-1.7 and so on, long enough"[..]).err(),
        Some(Error::NotABundle)
    );
    let v3: &[u8] = include_bytes!("fixtures/version-9.fpk");
    assert!(matches!(
        Bundle::open(&v3[..20]).err(),
        Some(Error::Truncated { .. })
    ));
    assert!(matches!(
        Bundle::open(&v3[..v3.len() - 1]).err(),
        Some(Error::Truncated { .. })
    ));
}
