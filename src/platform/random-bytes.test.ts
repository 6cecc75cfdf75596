import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { SeededRng } from "../core/rng.ts";
import { randomBytes } from "./random-bytes.ts";

// The payload bytes feed golden digests and the determinism checks: a block
// draw must give exactly the bytes of one nextU32 per word (little-endian)
// and one per tail byte (its low byte).
test("randomBytes: one nextU32 per little-endian word and one per tail byte, stream left in step (property)", () => {
  fc.assert(
    fc.property(fc.nat(), fc.nat({ max: 1100 }), (seed, size) => {
      const words = new SeededRng(seed);
      const expected = new Uint8Array(size);
      const view = new DataView(expected.buffer);
      const whole = size - (size % 4);
      for (let i = 0; i < whole; i += 4) view.setUint32(i, words.nextU32(), true);
      for (let j = whole; j < size; j++) expected[j] = words.nextU32() & 255;
      const rng = new SeededRng(seed);
      assert.deepEqual(randomBytes(rng, size), expected, `seed=${seed} size=${size}`);
      assert.equal(rng.nextU32(), words.nextU32(), `seed=${seed}: stream after randomBytes`);
    }),
  );
});
