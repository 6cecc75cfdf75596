import assert from "node:assert/strict";
import { test } from "node:test";
import { SyncRig } from "../../test/support/sync-rig.ts";
import { limits } from "../core/limits.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { Storage } from "../platform/index.ts";
import { decodeFrame, encodeFrame, noticeAckFrame, repairRequestFrame } from "./frame.ts";
import { SyncClient } from "./sync-client.ts";

/** A phone restart: the client's RAM (repair snapshots) is gone; it resumes from what it persisted. */
function restartClient(rig: SyncRig, id: string): void {
  const phone = rig.phone(id);
  phone.platform.boot();
  phone.client = new SyncClient({
    deviceId: id,
    platform: phone.platform,
    snapshot: () => Storage.fromSnapshot(phone.platform.storage.snapshot(), nodeSha256),
    sha256: nodeSha256,
    syncIntervalMs: phone.client.syncIntervalMs,
    startMs: rig.nowMs,
    resume: phone.client.exportResume(),
  });
}

test("sync: phone restart: an idle phone answers a repair of its last batch and its mirror converges without a new batch (seed=23)", () => {
  const rig = new SyncRig(23);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 3 * 60_000 + 10_000);
  rig.corruptMirrorFile("p1"); // the power-off batch will reveal it
  rig.powerOff("p1");
  rig.pump();
  rig.disconnect("p1"); // off: the repair request of the power-off batch goes unanswered
  rig.advance(7_000);
  assert.equal(rig.server.metrics("p1")!.divergences, 1, "the power-off batch diverged");
  assert.equal(rig.server.metrics("p1")!.repairs, 0);
  restartClient(rig, "p1");
  rig.connect("p1");
  rig.advance(20_000); // the server re-sends its request; the phone has applied nothing since
  const metrics = rig.server.metrics("p1")!;
  assert.equal(metrics.repairs, 1, JSON.stringify(metrics));
  assert.equal(metrics.repairsFailed, 0, JSON.stringify(metrics));
  assert.equal(phone.client.metrics.batches, 0, "no new batch was needed");
});

test("sync: phone restart: a repair of a batch the restarted phone can no longer show is answered as unavailable (seed=23)", () => {
  const rig = new SyncRig(23);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000 + 10_000);
  rig.powerOff("p1");
  rig.pump();
  const lastBatch = rig.server.acked("p1");
  assert.ok(lastBatch >= 2, `only ${lastBatch} batches`);
  restartClient(rig, "p1");
  const ask = (batchNo: number) => {
    const replies = rig
      .phone("p1")
      .client.receive(encodeFrame(repairRequestFrame(batchNo, ["/"])), rig.nowMs);
    assert.ok(replies.ok && replies.value.length === 1);
    const frame = decodeFrame(replies.value[0]!);
    assert.ok(frame.ok && frame.value.body.case === "repairResponse");
    return frame.value.body.value;
  };
  assert.equal(ask(lastBatch - 1).entries.length, 0, "an older batch's state is gone after a restart");
  rig.connect("p1");
  const before = phone.platform.digest();
  rig.runWorkload("p1", rig.nowMs + 20_000, false); // inputs in the open window change the phone
  assert.notDeepEqual(rig.phone("p1").platform.digest(), before);
  const stale = ask(lastBatch);
  assert.equal(stale.entries.length, 0, "the phone changed since: it cannot answer for that batch");
  assert.equal(stale.storageDigest.length, 0);
});

/** Power-off batch with a corrupted mirror while the phone stays off through every repair retry. */
function divergeWhileOff(rig: SyncRig): void {
  rig.runWorkload("p1", 3 * 60_000 + 10_000);
  rig.corruptMirrorFile("p1");
  rig.powerOff("p1");
  rig.pump();
  rig.disconnect("p1");
  rig.advance(10 * 60_000); // far beyond repairRetriesMax retries
  const metrics = rig.server.metrics("p1")!;
  assert.equal(metrics.divergences, 1, JSON.stringify(metrics));
  assert.equal(metrics.repairsFailed, 1, "every retry went unanswered");
  assert.equal(rig.mirrors.status("p1"), "stopped");
  assert.ok(!rig.mirrorDigestEquals("p1"), "the mirror is left diverged");
}

/** The mirror equals the idle phone again, repaired by one re-asked request, and the phone sent no new batch. */
function assertRepairedByReask(rig: SyncRig): void {
  assert.ok(rig.mirrorDigestEquals("p1"), "mirror equals the idle phone");
  const metrics = rig.server.metrics("p1")!;
  assert.equal(metrics.repairReasks, 1, JSON.stringify(metrics));
  assert.equal(metrics.repairs, 1, JSON.stringify(metrics));
  assert.equal(rig.phone("p1").client.metrics.batches, 0, "no new batch was needed");
}

test("sync: repair re-ask: phone off during all retries, back on and reconnected without a new batch: mirror converges (seed=29)", () => {
  const rig = new SyncRig(29);
  rig.addPhone("p1");
  divergeWhileOff(rig);
  restartClient(rig, "p1");
  rig.reconnect("p1"); // the reconnect carries the request again
  rig.advance(20_000);
  assertRepairedByReask(rig);
  assert.equal(rig.mirrors.status("p1"), "stopped", "the repaired mirror is saved and stopped again");
  rig.startServer(); // the repair is in the durable checkpoint, not only in this process
  assert.ok(rig.mirrorDigestEquals("p1"), "mirror still equals the phone after a server restart");
});

