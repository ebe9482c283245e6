//! The firmware in QEMU against the simulator: the same reader code must give the same pixels.
//! Needs `qemu-system-arm` and the firmware built (`bash scripts/test-all` does both).

use std::path::{Path, PathBuf};

use fieldpack::emulate::{self, StorageKind};
use fieldpack::sim::{self, parse_keys, Frame};
use fieldpack_reader::{profile_by_name, Profile};

mod common;
use common::root;

fn profile(name: &str) -> Profile {
    profile_by_name(name).expect("profile")
}

fn pack(inputs: &[PathBuf], out: &Path) -> Vec<u8> {
    common::pack(&[], inputs, out)
}

/// Emulated and simulated frames for the same bundle bytes and keys, compared frame by frame.
fn assert_same(
    bytes: &[u8],
    path: &Path,
    storage: StorageKind,
    p: &Profile,
    keys: &str,
) -> Vec<Frame> {
    let keys = parse_keys(keys).expect("keys");
    let emulated = emulate::run(
        &emulate::default_firmware(p),
        Some(path),
        storage,
        p,
        &keys,
        &[],
    )
    .unwrap_or_else(|e| panic!("{}: {e:#}", p.name));
    let simulated = sim::run(bytes, *p, &keys).expect("sim");
    assert_eq!(emulated.frames.len(), keys.len() + 1);
    common::assert_same_frames(p.name, &emulated.frames, &simulated);
    emulated.frames
}

#[test]
fn sample_and_korean_articles_match_the_simulator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("sample.fpk");
    let bytes = pack(&[root().join("assets/articles")], &fpk);
    // The sample (its Han and Hangul in four strikes: 120 KB) is past the board's 104 KiB of
    // bundle flash: read from a file in blocks, as from a card. The news report alone is read
    // from flash.
    let news = dir.path().join("news.fpk");
    let news_bytes = pack(
        &[root().join("assets/articles/000_ac89483567ee3ac3.txt")],
        &news,
    );
    assert!(news_bytes.len() <= emulate::BUNDLE_FLASH_LEN);
    for name in ["128x64", "320x240"] {
        let p = profile(name);
        // The news report: open, page on, page back; in the larger text size too.
        assert_same(
            &news_bytes,
            &news,
            StorageKind::Flash,
            &p,
            "select,down,down,up",
        );
        assert_same(
            &news_bytes,
            &news,
            StorageKind::Flash,
            &p,
            "back,select,back,select,down",
        );
        // The Korean Declaration, and back to the library and the info screen.
        assert_same(
            &bytes,
            &fpk,
            StorageKind::File,
            &p,
            "down,down,down,select,down,back,back",
        );
    }
}

#[test]
fn damaged_truncated_foreign_and_absent_bundles_show_the_error_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("sample.fpk");
    let good = pack(&[root().join("assets/articles")], &fpk);
    let p = profile("128x64");

    let mut damaged = good.clone();
    let at = damaged.len() - 40;
    damaged[at] ^= 0x5A;
    let path = dir.path().join("damaged.fpk");
    std::fs::write(&path, &damaged).expect("write");
    assert_same(
        &damaged,
        &path,
        StorageKind::File,
        &p,
        "down,down,down,down,select,back",
    );

    let truncated = &good[..good.len() / 2];
    let path = dir.path().join("truncated.fpk");
    std::fs::write(&path, truncated).expect("write");
    assert_same(truncated, &path, StorageKind::File, &p, "select");

    // Bundles of the previous format versions and one of a future version.
    for (name, other) in [
        (
            "v1.fpk",
            &include_bytes!("../firmware/format/tests/fixtures/version-1.fpk")[..],
        ),
        (
            "v2.fpk",
            &include_bytes!("../firmware/format/tests/fixtures/version-2.fpk")[..],
        ),
        (
            "v3.fpk",
            &include_bytes!("../firmware/format/tests/fixtures/version-3.fpk")[..],
        ),
        (
            "v4.fpk",
            &include_bytes!("../firmware/format/tests/fixtures/version-4.fpk")[..],
        ),
        (
            "v5.fpk",
            &include_bytes!("../firmware/format/tests/fixtures/version-5.fpk")[..],
        ),
        (
            "v6.fpk",
            &include_bytes!("../firmware/format/tests/fixtures/version-6.fpk")[..],
        ),
        (
            "v8.fpk",
            &include_bytes!("../firmware/format/tests/fixtures/version-8.fpk")[..],
        ),
        (
            "v10.fpk",
            &include_bytes!("../firmware/format/tests/fixtures/version-10.fpk")[..],
        ),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, other).expect("write");
        assert_same(other, &path, StorageKind::Flash, &p, "");
    }

    // No bundle loaded: the flash region reads as erased (zero in QEMU).
    let keys = parse_keys("select").expect("keys");
    let run = emulate::run(
        &emulate::default_firmware(&p),
        None,
        StorageKind::None,
        &p,
        &keys,
        &[],
    )
    .expect("runs");
    let empty = vec![0u8; emulate::BUNDLE_FLASH_LEN];
    assert!(run.frames == sim::run(&empty, p, &keys).expect("sim"));
}

