//! The command line as a person meets it, on the real binary: one vocabulary across commands,
//! values checked with errors that say what is accepted, `-` for standard streams, quiet and
//! verbose, colour, JSON with its schema version, `list` and `show`, the developer tools apart
//! and usable from an installed tool.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

#[path = "common.rs"]
mod common;
use common::{bin, pack, root, run, s, stderr};

/// Runs and expects exit status `code`, with every one of `needles` on standard error.
fn exits(code: i32, args: &[&str], needles: &[&str]) -> Output {
    let o = run(args);
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(code), "fieldpack {args:?}: {err}");
    for n in needles {
        assert!(err.contains(n), "stderr of {args:?} lacks {n:?}: {err}");
    }
    o
}

/// A folder `in` under `dir` holding `files` (name, text) and copies of the sample `articles`,
/// packed into `dir/s.fpk`; the bundle's path.
fn bundle_of(dir: &Path, files: &[(&str, &str)], articles: &[&str]) -> PathBuf {
    let input = dir.join("in");
    std::fs::create_dir_all(&input).expect("mkdir");
    for (name, text) in files {
        std::fs::write(input.join(name), text).expect("write");
    }
    for f in articles {
        std::fs::copy(sample().join(f), input.join(f)).expect("copy");
    }
    let fpk = dir.join("s.fpk");
    pack(&[], &[input], &fpk);
    fpk
}

fn sample() -> PathBuf {
    root().join("assets/articles")
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&o.stdout)))
}

#[test]
fn one_vocabulary_old_spellings_still_work() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("s.fpk");
    pack(&[], &[sample()], &fpk);
    // -o/--output and --device on every command that writes or shows, as `build` has them.
    for (flags, out) in [
        (["--device", "128x64", "-o"], "a"),
        (["--device", "240x135", "--output"], "b"),
        // The spellings of earlier versions, kept as hidden aliases.
        (["--display", "128x64", "--out"], "c"),
    ] {
        let o = dir.path().join(out);
        let args = [
            "sim",
            s(&fpk),
            flags[0],
            flags[1],
            flags[2],
            s(&o),
            "--keys",
            "down",
        ];
        exits(0, &args, &["wrote 2 screenshots"]);
        assert!(o.join("001.png").is_file(), "{flags:?}");
    }
    // -q is global: the summary lines go.
    let o = exits(
        0,
        &["-q", "sim", s(&fpk), "-o", s(&dir.path().join("q"))],
        &[],
    );
    assert_eq!(stderr(&o), "", "quiet sim said something");
    let o = exits(
        0,
        &[
            "build",
            s(&sample()),
            "-o",
            s(&dir.path().join("q.fpk")),
            "-q",
        ],
        &[],
    );
    assert_eq!(stderr(&o), "", "quiet build said something");
    exits(2, &["-q", "-v", "list", s(&fpk)], &["cannot be used with"]);
}

