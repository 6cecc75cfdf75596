import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BitWriter } from "./bits.ts";
import { chooseTimeOrder, timeOrderMax, writeRice } from "./codec-time.ts";

/** Bits writeRice spends on every delta at order k: the cost chooseTimeOrder minimizes. */
function writtenBits(deltas: readonly number[], k: number): number {
  const w = new BitWriter(1);
  for (const d of deltas) writeRice(w, d, k);
  return w.lengthBits;
}

const delta = fc.oneof(
  fc.nat({ max: 40 }),
  fc.nat({ max: 20_000 }),
  fc.nat({ max: 2 ** 31 + 5 }),
  fc.nat({ max: 2 ** 40 }),
);

test("codec-time: the chosen order is the smallest k whose Rice code of the deltas is shortest (seed=10)", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.array(delta, { minLength: 1, maxLength: 60 }),
        fc.array(fc.nat({ max: 5000 }), { minLength: 1000, maxLength: 1100 }),
      ),
      (deltas) => {
        const costs = Array.from({ length: timeOrderMax + 1 }, (_, k) => writtenBits(deltas, k));
        const best = costs.indexOf(Math.min(...costs));
        assert.equal(chooseTimeOrder(Float64Array.from(deltas)), best, `costs ${costs.join(",")}`);
      },
    ),
    { numRuns: 300, seed: 10 },
  );
});
