// Issue 6 "Must show": content the mirror server records on the mirror path
// (MMS Fig 7, web Fig 9, email) reaches the mirror through replay, and the
// mirror's storage equals the phone's afterwards. The phone applies what it
// received over the air; the Traffic Monitor records what the mirror server
// recorded; the sync engine replays it in the phone's order. Divergence
// repair must not be needed: equality has to come from replay alone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { bytesEqual } from "../src/core/bytes.ts";
import { type FlowName, runFlow } from "../src/network/index.ts";
import { SyncRig } from "./support/sync-rig.ts";

function deliverFlow(rig: SyncRig, deviceId: string, flow: FlowName, seed: number, skipRecord = false) {
  const result = runFlow(flow, { mirror: true, seed, rounds: 2 });
  assert.deepEqual(result.errors, []);
  assert.equal(result.receiver, deviceId);
  assert.equal(result.recorded.length, 2);
  const phone = rig.phone(deviceId);
  const baseMs = rig.nowMs;
  for (const [i, received] of result.received.entries()) {
    const recorded = result.recorded[i]!;
    rig.advance(Math.max(0, baseMs + received.timeMs - rig.nowMs));
    rig.tickPhone(phone);
    let index = phone.platform.networkConsumed + 1;
    if (!skipRecord) {
      // The mirror server's record goes to the Traffic Monitor; the phone applies what it got over the air.
      const logged = rig.monitor.deliver(deviceId, { ...recorded.input, timeMs: rig.nowMs });
      assert.ok(logged.ok, logged.ok ? "" : logged.error.message);
      index = logged.value.index;
    }
    const applied = phone.platform.applyNetwork({ ...received, timeMs: rig.nowMs, index });
    assert.ok(applied.ok, applied.ok ? "" : applied.error.message);
  }
  return result;
}

function fileNamesUnder(rig: SyncRig, deviceId: string, dir: string): string[] {
  const listed = rig.phone(deviceId).platform.storage.list(dir);
  return listed.ok ? listed.value : [];
}

test("network: MMS recorded by the mirror server reaches the mirror through replay; storage equals the phone's (seed=42)", () => {
  const rig = new SyncRig(42);
  rig.addPhone("mobile2");
  rig.runWorkload("mobile2", 2 * 60_000);
  const result = deliverFlow(rig, "mobile2", "mms", 42);
  rig.advance(2_000);
  const first = fileNamesUnder(rig, "mobile2", "/data/mms/alice").find((name) =>
    name.endsWith("-mms0001.jpg"),
  );
  assert.ok(first, "the phone stored the MMS");
  const recordedBefore = rig.phone("mobile2").recorded;
  rig.user("mobile2", "mms", { kind: "action", name: "save", args: ["from=alice", `name=${first}`] });
  assert.equal(rig.phone("mobile2").recorded, recordedBefore + 1, "the phone accepted the save");
  rig.runWorkload("mobile2", rig.nowMs + 2 * 60_000);
  rig.settle("mobile2");
  const metrics = rig.server.metrics("mobile2")!;
  assert.deepEqual(rig.errors, []);
  assert.equal(metrics.divergences, 0, "equal by replay, not by repair");
  assert.ok(rig.mirrorDigestEquals("mobile2"), "mirror digest equals phone digest");
  const mirror = rig.mirrors.running("mobile2");
  assert.ok(mirror, "mirror running");
  const stored = fileNamesUnder(rig, "mobile2", "/data/mms/alice").filter((name) =>
    /-mms000[12]\.jpg$/.test(name),
  );
  assert.equal(stored.length, 2, `both MMS stored on the phone: ${stored.join(", ")}`);
  for (const name of stored) {
    const onMirror = mirror.storage.readFile(`/data/mms/alice/${name}`);
    assert.ok(onMirror.ok, `mirror has /data/mms/alice/${name}`);
    assert.ok(
      bytesEqual(onMirror.value, result.recorded[0]!.input.payload),
      "the mirror holds the recorded media",
    );
  }
  const saved = mirror.storage.readFile(`/sdcard/Pictures/${first}`);
  assert.ok(
    saved.ok && bytesEqual(saved.value, result.received[0]!.payload),
    "the user's save replayed after the MMS",
  );
});

test("network: web page and email recorded on the mirror path replay into the mirror (seed=7)", () => {
  const rig = new SyncRig(7);
  rig.addPhone("mobile1");
  rig.runWorkload("mobile1", 60_000);
  deliverFlow(rig, "mobile1", "web", 7);
  rig.runWorkload("mobile1", rig.nowMs + 30_000);
  deliverFlow(rig, "mobile1", "email", 7);
  rig.runWorkload("mobile1", rig.nowMs + 60_000);
  rig.settle("mobile1");
  assert.deepEqual(rig.errors, []);
  assert.equal(rig.server.metrics("mobile1")!.divergences, 0);
  assert.ok(rig.mirrorDigestEquals("mobile1"));
  assert.ok(
    fileNamesUnder(rig, "mobile1", "/data/browser/cache").length >= 1,
    "the page landed in the browser cache",
  );
  assert.ok(
    fileNamesUnder(rig, "mobile1", "/data/email/inbox").length >= 2,
    "the emails landed in the inbox",
  );
});

test("network: without the mirror server's record the mirror cannot follow the phone (control)", () => {
  const rig = new SyncRig(42);
  rig.addPhone("mobile2");
  rig.runWorkload("mobile2", 60_000);
  deliverFlow(rig, "mobile2", "mms", 42, true);
  rig.advance(1_000);
  const first = fileNamesUnder(rig, "mobile2", "/data/mms/alice").find((name) =>
    name.endsWith("-mms0001.jpg"),
  );
  rig.user("mobile2", "mms", { kind: "action", name: "save", args: ["from=alice", `name=${first}`] });
  rig.settle("mobile2");
  assert.ok(
    rig.errors.includes("E_NETWORK_INPUT_MISSING"),
    `the server notices the missing input: ${rig.errors}`,
  );
  assert.ok(!rig.mirrorDigestEquals("mobile2"), "and the mirror does not look in sync");
});