#[test]
fn values_are_checked_and_the_errors_say_what_is_accepted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("o.fpk");
    let articles = sample();
    let build = |extra: &[&str]| {
        let mut a = vec!["build", s(&articles), "-o", s(&out)];
        a.extend_from_slice(extra);
        a.iter().map(|x| x.to_string()).collect::<Vec<String>>()
    };
    let cases: [(&[&str], &str); 8] = [
        (&["--date", "yesterday"], "YYYY-MM-DD, such as"),
        (&["--date", "2024-13-45"], "month 13 does not exist"),
        (&["--date", "2023-02-29"], "2023-02 has no day 29"),
        (&["--chunk-size", "10"], "not in 64..=32768"),
        (&["--dictionary-size", "40000"], "not in 0..=32768"),
        (&["--device", "100x50"], "possible values: 128x64"),
        (&["--board", "pico-w"], "possible values: pico-oled"),
        (&["--effort", "max"], "possible values: good"),
    ];
    for (extra, needle) in cases {
        let args = build(extra);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        exits(2, &args, &[needle]);
    }
    let long_title = "a".repeat(600);
    let args = build(&["--title", &long_title]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    exits(2, &args, &["600 bytes; at most 160"]);
    assert!(!out.exists(), "a refused build wrote its bundle");
    // A real date goes in.
    let args = build(&["--date", "2024-02-29", "-q"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    exits(0, &args, &[]);
    exits(
        2,
        &[
            "sim",
            s(&out),
            "-o",
            s(&dir.path().join("f")),
            "--scale",
            "0",
        ],
        &["0 is not in 1..=16"],
    );
    // A missing output folder is named at once, by its own name, and nothing is left behind.
    let nowhere = dir.path().join("no/such/folder/o.fpk");
    exits(
        1,
        &["build", s(&sample()), "-o", s(&nowhere)],
        &["the folder", "no/such/folder does not exist"],
    );
    assert!(!dir.path().join("no").exists());
}

#[test]
fn a_dash_is_standard_output_or_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("s.fpk");
    let from_file = pack(&[], &[sample()], &file);
    let o = exits(0, &["build", s(&sample()), "-o", "-"], &["standard output"]);
    assert_eq!(o.stdout, from_file, "the bundle on standard output differs");
    // `inspect -`, `list -`, `verify -` read standard input.
    for cmd in ["inspect", "list", "verify"] {
        let mut child = bin()
            .args([cmd, "-", "--json"])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &from_file)
            .expect("write");
        let o = child.wait_with_output().expect("wait");
        assert!(o.status.success(), "{cmd} -: {}", stderr(&o));
        assert_eq!(json(&o)["schema_version"], 2, "{cmd}");
    }
    let shots = dir.path().join("shots");
    let mut child = bin()
        .args(["sim", "-", "-o", s(&shots), "-q"])
        .stdin(Stdio::piped())
        .spawn()
        .expect("spawn");
    std::io::Write::write_all(&mut child.stdin.take().expect("stdin"), &from_file).expect("w");
    assert!(child.wait().expect("wait").success(), "sim -");
    assert!(shots.join("000.png").is_file());
    let uf2 = exits(0, &["uf2", s(&file), "-o", "-", "-q"], &[]);
    assert_eq!(uf2.stdout.len() % 512, 0);
    assert_eq!(&uf2.stdout[..4], b"UF2\n");
    exits(1, &["extract", s(&file), "-o", "-"], &["fieldpack show"]);
    exits(
        2,
        &["build", s(&sample()), "-o", "-", "--json"],
        &["--json prints on standard output"],
    );
}

#[test]
fn files_left_out_are_one_line_listed_with_verbose_and_silent_with_quiet() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path().join("in");
    std::fs::create_dir_all(d.join("drafts")).expect("mkdir");
    std::fs::write(d.join("story.txt"), "A story worth keeping.\n").expect("w");
    std::fs::write(d.join("drafts/unfinished.txt"), "Not yet.\n").expect("w");
    std::fs::write(d.join("notes.docx"), b"PK").expect("w");
    std::fs::write(d.join("data.csv"), "a,b\n").expect("w");
    std::fs::write(d.join("style.css"), "p{}").expect("w");
    let out = dir.path().join("o.fpk");
    let o = exits(0, &["build", s(&d), "-o", s(&out)], &[]);
    let err = stderr(&o);
    assert!(
        err.contains(
            "left out 2 files that are not articles (.txt, .md, .html, .epub, .zim): -v lists them"
        ),
        "{err}"
    );
    assert!(
        !err.contains("notes.docx") && !err.contains("warning"),
        "{err}"
    );
    let o = exits(0, &["-v", "build", s(&d), "-o", s(&out)], &[]);
    let err = stderr(&o);
    assert!(
        err.contains("left out: ") && err.contains("notes.docx"),
        "{err}"
    );
    assert!(err.contains("data.csv"), "{err}");
    let o = exits(0, &["build", s(&d), "-o", s(&out), "-q"], &[]);
    assert_eq!(stderr(&o), "");
    // --exclude: a name at any depth, or a path below the input folder.
    for pattern in ["drafts/**", "unfinished.*", "drafts"] {
        let o = exits(
            0,
            &[
                "build",
                s(&d),
                "-o",
                s(&out),
                "--exclude",
                pattern,
                "--json",
            ],
            &[],
        );
        assert_eq!(json(&o)["articles"], 1, "--exclude {pattern}");
    }
    let o = exits(0, &["build", s(&d), "-o", s(&out), "--json"], &[]);
    assert_eq!(json(&o)["articles"], 2);
    exits(
        1,
        &["build", s(&d), "-o", s(&out), "--exclude", "[z-a"],
        &["is not a glob pattern"],
    );
}

