import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { FrameSchema, RepairResponseSchema, SyncBatchSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { encodeBatch } from "./batch.ts";
import {
  ackedNumberOf,
  ackFrame,
  ackFrameBytes,
  batchFrame,
  decodeFrame,
  encodeFrame,
  noticeAckFrame,
  PROTOCOL_VERSION,
  repairResponseFrame,
  syncBatchFromBinary,
  syncBatchToBinary,
} from "./frame.ts";
import {
  batchMessageView,
  decodeAckFrame,
  decodeBatchFrame,
  decodeSyncBatch,
  encodeAck,
  encodeAckFrame,
  encodeAckNumber,
  encodeBatchFrame,
  encodeSyncBatch,
  looksLikeBatchFrame,
} from "./frame-batch-wire.ts";

const isAscii = (text: string) => [...text].every((c) => c.charCodeAt(0) < 0x80);

const u64 = fc.oneof(
  fc.constant(0n),
  fc.bigInt({ min: 0n, max: 2n ** 20n }),
  fc.bigInt({ min: 0n, max: 2n ** 53n }),
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
);

const batchArb = fc.record({
  deviceId: fc.oneof(
    fc.constant(""),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: "binary", maxLength: 8 }),
  ),
  firstSeq: u64,
  lastSeq: u64,
  windowStartMs: u64,
  windowEndMs: u64,
  codec: fc.oneof(fc.constantFrom(0, 1, 2), fc.nat({ max: 2 ** 31 - 1 })),
  eventsPacked: fc.uint8Array({ maxLength: 300 }),
  networkConsumed: u64,
  storageDigest: fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: 32, maxLength: 32 })),
  verbose: fc.boolean(),
});

const frameArb = fc
  .record({ version: fc.oneof(fc.constant(1), fc.nat()), batch: batchArb })
  .map(({ version, batch }) => {
    const { verbose, ...fields } = batch;
    const value = create(SyncBatchSchema, {
      ...fields,
      events: verbose ? [{ seq: 1n, app: 2, kind: { case: "key", value: { code: 65 } } }] : [],
    });
    return create(FrameSchema, { version, body: { case: "batch", value } });
  });

test("frame wire: the hand-written batch frame encoder writes exactly protobuf-es toBinary's bytes", () => {
  fc.assert(
    fc.property(frameArb, (frame) => {
      const fast = encodeBatchFrame(frame);
      const reference = toBinary(FrameSchema, frame);
      if (fast !== undefined) assert.deepEqual(fast, reference);
      const body = frame.body.case === "batch" ? frame.body.value : undefined;
      // The frames a phone sends (ASCII id, no verbose events) always take the fast path.
      if (body !== undefined && body.events.length === 0 && isAscii(body.deviceId)) {
        assert.ok(fast !== undefined);
      }
    }),
    { numRuns: 1000 },
  );
});

test("frame wire: the hand-written decoder yields exactly fromBinary's frame, or leaves it to protobuf-es", () => {
  fc.assert(
    fc.property(frameArb, (frame) => {
      const bytes = toBinary(FrameSchema, frame);
      const fast = decodeBatchFrame(bytes);
      if (fast !== undefined) assert.deepEqual(fast, fromBinary(FrameSchema, bytes));
      const b = frame.body.case === "batch" ? frame.body.value : undefined;
      const small = b && [b.firstSeq, b.lastSeq, b.windowStartMs, b.windowEndMs, b.networkConsumed];
      if (b && b.events.length === 0 && isAscii(b.deviceId) && small!.every((v) => v < 2n ** 49n)) {
        assert.ok(fast !== undefined, "a canonical batch frame takes the fast path");
      }
    }),
    { numRuns: 1000 },
  );
});

function referenceOrError(bytes: Uint8Array) {
  try {
    return fromBinary(FrameSchema, bytes);
  } catch {
    return "error";
  }
}

