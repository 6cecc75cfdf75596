import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { withTempDir } from "../../test/support/temp-dir.ts";
import { utf8 } from "../core/bytes.ts";
import { isMirrorcellError } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { MemoryMirrorStore } from "../mirror/memory-store.ts";
import type { MirrorStore } from "../mirror/store.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { BlobFiles } from "./blob-files.ts";
import { openDatabase } from "./sqlite-db.ts";
import { SqliteMirrorStore } from "./sqlite-store.ts";

function openStore(dir: string): { store: SqliteMirrorStore; close(): void } {
  const db = openDatabase(dir, { synchronousFull: false });
  const store = new SqliteMirrorStore(db, new BlobFiles(join(dir, "blobs"), nodeSha256));
  return { store, close: () => db.close() };
}

type Op =
  | { op: "batch"; device: number; windowEndMs: number }
  | { op: "network"; device: number; payload: number }
  | { op: "repair"; device: number }
  | { op: "checkpoint"; device: number }
  | { op: "release"; payload: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant("batch" as const), device: fc.nat(2), windowEndMs: fc.nat(1_000_000) }),
  fc.record({ op: fc.constant("network" as const), device: fc.nat(2), payload: fc.nat(5) }),
  fc.record({ op: fc.constant("repair" as const), device: fc.nat(2) }),
  fc.record({ op: fc.constant("checkpoint" as const), device: fc.nat(2) }),
  fc.record({ op: fc.constant("release" as const), payload: fc.nat(5) }),
);

function apply(store: MirrorStore, op: Op): void {
  const deviceId = `d${"device" in op ? op.device : 0}`;
  if (store.getDevice(deviceId) === undefined) {
    store.putDevice({ deviceId, model: "m1", syncIntervalMs: 1000, origin: "template" });
  }
  if (op.op === "batch") {
    const batchNo = store.lastBatchNo(deviceId) + 1;
    store.appendBatch(deviceId, {
      batchNo,
      lastSeq: batchNo * 3,
      windowEndMs: op.windowEndMs,
      bytes: utf8(`b${batchNo}`),
    });
  } else if (op.op === "network") {
    const payload = utf8(`payload-${op.payload}`);
    const sha = nodeSha256(payload);
    store.transaction(() => {
      store.putBlob(sha, payload);
      store.retainBlob(sha);
      const index = store.networkCount(deviceId) + 1;
      store.appendNetworkInput(deviceId, {
        index,
        timeMs: index,
        app: "browser",
        kind: "page",
        args: ["u", `${index}`],
        payloadSha256: sha,
        size: payload.length,
      });
    });
  } else if (op.op === "repair") {
    store.appendRepair(deviceId, {
      afterBatchNo: store.lastBatchNo(deviceId),
      ops: [
        { path: "/a", kind: "file", sha256: nodeSha256(utf8("a")) },
        { path: "/b", kind: "absent" },
      ],
    });
  } else if (op.op === "checkpoint") {
    const batchNo = store.lastBatchNo(deviceId);
    store.putCheckpoint(deviceId, {
      batchNo,
      lastSeq: batchNo * 3,
      networkConsumed: store.networkCount(deviceId),
      windowEndMs: 5,
      poweredOff: batchNo % 2 === 0,
      base: {
        kind: "manifest",
        files: [{ path: "/x", size: 1, sha256: nodeSha256(utf8("x")) }],
        emptyDirs: ["/e"],
      },
    });
  } else {
    const sha = nodeSha256(utf8(`payload-${op.payload}`));
    if (store.blobRefs(sha) > 0) store.releaseBlob(sha);
  }
}

function observe(store: MirrorStore) {
  // The port promises no order of listDevices: compare by id.
  const devices = store.listDevices().sort((a, b) => a.deviceId.localeCompare(b.deviceId));
  return devices.map((d) => ({
    d,
    last: store.lastBatchNo(d.deviceId),
    batches: store.batchesAfter(d.deviceId, 0),
    // Replay's range reads, across a pruned head and past the last batch.
    ranges: Array.from({ length: Math.ceil((store.lastBatchNo(d.deviceId) + 2) / 3) }, (_, i) =>
      store.batchesBetween(d.deviceId, 1 + 3 * i, 3 + 3 * i).map((b) => b.batchNo),
    ),
    net: store.networkCount(d.deviceId),
    nets: Array.from({ length: store.networkCount(d.deviceId) }, (_, i) =>
      store.getNetworkInput(d.deviceId, i + 1),
    ),
    repairs: store.repairsAfter(d.deviceId, 0),
    checkpoint: store.getCheckpoint(d.deviceId),
    blobs: store.blobStats(),
  }));
}

test("live: sqlite store: random operation sequences observe the same as the in-memory store, also after reopen", () => {
  fc.assert(
    fc.property(fc.array(opArb, { maxLength: 40 }), (ops) => {
      withTempDir("store", (dir) => {
        const memory = new MemoryMirrorStore();
        const first = openStore(dir);
        for (const op of ops) {
          apply(memory, op);
          apply(first.store, op);
        }
        assert.deepEqual(observe(first.store), observe(memory));
        first.close();
        const reopened = openStore(dir);
        assert.deepEqual(observe(reopened.store), observe(memory));
        reopened.store.verifyBlobs();
        reopened.close();
      });
    }),
    { numRuns: 40 },
  );
});

/** A payload of `size` bytes, distinct per label. */
function payloadOf(label: string, size: number): Uint8Array {
  const bytes = new Uint8Array(size);
  const head = utf8(label);
  for (let i = 0; i < size; i++) bytes[i] = head[i % head.length]! ^ (i & 0xff);
  return bytes;
}

const fileSized = limits.blobInlineBytesMax + 1;

