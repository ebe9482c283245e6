//! A firmware ELF file (32-bit little-endian: Cortex-M) as a board loads it: the bytes each
//! loadable segment puts in flash, at its load address (`.data`'s initial values sit in flash
//! after the code, not at their RAM address), and where static RAM ends.

use anyhow::{bail, Context, Result};
use object::elf::PT_LOAD;
use object::read::elf::{ElfFile32, ProgramHeader};
use object::{LittleEndian, Object, ObjectSection, SectionFlags};

/// A segment's bytes at its load address.
pub struct Segment {
    /// Load (physical) address.
    pub addr: u32,
    /// The bytes in the file (a segment's zero-filled tail is not loaded).
    pub data: Vec<u8>,
}

/// The loadable segments of a firmware ELF file.
pub fn segments(bytes: &[u8]) -> Result<Vec<Segment>> {
    let elf = ElfFile32::<LittleEndian>::parse(bytes)
        .context("not a 32-bit little-endian ELF file (a Cortex-M firmware is one)")?;
    let e = LittleEndian;
    let mut out = Vec::new();
    for ph in elf.elf_program_headers() {
        if ph.p_type(e) != PT_LOAD || ph.p_filesz(e) == 0 {
            continue;
        }
        let data = ph
            .data(e, bytes)
            .map_err(|_| anyhow::anyhow!("an ELF segment runs past the end of the file"))?;
        out.push(Segment {
            addr: ph.p_paddr(e),
            data: data.to_vec(),
        });
    }
    if out.is_empty() {
        bail!("the ELF file has nothing to load");
    }
    Ok(out)
}

/// Where static RAM in `start..end` ends: the highest end of an allocated section there (the
/// stack may grow down to it).
pub fn ram_end(bytes: &[u8], start: u32, end: u32) -> Result<u32> {
    let file = object::File::parse(bytes).context("not an ELF file")?;
    let mut top = start;
    for s in file.sections() {
        let alloc = matches!(s.flags(), SectionFlags::Elf { sh_flags } if sh_flags & 2 != 0);
        let addr = s.address();
        if alloc && addr >= start as u64 && addr < end as u64 {
            top = top.max((addr + s.size()) as u32);
        }
    }
    Ok(top)
}
