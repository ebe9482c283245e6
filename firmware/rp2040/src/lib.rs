//! Fieldpack on a Raspberry Pi Pico (RP2040, Cortex-M0+, 264 KiB RAM, 2 MiB flash).
//!
//! One binary per board (`src/bin/`): each wires its display driver, its buttons and its pins
//! and hands them to [`start`], which runs the board-independent loop of `fieldpack-device`.
//! The bundle is read in place from flash at [`BUNDLE_ADDR`] (loaded by `fieldpack uf2`), the
//! reader's memory is kept in the last 16 KiB of flash through the boot ROM's flash routines.
//! Between key presses the core sleeps (`wfi`) until a button's interrupt or an idle timer.
#![no_std]
#![deny(missing_docs)]

pub mod boards;
pub mod delay;
pub mod flash;
pub mod keys;
pub mod panels;
pub mod sd;
pub mod spi;

use embedded_graphics::pixelcolor::PixelColor;
use embedded_sdmmc::BlockDevice;
use fieldpack_device::{Board, Card, IdlePolicy, Keeper, StateStore, STATE_REGION_LEN};
use fieldpack_format::{Inflater, Storage};
use fieldpack_reader::{App, Profile, Theme};

pub use rp2040_hal as hal;

/// The Pico's flash, all of it (a W25Q16JV: 2 MiB).
pub const FLASH_LEN: u32 = 2 * 1024 * 1024;
/// Where flash is mapped (execute in place).
pub const XIP_BASE: u32 = 0x1000_0000;
/// Flash offset of the bundle: right after the first MiB, which the firmware may fill.
pub const BUNDLE_OFFSET: u32 = 0x0010_0000;
/// Address of the bundle as the core reads it.
pub const BUNDLE_ADDR: u32 = XIP_BASE + BUNDLE_OFFSET;
/// Flash offset of the reader's memory: the last 16 KiB.
pub const STATE_OFFSET: u32 = FLASH_LEN - STATE_REGION_LEN;
/// Bytes a bundle may take: from its start to the reader's memory.
pub const BUNDLE_MAX: u32 = STATE_OFFSET - BUNDLE_OFFSET;

/// The crystal on the Pico.
pub const XOSC_HZ: u32 = 12_000_000;

/// Bytes of inflate window a Pico sets aside, whatever its display: 32 KiB (deflate's full
/// window; `build --board` bundles use it), which the 32 KiB-RAM profiles cannot afford.
pub const WINDOW_BYTES: usize = 32 * 1024 + 16;

/// The second-stage boot loader for the Pico's W25Q080-class flash.
#[link_section = ".boot2"]
#[used]
#[no_mangle]
pub static BOOT2_FIRMWARE: [u8; 256] = rp2040_boot2::BOOT_LOADER_W25Q080;

/// The bundle in flash (its region: a bundle shorter than it is followed by erased bytes, which
/// the format's length fields make the reader ignore).
pub fn bundle() -> &'static [u8] {
    // SAFETY: XIP maps all 2 MiB of flash read-only at XIP_BASE; this region lies inside it
    // and is never written while the firmware runs (the state region after it is, but no
    // reference into that one is held across a write).
    #[allow(unsafe_code)]
    unsafe {
        core::slice::from_raw_parts(BUNDLE_ADDR as *const u8, BUNDLE_MAX as usize)
    }
}

/// The publisher keys compiled in (see `../build_trust.rs`).
pub mod trust {
    include!(concat!(env!("OUT_DIR"), "/trust.rs"));
}

