import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BitReader, BitWriter } from "./bits.ts";

type Op = { kind: "bits"; value: number; count: number } | { kind: "bytes"; data: Uint8Array };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: 1, max: 32 }).chain((count) =>
    fc.record({
      kind: fc.constant("bits" as const),
      value: fc.integer({ min: 0, max: 2 ** count - 1 }),
      count: fc.constant(count),
    }),
  ),
  fc.record({ kind: fc.constant("bytes" as const), data: fc.uint8Array({ maxLength: 40 }) }),
);

test("bits: byte runs at any bit offset read back exactly, between fields of any width", () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const w = new BitWriter(1);
      for (const o of ops) {
        if (o.kind === "bits") w.writeBits(o.value, o.count);
        else w.writeBytes(o.data);
      }
      const r = new BitReader(w.finish());
      for (const o of ops) {
        if (o.kind === "bits") assert.equal(r.readBits(o.count), o.value);
        else assert.deepEqual(r.readBytes(o.data.length), o.data);
      }
      assert.ok(r.atPaddedEnd());
    }),
    { numRuns: 500 },
  );
});

test("bits: an unaligned byte run that runs past the end is a truncation, not garbage", () => {
  const w = new BitWriter();
  w.writeBits(1, 3);
  w.writeBytes(Uint8Array.of(1, 2, 3));
  const bytes = w.finish();
  const r = new BitReader(bytes.subarray(0, 3));
  r.readBits(3);
  assert.throws(() => r.readBytes(3), /truncated/);
});
