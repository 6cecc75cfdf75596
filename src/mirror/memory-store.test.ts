import assert from "node:assert/strict";
import { test } from "node:test";
import { slabBytes } from "../core/byte-slab.ts";
import { limits } from "../core/limits.ts";
import { MemoryMirrorStore } from "./memory-store.ts";

const batch = (batchNo: number) => ({
  batchNo,
  lastSeq: batchNo * 10,
  windowEndMs: batchNo,
  bytes: new Uint8Array([batchNo]),
});

function storeWithDevice(groupCommit: boolean): MemoryMirrorStore {
  const store = new MemoryMirrorStore({ groupCommit });
  store.putDevice({ deviceId: "d", model: "m", syncIntervalMs: 60_000, origin: "template" });
  return store;
}

test("mirror store: group commit: a crash loses batches appended since the last commit, and repairs after them", () => {
  const store = storeWithDevice(true);
  store.appendBatch("d", batch(1));
  store.appendBatch("d", batch(2));
  assert.equal(store.durableBatchNo("d"), 0);
  assert.deepEqual(store.commit(), ["d"]);
  assert.equal(store.durableBatchNo("d"), 2);
  store.appendBatch("d", batch(3));
  store.appendRepair("d", { afterBatchNo: 3, ops: [] });
  store.appendBatch("d", batch(4));
  assert.equal(store.durableBatchNo("d"), 2);
  assert.equal(store.loseUncommitted(), 2);
  assert.equal(store.lastBatchNo("d"), 2);
  assert.deepEqual(
    store.batchesAfter("d", 0).map((b) => b.batchNo),
    [1, 2],
  );
  assert.deepEqual(store.repairsAfter("d", 0), []);
  store.appendBatch("d", batch(3)); // the phone resends it: appended again after the durable log
  assert.equal(store.lastBatchNo("d"), 3);
});

test("mirror store: group commit: a checkpoint covering an uncommitted batch keeps it durable", () => {
  const store = storeWithDevice(true);
  store.appendBatch("d", batch(1));
  store.putCheckpoint("d", {
    batchNo: 1,
    lastSeq: 10,
    networkConsumed: 0,
    windowEndMs: 1,
    poweredOff: false,
    base: { kind: "template" },
  });
  store.appendBatch("d", batch(2));
  assert.equal(store.loseUncommitted(), 1);
  assert.equal(store.lastBatchNo("d"), 1);
});

test("mirror store: without group commit every append is durable at once", () => {
  const store = storeWithDevice(false);
  store.appendBatch("d", batch(1));
  assert.equal(store.durableBatchNo("d"), 1);
  assert.equal(store.loseUncommitted(), 0);
  assert.equal(store.lastBatchNo("d"), 1);
});

test("mirror store: putAndRetainBlob stores a blob once and adds one reference per call", () => {
  const store = storeWithDevice(false);
  const sha = new Uint8Array(32).fill(7);
  const frame = new Uint8Array([9, 1, 2, 3, 9]);
  store.putAndRetainBlob(sha, frame.subarray(1, 4));
  store.putAndRetainBlob(sha, new Uint8Array([1, 2, 3]));
  assert.equal(store.blobRefs(sha), 2);
  assert.deepEqual(store.blobStats(), { blobs: 1, bytes: 3 });
  const kept = store.getBlob(sha)!;
  assert.deepEqual([...kept], [1, 2, 3]);
  assert.equal(kept.buffer.byteLength, 3, "a view of a larger buffer is copied, not pinned");
  store.releaseBlob(sha);
  store.releaseBlob(sha);
  assert.equal(store.hasBlob(sha), false);
  assert.deepEqual(store.blobStats(), { blobs: 0, bytes: 0 });
});

test("mirror store: a network record comes back with its payload hash and a copy of its args", () => {
  const store = storeWithDevice(false);
  const sha = Uint8Array.from({ length: 32 }, (_, i) => 255 - i * 7);
  const args = ["from=alice"];
  store.appendNetworkInput("d", {
    index: 1,
    timeMs: 5,
    app: "messaging",
    kind: "sms",
    args,
    payloadSha256: sha,
    size: 3,
  });
  args[0] = "from=mallory";
  sha.fill(0);
  const got = store.getNetworkInput("d", 1)!;
  assert.deepEqual(got, {
    index: 1,
    timeMs: 5,
    app: "messaging",
    kind: "sms",
    args: ["from=alice"],
    payloadSha256: Uint8Array.from({ length: 32 }, (_, i) => 255 - i * 7),
    size: 3,
  });
  assert.equal(store.hasNetworkInput("d", 1), true);
  assert.equal(store.hasNetworkInput("d", 2), false);
  assert.equal(store.hasNetworkInput("unknown", 1), false);
  assert.equal(store.getNetworkInput("d", 2), undefined);
});

