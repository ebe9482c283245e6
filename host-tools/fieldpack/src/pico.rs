//! The RP2040 boards in the `rp2040js` emulator: their firmware and a bundle loaded as UF2
//! files, buttons pressed from a key script, frames rebuilt from the display controller's bus
//! bytes (`host-tools/rp2040-harness`), and what each page turn cost.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context, Result};
use fieldpack_reader::{Input, Profile};
use serde::{Deserialize, Serialize};

use crate::sim::Frame;
use crate::uf2::{self, Board};

/// Start of the RP2040's SRAM and the top of the firmware's stack (`memory.x`: 256 KiB).
const RAM_START: u32 = 0x2000_0000;
const RAM_TOP: u32 = 0x2004_0000;

/// The display profile a board's firmware reads with: its panel's, with the board's window.
pub fn profile(board: &Board) -> Result<Profile> {
    let p = fieldpack_reader::profile_by_name(board.profile)
        .with_context(|| format!("no display profile {}", board.profile))?;
    Ok(Profile {
        window_bytes: board.window_bytes,
        ..p
    })
}

/// Where the test command builds a board's firmware.
pub fn default_firmware(board: &Board) -> PathBuf {
    crate::data::locate(
        &format!("firmware/rp2040/{}", board.name),
        &format!(
            "firmware/rp2040/target/thumbv6m-none-eabi/release/{}",
            board.name
        ),
    )
}

/// The emulator harness (its node packages installed by `scripts/setup`).
pub fn harness_dir() -> PathBuf {
    crate::data::locate("rp2040-harness", "host-tools/rp2040-harness")
}

/// What one key cost, from the press to the firmware's next sleep.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Turn {
    /// The key-script word (absent for the start-up).
    #[serde(default)]
    pub key: String,
    /// Core cycles executed (not sleeping).
    pub cycles: u64,
    /// Bytes sent to the display controller.
    pub bus_bytes: u64,
    /// Milliseconds the panel held BUSY (e-paper refreshes).
    pub panel_busy_ms: f64,
    /// Emulated milliseconds from the press to rest, the press's own length included.
    pub emulated_ms: f64,
}

/// Flash operations the firmware asked of the boot ROM.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FlashOps {
    /// 4 KiB sectors erased.
    pub erased_sectors: u64,
    /// 256-byte pages programmed.
    pub programmed_pages: u64,
}

/// The harness's figures for a run.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The board.
    pub board: String,
    /// The core's clock.
    pub clock_hz: u64,
    /// The display bus's clock.
    pub bus_hz: u64,
    /// Bus clocks per byte (9 on I2C: the acknowledge bit).
    pub bits_per_byte: u64,
    /// Frames written.
    pub frames: u64,
    /// Power-on to the first screen at rest.
    pub boot: Turn,
    /// Each key.
    pub turns: Vec<Turn>,
    /// Peak stack in bytes (painted RAM).
    pub stack_bytes: Option<u64>,
    /// Flash writes.
    pub flash: FlashOps,
    /// Blocks read from the microSD card (boards with a slot).
    pub card_blocks_read: Option<u64>,
    /// Total core cycles and emulated time.
    pub total_cycles: u64,
    /// Emulated milliseconds in all.
    pub emulated_ms: f64,
}

impl Report {
    /// A turn's time on the real chip: the core's cycles at its clock (the emulated bus sends
    /// each byte in its time on the wire at the bus's clock, and the firmware waits for it as
    /// on the chip, so the cycles hold the bus time), plus the panel's own refresh for
    /// e-paper, during which the core sleeps.
    pub fn turn_ms(&self, t: &Turn) -> f64 {
        t.cycles as f64 * 1e3 / self.clock_hz as f64 + t.panel_busy_ms
    }

    /// A turn's bytes on the display bus, in milliseconds on the wire: the floor under its
    /// time.
    pub fn bus_ms(&self, t: &Turn) -> f64 {
        (t.bus_bytes * self.bits_per_byte) as f64 * 1e3 / self.bus_hz as f64
    }
}