#[test]
fn the_whole_corpus_opens_through_block_storage() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("corpus.fpk");
    let c = root().join("../shared/corpus");
    let bytes = pack(&[c.join("news"), c.join("brown"), c.join("udhr")], &fpk);
    assert!(
        bytes.len() > emulate::BUNDLE_FLASH_LEN * 4,
        "the corpus bundle outgrows flash"
    );
    for name in ["128x64", "320x240"] {
        // Up from the first entry wraps to the last article; then pages, and an article
        // in the middle.
        assert_same(
            &bytes,
            &fpk,
            StorageKind::File,
            &profile(name),
            "up,select,down,back,up,up,up,select,down,down",
        );
    }
}

#[test]
fn panics_and_faults_fail_the_run() {
    let p = profile("128x64");
    for (hook, needle) in [("fault=panic", "panic"), ("fault=hardfault", "hard fault")] {
        let err = emulate::run(
            &emulate::default_firmware(&p),
            None,
            StorageKind::None,
            &p,
            &[],
            &[hook],
        )
        .err()
        .unwrap_or_else(|| panic!("{hook} exited with success"));
        assert!(format!("{err:#}").contains(needle), "{hook}: {err:#}");
    }
}

/// The 320x240 firmware built to trust one publisher key, in a target folder of its own (the
/// default firmware trusts none).
fn trusting_firmware(public_key: &Path) -> PathBuf {
    let qemu = root().join("firmware/qemu");
    let target = qemu.join("target/trusted");
    let status = std::process::Command::new("cargo")
        .current_dir(&qemu)
        .args(["build", "--release", "-q", "--bin", "fieldpack-320x240"])
        .env("CARGO_TARGET_DIR", &target)
        .env("FIELDPACK_TRUSTED_KEYS", public_key)
        .status()
        .expect("cargo");
    assert!(status.success(), "building the trusting firmware failed");
    target.join("thumbv7m-none-eabi/release/fieldpack-320x240")
}