#[test]
fn warnings_and_errors_are_coloured_only_where_colour_is_wanted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.fpk");
    pack(&["--board", "pico-oled"], &[sample()], &big);
    let frames = dir.path().join("f");
    let args = ["sim", s(&big), "--device", "128x64", "-o", s(&frames)];
    let coloured = |envs: &[(&str, &str)]| {
        let o = bin()
            .args(args)
            .env_remove("NO_COLOR")
            .envs(envs.iter().copied())
            .output()
            .expect("run");
        stderr(&o)
    };
    // A bundle made for a bigger device is said on the host, with the fix.
    let plain = coloured(&[]);
    assert!(
        plain.contains("warning: ") && plain.contains("--device 128x64"),
        "{plain}"
    );
    assert!(!plain.contains('\x1b'), "colour into a pipe: {plain:?}");
    let forced = coloured(&[("CLICOLOR_FORCE", "1")]);
    assert!(
        forced.contains("\x1b[") && forced.contains("warning:"),
        "{forced:?}"
    );
    let no_color = coloured(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]);
    assert!(!no_color.contains('\x1b'), "NO_COLOR ignored: {no_color:?}");
    let o = bin()
        .args(["inspect", s(&dir.path().join("missing.fpk"))])
        .env("CLICOLOR_FORCE", "1")
        .output()
        .expect("run");
    assert!(stderr(&o).starts_with("\x1b["), "{:?}", stderr(&o));
}

#[test]
fn every_report_is_json_with_its_schema_version_and_spec_names() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("s.fpk");
    let o = exits(
        0,
        &[
            "build",
            s(&sample()),
            "-o",
            s(&fpk),
            "--json",
            "--date",
            "2024-05-17",
        ],
        &[],
    );
    let b = json(&o);
    assert_eq!(b["schema_version"], 2);
    assert_eq!(b["articles"], 5);
    let ratio = b["ratio"].as_f64().expect("ratio");
    assert_eq!((ratio * 10_000.0).round() / 10_000.0, ratio, "{ratio}");
    for cmd in ["inspect", "verify", "list"] {
        let v = json(&exits(0, &[cmd, s(&fpk), "--json"], &[]));
        assert_eq!(v["schema_version"], 2, "{cmd}");
        let keys: Vec<&String> = v.as_object().expect("object").keys().collect();
        assert_eq!(keys[0], "schema_version", "{cmd}: the version comes first");
    }
    let v = json(&exits(0, &["inspect", s(&fpk), "--json"], &[]));
    let spec = std::fs::read_to_string(root().join("firmware/format/SPEC.md")).expect("spec");
    for section in v["sections"].as_array().expect("sections") {
        let kind = section["kind"].as_str().expect("kind");
        let code = section["kind_code"].as_u64().expect("code");
        assert!(
            spec.contains(&format!("| {code} | {kind} |")),
            "section {kind} ({code}) is not named as SPEC.md names it"
        );
    }
    // What each script's glyphs cost (issue 15's size report): the sample's four scripts.
    let scripts: Vec<&str> = v["scripts"]
        .as_array()
        .expect("scripts")
        .iter()
        .filter(|c| c["bitmap_bytes"].as_u64() > Some(0) && c["record_bytes"].as_u64() > Some(0))
        .filter_map(|c| c["script"].as_str())
        .collect();
    for script in ["Han", "Hangul", "Cyrillic", "Latin"] {
        assert!(scripts.contains(&script), "{script} not in {scripts:?}");
    }
    let article = &v["articles"][2];
    for field in [
        "title", "lang", "dir", "date", "source", "author", "chunks", "ratio",
    ] {
        assert!(
            article.get(field).is_some(),
            "article entry lacks {field}: {article}"
        );
    }
    assert_eq!(article["dir"], "ltr");
    let text = String::from_utf8(exits(0, &["inspect", s(&fpk)], &[]).stdout).expect("utf8");
    assert!(
        text.contains("GlyphBitmaps") && text.contains("Offers"),
        "{text}"
    );
    let bench = json(&exits(
        0,
        &["dev", "bench", "--json", "--no-device-cost", s(&sample())],
        &[],
    ));
    assert_eq!(bench["schema_version"], 2);
}

