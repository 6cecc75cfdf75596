// Byte helpers shared by the core (no Buffer: the core stays runtime-neutral).
import { assert } from "./assert.ts";

const hexDigits = "0123456789abcdef";

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += hexDigits[b >> 4]! + hexDigits[b & 15]!;
  return out;
}

export function fromHex(hex: string): Uint8Array | undefined {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return undefined;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
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
  assert(
    Number.isSafeInteger(value) && value >= 0,
    `u64 value must be a non-negative safe integer, got ${value}`,
  );
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
