// Bit-level writer and reader for the compact event codec (DESIGN.md "Sync
// protocol": a few bytes per event). Byte-aligned varints waste ~1 bit in 8
// and cannot express a 21-bit tap; a bit stream with Exp-Golomb and truncated
// binary codes gets within a few percent of the workload's entropy.
// Both sides work on 32-bit words (a writer accumulator, a reader window
// peeked at any bit offset) because the codec runs once per user event on
// every phone and on the server: per-bit loops made it the fleet's hot spot.
import { assert } from "../core/assert.ts";

/** Thrown only inside the decoder; the codec turns it into a typed error. */
export class BitsExhausted extends Error {
  override name = "BitsExhausted";
}

const wordBitsMax = 32;
const expGolombOrderMax = 30;
/** A safe integer has at most 53 bits, so a longer Exp-Golomb prefix is garbage. */
const safeBitsMax = 53;
const twoTo32 = 2 ** 32;
const shortCopyBytesMax = 32;
/** Unaligned byte runs from this length on move a word at a time (two DataViews cost less than the bytes they save). */
const wordCopyBytesMin = 64;
const pow2 = Array.from({ length: safeBitsMax + 1 }, (_, i) => 2 ** i);

export class BitWriter {
  private bytes: Uint8Array;
  /** Bytes in `bytes` already final. */
  private byteLength = 0;
  /** Pending bits, right-aligned; always fewer than 32 of them. */
  private acc = 0;
  private accBits = 0;

  constructor(capacityBytes = 256) {
    assert(capacityBytes > 0, "capacity must be positive");
    this.bytes = new Uint8Array(capacityBytes);
  }

  get lengthBits(): number {
    return this.byteLength * 8 + this.accBits;
  }

  /** Writes the low `count` bits of `value`, most significant first. */
  writeBits(value: number, count: number): void {
    assert(count >= 0 && count <= wordBitsMax, "bit count out of range");
    assert(value >= 0 && value < pow2[count]! && Number.isInteger(value), "value does not fit its bits");
    this.put(value, count);
  }

  writeBit(bit: boolean): void {
    this.put(bit ? 1 : 0, 1);
  }

  /** `count` one bits (unary prefixes). */
  writeOnes(count: number): void {
    assert(count >= 0 && Number.isSafeInteger(count), "ones count invalid");
    let rest = count;
    while (rest >= wordBitsMax) {
      this.put(0xffffffff, wordBitsMax);
      rest -= wordBitsMax;
    }
    if (rest > 0) this.put(pow2[rest]! - 1, rest);
  }

  /** Exp-Golomb code of order k for a non-negative safe integer. */
  writeExpGolomb(value: number, k: number): void {
    assert(Number.isSafeInteger(value) && value >= 0, "exp-golomb value invalid");
    assert(k >= 0 && k <= expGolombOrderMax, "exp-golomb order invalid");
    const shifted = value + pow2[k]!;
    assert(Number.isSafeInteger(shifted), "exp-golomb value too large for its order");
    const width = bitWidth(shifted);
    const total = 2 * width - k - 1;
    // The leading zeros are the high bits of a `total`-bit field holding `shifted`.
    if (total <= wordBitsMax) {
      this.put(shifted, total);
      return;
    }
    let zeros = width - k - 1;
    for (; zeros >= wordBitsMax; zeros -= wordBitsMax) this.put(0, wordBitsMax);
    this.put(0, zeros);
    this.writeWide(shifted, width);
  }

  /** Truncated binary code of value in [0, range): ~log2(range) bits. */
  writeTruncated(value: number, range: number): void {
    assert(range >= 1 && value >= 0 && value < range, "truncated value outside its range");
    if (range === 1) return;
    const k = bitWidth(range - 1);
    const short = pow2[k]! - range;
    if (value < short) this.writeWide(value, k - 1);
    else this.writeWide(value + short, k);
  }

  writeBytes(data: Uint8Array): void {
    this.writeByteRange(data, 0, data.length);
  }

