// Random bytes from the Rng port, a 32-bit word at a time: payloads and
// camera frames of megabytes are drawn often enough in simulation to matter.
import { assert } from "../core/assert.ts";
import type { Rng } from "../core/ports.ts";

/** Random bytes a 32-bit word at a time (little-endian, so the same on every machine). */
export function randomBytes(rng: Rng, size: number): Uint8Array {
  if (!(Number.isSafeInteger(size) && size >= 0)) assert(false, `randomBytes: bad size ${size}`);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  const whole = size - (size % 4);
  for (let offset = 0; offset < whole; offset += 4) view.setUint32(offset, rng.nextU32(), true);
  for (let offset = whole; offset < size; offset++) out[offset] = rng.nextU32() & 255;
  assert(out.length === size, "randomBytes: length");
  return out;
}
