// Writes a UF2 file into emulated flash as the RP2040's BOOTSEL drive would: every block
// checked (magics, the RP2040 family, 256-byte payloads inside flash), or the file refused.

const MAGIC_START0 = 0x0a324655;
const MAGIC_START1 = 0x9e5d5157;
const MAGIC_END = 0x0ab16f30;
const FLAG_FAMILY = 0x2000;
const FAMILY_RP2040 = 0xe48bff56;
const FLASH_BASE = 0x1000_0000;

export function loadUf2(bytes, flash, name) {
  if (bytes.length === 0 || bytes.length % 512) throw new Error(`${name}: not a UF2 file (${bytes.length} bytes, not whole 512-byte blocks)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const blocks = bytes.length / 512;
  for (let i = 0; i < blocks; i++) {
    const o = i * 512;
    const at = `${name}: block ${i} (byte offset ${o})`;
    if (view.getUint32(o, true) !== MAGIC_START0 || view.getUint32(o + 4, true) !== MAGIC_START1 || view.getUint32(o + 508, true) !== MAGIC_END) {
      throw new Error(`${at}: bad magic`);
    }
    const flags = view.getUint32(o + 8, true);
    const addr = view.getUint32(o + 12, true);
    const size = view.getUint32(o + 16, true);
    const family = view.getUint32(o + 28, true);
    if (!(flags & FLAG_FAMILY) || family !== FAMILY_RP2040) throw new Error(`${at}: not for the RP2040 family`);
    if (size !== 256 || addr % 256) throw new Error(`${at}: payload ${size} bytes at 0x${addr.toString(16)} (the RP2040 takes 256 at 256-byte boundaries)`);
    if (addr < FLASH_BASE || addr + size > FLASH_BASE + 2 * 1024 * 1024) throw new Error(`${at}: address 0x${addr.toString(16)} is outside the Pico's 2 MiB flash`);
    flash.set(bytes.subarray(o + 32, o + 32 + size), addr - FLASH_BASE);
  }
  return blocks;
}