test("sync: repair re-ask: an idle phone's notice ack carries the re-sent repair request and its mirror converges (seed=31)", () => {
  const rig = new SyncRig(31);
  rig.addPhone("p1");
  divergeWhileOff(rig);
  restartClient(rig, "p1");
  rig.connect("p1"); // nothing to send: all its batches are acked
  assert.ok(rig.queueText("p1", "file cached").ok);
  rig.advance(20_000); // notice out, ack in, the request rides on the ack's reply
  assertRepairedByReask(rig);
  assert.equal(rig.server.unackedNotices("p1"), 0);
});

test("sync: repair re-ask: a phone that never answers is asked again at most repairReasksMax times (seed=37)", () => {
  const rig = new SyncRig(37);
  rig.addPhone("p1");
  divergeWhileOff(rig);
  const requests: number[] = [];
  for (let i = 0; i < limits.repairReasksMax + 2; i++) {
    // A frame from the phone (say a late notice ack) that it then cannot follow up.
    const replies = rig.server.receive("p1", encodeFrame(noticeAckFrame([1n])), rig.nowMs);
    assert.ok(replies.ok);
    const asks = replies.value.map(decodeFrame).filter((f) => f.ok && f.value.body.case === "repairRequest");
    requests.push(asks.length);
    rig.advance(10 * 60_000); // every retry of this ask runs out too
  }
  const expected = [...Array(limits.repairReasksMax).fill(1), 0, 0];
  assert.deepEqual(requests, expected);
  const metrics = rig.server.metrics("p1")!;
  assert.equal(metrics.repairReasks, limits.repairReasksMax, JSON.stringify(metrics));
  assert.equal(metrics.repairsFailed, 1 + limits.repairReasksMax, JSON.stringify(metrics));
  assert.equal(rig.mirrors.status("p1"), "stopped", "each failed re-ask leaves the mirror saved and stopped");
});

test("sync: repair re-ask: repair timed out while the phone was off, server crashed and restarted, idle phone reconnects: mirror converges (seed=41)", () => {
  const rig = new SyncRig(41);
  rig.addPhone("p1");
  divergeWhileOff(rig);
  rig.startServer(); // crash + restart: only the store survives
  assert.ok(!rig.mirrorDigestEquals("p1"), "the restarted server's mirror is still diverged");
  restartClient(rig, "p1");
  rig.reconnect("p1");
  rig.advance(20_000);
  assertRepairedByReask(rig);
  rig.startServer(); // the repaired checkpoint no longer owes a re-ask
  assert.deepEqual(rig.server.pendingFrames("p1", rig.nowMs), []);
  assert.ok(rig.mirrorDigestEquals("p1"));
});

/**
 * A running mirror diverges at a batch whose repair request never reaches the
 * phone (it left coverage, still on); every retry runs out. `checkpoint`:
 * how the diverged mirror gets saved there (periodic, or an admin save).
 */
function divergeAway(seed: number, checkpoint: "periodic" | "admin"): SyncRig {
  const rig = new SyncRig(seed, checkpoint === "periodic" ? { checkpointEveryBatches: 1 } : {});
  rig.addPhone("p1");
  rig.runWorkload("p1", 3 * 60_000 + 10_000);
  rig.corruptMirrorFile("p1");
  // One more input; its batch reaches the server, then the phone drops out of coverage (it stays on).
  assert.ok(
    rig.user("p1", "messaging", { kind: "action", name: "open-thread", args: ["peer=+15550101"] }).ok,
  );
  rig.advance(60_000, false);
  rig.pump({ downlink: () => false });
  rig.disconnect("p1");
  rig.advance(10 * 60_000); // every repair retry goes unanswered
  if (checkpoint === "admin") assert.ok(rig.server.checkpoint("p1").ok);
  const before = rig.server.metrics("p1")!;
  assert.equal(before.divergences, 1, JSON.stringify(before));
  assert.equal(before.repairsFailed, 1, JSON.stringify(before));
  const saved = rig.store.getCheckpoint("p1")!;
  assert.equal(saved.batchNo, rig.server.applied("p1"), "checkpoint at the diverged batch");
  assert.ok(saved.unrepairedDigest !== undefined, "the checkpoint says the mirror is unrepaired");
  return rig;
}

for (const [seed, checkpoint] of [
  [43, "periodic"],
  [47, "admin"],
] as const) {
  test(`sync: repair re-ask: a running mirror saved (${checkpoint}) at its diverged batch while the phone was away is asked again after a server restart (seed=${seed})`, () => {
    const rig = divergeAway(seed, checkpoint);
    rig.startServer();
    rig.reconnect("p1"); // back in coverage, nothing new typed
    rig.advance(20_000);
    assert.ok(rig.mirrorDigestEquals("p1"), "mirror equals the phone");
    const metrics = rig.server.metrics("p1")!;
    assert.equal(metrics.repairReasks, 1, JSON.stringify(metrics));
    assert.equal(metrics.repairs, 1, JSON.stringify(metrics));
    assert.equal(metrics.batches, 0, "no new batch was needed");
    assert.equal(
      rig.store.getCheckpoint("p1")!.unrepairedDigest,
      undefined,
      "the repaired checkpoint drops the mark",
    );
    rig.startServer();
    assert.deepEqual(rig.server.pendingFrames("p1", rig.nowMs), [], "nothing owed after another restart");
  });
}
