//! Golden screenshots: the simulator's frames, pixel for pixel, against committed PNGs.
//!
//! After a deliberate change to what the screens show, regenerate with
//! `bash scripts/update-goldens` (it runs this test with `UPDATE_GOLDEN=1`), look at the new
//! pictures, and commit them.

use std::path::{Path, PathBuf};
use std::process::Command;

use fieldpack::sim::Frame;

/// A screen to check: its name, the key script that reaches it from the start.
pub const SCENES: &[(&str, &str)] = &[
    ("library", ""),
    ("news-article", "select"),
    ("zh-article", "down,select"),
    ("ko-article", "down,down,down,select"),
    ("ru-article", "down,down,down,down,select"),
    ("info", "back"),
    // The reader's memory: a Continue entry and the Bookmarks entry, then the bookmarks.
    ("library-continue", "select,down,hold,down,back"),
    ("bookmarks", "select,down,hold,down,back,up,select"),
    ("bookmarked-page", "select,down,hold"),
    // Title search: the screen as it opens (a long press of Select in the library), then after
    // Down (the right box picked, or the list moved).
    ("find", "hold"),
    ("find-moved", "hold,down"),
    // The text size: Select on the information screen, then the library and articles in the
    // larger size.
    ("info-larger", "back,select"),
    ("larger-library", "back,select,back"),
    ("larger-news-article", "back,select,back,select"),
    ("larger-zh-article", "back,select,back,down,select"),
];

const PROFILES: [&str; 4] = ["128x64", "296x128", "240x135", "320x240"];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fieldpack(args: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_fieldpack"))
        .args(args)
        .output()
        .expect("run fieldpack");
    assert!(
        o.status.success(),
        "fieldpack {args:?}: {}",
        String::from_utf8_lossy(&o.stderr)
    );
}

fn updating() -> bool {
    std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v == "1")
}

/// The last frame of a simulator run, at 1:1.
fn last_frame(bundle: &Path, profile: &str, keys: &str, scratch: &Path) -> Frame {
    let out = scratch.join(format!("{profile}-{}", keys.replace(',', "_")));
    // Another bundle's run with the same keys may have left its screenshots here.
    let _ = std::fs::remove_dir_all(&out);
    fieldpack(&[
        "sim",
        bundle.to_str().expect("utf-8"),
        "--device",
        profile,
        "--keys",
        keys,
        "--raw",
        "--output",
        out.to_str().expect("utf-8"),
    ]);
    // The last screenshot (a `find:` word makes several presses).
    let last = std::fs::read_dir(&out)
        .expect("screenshots")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "png"))
        .max()
        .expect("a screenshot");
    Frame::load_png(&last, 1).expect("frame")
}

/// Compares with (or, when updating, writes) `golden`; returns a failure message.
fn check(frame: &Frame, golden: &Path, scale: u32) -> Option<String> {
    if updating() {
        std::fs::create_dir_all(golden.parent().expect("parent")).expect("mkdir");
        frame.save_png(golden, scale).expect("write golden");
        return None;
    }
    let want = match Frame::load_png(golden, scale) {
        Ok(f) => f,
        Err(e) => {
            return Some(format!(
                "{}: {e:#} (run scripts/update-goldens)",
                golden.display()
            ))
        }
    };
    if want == *frame {
        return None;
    }
    let failures = root().join("target/golden-failures");
    std::fs::create_dir_all(&failures).expect("mkdir");
    let name = golden
        .file_name()
        .expect("name")
        .to_string_lossy()
        .into_owned();
    let parent = golden
        .parent()
        .and_then(|p| p.file_name())
        .expect("dir")
        .to_string_lossy()
        .into_owned();
    let actual = failures.join(format!("{parent}-{name}"));
    frame.save_png(&actual, scale).expect("write actual");
    let differing = if (want.width, want.height) == (frame.width, frame.height) {
        want.pixels
            .iter()
            .zip(&frame.pixels)
            .filter(|(a, b)| a != b)
            .count()
    } else {
        (frame.width * frame.height) as usize
    };
    Some(format!(
        "{}: {differing} pixels differ; the simulator's frame is in {}",
        golden.display(),
        actual.display()
    ))
}

fn sample_bundle(dir: &Path) -> PathBuf {
    let fpk = dir.join("sample.fpk");
    fieldpack(&[
        "build",
        "-q",
        "-o",
        fpk.to_str().expect("utf-8"),
        root().join("assets/articles").to_str().expect("utf-8"),
    ]);
    fpk
}

/// Scenes of the shaped-scripts bundle ([`scripts_bundle`]).
const SCRIPT_SCENES: [(&str, &str); 7] = [
    ("scripts-library", ""),
    ("ar-article", "select"),
    ("hi-article", "down,select"),
    ("mixed-article", "down,down,select"),
    ("th-article", "down,down,down,select"),
    ("larger-ar-article", "back,select,back,select"),
    ("larger-hi-article", "back,select,back,down,select"),
];

/// The UDHR in Arabic, Hindi and Thai and a mixed Arabic and English page, in that order.
fn scripts_bundle(dir: &Path) -> PathBuf {
    let fpk = dir.join("scripts.fpk");
    let udhr = root().join("tests/udhr");
    let pages = [
        udhr.join("arb.html"),
        udhr.join("hin.html"),
        root().join("tests/pages/mixed-ar-en.html"),
        udhr.join("tha.html"),
    ];
    let mut args = vec!["build", "-q", "-o", fpk.to_str().expect("utf-8")];
    args.extend(pages.iter().map(|p| p.to_str().expect("utf-8")));
    fieldpack(&args);
    fpk
}

