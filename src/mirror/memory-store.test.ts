import assert from "node:assert/strict";
import { test } from "node:test";
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
