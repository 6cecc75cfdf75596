import assert from "node:assert/strict";
import { test } from "node:test";
import { create, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { batchArbitrary } from "../../test/support/batch-arbitrary.ts";
import { isMirrorcellError } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { SyncBatchSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { appNames, type NondetRecord, type UserInput, type UserInputBody } from "../platform/inputs.ts";
import { actionDictionary } from "./action-dictionary.ts";
import { type BatchData, decodeBatch, encodeBatch, readBatchHeader, unpackBatch } from "./batch.ts";
import { BitReader, BitWriter } from "./bits.ts";
import { EventCursor } from "./codec-events.ts";
import { batchFrame, decodeFrame, encodeFrame, PROTOCOL_VERSION } from "./frame.ts";

const bodyArb: fc.Arbitrary<UserInputBody> = fc.oneof(
  fc.record({ kind: fc.constant("tap" as const), x: fc.nat({ max: 4000 }), y: fc.nat({ max: 5000 }) }),
  fc.record({ kind: fc.constant("key" as const), code: fc.nat({ max: 70000 }) }),
  fc.record({
    kind: fc.constant("action" as const),
    name: fc.oneof(fc.constantFrom(...actionDictionary), fc.string({ minLength: 1, maxLength: 20 })),
    args: fc.array(fc.oneof(fc.constantFrom("peer=a", "to=b"), fc.string({ maxLength: 30 })), {
      maxLength: 5,
    }),
  }),
);

const clockRecord = fc.nat({ max: 2 ** 40 }).map((ms): NondetRecord => {
  const value = new Uint8Array(8);
  let rest = ms;
  for (let i = 7; i >= 0; i--) {
    value[i] = rest % 256;
    rest = Math.floor(rest / 256);
  }
  return { kind: "clock", value };
});

const nondetArb: fc.Arbitrary<NondetRecord[]> = fc.array(
  fc.oneof(
    clockRecord,
    fc
      .record({
        kind: fc.constantFrom("clock" as const, "random" as const, "sensor" as const, "camera" as const),
        value: fc.uint8Array({ maxLength: 40 }),
      })
      .map((record) => ({ ...record })),
  ),
  { maxLength: 3 },
);

const eventArb = fc
  .record({
    gapMs: fc.oneof(fc.nat({ max: 5000 }), fc.nat({ max: 2 ** 31 })),
    consumedGap: fc.oneof(fc.constant(0), fc.nat({ max: 5 })),
    app: fc.constantFrom(...appNames),
    body: bodyArb.map((body) => ({ ...body }) as UserInputBody),
    nondet: nondetArb,
  })
  .map((e) => (e.body.kind === "action" ? e : { ...e, nondet: [] }));

const batchArb = batchArbitrary(eventArb, { consumedStartMax: 100_000, eventsMax: 60 });

function wireBytes(batch: BatchData): Uint8Array {
  return encodeFrame(batchFrame(encodeBatch(batch)));
}

function decodeWire(bytes: Uint8Array) {
  const frame = decodeFrame(bytes);
  if (!frame.ok) return frame;
  assert.equal(frame.value.body.case, "batch");
  return decodeBatch(frame.value.body.value as never);
}

test("codec: every batch round-trips through the wire frame", () => {
  fc.assert(
    fc.property(batchArb, (batch) => {
      const decoded = decodeWire(wireBytes(batch));
      assert.ok(decoded.ok, decoded.ok ? "" : decoded.error.message);
      assert.deepEqual(decoded.value, batch);
    }),
    { numRuns: 300 },
  );
});

test("codec: truncation at every byte is a typed error, never another throw", () => {
  fc.assert(
    fc.property(batchArb, (batch) => {
      const bytes = wireBytes(batch);
      for (let cut = 0; cut < bytes.length; cut++) {
        const decoded = decodeWire(bytes.subarray(0, cut));
        if (decoded.ok) continue; // a protobuf prefix can be a valid, shorter message
        assert.ok(isMirrorcellError(decoded.error));
      }
      const packed = encodeBatch(batch);
      for (let cut = 0; cut < packed.eventsPacked.length; cut++) {
        const truncated = create(SyncBatchSchema, {
          ...packed,
          eventsPacked: packed.eventsPacked.subarray(0, cut),
        });
        const decoded = decodeBatch(truncated);
        assert.ok(!decoded.ok || decoded.value.inputs.length <= batch.inputs.length);
      }
    }),
    { numRuns: 30 },
  );
});

test("codec: random bytes as a frame or as packed events give typed errors", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 400 }), fc.boolean(), (bytes, deflate) => {
      const asFrame = decodeWire(bytes);
      if (!asFrame.ok) assert.ok(isMirrorcellError(asFrame.error));
      const message = create(SyncBatchSchema, {
        firstSeq: 1n,
        codec: deflate ? 2 : 1,
        eventsPacked: bytes,
        storageDigest: new Uint8Array(32),
      });
      const asPacked = decodeBatch(message);
      if (!asPacked.ok) assert.ok(isMirrorcellError(asPacked.error));
    }),
    { numRuns: 2000 },
  );
});

