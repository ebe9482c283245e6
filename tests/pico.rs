//! The Raspberry Pi Pico boards' firmware in the rp2040js emulator against the simulator: the
//! same pixels from the frames the display controllers were sent, the bundle loaded as the
//! BOOTSEL drive loads a UF2 file, the reader's memory kept in the Pico's own flash.
//! Needs node, the harness's packages and the firmware built (`bash scripts/test-all`).

#[path = "card_image.rs"]
mod card_image;

use fieldpack::pico;
use fieldpack::sim::{self, parse_keys, Frame};
use fieldpack::uf2::{self, Board, BOARDS};

mod common;
use common::{pack, root};

fn same_frames(board: &Board, what: &str, emulated: &[Frame], simulated: &[Frame]) {
    common::assert_same_frames(&format!("{}: {what}", board.name), emulated, simulated);
}

/// Emulated frames of `board` for `bytes` and `keys`, checked against the simulator's.
fn assert_same(board: &Board, bytes: &[u8], keys: &str) -> pico::Report {
    let profile = pico::profile(board).expect("profile");
    let keys = parse_keys(keys).expect("keys");
    let run = pico::run(
        board,
        &profile,
        &pico::default_firmware(board),
        bytes,
        &keys,
        None,
    )
    .unwrap_or_else(|e| panic!("{}: {e:#}", board.name));
    let simulated = sim::run(bytes, profile, &keys).expect("sim");
    assert_eq!(run.frames.len(), keys.len() + 1);
    same_frames(board, "frames", &run.frames, &simulated);
    run.report
}

#[test]
fn sample_and_korean_articles_match_the_simulator_on_every_board() {
    let dir = tempfile::tempdir().expect("tempdir");
    for board in BOARDS {
        let fpk = dir.path().join(format!("{}.fpk", board.name));
        // Made for the board: its 32 KiB window.
        let bytes = pack(
            &["--board", board.name],
            &[root().join("assets/articles")],
            &fpk,
        );
        // The news report: open, page on twice, page back, a bookmark, the library.
        let report = assert_same(&board, &bytes, "select,down,down,up,hold,back");
        // Every frame reached the panel through its controller's bus.
        assert!(
            report.turns.iter().all(|t| t.bus_bytes > 0),
            "{}",
            board.name
        );
        // The Korean Declaration, back to the library and on to the information screen.
        assert_same(&board, &bytes, "down,down,down,select,down,back,back");
    }
}

#[test]
fn a_damaged_bundle_in_flash_shows_the_error_screen() {
    let dir = tempfile::tempdir().expect("tempdir");
    let good = pack(
        &[],
        &[root().join("assets/articles")],
        &dir.path().join("s.fpk"),
    );
    // A byte of the header changed (its checksum no longer matches), and a bundle cut short.
    let mut damaged = good.clone();
    damaged[12] ^= 0x5A;
    let mut truncated = good.clone();
    truncated.truncate(good.len() / 2);
    for board in [uf2::board("pico-oled"), uf2::board("pico-display-2")] {
        let board = board.expect("board");
        for (what, bytes) in [("damaged", &damaged), ("truncated", &truncated)] {
            let profile = pico::profile(&board).expect("profile");
            let keys = parse_keys("down,select,back").expect("keys");
            let run = pico::run(
                &board,
                &profile,
                &pico::default_firmware(&board),
                bytes,
                &keys,
                None,
            )
            .unwrap_or_else(|e| panic!("{}: {what}: {e:#}", board.name));
            // The Pico sees its whole bundle region: the bytes, then erased flash.
            let mut region = bytes.clone();
            region.resize(board.flash.bundle_max() as usize, 0xFF);
            let simulated = sim::run(&region, profile, &keys).expect("sim");
            same_frames(&board, what, &run.frames, &simulated);
            // The simulator's first frame for a bad bundle is the error screen, which the
            // intact bundle's is not.
            let intact = sim::run(&good, profile, &[]).expect("sim");
            assert!(
                run.frames[0] != intact[0],
                "{}: {what}: not an error screen",
                board.name
            );
        }
    }
    // `fieldpack uf2` refuses to make a UF2 of a damaged bundle at all.
    assert!(uf2::bundle_uf2(&damaged, &uf2::board("pico-oled").expect("board")).is_err());
}

#[test]
fn a_uf2_file_decodes_back_to_the_bundle_and_the_firmware() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bundle = pack(
        &[],
        &[root().join("assets/articles")],
        &dir.path().join("s.fpk"),
    );
    let board = uf2::board("pico-display").expect("board");
    let file = uf2::bundle_uf2(&bundle, &board).expect("uf2");
    let blocks = uf2::decode(&file).expect("decode");
    assert_eq!(blocks[0].0, board.flash.bundle_addr);
    let mut back = Vec::new();
    for (i, (addr, payload)) in blocks.iter().enumerate() {
        assert_eq!(*addr, board.flash.bundle_addr + (i * uf2::PAYLOAD) as u32);
        back.extend_from_slice(payload);
    }
    assert_eq!(&back[..bundle.len()], &bundle[..]);
    assert!(back[bundle.len()..].iter().all(|&b| b == 0xFF));

    // The firmware's UF2 lies below the bundle, and holds the ELF's loadable bytes.
    let elf = std::fs::read(pico::default_firmware(&board)).expect("firmware");
    let fw = uf2::decode(&uf2::firmware_uf2(&elf, &board).expect("uf2")).expect("decode");
    assert_eq!(fw[0].0, board.flash.flash_base);
    assert!(fw.iter().all(|(a, _)| *a < board.flash.bundle_addr));
    for seg in fieldpack::elf::segments(&elf).expect("segments") {
        let at = (seg.addr - board.flash.flash_base) as usize;
        let flat: Vec<u8> = fw.iter().flat_map(|(_, p)| p.iter().copied()).collect();
        assert_eq!(&flat[at..at + seg.data.len()], &seg.data[..]);
    }

    // Too big for the flash after the firmware: refused, with the sizes.
    let big = vec![0u8; board.flash.bundle_max() as usize + 1];
    let err = format!("{:#}", uf2::bundle_uf2(&big, &board).unwrap_err());
    assert!(err.contains("bundle"), "{err}");
}

