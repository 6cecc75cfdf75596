import assert from "node:assert/strict";
import { test } from "node:test";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { FrameSchema, SyncBatchSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { ackFrame, decodeFrame, encodeFrame } from "../sync/frame.ts";
import { batchMessageView } from "../sync/frame-batch-wire.ts";

const batchArb = fc.record({
  deviceId: fc.string({ maxLength: 20 }),
  firstSeq: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  windowStartMs: fc.bigInt({ min: 0n, max: 2n ** 53n }),
  codec: fc.integer({ min: 0, max: 2 }),
  eventsPacked: fc.uint8Array({ maxLength: 300 }),
  networkConsumed: fc.bigInt({ min: 0n, max: 2n ** 40n }),
  storageDigest: fc.uint8Array({ minLength: 32, maxLength: 32 }),
});

test("live: frame codec (core batchMessageView): a batch frame's SyncBatch bytes are sliced exactly as the batch encodes (fast-check)", () => {
  fc.assert(
    fc.property(batchArb, fc.integer({ min: 0, max: 3 }), (fields, version) => {
      const batch = create(SyncBatchSchema, fields);
      const frame = toBinary(
        FrameSchema,
        create(FrameSchema, { version, body: { case: "batch", value: batch } }),
      );
      const sliced = batchMessageView(frame);
      assert.ok(sliced !== undefined);
      assert.deepEqual(sliced, toBinary(SyncBatchSchema, batch));
    }),
    { numRuns: 300 },
  );
});

test("live: frame codec: random bytes never throw; a slice always decodes to the frame's own batch (fast-check)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
      const sliced = batchMessageView(bytes);
      if (sliced === undefined) return;
      const decoded = decodeFrame(bytes);
      if (!decoded.ok) return; // the decoder refuses it anyway
      assert.equal(decoded.value.body.case, "batch");
      assert.deepEqual(fromBinary(SyncBatchSchema, sliced), decoded.value.body.value);
    }),
    { numRuns: 2000 },
  );
});

test("live: frame codec: non-batch frames, two batch fields and truncated frames give no slice", () => {
  assert.equal(batchMessageView(encodeFrame(ackFrame("p1", 5))), undefined);
  const batch = toBinary(
    FrameSchema,
    create(FrameSchema, {
      version: 1,
      body: { case: "batch", value: create(SyncBatchSchema, { firstSeq: 3n }) },
    }),
  );
  const twice = new Uint8Array([...batch, ...batch.subarray(2)]); // version, batch, batch: protobuf merges
  assert.equal(batchMessageView(twice), undefined);
  assert.equal(batchMessageView(batch.subarray(0, batch.length - 1)), undefined);
  assert.equal(batchMessageView(new Uint8Array(0)), undefined);
});
