// Whether a packed batch is worth a DEFLATE try (DESIGN.md "Sync protocol":
// compression where it pays). One try costs ~50 us of tables, the encoding of
// ~100 events, and it only ever wins on repeated runs of bytes: bit-packed
// symbols, random records and photos do not repeat, and repeated text only
// matches where it lands at the same bit offset. So the gate counts the bytes
// a greedy 4-byte-match pass would cover, on batches that are text-heavy
// enough for that to be possible. On the paper workload it passes exactly
// the batches DEFLATE shrinks.
import { assert } from "../core/assert.ts";

const textBytesMin = 64;
const textShareMin = 1 / 4;
/** Covered bytes below this never paid for DEFLATE's block header and literal cost. */
const coveredBytesMin = 20;
const matchBytesMin = 4;
const hashBits = 10;
/** Last position of each 4-byte hash; reused, the core runs to completion. */
const lastSeen = new Int32Array(1 << hashBits);

export function worthDeflating(packed: Uint8Array, textBytes: number): boolean {
  assert(textBytes >= 0 && textBytes <= packed.length, "text is part of the packed bytes");
  if (textBytes < textBytesMin || textBytes < packed.length * textShareMin) return false;
  return coveredByRepeats(packed) >= coveredBytesMin;
}

/** Bytes a greedy pass covers with earlier 4-byte-or-longer matches (candidates by hash). */
export function coveredByRepeats(bytes: Uint8Array): number {
  lastSeen.fill(-1);
  let covered = 0;
  let i = 0;
  while (i + matchBytesMin <= bytes.length) {
    const word = (bytes[i]! << 24) | (bytes[i + 1]! << 16) | (bytes[i + 2]! << 8) | bytes[i + 3]!;
    const slot = Math.imul(word, 0x9e3779b1) >>> (32 - hashBits);
    const j = lastSeen[slot]!;
    lastSeen[slot] = i;
    let length = 0;
    if (j >= 0) while (i + length < bytes.length && bytes[j + length] === bytes[i + length]) length++;
    if (length >= matchBytesMin) {
      covered += length;
      i += length;
    } else {
      i++;
    }
  }
  assert(covered <= bytes.length, "covered bytes lie in the batch");
  return covered;
}
