import assert from "node:assert/strict";
import { test } from "node:test";
import { toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { limits } from "../core/limits.ts";
import { SyncBatchSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import type { MirrorStore, StoredBatch } from "../mirror/store.ts";
import { type BatchData, encodeBatch } from "./batch.ts";
import { NoticeOutbox } from "./notice-outbox.ts";
import { QueuedBatches } from "./queued-batches.ts";
import { ReplaySchedule } from "./replay-schedule.ts";
import { type DeviceState, emptyMetrics, type Position } from "./sync-device-state.ts";

function deviceState(deviceId: string): DeviceState {
  const base: Position = { batchNo: 0, lastSeq: 0, networkConsumed: 0, windowEndMs: 0 };
  return {
    deviceId,
    accepted: base,
    early: new Map(),
    earlyBytes: 0,
    queue: new QueuedBatches(),
    queueBytes: 0,
    applied: base,
    platform: undefined,
    loggedRepairs: new Map(),
    repair: undefined,
    reask: undefined,
    notices: new NoticeOutbox(),
    metrics: emptyMetrics(),
  };
}

/** The one MirrorStore call replay makes: a device's batches by number range, as appended. */
class BatchLog implements Pick<MirrorStore, "batchesBetween"> {
  readonly batches = new Map<string, StoredBatch>();
  reads = 0;

  append(deviceId: string, batch: BatchData, bytes: Uint8Array): void {
    // A store keeps its own copy: the caller's array may be a reused read buffer.
    const stored = {
      batchNo: batch.batchNo,
      lastSeq: 0,
      windowEndMs: batch.windowEndMs,
      bytes: bytes.slice(),
    };
    this.batches.set(`${deviceId}/${batch.batchNo}`, stored);
  }

  batchesBetween(deviceId: string, first: number, last: number): StoredBatch[] {
    this.reads++;
    const found: StoredBatch[] = [];
    for (let batchNo = first; batchNo <= last; batchNo++) {
      const stored = this.batches.get(`${deviceId}/${batchNo}`);
      if (stored !== undefined) found.push(stored);
    }
    return found;
  }
}

function emptyBatch(
  deviceId: string,
  batchNo: number,
  windowEndMs: number,
  digestFill = batchNo,
): { batch: BatchData; bytes: Uint8Array } {
  const batch: BatchData = {
    deviceId,
    batchNo,
    firstSeq: 1,
    windowStartMs: windowEndMs - 1_000,
    windowEndMs,
    inputs: [],
    networkConsumed: 0,
    storageDigest: new Uint8Array(32).fill(digestFill),
    powerOff: false,
  };
  return { batch, bytes: toBinary(SyncBatchSchema, encodeBatch(batch)) };
}

test("sync: replay schedule: each device is due once per take, earliest wake-up first, later ones stay", () => {
  const schedule = new ReplaySchedule();
  schedule.wake("b", 30);
  schedule.wake("a", 10);
  schedule.wake("b", 20);
  schedule.wake("c", 50);
  assert.equal(schedule.nextDueMs(), 10);
  assert.deepEqual([...schedule.takeDue(30)], ["a", "b"]);
  assert.equal(schedule.nextDueMs(), 50);
  assert.deepEqual([...schedule.takeDue(49)], []);
  assert.deepEqual([...schedule.takeDue(50)], ["c"]);
  assert.equal(schedule.nextDueMs(), undefined);
});

test("sync: replay schedule: queued bytes are counted per device and server-wide until dequeued or forgotten", () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.constantFrom("p1", "p2"), fc.boolean()), { maxLength: 40 }), (steps) => {
      const schedule = new ReplaySchedule();
      const log = new BatchLog();
      const states = new Map([
        ["p1", deviceState("p1")],
        ["p2", deviceState("p2")],
      ]);
      for (const [deviceId, add] of steps) {
        const state = states.get(deviceId)!;
        if (add || state.queue.length === 0) {
          const { batch, bytes } = emptyBatch(
            deviceId,
            state.accepted.batchNo + 1,
            1_000 * (state.queue.length + 1),
          );
          state.accepted = { ...state.accepted, batchNo: batch.batchNo };
          log.append(deviceId, batch, bytes);
          schedule.enqueue(state, batch, bytes, 100);
          assert.equal(state.queue.dueMsAt(state.queue.length - 1), batch.windowEndMs + 100);
        } else {
          const [stored] = schedule.readDue(state, log, Number.MAX_SAFE_INTEGER, 1);
          const head = schedule.decodeHead(state, stored);
          assert.equal(head.batch.batchNo, state.queue.batchNoAt(0), "the head decodes to the queued batch");
          assert.equal(head.batch.deviceId, deviceId);
          schedule.dequeue(state);
        }
        const sum = (s: DeviceState) => {
          let n = 0;
          for (let i = 0; i < s.queue.length; i++) n += s.queue.byteLengthAt(i);
          return n;
        };
        for (const s of states.values()) assert.equal(s.queueBytes, sum(s));
        assert.equal(schedule.backlogBytes, states.get("p1")!.queueBytes + states.get("p2")!.queueBytes);
      }
      schedule.forget(states.get("p1")!);
      assert.equal(schedule.backlogBytes, states.get("p2")!.queueBytes);
    }),
    { seed: 71, numRuns: 50 },
  );
});

