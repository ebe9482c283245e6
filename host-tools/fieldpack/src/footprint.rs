//! `fieldpack footprint`: flash, static RAM and measured stack of the firmware per profile.

use std::path::Path;

use anyhow::{Context, Result};
use fieldpack_reader::Profile;
use object::{Object, ObjectSection};
use serde::Serialize;

use crate::emulate::{self, StorageKind};
use crate::sim::parse_keys;

/// What one firmware build costs.
#[derive(Clone, Debug, Serialize)]
pub struct Footprint {
    /// Profile name.
    pub profile: String,
    /// Bytes of code (`.vector_table` + `.text`).
    pub text: u64,
    /// Bytes of constants (`.rodata`).
    pub rodata: u64,
    /// Bytes of initialised statics (`.data`, in flash and in RAM).
    pub data: u64,
    /// Bytes of zeroed statics (`.bss` + `.uninit`).
    pub bss: u64,
    /// Peak stack use measured in QEMU (painted stack).
    pub stack: u64,
}

impl Footprint {
    /// Flash the firmware takes: code, constants and the initial values of `.data`.
    pub fn flash(&self) -> u64 {
        self.text + self.rodata + self.data
    }

    /// RAM all told: statics and peak stack.
    pub fn ram(&self) -> u64 {
        self.data + self.bss + self.stack
    }
}

/// Section sizes of a firmware ELF: (text, rodata, data, bss).
pub fn sections(elf: &Path) -> Result<(u64, u64, u64, u64)> {
    let bytes = std::fs::read(elf).with_context(|| format!("cannot read {}", elf.display()))?;
    let file = object::File::parse(&*bytes)
        .with_context(|| format!("{} is not an ELF file", elf.display()))?;
    let (mut text, mut rodata, mut data, mut bss) = (0, 0, 0, 0);
    for s in file.sections() {
        match s.name().unwrap_or("") {
            ".vector_table" | ".text" => text += s.size(),
            ".rodata" => rodata += s.size(),
            ".data" => data += s.size(),
            ".bss" | ".uninit" => bss += s.size(),
            _ => {}
        }
    }
    Ok((text, rodata, data, bss))
}

/// The key script footprints are measured with: every screen, pages forward and back.
pub const FOOTPRINT_KEYS: &str =
    "down,down,down,select,down,down,up,back,down,select,down,back,back,back,up,select,down";

/// Measures one profile's firmware with `bundle`.
pub fn measure(profile: &Profile, firmware: &Path, bundle: &Path) -> Result<Footprint> {
    let (text, rodata, data, bss) = sections(firmware)?;
    let keys = parse_keys(FOOTPRINT_KEYS)?;
    let run = emulate::run(
        firmware,
        Some(bundle),
        StorageKind::Flash,
        profile,
        &keys,
        &[],
    )?;
    Ok(Footprint {
        profile: profile.name.to_string(),
        text,
        rodata,
        data,
        bss,
        stack: run
            .stack_bytes
            .context("the firmware reported no stack high-water mark")?,
    })
}

/// The footprint table in Markdown.
pub fn table(rows: &[Footprint]) -> String {
    let kib = |b: u64| format!("{:.1}", b as f64 / 1024.0);
    let mut s = String::from(
        "| profile | flash: .text + .rodata | + .data = flash used | static RAM: .data + .bss | peak stack | RAM all told |\n| --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in rows {
        s.push_str(&format!(
            "| {} | {} KiB | {} KiB | {} KiB | {} KiB | {} KiB |\n",
            r.profile,
            kib(r.text + r.rodata),
            kib(r.flash()),
            kib(r.data + r.bss),
            kib(r.stack),
            kib(r.ram())
        ));
    }
    s
}
