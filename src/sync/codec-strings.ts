// Strings in the compact event codec (action names outside the dictionary,
// action arguments; DESIGN.md "Sync protocol"): a repeat of one of the last
// few strings costs a short index, anything else its UTF-8 bytes. Arguments
// are nearly always short ASCII ("peer=a", paths), so both directions take a
// path that skips TextEncoder/TextDecoder and their buffer per string.
import { assert } from "../core/assert.ts";
import { fromUtf8, utf8 } from "../core/bytes.ts";
import type { BitReader, BitWriter } from "./bits.ts";

/** Thrown only inside the decoder; codec-events turns it into a typed error. */
export class CodecError extends Error {
  override name = "CodecError";
}

const recentStringsMax = 16;
const asciiFastBytesMax = 64;
const stringLengthOrder = 3;

/** A recent-strings table shared by encoder and decoder (move to front). */
export class RecentStrings {
  private readonly items: string[] = [];
  indexOf(text: string): number {
    return this.items.indexOf(text);
  }
  get size(): number {
    return this.items.length;
  }
  at(index: number): string {
    const item = this.items[index];
    if (item === undefined) throw new CodecError(`recent string ${index} out of range`);
    return item;
  }
  /** Empty again (an encoder reused for the next batch). */
  clear(): void {
    this.items.length = 0;
  }
  use(text: string, index: number): void {
    if (index === 0) return;
    if (index > 0) this.items.splice(index, 1);
    this.items.unshift(text);
    if (this.items.length > recentStringsMax) this.items.pop();
  }
}

function isShortAscii(text: string): boolean {
  if (text.length > asciiFastBytesMax) return false;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

/** Writes `text`; returns how many literal bytes that took (0 for a recent string). */
export function writeString(w: BitWriter, recent: RecentStrings, text: string): number {
  const index = recent.indexOf(text);
  w.writeBit(index >= 0);
  let literalBytes = 0;
  if (index >= 0) {
    w.writeTruncated(index, recent.size);
  } else if (isShortAscii(text)) {
    // One UTF-8 byte per character: the same bits TextEncoder would produce.
    w.writeExpGolomb(text.length, stringLengthOrder);
    for (let i = 0; i < text.length; i++) w.writeBits(text.charCodeAt(i), 8);
    literalBytes = text.length;
  } else {
    const bytes = utf8(text);
    w.writeExpGolomb(bytes.length, stringLengthOrder);
    w.writeBytes(bytes);
    literalBytes = bytes.length;
  }
  recent.use(text, index);
  return literalBytes;
}

export function readString(r: BitReader, recent: RecentStrings, bytesMax: number): string {
  let text: string;
  let index = -1;
  if (r.readBit()) {
    if (recent.size === 0) throw new CodecError("recent-string reference with an empty table");
    index = r.readTruncated(recent.size);
    text = recent.at(index);
  } else {
    const length = r.readExpGolomb(stringLengthOrder);
    if (length > bytesMax) throw new CodecError(`string of ${length} bytes exceeds ${bytesMax}`);
    text = length <= asciiFastBytesMax ? readShort(r, length) : readUtf8(r, length);
  }
  recent.use(text, index);
  return text;
}

function readUtf8(r: BitReader, length: number): string {
  const decoded = fromUtf8(r.readBytes(length));
  if (decoded === undefined) throw new CodecError("string is not valid UTF-8");
  return decoded;
}

/**
 * One short string's character codes, an array per length (the core runs to
 * completion: one read at a time). Per length, not one array cut to size:
 * setting an array's length is a runtime call (0.13 % of a fleet run).
 */
const shortCodesByLength: number[][] = [];

function shortCodesOf(length: number): number[] {
  let codes = shortCodesByLength[length];
  if (codes === undefined) {
    codes = new Array<number>(length).fill(0);
    shortCodesByLength[length] = codes;
  }
  assert(codes.length === length, "shortCodesOf: an array of another length");
  return codes;
}

/**
 * ASCII read straight off the bit stream; anything else goes through the
 * UTF-8 decoder. One flat string from the codes: `+=` per character built a
 * string per character (the mirror's replay decodes every action's args;
 * ~1.7x slower with a Map look-up after, micro-bench).
 */
function readShort(r: BitReader, length: number): string {
  if (length * 8 > r.remainingBits) return readUtf8(r, length); // throws the truncation
  assert(length <= asciiFastBytesMax, "a short string");
  const start = r.mark();
  const shortCodes = shortCodesOf(length);
  // Four characters per peek (the length is known to fit the stream).
  for (let i = 0; i < length; i += 4) {
    const take = Math.min(length - i, 4);
    const word = r.peek32();
    if ((word & highBitsOf[take]!) !== 0) {
      r.rewind(start);
      return readUtf8(r, length);
    }
    for (let j = 0; j < take; j++) shortCodes[i + j] = (word >>> (24 - 8 * j)) & 0xff;
    r.skip(8 * take);
  }
  return String.fromCharCode.apply(null, shortCodes);
}

/** The high bit of each of the first n bytes of a 32-bit word (any set: not ASCII). */
const highBitsOf = [0, 0x80000000, 0x80800000, 0x80808000, 0x80808080].map((mask) => mask | 0);

/**
 * Steps over one string exactly as readString would read it, without
 * building it (the intake validator, batch-validate.ts). Only the recent
 * table's size matters for what may follow (a reference must point inside
 * it), so the caller keeps that instead of the table; returns its new size.
 */
export function skipString(r: BitReader, recentSize: number, bytesMax: number): number {
  if (r.readBit()) {
    if (recentSize === 0) throw new CodecError("recent-string reference with an empty table");
    r.readTruncated(recentSize);
    return recentSize; // moved to the front: same size
  }
  const length = r.readExpGolomb(stringLengthOrder);
  if (length > bytesMax) throw new CodecError(`string of ${length} bytes exceeds ${bytesMax}`);
  if (length * 8 > r.remainingBits) r.readBytes(length); // throws the truncation
  const start = r.mark();
  let ascii = true;
  for (let rest = length; rest > 0 && ascii; rest -= 4) {
    const take = Math.min(rest, 4);
    // High bits of `take` bytes at once: any set means a non-ASCII byte.
    ascii = (r.peek32() & highBitsOf[take]!) === 0;
    r.skip(8 * take);
  }
  if (!ascii) {
    r.rewind(start);
    if (fromUtf8(r.readBytes(length)) === undefined) throw new CodecError("string is not valid UTF-8");
  }
  return Math.min(recentSize + 1, recentStringsMax);
}
