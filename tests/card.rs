//! Bundles on a microSD card: a real card image (a partition table from `sfdisk`, a FAT32
//! volume from `mkfs.fat`, files copied in by `mcopy`), read by the device's own card code
//! through `embedded-sdmmc`. Needs fdisk, dosfstools and mtools (`scripts/setup` installs them).

use std::path::{Path, PathBuf};

#[path = "card_image.rs"]
mod card_image;
use card_image::card;

use fieldpack::sim::{self, parse_keys};
use fieldpack_reader::profile_by_name;

mod common;
use common::root;

fn pack(inputs: &[PathBuf], out: &Path) -> Vec<u8> {
    common::pack(&[], inputs, out)
}

#[test]
fn a_card_with_two_bundles_shows_the_shelf_and_opens_the_chosen_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample_path = dir.path().join("sample.fpk");
    let sample = pack(&[root().join("assets/articles")], &sample_path);
    let udhr_path = dir.path().join("udhr.fpk");
    let udhr = pack(&[root().join("../shared/corpus/udhr")], &udhr_path);
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a bundle").expect("notes");
    let image = card(
        dir.path(),
        &[
            ("Sample articles.fpk", &sample_path),
            ("UDHR.FPK", &udhr_path),
            ("NOTES.TXT", &notes),
        ],
    );
    for name in ["128x64", "320x240"] {
        let p = profile_by_name(name).expect("profile");
        // The shelf lists the two bundles in name order (the text file is not one): down to
        // the second, choose it, then page in its library and open an article.
        let keys = parse_keys("down,select,down,select,down").expect("keys");
        let frames = fieldpack::card::run(image.clone(), p, &keys).expect("card");
        assert_eq!(frames.len(), keys.len() + 1, "{name}");
        assert!(
            frames[0] != frames[1],
            "{name}: the shelf's selection did not move"
        );
        // From the choice on, the screens are those of that bundle read whole.
        let direct = sim::run(&udhr, p, &keys[2..]).expect("sim");
        for (i, (a, b)) in frames[2..].iter().zip(&direct).enumerate() {
            assert!(
                a == b,
                "{name}: frame {} differs from the bundle read whole",
                i + 2
            );
        }
        // Choosing the first instead opens the sample.
        let frames = fieldpack::card::run(image.clone(), p, &parse_keys("select").expect("k"))
            .expect("card");
        let direct = sim::run(&sample, p, &[]).expect("sim");
        assert!(
            frames[1] == direct[0],
            "{name}: the first bundle did not open"
        );
    }
}

#[test]
fn a_card_with_one_bundle_opens_it_and_a_bad_card_is_named() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample_path = dir.path().join("sample.fpk");
    let sample = pack(&[root().join("assets/articles")], &sample_path);
    let image = card(dir.path(), &[("FIELD.FPK", &sample_path)]);
    let p = profile_by_name("320x240").expect("profile");
    let keys = parse_keys("select,down").expect("keys");
    let frames = fieldpack::card::run(image, p, &keys).expect("card");
    let direct = sim::run(&sample, p, &keys).expect("sim");
    assert!(frames == direct, "one bundle: no shelf, the bundle itself");

    // No bundle on the card, and no FAT volume at all: clear errors.
    let empty = card(dir.path(), &[]);
    let err = format!("{:#}", fieldpack::card::run(empty, p, &[]).unwrap_err());
    assert!(err.contains("no bundles"), "{err}");
    let err = format!(
        "{:#}",
        fieldpack::card::run(vec![0u8; 1 << 20], p, &[]).unwrap_err()
    );
    assert!(err.contains("FAT"), "{err}");
}
