// A model of the ST7789 LCD controller on 4-wire SPI (D/C pin): its 240x320 RGB565 memory,
// the address window (CASET/RASET), memory access control (MADCTL: MY, MX, MV), RAMWR, sleep,
// inversion and display on/off. Unknown commands fail loudly.
//
// Mounting: the Pimoroni packs show the controller's memory in landscape. `visible` gives the
// glass's part of memory in the controller's portrait terms (x0, y0, width, height); the
// picture's pixel (X, Y) is memory (x0 + width - 1 - Y, y0 + X), the orientation the MV|MX
// scan (the usual "landscape" setting) writes upright.

const MEM_W = 240;
const MEM_H = 320;

const ARGS = { 0x2a: 4, 0x2b: 4, 0x36: 1, 0x3a: 1, 0x33: 6, 0x37: 2, 0x35: 1, 0x51: 1, 0x26: 1 };
const NO_ARGS = new Set([0x00, 0x01, 0x10, 0x11, 0x12, 0x13, 0x20, 0x21, 0x28, 0x29, 0x34, 0x38, 0x39]);

export class St7789 {
  constructor(visible) {
    this.visible = visible;
    this.mem = new Uint16Array(MEM_W * MEM_H);
    this.madctl = 0;
    this.colmod = 0x66;
    this.caset = [0, MEM_W - 1];
    this.raset = [0, MEM_H - 1];
    this.c = 0;
    this.r = 0;
    this.cmd = null;
    this.args = [];
    this.writing = false;
    this.half = null;
    this.asleep = true;
    this.on = false;
    this.inverted = false;
    this.bytes = 0;
  }

  /** A byte on the bus; `dc` high: data, low: command. */
  byte(v, dc) {
    this.bytes++;
    if (!dc) {
      this.writing = false;
      this.half = null;
      this.cmd = v;
      this.args = [];
      if (v === 0x2c) {
        this.writing = true;
        this.c = this.caset[0];
        this.r = this.raset[0];
      } else if (NO_ARGS.has(v)) this.apply(v, []);
      else if (!(v in ARGS)) throw new Error(`ST7789: unknown command 0x${v.toString(16)}`);
      return;
    }
    if (this.writing) {
      if (this.half === null) this.half = v;
      else {
        this.pixel((this.half << 8) | v);
        this.half = null;
      }
      return;
    }
    if (this.cmd === null || !(this.cmd in ARGS)) throw new Error(`ST7789: data byte 0x${v.toString(16)} after command 0x${(this.cmd ?? 0).toString(16)}, which takes none`);
    this.args.push(v);
    if (this.args.length === ARGS[this.cmd]) this.apply(this.cmd, this.args);
  }

  apply(c, a) {
    switch (c) {
      case 0x01: // software reset
        this.madctl = 0;
        this.asleep = true;
        this.on = false;
        this.inverted = false;
        break;
      case 0x10: this.asleep = true; break;
      case 0x11: this.asleep = false; break;
      case 0x20: this.inverted = false; break;
      case 0x21: this.inverted = true; break;
      case 0x28: this.on = false; break;
      case 0x29: this.on = true; break;
      case 0x36: this.madctl = a[0]; break;
      case 0x3a:
        this.colmod = a[0];
        if ((a[0] & 0x07) !== 0x05) throw new Error(`ST7789: pixel format 0x${a[0].toString(16)} (only RGB565 is modelled)`);
        break;
      case 0x2a: this.caset = [(a[0] << 8) | a[1], (a[2] << 8) | a[3]]; break;
      case 0x2b: this.raset = [(a[0] << 8) | a[1], (a[2] << 8) | a[3]]; break;
      default: break; // normal mode, scrolling area, tearing, brightness: no effect on pixels
    }
  }

  pixel(value) {
    const mv = this.madctl & 0x20;
    const mx = this.madctl & 0x40;
    const my = this.madctl & 0x80;
    // Row/column exchange, then the mirrors, in the memory's own axes.
    let x = mv ? this.r : this.c;
    let y = mv ? this.c : this.r;
    if (mx) x = MEM_W - 1 - x;
    if (my) y = MEM_H - 1 - y;
    if (x >= 0 && x < MEM_W && y >= 0 && y < MEM_H) this.mem[y * MEM_W + x] = value;
    if (this.c >= this.caset[1]) {
      this.c = this.caset[0];
      this.r = this.r >= this.raset[1] ? this.raset[0] : this.r + 1;
    } else this.c++;
  }

  /** The picture on the glass, RGB565 (black when asleep or off). */
  frame() {
    const { x0, y0, width: w, height: h } = this.visible;
    const W = h;
    const H = w;
    const px = new Uint16Array(W * H);
    if (this.on && !this.asleep) {
      for (let Y = 0; Y < H; Y++) {
        for (let X = 0; X < W; X++) {
          let v = this.mem[(y0 + X) * MEM_W + (x0 + w - 1 - Y)];
          // The packs' panels show a pixel's bits inverted unless the controller inverts them
          // back (INVON): what the driver's ColorInversion::Inverted is for.
          if (!this.inverted) v ^= 0xffff;
          px[Y * W + X] = v;
        }
      }
    }
    return { width: W, height: H, bits: 16, pixels: px };
  }
}
