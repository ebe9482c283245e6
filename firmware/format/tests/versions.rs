//! Bundles of other format versions are refused with the version named, never misread.

use fieldpack_format::{Bundle, Error};

#[test]
fn version_1_opens() {
    let bytes: &[u8] = include_bytes!("fixtures/version-1.fpk");
    let b = Bundle::open(bytes).expect("version 1 opens");
    assert_eq!(b.article_count(), 1);
}

#[test]
fn other_versions_are_refused_by_number() {
    for (bytes, found) in [
        (&include_bytes!("fixtures/version-0.fpk")[..], 0),
        (&include_bytes!("fixtures/version-2.fpk")[..], 2),
    ] {
        assert_eq!(
            Bundle::open(bytes).err(),
            Some(Error::UnsupportedVersion {
                found,
                supported: 1
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
    let v1: &[u8] = include_bytes!("fixtures/version-1.fpk");
    assert!(matches!(
        Bundle::open(&v1[..20]).err(),
        Some(Error::Truncated { .. })
    ));
    assert!(matches!(
        Bundle::open(&v1[..v1.len() - 1]).err(),
        Some(Error::Truncated { .. })
    ));
}