/// A run's frames and figures.
pub struct Run {
    /// The frames, first screen then one per key.
    pub frames: Vec<Frame>,
    /// The figures.
    pub report: Report,
}

/// Whether `board` has a button for every key (the Picos have four: no left or right).
pub fn check_keys(board: &Board, keys: &[Input]) -> Result<()> {
    for k in keys {
        if matches!(k, Input::Left | Input::Right) {
            bail!(
                "the {} has four buttons (up, down, select, back; hold is a long select): no {:?} in its key scripts",
                board.name,
                k
            );
        }
    }
    Ok(())
}

/// Runs `firmware` (an ELF file) on `board` in rp2040js with `bundle` (its bytes, loaded as a
/// UF2 file whether or not they are a good bundle: a damaged one shows the error screen) and
/// `keys`; `state`, when given, is the reader's memory region in and out.
pub fn run(
    board: &Board,
    profile: &Profile,
    firmware: &Path,
    bundle: &[u8],
    keys: &[Input],
    state: Option<&Path>,
) -> Result<Run> {
    run_with_card(board, profile, firmware, bundle, keys, state, None)
}

/// As [`run`], with a microSD card's image in the board's slot (the boards with a wired
/// breakout: pico-oled, pico-epaper).
pub fn run_with_card(
    board: &Board,
    profile: &Profile,
    firmware: &Path,
    bundle: &[u8],
    keys: &[Input],
    state: Option<&Path>,
    card: Option<&Path>,
) -> Result<Run> {
    check_keys(board, keys)?;
    let elf = std::fs::read(firmware)
        .with_context(|| crate::data::missing(&format!("{} firmware", board.name), firmware))?;
    let dir = tempfile::tempdir().context("temporary folder")?;
    let fw_uf2 = dir.path().join("firmware.uf2");
    let bundle_uf2 = dir.path().join("bundle.uf2");
    let frames_path = dir.path().join("frames.bin");
    std::fs::write(&fw_uf2, uf2::firmware_uf2(&elf, board)?)?;
    if bundle.len() > board.flash.bundle_max() as usize {
        bail!(
            "the bundle is {} bytes; the {} holds {}",
            bundle.len(),
            board.name,
            board.flash.bundle_max()
        );
    }
    std::fs::write(&bundle_uf2, uf2::encode(board.flash.bundle_addr, bundle)?)?;
    let floor = crate::elf::ram_end(&elf, RAM_START, RAM_TOP)?;
    let words: Vec<&str> = keys.iter().map(|&k| crate::emulate::key_name(k)).collect();
    let harness = harness_dir();
    if !harness.join("node_modules/rp2040js").is_dir() {
        bail!(
            "the RP2040 emulator is not installed in {} (run: bash scripts/setup)",
            harness.display()
        );
    }
    let mut cmd = Command::new("node");
    cmd.arg(harness.join("harness.mjs"))
        .args(["--board", board.name])
        .arg("--firmware")
        .arg(&fw_uf2)
        .arg("--bundle")
        .arg(&bundle_uf2)
        .arg("--frames")
        .arg(&frames_path)
        .args(["--keys", &words.join(",")])
        .args(["--stack-floor", &floor.to_string()]);
    if let Some(s) = state {
        cmd.arg("--state").arg(s);
    }
    if let Some(c) = card {
        cmd.arg("--card").arg(c);
    }
    // For finding where a run's time goes: the harness writes cycles per instruction address.
    if let Some(p) = std::env::var_os("FIELDPACK_HARNESS_PROFILE") {
        cmd.arg("--profile").arg(p);
    }
    let out = cmd
        .output()
        .context("cannot start node (the RP2040 emulator runs on Node.js 20 or later)")?;
    if !out.status.success() {
        bail!(
            "the {} firmware failed in the emulator: {}",
            board.name,
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .context("the emulator gave no report")?;
    let report: Report = serde_json::from_str(line).context("the emulator's report")?;
    let bytes = std::fs::read(&frames_path).context("the emulator wrote no frames")?;
    let frames = crate::emulate::decode_link(&bytes, profile)?;
    Ok(Run { frames, report })
}
