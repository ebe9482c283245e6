//! `fieldpack dev emulate`: the real firmware in QEMU, with a bundle, a key script and the frames it
//! sends back assembled into screenshots named like the simulator's.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use embedded_graphics::pixelcolor::raw::RawU16;
use embedded_graphics::pixelcolor::Rgb565;
use fieldpack_reader::{Input, Profile};

use crate::sim::{mono_rgb, rgb565_to_rgb, Frame};

/// Flash address the firmware expects a bundle at (`BUNDLE_FLASH_ADDR` in the firmware).
pub const BUNDLE_FLASH_ADDR: u32 = 0x0002_6000;
/// Size of the flash region for bundles.
pub const BUNDLE_FLASH_LEN: usize = 0x0001_A000;

/// The board emulated.
pub const BOARD: &str = "lm3s6965evb";

/// Where the bundle reaches the firmware.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StorageKind {
    /// In its flash region, written by QEMU's loader.
    Flash,
    /// A host file read in blocks through semihosting (an SD card's stand-in).
    File,
    /// No bundle at all.
    None,
}

/// What a run gave.
pub struct Emulation {
    /// The frames, first screen then one per key.
    pub frames: Vec<Frame>,
    /// The firmware's report line (profile, keys, stack high-water mark).
    pub report: String,
    /// Stack high-water mark in bytes, as the firmware measured it.
    pub stack_bytes: Option<u64>,
}

/// Where the test command builds the firmware for a profile.
pub fn default_firmware(profile: &Profile) -> PathBuf {
    let name = format!("fieldpack-{}", profile.name);
    crate::data::locate(
        &format!("firmware/qemu/{name}"),
        &format!("firmware/qemu/target/thumbv7m-none-eabi/release/{name}"),
    )
}

/// The key-script word of an input.
pub fn key_name(k: Input) -> &'static str {
    Input::GESTURES
        .iter()
        .find(|g| g.0 == k)
        .map_or("select", |g| g.1)
}

/// QEMU's option syntax doubles commas inside values.
fn qemu_escape(s: &str) -> String {
    s.replace(',', ",,")
}

