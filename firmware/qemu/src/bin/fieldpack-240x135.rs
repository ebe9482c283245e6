//! The firmware for the 240x135 profile: buffers sized for it, placed in static RAM.
#![no_std]
#![no_main]

use core::mem::MaybeUninit;

use cortex_m_rt::entry;
use fieldpack_format::Inflater;
use fieldpack_reader::profile::{DAYLIGHT, TFT_240X135};

#[entry]
fn main() -> ! {
    // cortex-m-rt hands these to main as `&'static mut`: static RAM, not stack.
    static mut WINDOW: [u8; TFT_240X135.window_bytes] = [0; TFT_240X135.window_bytes];
    // Zeroed in .bss rather than built by `Inflater::new()`: that would assemble its 11 KiB on
    // the stack first and copy it, a third of the 128x64 profile's RAM budget.
    static mut INFLATER: MaybeUninit<Inflater> = MaybeUninit::zeroed();
    // SAFETY: an Inflater is miniz_oxide's DecompressorOxide, whose documented initial state is
    // "all fields set to 0" (integers and integer arrays, state `Start` = 0); it is re-initialised
    // before every use anyway. The `inflater_from_zeroed_bytes_decodes` test checks this.
    #[allow(unsafe_code)]
    let inflater = unsafe { INFLATER.assume_init_mut() };
    fieldpack_qemu::run(TFT_240X135, &DAYLIGHT, inflater, WINDOW)
}