#[test]
fn list_and_show_one_article_without_extracting_all() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Two articles with one title: `show` by title must ask which.
    let fpk = bundle_of(
        dir.path(),
        &[
            (
                "a.md",
                "# Daily briefing\n\nRoads closed north of the river.\n",
            ),
            ("b.md", "# Daily briefing\n\nThe clinic opens at nine.\n"),
        ],
        &["udhr_eng.html", "udhr_rus.html", "udhr_kor.html"],
    );
    let table = String::from_utf8(exits(0, &["list", s(&fpk)], &[]).stdout).expect("utf8");
    for needle in [
        "Universal Declaration of Human Rights",
        "Всеобщая декларация",
        "ko",
        "ltr",
    ] {
        assert!(table.contains(needle), "{needle}: {table}");
    }
    let listed = json(&exits(0, &["list", s(&fpk), "--json"], &[]));
    let rows = listed["articles"].as_array().expect("rows");
    assert_eq!(rows.len(), 5);
    let russian = rows
        .iter()
        .find(|r| r["lang"] == "ru")
        .and_then(|r| r["index"].as_u64())
        .expect("russian");
    // By number, by title with case and accents folded, only the text.
    let by_number = exits(0, &["show", s(&fpk), &russian.to_string()], &[]).stdout;
    let by_title = exits(
        0,
        &["show", s(&fpk), "ВСЕОБЩАЯ ДЕКЛАРАЦИЯ ПРАВ ЧЕЛОВЕКА"],
        &[],
    )
    .stdout;
    assert_eq!(by_number, by_title);
    let shown = String::from_utf8(by_number).expect("utf8");
    assert!(
        shown.starts_with("---\ntitle: \"Всеобщая декларация прав человека\""),
        "{shown}"
    );
    let text = exits(
        0,
        &[
            "show",
            s(&fpk),
            "universal declaration of HUMAN rights",
            "--text",
        ],
        &[],
    );
    let text = String::from_utf8(text.stdout).expect("utf8");
    assert!(
        !text.starts_with("---") && text.contains("Preamble"),
        "{text}"
    );
    exits(
        1,
        &["show", s(&fpk), "daily briefing"],
        &["2 articles are titled", "give the number"],
    );
    exits(
        1,
        &["show", s(&fpk), "99"],
        &["no article 99 (it has 5 articles"],
    );
    exits(
        1,
        &["show", s(&fpk), "Nothing like this"],
        &["no article titled", "fieldpack list"],
    );
}