test("codec: a DEFLATE bomb stops at batchBytesMax with a typed error", async () => {
  const { deflateSync } = await import("fflate");
  const bomb = deflateSync(new Uint8Array(limits.batchBytesMax * 2), { level: 9 });
  const message = create(SyncBatchSchema, {
    firstSeq: 1n,
    codec: 2,
    eventsPacked: bomb,
    storageDigest: new Uint8Array(32),
  });
  const decoded = decodeBatch(message);
  assert.ok(!decoded.ok);
  assert.equal(decoded.error.code, "E_BATCH_TOO_LARGE");
});

test("codec: a DEFLATE bomb small enough to inflate in one call is still refused past batchBytesMax; a truncated one is malformed", async () => {
  const { deflateRawSync } = await import("node:zlib");
  // zlib reaches ~1030:1, so this bomb is under the one-shot input bound yet inflates past the batch bound.
  const bomb = new Uint8Array(
    deflateRawSync(new Uint8Array(limits.batchBytesMax + 100_000), { level: 9, memLevel: 9 }),
  );
  assert.ok(
    bomb.length <= limits.inflateOneShotInputBytesMax,
    `bomb of ${bomb.length} B takes the one-shot path`,
  );
  const decode = (packed: Uint8Array) =>
    decodeBatch(
      create(SyncBatchSchema, {
        firstSeq: 1n,
        codec: 2,
        eventsPacked: packed,
        storageDigest: new Uint8Array(32),
      }),
    );
  const decoded = decode(bomb);
  assert.ok(!decoded.ok && decoded.error.code === "E_BATCH_TOO_LARGE", JSON.stringify(decoded));
  const truncated = decode(bomb.subarray(0, bomb.length >> 1));
  assert.ok(!truncated.ok && truncated.error.code === "E_BATCH_MALFORMED", JSON.stringify(truncated));
  const empty = decode(new Uint8Array(0));
  assert.ok(!empty.ok && empty.error.code === "E_BATCH_MALFORMED", JSON.stringify(empty));
});

test("frame: wrong version, oversized and empty frames are typed errors", () => {
  const batch = encodeBatch({
    deviceId: "d",
    batchNo: 1,
    firstSeq: 1,
    windowStartMs: 0,
    windowEndMs: 10,
    inputs: [],
    networkConsumed: 0,
    storageDigest: new Uint8Array(32),
    powerOff: false,
  });
  const frame = batchFrame(batch);
  assert.equal(frame.version, PROTOCOL_VERSION);
  const wrong = toBinary(batchFrameSchema(), { ...frame, version: 2 });
  const result = decodeFrame(wrong);
  assert.ok(!result.ok && result.error.code === "E_VERSION_UNSUPPORTED");
  const big = decodeFrame(new Uint8Array(limits.frameBytesMax + 1));
  assert.ok(!big.ok && big.error.code === "E_FRAME_TOO_LARGE");
  const empty = decodeFrame(Uint8Array.of(8, 1));
  assert.ok(!empty.ok && empty.error.code === "E_FRAME_MALFORMED");
});

