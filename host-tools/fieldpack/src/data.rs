//! Where the developer tools find what a Fieldpack checkout builds (the firmware images and the
//! RP2040 emulator's harness), so that an installed `fieldpack` can use them too.
//!
//! The data folder holds `firmware/qemu/fieldpack-PROFILE` (the lm3s6965evb images),
//! `firmware/rp2040/BOARD` (the Pico images) and `rp2040-harness/` (with its node packages);
//! `scripts/install PREFIX` fills `PREFIX/share/fieldpack` so.

use std::path::{Path, PathBuf};

/// The environment variable naming the data folder; when set, the only one searched.
pub const ENV: &str = "FIELDPACK_DATA";

/// The data folders searched, in order: `$FIELDPACK_DATA` alone when set, else
/// `share/fieldpack` beside the folder of the running executable (`PREFIX/bin/fieldpack` ->
/// `PREFIX/share/fieldpack`).
pub fn dirs() -> Vec<PathBuf> {
    if let Some(d) = std::env::var_os(ENV) {
        return vec![PathBuf::from(d)];
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent().map(|bin| bin.join("../share/fieldpack")))
        .into_iter()
        .collect()
}

/// The checkout this tool was built from.
fn checkout() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `installed` (a path inside a data folder) in the first data folder that has it; else, unless
/// `FIELDPACK_DATA` is set, `in_checkout` in the checkout the tool was built from; else where it
/// would be in the first data folder (for the error that says it is missing).
pub fn locate(installed: &str, in_checkout: &str) -> PathBuf {
    let dirs = dirs();
    if let Some(p) = dirs.iter().map(|d| d.join(installed)).find(|p| p.exists()) {
        return p;
    }
    match dirs.first() {
        Some(d) if std::env::var_os(ENV).is_some() => d.join(installed),
        _ => checkout().join(in_checkout),
    }
}

/// What to tell a person whose tool found no `what` at `path`.
pub fn missing(what: &str, path: &Path) -> String {
    format!(
        "no {what} at {}: build it in a Fieldpack checkout (bash scripts/setup; the test command \
         builds every firmware), install it with `bash scripts/install PREFIX`, point {ENV} at a \
         data folder, or give --firmware ELF",
        crate::input::path_text(path)
    )
}
