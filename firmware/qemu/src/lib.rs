//! Fieldpack firmware for QEMU's `lm3s6965evb` (Cortex-M3, 256 KiB flash, 64 KiB RAM).
//!
//! One binary per display profile (`src/bin/`), each sizing its buffers for that profile. The
//! bundle is read from its own flash region (loaded there by QEMU's generic loader, as a device
//! would be flashed once with the firmware and then with any bundle), or from a host file through
//! semihosting, standing in for an SD card. Keys come in on the semihosting command line; each
//! frame goes out as the command stream an SPI display controller would receive.
#![no_std]
#![deny(missing_docs)]

mod link;
mod semi;
mod stack;
mod state_flash;

use core::fmt::Write as _;

use cortex_m_semihosting::debug::{self, EXIT_FAILURE, EXIT_SUCCESS};
use cortex_m_semihosting::hprintln;
use embedded_graphics::pixelcolor::PixelColor;
use fieldpack_format::{Inflater, Storage, StorageError};
use fieldpack_reader::{App, Input, Profile, Theme};

pub use link::LinkColor;

/// Start of the flash region a bundle is loaded into (QEMU: `-device loader,file=B,addr=...`).
pub const BUNDLE_FLASH_ADDR: usize = 0x0002_6000;
/// Size of that region: the lm3s6965's 256 KiB flash above the firmware's 152 KiB.
pub const BUNDLE_FLASH_LEN: usize = 0x0001_A000;

/// Where the bundle is read from.
enum BundleStorage {
    /// Memory-mapped flash.
    Flash(&'static [u8]),
    /// A host file through semihosting: block reads, like an SD card.
    File(semi::File),
}

impl Storage for BundleStorage {
    fn len(&self) -> u32 {
        match self {
            BundleStorage::Flash(s) => Storage::len(s),
            BundleStorage::File(f) => f.len(),
        }
    }

    fn read_at(&mut self, offset: u32, buf: &mut [u8]) -> Result<(), StorageError> {
        match self {
            BundleStorage::Flash(s) => s.read_at(offset, buf),
            BundleStorage::File(f) => f.read_at(offset, buf),
        }
    }
}

fn flash_region() -> &'static [u8] {
    // SAFETY: the lm3s6965's flash is mapped at 0 and is 256 KiB long; this region lies inside
    // it, is never written while the firmware runs, and bytes have no invalid values.
    #[allow(unsafe_code)]
    unsafe {
        core::slice::from_raw_parts(BUNDLE_FLASH_ADDR as *const u8, BUNDLE_FLASH_LEN)
    }
}

fn fail(msg: &str) -> ! {
    hprintln!("fieldpack: {}", msg);
    debug::exit(EXIT_FAILURE);
    loop {
        cortex_m::asm::bkpt();
    }
}

/// The publisher keys compiled in (see `build.rs`).
pub mod trust {
    include!(concat!(env!("OUT_DIR"), "/trust.rs"));
}

/// Runs the reader: opens the bundle, draws the first screen, then one frame per key, and exits
/// through semihosting (status 0 when every key was handled and every frame written).
///
/// Command line (semihosting): `bundle=flash|PATH frames=PATH keys=down,select,...
/// [state=PATH]`; with a state file (the raw image of the state region), the reader reopens
/// where it was left and keeps what each key changes.
pub fn run<C: PixelColor + LinkColor>(
    profile: Profile,
    theme: &Theme<C>,
    inflater: &'static mut Inflater,
    window: &'static mut [u8],
) -> ! {
    stack::paint();
    let mut cmdline = [0u8; 512];
    let args = semi::cmdline(&mut cmdline).unwrap_or_else(|| fail("cannot read the command line"));
    let (mut bundle, mut frames, mut keys, mut state) = ("flash", "", "", "");
    for arg in args.split(' ') {
        // Test hooks: prove that a panic or a fault ends the run with a failure, never a hang.
        match arg {
            "fault=panic" => panic!("panic requested on the command line"),
            "fault=hardfault" => cortex_m::asm::udf(),
            _ => {}
        }
        if let Some(v) = arg.strip_prefix("bundle=") {
            bundle = v;
        } else if let Some(v) = arg.strip_prefix("frames=") {
            frames = v;
        } else if let Some(v) = arg.strip_prefix("keys=") {
            keys = v;
        } else if let Some(v) = arg.strip_prefix("state=") {
            state = v;
        }
    }
    let storage = if bundle == "flash" {
        BundleStorage::Flash(flash_region())
    } else {
        match semi::File::open(bundle, semi::Mode::Read) {
            Some(f) => BundleStorage::File(f),
            None => fail("cannot open the bundle file"),
        }
    };
    // The signature is checked here, before the reader's state is on the stack: the Ed25519
    // check's deep stack and the reader's never add up.
    let mut storage = storage;
    let seal = fieldpack_format::seal::Seal::check_bundle(&mut storage);
    run_reader(
        profile, theme, inflater, window, storage, seal, frames, keys, state,
    )
}

