//! `fieldpack dev footprint`: flash, static RAM and measured stack of the firmware per profile.

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
    let bytes = std::fs::read(elf).with_context(|| crate::data::missing("firmware", elf))?;
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
    // From the board's flash where the bundle fits there, else from a file in blocks, as a
    // device reads a card.
    let len = std::fs::metadata(bundle)
        .with_context(|| format!("cannot read {}", bundle.display()))?
        .len();
    let storage = if len <= emulate::BUNDLE_FLASH_LEN as u64 {
        StorageKind::Flash
    } else {
        StorageKind::File
    };
    let run = emulate::run(firmware, Some(bundle), storage, profile, &keys, &[])?;
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

/// What one Pico board's firmware costs, and how long its page turns take.
#[derive(Clone, Debug, Serialize)]
pub struct BoardFootprint {
    /// The board.
    pub board: String,
    /// Sections and peak stack, as for the QEMU profiles.
    pub memory: Footprint,
    /// Core cycles of a page turn in an article (the median of the script's page turns).
    pub turn_cycles: u64,
    /// Bytes sent to the display for that turn.
    pub turn_bus_bytes: u64,
    /// Those bytes' time on the wire: the floor under the turn's time.
    pub turn_bus_ms: f64,
    /// Its time on the real chip: cycles at 125 MHz plus the bus bytes at the bus's clock plus
    /// the panel's refresh (counted one after the other: an upper bound).
    pub turn_ms: f64,
    /// Of which the panel's own refresh (e-paper).
    pub turn_panel_ms: f64,
    /// Opening an article from the library, the same way.
    pub open_ms: f64,
    /// Power-on to the first screen, the same way.
    pub boot_ms: f64,
    /// The share of time the core is awake when a page is turned once a minute.
    pub awake_per_minute: f64,
}

/// The key script a board's footprint is measured with: open the first article, turn five
/// pages, back, to the bookmarks and back.
pub const BOARD_KEYS: &str = "select,down,down,down,down,down,back";

/// Measures a Pico board's firmware with `bundle` in the RP2040 emulator.
pub fn measure_board(
    board: &crate::uf2::Board,
    firmware: &Path,
    bundle: &[u8],
) -> Result<BoardFootprint> {
    let (text, rodata, data, bss) = sections(firmware)?;
    let keys = parse_keys(BOARD_KEYS)?;
    let profile = crate::pico::profile(board)?;
    let run = crate::pico::run(board, &profile, firmware, bundle, &keys, None)?;
    let r = &run.report;
    let mut turns: Vec<&crate::pico::Turn> = r.turns.iter().filter(|t| t.key == "down").collect();
    turns.sort_by_key(|t| t.cycles);
    let turn = turns
        .get(turns.len() / 2)
        .copied()
        .context("no page turns measured")?;
    let open = r.turns.first().context("no keys measured")?;
    let turn_ms = r.turn_ms(turn);
    // Awake per minute: the turn's core time (cycles only: the core sleeps while the panel
    // refreshes and between keys) over 60 s.
    let awake = turn.cycles as f64 / r.clock_hz as f64 / 60.0;
    Ok(BoardFootprint {
        board: board.name.to_string(),
        memory: Footprint {
            profile: board.profile.to_string(),
            text,
            rodata,
            data,
            bss,
            stack: r.stack_bytes.context("the harness measured no stack")?,
        },
        turn_cycles: turn.cycles,
        turn_bus_bytes: turn.bus_bytes,
        turn_bus_ms: r.bus_ms(turn),
        turn_ms,
        turn_panel_ms: turn.panel_busy_ms,
        open_ms: r.turn_ms(open),
        boot_ms: r.turn_ms(&r.boot),
        awake_per_minute: awake,
    })
}

/// The boards' table in Markdown.
pub fn board_table(rows: &[BoardFootprint]) -> String {
    let kib = |b: u64| format!("{:.1}", b as f64 / 1024.0);
    let mut s = String::from(
        "| board | flash used | static RAM | peak stack | RAM all told | page turn: cycles | bus bytes | on the wire | time | of which panel | open article | power-on |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for r in rows {
        let m = &r.memory;
        s.push_str(&format!(
            "| {} | {} KiB | {} KiB | {} KiB | {} KiB | {} | {} | {:.1} ms | {:.1} ms | {:.0} ms | {:.0} ms | {:.0} ms |\n",
            r.board,
            kib(m.flash()),
            kib(m.data + m.bss),
            kib(m.stack),
            kib(m.ram()),
            r.turn_cycles,
            r.turn_bus_bytes,
            r.turn_bus_ms,
            r.turn_ms,
            r.turn_panel_ms,
            r.open_ms,
            r.boot_ms
        ));
    }
    s
}