  /** The bytes data[start, end) (writeBytes of that subarray, without making one). */
  writeByteRange(data: Uint8Array, start: number, end: number): void {
    assert(start >= 0 && start <= end && end <= data.length, "byte range outside its array");
    const length = end - start;
    this.flushWholeBytes();
    this.reserve(length + 1);
    if (this.accBits === 0) {
      if (length > shortCopyBytesMax) {
        this.bytes.set(
          start === 0 && end === data.length ? data : data.subarray(start, end),
          this.byteLength,
        );
      } else {
        // Action segments are a few bytes: a loop, where set() needed a subarray object.
        const out = this.bytes;
        for (let i = 0, at = this.byteLength; i < length; i++) out[at + i] = data[start + i]!;
      }
      this.byteLength += length;
      return;
    }
    // Unaligned: each byte straddles two output bytes; shift it in whole
    // rather than bit by bit (photos are megabytes of nondet record).
    const shift = this.accBits;
    const keep = 8 - shift;
    const mask = (1 << shift) - 1;
    const out = this.bytes;
    let at = this.byteLength;
    let carry = this.acc;
    let i = start;
    if (length >= wordCopyBytesMin) {
      // Four bytes per step through big-endian words: the pending bits on top, the word shifted under them.
      const from = new DataView(data.buffer, data.byteOffset, data.byteLength);
      const to = new DataView(out.buffer, out.byteOffset, out.byteLength);
      for (; i + 4 <= end; i += 4, at += 4) {
        const word = from.getUint32(i);
        to.setUint32(at, (carry << (wordBitsMax - shift)) | (word >>> shift));
        carry = word & mask;
      }
    }
    for (; i < end; i++) {
      const b = data[i]!;
      out[at++] = ((carry << keep) | (b >>> shift)) & 0xff;
      carry = b & mask;
    }
    this.byteLength = at;
    this.acc = carry;
  }

  /**
   * `bitCount` bits of `data` from the start of byte `byteStart` (a segment
   * another writer wrote and aligned, see alignToByte).
   */
  writeAlignedBits(data: Uint8Array, byteStart: number, bitCount: number): void {
    const bytes = (bitCount + 7) >>> 3;
    assert(bitCount >= 0 && byteStart >= 0 && byteStart + bytes <= data.length, "bits outside their array");
    // A word at a time through the accumulator: segments are mostly a few bytes.
    let at = byteStart;
    let rest = bitCount;
    for (; rest >= wordBitsMax; rest -= wordBitsMax, at += 4) {
      this.put(((data[at]! << 24) | (data[at + 1]! << 16) | (data[at + 2]! << 8) | data[at + 3]!) >>> 0, 32);
    }
    if (rest === 0) return;
    const tailBytes = (rest + 7) >>> 3;
    let word = 0;
    for (let i = 0; i < tailBytes; i++) word = word * 256 + data[at + i]!;
    this.put(Math.floor(word / pow2[8 * tailBytes - rest]!), rest);
  }

  /** Zero bits up to the next byte boundary, so that everything written so far is in alignedView(). */
  alignToByte(): void {
    const pad = (8 - (this.accBits & 7)) & 7;
    if (pad > 0) this.put(0, pad);
    this.flushWholeBytes();
    assert(this.accBits === 0 && this.acc === 0, "aligned writer holds no pending bits");
  }

  /** The bytes written, a view valid until the next write or reset; only right after alignToByte(). */
  alignedView(): Uint8Array {
    assert(this.accBits === 0, "a view of an aligned writer");
    return this.bytes.subarray(0, this.byteLength);
  }

