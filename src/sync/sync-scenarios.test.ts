import assert from "node:assert/strict";
import { test } from "node:test";
import { SyncRig } from "../../test/support/sync-rig.ts";

test("sync: steady state: mirror equals phone after every batch, lag within t_syn_int + t_max (seed=42)", () => {
  const rig = new SyncRig(42, { syncIntervalMs: 60_000 });
  const phone = rig.addPhone("p1");
  rig.server.onReplayedInput((_deviceId, event, replayMs) => {
    if (event.kind === "user")
      assert.ok(replayMs - event.input.timeMs <= 60_000 + 100, `lag at seq ${event.input.seq}`);
  });
  rig.runWorkload("p1", 20 * 60_000);
  rig.settle("p1");
  const metrics = rig.server.metrics("p1")!;
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
  assert.equal(metrics.divergences, 0, rig.report("p1"));
  assert.equal(metrics.userInputs, phone.recorded, rig.report("p1"));
  assert.ok(phone.recorded > 400, `workload too small: ${phone.recorded}`);
  assert.deepEqual(rig.errors, []);
});

test("sync: duplicate batch is applied once (seed=42)", () => {
  const rig = new SyncRig(42);
  const phone = rig.addPhone("p1");
  for (let minute = 1; minute <= 6; minute++) {
    rig.runWorkload("p1", minute * 60_000, false);
    const frames = rig.uplink.splice(0);
    rig.uplink.push(...frames, ...frames, ...frames);
    rig.pump();
  }
  rig.settle("p1");
  const metrics = rig.server.metrics("p1")!;
  assert.ok(metrics.duplicates >= 10, rig.report("p1"));
  assert.equal(metrics.userInputs, phone.recorded, rig.report("p1"));
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
  assert.deepEqual(rig.errors, []);
});

test("sync: reordered batches are accepted in batch order and replayed once (seed=7)", () => {
  const rig = new SyncRig(7);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 6 * 60_000, false);
  const frames = rig.uplink.splice(0);
  assert.ok(phone.client.metrics.batches >= 5);
  rig.uplink.push(...frames.reverse());
  rig.pump();
  assert.equal(rig.server.acked("p1"), phone.client.metrics.batches, "acked once the gaps filled");
  rig.settle("p1");
  assert.equal(rig.server.metrics("p1")!.userInputs, phone.recorded, rig.report("p1"));
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
  assert.deepEqual(rig.errors, []);
});

test("sync: lost ack leads to retransmission, and the retransmission is applied once (seed=3)", () => {
  const rig = new SyncRig(3, { retransmitMs: 5_000 });
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 61_000, false);
  rig.pump({ downlink: () => false }); // every ack lost
  assert.equal(phone.client.unackedCount, 1);
  rig.advance(6_000); // retransmit timer fires, this time the ack arrives
  assert.equal(phone.client.unackedCount, 0);
  assert.ok(phone.client.metrics.retransmits >= 1);
  rig.settle("p1");
  const metrics = rig.server.metrics("p1")!;
  assert.ok(metrics.duplicates >= 1, rig.report("p1"));
  assert.equal(metrics.userInputs, phone.recorded, rig.report("p1"));
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
});

test("sync: partition then heal: batches held on the phone go out on reconnect (seed=11)", () => {
  const rig = new SyncRig(11);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000);
  rig.disconnect("p1");
  rig.runWorkload("p1", 8 * 60_000);
  assert.ok(phone.client.unackedCount >= 5);
  rig.connect("p1");
  rig.pump();
  assert.equal(phone.client.unackedCount, 0);
  rig.settle("p1");
  assert.equal(rig.server.metrics("p1")!.userInputs, phone.recorded, rig.report("p1"));
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
});

test("sync: server crash mid-replay: rebuilt from the store, no input lost or applied twice (seed=5)", () => {
  const rig = new SyncRig(5);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 5 * 60_000 + 30_000);
  const appliedBefore = rig.server.applied("p1");
  const ackedBefore = rig.server.acked("p1");
  assert.ok(appliedBefore >= 3 && ackedBefore >= appliedBefore);
  // Accept one more batch but crash before its replay time.
  rig.runWorkload("p1", 6 * 60_000 + 50, true);
  assert.equal(rig.server.acked("p1"), ackedBefore + 1);
  rig.startServer(); // volatile state gone; the store survives
  assert.equal(rig.server.acked("p1"), ackedBefore + 1, "acked batches survive the crash");
  let replayedAfter = 0;
  rig.server.onReplayedInput((_, event) => {
    if (event.kind === "user") replayedAfter++;
  });
  rig.runWorkload("p1", 9 * 60_000);
  rig.settle("p1");
  assert.equal(
    replayedAfter,
    phone.recorded,
    "the rebuilt mirror replays every input exactly once from its checkpoint",
  );
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
  assert.equal(rig.server.metrics("p1")!.divergences, 0, rig.report("p1"));
});

test("sync: phone power-off mid-batch then boot: mirror saved, stopped, restored and equal (seed=9)", () => {
  const rig = new SyncRig(9);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000 + 25_000);
  rig.powerOff("p1");
  rig.pump();
  rig.disconnect("p1");
  rig.advance(10 * 60_000);
  assert.equal(rig.mirrors.status("p1"), "stopped", "the mirror stops after the power-off batch");
  assert.ok(rig.mirrorDigestEquals("p1"), "the saved mirror equals the phone that went off");
  phone.platform.boot();
  phone.client.boot(rig.nowMs);
  rig.connect("p1");
  rig.runWorkload("p1", rig.nowMs + 5 * 60_000);
  rig.settle("p1");
  assert.equal(rig.mirrors.status("p1"), "running");
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
  assert.equal(rig.server.metrics("p1")!.divergences, 0, rig.report("p1"));
});