test("sync: replay schedule: the queue keeps no batch bytes; the head is read back from the store by device and number", () => {
  const schedule = new ReplaySchedule();
  const log = new BatchLog();
  const p1 = deviceState("p1");
  const p2 = deviceState("p2");
  // Both devices' batch 1 and 2, told apart only by their digests.
  const sent: { state: DeviceState; batch: BatchData; bytes: Uint8Array }[] = [];
  for (const [state, fill] of [
    [p1, 0x11],
    [p2, 0x22],
  ] as const) {
    for (const batchNo of [1, 2]) {
      const { batch, bytes } = emptyBatch(state.deviceId, batchNo, 1_000 * batchNo, fill + batchNo);
      log.append(state.deviceId, batch, bytes);
      schedule.enqueue(state, batch, bytes, 100);
      sent.push({ state, batch, bytes });
    }
  }
  // The arrays intake handed in are reused (a socket read buffer): the queue must not need them
  // (it holds numbers only, QueuedBatches).
  for (const { bytes } of sent) bytes.fill(0xff);
  for (const { state, batch } of sent) {
    const readsBefore = log.reads;
    const head = schedule.decodeHead(state, schedule.readDue(state, log, 10_000, 1)[0]);
    assert.equal(log.reads, readsBefore + 1, "the head is read from the store");
    assert.equal(head.batch.deviceId, state.deviceId);
    assert.equal(head.batch.batchNo, batch.batchNo);
    assert.deepEqual(head.batch.storageDigest, batch.storageDigest, "the device's own batch, not another's");
    schedule.dequeue(state);
  }
  assert.equal(schedule.backlogBytes, 0);
});

test("sync: replay schedule: a queued batch missing from the store, or another batch in its place, is a bug", () => {
  const schedule = new ReplaySchedule();
  const log = new BatchLog();
  const state = deviceState("p1");
  const { batch, bytes } = emptyBatch("p1", 1, 1_000);
  schedule.enqueue(state, batch, bytes, 100);
  const head = () => schedule.decodeHead(state, schedule.readDue(state, log, 10_000, 1)[0]);
  assert.throws(head, /a queued batch is stored/);
  const other = emptyBatch("p1", 2, 1_000, 1);
  // Same length, other number: the decode check refuses it.
  log.batches.set("p1/1", { batchNo: 1, lastSeq: 0, windowEndMs: 1_000, bytes: other.bytes });
  assert.equal(other.bytes.length, bytes.length);
  assert.throws(head, /an accepted batch decodes again/);
  // A row of another number in the head's place is refused before decoding.
  log.batches.set("p1/1", { batchNo: 2, lastSeq: 0, windowEndMs: 1_000, bytes });
  assert.throws(head, /a queued batch is stored/);
});

test("sync: replay schedule: readDue reads the due head of the queue in one range read, bounded by the budget and limits.replayReadBatchesMax", () => {
  const schedule = new ReplaySchedule();
  const log = new BatchLog();
  const state = deviceState("p1");
  const total = limits.replayReadBatchesMax + 8;
  for (let batchNo = 1; batchNo <= total; batchNo++) {
    const { batch, bytes } = emptyBatch("p1", batchNo, 1_000 * batchNo);
    log.append("p1", batch, bytes);
    schedule.enqueue(state, batch, bytes, 100);
  }
  const numbers = (stored: StoredBatch[]) => stored.map((b) => b.batchNo);
  // Due by 3_100: batches 1..3 (due at windowEnd + 100).
  assert.deepEqual(numbers(schedule.readDue(state, log, 3_100, 1_000)), [1, 2, 3]);
  assert.deepEqual(numbers(schedule.readDue(state, log, 3_099, 1_000)), [1, 2]);
  assert.deepEqual(numbers(schedule.readDue(state, log, 3_100, 2)), [1, 2], "at most the step's budget");
  assert.deepEqual(schedule.readDue(state, log, 1_099, 1_000), [], "nothing due");
  const readsBefore = log.reads;
  const all = schedule.readDue(state, log, Number.MAX_SAFE_INTEGER, Number.POSITIVE_INFINITY);
  assert.equal(log.reads, readsBefore + 1, "one read for the whole range");
  assert.equal(all.length, limits.replayReadBatchesMax, "at most replayReadBatchesMax");
  for (const stored of all) {
    assert.equal(schedule.decodeHead(state, stored).batch.batchNo, stored.batchNo);
    schedule.dequeue(state);
  }
  assert.deepEqual(numbers(schedule.readDue(state, log, Number.MAX_SAFE_INTEGER, 1_000)), [
    ...Array.from({ length: 8 }, (_, i) => limits.replayReadBatchesMax + 1 + i),
  ]);
});
