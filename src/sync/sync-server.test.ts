import assert from "node:assert/strict";
import { test } from "node:test";
import { toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { SyncRig } from "../../test/support/sync-rig.ts";
import { FrameSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { type BatchData, encodeBatch } from "./batch.ts";
import { batchFrame, encodeFrame } from "./frame.ts";

/** A batch frame with no inputs; what a case does not name is a plain, valid-looking default. */
function emptyBatchFrame(
  batch: Partial<BatchData> & Pick<BatchData, "batchNo" | "firstSeq">,
  deviceId = "p1",
) {
  return batchFrame(
    encodeBatch({
      deviceId,
      windowStartMs: 1_000_000,
      windowEndMs: 1_060_000,
      inputs: [],
      networkConsumed: 0,
      storageDigest: new Uint8Array(32),
      powerOff: false,
      ...batch,
    }),
  );
}

function batchBytes(batch: Parameters<typeof emptyBatchFrame>[0], deviceId = "p1"): Uint8Array {
  return encodeFrame(emptyBatchFrame(batch, deviceId));
}

function durableState(rig: SyncRig) {
  return {
    acked: rig.server.acked("p1"),
    lastBatchNo: rig.store.lastBatchNo("p1"),
    batches: rig.store.batchesAfter("p1", 0).map((b) => Buffer.from(b.bytes).toString("hex")),
    networkCount: rig.store.networkCount("p1"),
    digest: Buffer.from(rig.mirrors.running("p1")!.digest()).toString("hex"),
  };
}

test("sync: bad frames get typed errors and leave server state unchanged", () => {
  const rig = new SyncRig(31);
  const phone = rig.addPhone("p1");
  rig.runWorkload("p1", 3 * 60_000);
  const before = durableState(rig);
  const next = rig.server.acked("p1") + 1;
  const seq = phone.client.nextSeq;
  const frame = emptyBatchFrame({
    batchNo: next,
    firstSeq: seq,
    windowStartMs: rig.nowMs,
    windowEndMs: rig.nowMs + 10,
  });
  const cases: [string, Uint8Array, string][] = [
    ["garbage", Uint8Array.of(0xff, 0xff, 0xff), "E_FRAME_MALFORMED"],
    ["wrong version", toBinary(FrameSchema, { ...frame, version: 9 }), "E_VERSION_UNSUPPORTED"],
    ["another device's id", batchBytes({ batchNo: next, firstSeq: seq }, "p2"), "E_DEVICE_MISMATCH"],
    [
      "seq gap",
      batchBytes({ batchNo: next, firstSeq: seq + 5, windowStartMs: rig.nowMs, windowEndMs: rig.nowMs + 9 }),
      "E_SEQ_GAP",
    ],
    [
      "replayed seqs",
      batchBytes({ batchNo: next, firstSeq: seq - 1, windowStartMs: rig.nowMs, windowEndMs: rig.nowMs + 9 }),
      "E_SEQ_CONFLICT",
    ],
    ["conflicting duplicate", batchBytes({ batchNo: 1, firstSeq: 1 }), "E_SEQ_CONFLICT"],
    [
      "unrecorded network input",
      batchBytes({
        batchNo: next,
        firstSeq: seq,
        windowStartMs: rig.nowMs,
        windowEndMs: rig.nowMs + 9,
        networkConsumed: 10_000,
      }),
      "E_NETWORK_INPUT_MISSING",
    ],
    [
      "window overlapping the last one",
      batchBytes({ batchNo: next, firstSeq: seq, windowStartMs: 0, windowEndMs: 9 }),
      "E_BATCH_MALFORMED",
    ],
  ];
  for (const [name, bytes, code] of cases) {
    const result = rig.server.receive("p1", bytes, rig.nowMs);
    assert.ok(!result.ok, `${name} was accepted`);
    assert.equal(result.error.code, code, name);
    assert.deepEqual(durableState(rig), before, `${name} changed state`);
  }
  const unknown = rig.server.receive("nobody", batchBytes({ batchNo: 1, firstSeq: 1 }, "nobody"), rig.nowMs);
  assert.ok(!unknown.ok && unknown.error.code === "E_DEVICE_UNKNOWN");
  // The phone is unaffected and keeps syncing.
  rig.runWorkload("p1", 6 * 60_000);
  rig.settle("p1");
  assert.ok(rig.mirrorDigestEquals("p1"));
});

test("sync: random frames never throw and never change durable state (fast-check)", () => {
  const rig = new SyncRig(33);
  rig.addPhone("p1");
  rig.runWorkload("p1", 2 * 60_000);
  const before = durableState(rig);
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const result = rig.server.receive("p1", bytes, rig.nowMs);
      if (result.ok) return; // a valid duplicate ack request is fine
      assert.match(result.error.code, /^E_/);
    }),
    { numRuns: 500 },
  );
  assert.deepEqual(durableState(rig), before);
});

