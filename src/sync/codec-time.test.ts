import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BitWriter } from "./bits.ts";
import { chooseTimeOrder, riceCostBoundOf, timeOrderMax, writeRice } from "./codec-time.ts";

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

/** Deltas below 2^31 (the pruned search): near-exponential typing, long pauses, zeros and runs of one size. */
const int32Deltas = fc.oneof(
  fc.array(fc.oneof(fc.nat({ max: 40 }), fc.nat({ max: 5_000 }), fc.nat({ max: 2 ** 31 - 1 })), {
    minLength: 1,
    maxLength: 60,
  }),
  fc.array(
    fc.integer({ min: 0, max: 2 ** 31 - 1 }).map((v) => v >>> (v & 31)),
    { minLength: 1, maxLength: 200 },
  ),
  fc.array(fc.nat({ max: 20_000 }), { minLength: 900, maxLength: 1024 }),
  fc.tuple(fc.nat({ max: 2 ** 31 - 1 }), fc.integer({ min: 1, max: 80 })).map(([v, n]) => Array(n).fill(v)),
);

test("codec-time: the bit-length bound never exceeds what writeRice writes, at any order (seed=12)", () => {
  fc.assert(
    fc.property(int32Deltas, fc.integer({ min: 0, max: timeOrderMax }), (deltas, k) => {
      const bound = riceCostBoundOf(deltas, k);
      assert.ok(bound <= writtenBits(deltas, k), `bound ${bound} at k=${k}`);
    }),
    { numRuns: 500, seed: 12 },
  );
});

test("codec-time: with int32 deltas the pruned search picks the exhaustive search's order (seed=11)", () => {
  fc.assert(
    fc.property(int32Deltas, (deltas) => {
      const costs = Array.from({ length: timeOrderMax + 1 }, (_, k) => writtenBits(deltas, k));
      const best = costs.indexOf(Math.min(...costs));
      assert.equal(chooseTimeOrder(Float64Array.from(deltas)), best, `costs ${costs.join(",")}`);
    }),
    { numRuns: 400, seed: 11 },
  );
});