test("bits: exp-golomb and truncated codes round-trip at their edges", () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.tuple(fc.nat({ max: 2 ** 40 }), fc.nat({ max: 20 }), fc.integer({ min: 1, max: 2 ** 31 })),
        {
          maxLength: 50,
        },
      ),
      (items) => {
        const w = new BitWriter(1);
        for (const [value, k, range] of items) {
          w.writeExpGolomb(value, k);
          w.writeTruncated(value % range, range);
        }
        const r = new BitReader(w.finish());
        for (const [value, k, range] of items) {
          assert.equal(r.readExpGolomb(k), value);
          assert.equal(r.readTruncated(range), value % range);
        }
        assert.ok(r.atPaddedEnd());
      },
    ),
  );
});

import { FrameSchema } from "../gen/mirrorcell/v1/sync_pb.ts";

function batchFrameSchema() {
  return FrameSchema;
}

test("codec: an encode that fails an assertion leaves no bits behind for the next batch", () => {
  const batch: BatchData = {
    deviceId: "phone-1",
    batchNo: 3,
    firstSeq: 10,
    windowStartMs: 1000,
    windowEndMs: 5000,
    inputs: [
      {
        seq: 10,
        timeMs: 1200,
        networkConsumed: 0,
        app: "system",
        body: { kind: "tap", x: 5, y: 6 },
        nondet: [],
      },
      {
        seq: 11,
        timeMs: 1300,
        networkConsumed: 0,
        app: "system",
        body: { kind: "key", code: 97 },
        nondet: [],
      },
    ],
    networkConsumed: 0,
    storageDigest: new Uint8Array(32),
    powerOff: false,
  };
  const clean = encodeBatch(batch).eventsPacked;
  // Out of time order: the encoder asserts after it has written the header.
  const [first, second] = batch.inputs as [UserInput, UserInput];
  const swapped = [
    { ...second, seq: 10 },
    { ...first, seq: 11 },
  ];
  assert.throws(() => encodeBatch({ ...batch, inputs: swapped }), /time-ordered/);
  assert.deepEqual(encodeBatch(batch).eventsPacked, clean);
  const decoded = decodeWire(wireBytes(batch));
  assert.ok(decoded.ok);
  assert.deepEqual(decoded.value, batch);
});

test("codec: EventCursor yields decodeBatch's inputs one at a time, with other batches decoded in between", () => {
  fc.assert(
    fc.property(batchArb, batchArb, (batch, other) => {
      const fields = unpackBatch(encodeBatch(batch));
      assert.ok(fields.ok);
      const r = new BitReader(fields.value.packed);
      assert.ok(readBatchHeader(r, fields.value.windowStartMs).ok);
      const events = new EventCursor(r, {
        firstSeq: batch.firstSeq,
        windowStartMs: batch.windowStartMs,
        networkConsumedEnd: batch.networkConsumed,
      });
      assert.equal(events.count, batch.inputs.length);
      const otherWire = encodeBatch(other);
      const inputs: UserInput[] = [];
      for (let input = events.next(); input !== undefined; input = events.next()) {
        inputs.push(input);
        // Another decode reuses the steps scratch the cursor's header was read into.
        assert.ok(decodeBatch(otherWire).ok);
      }
      assert.deepEqual(inputs, batch.inputs);
      assert.equal(events.next(), undefined, "stays at the end");
      assert.ok(r.atPaddedEnd(), "the cursor read every event's bits");
    }),
    { numRuns: 300 },
  );
});
