// Byte helpers shared by the core (no Buffer: the core stays runtime-neutral).
import { assert } from "./assert.ts";

const hexDigits = "0123456789abcdef";
// toHex writes ASCII hex digits into bytes and decodes them in one call: a
// string built by 2 concatenations per byte cost ~4x more (a 32-byte digest
// is hexed per level key, stored blob and report line).
const hexAscii = new Uint8Array(512);
// fromHex reads a nibble per character code (-1: not a hex digit) instead of a
// regex test plus parseInt per byte (~9x slower).
const nibbleOfCode = new Int8Array(128).fill(-1);
for (let b = 0; b < 256; b++) {
  hexAscii[2 * b] = hexDigits.charCodeAt(b >> 4);
  hexAscii[2 * b + 1] = hexDigits.charCodeAt(b & 15);
}
for (let n = 0; n < 16; n++) {
  nibbleOfCode[hexDigits.charCodeAt(n)] = n;
  nibbleOfCode[hexDigits.toUpperCase().charCodeAt(n)] = n;
}
const asciiDecoder = new TextDecoder();

/** Lower-case hex, two digits per byte. */
export function toHex(bytes: Uint8Array): string {
  const digits = new Uint8Array(bytes.length * 2);
  for (let i = 0, j = 0; i < bytes.length; i++, j += 2) {
    const at = bytes[i]! * 2;
    digits[j] = hexAscii[at]!;
    digits[j + 1] = hexAscii[at + 1]!;
  }
  return asciiDecoder.decode(digits);
}

/** Hex of either case; undefined for an odd length or any other character. */
export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0, j = 0; i < out.length; i++, j += 2) {
    const high = nibbleOf(hex.charCodeAt(j));
    const low = nibbleOf(hex.charCodeAt(j + 1));
    if (high < 0 || low < 0) return undefined;
    out[i] = (high << 4) | low;
  }
  return out;
}

function nibbleOf(code: number): number {
  return code < 128 ? nibbleOfCode[code]! : -1;
}

/**
 * Whether a view covers all of its ArrayBuffer: keeping it keeps nothing
 * else alive. A subarray of a frame or a socket read would pin the whole of it.
 */
export function spansBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function concatBytes(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/**
 * Writes text's UTF-8 at the start of target, which must have room for all
 * of it; returns the bytes written. Lets a caller build a buffer with a text
 * head in one allocation: utf8() makes an ArrayBuffer of its own, off V8's
 * heap (1-5 us each with the scavenges it brings, vs ~50 ns on the heap).
 */
export function utf8Into(text: string, target: Uint8Array): number {
  const { read, written } = encoder.encodeInto(text, target);
  if (read !== text.length)
    assert(false, `utf8Into: ${text.length} chars did not fit ${target.length} bytes`);
  return written;
}

/** Decodes UTF-8; undefined when the bytes are not valid UTF-8. */
export function fromUtf8(bytes: Uint8Array): string | undefined {
  try {
    return decoder.decode(bytes);
  } catch {
    return undefined;
  }
}

/** A non-negative safe integer as 8 bytes big-endian (clock reads, wire fields). */
export function u64ToBytes(value: number): Uint8Array {
  // the message only on failure: a template literal argument would format the number on every call (clock records)
  if (!(Number.isSafeInteger(value) && value >= 0))
    assert(false, `u64 value must be a non-negative safe integer, got ${value}`);
  const out = new Uint8Array(8);
  let rest = value;
  for (let i = 7; i >= 0; i--) {
    out[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  assert(rest === 0, "u64 value fits 8 bytes");
  return out;
}

/** The inverse of u64ToBytes; undefined for another length or a value above 2^53 - 1. */
export function u64FromBytes(bytes: Uint8Array): number | undefined {
  if (bytes.length !== 8) return undefined;
  let value = 0;
  // once the true value passes 2^53 the float sum stays above it, so the check below holds
  for (const b of bytes) value = value * 256 + b;
  return Number.isSafeInteger(value) ? value : undefined;
}