#[test]
fn the_pico_keeps_its_place_in_its_own_flash_and_the_simulator_reads_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = pack(
        &[],
        &[root().join("assets/articles")],
        &dir.path().join("s.fpk"),
    );
    let board = uf2::board("pico-oled").expect("board");
    let profile = pico::profile(&board).expect("profile");
    let fw = pico::default_firmware(&board);
    let state = dir.path().join("state.bin");
    std::fs::write(
        &state,
        vec![0xFFu8; fieldpack_device::STATE_REGION_LEN as usize],
    )
    .expect("state");
    // Open the news report, turn two pages, bookmark the page.
    let keys = parse_keys("select,down,down,hold").expect("keys");
    let first = pico::run(&board, &profile, &fw, &bytes, &keys, Some(&state)).expect("run");
    assert!(
        first.report.flash.programmed_pages > 0,
        "the reader's memory was written through the boot ROM"
    );
    let reading = first.frames.last().expect("frame").clone();
    // Power on again: the same page, bookmarked.
    let second = pico::run(&board, &profile, &fw, &bytes, &[], Some(&state)).expect("run");
    assert!(
        second.frames[0] == reading,
        "the Pico reopened on another screen"
    );
    // The region is the same format everywhere: the simulator reopens there too.
    let mut image = std::fs::read(&state).expect("state");
    let frames = sim::run_session(
        &bytes,
        profile,
        &[],
        fieldpack_reader::Trust::default(),
        Some(&mut image),
    )
    .expect("sim");
    assert!(frames[0] == reading, "the simulator reopened elsewhere");
}

#[test]
fn board_footprints_stay_within_64_kib_of_ram() {
    let dir = tempfile::tempdir().expect("tempdir");
    let bytes = pack(
        &[],
        &[root().join("assets/articles")],
        &dir.path().join("s.fpk"),
    );
    for board in BOARDS {
        let f =
            fieldpack::footprint::measure_board(&board, &pico::default_firmware(&board), &bytes)
                .unwrap_or_else(|e| panic!("{}: {e:#}", board.name));
        assert!(
            f.memory.ram() < 64 * 1024,
            "{}: {} bytes of RAM all told",
            board.name,
            f.memory.ram()
        );
        assert!(
            f.memory.flash() < 1024 * 1024,
            "{}: firmware over 1 MiB",
            board.name
        );
    }
}

#[test]
fn a_card_with_two_bundles_shows_the_shelf_on_the_boards_with_a_slot() {
    let dir = tempfile::tempdir().expect("tempdir");
    let sample_path = dir.path().join("sample.fpk");
    pack(&[], &[root().join("assets/articles")], &sample_path);
    let korean_path = dir.path().join("korean.fpk");
    pack(
        &[],
        &[root().join("assets/articles/udhr_kor.html")],
        &korean_path,
    );
    let image = card_image::card(
        dir.path(),
        &[
            ("Sample articles.fpk", &sample_path),
            ("KOREAN.FPK", &korean_path),
        ],
    );
    let img_path = dir.path().join("card.img");
    std::fs::write(&img_path, &image).expect("image");
    // In flash, a third bundle: the card's take the place of it.
    let flash = pack(
        &[],
        &[root().join("assets/articles")],
        &dir.path().join("f.fpk"),
    );
    for name in ["pico-oled", "pico-epaper"] {
        let board = uf2::board(name).expect("board");
        let profile = pico::profile(&board).expect("profile");
        let keys = parse_keys("down,select,down,select").expect("keys");
        let run = pico::run_with_card(
            &board,
            &profile,
            &pico::default_firmware(&board),
            &flash,
            &keys,
            None,
            Some(&img_path),
        )
        .unwrap_or_else(|e| panic!("{name}: {e:#}"));
        assert!(
            run.report.card_blocks_read.unwrap_or(0) > 0,
            "{name}: nothing read from the card"
        );
        // Reading from a card takes the deepest stack: the budget holds with it too.
        let firmware = pico::default_firmware(&board);
        let (text, rodata, data, bss) =
            fieldpack::footprint::sections(&firmware).expect("sections");
        let memory = fieldpack::footprint::Footprint {
            profile: board.profile.to_string(),
            text,
            rodata,
            data,
            bss,
            stack: run.report.stack_bytes.expect("stack measured"),
        };
        eprintln!(
            "{name} with a card: {} bytes of RAM all told ({} of stack)",
            memory.ram(),
            memory.stack
        );
        assert!(
            memory.ram() < 64 * 1024,
            "{name} with a card: {} bytes of RAM all told",
            memory.ram()
        );
        // The same session with the simulator reading the same card image.
        let simulated = fieldpack::card::run(image.clone(), profile, &keys).expect("sim");
        same_frames(&board, "card", &run.frames, &simulated);
    }
}