#[test]
fn firmware_with_a_trusted_key_names_the_signer_and_refuses_altered_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = dir.path().join("publisher");
    let fp = env!("CARGO_BIN_EXE_fieldpack");
    let run = |args: &[&std::ffi::OsStr]| {
        let o = std::process::Command::new(fp)
            .args(args)
            .output()
            .expect("run");
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    };
    run(&[
        "keygen".as_ref(),
        "--name".as_ref(),
        "Relief Org".as_ref(),
        "-o".as_ref(),
        key.as_os_str(),
    ]);
    let public = dir.path().join("publisher.pub");
    let fpk = dir.path().join("signed.fpk");
    run(&[
        "build".as_ref(),
        "-q".as_ref(),
        "-o".as_ref(),
        fpk.as_os_str(),
        "--sign".as_ref(),
        key.as_os_str(),
        root().join("assets/articles").as_os_str(),
    ]);
    let firmware = trusting_firmware(&public);
    let p = profile("320x240");
    let pubkey = fieldpack::sign::read_public(&public).expect("key");
    let trusted = [fieldpack_reader::TrustedKey {
        name: "Relief Org",
        public_key: pubkey.key,
    }];
    let trust = fieldpack_reader::Trust {
        keys: &trusted,
        require_signed: false,
    };
    // The info screen names the signer; the news report opens.
    let mut bytes = std::fs::read(&fpk).expect("bundle");
    let keys = parse_keys("back,back,select").expect("keys");
    let emulated =
        emulate::run(&firmware, Some(&fpk), StorageKind::File, &p, &keys, &[]).expect("emulate");
    let simulated = sim::run_trusting(&bytes, p, &keys, trust).expect("sim");
    assert!(
        emulated.frames == simulated,
        "signed bundle: emulator and simulator differ"
    );
    let unsigned_info = sim::run(&bytes, p, &keys).expect("sim");
    assert!(
        unsigned_info[1] != simulated[1],
        "the info screen does not name the signer"
    );

    // One byte near the end of the last article (the Russian Declaration) changed: the firmware
    // shows the error screen once it reads that part (the article is long: it opens at once and
    // lays its pages out as they are read, so the reader jumps towards the end).
    let (_, entries) = fieldpack::report::section_table(&bytes).expect("table");
    let bodies = entries
        .iter()
        .find(|e| e.kind == fieldpack_format::SectionKind::Bodies)
        .expect("bodies");
    let at = (bodies.offset + bodies.len - 100) as usize;
    bytes[at] ^= 0x01;
    let forged = dir.path().join("forged.fpk");
    std::fs::write(&forged, &bytes).expect("w");
    let keys = parse_keys(
        "down,down,down,down,select,pagedown,pagedown,pagedown,pagedown,pagedown,pagedown,pagedown,pagedown,pagedown,pagedown",
    )
    .expect("keys");
    let emulated =
        emulate::run(&firmware, Some(&forged), StorageKind::File, &p, &keys, &[]).expect("emulate");
    let simulated = sim::run_trusting(&bytes, p, &keys, trust).expect("sim");
    assert!(
        emulated.frames == simulated,
        "forged bundle: emulator and simulator differ"
    );
    let mut inflater = Box::new(fieldpack_format::Inflater::new());
    let mut window = vec![0u8; p.window_bytes];
    let mut app =
        fieldpack_reader::App::with_trust(&bytes[..], p, &mut inflater, &mut window, trust);
    for k in &keys {
        app.handle(*k);
    }
    let mut d = fieldpack_reader::NullDisplay::new(p.width, p.height);
    let _ = app.draw(&mut d, &fieldpack_reader::MONO);
    assert!(
        matches!(
            app.screen(),
            fieldpack_reader::Screen::Error {
                error: fieldpack_format::Error::Tampered { .. },
                ..
            }
        ),
        "{:?}",
        app.screen()
    );
}

#[test]
fn the_firmware_keeps_its_memory_as_the_simulator_does() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("sample.fpk");
    let bytes = pack(&[root().join("assets/articles")], &fpk);
    let p = profile("128x64");
    let firmware = emulate::default_firmware(&p);
    let state = dir.path().join("state.bin");
    std::fs::write(
        &state,
        vec![0xFFu8; fieldpack_device::STATE_REGION_LEN as usize],
    )
    .expect("w");
    let mut image = vec![0xFFu8; fieldpack_device::STATE_REGION_LEN as usize];
    // Three power-ons: read and bookmark, then come back to the page and set the larger text,
    // then find it set.
    for script in [
        "select,down,down,hold,down",
        "up,back,down,back,select",
        "back,select",
    ] {
        let keys = parse_keys(script).expect("keys");
        let arg = format!("state={}", state.display());
        let emulated = emulate::run(&firmware, Some(&fpk), StorageKind::File, &p, &keys, &[&arg])
            .expect("emulate");
        let simulated =
            sim::run_session(&bytes, p, &keys, Default::default(), Some(&mut image)).expect("sim");
        assert!(emulated.frames == simulated, "{script}: frames differ");
        assert!(
            std::fs::read(&state).expect("state") == image,
            "{script}: the state regions differ"
        );
    }
}
