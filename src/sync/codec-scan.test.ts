import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { appNames, type UserInput, type UserInputBody } from "../platform/inputs.ts";
import { type BatchData, decodeBatch, encodeBatch } from "./batch.ts";
import { EventScan } from "./codec-scan.ts";

const bodyArb: fc.Arbitrary<UserInputBody> = fc.oneof(
  fc.record({ kind: fc.constant("tap" as const), x: fc.nat({ max: 1079 }), y: fc.nat({ max: 2399 }) }),
  fc.record({ kind: fc.constant("key" as const), code: fc.nat({ max: 300 }) }),
  fc.record({
    kind: fc.constant("action" as const),
    name: fc.constantFrom("open", "send", "x-custom"),
    args: fc.array(fc.string({ maxLength: 12 }), { maxLength: 3 }),
  }),
);

/** Consecutive windows of one phone: each starts where the previous ended. */
const windowsArb: fc.Arbitrary<BatchData[]> = fc
  .array(
    fc.record({
      gapsMs: fc.array(fc.oneof(fc.nat({ max: 4000 }), fc.nat({ max: 2 ** 31 })), { maxLength: 30 }),
      consumedGaps: fc.array(fc.oneof(fc.constant(0), fc.constant(0), fc.nat({ max: 4 })), { maxLength: 30 }),
      bodies: fc.array(bodyArb, { minLength: 30, maxLength: 30 }),
      apps: fc.array(fc.constantFrom(...appNames), { minLength: 30, maxLength: 30 }),
      tailMs: fc.integer({ min: 1, max: 60_000 }),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((windows) => {
    let seq = 1;
    let timeMs = 1_000;
    let consumed = 0;
    return windows.map((w, batchIndex) => {
      const windowStartMs = timeMs;
      const firstSeq = seq;
      const inputs: UserInput[] = w.gapsMs.map((gapMs, i) => {
        timeMs += gapMs;
        consumed += w.consumedGaps[i] ?? 0;
        return {
          seq: seq++,
          timeMs,
          networkConsumed: consumed,
          app: w.apps[i]!,
          body: { ...w.bodies[i]! },
          nondet: [],
        };
      });
      timeMs += w.tailMs;
      return {
        deviceId: "phone-1",
        batchNo: batchIndex + 1,
        firstSeq,
        windowStartMs,
        windowEndMs: timeMs,
        inputs,
        networkConsumed: consumed,
        storageDigest: new Uint8Array(32).fill(batchIndex),
        powerOff: false,
      };
    });
  });

test("codec-scan: a scan fed per input and reset per window encodes the same bytes as scanning at encode time, and they decode to the inputs", () => {
  fc.assert(
    fc.property(windowsArb, (batches) => {
      const scan = new EventScan();
      for (const batch of batches) {
        for (const input of batch.inputs) scan.add(input);
        const fed = encodeBatch(batch, { scan });
        const plain = encodeBatch(batch);
        scan.reset();
        assert.deepEqual(fed.eventsPacked, plain.eventsPacked);
        assert.equal(fed.codec, plain.codec);
        const decoded = decodeBatch(fed);
        assert.ok(decoded.ok, decoded.ok ? "" : decoded.error.message);
        assert.deepEqual(decoded.value.inputs, batch.inputs);
      }
    }),
    { numRuns: 150, seed: 41 },
  );
});

test("codec-scan: ranges and networkConsumed steps are those of the fed inputs", () => {
  const scan = new EventScan();
  const input = (seq: number, timeMs: number, networkConsumed: number, body: UserInputBody): UserInput => ({
    seq,
    timeMs,
    networkConsumed,
    app: appNames[0]!,
    body,
    nondet: [],
  });
  scan.add(input(5, 100, 2, { kind: "tap", x: 7, y: 30 }));
  scan.add(input(6, 150, 2, { kind: "key", code: 12 }));
  scan.add(input(7, 150, 5, { kind: "tap", x: 3, y: 41 }));
  scan.add(input(8, 400, 6, { kind: "action", name: "open", args: [] }));
  assert.deepEqual([scan.xRange, scan.yRange, scan.keyRange], [8, 42, 13]);
  assert.equal(scan.stepCount, 2);
  assert.deepEqual(
    [scan.stepPosition(0), scan.stepSize(0), scan.stepPosition(1), scan.stepSize(1)],
    [2, 3, 3, 1],
  );
  assert.deepEqual([...scan.deltasFrom(60)], [40, 50, 0, 250]);
  scan.reset();
  assert.deepEqual([scan.count, scan.stepCount, scan.xRange], [0, 0, 0]);
});

test("codec-scan: inputs out of order or with a seq gap are refused as bugs", () => {
  const scan = new EventScan();
  const tap: UserInputBody = { kind: "tap", x: 1, y: 1 };
  scan.add({ seq: 1, timeMs: 10, networkConsumed: 0, app: appNames[0]!, body: tap, nondet: [] });
  assert.throws(
    () => scan.add({ seq: 2, timeMs: 9, networkConsumed: 0, app: appNames[0]!, body: tap, nondet: [] }),
    /time-ordered/,
  );
  assert.throws(
    () => scan.add({ seq: 3, timeMs: 11, networkConsumed: 0, app: appNames[0]!, body: tap, nondet: [] }),
    /contiguous/,
  );
  assert.throws(() => scan.deltasFrom(11), /time-ordered/);
});
