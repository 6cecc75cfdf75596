import assert from "node:assert/strict";
import { test } from "node:test";
import { toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { SyncBatchSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { type BatchData, encodeBatch } from "./batch.ts";
import { NoticeOutbox } from "./notice-outbox.ts";
import { ReplaySchedule } from "./replay-schedule.ts";
import { type DeviceState, emptyMetrics, type Position } from "./sync-device-state.ts";

function deviceState(deviceId: string): DeviceState {
  const base: Position = { batchNo: 0, lastSeq: 0, networkConsumed: 0, windowEndMs: 0 };
  return {
    deviceId,
    accepted: base,
    early: new Map(),
    earlyBytes: 0,
    queue: [],
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

function emptyBatch(
  deviceId: string,
  batchNo: number,
  windowEndMs: number,
): { batch: BatchData; bytes: Uint8Array } {
  const batch: BatchData = {
    deviceId,
    batchNo,
    firstSeq: 1,
    windowStartMs: windowEndMs - 1_000,
    windowEndMs,
    inputs: [],
    networkConsumed: 0,
    storageDigest: new Uint8Array(32).fill(batchNo),
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
          schedule.enqueue(state, batch, bytes, 100);
          assert.equal(state.queue.at(-1)!.dueMs, batch.windowEndMs + 100);
        } else {
          const head = schedule.head(state);
          assert.equal(head.batchNo, state.queue[0]!.batchNo, "the head decodes to the queued batch");
          assert.equal(head.deviceId, deviceId);
          schedule.dequeue(state);
        }
        const sum = (s: DeviceState) => s.queue.reduce((n, q) => n + q.bytes.length, 0);
        for (const s of states.values()) assert.equal(s.queueBytes, sum(s));
        assert.equal(schedule.backlogBytes, states.get("p1")!.queueBytes + states.get("p2")!.queueBytes);
      }
      schedule.forget(states.get("p1")!);
      assert.equal(schedule.backlogBytes, states.get("p2")!.queueBytes);
    }),
    { seed: 71, numRuns: 50 },
  );
});