test("sync: a network input racing a user input lands in the phone's order (same millisecond, both orders)", () => {
  const digests: string[] = [];
  for (const networkFirst of [true, false]) {
    const rig = new SyncRig(21);
    const phone = rig.addPhone("p1");
    rig.advance(10_000);
    rig.user("p1", "messaging", { kind: "action", name: "open-thread", args: ["peer=+15550101"] });
    rig.advance(1_000);
    const sms = () =>
      rig.network("p1", "messaging", "sms", ["from=+15550101"], new TextEncoder().encode("hi"));
    const read = () => rig.user("p1", "messaging", { kind: "action", name: "read-thread", args: [] });
    if (networkFirst) {
      sms();
      read();
    } else {
      read();
      sms();
    }
    rig.settle("p1");
    assert.ok(rig.mirrorDigestEquals("p1"), `networkFirst=${networkFirst} ${rig.report("p1")}`);
    assert.equal(rig.server.metrics("p1")!.divergences, 0);
    digests.push(Buffer.from(phone.platform.digest()).toString("hex"));
  }
  assert.notEqual(
    digests[0],
    digests[1],
    "the two orders must leave different storage, or the test proves nothing",
  );
});

test("sync: clone of a used phone while the user keeps typing: inputs during the freeze are not lost (seed=13)", () => {
  const rig = new SyncRig(13);
  const phone = rig.addPhone("p1", { register: false });
  rig.disconnect("p1");
  rig.runWorkload("p1", 10 * 60_000); // used for 10 minutes before it gets a mirror
  const offer = phone.client.beginClone(rig.nowMs);
  const begun = rig.mirrors.beginClone("p1", "mc-phone-1", offer);
  assert.ok(begun.ok, begun.ok ? "" : begun.error.message);
  rig.connect("p1");
  const recordedAtFreeze = phone.recorded;
  rig.runWorkload("p1", rig.nowMs + 90_000); // the user keeps typing while the blobs travel
  const typedDuringFreeze = phone.recorded - recordedAtFreeze;
  assert.ok(typedDuringFreeze > 10, `only ${typedDuringFreeze} inputs during the freeze`);
  assert.equal(rig.uplink.length, 0, "nothing is sent while frozen");
  const completed = rig.mirrors.completeClone("p1", phone.client.cloneBlobs(begun.value.missing));
  assert.ok(completed.ok, completed.ok ? "" : completed.error.message);
  assert.ok(completed.value.blobsDeduped > 100, "template blobs never travel");
  assert.ok(completed.value.blobsSent < completed.value.filesOffered);
  rig.server.forget("p1");
  let replayed = 0;
  rig.server.onReplayedInput((_, event) => {
    if (event.kind === "user") replayed++;
  });
  const { freezeMs, frames } = phone.client.endClone(rig.nowMs);
  assert.equal(freezeMs, 90_000);
  for (const bytes of frames) rig.uplink.push({ deviceId: "p1", bytes });
  rig.pump();
  rig.runWorkload("p1", rig.nowMs + 3 * 60_000);
  rig.settle("p1");
  assert.equal(
    replayed,
    phone.recorded - recordedAtFreeze,
    "every input after the freeze point is replayed once",
  );
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
  assert.deepEqual(rig.errors, []);
});

test("sync: divergence: a corrupted mirror file is detected and repaired by fetching only that file (seed=17)", () => {
  const rig = new SyncRig(17);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 5 * 60_000);
  const victim = rig.corruptMirrorFile("p1");
  rig.runWorkload("p1", 8 * 60_000);
  rig.settle("p1");
  const metrics = rig.server.metrics("p1")!;
  assert.equal(metrics.divergences, 1, rig.report("p1"));
  assert.equal(metrics.repairs, 1, rig.report("p1"));
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
  const repairs = rig.store.repairsAfter("p1", 0);
  assert.equal(repairs.length, 1);
  assert.deepEqual(
    repairs[0]!.ops.map((op) => op.path),
    [victim.path],
  );
  assert.ok(metrics.repairBytes < victim.size + 4_000, `repair moved ${metrics.repairBytes} bytes`);
  assert.ok(phone.client.metrics.repairBytesSent < 10_000);
  // After a restart the logged repair is re-applied at the same point.
  rig.startServer();
  rig.settle("p1");
  assert.ok(rig.mirrorDigestEquals("p1"), "repair survives a restart");
});

test("sync: periodic checkpoints prune the log and a restart resumes from the last one (seed=19)", () => {
  const rig = new SyncRig(19, { checkpointEveryBatches: 2 });
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 7 * 60_000 + 30_000);
  const checkpoint = rig.store.getCheckpoint("p1")!;
  assert.ok(checkpoint.batchNo >= 4, `checkpoint at ${checkpoint.batchNo}`);
  assert.ok(checkpoint.volatileState !== undefined, "a running checkpoint keeps the RAM state");
  assert.ok(
    rig.store.batchesAfter("p1", 0).every((b) => b.batchNo > checkpoint.batchNo),
    "log pruned",
  );
  rig.startServer();
  rig.runWorkload("p1", 12 * 60_000);
  rig.settle("p1");
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
  assert.equal(rig.server.metrics("p1")!.divergences, 0, rig.report("p1"));
  assert.ok(phone.recorded > 100);
});
