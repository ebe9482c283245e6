// A stand-in for the RP2040 boot ROM, whose image the rp2040js package does not ship.
//
// It holds only what the firmware asks of the ROM: the function table lookup at 0x18 and the
// six flash routines (connect, exit XIP, erase, program, flush cache, enter XIP). Each routine
// is two Thumb instructions, `bkpt #n; bx lr`; the harness catches the breakpoint and does the
// work on the emulated flash (erase: bytes to 0xFF; program: bits only cleared, as NOR flash
// does). A firmware asking for any other ROM function stops the run with its name.

const CODE = (a, b) => a.charCodeAt(0) | (b.charCodeAt(0) << 8);

/** The routines provided: ROM code, name, breakpoint number. */
export const ROUTINES = [
  { code: CODE('I', 'F'), name: 'connect_internal_flash', bkpt: 0x20 },
  { code: CODE('E', 'X'), name: 'flash_exit_xip', bkpt: 0x21 },
  { code: CODE('R', 'E'), name: 'flash_range_erase', bkpt: 0x22 },
  { code: CODE('R', 'P'), name: 'flash_range_program', bkpt: 0x23 },
  { code: CODE('F', 'C'), name: 'flash_flush_cache', bkpt: 0x24 },
  { code: CODE('C', 'X'), name: 'flash_enter_cmd_xip', bkpt: 0x25 },
];

const LOOKUP_BKPT = 0x10;
const LOOKUP_AT = 0x100;
const ROUTINES_AT = 0x200;
const FUNC_TABLE_AT = 0x400;

/** Builds the ROM image (rp2040js takes it as 32-bit words). */
export function stubRom() {
  const bytes = new Uint8Array(16 * 1024);
  const view = new DataView(bytes.buffer);
  // 'M', 'u', 1: the magic and version real ROMs carry at 0x10.
  bytes.set([0x4d, 0x75, 0x01, 0x02], 0x10);
  view.setUint16(0x14, FUNC_TABLE_AT, true);
  view.setUint16(0x16, FUNC_TABLE_AT, true);
  view.setUint16(0x18, LOOKUP_AT | 1, true);
  const thumb = (at, bkpt) => {
    view.setUint16(at, 0xbe00 | bkpt, true); // bkpt #n
    view.setUint16(at + 2, 0x4770, true); // bx lr
  };
  thumb(LOOKUP_AT, LOOKUP_BKPT);
  ROUTINES.forEach((r, i) => {
    r.address = ROUTINES_AT + 8 * i;
    thumb(r.address, r.bkpt);
    view.setUint16(FUNC_TABLE_AT + 4 * i, r.code, true);
    view.setUint16(FUNC_TABLE_AT + 4 * i + 2, r.address | 1, true);
  });
  return new Uint32Array(bytes.buffer);
}

/**
 * Handles a breakpoint of the stub ROM; returns false when the breakpoint is not the ROM's.
 * `flash` is the emulated flash (offset 0 = 0x10000000); `stats` counts erases and programs.
 */
export function handleRomBreak(mcu, code, stats) {
  const r = mcu.core.registers;
  if (code === LOOKUP_BKPT) {
    const tag = r[1] & 0xffff;
    const routine = ROUTINES.find((x) => x.code === tag);
    if (!routine) {
      const name = String.fromCharCode(tag & 0xff, tag >> 8);
      throw new Error(`the firmware asked the boot ROM for function '${name}', which the stub ROM does not provide`);
    }
    r[0] = routine.address | 1;
    return true;
  }
  const routine = ROUTINES.find((x) => x.bkpt === code);
  if (!routine) return false;
  if (routine.name === 'flash_range_erase') {
    const [addr, count] = [r[0] >>> 0, r[1] >>> 0];
    if (addr % 4096 || count % 4096 || addr + count > mcu.flash.length) {
      throw new Error(`flash_range_erase(${addr}, ${count}): not whole 4 KiB sectors inside flash`);
    }
    mcu.flash.fill(0xff, addr, addr + count);
    stats.erasedSectors += count / 4096;
  } else if (routine.name === 'flash_range_program') {
    const [addr, data, count] = [r[0] >>> 0, r[1] >>> 0, r[2] >>> 0];
    if (addr % 256 || count % 256 || addr + count > mcu.flash.length) {
      throw new Error(`flash_range_program(${addr}, ${count}): not whole 256-byte pages inside flash`);
    }
    for (let i = 0; i < count; i++) {
      mcu.flash[addr + i] &= mcu.readUint8(data + i);
    }
    stats.programmedPages += count / 256;
  }
  return true;
}