test("mirror store: a device record is handed out frozen and replaced by putDevice", () => {
  const store = storeWithDevice(false);
  const record = store.getDevice("d")!;
  assert.ok(Object.isFrozen(record));
  assert.throws(() => {
    (record as { model: string }).model = "x";
  });
  store.putDevice({ ...record, syncIntervalMs: 1_000 });
  assert.equal(store.getDevice("d")!.syncIntervalMs, 1_000);
  assert.equal(record.syncIntervalMs, 60_000, "a record handed out earlier does not change");
  assert.deepEqual(store.listDevices(), [
    { deviceId: "d", model: "m", syncIntervalMs: 1_000, origin: "template" },
  ]);
});

test("mirror store: a payload carved from a slab is kept as it is and keeps its bytes while later slab views are filled", () => {
  const store = storeWithDevice(false);
  const sha = new Uint8Array(32).fill(8);
  const payload = slabBytes(200).fill(0x5a);
  store.putAndRetainBlob(sha, payload);
  for (let i = 0; i < 200; i++) slabBytes(150).fill(0xff);
  const kept = store.getBlob(sha)!;
  assert.equal(kept, payload, "a slab view is not copied (it pins one small slab)");
  assert.ok(kept.every((b) => b === 0x5a));
});

test("mirror store: a network record after putAndRetainBlob names its own hash, whether or not it is the blob's array", () => {
  const store = storeWithDevice(false);
  const stored = new Uint8Array(32).fill(1);
  const other = new Uint8Array(32).fill(2);
  const record = { timeMs: 0, app: "browser" as const, kind: "page", args: [], size: 1 };
  store.putAndRetainBlob(stored, new Uint8Array([5]));
  store.appendNetworkInput("d", { ...record, index: 1, payloadSha256: stored });
  store.appendNetworkInput("d", { ...record, index: 2, payloadSha256: other });
  assert.deepEqual(store.getNetworkInput("d", 1)!.payloadSha256, new Uint8Array(32).fill(1));
  assert.deepEqual(store.getNetworkInput("d", 2)!.payloadSha256, new Uint8Array(32).fill(2));
  assert.deepEqual([...store.getBlob(store.getNetworkInput("d", 1)!.payloadSha256)!], [5]);
});

test("mirror store: getBlob of a network record's hash finds that hash's blob, also after the caller changed the array", () => {
  const store = storeWithDevice(false);
  const first = new Uint8Array(32).fill(1);
  const second = new Uint8Array(32).fill(2);
  const record = { timeMs: 0, app: "browser" as const, kind: "page", args: [], size: 1 };
  store.putAndRetainBlob(first, new Uint8Array([5]));
  store.putAndRetainBlob(second, new Uint8Array([6]));
  store.appendNetworkInput("d", { ...record, index: 1, payloadSha256: first });
  const hash = store.getNetworkInput("d", 1)!.payloadSha256;
  assert.deepEqual([...store.getBlob(hash)!], [5]);
  hash.fill(2);
  assert.deepEqual([...store.getBlob(hash)!], [6], "the changed array names the other blob");
  hash[31] = 9;
  assert.equal(store.getBlob(hash), undefined, "a hash of no blob");
  assert.deepEqual(
    [...store.getBlob(new Uint8Array(32).fill(1))!],
    [5],
    "an equal array that is not the record's",
  );
});

test("mirror store: batchesBetween gives the stored batches of a number range in order, none pruned or past the end", () => {
  const store = storeWithDevice(false);
  for (let batchNo = 1; batchNo <= 6; batchNo++) store.appendBatch("d", batch(batchNo));
  const range = (first: number, last: number) => store.batchesBetween("d", first, last).map((b) => b.batchNo);
  assert.deepEqual(range(2, 4), [2, 3, 4]);
  assert.deepEqual(range(5, 9), [5, 6]);
  assert.deepEqual(range(7, 8), []);
  assert.deepEqual(range(3, 2), [], "an empty range");
  assert.deepEqual(store.batchesBetween("d", 4, 4), [batch(4)], "the batch as appended");
  store.putCheckpoint("d", {
    batchNo: 3,
    lastSeq: 30,
    networkConsumed: 0,
    windowEndMs: 3,
    poweredOff: false,
    base: { kind: "template" },
  });
  assert.deepEqual(range(1, 5), [4, 5], "the checkpoint pruned 1..3");
  assert.throws(() => store.batchesBetween("d", 1, 1 + limits.replayReadBatchesMax), /a bounded batch range/);
});
