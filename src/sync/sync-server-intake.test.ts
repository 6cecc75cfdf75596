import assert from "node:assert/strict";
import { test } from "node:test";
import { toBinary } from "@bufbuild/protobuf";
import { SyncRig } from "../../test/support/sync-rig.ts";
import { limits } from "../core/limits.ts";
import { SyncBatchSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { encodeBatch } from "./batch.ts";
import { ackFrame, batchFrame, decodeFrame, encodeFrame } from "./frame.ts";

/** A rig with one phone that has synced a little, and a maker of empty batches after it. */
function rigWithPhone(seed: number) {
  const rig = new SyncRig(seed);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000);
  rig.settle("p1");
  const digest = rig.mirrors.running("p1")!.digest();
  const firstSeq = phone.client.nextSeq;
  const after = rig.server.acked("p1");
  // Empty batches leave storage as it is, so the phone's digest is the mirror's.
  const emptyBatch = (batchNo: number, windowStartMs: number) =>
    encodeBatch({
      deviceId: "p1",
      batchNo,
      firstSeq,
      windowStartMs,
      windowEndMs: windowStartMs + 10,
      inputs: [],
      networkConsumed: phone.platform.networkConsumed,
      storageDigest: digest,
      powerOff: false,
    });
  return { rig, phone, after, emptyBatch };
}

test("sync: intake: windows in the future fill the replay queue, then QUEUE_FULL; nothing lost after replay (seed=61)", () => {
  const { rig, after, emptyBatch } = rigWithPhone(61);
  rig.disconnect("p1"); // the real phone stays quiet; this test speaks for it
  const futureMs = rig.nowMs + 3_600_000;
  let backlog = 0;
  for (let k = 1; k <= limits.replayQueueBatchesMax; k++) {
    const message = emptyBatch(after + k, futureMs + k * 10);
    backlog += toBinary(SyncBatchSchema, message).length;
    const accepted = rig.server.receiveBatch("p1", message, rig.nowMs);
    assert.ok(accepted.ok, `batch ${k} accepted`);
  }
  assert.equal(rig.server.acked("p1"), after + limits.replayQueueBatchesMax);
  assert.equal(rig.server.replayBacklogBytes(), backlog, "backlog counts the wire bytes held");
  const last = after + limits.replayQueueBatchesMax;
  const refused = rig.server.receiveBatch("p1", emptyBatch(last + 1, futureMs + 10_000_000), rig.nowMs);
  assert.ok(!refused.ok && refused.error.code === "E_QUEUE_FULL", "a full replay queue refuses");
  assert.equal(rig.server.acked("p1"), last, "a refused batch is not acked");
  const early = rig.server.receiveBatch("p1", emptyBatch(last + 2, futureMs + 20_000_000), rig.nowMs);
  assert.ok(!early.ok && early.error.code === "E_QUEUE_FULL", "an out-of-order batch is refused too");
  // Time reaches the windows: replay drains the queue, and the refused batch is accepted on retry.
  rig.nowMs = futureMs + limits.replayQueueBatchesMax * 10 + 1_000;
  rig.server.tick(rig.nowMs);
  assert.equal(rig.server.applied("p1"), last, "every accepted batch replayed once");
  assert.equal(rig.server.replayBacklogBytes(), 0);
  const retried = rig.server.receiveBatch("p1", emptyBatch(last + 1, futureMs + 10_000_000), rig.nowMs);
  assert.ok(retried.ok, "accepted once the queue drained");
  assert.equal(rig.server.acked("p1"), last + 1);
});

test("sync: intake: a bounded tick replays at most its budget and leaves the rest due (seed=62)", () => {
  const { rig, after, emptyBatch } = rigWithPhone(62);
  rig.disconnect("p1");
  const startMs = rig.nowMs;
  for (let k = 1; k <= 25; k++)
    assert.ok(rig.server.receiveBatch("p1", emptyBatch(after + k, startMs + k * 10), rig.nowMs).ok);
  const replayed: number[] = [];
  rig.server.onBatchReplayed((deviceId, batchNo, digest) => {
    assert.equal(deviceId, "p1");
    assert.deepEqual(digest, rig.mirrors.running("p1")!.digest(), "the hook gets the mirror's digest");
    replayed.push(batchNo);
  });
  const nowMs = startMs + 10_000;
  rig.server.tick(nowMs, 10);
  assert.equal(rig.server.applied("p1"), after + 10, "ten batches in the first step");
  assert.ok(rig.server.nextDueMs()! <= nowMs, "the rest stays due");
  rig.server.tick(nowMs, 10);
  rig.server.tick(nowMs, 10);
  assert.equal(rig.server.applied("p1"), after + 25);
  assert.deepEqual(
    replayed,
    Array.from({ length: 25 }, (_, i) => after + i + 1),
    "one hook call per batch, in order",
  );
  assert.equal(rig.server.metrics("p1")!.divergences, 0);
});

