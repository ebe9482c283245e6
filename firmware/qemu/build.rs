//! Puts `memory.x` where cortex-m-rt's linker script finds it, and compiles in the publisher
//! keys the firmware trusts (`../build_trust.rs`).
use std::{env, fs, path::PathBuf};

include!("../build_trust.rs");

fn main() {
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("OUT_DIR"));
    fs::write(out.join("memory.x"), include_bytes!("memory.x")).expect("write memory.x");
    println!("cargo:rustc-link-search={}", out.display());
    println!("cargo:rerun-if-changed=memory.x");
    println!("cargo:rerun-if-changed=../build_trust.rs");
    write_trust(&out);
}