test("frame wire: mutated, truncated and random bytes decode as protobuf-es decodes them, or fall back", () => {
  const mutated = fc
    .tuple(frameArb, fc.nat(), fc.nat({ max: 255 }), fc.nat())
    .map(([frame, at, byte, cut]) => {
      const bytes = toBinary(FrameSchema, frame).slice();
      if (bytes.length > 0) bytes[at % bytes.length] = byte;
      return bytes.subarray(0, bytes.length - (cut % 3));
    });
  fc.assert(
    fc.property(fc.oneof(mutated, fc.uint8Array({ maxLength: 80 })), (bytes) => {
      const fast = decodeBatchFrame(bytes);
      if (fast !== undefined) assert.deepEqual(fast, referenceOrError(bytes));
    }),
    { numRuns: 3000 },
  );
});

test("frame wire: a typical batch frame takes the fast path both ways", () => {
  const frame = create(FrameSchema, {
    version: 1,
    body: {
      case: "batch",
      value: create(SyncBatchSchema, {
        firstSeq: 31n,
        windowStartMs: 60_000n,
        codec: 1,
        eventsPacked: Uint8Array.of(1, 2, 3),
        networkConsumed: 2n,
        storageDigest: new Uint8Array(32).fill(7),
      }),
    },
  });
  const bytes = encodeBatchFrame(frame);
  assert.ok(bytes !== undefined);
  assert.deepEqual(decodeBatchFrame(bytes), fromBinary(FrameSchema, bytes));
  assert.equal(encodeBatchFrame(create(FrameSchema, { version: 1 })), undefined);
});

test("frame wire: stored batch bytes (SyncBatch alone) match protobuf-es both ways, with a fallback", () => {
  fc.assert(
    fc.property(frameArb, fc.nat(), fc.nat({ max: 255 }), (frame, at, byte) => {
      assert.ok(frame.body.case === "batch");
      const batch = frame.body.value;
      const reference = toBinary(SyncBatchSchema, batch);
      const fast = encodeSyncBatch(batch);
      if (fast !== undefined) assert.deepEqual(fast, reference);
      assert.deepEqual(syncBatchToBinary(batch), reference);
      assert.deepEqual(syncBatchFromBinary(reference), fromBinary(SyncBatchSchema, reference));
      const decoded = decodeSyncBatch(reference);
      if (batch.events.length === 0 && isAscii(batch.deviceId) && batch.firstSeq < 2n ** 49n) {
        assert.ok(fast !== undefined, "a phone's batch takes the fast encoder");
      }
      if (decoded !== undefined) assert.deepEqual(decoded, fromBinary(SyncBatchSchema, reference));
      const mutated = reference.slice();
      if (mutated.length > 0) mutated[at % mutated.length] = byte;
      const fastMutated = decodeSyncBatch(mutated);
      if (fastMutated !== undefined) {
        assert.deepEqual(fastMutated, fromBinary(SyncBatchSchema, mutated));
      }
    }),
    { numRuns: 1000 },
  );
});

test("frame wire: the batch bytes a server stores as received are the SyncBatch protobuf-es writes, and decode to the frame's batch", () => {
  fc.assert(
    fc.property(frameArb, fc.nat(), fc.nat({ max: 255 }), (frame, at, byte) => {
      assert.ok(frame.body.case === "batch");
      const bytes = toBinary(FrameSchema, frame);
      const view = batchMessageView(bytes);
      assert.ok(view !== undefined, "every frame protobuf-es writes with a batch has the canonical shape");
      assert.deepEqual(view, toBinary(SyncBatchSchema, frame.body.value));
      const mutated = bytes.slice();
      mutated[at % mutated.length] = byte;
      const decoded = referenceOrError(mutated);
      const mutatedView = batchMessageView(mutated);
      if (mutatedView !== undefined && decoded !== "error" && decoded.body.case === "batch") {
        assert.deepEqual(fromBinary(SyncBatchSchema, mutatedView), decoded.body.value);
      }
    }),
    { numRuns: 1000, seed: 45 },
  );
  assert.equal(batchMessageView(encodeFrame(noticeAckFrame([1n]))), undefined);
  assert.equal(batchMessageView(new Uint8Array(0)), undefined);
});

