import assert from "node:assert/strict";
import { test } from "node:test";
import { SyncRig } from "../../test/support/sync-rig.ts";

const every = 16;

function logLength(rig: SyncRig, id: string): number {
  return rig.store.batchesAfter(id, 0).length;
}

test("sync: input log: the default checkpoint bounds the log over a long run without power-off (seed=11)", () => {
  const rig = new SyncRig(11, { syncIntervalMs: 1_000 });
  const phone = rig.addPhone("p1");
  let longest = 0;
  for (let minute = 1; minute <= 30; minute++) {
    rig.runWorkload("p1", minute * 60_000);
    longest = Math.max(longest, logLength(rig, "p1"));
  }
  rig.settle("p1");
  const batches = phone.client.metrics.batches;
  assert.ok(batches > 300, `run too short: ${batches} batches (seed=${rig.seed})`);
  assert.ok(longest <= 256 + 8, `log grew to ${longest} of ${batches} batches (seed=${rig.seed})`);
  assert.ok((rig.store.getCheckpoint("p1")?.batchNo ?? 0) >= 256, "a periodic checkpoint was taken");
  assert.ok(rig.mirrorDigestEquals("p1"), `seed=${rig.seed}`);
  assert.deepEqual(rig.errors, []);
});

test("sync: input log: a server crash between periodic checkpoints replays from the last one (seed=12)", () => {
  const rig = new SyncRig(12, { syncIntervalMs: 1_000, checkpointEveryBatches: every });
  const phone = rig.addPhone("p1");
  for (let minute = 1; minute <= 4; minute++) {
    rig.runWorkload("p1", minute * 60_000 + 333 * minute);
    assert.ok(logLength(rig, "p1") <= every + 8, `log ${logLength(rig, "p1")} (seed=${rig.seed})`);
    rig.crashServer("p1"); // volatile state gone, the store survives
  }
  rig.settle("p1");
  assert.equal(rig.server.acked("p1"), phone.client.metrics.batches);
  assert.equal(rig.server.applied("p1"), rig.server.acked("p1"), "the logged batches were replayed again");
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
  assert.deepEqual(rig.errors, []);
});

test("sync: input log: checkpointEveryBatches 0 keeps the old behaviour (log kept until power-off) (seed=13)", () => {
  const rig = new SyncRig(13, { syncIntervalMs: 1_000, checkpointEveryBatches: 0 });
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000);
  rig.settle("p1");
  assert.equal(logLength(rig, "p1"), phone.client.metrics.batches, `seed=${rig.seed}`);
});
