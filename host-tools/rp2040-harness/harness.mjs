// Runs the Fieldpack RP2040 firmware in the rp2040js emulator.
//
// The firmware and bundle UF2 files are written into emulated flash as the BOOTSEL drive
// would; the core starts from the firmware's vector table (the boot ROM is not in the npm
// package: a stub ROM stands in, see src/stub-rom.mjs, and boot2 is skipped because rp2040js
// reads flash without it). Buttons are pressed on their GPIO pins from a key script; the
// display controller is a model fed with the bytes the firmware sends on I2C or SPI, and a
// frame is taken each time the firmware has gone to sleep waiting for a key. Frames go out in
// the FPKLINK1 stream `fieldpack emulate` reads (firmware/qemu/README.md), the figures as one
// JSON line on stdout.
//
// node harness.mjs --board NAME --firmware FW.uf2 --bundle B.uf2 --frames OUT [--keys k,k]
//   [--state S.bin] [--card CARD.img] [--stack-floor ADDR] [--max-seconds N] [--profile OUT.json]

import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { RP2040 } from 'rp2040js';
import { stubRom, handleRomBreak } from './src/stub-rom.mjs';
import { Ssd1306 } from './src/ssd1306.mjs';
import { St7789 } from './src/st7789.mjs';
import { Ssd1680 } from './src/ssd1680.mjs';
import { SdCard } from './src/sdcard.mjs';
import { loadUf2 } from './src/uf2.mjs';

const CLOCK_HZ = 125_000_000;
const NS_PER_CYCLE = 1e9 / CLOCK_HZ;
const FLASH_BASE = 0x1000_0000;
const STATE_OFFSET = 0x1f_c000;
const STATE_LEN = 0x4000;
const RAM_TOP = 0x2004_0000;
const PAINT = 0xa5;
/** A press as a person makes it; long enough for the 20 ms debounce. */
const PRESS_MS = 80;
/** A long press of Select (the firmware's is 600 ms). */
const HOLD_MS = 800;
/** Asleep this long without waking counts as waiting for a key (the firmware's own timers,
 * debouncing and e-paper BUSY polls, wake it every few ms; its idle dimming after 30 s). */
const IDLE_NS = 1e9;

const PACK_KEYS = { up: 14, down: 15, select: 12, back: 13 };
const WIRED_KEYS = { up: 2, down: 3, select: 6, back: 7 };

export const BOARDS = {
  'pico-oled': {
    bus: 'i2c', port: 0, keys: WIRED_KEYS, busHz: 400_000, bitsPerByte: 9,
    card: { port: 0, cs: 17 },
  },
  'pico-epaper': {
    bus: 'spi', port: 1, dc: 8, cs: 9, rst: 12, busy: 13, keys: WIRED_KEYS, busHz: 8_000_000,
    bitsPerByte: 8, card: { port: 0, cs: 17 },
  },
  'pico-display': {
    bus: 'spi', port: 0, dc: 16, cs: 17, keys: PACK_KEYS, busHz: 62_500_000, bitsPerByte: 8,
    visible: { x0: 52, y0: 40, width: 135, height: 240 },
  },
  'pico-display-2': {
    bus: 'spi', port: 0, dc: 16, cs: 17, keys: PACK_KEYS, busHz: 62_500_000, bitsPerByte: 8,
    visible: { x0: 0, y0: 0, width: 240, height: 320 },
  },
};

function args(argv) {
  const out = {};
  for (let i = 0; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) throw new Error(`bad argument ${argv[i]}`);
    out[argv[i].slice(2)] = argv[i + 1];
  }
  return out;
}