test("traffic monitor: the same content delivered to 50 phones is stored once with 50 references", () => {
  const rig = new SyncRig(35);
  const payload = new TextEncoder().encode("a long chain letter ".repeat(1000));
  for (let i = 0; i < 50; i++) {
    const id = `p${i}`;
    rig.addPhone(id);
    rig.network(id, "messaging", "sms", ["from=+15550199"], payload);
  }
  const stats = rig.monitor.stats();
  assert.equal(stats.recorded, 50);
  assert.equal(stats.payloadBytes, 50 * payload.length);
  const sha = rig.store.getNetworkInput("p0", 1)!.payloadSha256;
  assert.equal(rig.store.blobRefs(sha), 50);
  assert.ok(stats.blobBytes < 2 * payload.length + 10_000, `blob bytes ${stats.blobBytes}`);
  for (let i = 0; i < 50; i++) rig.settle(`p${i}`);
  for (let i = 0; i < 50; i++) assert.ok(rig.mirrorDigestEquals(`p${i}`));
});

test("sync: notices queued on the server reach the phone with the next ack, once", () => {
  const rig = new SyncRig(37);
  const phone = rig.addPhone("p1");
  assert.ok(rig.queueText("p1", "file cached").ok);
  rig.runWorkload("p1", 2 * 60_000);
  const notices = phone.client.takeNotices();
  assert.equal(notices.length, 1);
  assert.equal(notices[0]!.kind.case, "text");
  assert.equal(phone.client.takeNotices().length, 0);
});

test("sync server: a batch whose network inputs are not all in the Traffic Monitor's log waits for them (seed=43)", () => {
  const rig = new SyncRig(43);
  const phone = rig.addPhone("p1");
  rig.network("p1", "messaging", "sms", ["from=+15550123"], new TextEncoder().encode("first"));
  assert.equal(rig.monitor.isRecorded("p1", 1), true);
  assert.equal(rig.monitor.isRecorded("p1", 2), false);
  assert.equal(rig.monitor.isRecorded("nobody", 1), false);
  // Input 2 reaches the phone, but the server's log only gets it later (a delivery racing the log).
  const late = { timeMs: rig.nowMs, app: "messaging" as const, kind: "sms", args: ["from=+15550124"] };
  const payload = new TextEncoder().encode("second");
  assert.ok(phone.platform.applyNetwork({ ...late, payload, index: 2 }).ok);
  rig.advance(3 * 60_000);
  assert.equal(rig.server.metrics("p1")!.networkInputs, 0, rig.report("p1"));
  assert.ok(
    rig.errors.length > 0 && rig.errors.every((e) => e === "E_NETWORK_INPUT_MISSING"),
    rig.report("p1"),
  );
  assert.ok(rig.monitor.deliver("p1", { ...late, payload }).ok);
  rig.settle("p1");
  assert.equal(rig.server.metrics("p1")!.networkInputs, 2, rig.report("p1"));
  assert.ok(rig.mirrorDigestEquals("p1"), rig.report("p1"));
});
