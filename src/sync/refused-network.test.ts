import assert from "node:assert/strict";
import { test } from "node:test";
import { SyncRig, type SyncRigOptions } from "../../test/support/sync-rig.ts";

/** A phone that has synced for two minutes and settled; the next network index is the one the mirror will refuse. */
function settledRig(seed: number, options: SyncRigOptions) {
  const rig = new SyncRig(seed, options);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000);
  rig.settle("p1");
  return { rig, phone, target: rig.store.networkCount("p1") + 1 };
}

/** The mirror sees input `target` as a delivery its app does not take: it refuses without consuming. */
function refuseOnMirror(rig: SyncRig, target: number): void {
  const monitor = rig.monitor;
  const recorded = monitor.recorded.bind(monitor);
  monitor.recorded = (id, index) => {
    const input = recorded(id, index);
    return input !== undefined && index === target ? { ...input, kind: "not-a-delivery" } : input;
  };
}

test("sync: a network input the mirror refuses but the phone accepted is reported, repaired and skipped; the mirror does not wedge (seed=21)", () => {
  const { rig, phone, target } = settledRig(21, { syncIntervalMs: 5_000 });
  refuseOnMirror(rig, target);
  const recordedBefore = phone.recorded;
  rig.runWorkload("p1", 12 * 60_000);
  rig.settle("p1");
  const metrics = rig.server.metrics("p1")!;
  const why = `target=${target} ${rig.report("p1")}`;
  assert.ok(phone.platform.networkConsumed > target, `workload delivered past the target: ${why}`);
  assert.ok(metrics.rejectedInputs >= 1, why);
  assert.equal(metrics.networkSkipped, 1, why);
  assert.ok(
    metrics.divergences >= 1 && metrics.divergences <= 2,
    `one divergence, not one per batch: ${why}`,
  );
  assert.ok(metrics.repairs >= 1, why);
  assert.equal(rig.mirrors.running("p1")?.networkConsumed, phone.platform.networkConsumed, why);
  assert.ok(phone.recorded - recordedBefore > 50, why);
  assert.ok(rig.mirrorDigestEquals("p1"), why);
  assert.deepEqual(rig.errors, []);
});

test("sync: a refused network input replays the same way after a server crash (seed=22)", () => {
  const { rig, phone, target } = settledRig(22, { syncIntervalMs: 5_000, checkpointEveryBatches: 0 });
  refuseOnMirror(rig, target);
  rig.runWorkload("p1", 8 * 60_000);
  rig.settle("p1");
  rig.crashServer("p1"); // replays the log from the skip checkpoint
  refuseOnMirror(rig, target); // the restarted server's monitor refuses it the same way
  rig.runWorkload("p1", 12 * 60_000);
  rig.settle("p1");
  const why = rig.report("p1");
  assert.ok(phone.platform.networkConsumed > target, why);
  assert.equal(rig.mirrors.running("p1")?.networkConsumed, phone.platform.networkConsumed, why);
  assert.ok(rig.mirrorDigestEquals("p1"), why);
  assert.deepEqual(rig.errors, []);
});
