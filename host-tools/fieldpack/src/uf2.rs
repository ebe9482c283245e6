//! UF2 files for the Raspberry Pi Pico's BOOTSEL drive: a bundle placed in the Pico's flash
//! after the firmware, loaded by copying one file, with nothing but a file manager.
//!
//! UF2 (Microsoft's USB flashing format): 512-byte blocks, each a 32-byte header (magic
//! `0x0A324655` `0x9E5D5157`, flags, target address, payload size, block number, block count,
//! family), 476 bytes of data of which the RP2040's boot ROM takes 256, and the end magic
//! `0x0AB16F30`. Blocks carry the RP2040 family id, so the drive of another chip ignores them.

use anyhow::{bail, ensure, Context, Result};

const MAGIC_START0: u32 = 0x0A32_4655;
const MAGIC_START1: u32 = 0x9E5D_5157;
const MAGIC_END: u32 = 0x0AB1_6F30;
const FLAG_FAMILY_ID: u32 = 0x0000_2000;
const FLAG_NOT_MAIN_FLASH: u32 = 0x0000_0001;

/// The RP2040's UF2 family id.
pub const FAMILY_RP2040: u32 = 0xE48B_FF56;

/// Bytes of one UF2 block.
pub const BLOCK: usize = 512;

/// Bytes of flash each block writes (what the RP2040's boot ROM takes).
pub const PAYLOAD: usize = 256;

/// Where things live in a Pico's 2 MiB of flash, mapped at `0x1000_0000`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlashLayout {
    /// First byte of flash in the address space.
    pub flash_base: u32,
    /// Bytes of flash.
    pub flash_len: u32,
    /// Where the bundle starts: the firmware (and its second-stage boot loader) lies below.
    pub bundle_addr: u32,
    /// Where the reader's memory starts (`fieldpack_device::STATE_REGION_LEN` bytes to the
    /// end of flash): the bundle ends below it.
    pub state_addr: u32,
}

impl FlashLayout {
    /// Bytes a bundle may take.
    pub const fn bundle_max(&self) -> u32 {
        self.state_addr - self.bundle_addr
    }
}

/// The layout of every Pico board: 1 MiB for the firmware, the rest, but for the reader's
/// memory at the end, for the bundle.
pub const PICO: FlashLayout = FlashLayout {
    flash_base: 0x1000_0000,
    flash_len: 2 << 20,
    bundle_addr: 0x1010_0000,
    state_addr: 0x1020_0000 - fieldpack_device::STATE_REGION_LEN,
};

/// A board: its name, its display profile and its flash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Board {
    /// The name `--board` takes.
    pub name: &'static str,
    /// What it is made of.
    pub parts: &'static str,
    /// Its display profile.
    pub profile: &'static str,
    /// Its flash.
    pub flash: FlashLayout,
    /// Bytes of inflate window its firmware sets aside (`fieldpack_rp2040::WINDOW_BYTES`).
    pub window_bytes: usize,
}

/// The window every Pico's firmware sets aside: deflate's whole 32 KiB.
pub const PICO_WINDOW: usize = 32 * 1024 + 16;

/// The boards bundles can be made for.
pub const BOARDS: [Board; 4] = [
    Board {
        name: "pico-oled",
        parts: "Raspberry Pi Pico + SSD1306 128x64 I2C OLED",
        profile: "128x64",
        flash: PICO,
        window_bytes: PICO_WINDOW,
    },
    Board {
        name: "pico-epaper",
        parts: "Raspberry Pi Pico + Waveshare Pico-ePaper-2.9",
        profile: "296x128",
        flash: PICO,
        window_bytes: PICO_WINDOW,
    },
    Board {
        name: "pico-display",
        parts: "Raspberry Pi Pico + Pimoroni Pico Display Pack (240x135)",
        profile: "240x135",
        flash: PICO,
        window_bytes: PICO_WINDOW,
    },
    Board {
        name: "pico-display-2",
        parts: "Raspberry Pi Pico + Pimoroni Pico Display Pack 2.0 (320x240)",
        profile: "320x240",
        flash: PICO,
        window_bytes: PICO_WINDOW,
    },
];

/// The board named `name`.
pub fn board(name: &str) -> Result<Board> {
    BOARDS
        .iter()
        .copied()
        .find(|b| b.name == name)
        .with_context(|| {
            let names: Vec<&str> = BOARDS.iter().map(|b| b.name).collect();
            format!("unknown board {name:?} (boards: {})", names.join(", "))
        })
}