#[test]
fn developer_tools_stand_apart_and_find_their_firmware_when_installed() {
    let help = String::from_utf8(exits(0, &["--help"], &[]).stdout).expect("utf8");
    let commands: Vec<&str> = help
        .lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for user in [
        "build", "list", "show", "inspect", "verify", "extract", "sim", "uf2", "dev",
    ] {
        assert!(commands.contains(&user), "{user} not in {commands:?}");
    }
    for dev in ["emulate", "footprint", "bench", "device-op"] {
        assert!(!commands.contains(&dev), "{dev} among the user's commands");
    }
    let dev_help = String::from_utf8(exits(0, &["dev", "--help"], &[]).stdout).expect("utf8");
    assert!(dev_help.contains("FIELDPACK_DATA") && dev_help.contains("scripts/install"));

    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = dir.path().join("s.fpk");
    pack(&[], &[sample()], &fpk);
    let frames = dir.path().join("frames");
    // A data folder without firmware: the error says where it looked and what to do.
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let o = bin()
        .args([
            "dev",
            "emulate",
            s(&fpk),
            "--device",
            "128x64",
            "-o",
            s(&frames),
        ])
        .env("FIELDPACK_DATA", &empty)
        .output()
        .expect("run");
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains(&format!("{}/firmware/qemu/fieldpack-128x64", s(&empty)))
            && err.contains("scripts/install"),
        "{err}"
    );
    // An installed layout: the binary in PREFIX/bin, the data in PREFIX/share/fieldpack.
    let prefix = dir.path().join("prefix");
    let qemu = prefix.join("share/fieldpack/firmware/qemu");
    std::fs::create_dir_all(&qemu).expect("mkdir");
    std::fs::create_dir_all(prefix.join("bin")).expect("mkdir");
    let installed = prefix.join("bin/fieldpack");
    std::fs::copy(env!("CARGO_BIN_EXE_fieldpack"), &installed).expect("copy");
    let firmware = root().join("firmware/qemu/target/thumbv7m-none-eabi/release/fieldpack-128x64");
    std::fs::copy(&firmware, qemu.join("fieldpack-128x64")).expect("firmware (built by setup)");
    let o = Command::new(&installed)
        .args([
            "dev",
            "emulate",
            s(&fpk),
            "--device",
            "128x64",
            "-o",
            s(&frames),
            "--keys",
            "down",
        ])
        .output()
        .expect("run");
    assert!(o.status.success(), "installed emulate: {}", stderr(&o));
    assert!(frames.join("001.png").is_file());
    // That it was the installed image that ran: replaced by something that is not firmware,
    // the error names it.
    std::fs::write(qemu.join("fieldpack-128x64"), b"not an ELF file").expect("w");
    let o = Command::new(&installed)
        .args([
            "dev",
            "emulate",
            s(&fpk),
            "--device",
            "128x64",
            "-o",
            s(&frames),
        ])
        .output()
        .expect("run");
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("share/fieldpack/firmware/qemu/fieldpack-128x64"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn the_article_table_keeps_its_columns_with_long_language_tags() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fpk = bundle_of(
        dir.path(),
        &[
            (
                "a.html",
                "<html lang=\"zh-Hant-TW\"><body><h1>世界人權宣言</h1><p>人人生而自由，在尊嚴和權利上一律平等。</p></body></html>",
            ),
            (
                "b.html",
                "<html lang=\"en\"><body><h1>Water</h1><p>Boil water for one minute before drinking it.</p></body></html>",
            ),
        ],
        &[],
    );
    let table = String::from_utf8(exits(0, &["list", s(&fpk)], &[]).stdout).expect("utf8");
    // The direction column starts at one display column on every row (CJK counts two).
    let columns: Vec<usize> = table
        .lines()
        .map(|l| {
            let at = l
                .find(" ltr ")
                .or_else(|| l.find(" dir "))
                .expect("dir column");
            l[..at]
                .chars()
                .map(|c| {
                    if ('\u{4E00}'..='\u{9FFF}').contains(&c) {
                        2
                    } else {
                        1
                    }
                })
                .sum()
        })
        .collect();
    assert!(
        columns.windows(2).all(|w| w[0] == w[1]),
        "{columns:?}\n{table}"
    );
    assert!(table.contains("zh-Hant-TW"), "{table}");
}
