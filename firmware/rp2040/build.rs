//! Puts `memory.x` where cortex-m-rt's linker script finds it, and compiles in the publisher
//! keys the firmware trusts (`../build_trust.rs`, shared by the board crates).

include!("../build_trust.rs");

fn main() {
    board_build();
}
