//! The reader's memory region in the Pico's own flash, written through the boot ROM's flash
//! routines, as `embedded-storage` NOR flash for `sequential-storage`.
//!
//! While flash is erased or programmed it cannot be read, and this firmware runs from it: the
//! routine that calls the ROM lives in RAM (`.data`), interrupts are off for its length, and it
//! calls nothing in flash. After the operation it runs a RAM copy of boot2 to put the flash
//! back into fast (quad, continuous-read) XIP mode, which the ROM's `flash_enter_cmd_xip`
//! alone would leave in slow serial reads. The same sequence as the `rp2040-flash` crate's,
//! written here because that crate pins an older `rp2040-hal`.

use embedded_storage_async::nor_flash::{
    ErrorType, MultiwriteNorFlash, NorFlash, NorFlashError, NorFlashErrorKind, ReadNorFlash,
};
use rp2040_hal::rom_data;

use crate::{FLASH_LEN, XIP_BASE};

/// Bytes erased at once (a sector).
const SECTOR: u32 = 4096;
/// Bytes the ROM programs at once (a page); smaller writes are padded with 0xFF, which leaves
/// the bits around them as they are.
const PAGE: usize = 256;

/// The chip's flash, reached through the boot ROM.
pub struct RomFlash {
    _private: (),
}

/// An access out of flash or not aligned as NOR flash requires.
#[derive(Debug)]
pub struct RomFlashError(NorFlashErrorKind);

impl NorFlashError for RomFlashError {
    fn kind(&self) -> NorFlashErrorKind {
        self.0
    }
}

impl RomFlash {
    /// The flash (offsets from its start, 0 to 2 MiB).
    pub fn new() -> Self {
        RomFlash { _private: () }
    }
}

impl Default for RomFlash {
    fn default() -> Self {
        Self::new()
    }
}

/// The ROM routines a flash operation calls, looked up while flash can still be read.
#[repr(C)]
struct Routines {
    connect_internal_flash: unsafe extern "C" fn(),
    flash_exit_xip: unsafe extern "C" fn(),
    /// `None`: this operation does not erase.
    flash_range_erase: Option<unsafe extern "C" fn(u32, usize, u32, u8)>,
    /// `None`: this operation does not program.
    flash_range_program: Option<unsafe extern "C" fn(u32, *const u8, usize)>,
    flash_flush_cache: unsafe extern "C" fn(),
    flash_enter_cmd_xip: unsafe extern "C" fn(),
}

/// Runs one erase or program of `len` bytes at flash offset `addr` (from `data` when
/// programming), with interrupts off.
fn operate(addr: u32, len: u32, data: *const u8, erase: bool) {
    // boot2, copied to RAM: run after the operation, it restores fast XIP.
    let mut boot2 = [0u32; 64];
    for (i, w) in boot2.iter_mut().enumerate() {
        // SAFETY: the first 256 bytes of flash are boot2, readable now (XIP is on).
        #[allow(unsafe_code)]
        {
            *w = unsafe { core::ptr::read_volatile((XIP_BASE as *const u32).add(i)) };
        }
    }
    // SAFETY: a Thumb function pointer to RAM holding boot2's code (bit 0 set for Thumb);
    // boot2 takes no arguments and returns to its caller when entered this way.
    #[allow(unsafe_code)]
    let enter_xip: unsafe extern "C" fn() =
        unsafe { core::mem::transmute((boot2.as_ptr() as *const u8).wrapping_add(1)) };
    let routines = Routines {
        connect_internal_flash: rom_data::connect_internal_flash::ptr(),
        flash_exit_xip: rom_data::flash_exit_xip::ptr(),
        flash_range_erase: erase.then(rom_data::flash_range_erase::ptr),
        flash_range_program: (!erase).then(rom_data::flash_range_program::ptr),
        flash_flush_cache: rom_data::flash_flush_cache::ptr(),
        flash_enter_cmd_xip: enter_xip,
    };
    cortex_m::interrupt::free(|_| {
        // SAFETY: interrupts are off and the second core is not started, so nothing runs from
        // flash while `in_ram` has it out of XIP; `routines` and `data` live in RAM.
        #[allow(unsafe_code)]
        unsafe {
            in_ram(addr, len, data, &routines)
        };
    });
    core::hint::black_box(&boot2);
}