/// Scenes of the structure bundle ([`structure_bundle`]): headings, a numbered list with a
/// lettered one inside, a narrow table and a wide one (a grid where it fits, else
/// "header: value" lines).
const STRUCTURE_SCENES: [(&str, &str); 4] = [
    ("heading", "select"),
    ("numbered-list", "down,select"),
    ("table", "down,down,select"),
    ("table-wide", "down,down,select,down"),
];

/// The articles of `tests/pages/structure/screens`, in that order: headings, steps, tables.
fn structure_bundle(dir: &Path) -> PathBuf {
    let fpk = dir.join("structure.fpk");
    fieldpack(&[
        "build",
        "-q",
        "-o",
        fpk.to_str().expect("utf-8"),
        root()
            .join("tests/pages/structure/screens")
            .to_str()
            .expect("utf-8"),
    ]);
    fpk
}

/// Articles with other names (as an archive's redirects give them), for the search list's
/// `alias → title` rows.
fn aliases_bundle(dir: &Path) -> PathBuf {
    let src = dir.join("aliases");
    std::fs::create_dir_all(&src).expect("mkdir");
    for (i, (title, aliases)) in [
        ("Hà Nội", r#"["Hanoi", "Thăng Long"]"#),
        ("Hải Phòng", r#"["Haiphong"]"#),
        ("Huế", "[]"),
        (
            "Oral rehydration therapy",
            r#"["ORS", "Oral rehydration salts"]"#,
        ),
    ]
    .iter()
    .enumerate()
    {
        std::fs::write(
            src.join(format!("{i}.md")),
            format!(
                "---\ntitle: \"{title}\"\naliases: {aliases}\n---\n\nAn article about {title}.\n"
            ),
        )
        .expect("write");
    }
    let fpk = dir.join("aliases.fpk");
    fieldpack(&[
        "build",
        "-q",
        "-o",
        fpk.to_str().expect("utf-8"),
        src.to_str().expect("utf-8"),
    ]);
    fpk
}

#[test]
fn screens_match_the_golden_images() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = sample_bundle(dir.path());
    let mut corrupt = std::fs::read(&fpk).expect("read");
    // Damage the article text: the bundle opens, the article does not.
    let at = corrupt.len() - 40;
    corrupt[at] ^= 0x5A;
    let bad = dir.path().join("corrupt.fpk");
    std::fs::write(&bad, &corrupt).expect("write");
    let mut header = std::fs::read(&fpk).expect("read");
    header[20] ^= 1;
    let broken = dir.path().join("broken.fpk");
    std::fs::write(&broken, &header).expect("write");
    let scripts = scripts_bundle(dir.path());
    let aliases = aliases_bundle(dir.path());
    let structure = structure_bundle(dir.path());

    let mut failures = Vec::new();
    for profile in PROFILES {
        let golden_dir = root().join("tests/golden").join(profile);
        let mut cases: Vec<(String, PathBuf, &str)> = SCENES
            .iter()
            .map(|(name, keys)| (name.to_string(), fpk.clone(), *keys))
            .collect();
        // The damage is near the end of the last article, which opens at once (it is long: its
        // pages are laid out as they are read) and shows the error on the way to its end.
        cases.push((
            "error-damaged-article".into(),
            bad.clone(),
            "down,down,down,down,select,pagedown,pagedown,pagedown,pagedown,pagedown,pagedown,pagedown,pagedown,pagedown,pagedown",
        ));
        cases.push(("error-damaged-bundle".into(), broken.clone(), ""));
        // Shaped scripts: joined Arabic set right to left, Devanagari clusters, Thai marks and
        // dictionary line breaks, Arabic with English words and numbers (UAX #9).
        for (name, keys) in SCRIPT_SCENES {
            cases.push((name.to_string(), scripts.clone(), keys));
        }
        // An article's structure: headings, numbered items, tables.
        for (name, keys) in STRUCTURE_SCENES {
            cases.push((name.to_string(), structure.clone(), keys));
        }
        // A search by another name: "Hanoi → Hà Nội" in the list of titles and names.
        cases.push(("find-alias".into(), aliases.clone(), "find:hanoi"));
        for (name, bundle, keys) in cases {
            let frame = last_frame(&bundle, profile, keys, dir.path());
            failures.extend(check(&frame, &golden_dir.join(format!("{name}.png")), 1));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// README pictures are the simulator's frames too, upscaled; they must not go stale.
#[test]
fn readme_pictures_are_current() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = sample_bundle(dir.path());
    let scripts = scripts_bundle(dir.path());
    let structure = structure_bundle(dir.path());
    let mut failures = Vec::new();
    for profile in ["128x64", "320x240"] {
        let scale = if profile == "128x64" { 4 } else { 2 };
        for (name, bundle, keys) in [
            ("library", &fpk, ""),
            ("article", &fpk, "select"),
            ("korean", &fpk, "down,down,down,select"),
            ("arabic", &scripts, "select"),
            ("hindi", &scripts, "down,select"),
            ("steps", &structure, "down,select"),
            ("table", &structure, "down,down,select"),
            ("larger", &fpk, "back,select,back,select"),
        ] {
            let frame = last_frame(bundle, profile, keys, dir.path());
            let path = root()
                .join("docs/images")
                .join(format!("{profile}-{name}.png"));
            failures.extend(check(&frame, &path, scale));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
