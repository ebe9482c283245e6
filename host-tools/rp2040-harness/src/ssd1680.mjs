// A model of the SSD1680 e-paper controller (Waveshare 2.9" V2) on 4-wire SPI: its black/white
// RAM (0x24) and the previous-frame RAM (0x26), RAM windows and counters (data entry mode
// X then Y, both increasing), refreshes (0x22 + 0x20) with BUSY held for the panel's refresh
// time, deep sleep (after which only a hardware reset wakes it). Unknown commands fail loudly.
//
// Mounting: the picture's pixel (X, Y) of 296x128 is RAM (x = 127 - Y, y = X), as the
// driver's 90-degree rotation writes it; a RAM bit 0 is ink.

const W = 128;
const H = 296;

const ARGS = {
  0x01: 3, 0x03: 1, 0x04: 3, 0x0c: 3, 0x10: 1, 0x11: 1, 0x18: 1, 0x1a: 2, 0x21: 2, 0x22: 1,
  0x2c: 1, 0x32: 153, 0x37: 10, 0x3a: 1, 0x3b: 1, 0x3c: 1, 0x3f: 1, 0x44: 2, 0x45: 4,
  0x4e: 1, 0x4f: 2,
};

/** Typical refresh times of the 2.9" V2 panel (Waveshare's specification page): full 3 s,
 * partial 0.3 s. The firmware waits on BUSY for them. */
export const FULL_REFRESH_MS = 3000;
export const PARTIAL_REFRESH_MS = 300;

export class Ssd1680 {
  constructor(setBusy, after) {
    this.setBusy = setBusy;
    this.after = after; // (ms, callback): runs callback after ms of emulated time
    this.bw = new Uint8Array((W / 8) * H).fill(0xff);
    this.red = new Uint8Array((W / 8) * H).fill(0xff);
    this.shown = new Uint8Array((W / 8) * H).fill(0xff);
    this.xw = [0, W / 8 - 1];
    this.yw = [0, H - 1];
    this.x = 0;
    this.y = 0;
    this.cmd = null;
    this.args = [];
    this.ram = null;
    this.update = 0xc7;
    this.asleep = false;
    this.refreshes = { full: 0, partial: 0 };
    this.busyMs = 0;
    this.bytes = 0;
  }

  /** The RST pin went low then high: the controller restarts (RAM kept, sleep ended). */
  reset() {
    this.asleep = false;
    this.cmd = null;
    this.ram = null;
  }

  byte(v, dc) {
    this.bytes++;
    if (this.asleep) throw new Error(`SSD1680: byte 0x${v.toString(16)} sent in deep sleep (a hardware reset must come first)`);
    if (!dc) {
      this.cmd = v;
      this.args = [];
      this.ram = null;
      if (v === 0x24 || v === 0x26) {
        this.ram = v === 0x24 ? this.bw : this.red;
      } else if (v === 0x12) {
        this.busy(2);
      } else if (v === 0x20) {
        this.refresh();
      } else if (!(v in ARGS)) throw new Error(`SSD1680: unknown command 0x${v.toString(16)}`);
      return;
    }
    if (this.ram) {
      const i = this.y * (W / 8) + this.x;
      if (this.x <= this.xw[1] && this.y < H) this.ram[i] = v;
      if (this.x >= this.xw[1]) {
        this.x = this.xw[0];
        this.y = this.y >= this.yw[1] ? this.yw[0] : this.y + 1;
      } else this.x++;
      return;
    }
    if (!(this.cmd in ARGS)) throw new Error(`SSD1680: data byte after command 0x${(this.cmd ?? 0).toString(16)}, which takes none`);
    this.args.push(v);
    if (this.args.length === ARGS[this.cmd]) this.apply(this.cmd, this.args);
  }

  apply(c, a) {
    switch (c) {
      case 0x11:
        if (a[0] !== 0x03) throw new Error(`SSD1680: data entry mode 0x${a[0].toString(16)} is not modelled`);
        break;
      case 0x44: this.xw = [a[0], a[1]]; break;
      case 0x45: this.yw = [a[0] | (a[1] << 8), a[2] | (a[3] << 8)]; break;
      case 0x4e: this.x = a[0]; break;
      case 0x4f: this.y = a[0] | (a[1] << 8); break;
      case 0x22: this.update = a[0]; break;
      case 0x10:
        if (a[0] !== 0) this.asleep = true;
        break;
      default: break; // LUTs, voltages, border, OTP selection: no effect on the picture
    }
  }

  refresh() {
    // 0x0F / 0xCF: display mode 2 (partial, from the difference with RAM 0x26); otherwise full.
    // Without the display bit (0x04) the sequence only powers the analogue parts up or down.
    if (!(this.update & 0x04)) {
      this.busy(1);
      return;
    }
    const partial = (this.update & 0x08) !== 0;
    this.shown.set(this.bw);
    if (partial) this.refreshes.partial++;
    else this.refreshes.full++;
    this.busy(partial ? PARTIAL_REFRESH_MS : FULL_REFRESH_MS);
  }

  busy(ms) {
    this.busyMs += ms;
    this.setBusy(true);
    this.after(ms, () => this.setBusy(false));
  }

  /** The picture on the panel (1 = ink), 296x128. */
  frame() {
    const PW = H;
    const PH = W;
    const px = new Uint16Array(PW * PH);
    for (let Y = 0; Y < PH; Y++) {
      for (let X = 0; X < PW; X++) {
        const x = W - 1 - Y;
        const y = X;
        const bit = (this.shown[y * (W / 8) + (x >> 3)] >> (7 - (x & 7))) & 1;
        px[Y * PW + X] = bit ? 0 : 1;
      }
    }
    return { width: PW, height: PH, bits: 1, pixels: px };
  }
}