/// The operation proper: must not touch flash, so it is in RAM and calls only through the
/// pointers it is given (no compiler-inserted calls: it is assembly).
#[inline(never)]
#[link_section = ".data.ram_func"]
#[allow(unsafe_code)]
unsafe fn in_ram(addr: u32, len: u32, data: *const u8, routines: *const Routines) {
    core::arch::asm!(
        "mov r8, r0",
        "mov r9, r1",
        "mov r10, r2",
        "ldr r4, [{r}, #0]",
        "blx r4",          // connect_internal_flash()
        "ldr r4, [{r}, #4]",
        "blx r4",          // flash_exit_xip()
        "mov r0, r8",      // addr
        "mov r1, r9",      // len
        "movs r2, #1",
        "lsls r2, r2, #31", // block size 1 << 31: 4 KiB sector erases only
        "movs r3, #0",
        "ldr r4, [{r}, #8]",
        "cmp r4, #0",
        "beq 1f",
        "blx r4",          // flash_range_erase(addr, len, 1 << 31, 0)
        "1:",
        "mov r0, r8",      // addr
        "mov r1, r10",     // data
        "mov r2, r9",      // len
        "ldr r4, [{r}, #12]",
        "cmp r4, #0",
        "beq 2f",
        "blx r4",          // flash_range_program(addr, data, len)
        "2:",
        "ldr r4, [{r}, #16]",
        "blx r4",          // flash_flush_cache()
        "ldr r4, [{r}, #20]",
        "blx r4",          // boot2: fast XIP again
        r = in(reg) routines,
        in("r0") addr,
        in("r1") len,
        in("r2") data,
        out("r3") _,
        out("r4") _,
        out("r8") _,
        out("r9") _,
        out("r10") _,
        clobber_abi("C"),
    );
}

fn check(offset: u32, len: usize, align: u32) -> Result<(), RomFlashError> {
    let end = offset
        .checked_add(len as u32)
        .ok_or(RomFlashError(NorFlashErrorKind::OutOfBounds))?;
    if end > FLASH_LEN {
        return Err(RomFlashError(NorFlashErrorKind::OutOfBounds));
    }
    if !offset.is_multiple_of(align) || !(len as u32).is_multiple_of(align) {
        return Err(RomFlashError(NorFlashErrorKind::NotAligned));
    }
    Ok(())
}

impl ErrorType for RomFlash {
    type Error = RomFlashError;
}

impl ReadNorFlash for RomFlash {
    const READ_SIZE: usize = 1;

    async fn read(&mut self, offset: u32, bytes: &mut [u8]) -> Result<(), Self::Error> {
        check(offset, bytes.len(), 1)?;
        for (i, b) in bytes.iter_mut().enumerate() {
            // SAFETY: inside the mapped flash (checked above); volatile, because a write
            // through the ROM changes what is there behind the compiler's back.
            #[allow(unsafe_code)]
            {
                *b = unsafe {
                    core::ptr::read_volatile((XIP_BASE as *const u8).add(offset as usize + i))
                };
            }
        }
        Ok(())
    }

    fn capacity(&self) -> usize {
        FLASH_LEN as usize
    }
}

impl NorFlash for RomFlash {
    const WRITE_SIZE: usize = 4;
    const ERASE_SIZE: usize = SECTOR as usize;

    async fn erase(&mut self, from: u32, to: u32) -> Result<(), Self::Error> {
        let len = to
            .checked_sub(from)
            .ok_or(RomFlashError(NorFlashErrorKind::OutOfBounds))?;
        check(from, len as usize, SECTOR)?;
        operate(from, len, core::ptr::null(), true);
        Ok(())
    }

    async fn write(&mut self, offset: u32, bytes: &[u8]) -> Result<(), Self::Error> {
        check(offset, bytes.len(), Self::WRITE_SIZE as u32)?;
        // A page at a time, the bytes around the write 0xFF: programming only clears bits, so
        // 0xFF leaves what is there.
        let mut at = offset;
        let mut rest = bytes;
        while !rest.is_empty() {
            let page_start = at - at % PAGE as u32;
            let in_page = (at - page_start) as usize;
            let n = rest.len().min(PAGE - in_page);
            let mut page = [0xFFu8; PAGE];
            if let (Some(dst), Some(src)) = (page.get_mut(in_page..in_page + n), rest.get(..n)) {
                dst.copy_from_slice(src);
            }
            operate(page_start, PAGE as u32, page.as_ptr(), false);
            at += n as u32;
            rest = rest.get(n..).unwrap_or(&[]);
        }
        Ok(())
    }
}

impl MultiwriteNorFlash for RomFlash {}
