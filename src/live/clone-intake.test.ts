import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { bytesEqual, toHex } from "../core/bytes.ts";
import { SeededRng } from "../core/rng.ts";
import {
  CloneBlobSchema,
  CloneFileSchema,
  type CloneOffer,
  CloneOfferSchema,
  HelloSchema,
} from "../gen/mirrorcell/v1/sync_pb.ts";
import { MemoryMirrorStore } from "../mirror/memory-store.ts";
import { MirrorServer } from "../mirror/mirror-server.ts";
import { platformFactory } from "../mirror/platform-adapter.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { Platform, publicLevelKey, seededNondet } from "../platform/index.ts";
import { SyncServer } from "../sync/sync-server.ts";
import { TrafficMonitor } from "../sync/traffic-monitor.ts";
import { CloneIntake } from "./clone-intake.ts";

const model = "mc-phone-1";

/** A mirror server with one registered device whose mirror has history (one recorded network input). */
function usedMirror() {
  const mirrors = new MirrorServer({
    store: new MemoryMirrorStore(),
    platforms: platformFactory(nodeSha256, { levelKeyOf: () => publicLevelKey }),
    sha256: nodeSha256,
  });
  const monitor = new TrafficMonitor(mirrors, nodeSha256);
  const server = new SyncServer({ mirrors, monitor, sha256: nodeSha256 });
  const intake = new CloneIntake(mirrors, server);
  assert.ok(mirrors.register("d1", model).ok);
  return { mirrors, monitor, server, intake };
}

/** A phone used without a mirror: photos the server has never seen. */
function usedPhone(): Platform {
  let now = 1_000;
  const phone = Platform.create({
    mode: "phone",
    deviceId: "d1",
    model,
    sha256: nodeSha256,
    levelKey: publicLevelKey,
    nondet: seededNondet({ rng: new SeededRng(5), clock: { nowMs: () => now }, cameraBytes: 5_000 }),
  });
  for (let seq = 1; seq <= 6; seq++) {
    now += 1_000;
    const shot = phone.applyUser({
      seq,
      timeMs: now,
      app: "camera",
      body: { kind: "action", name: "shoot", args: [] },
    });
    assert.ok(shot.ok, shot.ok ? "" : shot.error.message);
  }
  return phone;
}

function offerOf(
  phone: Platform,
  at: { batchNo: number; lastSeq: number; networkConsumed: number },
): CloneOffer {
  const files = [...phone.storage.walk()];
  return create(CloneOfferSchema, {
    batchNo: BigInt(at.batchNo),
    lastSeq: BigInt(at.lastSeq),
    networkConsumed: BigInt(at.networkConsumed),
    windowEndMs: 10_000n,
    storageDigest: phone.digest(),
    files: files.map((f) =>
      create(CloneFileSchema, { path: f.path, sha256: f.sha256, size: BigInt(f.size) }),
    ),
    emptyDirs: phone.storage.emptyDirs(),
  });
}

/** A network input the server records for d1 (its mirror is then used). */
const incomingSms = {
  timeMs: 5,
  app: "messaging" as const,
  kind: "sms",
  args: ["+1555", "hi"],
  payload: new Uint8Array(3),
};

const hello = (fields: {
  freshState?: boolean;
  lastBatchNo?: bigint;
  ackedBatchNo?: bigint;
  networkConsumed?: bigint;
}) => create(HelloSchema, { deviceId: "d1", model, ...fields });

test("live: clone intake: a fresh phone state over a used mirror must re-clone it; an unused mirror or the state it follows need not", () => {
  const { monitor, intake } = usedMirror();
  assert.equal(intake.required("d1", hello({ freshState: true, lastBatchNo: 0n })), false, "unused mirror");
  assert.ok(monitor.deliver("d1", incomingSms).ok);
  assert.equal(
    intake.required("d1", hello({ freshState: true, lastBatchNo: 0n })),
    true,
    "used mirror, fresh phone",
  );
  assert.equal(
    intake.required("d1", hello({ freshState: false, lastBatchNo: 0n })),
    false,
    "the state it follows",
  );
  assert.equal(
    intake.required("d1", undefined),
    false,
    "a Hello without state fields never triggers a clone",
  );
  assert.deepEqual(intake.head("d1"), { ackedBatchNo: 0, ackedLastSeq: 0, networkRecorded: 1 });
});

