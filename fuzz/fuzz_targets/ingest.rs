//! Any bytes as an article file of each kind: the host's readers of plain text, Markdown and
//! HTML, then cleaning, must give an article or a reason, never a panic, a stack overflow or
//! a hang.
//!
//! Input: byte 0 picks the kind (mod 3), the rest is the file.
#![no_main]

use fieldpack_ingest::ingest::{read_bytes, Kind, Utf8Policy};
use fieldpack_ingest::rules::Rules;
use libfuzzer_sys::fuzz_target;

/// The built-in rules, compiled once: compiling their patterns per input would dominate.
fn rules() -> &'static Rules {
    static RULES: std::sync::OnceLock<Rules> = std::sync::OnceLock::new();
    RULES.get_or_init(Rules::builtin)
}

fuzz_target!(|data: &[u8]| {
    let Some((&k, file)) = data.split_first() else {
        return;
    };
    let kind = [Kind::Text, Kind::Markdown, Kind::Html][usize::from(k % 3)];
    let _ = read_bytes(kind, file, "fuzz", rules(), Utf8Policy::Lossy);
});