/** Stores `payload` as a retained blob in a fresh store at `dir` and closes it; returns its hash. */
function storeRetainedBlob(dir: string, payload: Uint8Array): Uint8Array {
  const first = openStore(dir);
  const sha = nodeSha256(payload);
  first.store.putBlob(sha, payload);
  first.store.retainBlob(sha);
  first.close();
  return sha;
}

/** Reopens the store: the start-up check and a read of `sha` both fail with BLOB_CORRUPT. */
function assertCorruptOnReopen(dir: string, sha: Uint8Array): void {
  const reopened = openStore(dir);
  try {
    assert.throws(
      () => reopened.store.verifyBlobs(),
      (e) => isMirrorcellError(e) && e.code === "E_BLOB_CORRUPT",
    );
    assert.throws(
      () => reopened.store.getBlob(sha),
      (e) => isMirrorcellError(e) && e.code === "E_BLOB_CORRUPT",
    );
  } finally {
    reopened.close();
  }
}

test("live: sqlite store: a corrupted blob file is a clear BLOB_CORRUPT error at start, not garbage", () => {
  withTempDir("store", (dir) => {
    const sha = storeRetainedBlob(dir, payloadOf("a package the mirror needs", fileSized));
    writeFileSync(new BlobFiles(join(dir, "blobs"), nodeSha256).pathOf(sha), "flipped bits");
    assertCorruptOnReopen(dir, sha);
  });
});

test("live: sqlite store: a blob up to blobInlineBytesMax lives in its row (no file), a larger one in a file; both read back", () => {
  withTempDir("store", (dir) => {
    const first = openStore(dir);
    const small = payloadOf("small", limits.blobInlineBytesMax);
    const large = payloadOf("large", fileSized);
    for (const payload of [small, large]) {
      first.store.putBlob(nodeSha256(payload), payload);
      first.store.retainBlob(nodeSha256(payload));
    }
    first.store.putBlob(nodeSha256(small), small); // again: no change
    first.close();
    const files = new BlobFiles(join(dir, "blobs"), nodeSha256);
    assert.equal(files.has(nodeSha256(small)), false, "the small blob has no file");
    assert.equal(files.has(nodeSha256(large)), true, "the large blob is a file");
    const reopened = openStore(dir);
    assert.deepEqual(reopened.store.verifyBlobs(), { verified: 2, collected: 0 });
    assert.deepEqual(reopened.store.getBlob(nodeSha256(small)), small);
    assert.deepEqual(reopened.store.getBlob(nodeSha256(large)), large);
    assert.deepEqual(reopened.store.blobStats(), { blobs: 2, bytes: small.length + large.length });
    reopened.close();
  });
});

test("live: sqlite store: a corrupted inline blob is BLOB_CORRUPT at start and on read, not garbage", () => {
  withTempDir("store", (dir) => {
    const sha = storeRetainedBlob(dir, utf8("a draft the mirror keeps"));
    const db = openDatabase(dir, { synchronousFull: false });
    db.prepare("UPDATE blob_refs SET bytes = ? WHERE sha256 = ?").run(utf8("bit rot"), sha);
    db.close();
    assertCorruptOnReopen(dir, sha);
  });
});

test("live: sqlite store: a database from before inline blobs opens, keeps its blob files, stores new small blobs inline", () => {
  withTempDir("store", (dir) => {
    const old = payloadOf("stored as a file by an older server", 100);
    const sha = nodeSha256(old);
    const db = openDatabase(dir, { synchronousFull: false });
    db.exec(
      "CREATE TABLE blob_refs (sha256 BLOB PRIMARY KEY, refs INTEGER NOT NULL, size INTEGER NOT NULL) STRICT, WITHOUT ROWID",
    );
    db.prepare("INSERT INTO blob_refs (sha256, refs, size) VALUES (?, 1, ?)").run(sha, old.length);
    db.close();
    new BlobFiles(join(dir, "blobs"), nodeSha256).put(old);
    const reopened = openStore(dir);
    assert.deepEqual(reopened.store.verifyBlobs(), { verified: 1, collected: 0 });
    assert.deepEqual(reopened.store.getBlob(sha), old);
    const fresh = utf8("new and small");
    reopened.store.putBlob(nodeSha256(fresh), fresh);
    assert.deepEqual(reopened.store.getBlob(nodeSha256(fresh)), fresh);
    assert.equal(new BlobFiles(join(dir, "blobs"), nodeSha256).has(nodeSha256(fresh)), false);
    reopened.close();
  });
});

test("live: sqlite store: a batch appended from a view of a reused read buffer reads back as appended, in memory of its own", () => {
  withTempDir("store", (dir) => {
    const { store, close } = openStore(dir);
    try {
      store.putDevice({ deviceId: "d1", model: "m1", syncIntervalMs: 1000, origin: "template" });
      const read = new Uint8Array(64 * 1024).fill(3);
      const appended = read.subarray(500, 500 + 3_600);
      appended.fill(0x5a);
      store.appendBatch("d1", { batchNo: 1, lastSeq: 2, windowEndMs: 10, bytes: appended });
      read.fill(0); // the socket's buffer is reused for the next read
      const stored = store.getBatch("d1", 1);
      assert.ok(stored !== undefined);
      assert.deepEqual(stored.bytes, new Uint8Array(3_600).fill(0x5a), "the store kept its own copy");
      assert.equal(Object.getPrototypeOf(stored.bytes), Uint8Array.prototype, "a plain Uint8Array");
      assert.equal(stored.bytes.buffer.byteLength, 3_600, "it pins no larger buffer");
      assert.notEqual(store.getBatch("d1", 1)!.bytes.buffer, stored.bytes.buffer, "each read is its own");
    } finally {
      close();
    }
  });
});