test("frame wire: a batch frame is told from other frames without decoding (the simulator commits pending appends before the others)", () => {
  const batch = encodeBatch({
    ...{ deviceId: "phone-0", batchNo: 3, firstSeq: 40, windowStartMs: 0, windowEndMs: 60_000, inputs: [] },
    ...{ networkConsumed: 2, storageDigest: new Uint8Array(32), powerOff: false },
  });
  assert.ok(looksLikeBatchFrame(encodeFrame(batchFrame(batch)), PROTOCOL_VERSION));
  const repair = repairResponseFrame(
    create(RepairResponseSchema, { afterSeq: 40n, entries: [], storageDigest: new Uint8Array(32) }),
  );
  assert.ok(!looksLikeBatchFrame(encodeFrame(repair), PROTOCOL_VERSION));
  assert.ok(!looksLikeBatchFrame(encodeFrame(noticeAckFrame([1n])), PROTOCOL_VERSION));
  assert.ok(!looksLikeBatchFrame(new Uint8Array(0), PROTOCOL_VERSION));
});

const ackFrameArb = fc
  .record({
    version: fc.oneof(fc.constant(1), fc.nat()),
    deviceId: fc.oneof(
      fc.constant(""),
      fc.string({ maxLength: 20 }),
      fc.string({ unit: "binary", maxLength: 8 }),
    ),
    ackedSeq: u64,
  })
  .map(({ version, deviceId, ackedSeq }) =>
    create(FrameSchema, { version, body: { case: "ack", value: { deviceId, ackedSeq } } }),
  );

test("frame wire: the hand-written ack frame encoder writes exactly protobuf-es toBinary's bytes", () => {
  fc.assert(
    fc.property(ackFrameArb, (frame) => {
      const fast = encodeAckFrame(frame);
      if (frame.version === PROTOCOL_VERSION)
        assert.deepEqual(encodeFrame(frame), toBinary(FrameSchema, frame));
      const ack = frame.body.case === "ack" ? frame.body.value : undefined;
      assert.ok(ack !== undefined);
      // Every ack a server sends (ASCII device id) takes the fast path.
      if (isAscii(ack.deviceId)) assert.ok(fast !== undefined);
      if (fast !== undefined) assert.deepEqual(fast, toBinary(FrameSchema, frame));
    }),
    { numRuns: 1000, seed: 43 },
  );
});

test("frame wire: the hand-written ack decoder yields exactly fromBinary's frame, or leaves it to protobuf-es", () => {
  fc.assert(
    fc.property(ackFrameArb, fc.uint8Array({ maxLength: 4 }), fc.nat({ max: 40 }), (frame, noise, cut) => {
      const bytes = toBinary(FrameSchema, frame);
      const fast = decodeAckFrame(bytes);
      const ack = frame.body.case === "ack" ? frame.body.value : undefined;
      if (ack !== undefined && isAscii(ack.deviceId) && ack.ackedSeq < 2n ** 49n)
        assert.ok(fast !== undefined);
      if (fast !== undefined) assert.deepEqual(fast, fromBinary(FrameSchema, bytes));
      // Damaged or extended bytes: the fast path yields fromBinary's frame or nothing.
      for (const damaged of [bytes.subarray(0, cut), new Uint8Array([...bytes, ...noise])]) {
        const quick = decodeAckFrame(damaged);
        if (quick === undefined) continue;
        assert.deepEqual(quick, fromBinary(FrameSchema, damaged));
      }
    }),
    { numRuns: 1000, seed: 44 },
  );
});