/// Runs `firmware` in QEMU with `bundle` and `keys`.
pub fn run(
    firmware: &Path,
    bundle: Option<&Path>,
    storage: StorageKind,
    profile: &Profile,
    keys: &[Input],
    extra_args: &[&str],
) -> Result<Emulation> {
    if !firmware.is_file() {
        bail!(crate::data::missing(
            &format!("{} firmware", profile.name),
            firmware
        ));
    }
    // QEMU takes any file as a raw image and runs whatever it holds until the time limit.
    let head = std::fs::read(firmware)
        .map(|b| b.get(..4) == Some(b"\x7fELF"))
        .with_context(|| format!("cannot read {}", firmware.display()))?;
    if !head {
        bail!(
            "{} is not a firmware image (an ELF file)",
            crate::input::path_text(firmware)
        );
    }
    let dir = tempfile::tempdir().context("temporary folder")?;
    let frames_path = dir.path().join("frames.bin");
    let mut args: Vec<String> = Vec::new();
    let bundle_arg = match (storage, bundle) {
        (StorageKind::Flash, Some(b)) => {
            let len = std::fs::metadata(b)
                .with_context(|| format!("cannot read {}", b.display()))?
                .len();
            if len as usize > BUNDLE_FLASH_LEN {
                bail!(
                    "{} is {len} bytes; the {BOARD} flash region holds {BUNDLE_FLASH_LEN} (use --storage file)",
                    b.display()
                );
            }
            args.push("-device".into());
            args.push(format!(
                "loader,file={},addr={BUNDLE_FLASH_ADDR:#x}",
                qemu_escape(&b.display().to_string())
            ));
            "flash".to_string()
        }
        (StorageKind::File, Some(b)) => b
            .canonicalize()
            .with_context(|| format!("cannot read {}", b.display()))?
            .display()
            .to_string(),
        (StorageKind::None, _) | (_, None) => "flash".to_string(),
    };
    let keys: Vec<&str> = keys.iter().map(|&k| key_name(k)).collect();
    let mut semi = format!(
        "enable=on,target=native,arg=bundle={},arg=frames={},arg=keys={}",
        qemu_escape(&bundle_arg),
        qemu_escape(&frames_path.display().to_string()),
        qemu_escape(&keys.join(","))
    );
    for a in extra_args {
        semi.push_str(&format!(",arg={}", qemu_escape(a)));
    }
    let mut cmd = Command::new("qemu-system-arm");
    cmd.args([
        "-cpu",
        "cortex-m3",
        "-machine",
        BOARD,
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        "none",
    ])
    .args(["-semihosting-config", &semi])
    .args(&args)
    .arg("-kernel")
    .arg(firmware)
    .stdin(Stdio::null())
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .context("cannot start qemu-system-arm (install it: apt-get install qemu-system-arm)")?;
    let start = Instant::now();
    let limit = Duration::from_secs(300);
    let status = loop {
        if let Some(s) = child.try_wait()? {
            break s;
        }
        if start.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            bail!("the firmware did not finish within {} s", limit.as_secs());
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if !status.success() {
        bail!(
            "the firmware failed ({status}): {}{}",
            stdout.trim(),
            if stderr.trim().is_empty() {
                String::new()
            } else {
                format!("; qemu: {}", stderr.trim())
            }
        );
    }
    let report = stdout
        .lines()
        .find(|l| l.starts_with("fieldpack:"))
        .unwrap_or("")
        .to_string();
    let stack_bytes = report
        .split_whitespace()
        .skip_while(|w| *w != "stack-high-water")
        .nth(1)
        .and_then(|n| n.parse().ok());
    let bytes = std::fs::read(&frames_path)
        .with_context(|| format!("the firmware wrote no frames ({})", stdout.trim()))?;
    let frames = decode_link(&bytes, profile)?;
    Ok(Emulation {
        frames,
        report,
        stack_bytes,
    })
}

/// Assembles frames from the display-link stream (see `firmware/qemu/README.md`).
pub fn decode_link(bytes: &[u8], profile: &Profile) -> Result<Vec<Frame>> {
    let header = bytes
        .get(..16)
        .context("frames stream shorter than its header")?;
    if &header[..8] != b"FPKLINK1" {
        bail!("frames stream has no FPKLINK1 header");
    }
    let width = u16::from_le_bytes([header[8], header[9]]) as u32;
    let height = u16::from_le_bytes([header[10], header[11]]) as u32;
    let bits = header[12];
    if (width, height) != (profile.width, profile.height) || !matches!(bits, 1 | 16) {
        bail!(
            "frames stream is {width}x{height} at {bits} bits, expected {}",
            profile.name
        );
    }
    let mut fb = vec![0u16; (width * height) as usize];
    let (mut x0, mut x1, mut y0, mut y1) = (0u32, width - 1, 0u32, height - 1);
    let (mut x, mut y) = (0u32, 0u32);
    let mut frames = Vec::new();
    let mut at = 16;
    let u16_at = |i: usize| -> Result<u32> {
        bytes
            .get(i..i + 2)
            .map(|b| u16::from_le_bytes([b[0], b[1]]) as u32)
            .with_context(|| format!("frames stream cut at byte offset {i}"))
    };
    while at < bytes.len() {
        match bytes[at] {
            0x2A => {
                (x0, x1, y0, y1) = (
                    u16_at(at + 1)?,
                    u16_at(at + 3)?,
                    u16_at(at + 5)?,
                    u16_at(at + 7)?,
                );
                if x0 > x1 || y0 > y1 || x1 >= width || y1 >= height {
                    bail!("bad window at byte offset {at}");
                }
                (x, y) = (x0, y0);
                at += 9;
            }
            0x2C => {
                let n = u16_at(at + 1)? as usize;
                at += 3;
                for i in 0..n {
                    let v = u16_at(at + 2 * i)?;
                    fb[(y * width + x) as usize] = v as u16;
                    x += 1;
                    if x > x1 {
                        x = x0;
                        y = if y >= y1 { y0 } else { y + 1 };
                    }
                }
                at += 2 * n;
            }
            0xF0 => {
                let pixels = fb
                    .iter()
                    .map(|&v| {
                        if bits == 1 {
                            mono_rgb(profile, v != 0)
                        } else {
                            rgb565_to_rgb(Rgb565::from(RawU16::new(v)))
                        }
                    })
                    .collect();
                frames.push(Frame {
                    width,
                    height,
                    pixels,
                });
                at += 1;
            }
            other => bail!("unknown command {other:#04x} in frames stream at byte offset {at}"),
        }
    }
    Ok(frames)
}