  /**
   * The bits written, zero-padded to whole bytes, in an array of their own.
   * The writer then starts over empty, keeping its buffer for the next user.
   */
  finish(): Uint8Array {
    const tailBytes = (this.accBits + 7) >> 3;
    const out = new Uint8Array(this.byteLength + tailBytes);
    out.set(this.bytes.subarray(0, this.byteLength));
    // The pending bits, left-aligned and zero-padded to whole bytes.
    const padded = this.accBits === 0 ? 0 : (this.acc * pow2[tailBytes * 8 - this.accBits]!) >>> 0;
    for (let i = 0; i < tailBytes; i++) {
      out[this.byteLength + i] = (padded >>> (8 * (tailBytes - 1 - i))) & 0xff;
    }
    assert(out.length * 8 >= this.lengthBits && out.length * 8 < this.lengthBits + 8, "padded to one byte");
    this.reset();
    return out;
  }

  /** Drops what was written; a buffer grown past `retainBytesMax` is let go. */
  reset(retainBytesMax = Number.POSITIVE_INFINITY): void {
    if (this.bytes.length > retainBytesMax) this.bytes = new Uint8Array(retainBytesMax);
    this.byteLength = 0;
    this.acc = 0;
    this.accBits = 0;
  }

  /** Unchecked core of writeBits: count <= 32, value < 2^count. */
  private put(value: number, count: number): void {
    const total = this.accBits + count;
    if (total < wordBitsMax) {
      this.acc = (this.acc << count) | value;
      this.accBits = total;
      return;
    }
    const spill = total - wordBitsMax;
    const head = count - spill;
    // head is 32 only when the accumulator is empty (acc = 0), where `<< 32` is harmless.
    const word = ((head === wordBitsMax ? 0 : this.acc << head) | (value >>> spill)) >>> 0;
    if (this.byteLength + 4 > this.bytes.length) this.reserve(4);
    const out = this.bytes;
    const at = this.byteLength;
    out[at] = word >>> 24;
    out[at + 1] = (word >>> 16) & 0xff;
    out[at + 2] = (word >>> 8) & 0xff;
    out[at + 3] = word & 0xff;
    this.byteLength = at + 4;
    this.acc = spill === 0 ? 0 : value & ((1 << spill) - 1);
    this.accBits = spill;
  }

  private flushWholeBytes(): void {
    this.reserve(4);
    while (this.accBits >= 8) {
      this.accBits -= 8;
      this.bytes[this.byteLength++] = (this.acc >>> this.accBits) & 0xff;
    }
    this.acc &= (1 << this.accBits) - 1;
  }

  private writeWide(value: number, width: number): void {
    assert(width <= safeBitsMax, "value wider than a safe integer");
    if (width > wordBitsMax) {
      const high = Math.floor(value / twoTo32);
      this.put(high, width - wordBitsMax);
      this.put(value - high * twoTo32, wordBitsMax);
    } else {
      this.put(value, width);
    }
  }

  private reserve(extraBytes: number): void {
    const needed = this.byteLength + extraBytes;
    if (needed <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(needed, this.bytes.length * 2));
    grown.set(this.bytes.subarray(0, this.byteLength));
    this.bytes = grown;
  }
}

/**
 * Reads what BitWriter wrote. Keeps a cached window of the stream in two
 * 32-bit words (`hi`, then `lo`), refilled a word at a time as reads consume
 * it, so a peek is two shifts instead of five byte loads (issue 5: intake's
 * validation makes 3-4 peeks per event). Past the end the window holds zeros;
 * every consuming read checks the end first and throws BitsExhausted.
 */
