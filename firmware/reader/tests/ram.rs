//! The reader's RAM per display profile, from the types' sizes: what the crate README's table
//! says, checked against the budgets (32 KiB for 128x64, 64 KiB for 320x240, no frame buffer).

use fieldpack_format::Inflater;
use fieldpack_reader::{App, PROFILES};

/// Stack allowed: the firmware's deepest stack measured in QEMU (painted stack, reported by
/// `fieldpack dev emulate`): 9.3 KiB opening a signed bundle and reading with the state store
/// (8.4 KiB unsigned), the reader's state included, as it lives on the stack; rounded up.
const STACK_ALLOWANCE: usize = 9 * 1024 + 512;

#[test]
fn every_profile_fits_its_ram_budget() {
    let state = core::mem::size_of::<App<'static, &'static [u8]>>();
    let inflate = core::mem::size_of::<Inflater>();
    println!("| profile | inflate state (static) | window (static) | frame buffer | stack, reader state ({state} B) included | total |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    for p in PROFILES {
        let total = inflate + p.window_bytes + STACK_ALLOWANCE;
        println!(
            "| {} | {inflate} B | {} B | none | {STACK_ALLOWANCE} B | {:.1} KiB |",
            p.name,
            p.window_bytes,
            total as f64 / 1024.0
        );
        let budget = match p.name {
            "128x64" => 32 * 1024,
            _ => 64 * 1024,
        };
        assert!(
            total <= budget,
            "{}: {total} bytes over a {budget}-byte budget",
            p.name
        );
    }
    assert!(state < 4096, "the reader's own state grew to {state} bytes");
}
