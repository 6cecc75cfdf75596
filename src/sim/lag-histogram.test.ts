import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { LagHistogram } from "./lag-histogram.ts";

test("sim: lag histogram: quantiles are exact below 2 s and within 0.2 % above", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 2 ** 36 }), { minLength: 1, maxLength: 200 }),
      (values) => {
        const h = new LagHistogram();
        for (const v of values) h.record(v);
        const sorted = [...values].sort((a, b) => a - b);
        for (const q of [0, 0.5, 0.99, 1]) {
          const exact = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
          const got = h.quantile(q);
          assert.ok(got <= exact, `q=${q}: ${got} > ${exact}`);
          assert.ok(exact < 2048 ? got === exact : got >= exact * 0.998, `q=${q}: ${got} vs ${exact}`);
        }
        assert.equal(h.max, sorted[sorted.length - 1]);
      },
    ),
  );
});

test("sim: lag histogram: empty histogram reports zero", () => {
  assert.equal(new LagHistogram().quantile(0.99), 0);
});

test("sim: lag histogram: merging split samples gives the same quantiles as one histogram", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 2 ** 30 }), { minLength: 1, maxLength: 200 }),
      fc.nat(),
      (values, cut) => {
        const whole = new LagHistogram();
        const left = new LagHistogram();
        const right = new LagHistogram();
        const at = cut % (values.length + 1);
        values.forEach((v, i) => {
          whole.record(v);
          (i < at ? left : right).record(v);
        });
        const merged = new LagHistogram();
        merged.merge(left.toSparse());
        merged.merge(right.toSparse());
        assert.equal(merged.count, whole.count);
        assert.equal(merged.max, whole.max);
        for (const q of [0, 0.5, 0.9, 0.99, 1]) assert.equal(merged.quantile(q), whole.quantile(q), `q=${q}`);
      },
    ),
  );
});

test("sim: lag histogram: values at powers of two, either side of 2^32, land in their own bucket", () => {
  for (let k = 11; k <= 40; k++) {
    for (const v of [2 ** k - 1, 2 ** k, 2 ** k + 1]) {
      const h = new LagHistogram();
      h.record(v);
      h.record(v); // max stays v; the quantile is the bucket's lower bound
      const low = h.quantile(0.5);
      assert.ok(low <= v && v < low + Math.max(1, low / 1024), `v=${v}: bucket starts at ${low}`);
    }
  }
});

test("sim: lag histogram: samples held before counting (over 4,096 of them, read between records) give the same buckets as one at a time", () => {
  for (const [seed, spreadMs] of [
    [1, 3_000],
    [2, 70_000],
    [3, 2 ** 31],
  ] as const) {
    let x = seed;
    const values = Array.from({ length: 10_000 }, () => {
      x = (Math.imul(x, 1_103_515_245) + 12_345) >>> 0;
      return Math.floor((x / 2 ** 32) * spreadMs);
    });
    const h = new LagHistogram();
    // Seed 1 is never read before the end (full buffers are counted twice on the way); the others are.
    const reads = new Set(seed === 1 ? [] : [0, 99, 4_095, 4_096, 7_000]);
    values.forEach((v, i) => {
      h.record(v);
      if (!reads.has(i)) return;
      // a read in the middle counts the pending samples; recording goes on after it
      assert.equal(h.count, i + 1);
      h.quantile(0.5);
    });
    // Reference: histograms of 1,000 samples each (never full before they are read), merged.
    const reference = new LagHistogram();
    for (let from = 0; from < values.length; from += 1_000) {
      const part = new LagHistogram();
      for (const v of values.slice(from, from + 1_000)) part.record(v);
      reference.merge(part.toSparse());
    }
    const got = h.toSparse();
    const want = reference.toSparse();
    assert.deepEqual(got.buckets, want.buckets, `seed=${seed}`);
    assert.deepEqual(got.counts, want.counts, `seed=${seed}`);
    assert.equal(got.maxMs, Math.max(...values));
    assert.equal(h.count, values.length);
  }
});
