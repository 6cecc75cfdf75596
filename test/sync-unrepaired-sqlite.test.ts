// The live store keeps a checkpoint's "unrepaired" mark across a reopen (a
// server restart), so the restarted SyncServer still owes the phone a re-ask
// (issue 4; src/sync/repair-bookkeeping.ts markUnrepaired/reaskFromCheckpoint).
import assert from "node:assert/strict";
import { join } from "node:path";
import { test } from "node:test";
import { BlobFiles } from "../src/live/blob-files.ts";
import { openDatabase } from "../src/live/sqlite-db.ts";
import { SqliteMirrorStore } from "../src/live/sqlite-store.ts";
import type { Checkpoint } from "../src/mirror/store.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { reaskFromCheckpoint } from "../src/sync/repair-bookkeeping.ts";
import { withTempDir } from "./support/temp-dir.ts";

function withStore<T>(dir: string, fn: (store: SqliteMirrorStore) => T): T {
  const db = openDatabase(dir, { synchronousFull: false });
  try {
    return fn(new SqliteMirrorStore(db, new BlobFiles(join(dir, "blobs"), nodeSha256)));
  } finally {
    db.close();
  }
}

test("sync: repair re-ask: the SQLite store keeps a checkpoint's unrepaired digest across a reopen", () => {
  withTempDir("unrepaired", (dir) => {
    const digest = nodeSha256(new TextEncoder().encode("phone storage at batch 7"));
    const checkpoint: Checkpoint = {
      batchNo: 7,
      lastSeq: 40,
      networkConsumed: 3,
      windowEndMs: 420_000,
      poweredOff: true,
      base: { kind: "template" },
      unrepairedDigest: digest,
    };
    withStore(dir, (store) => {
      store.putDevice({ deviceId: "p1", model: "mc-phone-1", syncIntervalMs: 60_000, origin: "template" });
      store.putCheckpoint("p1", checkpoint);
      store.putDevice({ deviceId: "p2", model: "mc-phone-1", syncIntervalMs: 60_000, origin: "template" });
      store.putCheckpoint("p2", { ...checkpoint, unrepairedDigest: undefined });
    });
    withStore(dir, (store) => {
      const read = store.getCheckpoint("p1")!;
      assert.ok(read.unrepairedDigest instanceof Uint8Array);
      assert.deepEqual([...read.unrepairedDigest], [...digest]);
      const reask = reaskFromCheckpoint("p1", read)!;
      assert.equal(reask.batch.batchNo, 7);
      assert.equal(reask.batch.powerOff, true);
      assert.equal(
        reask.batch.firstSeq + reask.batch.inputs.length - 1,
        40,
        "the batch ends at the checkpoint's seq",
      );
      assert.equal(
        store.getCheckpoint("p2")!.unrepairedDigest,
        undefined,
        "an unmarked checkpoint stays unmarked",
      );
      assert.equal(reaskFromCheckpoint("p2", store.getCheckpoint("p2")!), undefined);
    });
  });
});
