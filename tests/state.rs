//! The reader's memory across runs (`sim --state`): resume, history, bookmarks, another
//! profile, another bundle, a garbage state file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use fieldpack::sim;
use fieldpack_format::Inflater;
use fieldpack_reader::{profile_by_name, App, Input, Screen};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fieldpack"))
        .args(args)
        .output()
        .expect("run fieldpack")
}

fn ok(args: &[&str]) -> Output {
    let o = run(args);
    assert!(
        o.status.success(),
        "fieldpack {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn sample(dir: &Path) -> PathBuf {
    let fpk = dir.join("sample.fpk");
    ok(&[
        "build",
        "-q",
        "-o",
        s(&fpk),
        s(&root().join("assets/articles")),
    ]);
    fpk
}

/// `sim` with a state file: the frames' bytes, first to last.
fn sim_frames(
    fpk: &Path,
    profile: &str,
    keys: &str,
    state: Option<&Path>,
    out: &Path,
) -> Vec<Vec<u8>> {
    let _ = std::fs::remove_dir_all(out);
    let mut args = vec![
        "sim",
        s(fpk),
        "--device",
        profile,
        "--keys",
        keys,
        "--raw",
        "--output",
        s(out),
    ];
    if let Some(st) = state {
        args.extend(["--state", s(st)]);
    }
    ok(&args);
    let mut names: Vec<_> = std::fs::read_dir(out)
        .expect("ls")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| std::fs::read(p).expect("frame"))
        .collect()
}

#[test]
fn a_new_run_reopens_the_page_last_shown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = sample(dir.path());
    let state = dir.path().join("state.bin");
    let first = sim_frames(
        &fpk,
        "320x240",
        "select,down,down",
        Some(&state),
        &dir.path().join("a"),
    );
    assert_eq!(std::fs::metadata(&state).expect("state").len(), 16384);
    let second = sim_frames(&fpk, "320x240", "", Some(&state), &dir.path().join("b"));
    assert_eq!(
        second[0],
        *first.last().expect("frame"),
        "did not reopen page 3"
    );
    // Left in the library: the next run shows the library, the article's entry selected.
    sim_frames(&fpk, "320x240", "back", Some(&state), &dir.path().join("c"));
    let third = sim_frames(&fpk, "320x240", "", Some(&state), &dir.path().join("d"));
    let library_after_back = sim_frames(
        &fpk,
        "320x240",
        "select,down,down,back",
        None,
        &dir.path().join("e"),
    );
    assert_eq!(third[0], *library_after_back.last().expect("frame"));
}

#[test]
fn another_profile_reopens_the_page_holding_the_same_text() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = sample(dir.path());
    let bytes = std::fs::read(&fpk).expect("bundle");
    let mut image = vec![0xFFu8; fieldpack_device::STATE_REGION_LEN as usize];
    let big = profile_by_name("320x240").expect("profile");
    let small = profile_by_name("128x64").expect("profile");
    // Read the Korean Declaration to its fourth page on the big screen.
    let keys: Vec<Input> = "down,down,down,select,down,down,down"
        .split(',')
        .filter_map(Input::from_name)
        .collect();
    sim::run_session(&bytes, big, &keys, Default::default(), Some(&mut image)).expect("sim");
    let mut inflater = Box::new(Inflater::new());
    let mut window = vec![0u8; big.window_bytes];
    let mut app = App::new(&bytes[..], big, &mut inflater, &mut window);
    let store =
        fieldpack_device::StateStore::new(fieldpack_device::ImageFlash::new(&mut image), 0..16384)
            .expect("store");
    fieldpack_device::Keeper::start(&mut app, store).expect("bundle");
    let (from_big, _) = app.page_span().expect("span");
    assert_eq!(app.page().map(|p| p.0), Some(3));
    let place = app.memory().history[0];
    assert_eq!(place.offset, from_big);

    // The small screen shows more pages; the one it opens holds that text.
    let mut inflater = Box::new(Inflater::new());
    let mut window = vec![0u8; small.window_bytes];
    let mut app = App::new(&bytes[..], small, &mut inflater, &mut window);
    let mut memory = fieldpack_reader::Memory::default();
    memory.visit(place);
    memory.reading = true;
    app.restore(memory);
    assert_eq!(app.screen(), Screen::Article);
    let (from, to) = app.page_span().expect("span");
    assert!(
        from <= place.offset && place.offset < to,
        "{from}..{to} lacks {}",
        place.offset
    );
    assert!(
        app.page().expect("page").0 > 3,
        "the small screen should be further on"
    );
}

