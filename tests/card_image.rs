//! A card image as a card comes: made by the real tools (`sfdisk`, `mkfs.fat`, `mcopy`, which
//! `scripts/setup` installs). Shared by the card and Pico tests.

use std::path::Path;
use std::process::{Command, Stdio};

/// Bytes of the card.
const SIZE: u64 = 264 << 20;

fn run(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("{cmd:?}: {e} (bash scripts/setup installs it)"));
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A 264 MiB card as a card comes: an MBR partition table with one FAT32 partition from sector
/// 2048, formatted by mkfs.fat with 4 KiB clusters (FAT32 needs 65,525 clusters at least, so
/// this is about the smallest FAT32 card with clusters of a useful size; cards sold today use
/// 32 KiB), with `files` (name on the card, path) copied in by mcopy. The image file is sparse.
pub fn card(dir: &Path, files: &[(&str, &Path)]) -> Vec<u8> {
    let img = dir.join("card.img");
    let file = std::fs::File::create(&img).expect("image");
    file.set_len(SIZE).expect("image size");
    drop(file);
    let mut sfdisk = Command::new("sfdisk");
    sfdisk
        .args(["-q"])
        .arg(&img)
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let mut child = sfdisk
        .spawn()
        .expect("sfdisk (bash scripts/setup installs fdisk)");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"label: dos\nstart=2048, type=c\n")
        .expect("write");
    assert!(child.wait().expect("sfdisk").success());
    let kib = (SIZE / 512 - 2048) / 2;
    run(Command::new("mkfs.fat")
        .args(["-F", "32", "-s", "8", "-n", "FIELDPACK", "--offset", "2048"])
        .arg(&img)
        .arg(kib.to_string()));
    let rc = dir.join("mtoolsrc");
    std::fs::write(
        &rc,
        format!("drive c: file=\"{}\" offset=1048576\n", img.display()),
    )
    .expect("rc");
    for (name, path) in files {
        run(Command::new("mcopy")
            .env("MTOOLSRC", &rc)
            .arg(path)
            .arg(format!("c:{name}")));
    }
    std::fs::read(&img).expect("image")
}