fn put(block: &mut [u8], at: usize, v: u32) {
    block[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn get(block: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([block[at], block[at + 1], block[at + 2], block[at + 3]])
}

/// The UF2 blocks that write `data` to flash from `addr` (a multiple of 256), the last
/// payload padded with `0xFF` (erased flash).
pub fn encode(addr: u32, data: &[u8]) -> Result<Vec<u8>> {
    ensure!(
        (addr as usize).is_multiple_of(PAYLOAD),
        "UF2 target address {addr:#x} is not a multiple of {PAYLOAD}"
    );
    let count = data.len().div_ceil(PAYLOAD).max(1);
    let mut out = vec![0u8; count * BLOCK];
    for (n, block) in out.chunks_mut(BLOCK).enumerate() {
        let piece = data.get(n * PAYLOAD..).unwrap_or(&[]);
        let piece = &piece[..piece.len().min(PAYLOAD)];
        put(block, 0, MAGIC_START0);
        put(block, 4, MAGIC_START1);
        put(block, 8, FLAG_FAMILY_ID);
        put(block, 12, addr + (n * PAYLOAD) as u32);
        put(block, 16, PAYLOAD as u32);
        put(block, 20, n as u32);
        put(block, 24, count as u32);
        put(block, 28, FAMILY_RP2040);
        block[32..32 + PAYLOAD].fill(0xFF);
        block[32..32 + piece.len()].copy_from_slice(piece);
        put(block, BLOCK - 4, MAGIC_END);
    }
    Ok(out)
}

/// What a UF2 file writes: (address, 256 bytes) for each block of the RP2040 family meant for
/// main flash, in file order. Every block is checked (magics, numbering, payload size).
pub fn decode(bytes: &[u8]) -> Result<Vec<(u32, [u8; PAYLOAD])>> {
    ensure!(
        !bytes.is_empty() && bytes.len().is_multiple_of(BLOCK),
        "{} bytes: a UF2 file is a whole number of {BLOCK}-byte blocks",
        bytes.len()
    );
    let mut out = Vec::new();
    let total = bytes.len() / BLOCK;
    for (n, block) in bytes.chunks(BLOCK).enumerate() {
        let at = n * BLOCK;
        if get(block, 0) != MAGIC_START0
            || get(block, 4) != MAGIC_START1
            || get(block, BLOCK - 4) != MAGIC_END
        {
            bail!("UF2 block {n} (byte offset {at}): wrong magic numbers");
        }
        let flags = get(block, 8);
        if flags & FLAG_NOT_MAIN_FLASH != 0 {
            continue;
        }
        if flags & FLAG_FAMILY_ID == 0 || get(block, 28) != FAMILY_RP2040 {
            bail!("UF2 block {n} (byte offset {at}): not for the RP2040 family");
        }
        if get(block, 16) as usize != PAYLOAD {
            bail!("UF2 block {n} (byte offset {at}): payload is not {PAYLOAD} bytes");
        }
        if get(block, 20) as usize != n || get(block, 24) as usize != total {
            bail!(
                "UF2 block {n} (byte offset {at}): numbered {} of {}",
                get(block, 20),
                get(block, 24)
            );
        }
        let mut payload = [0u8; PAYLOAD];
        payload.copy_from_slice(&block[32..32 + PAYLOAD]);
        out.push((get(block, 12), payload));
    }
    Ok(out)
}

/// The UF2 file that loads `bundle` into `board`'s flash; a bundle that does not fit is
/// refused with the sizes.
pub fn bundle_uf2(bundle: &[u8], board: &Board) -> Result<Vec<u8>> {
    fieldpack_format::Bundle::open(bundle)
        .map_err(|e| anyhow::anyhow!("not a bundle to load: {e}"))?;
    let max = board.flash.bundle_max() as usize;
    ensure!(
        bundle.len() <= max,
        "the bundle is {} bytes; the {} holds {max} bytes of bundle (flash {} bytes, of which 1 MiB for the firmware and {} for the reader's memory): build a smaller one (fewer articles) or read it from a microSD card",
        bundle.len(),
        board.name,
        board.flash.flash_len,
        fieldpack_device::STATE_REGION_LEN
    );
    encode(board.flash.bundle_addr, bundle)
}

/// The UF2 file that loads a board's firmware (an ELF file) into flash: every loadable
/// segment, which must lie below the bundle's region so that loading the firmware keeps the
/// bundle and the reader's memory.
pub fn firmware_uf2(elf_bytes: &[u8], board: &Board) -> Result<Vec<u8>> {
    let segments = crate::elf::segments(elf_bytes)?;
    let layout = board.flash;
    let lo = segments.iter().map(|s| s.addr).min().unwrap_or(0);
    let hi = segments
        .iter()
        .map(|s| s.addr as u64 + s.data.len() as u64)
        .max()
        .unwrap_or(0);
    ensure!(
        lo >= layout.flash_base && hi <= layout.bundle_addr as u64,
        "the firmware spans {lo:#010x}..{hi:#010x}; a {} firmware must lie in {:#010x}..{:#010x} (below the bundle)",
        board.name,
        layout.flash_base,
        layout.bundle_addr
    );
    let start = lo - lo % PAYLOAD as u32;
    let mut image = vec![0xFFu8; (hi - start as u64) as usize];
    for s in &segments {
        let at = (s.addr - start) as usize;
        image[at..at + s.data.len()].copy_from_slice(&s.data);
    }
    encode(start, &image)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_are_pinned_and_decode_back() {
        let data: Vec<u8> = (0..600u32).map(|i| i as u8).collect();
        let uf2 = encode(0x1010_0000, &data).expect("encode");
        assert_eq!(uf2.len(), 3 * BLOCK);
        assert_eq!(&uf2[..4], b"UF2\n");
        assert_eq!(get(&uf2, 8), 0x2000);
        assert_eq!(get(&uf2, BLOCK + 12), 0x1010_0100);
        assert_eq!(get(&uf2, 2 * BLOCK + 24), 3);
        assert_eq!(get(&uf2, 28), 0xE48B_FF56);
        let back = decode(&uf2).expect("decode");
        let flat: Vec<u8> = back.iter().flat_map(|(_, p)| p.iter().copied()).collect();
        assert_eq!(&flat[..600], &data[..]);
        assert!(flat[600..].iter().all(|&b| b == 0xFF));
        let mut bad = uf2.clone();
        bad[BLOCK + 20] = 7;
        assert!(decode(&bad).is_err());
        assert!(encode(0x1010_0001, &data).is_err());
    }
}