#[test]
fn another_bundle_ignores_the_saved_place() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = sample(dir.path());
    let state = dir.path().join("state.bin");
    sim_frames(
        &fpk,
        "128x64",
        "select,down,hold,down",
        Some(&state),
        &dir.path().join("a"),
    );
    let other_src = dir.path().join("other.txt");
    std::fs::write(&other_src, "Another bundle altogether.\n").expect("w");
    let other = dir.path().join("other.fpk");
    ok(&["build", "-q", "-o", s(&other), s(&other_src)]);
    let with_state = sim_frames(&other, "128x64", "", Some(&state), &dir.path().join("b"));
    let fresh = sim_frames(&other, "128x64", "", None, &dir.path().join("c"));
    assert_eq!(with_state, fresh);
}

#[test]
fn a_garbage_state_file_is_repaired_and_the_reader_starts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = sample(dir.path());
    let state = dir.path().join("state.bin");
    let mut seed = 7u64;
    let garbage: Vec<u8> = (0..16384)
        .map(|_| {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u8
        })
        .collect();
    std::fs::write(&state, &garbage).expect("w");
    let with_state = sim_frames(
        &fpk,
        "128x64",
        "select,down",
        Some(&state),
        &dir.path().join("a"),
    );
    let fresh = sim_frames(&fpk, "128x64", "select,down", None, &dir.path().join("b"));
    assert_eq!(with_state, fresh);
    let next = sim_frames(&fpk, "128x64", "", Some(&state), &dir.path().join("c"));
    assert_eq!(next[0], fresh[2], "the repaired region kept the place");
    // A state file of the wrong size is a clear error, not a guess.
    std::fs::write(&state, [0u8; 100]).expect("w");
    let o = run(&[
        "sim",
        s(&fpk),
        "--output",
        s(&dir.path().join("d")),
        "--state",
        s(&state),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("16384-byte state region"));
}

#[test]
fn bookmarks_are_set_listed_opened_and_removed_with_the_buttons() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = sample(dir.path());
    let bytes = std::fs::read(&fpk).expect("bundle");
    let p = profile_by_name("240x135").expect("profile");
    let mut inflater = Box::new(Inflater::new());
    let mut window = vec![0u8; p.window_bytes];
    let mut app = App::new(&bytes[..], p, &mut inflater, &mut window);
    for k in [Input::Select, Input::Down, Input::Down, Input::Hold] {
        app.handle(k);
    }
    assert_eq!(app.memory().bookmarks.len(), 1);
    let marked = app.page();
    app.handle(Input::Hold);
    assert!(
        app.memory().bookmarks.is_empty(),
        "a second hold removes it"
    );
    app.handle(Input::Hold);
    app.handle(Input::Down);
    app.handle(Input::Back);
    // Library: Continue, Bookmarks (1), then the articles; the article's own entry selected.
    assert_eq!(app.screen(), Screen::Library);
    assert_eq!(app.selected(), 0);
    app.handle(Input::Up);
    app.handle(Input::Select);
    assert_eq!(app.screen(), Screen::Bookmarks);
    app.handle(Input::Select);
    assert_eq!(app.screen(), Screen::Article);
    assert_eq!(app.page(), marked, "the bookmark opens its page");
    app.handle(Input::Back);
    app.handle(Input::Up);
    app.handle(Input::Select);
    app.handle(Input::Hold);
    assert!(app.memory().bookmarks.is_empty());
    assert_eq!(
        app.screen(),
        Screen::Library,
        "no bookmarks left: back to the library"
    );
}

#[test]
fn sim_help_names_every_gesture() {
    let o = ok(&["sim", "--help"]);
    let help = String::from_utf8_lossy(&o.stdout);
    for (_, word, _) in Input::GESTURES {
        assert!(
            help.contains(&format!("  {word} ")),
            "{word} missing from sim --help"
        );
    }
    assert!(help.contains("--state"));
}