test("sync: intake: the batch bytes a runtime received are stored as they are", () => {
  const { rig, after, emptyBatch } = rigWithPhone(63);
  rig.disconnect("p1");
  const message = emptyBatch(after + 1, rig.nowMs);
  const received = toBinary(SyncBatchSchema, message);
  const handled = rig.server.receiveFrame("p1", batchFrame(message), rig.nowMs, received);
  assert.ok(handled.ok);
  assert.deepEqual(rig.store.getBatch("p1", after + 1)!.bytes, received);
  // A retransmission with the same bytes is a duplicate, acked again.
  const again = rig.server.receiveFrame("p1", batchFrame(message), rig.nowMs, received);
  assert.ok(again.ok && again.value.some((f) => f.body.case === "ack"));
  assert.equal(rig.server.metrics("p1")!.duplicates, 1);
});

test("sync: intake: an out-of-order batch received as a view of a reused buffer is held as a copy, stored as received once its predecessor arrives", () => {
  const { rig, after, emptyBatch } = rigWithPhone(64);
  rig.disconnect("p1");
  const second = emptyBatch(after + 2, rig.nowMs + 100);
  const received = toBinary(SyncBatchSchema, second);
  // A socket read buffer: the batch is a view of it, then the buffer is reused.
  const readBuffer = new Uint8Array(received.length + 16);
  readBuffer.set(received, 8);
  const view = readBuffer.subarray(8, 8 + received.length);
  second.storageDigest = readBuffer.subarray(0, 32);
  const held = rig.server.receiveFrame("p1", batchFrame(second), rig.nowMs, view);
  assert.ok(held.ok, "held, not refused");
  assert.equal(rig.server.acked("p1"), after, "a held batch is not acked");
  readBuffer.fill(0xee);
  const first = emptyBatch(after + 1, rig.nowMs);
  assert.ok(rig.server.receiveFrame("p1", batchFrame(first), rig.nowMs, toBinary(SyncBatchSchema, first)).ok);
  assert.equal(rig.server.acked("p1"), after + 2, "the held successor is accepted after its predecessor");
  assert.deepEqual(
    rig.store.getBatch("p1", after + 2)!.bytes,
    received,
    "stored as received, not the reused buffer",
  );
});

test("sync: intake: queued batches replay at their own due times; after each step the next wake-up is the next head's (seed=65)", () => {
  const { rig, after, emptyBatch } = rigWithPhone(65);
  rig.disconnect("p1");
  const startMs = rig.nowMs + 1_000;
  for (let k = 1; k <= 6; k++)
    assert.ok(rig.server.receiveBatch("p1", emptyBatch(after + k, startMs + k * 1_000), rig.nowMs).ok);
  const dueOf = (k: number) => startMs + k * 1_000 + 10; // window end
  const tMax = rig.server.nextDueMs()! - dueOf(1);
  assert.ok(tMax >= 0, "the first wake-up is the first batch's due time");
  for (let k = 1; k <= 6; k += 2) {
    // Two batches due per step: both replay, the third waits for its own time.
    rig.server.tick(dueOf(k + 1) + tMax);
    assert.equal(rig.server.applied("p1"), after + k + 1);
    const next = rig.server.nextDueMs();
    assert.equal(next, k + 2 <= 6 ? dueOf(k + 2) + tMax : undefined, `wake-up after step ${k}`);
  }
  assert.equal(rig.server.metrics("p1")!.divergences, 0);
});

test("sync: markDurable: the ack alone is encodeFrame(ackFrame(...))'s bytes; with a notice owed the ack leads (seed=67)", () => {
  const { rig } = rigWithPhone(67);
  rig.disconnect("p1");
  const acked = rig.server.acked("p1");
  assert.ok(acked >= 1, "the phone's batches were accepted");
  const expected = encodeFrame(ackFrame("p1", acked));
  assert.deepEqual(rig.server.markDurable("p1"), [expected]);
  assert.ok(rig.queueText("p1", "hello").ok);
  const withNotice = rig.server.markDurable("p1");
  assert.equal(withNotice.length, 2, "the ack and the notice riding along");
  assert.deepEqual(withNotice[0], expected);
  const notice = decodeFrame(withNotice[1]!);
  assert.ok(notice.ok && notice.value.body.case === "notice");
  assert.deepEqual(rig.server.markDurable("nobody"), []);
});
