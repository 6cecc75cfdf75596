import assert from "node:assert/strict";
import { test } from "node:test";
import { SyncRig } from "../../test/support/sync-rig.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { Storage } from "../platform/index.ts";
import { decodeFrame, encodeFrame, repairRequestFrame } from "./frame.ts";
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
  // The mirror's disk flips a file; the power-off batch will reveal it.
  const mirror = rig.mirrors.running("p1")!;
  const victim = [...mirror.storage.walk()].find((f) => f.path.startsWith("/system/"))!;
  assert.ok(mirror.storage.writeFile(victim.path, new TextEncoder().encode("corrupted")).ok);
  for (const bytes of phone.client.powerOff(rig.nowMs)) rig.uplink.push({ deviceId: "p1", bytes });
  phone.platform.powerOff();
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
  assert.ok(rig.mirrorDigestEquals("p1"), "mirror equals the idle phone");
});

test("sync: phone restart: a repair of a batch the restarted phone can no longer show is answered as unavailable (seed=23)", () => {
  const rig = new SyncRig(23);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000 + 10_000);
  for (const bytes of phone.client.powerOff(rig.nowMs)) rig.uplink.push({ deviceId: "p1", bytes });
  phone.platform.powerOff();
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
