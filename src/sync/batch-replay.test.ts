import assert from "node:assert/strict";
import { test } from "node:test";
import { SyncRig } from "../../test/support/sync-rig.ts";

test("sync: replay: batches queued at a crash are read back from the store after restart and replayed once each, in order (seed=23)", () => {
  // t_max of 5 minutes: every batch waits in the replay queue for five windows.
  const rig = new SyncRig(23, { tMaxMs: 5 * 60_000 });
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 4 * 60_000 + 30_000);
  const applied = rig.server.applied("p1");
  const acked = rig.server.acked("p1");
  const backlog = rig.server.replayBacklogBytes();
  assert.ok(acked - applied >= 3 && backlog > 0, `batches are queued at the crash: ${rig.report("p1")}`);
  rig.startServer(); // volatile state (the queue) gone; the store survives
  assert.equal(rig.server.replayBacklogBytes(), backlog, "restore queues the same batches again");
  const replayed: number[] = [];
  rig.server.onBatchReplayed((_, batchNo) => replayed.push(batchNo));
  let userInputs = 0;
  rig.server.onReplayedInput((_, event) => {
    if (event.kind === "user") userInputs++;
  });
  rig.runWorkload("p1", 8 * 60_000);
  rig.advance(6 * 60_000);
  rig.settle("p1");
  const last = rig.server.acked("p1");
  assert.ok(last > acked, "the phone kept syncing");
  // A restart replays from the checkpoint (batch 0 here), so every batch since is replayed once.
  assert.deepEqual(
    replayed,
    Array.from({ length: last }, (_, i) => i + 1),
    rig.report("p1"),
  );
  assert.equal(userInputs, phone.recorded, "every input exactly once");
  assert.equal(rig.server.replayBacklogBytes(), 0);
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
  assert.equal(rig.server.metrics("p1")!.divergences, 0, rig.report("p1"));
});