/// Runs the reader on `board` for ever: from the microSD card when one holds bundles (the
/// shelf first when it holds several), else from the bundle in flash. The reader's memory is
/// taken up from flash and every change written back; errors in a bundle are the reader's
/// error screens, never a stop.
pub fn start<B: Board, SD: BlockDevice>(
    board: &mut B,
    card: Option<(SD, &'static mut fieldpack_device::BlockCache)>,
    profile: Profile,
    theme: &Theme<B::Color>,
    idle: IdlePolicy,
    inflater: &'static mut Inflater,
    window: &'static mut [u8],
) -> ! {
    if let Some(card) = card.and_then(|(sd, cache)| Card::open(sd, cache).ok()) {
        if let Ok(shelf) = card.shelf() {
            let chosen = match shelf.len() {
                0 => None,
                1 => Some(0),
                n => fieldpack_device::choose(board, theme, &profile, n, |i| {
                    shelf.get(i).map_or(("", 0), |e| (e.name.as_str(), e.size))
                })
                .ok()
                .flatten(),
            };
            if let Some(file) = chosen
                .and_then(|i| shelf.get(i))
                .and_then(|e| card.open_bundle(e).ok())
            {
                read(board, file, profile, theme, idle, inflater, window)
            }
        }
    }
    read(board, bundle(), profile, theme, idle, inflater, window)
}

/// Runs the reader on `board` over `storage`, for ever.
fn read<B: Board, S: Storage>(
    board: &mut B,
    mut storage: S,
    profile: Profile,
    theme: &Theme<B::Color>,
    idle: IdlePolicy,
    inflater: &'static mut Inflater,
    window: &'static mut [u8],
) -> !
where
    B::Color: PixelColor,
{
    // Checked before the reader's state is on the stack: the Ed25519 check's deep stack and
    // the reader's never add up.
    let seal = fieldpack_format::seal::Seal::check_bundle(&mut storage);
    let trust = fieldpack_reader::Trust {
        keys: trust::TRUSTED_KEYS,
        require_signed: trust::REQUIRE_SIGNED,
    };
    let mut app = App::with_checked_seal(storage, profile, inflater, window, trust, seal);
    let mut keeper = StateStore::new(flash::RomFlash::new(), STATE_OFFSET..FLASH_LEN)
        .ok()
        .and_then(|store| Keeper::start(&mut app, store));
    loop {
        // A board's keys never end; should drawing or the panel fail, the loop starts again
        // from the reader's current screen.
        let _ = fieldpack_device::run(board, &mut app, theme, keeper.as_mut(), idle);
    }
}

/// A board without a card slot: a card type no value has, for boards whose card is always
/// `None`.
pub enum NoCard {}

impl BlockDevice for NoCard {
    type Error = core::convert::Infallible;

    fn read(
        &self,
        _blocks: &mut [embedded_sdmmc::Block],
        _start: embedded_sdmmc::BlockIdx,
    ) -> Result<(), Self::Error> {
        match *self {}
    }

    fn write(
        &self,
        _blocks: &[embedded_sdmmc::Block],
        _start: embedded_sdmmc::BlockIdx,
    ) -> Result<(), Self::Error> {
        match *self {}
    }

    fn num_blocks(&self) -> Result<embedded_sdmmc::BlockCount, Self::Error> {
        match *self {}
    }
}

/// Defines a board binary's `main`: the chip brought up by `$setup` (a function returning the
/// board and, if it has a card slot, the card with its block cache), the window and inflate
/// state in static RAM, then [`start`].
#[macro_export]
macro_rules! board_main {
    ($setup:path, $profile:path, $theme:path, $idle:expr) => {
        #[cortex_m_rt::entry]
        fn main() -> ! {
            // cortex-m-rt hands these to main as `&'static mut`: static RAM, not stack.
            static mut WINDOW: [u8; $crate::WINDOW_BYTES] = [0; $crate::WINDOW_BYTES];
            // Zeroed in .bss: see the QEMU firmware's note (an Inflater is all-zero when new).
            static mut INFLATER: core::mem::MaybeUninit<fieldpack_format::Inflater> =
                core::mem::MaybeUninit::zeroed();
            // SAFETY: miniz_oxide's DecompressorOxide's documented initial state is all
            // fields 0; the format crate's `inflater_from_zeroed_bytes_decodes` test checks it.
            #[allow(unsafe_code)]
            let inflater = unsafe { INFLATER.assume_init_mut() };
            let (mut board, card) = $setup();
            $crate::start(&mut board, card, $profile, &$theme, $idle, inflater, WINDOW)
        }
    };
}

/// The chip's shared parts, brought up: clocks at 125 MHz, the pins, the timer; and the buses
/// a board may take.
pub struct Chip {
    /// The reset controller (buses are brought out of reset through it).
    pub resets: hal::pac::RESETS,
    /// SPI controller 0.
    pub spi0: hal::pac::SPI0,
    /// SPI controller 1.
    pub spi1: hal::pac::SPI1,
    /// I2C controller 0.
    pub i2c0: hal::pac::I2C0,
    /// The PWM slices (a backlight's dimming).
    pub pwm: hal::pac::PWM,
    /// The clocks, set up.
    pub clocks: hal::clocks::ClocksManager,
    /// The GPIO pins.
    pub pins: hal::gpio::Pins,
    /// The microsecond timer.
    pub timer: hal::Timer,
}

/// Brings up the clocks (the crystal, the system PLL at 125 MHz), the pins and the timer.
pub fn chip() -> Chip {
    let Some(mut pac) = hal::pac::Peripherals::take() else {
        halt()
    };
    let mut watchdog = hal::Watchdog::new(pac.WATCHDOG);
    let Ok(clocks) = hal::clocks::init_clocks_and_plls(
        XOSC_HZ,
        pac.XOSC,
        pac.CLOCKS,
        pac.PLL_SYS,
        pac.PLL_USB,
        &mut pac.RESETS,
        &mut watchdog,
    ) else {
        halt()
    };
    let sio = hal::Sio::new(pac.SIO);
    let pins = hal::gpio::Pins::new(
        pac.IO_BANK0,
        pac.PADS_BANK0,
        sio.gpio_bank0,
        &mut pac.RESETS,
    );
    let timer = hal::Timer::new(pac.TIMER, &mut pac.RESETS, &clocks);
    Chip {
        resets: pac.RESETS,
        spi0: pac.SPI0,
        spi1: pac.SPI1,
        i2c0: pac.I2C0,
        pwm: pac.PWM,
        clocks,
        pins,
        timer,
    }
}

/// Stops for good where nothing can be shown (the chip's own bring-up failed): a breakpoint
/// (an emulator or a debugger reports it), then sleep.
pub fn halt() -> ! {
    loop {
        #[allow(unsafe_code)]
        unsafe {
            core::arch::asm!("bkpt 0xEF")
        };
        cortex_m::asm::wfi();
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo) -> ! {
    // No bundle or state bytes reach a panic (the reader shows error screens for those); a
    // panic is a bug in the firmware. `bkpt 0xEE` tells an emulator so; on a board without a
    // debugger it faults into the HardFault handler below, which resets the chip.
    #[allow(unsafe_code)]
    unsafe {
        core::arch::asm!("bkpt 0xEE")
    };
    cortex_m::peripheral::SCB::sys_reset()
}

#[cortex_m_rt::exception]
#[allow(unsafe_code)]
unsafe fn HardFault(_frame: &cortex_m_rt::ExceptionFrame) -> ! {
    cortex_m::peripheral::SCB::sys_reset()
}