test("live: clone intake: offer, missing blobs in chunks, done: the mirror equals the phone; bad offers and chunks are refused with clear errors", () => {
  const { mirrors, monitor, intake } = usedMirror();
  assert.ok(monitor.deliver("d1", incomingSms).ok);
  const phone = usedPhone();
  const wrongBatch = intake.offer(
    "d1",
    model,
    offerOf(phone, { batchNo: 4, lastSeq: 0, networkConsumed: 1 }),
  );
  assert.ok(
    !wrongBatch.ok && wrongBatch.error.code === "E_SEQ_CONFLICT",
    "an offer must continue the mirror",
  );
  const ahead = intake.offer("d1", model, offerOf(phone, { batchNo: 0, lastSeq: 0, networkConsumed: 2 }));
  assert.ok(!ahead.ok && ahead.error.code === "E_NETWORK_INPUT_MISSING");
  const offered = intake.offer("d1", model, offerOf(phone, { batchNo: 0, lastSeq: 0, networkConsumed: 1 }));
  assert.ok(offered.ok, offered.ok ? "" : offered.error.message);
  const need = offered.value[0]!.body;
  assert.ok(need.case === "cloneNeed");
  const missing = need.value.missing;
  const photoShas = new Set(
    [...phone.storage.walk()].filter((f) => f.path.includes("DCIM")).map((f) => toHex(f.sha256)),
  );
  assert.deepEqual(
    new Set(missing.map(toHex)),
    photoShas,
    "exactly the phone's own photos travel, each blob once, never template blobs",
  );
  assert.equal(mirrors.status("d1"), "cloning");
  assert.equal(
    intake.required("d1", hello({ freshState: false })),
    true,
    "an interrupted clone starts again",
  );
  const chunk = (sha: Uint8Array, offset: number, data: Uint8Array) =>
    intake.blob("d1", create(CloneBlobSchema, { sha256: sha, offset: BigInt(offset), data }));
  const first = phone.storage.blob(missing[0]!)!;
  const skipped = chunk(missing[0]!, 100, first.subarray(100, 200));
  assert.ok(!skipped.ok && skipped.error.code === "E_BLOB_CORRUPT", "chunks arrive in offset order");
  const stranger = chunk(new Uint8Array(32), 0, new Uint8Array(1));
  assert.ok(!stranger.ok && stranger.error.code === "E_BLOB_CORRUPT", "only requested blobs");
  let done: ReturnType<typeof chunk> | undefined;
  for (const sha of missing) {
    const blob = phone.storage.blob(sha)!;
    for (let offset = 0; offset < blob.length; offset += 2_000) {
      done = chunk(sha, offset, blob.subarray(offset, offset + 2_000));
      assert.ok(done.ok, done.ok ? "" : done.error.message);
    }
  }
  assert.ok(done?.ok && done.value[0]?.body.case === "cloneDone", "the last chunk completes the clone");
  assert.equal(mirrors.status("d1"), "running");
  assert.ok(bytesEqual(mirrors.running("d1")!.digest(), phone.digest()), "mirror digest == phone digest");
  assert.equal(intake.clonesCompleted, 1);
  assert.equal(intake.required("d1", hello({ freshState: false, lastBatchNo: 0n })), false);
  const late = chunk(missing[0]!, 0, first);
  assert.ok(!late.ok && late.error.code === "E_MIRROR_UNKNOWN", "no clone in progress any more");
});

test("live: clone intake: a phone that holds acked batches or consumed network inputs the server lacks (server wiped or rolled back) must re-clone, even an unused mirror", () => {
  const { monitor, intake } = usedMirror();
  const follows = { freshState: false, lastBatchNo: 3n, ackedBatchNo: 0n, networkConsumed: 0n };
  assert.equal(intake.required("d1", hello(follows)), false, "unacked batches beyond the server's: resent");
  assert.equal(intake.historyLost("d1", hello(follows)), false);
  const acked = { ...follows, ackedBatchNo: 2n };
  assert.equal(intake.historyLost("d1", hello(acked)), true, "the server acked batch 2 once and lost it");
  assert.equal(intake.required("d1", hello(acked)), true, "an unused (wiped) mirror is re-cloned too");
  const consumed = { ...follows, networkConsumed: 1n };
  assert.equal(intake.required("d1", hello(consumed)), true, "a network input the server never recorded");
  assert.ok(monitor.deliver("d1", incomingSms).ok);
  assert.equal(
    intake.required("d1", hello(consumed)),
    false,
    "recorded now: the mirror can follow by replay",
  );
  assert.equal(
    intake.historyLost("d1", hello({ freshState: false })),
    false,
    "older phones send neither field",
  );
});

test("live: clone intake: a clone cut short by a server restart on an unused (wiped) mirror is asked for again: the phone's fresh state is not the template's", () => {
  const { mirrors, intake } = usedMirror();
  const phone = usedPhone();
  const offered = intake.offer("d1", model, offerOf(phone, { batchNo: 0, lastSeq: 0, networkConsumed: 0 }));
  assert.ok(offered.ok && offered.value[0]?.body.case === "cloneNeed", "blobs asked for");
  // The server restarts before the blobs arrive: the pending clone is gone, the device record says "clone".
  const restarted = new MirrorServer({
    store: mirrors.store,
    platforms: platformFactory(nodeSha256, { levelKeyOf: () => publicLevelKey }),
    sha256: nodeSha256,
  });
  const server = new SyncServer({
    mirrors: restarted,
    monitor: new TrafficMonitor(restarted, nodeSha256),
    sha256: nodeSha256,
  });
  const again = new CloneIntake(restarted, server);
  assert.notEqual(restarted.status("d1"), "cloning");
  const rebased = { freshState: true, lastBatchNo: 0n, ackedBatchNo: 0n, networkConsumed: 0n };
  assert.equal(again.historyLost("d1", hello(rebased)), false, "nothing lost: the numbering is the server's");
  assert.equal(again.required("d1", hello(rebased)), true, "the mirror still waits for its clone");
});
