//! Stack high-water mark: paint the free stack at boot, find the deepest overwritten word at
//! the end.
#![allow(unsafe_code)]

const PAINT: u32 = 0xCAFE_F00D;

extern "C" {
    // From cortex-m-rt's link.x: the first byte after .bss/.data (where the stack may grow to)
    // and the initial stack pointer (the top of RAM).
    static mut __sheap: u32;
    static mut _stack_start: u32;
}

fn bounds() -> (usize, usize) {
    // Only the addresses of the linker symbols are taken, which needs no unsafe.
    (
        core::ptr::addr_of_mut!(__sheap) as usize,
        core::ptr::addr_of_mut!(_stack_start) as usize,
    )
}

/// Fills the stack below the current stack pointer (less a margin) with a pattern.
#[inline(never)]
pub fn paint() {
    let (bottom, _) = bounds();
    let sp = cortex_m::register::msp::read() as usize;
    let mut p = (bottom + 3) & !3;
    // Leave the frames of this call alone.
    let limit = sp.saturating_sub(64);
    while p < limit {
        // SAFETY: `p` is word-aligned, between the end of static RAM and the live stack: memory
        // nothing uses yet.
        unsafe { core::ptr::write_volatile(p as *mut u32, PAINT) };
        p += 4;
    }
}

/// Bytes of stack ever used since [`paint`].
pub fn high_water() -> usize {
    let (bottom, top) = bounds();
    let mut p = (bottom + 3) & !3;
    while p < top {
        // SAFETY: as in `paint`; reading RAM between the end of statics and the stack top.
        if unsafe { core::ptr::read_volatile(p as *const u32) } != PAINT {
            break;
        }
        p += 4;
    }
    top - p
}
