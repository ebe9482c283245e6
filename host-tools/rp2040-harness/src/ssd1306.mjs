// A model of the SSD1306 OLED controller on I2C: enough of its command set to place pixels
// (addressing modes, windows, remaps, display on/off, invert, contrast), failing loudly on any
// command it does not know. Frames are read from its display RAM as the glass shows them.

const ARGS = {
  0x20: 1, 0x21: 2, 0x22: 2, 0x81: 1, 0x8d: 1, 0xa8: 1, 0xd3: 1, 0xd5: 1, 0xd9: 1, 0xda: 1,
  0xdb: 1,
};

export class Ssd1306 {
  constructor(width = 128, height = 64, address = 0x3c) {
    this.width = width;
    this.height = height;
    this.address = address;
    this.pages = height / 8;
    this.ram = new Uint8Array(width * this.pages);
    this.on = false;
    this.invert = false;
    this.allOn = false;
    this.segRemap = false;
    this.comReverse = false;
    this.startLine = 0;
    this.contrast = 0x7f;
    this.mode = 2; // page addressing, the reset default
    this.col = 0;
    this.page = 0;
    this.cols = [0, width - 1];
    this.pageRange = [0, this.pages - 1];
    this.pending = null; // a command waiting for its arguments
    this.bytes = 0;
    this.log = [];
  }

  // --- I2C: a transaction is START, address, control byte, bytes, STOP.
  connect(address) {
    this.control = null;
    this.continuation = true;
    return address === this.address;
  }

  write(value) {
    this.bytes++;
    if (this.control === null) {
      this.control = value;
      if ((value & 0x3f) !== 0) throw new Error(`SSD1306: bad control byte 0x${value.toString(16)}`);
      return;
    }
    const data = (this.control & 0x40) !== 0;
    if (data) this.data(value);
    else this.command(value);
    // Co set: only this one byte; the next is a control byte again.
    if (this.control & 0x80) this.control = null;
  }

  command(b) {
    if (this.pending) {
      this.pending.args.push(b);
      if (this.pending.args.length === this.pending.want) {
        const { cmd, args } = this.pending;
        this.pending = null;
        this.apply(cmd, args);
      }
      return;
    }
    const want = ARGS[b];
    if (want) {
      this.pending = { cmd: b, args: [], want };
      return;
    }
    this.apply(b, []);
  }

  apply(c, a) {
    if (c === 0xae || c === 0xaf) this.on = c === 0xaf;
    else if (c === 0xa6 || c === 0xa7) this.invert = c === 0xa7;
    else if (c === 0xa4 || c === 0xa5) this.allOn = c === 0xa5;
    else if (c === 0xa0 || c === 0xa1) this.segRemap = c === 0xa1;
    else if (c === 0xc0 || c === 0xc8) this.comReverse = c === 0xc8;
    else if (c >= 0x40 && c <= 0x7f) this.startLine = c - 0x40;
    else if (c === 0x81) this.contrast = a[0];
    else if (c === 0x20) {
      if (a[0] > 2) throw new Error(`SSD1306: addressing mode ${a[0]}`);
      this.mode = a[0];
    } else if (c === 0x21) {
      this.cols = [a[0] & 0x7f, a[1] & 0x7f];
      this.col = this.cols[0];
    } else if (c === 0x22) {
      this.pageRange = [a[0] & 7, a[1] & 7];
      this.page = this.pageRange[0];
    } else if (c <= 0x0f) this.col = (this.col & 0xf0) | c;
    else if (c >= 0x10 && c <= 0x1f) this.col = (this.col & 0x0f) | ((c & 0x0f) << 4);
    else if (c >= 0xb0 && c <= 0xb7) this.page = c & 7;
    else if (c === 0x2e) { /* scrolling off */ }
    else if ([0x8d, 0xa8, 0xd3, 0xd5, 0xd9, 0xda, 0xdb].includes(c)) { /* analogue settings */ }
    else throw new Error(`SSD1306: unknown command 0x${c.toString(16)}`);
    if (c === 0xa8 && a[0] !== this.height - 1) throw new Error(`SSD1306: multiplex ${a[0]} for a ${this.height}-row panel`);
    if (c === 0xd3 && a[0] !== 0) throw new Error('SSD1306: display offsets are not modelled');
  }

  data(b) {
    if (this.col < this.width && this.page < this.pages) this.ram[this.page * this.width + this.col] = b;
    if (this.mode === 0) {
      // Horizontal: across the column window, then the next page.
      if (this.col >= this.cols[1]) {
        this.col = this.cols[0];
        this.page = this.page >= this.pageRange[1] ? this.pageRange[0] : this.page + 1;
      } else this.col++;
    } else if (this.mode === 1) {
      if (this.page >= this.pageRange[1]) {
        this.page = this.pageRange[0];
        this.col = this.col >= this.cols[1] ? this.cols[0] : this.col + 1;
      } else this.page++;
    } else if (this.col < this.width - 1) this.col++;
  }

  /** The picture on the glass, one value a pixel (1 = lit); dark when the panel is off. */
  frame() {
    const px = new Uint16Array(this.width * this.height);
    if (!this.on) return { width: this.width, height: this.height, bits: 1, pixels: px };
    if (this.startLine !== 0) throw new Error('SSD1306: a start line other than 0 is not modelled');
    for (let y = 0; y < this.height; y++) {
      // Rows: COM scan reversed (0xC8) is the module's upright; columns: segment remap
      // (0xA1) likewise, as the driver's Rotate0 sets them.
      const row = this.comReverse ? y : this.height - 1 - y;
      for (let x = 0; x < this.width; x++) {
        const col = this.segRemap ? x : this.width - 1 - x;
        let lit = (this.ram[(row >> 3) * this.width + col] >> (row & 7)) & 1;
        if (this.allOn) lit = 1;
        if (this.invert) lit ^= 1;
        px[y * this.width + x] = lit;
      }
    }
    return { width: this.width, height: this.height, bits: 1, pixels: px };
  }
}