/// The reader's part of [`run`]: frames out, keys in, memory kept.
#[inline(never)]
#[allow(clippy::too_many_arguments)]
fn run_reader<C: PixelColor + LinkColor>(
    profile: Profile,
    theme: &Theme<C>,
    inflater: &'static mut Inflater,
    window: &'static mut [u8],
    storage: BundleStorage,
    seal: Result<Option<fieldpack_format::seal::Seal>, fieldpack_format::Error>,
    frames: &str,
    keys: &str,
    state: &str,
) -> ! {
    let out = semi::File::open(frames, semi::Mode::Write)
        .unwrap_or_else(|| fail("cannot create the frames file"));
    let mut display = link::SpiLink::<C>::new(out, profile.width, profile.height);
    let trust = fieldpack_reader::Trust {
        keys: trust::TRUSTED_KEYS,
        require_signed: trust::REQUIRE_SIGNED,
    };
    let mut app = App::with_checked_seal(storage, profile, inflater, window, trust, seal);
    let mut keeper = if state.is_empty() {
        None
    } else {
        let file = semi::File::open(state, semi::Mode::ReadWrite)
            .unwrap_or_else(|| fail("cannot open the state file"));
        let flash = state_flash::StateFlash::new(file);
        let len = flash.len();
        match fieldpack_device::StateStore::new(flash, 0..len) {
            Ok(store) => fieldpack_device::Keeper::start(&mut app, store),
            Err(_) => fail("the state file is not a whole number of pages"),
        }
    };

    let mut board = ScriptBoard {
        display: &mut display,
        keys: keys.split(',').filter(|k| !k.is_empty()),
    };
    let run = match fieldpack_device::run(
        &mut board,
        &mut app,
        theme,
        keeper.as_mut(),
        fieldpack_device::IdlePolicy::ALWAYS_ON,
    ) {
        Ok(run) => run,
        Err(_) => fail("cannot write a frame"),
    };
    if display.close().is_err() {
        fail("cannot close the frames file");
    }
    let used = stack::high_water();
    let mut line: heapless::String<160> = heapless::String::new();
    let _ = write!(
        line,
        "fieldpack: profile {} keys {} frames {} stack-high-water {} bytes",
        profile.name, run.keys, run.frames, used
    );
    hprintln!("{}", line.as_str());
    debug::exit(EXIT_SUCCESS);
    loop {
        cortex_m::asm::bkpt();
    }
}

/// The emulated board: frames out through the link, keys from the command line's script.
struct ScriptBoard<'d, 'k, C: PixelColor + LinkColor, K: Iterator<Item = &'k str>> {
    display: &'d mut link::SpiLink<C>,
    keys: K,
}

impl<'k, C: PixelColor + LinkColor, K: Iterator<Item = &'k str>> fieldpack_device::Board
    for ScriptBoard<'_, 'k, C, K>
{
    type Color = C;
    type Display = link::SpiLink<C>;
    type Error = StorageError;

    fn display(&mut self) -> &mut Self::Display {
        self.display
    }

    fn present(&mut self) -> Result<(), StorageError> {
        self.display.end_frame()
    }

    fn wait(&mut self, _timeout_ms: Option<u32>) -> fieldpack_device::Wake {
        match self.keys.next() {
            None => fieldpack_device::Wake::End,
            Some(name) => match Input::from_name(name) {
                Some(input) => fieldpack_device::Wake::Input(input),
                None => fail("unknown key in the key script"),
            },
        }
    }

    fn set_power(&mut self, _power: fieldpack_device::Power) {}
}

/// Defines a firmware binary's entry point for a profile and theme: the window sized for the
/// profile and the inflate state, both in static RAM, then [`run`].
#[macro_export]
macro_rules! firmware_main {
    ($profile:path, $theme:path) => {
        #[cortex_m_rt::entry]
        fn main() -> ! {
            // cortex-m-rt hands these to main as `&'static mut`: static RAM, not stack.
            static mut WINDOW: [u8; $profile.window_bytes] = [0; $profile.window_bytes];
            // Zeroed in .bss rather than built by `Inflater::new()`: that would assemble its
            // 11 KiB on the stack first and copy it, a third of the 128x64 profile's RAM budget.
            static mut INFLATER: core::mem::MaybeUninit<fieldpack_format::Inflater> =
                core::mem::MaybeUninit::zeroed();
            // SAFETY: an Inflater is miniz_oxide's DecompressorOxide, whose documented initial
            // state is "all fields set to 0" (integers and integer arrays, state `Start` = 0);
            // it is re-initialised before every use anyway. The format crate's
            // `inflater_from_zeroed_bytes_decodes` test checks this.
            #[allow(unsafe_code)]
            let inflater = unsafe { INFLATER.assume_init_mut() };
            $crate::run($profile, &$theme, inflater, WINDOW)
        }
    };
}

#[panic_handler]
fn panic(info: &core::panic::PanicInfo) -> ! {
    hprintln!("fieldpack: panic: {}", info);
    debug::exit(EXIT_FAILURE);
    loop {
        cortex_m::asm::bkpt();
    }
}

#[cortex_m_rt::exception]
#[allow(unsafe_code)]
unsafe fn HardFault(frame: &cortex_m_rt::ExceptionFrame) -> ! {
    hprintln!("fieldpack: hard fault at pc {:#010x}", frame.pc());
    debug::exit(EXIT_FAILURE);
    loop {
        cortex_m::asm::bkpt();
    }
}
