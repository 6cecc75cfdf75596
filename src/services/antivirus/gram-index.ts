// The prefilter of the body matcher (paper §5.2 at fleet scale): every
// signature is anchored on 4 exact bytes; one pass over an object rolls a
// 32-bit gram, tests a bitmap sized to the signature count (so it stays in
// cache and false hits stay near 3 %), and only on a hit probes an
// open-addressing table for the signatures anchored on that gram. Plain typed
// arrays, so the index serializes into the compiled-database cache.
import { assert } from "../../core/assert.ts";

export interface GramIndexArrays {
  bitmapBits: number;
  bitmap: Uint32Array;
  slotBits: number;
  slotKeys: Int32Array;
  slotStart: Int32Array;
  slotCount: Int32Array;
  /** Signature ids grouped by gram; a slot names a range of it. */
  entries: Int32Array;
}

const bitmapMultiplier = 0x9e3779b1;
const slotMultiplier = 0x85ebca6b;

function log2Ceil(n: number): number {
  let bits = 0;
  while (1 << bits < n) bits++;
  return bits;
}

export function buildGramIndex(grams: Int32Array, ids: Int32Array): GramIndexArrays {
  assert(grams.length === ids.length, "one gram per id");
  const order = Array.from(grams.keys()).sort((a, b) => grams[a]! - grams[b]! || a - b);
  const bitmapBits = Math.min(26, Math.max(16, log2Ceil(grams.length * 32)));
  const slotBits = Math.max(4, log2Ceil(grams.length * 2 + 1));
  const bitmap = new Uint32Array((1 << bitmapBits) >>> 5);
  const slotKeys = new Int32Array(1 << slotBits);
  const slotStart = new Int32Array(1 << slotBits).fill(-1);
  const slotCount = new Int32Array(1 << slotBits);
  const entries = new Int32Array(grams.length);
  for (let k = 0; k < order.length; k++) {
    const gram = grams[order[k]!]!;
    entries[k] = ids[order[k]!]!;
    const b = Math.imul(gram, bitmapMultiplier) >>> (32 - bitmapBits);
    bitmap[b >>> 5]! |= 1 << (b & 31);
    let slot = Math.imul(gram, slotMultiplier) >>> (32 - slotBits);
    while (slotStart[slot] !== -1 && slotKeys[slot] !== gram) slot = (slot + 1) & ((1 << slotBits) - 1);
    if (slotStart[slot] === -1) {
      slotKeys[slot] = gram;
      slotStart[slot] = k;
    }
    slotCount[slot]!++;
  }
  return { bitmapBits, bitmap, slotBits, slotKeys, slotStart, slotCount, entries };
}

/** Reads 4 bytes as the gram the scanner rolls (big-endian, signed 32-bit). */
export function gramAt(bytes: Uint8Array, at: number): number {
  return (bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!;
}

/**
 * Calls onHit(id, anchorStart) for every anchored signature whose 4-byte
 * anchor occurs in data, in ascending anchorStart order.
 */
export function scanGrams(
  index: GramIndexArrays,
  data: Uint8Array,
  onHit: (id: number, anchorStart: number) => void,
): void {
  const { bitmap, slotKeys, slotStart, slotCount, entries } = index;
  const bitmapShift = 32 - index.bitmapBits;
  const slotShift = 32 - index.slotBits;
  const slotMask = (1 << index.slotBits) - 1;
  assert(bitmap.length << 5 === 1 << index.bitmapBits, "bitmap size");
  let gram = 0;
  for (let i = 0; i < data.length; i++) {
    gram = (gram << 8) | data[i]!;
    const b = Math.imul(gram, bitmapMultiplier) >>> bitmapShift;
    if ((bitmap[b >>> 5]! & (1 << (b & 31))) === 0 || i < 3) continue;
    let slot = Math.imul(gram, slotMultiplier) >>> slotShift;
    while (slotStart[slot] !== -1 && slotKeys[slot] !== gram) slot = (slot + 1) & slotMask;
    const start = slotStart[slot]!;
    if (start === -1) continue;
    const end = start + slotCount[slot]!;
    for (let k = start; k < end; k++) onHit(entries[k]!, i - 3);
  }
}
