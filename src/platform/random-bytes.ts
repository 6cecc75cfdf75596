// Random bytes from the Rng port, 32-bit words drawn as a block: payloads and
// camera frames of megabytes are drawn often enough in simulation to matter.
import { assert } from "../core/assert.ts";
import { slabBytes } from "../core/byte-slab.ts";
import type { Rng } from "../core/ports.ts";

const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/** Random bytes a 32-bit word at a time (little-endian, so the same on every machine). */
export function randomBytes(rng: Rng, size: number): Uint8Array {
  if (!(Number.isSafeInteger(size) && size >= 0)) assert(false, `randomBytes: bad size ${size}`);
  // small ones are slab views (8-byte aligned, so the word view fits)
  const out = slabBytes(size);
  const whole = size - (size % 4);
  if (littleEndian) {
    // Host order is little-endian: whole words through a word view (same bytes
    // as DataView's LE writes), drawn as one block (the port's fillWords).
    rng.fillWords(new Uint32Array(out.buffer, out.byteOffset, whole / 4));
  } else {
    const view = new DataView(out.buffer, out.byteOffset, size);
    for (let offset = 0; offset < whole; offset += 4) view.setUint32(offset, rng.nextU32(), true);
  }
  for (let offset = whole; offset < size; offset++) out[offset] = rng.nextU32() & 255;
  assert(out.length === size, "randomBytes: length");
  return out;
}
