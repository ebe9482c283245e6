//! What the end-to-end tests share: the repository's root, packing with the real binary, and
//! comparing emulated frames with the simulator's.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use fieldpack::sim::Frame;

/// The `fieldpack` binary under test.
pub fn bin() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_fieldpack"))
}

/// Runs the binary with `args`.
pub fn run(args: &[&str]) -> std::process::Output {
    bin().args(args).output().expect("run fieldpack")
}

/// Standard error as text.
pub fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// A path as the `&str` an argument list takes.
pub fn s(p: &Path) -> &str {
    p.to_str().expect("UTF-8 path")
}

/// The repository's root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Packs `inputs` with `fieldpack build -q` and `args` into `out`; its bytes.
pub fn pack(args: &[&str], inputs: &[PathBuf], out: &Path) -> Vec<u8> {
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_fieldpack"))
        .args(["build", "-q", "-o"])
        .arg(out)
        .args(args)
        .args(inputs)
        .status()
        .expect("run fieldpack");
    assert!(status.success());
    std::fs::read(out).expect("bundle")
}

/// Frame for frame the same, or which frame differs and in how many pixels.
pub fn assert_same_frames(who: &str, emulated: &[Frame], simulated: &[Frame]) {
    assert_eq!(emulated.len(), simulated.len(), "{who}: frame count");
    for (i, (e, s)) in emulated.iter().zip(simulated).enumerate() {
        let differing = e
            .pixels
            .iter()
            .zip(&s.pixels)
            .filter(|(a, b)| a != b)
            .count();
        assert!(
            e == s,
            "{who}: frame {i} differs from the simulator's in {differing} pixels"
        );
    }
}
