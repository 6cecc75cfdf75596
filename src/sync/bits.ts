// Bit-level writer and reader for the compact event codec (DESIGN.md "Sync
// protocol": a few bytes per event). Byte-aligned varints waste ~1 bit in 8
// and cannot express a 21-bit tap; a bit stream with Exp-Golomb and truncated
// binary codes gets within a few percent of the workload's entropy.
import { assert } from "../core/assert.ts";

/** Thrown only inside the decoder; the codec turns it into a typed error. */
export class BitsExhausted extends Error {
  override name = "BitsExhausted";
}

const wordBitsMax = 32;
const expGolombOrderMax = 30;

export class BitWriter {
  private bytes: Uint8Array;
  private bitLength = 0;

  constructor(capacityBytes = 256) {
    assert(capacityBytes > 0, "capacity must be positive");
    this.bytes = new Uint8Array(capacityBytes);
  }

  get lengthBits(): number {
    return this.bitLength;
  }

  /** Writes the low `count` bits of `value`, most significant first. */
  writeBits(value: number, count: number): void {
    assert(count >= 0 && count <= wordBitsMax, `bit count ${count} out of range`);
    assert(
      value >= 0 && (count === wordBitsMax || value < 2 ** count),
      `value ${value} does not fit ${count} bits`,
    );
    this.reserve(count);
    for (let i = count - 1; i >= 0; i--) {
      if ((value >>> i) & 1) this.bytes[this.bitLength >> 3]! |= 0x80 >> (this.bitLength & 7);
      this.bitLength++;
    }
  }

  writeBit(bit: boolean): void {
    this.reserve(1);
    if (bit) this.bytes[this.bitLength >> 3]! |= 0x80 >> (this.bitLength & 7);
    this.bitLength++;
  }

  /** Exp-Golomb code of order k for a non-negative safe integer. */
  writeExpGolomb(value: number, k: number): void {
    assert(Number.isSafeInteger(value) && value >= 0, `exp-golomb value ${value} invalid`);
    assert(k >= 0 && k <= expGolombOrderMax, `exp-golomb order ${k} invalid`);
    const shifted = value + 2 ** k;
    const width = bitWidth(shifted);
    for (let i = 0; i < width - k - 1; i++) this.writeBit(false);
    this.writeWide(shifted, width);
  }

  /** Truncated binary code of value in [0, range): ~log2(range) bits. */
  writeTruncated(value: number, range: number): void {
    assert(range >= 1 && value >= 0 && value < range, `truncated ${value} outside [0, ${range})`);
    if (range === 1) return;
    const k = bitWidth(range - 1);
    const short = 2 ** k - range;
    if (value < short) this.writeWide(value, k - 1);
    else this.writeWide(value + short, k);
  }

  writeBytes(data: Uint8Array): void {
    this.reserve(data.length * 8);
    if ((this.bitLength & 7) === 0) {
      this.bytes.set(data, this.bitLength >> 3);
      this.bitLength += data.length * 8;
      return;
    }
    // Unaligned: each byte straddles two output bytes; shift it in whole
    // rather than bit by bit (photos are megabytes of nondet record).
    const shift = this.bitLength & 7;
    let at = this.bitLength >> 3;
    for (const b of data) {
      this.bytes[at] = this.bytes[at]! | (b >> shift);
      at++;
      this.bytes[at] = (b << (8 - shift)) & 0xff;
    }
    this.bitLength += data.length * 8;
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, (this.bitLength + 7) >> 3);
  }

  private writeWide(value: number, width: number): void {
    assert(width <= 53, "value wider than a safe integer");
    if (width > wordBitsMax) {
      const high = Math.floor(value / 2 ** wordBitsMax);
      this.writeBits(high, width - wordBitsMax);
      this.writeBits(value - high * 2 ** wordBitsMax, wordBitsMax);
    } else {
      this.writeBits(value, width);
    }
  }

  private reserve(bits: number): void {
    const needed = (this.bitLength + bits + 7) >> 3;
    if (needed <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    grown.set(this.bytes);
    this.bytes = grown;
  }
}

export class BitReader {
  private position = 0;
  private readonly lengthBits: number;

  constructor(private readonly bytes: Uint8Array) {
    this.lengthBits = bytes.length * 8;
  }

  get remainingBits(): number {
    return this.lengthBits - this.position;
  }

  readBit(): boolean {
    if (this.position >= this.lengthBits) throw new BitsExhausted("bit stream truncated");
    const bit = (this.bytes[this.position >> 3]! >> (7 - (this.position & 7))) & 1;
    this.position++;
    return bit === 1;
  }

  readBits(count: number): number {
    assert(count >= 0 && count <= 53, `bit count ${count} out of range`);
    if (count > this.remainingBits) throw new BitsExhausted("bit stream truncated");
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + (this.readBit() ? 1 : 0);
    return value;
  }

  readExpGolomb(k: number): number {
    assert(k >= 0 && k <= expGolombOrderMax, `exp-golomb order ${k} invalid`);
    let zeros = 0;
    while (!this.readBit()) {
      zeros++;
      // A safe integer has at most 53 bits; more leading zeros is garbage.
      if (zeros + k > 52) throw new BitsExhausted("exp-golomb prefix too long");
    }
    const rest = this.readBits(zeros + k);
    return 2 ** (zeros + k) + rest - 2 ** k;
  }

  readTruncated(range: number): number {
    assert(range >= 1, "truncated range must be positive");
    if (range === 1) return 0;
    const k = bitWidth(range - 1);
    const short = 2 ** k - range;
    const head = this.readBits(k - 1);
    if (head < short) return head;
    return head * 2 + (this.readBit() ? 1 : 0) - short;
  }

  readBytes(length: number): Uint8Array {
    if (length * 8 > this.remainingBits) throw new BitsExhausted("bit stream truncated");
    if ((this.position & 7) === 0) {
      const start = this.position >> 3;
      this.position += length * 8;
      return this.bytes.slice(start, start + length);
    }
    const out = new Uint8Array(length);
    const shift = this.position & 7;
    let at = this.position >> 3;
    for (let i = 0; i < length; i++) {
      // The last byte's low part may lie past the end: only padding there.
      out[i] = ((this.bytes[at]! << shift) | ((this.bytes[at + 1] ?? 0) >> (8 - shift))) & 0xff;
      at++;
    }
    this.position += length * 8;
    return out;
  }

  /** True when only zero padding bits remain (the writer pads to a byte). */
  atPaddedEnd(): boolean {
    if (this.remainingBits >= 8) return false;
    while (this.position < this.lengthBits) if (this.readBit()) return false;
    return true;
  }
}

/** Number of bits needed to write `value` (0 needs 0 bits). */
export function bitWidth(value: number): number {
  assert(Number.isSafeInteger(value) && value >= 0, `bitWidth of ${value}`);
  let width = 0;
  let rest = value;
  while (rest > 0) {
    width++;
    rest = Math.floor(rest / 2);
  }
  return width;
}

/** Bits an Exp-Golomb code of order k spends on value (for choosing k). */
export function expGolombBits(value: number, k: number): number {
  return 2 * bitWidth(value + 2 ** k) - k - 1;
}
