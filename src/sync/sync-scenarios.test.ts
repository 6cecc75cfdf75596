import assert from "node:assert/strict";
import { test } from "node:test";
import { SyncRig } from "../../test/support/sync-rig.ts";

function report(rig: SyncRig, id: string): string {
  return `seed=${rig.seed} metrics=${JSON.stringify(rig.server.metrics(id))} errors=${rig.errors.join(",")}`;
}

test("sync: steady state: mirror equals phone after every batch, lag within t_syn_int + t_max (seed=42)", () => {
  const rig = new SyncRig(42, { syncIntervalMs: 60_000 });
  const phone = rig.addPhone("p1");
  rig.server.onReplayedInput((deviceId, event, replayMs) => {
    if (event.kind === "user")
      assert.ok(replayMs - event.input.timeMs <= 60_000 + 100, `lag at seq ${event.input.seq}`);
  });
  rig.runWorkload("p1", 20 * 60_000);
  rig.settle("p1");
  const metrics = rig.server.metrics("p1")!;
  assert.ok(rig.mirrorDigestEquals("p1"), report(rig, "p1"));
  assert.equal(metrics.divergences, 0, report(rig, "p1"));
  assert.equal(metrics.userInputs, phone.recorded, report(rig, "p1"));
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
  assert.ok(metrics.duplicates >= 10, report(rig, "p1"));
  assert.equal(metrics.userInputs, phone.recorded, report(rig, "p1"));
  assert.ok(rig.mirrorDigestEquals("p1"), report(rig, "p1"));
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
  assert.equal(rig.server.metrics("p1")!.userInputs, phone.recorded, report(rig, "p1"));
  assert.ok(rig.mirrorDigestEquals("p1"), report(rig, "p1"));
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
  assert.ok(metrics.duplicates >= 1, report(rig, "p1"));
  assert.equal(metrics.userInputs, phone.recorded, report(rig, "p1"));
  assert.ok(rig.mirrorDigestEquals("p1"), report(rig, "p1"));
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
  assert.equal(rig.server.metrics("p1")!.userInputs, phone.recorded, report(rig, "p1"));
  assert.ok(rig.mirrorDigestEquals("p1"), report(rig, "p1"));
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
  assert.ok(rig.mirrorDigestEquals("p1"), report(rig, "p1"));
  assert.equal(rig.server.metrics("p1")!.divergences, 0, report(rig, "p1"));
});

test("sync: phone power-off mid-batch then boot: mirror saved, stopped, restored and equal (seed=9)", () => {
  const rig = new SyncRig(9);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000 + 25_000);
  for (const bytes of phone.client.powerOff(rig.nowMs)) rig.uplink.push({ deviceId: "p1", bytes });
  phone.platform.powerOff();
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
  assert.ok(rig.mirrorDigestEquals("p1"), report(rig, "p1"));
  assert.equal(rig.server.metrics("p1")!.divergences, 0, report(rig, "p1"));
});