export class BitReader {
  // Every field starts as a number (not undefined, as a declared field would
  // under ES2022 class fields): V8 then keeps them as small integers and the
  // reads' arithmetic stays in int32, not float64.
  private readonly bytes: Uint8Array;
  private readonly lengthBits: number = 0;
  /** Bits [base, base + 32) of the stream, left-aligned, as a signed int32. */
  private hi = 0;
  /** Bits [base + 32, base + 64). */
  private lo = 0;
  /** Stream offset of hi's first bit: a multiple of 8. */
  private base = 0;
  /** Bits of hi already consumed: position = base + used, used in [0, 32). */
  private used = 0;
  /** Byte index of the first byte not yet in the window. */
  private nextByte = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.lengthBits = bytes.length * 8;
    this.seek(0);
  }

  get remainingBits(): number {
    return this.lengthBits - this.base - this.used;
  }

  /** The next 32 bits without consuming them; zeros past the end. */
  peek32(): number {
    const used = this.used;
    // `>>> 32` would be `>>> 0`: the aligned case alone.
    return used === 0 ? this.hi >>> 0 : ((this.hi << used) | (this.lo >>> (wordBitsMax - used))) >>> 0;
  }

  /** The read position, for rewind (a decoder trying a fast path first). */
  mark(): number {
    return this.base + this.used;
  }

  rewind(mark: number): void {
    assert(mark >= 0 && mark <= this.base + this.used, "rewind only to an earlier mark");
    this.seek(mark);
  }

  /** Consumes `count` bits already inspected with peek32. */
  skip(count: number): void {
    if (count > this.lengthBits - this.base - this.used) truncated();
    this.advance(count);
  }

  readBit(): boolean {
    if (this.base + this.used >= this.lengthBits) truncated();
    const bit = (this.hi << this.used) >>> 31;
    this.advance(1);
    return bit === 1;
  }

  readBits(count: number): number {
    assert(count >= 0 && count <= safeBitsMax, "bit count out of range");
    if (count > this.lengthBits - this.base - this.used) truncated();
    if (count === 0) return 0;
    if (count <= wordBitsMax) {
      const value = this.peek32() >>> (wordBitsMax - count);
      this.advance(count);
      return value;
    }
    const high = this.peek32() >>> (2 * wordBitsMax - count);
    this.advance(count - wordBitsMax);
    const low = this.peek32();
    this.advance(wordBitsMax);
    return high * twoTo32 + low;
  }

  /** Counts one bits up to `max`, consuming them and the zero that ends a shorter run. */
  readOnes(max: number): number {
    assert(max >= 0 && max < wordBitsMax, "ones run limit out of range");
    const ones = Math.min(Math.clz32(~this.peek32()), max);
    this.skip(ones < max ? ones + 1 : ones);
    return ones;
  }

  readExpGolomb(k: number): number {
    assert(k >= 0 && k <= expGolombOrderMax, "exp-golomb order invalid");
    const word = this.peek32();
    const zeros = word === 0 ? this.countZerosSlow() : Math.clz32(word);
    if (zeros + k >= safeBitsMax) throw new BitsExhausted("exp-golomb prefix too long");
    const total = 2 * zeros + k + 1;
    if (total <= wordBitsMax) {
      this.skip(total);
      // Integer arithmetic (k <= 30): pow2 holds doubles, and one double here made every caller's sums float64.
      return (word >>> (wordBitsMax - total)) - (1 << k);
    }
    this.skip(zeros);
    return this.readBits(zeros + k + 1) - pow2[k]!;
  }

  /**
   * Truncated binary code of a value in [0, range): the k-1 bit head is the
   * value when below `short`, else the k-bit field minus `short`. One peek
   * and one consume for any range up to 2^32 (every range the codec uses).
   */
  readTruncated(range: number): number {
    assert(range >= 1 && Number.isSafeInteger(range), "truncated range must be positive");
    if (range === 1) return 0;
    if (range > twoTo32) return this.readTruncatedWide(range);
    const k = wordBitsMax - Math.clz32(range - 1);
    const short = k <= expGolombOrderMax ? (1 << k) - range : pow2[k]! - range;
    const word = this.peek32();
    // The top k-1 bits (none when k is 1: `>>> 32` would keep them all).
    const head = (word >>> 1) >>> (wordBitsMax - k);
    if (head < short) {
      this.skip(k - 1);
      return head;
    }
    this.skip(k);
    return (word >>> (wordBitsMax - k)) - short;
  }

  readBytes(length: number): Uint8Array {
    const position = this.base + this.used;
    if (length * 8 > this.lengthBits - position) truncated();
    const start = position >>> 3;
    const shift = position & 7;
    const src = this.bytes;
    let out: Uint8Array;
    if (shift === 0) {
      out = src.slice(start, start + length);
    } else {
      out = new Uint8Array(length);
      const back = 8 - shift;
      // Unaligned, the run ends inside a byte that is still in the stream.
      assert(start + length < src.length, "unaligned run ends inside the stream");
      let i = 0;
      if (length >= wordCopyBytesMin) {
        // Four bytes per step: a big-endian word shifted up, the next byte's top bits under it.
        const from = new DataView(src.buffer, src.byteOffset, src.byteLength);
        const to = new DataView(out.buffer, out.byteOffset, out.byteLength);
        for (; i + 4 <= length; i += 4)
          to.setUint32(i, (from.getUint32(start + i) << shift) | (src[start + i + 4]! >>> back));
      }
      for (; i < length; i++) out[i] = ((src[start + i]! << shift) | (src[start + i + 1]! >>> back)) & 0xff;
    }
    this.seek(position + length * 8);
    return out;
  }

  /** True when only zero padding bits remain (the writer pads to a byte). */
  atPaddedEnd(): boolean {
    const remaining = this.lengthBits - this.base - this.used;
    if (remaining >= 8) return false;
    return remaining === 0 || this.peek32() === 0;
  }

  /** Consumes `count` bits (the caller checked the end). */
  private advance(count: number): void {
    const used = this.used + count;
    if (used < wordBitsMax) {
      this.used = used;
      return;
    }
    if (used >= 2 * wordBitsMax) {
      this.seek(this.base + used);
      return;
    }
    this.hi = this.lo;
    this.lo = this.wordAt(this.nextByte);
    this.nextByte += 4;
    this.base += wordBitsMax;
    this.used = used - wordBitsMax;
  }

  /** Moves the window to bit `position` (rewinds, byte runs, long skips). */
  private seek(position: number): void {
    assert(position >= 0 && position <= this.lengthBits, "seek inside the stream");
    const used = position & 7;
    const at = (position - used) / 8;
    this.base = position - used;
    this.used = used;
    this.hi = this.wordAt(at);
    this.lo = this.wordAt(at + 4);
    this.nextByte = at + 8;
  }

  /** The big-endian word at byte `at`, zeros past the end; a signed int32. */
  private wordAt(at: number): number {
    const bytes = this.bytes;
    if (at + 3 < bytes.length)
      return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
    return tailWordAt(bytes, at);
  }

  /** readTruncated for a range above 2^32 (no codec field has one; kept for completeness). */
  private readTruncatedWide(range: number): number {
    const k = bitWidth(range - 1);
    const short = pow2[k]! - range;
    const head = this.readBits(k - 1);
    if (head < short) return head;
    return head * 2 + (this.readBit() ? 1 : 0) - short;
  }

  /** Leading zeros when the next 32 bits are all zero (only long Exp-Golomb codes). */
  private countZerosSlow(): number {
    const start = this.mark();
    let zeros = 0;
    while (zeros < safeBitsMax && !this.readBit()) zeros++;
    this.seek(start);
    return zeros;
  }
}

/** wordAt near the end, out of line so that the refill inlines into every read. */
function tailWordAt(bytes: Uint8Array, at: number): number {
  let word = 0;
  for (let i = 0; i < 4; i++) word = (word << 8) | (at + i < bytes.length ? bytes[at + i]! : 0);
  return word;
}

/** Out of line: the reads that check the end stay small enough to inline. */
function truncated(): never {
  throw new BitsExhausted("bit stream truncated");
}

/** Number of bits needed to write `value` (0 needs 0 bits). */
export function bitWidth(value: number): number {
  assert(Number.isSafeInteger(value) && value >= 0, "bitWidth of a non-safe integer");
  if (value < twoTo32) return wordBitsMax - Math.clz32(value);
  return wordBitsMax + bitWidth(Math.floor(value / twoTo32));
}

/** Bits an Exp-Golomb code of order k spends on value (for choosing k). */
export function expGolombBits(value: number, k: number): number {
  return 2 * bitWidth(value + pow2[k]!) - k - 1;
}