function main() {
  const a = args(process.argv.slice(2));
  const board = BOARDS[a.board];
  if (!board) throw new Error(`unknown board ${a.board} (${Object.keys(BOARDS).join(', ')})`);
  const keys = (a.keys ?? '').split(',').filter((k) => k);
  for (const k of keys) {
    if (k !== 'hold' && !(k in board.keys)) throw new Error(`board ${a.board} has no '${k}' button (it has ${Object.keys(board.keys).join(', ')}, and hold)`);
  }
  const mcu = new RP2040();
  mcu.loadBootrom(stubRom());
  const clock = mcu.clock;
  loadUf2(readFileSync(a.firmware), mcu.flash, a.firmware);
  if (a.bundle) loadUf2(readFileSync(a.bundle), mcu.flash, a.bundle);
  if (a.state && existsSync(a.state)) {
    const s = readFileSync(a.state);
    if (s.length !== STATE_LEN) throw new Error(`${a.state}: ${s.length} bytes; a state region is ${STATE_LEN}`);
    mcu.flash.set(s, STATE_OFFSET);
  }
  mcu.sram.fill(PAINT);

  // The panel and its bus.
  let panel;
  const after = (ms, fn) => clock.createAlarm(fn).schedule(ms * 1e6);
  // Each byte on the display bus takes its time on the wire (bits at the bus's clock) before
  // the controller takes the next: the firmware waits on a full FIFO as it would on the chip,
  // so a turn's cycles include its bus time.
  const byteNs = (board.bitsPerByte * 1e9) / board.busHz;
  if (board.bus === 'i2c') {
    panel = new Ssd1306();
    const i2c = mcu.i2c[board.port];
    let ack = true;
    const connected = clock.createAlarm(() => i2c.completeConnect(ack));
    const written = clock.createAlarm(() => i2c.completeWrite(true));
    i2c.onStart = () => i2c.completeStart();
    i2c.onConnect = (address) => {
      ack = panel.connect(address);
      connected.schedule(byteNs);
    };
    i2c.onWriteByte = (v) => {
      panel.write(v);
      written.schedule(byteNs);
    };
    i2c.onReadByte = () => {
      throw new Error('SSD1306: the firmware read from a write-only panel');
    };
    i2c.onStop = () => i2c.completeStop();
  } else {
    if (board.busy !== undefined) {
      const busyPin = mcu.gpio[board.busy];
      panel = new Ssd1680((b) => busyPin.setInputValue(b), after);
      busyPin.setInputValue(false);
      let rstLow = false;
      mcu.gpio[board.rst].addListener(() => {
        const low = !mcu.gpio[board.rst].outputValue;
        if (rstLow && !low) panel.reset();
        rstLow = low;
      });
    } else {
      panel = new St7789(board.visible);
    }
    const spi = mcu.spi[board.port];
    const cs = mcu.gpio[board.cs];
    const dc = mcu.gpio[board.dc];
    const sent = clock.createAlarm(() => spi.completeTransmit(0));
    spi.onTransmit = (v) => {
      // A frame of 8 or 16 bits (the LCD boards send a pixel as one 16-bit frame), most
      // significant byte first on the wire as the controller receives it.
      const bits = spi.dataBits;
      if (bits !== 8 && bits !== 16) throw new Error(`SPI: ${bits}-bit frames to the panel`);
      if (!cs.outputValue) {
        if (bits === 16) panel.byte(v >> 8, dc.outputValue);
        panel.byte(v & 0xff, dc.outputValue);
      }
      sent.schedule((byteNs * bits) / 8);
    };
  }

  // The microSD slot of the boards with a wired breakout: a card image, or an empty slot.
  let sd = null;
  if (board.card) {
    sd = new SdCard(a.card ? readFileSync(a.card) : null);
    const spi = mcu.spi[board.card.port];
    const cs = mcu.gpio[board.card.cs];
    cs.addListener(() => {
      if (cs.outputValue) sd.deselect();
    });
    let rx = 0xff;
    const sent = clock.createAlarm(() => spi.completeTransmit(rx));
    spi.onTransmit = (v) => {
      rx = cs.outputValue ? 0xff : sd.byte(v);
      // The bus's clock as the firmware set it (400 kHz to start a card, then fast).
      sent.schedule(8e9 / (spi.clockFrequency || 400_000));
    };
  } else if (a.card) {
    throw new Error(`the ${a.board} has no card slot`);
  }

  // Buttons: pulled up, pressed to ground.
  for (const pin of Object.values(board.keys)) mcu.gpio[pin].setInputValue(true);

  const stats = { erasedSectors: 0, programmedPages: 0 };
  let failure = null;
  mcu.onBreak = (code) => {
    try {
      if (!handleRomBreak(mcu, code, stats)) {
        const pc = (mcu.core.PC - 2) >>> 0;
        failure = code === 0xee
          ? `the firmware panicked (bkpt at 0x${pc.toString(16)})`
          : `the firmware stopped at a breakpoint (code 0x${code.toString(16)}, pc 0x${pc.toString(16)})`;
      }
    } catch (e) {
      failure = e.message;
    }
  };

  // Start as the boot ROM would after boot2: from the firmware's vector table.
  const vt = FLASH_BASE + 0x100;
  mcu.core.VTOR = vt;
  mcu.core.SP = mcu.readUint32(vt);
  mcu.core.PC = mcu.readUint32(vt + 4) & ~1;

  const limitNs = Number(a['max-seconds'] ?? 600) * 1e9;
  let activeCycles = 0;
  // --profile FILE: core cycles spent per instruction address, for finding where a turn's time goes.
  const profile = a.profile ? new Map() : null;
  const callers = process.env.HARNESS_CALLERS?.split('-').map((x) => parseInt(x, 16));
  const callerCounts = new Map();
  const deepest = process.env.HARNESS_DEEPEST ? { sp: RAM_TOP, pc: 0, frames: [] } : null;
  let asleepSince = null;
  /** One instruction, or a jump of the clock while the core sleeps (to `until` at most). */
  function step(until) {
    if (mcu.core.waiting) {
      if (asleepSince === null) asleepSince = clock.nanos;
      const next = clock.nextAlarm ? clock.nanosToNextAlarm : Infinity;
      const jump = Math.min(next, until - clock.nanos);
      // Nothing due and no bound: a second, after which runUntilIdle sees the rest.
      clock.tick(Math.max(0, Number.isFinite(jump) ? jump : IDLE_NS));
    } else {
      if (process.env.HARNESS_TRACE && asleepSince !== null) process.stderr.write(`wake at ${(clock.nanos / 1e6).toFixed(3)} ms pc 0x${mcu.core.PC.toString(16)} after ${((clock.nanos - asleepSince) / 1e6).toFixed(3)} ms\n`);
      asleepSince = null;
      const pc = mcu.core.PC;
      if (profile) {
        // With HARNESS_CALLERS=lo-hi (hex): count, for instructions in that range, who
        // called (the link register), to find where a hot routine is called from.
        if (callers && pc >= callers[0] && pc < callers[1]) {
          const lr = mcu.core.registers[14] >>> 0;
          callerCounts.set(lr, (callerCounts.get(lr) ?? 0) + 1);
        }
      }
      const c = mcu.core.executeInstruction();
      if (profile) profile.set(pc, (profile.get(pc) ?? 0) + c);
      if (deepest) {
        // HARNESS_DEEPEST=FILE: where the stack was deepest, and the code addresses on the
        // stack then (the calls that led there, with some stale ones), for finding what to cut.
        const sp = mcu.core.SP >>> 0;
        if (sp < deepest.sp) {
          deepest.sp = sp;
          deepest.pc = pc;
          deepest.frames = [];
          for (let at = sp; at < RAM_TOP && deepest.frames.length < 400; at += 4) {
            const v = mcu.readUint32(at) >>> 0;
            if ((v & 1) === 1 && v >= FLASH_BASE && v < FLASH_BASE + 0x20_0000) {
              deepest.frames.push([at, v & ~1]);
            }
          }
        }
      }
      activeCycles += c;
      clock.tick(c * NS_PER_CYCLE);
    }
    if (failure) throw new Error(failure);
    if (clock.nanos > limitNs) throw new Error(`no rest within ${limitNs / 1e9} s of emulated time (pc 0x${mcu.core.PC.toString(16)}, ${mcu.core.waiting ? 'sleeping' : 'running'})`);
  }
  /** Runs until the firmware has slept a second without waking: it waits for a key. */
  function runUntilIdle() {
    asleepSince = null;
    for (;;) {
      if (mcu.core.waiting) {
        if (asleepSince === null) asleepSince = clock.nanos;
        if (clock.nanos - asleepSince >= IDLE_NS) return;
      }
      step(mcu.core.waiting ? asleepSince + IDLE_NS : Infinity);
    }
  }
  function runFor(ms) {
    const end = clock.nanos + ms * 1e6;
    while (clock.nanos < end) step(end);
  }

  const frames = [];
  const turns = [];
  const snap = () => frames.push(panel.frame());
  const measure = (fn) => {
    const [c0, b0, busy0, t0] = [activeCycles, panel.bytes, panel.busyMs ?? 0, clock.nanos];
    fn();
    return {
      cycles: activeCycles - c0,
      busBytes: panel.bytes - b0,
      panelBusyMs: (panel.busyMs ?? 0) - busy0,
      emulatedMs: (clock.nanos - t0) / 1e6,
    };
  };
  const boot = measure(runUntilIdle);
  snap();
  for (const k of keys) {
    const pin = mcu.gpio[board.keys[k === 'hold' ? 'select' : k]];
    // From the press to rest after the release: Up and Down act on the press, Select on its
    // release, Hold while held; either way the frame is done when the firmware sleeps again.
    const turn = measure(() => {
      pin.setInputValue(false);
      runFor(k === 'hold' ? HOLD_MS : PRESS_MS);
      pin.setInputValue(true);
      runUntilIdle();
    });
    turns.push({ key: k, ...turn });
    snap();
  }

  writeFileSync(a.frames, encodeFrames(frames));
  if (profile) writeFileSync(a.profile, JSON.stringify([...profile.entries()]));
  if (deepest) writeFileSync(`${process.env.HARNESS_DEEPEST}.${a.board}`, JSON.stringify(deepest));
  if (callers) writeFileSync(`${a.profile}.callers`, JSON.stringify([...callerCounts.entries()]));
  if (a.state) writeFileSync(a.state, mcu.flash.subarray(STATE_OFFSET, STATE_OFFSET + STATE_LEN));
  let stack = null;
  if (a['stack-floor']) {
    const floor = Number(a['stack-floor']) - 0x2000_0000;
    let at = floor;
    while (at < RAM_TOP - 0x2000_0000 && mcu.sram[at] === PAINT) at++;
    stack = RAM_TOP - 0x2000_0000 - at;
  }
  const report = {
    board: a.board,
    clockHz: CLOCK_HZ,
    busHz: board.busHz,
    bitsPerByte: board.bitsPerByte,
    frames: frames.length,
    boot,
    turns,
    stackBytes: stack,
    flash: stats,
    refreshes: panel.refreshes ?? null,
    cardBlocksRead: sd ? sd.blocksRead : null,
    totalCycles: activeCycles,
    emulatedMs: clock.nanos / 1e6,
  };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** Frames as the FPKLINK1 stream: a header, then per frame one window and run per row. */
function encodeFrames(frames) {
  const { width, height, bits } = frames[0] ?? { width: 0, height: 0, bits: 1 };
  const parts = [];
  const header = Buffer.alloc(16);
  header.write('FPKLINK1', 0, 'latin1');
  header.writeUInt16LE(width, 8);
  header.writeUInt16LE(height, 10);
  header.writeUInt8(bits, 12);
  parts.push(header);
  for (const f of frames) {
    const buf = Buffer.alloc(height * (9 + 3 + 2 * width) + 1);
    let o = 0;
    for (let y = 0; y < height; y++) {
      buf.writeUInt8(0x2a, o++);
      for (const v of [0, width - 1, y, y]) {
        buf.writeUInt16LE(v, o);
        o += 2;
      }
      buf.writeUInt8(0x2c, o++);
      buf.writeUInt16LE(width, o);
      o += 2;
      for (let x = 0; x < width; x++) {
        buf.writeUInt16LE(f.pixels[y * width + x], o);
        o += 2;
      }
    }
    buf.writeUInt8(0xf0, o++);
    parts.push(buf.subarray(0, o));
  }
  return Buffer.concat(parts);
}

try {
  main();
} catch (e) {
  process.stderr.write(`rp2040 harness: ${e.message}\n`);
  process.exit(1);
}