test("frame wire: a batch frame is not an ack frame and an ack frame is not a batch frame", () => {
  const ack = create(FrameSchema, {
    version: 1,
    body: { case: "ack", value: { deviceId: "p-1", ackedSeq: 7n } },
  });
  const bytes = encodeFrame(ack);
  assert.equal(decodeBatchFrame(bytes), undefined);
  assert.equal(encodeBatchFrame(ack), undefined);
  assert.equal(encodeAckFrame(create(FrameSchema, { version: 1 })), undefined);
  assert.deepEqual(decodeAckFrame(bytes), fromBinary(FrameSchema, bytes));
});

test("frame wire: ackFrameBytes is byte-identical to encodeFrame(ackFrame) and decodes to its fields (fast-check)", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.string({ maxLength: 70 }), fc.string({ unit: "grapheme", maxLength: 20 }), fc.constant("")),
      fc.oneof(fc.nat(300), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.constant(0)),
      (deviceId, ackedBatchNo) => {
        const bytes = ackFrameBytes(deviceId, ackedBatchNo);
        assert.deepEqual(bytes, encodeFrame(ackFrame(deviceId, ackedBatchNo)));
        const decoded = decodeFrame(bytes);
        assert.ok(decoded.ok && decoded.value.body.case === "ack");
        assert.equal(decoded.value.body.value.deviceId, deviceId);
        assert.equal(decoded.value.body.value.ackedSeq, BigInt(ackedBatchNo));
      },
    ),
    { numRuns: 1000 },
  );
});

/** What SyncClient.receive did with an ack before ackedNumberOf: decodeFrame, then Number(ackedSeq); -1 for no ack. */
function ackedBySlowPath(bytes: Uint8Array): number {
  const decoded = decodeFrame(bytes);
  return decoded.ok && decoded.value.body.case === "ack" ? Number(decoded.value.body.value.ackedSeq) : -1;
}

test("frame wire: ackedNumberOf gives decodeFrame's acked number for every frame it takes, and takes every ack the server sends (seed=45)", () => {
  fc.assert(
    fc.property(
      ackFrameArb,
      frameArb,
      fc.uint8Array({ maxLength: 4 }),
      fc.nat({ max: 40 }),
      fc.nat({ max: 255 }),
      (ack, other, noise, cut, flip) => {
        const bytes = toBinary(FrameSchema, ack);
        const value = ack.body.case === "ack" ? ack.body.value : undefined;
        assert.ok(value !== undefined);
        const fast = ackedNumberOf(bytes);
        if (ack.version === PROTOCOL_VERSION && isAscii(value.deviceId) && value.ackedSeq < 2n ** 49n)
          assert.equal(fast, Number(value.ackedSeq), "a canonical ack takes the fast path");
        const flipped = bytes.slice();
        if (flipped.length > 0) flipped[cut % flipped.length] = flipped[cut % flipped.length]! ^ flip;
        const variants = [bytes, bytes.subarray(0, cut), new Uint8Array([...bytes, ...noise]), flipped];
        for (const variant of [...variants, toBinary(FrameSchema, other)]) {
          const quick = ackedNumberOf(variant);
          if (quick >= 0) assert.equal(quick, ackedBySlowPath(variant));
        }
      },
    ),
    { numRuns: 1000, seed: 45 },
  );
});

test("frame wire: encodeAckNumber writes encodeAck's bytes for the same number (seed=46)", () => {
  fc.assert(
    fc.property(
      fc.oneof(fc.constant(1), fc.constant(0), fc.nat()),
      fc.oneof(fc.constant(""), fc.string({ maxLength: 20 }), fc.string({ unit: "binary", maxLength: 8 })),
      fc.oneof(fc.constant(0), fc.nat(300), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
      (version, deviceId, acked) => {
        assert.deepEqual(
          encodeAckNumber(version, deviceId, acked),
          encodeAck(version, deviceId, BigInt(acked)),
        );
      },
    ),
    { numRuns: 1000, seed: 46 },
  );
});
