// A model of an SDHC card in SPI mode: the start-up (CMD0, CMD8, CMD59, CMD55 + ACMD41,
// CMD58), its size (CMD9: a version 2 CSD), and block reads (CMD17, CMD18 until CMD12), data
// with its CRC-16 as a card sends it, from a card image. A write or any command it does not
// know stops the run. An empty slot (no image) answers nothing: its data line idles high.

const BLOCK = 512;

function crc16(bytes) {
  let crc = 0;
  for (const b of bytes) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The CRC-7 a CSD register ends with (the SD specification's polynomial x^7 + x^3 + 1). */
function crc7(bytes) {
  let crc = 0;
  for (let d of bytes) {
    for (let i = 0; i < 8; i++) {
      crc = (crc << 1) & 0xff;
      if ((d & 0x80) ^ (crc & 0x80)) crc ^= 0x09;
      d = (d << 1) & 0xff;
    }
  }
  return crc & 0x7f;
}

export class SdCard {
  constructor(image) {
    this.image = image;
    if (image && (image.length % (512 * 1024) || image.length === 0)) {
      throw new Error(`SD card image: ${image.length} bytes, not a whole number of 512 KiB`);
    }
    this.frame = [];
    this.out = [];
    this.idle = true;
    this.app = false;
    this.opCondTries = 0;
    this.multi = null;
    this.blocksRead = 0;
    this.bytes = 0;
  }

  /** CS went high: a command in progress is dropped. */
  deselect() {
    this.frame = [];
  }

  /** A byte from the host; returns the byte the card sends back at the same time. */
  byte(v) {
    this.bytes++;
    if (!this.image) return 0xff;
    const reply = this.out.length ? this.out.shift() : 0xff;
    if (this.multi !== null && this.out.length === 0) this.queueBlock(this.multi++, true);
    if (this.frame.length === 0 && (v & 0xc0) !== 0x40) return reply;
    this.frame.push(v);
    if (this.frame.length === 6) {
      const [c, a0, a1, a2, a3] = this.frame;
      this.frame = [];
      if (process.env.HARNESS_SD_TRACE) process.stderr.write(`SD CMD${c & 0x3f} ${(((a0 << 24) | (a1 << 16) | (a2 << 8) | a3) >>> 0).toString(16)}\n`);
      this.command(c & 0x3f, ((a0 << 24) | (a1 << 16) | (a2 << 8) | a3) >>> 0);
    }
    return reply;
  }

  r1() {
    return this.idle ? 0x01 : 0x00;
  }

  command(cmd, arg) {
    const app = this.app;
    this.app = false;
    // The response comes after one byte of waiting (N_CR), as most cards give it.
    const reply = (...bytes) => {
      this.out = [0xff, ...bytes];
    };
    if (this.multi !== null && cmd !== 12) throw new Error(`SD: command ${cmd} during a multiple-block read`);
    if (app) {
      if (cmd !== 41) throw new Error(`SD: application command ACMD${cmd} is not modelled`);
      // Ready on the second try, as cards take a moment to power up.
      this.opCondTries++;
      if (this.opCondTries >= 2) this.idle = false;
      reply(this.r1());
      return;
    }
    switch (cmd) {
      case 0:
        this.idle = true;
        this.opCondTries = 0;
        reply(0x01);
        break;
      case 8:
        reply(0x01, 0x00, 0x00, (arg >> 8) & 0x0f, arg & 0xff);
        break;
      case 55:
        this.app = true;
        reply(this.r1());
        break;
      case 59:
      case 16:
        reply(this.r1());
        break;
      case 58:
        // OCR: powered up, CCS (block addressing: SDHC), 2.7-3.6 V.
        reply(this.r1(), 0xc0, 0xff, 0x80, 0x00);
        break;
      case 13:
        reply(this.r1(), 0x00);
        break;
      case 9: {
        const csd = new Uint8Array(16);
        const cSize = this.image.length / (512 * 1024) - 1;
        csd[0] = 0x40; // CSD version 2.0
        csd[1] = 0x0e;
        csd[3] = 0x32; // 25 MHz
        csd[4] = 0x5b;
        csd[5] = 0x59; // block length 512
        csd[7] = (cSize >> 16) & 0x3f;
        csd[8] = (cSize >> 8) & 0xff;
        csd[9] = cSize & 0xff;
        csd[10] = 0x7f;
        csd[11] = 0x80;
        csd[12] = 0x0a;
        csd[13] = 0x40;
        csd[15] = (crc7(csd.subarray(0, 15)) << 1) | 1;
        const crc = crc16(csd);
        reply(this.r1(), 0xff, 0xfe, ...csd, crc >> 8, crc & 0xff);
        break;
      }
      case 17:
        reply(this.r1());
        this.queueBlock(arg, false);
        break;
      case 18:
        reply(this.r1());
        this.queueBlock(arg, false);
        this.multi = arg + 1;
        break;
      case 12:
        // A stuff byte, then R1, then not busy.
        this.multi = null;
        this.out = [0xff, 0x00, 0xff];
        break;
      case 24:
      case 25:
        throw new Error('SD: the reader wrote to the card (writes are not modelled: it never should)');
      default:
        throw new Error(`SD: command CMD${cmd} is not modelled`);
    }
  }

  queueBlock(index, gap) {
    const at = index * BLOCK;
    if (at + BLOCK > this.image.length) throw new Error(`SD: block ${index} is past the card's end`);
    const data = this.image.subarray(at, at + BLOCK);
    const crc = crc16(data);
    this.out.push(...(gap ? [0xff] : []), 0xff, 0xfe, ...data, crc >> 8, crc & 0xff);
    this.blocksRead++;
  }
}
