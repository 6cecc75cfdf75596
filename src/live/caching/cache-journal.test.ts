import assert from "node:assert/strict";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import { bytesEqual, toHex } from "../../core/bytes.ts";
import { SeededRng } from "../../core/rng.ts";
import { nodeSha256 } from "../../node/sha256.ts";
import { CacheStore } from "../../services/caching/cache-store.ts";
import { tempDataDir } from "../live-harness.ts";
import { openDatabase } from "../sqlite-db.ts";
import { SqliteCacheJournal } from "./cache-journal.ts";

const hourMs = 3_600_000;

test("caching journal: the server holds no cached file in memory: a fetch reads the bytes back from cache-blobs (a file corrupted or gone on disk is E_BLOB_CORRUPT, not stale bytes from RAM), also after a restart", () => {
  const data = tempDataDir("cache-journal-read");
  const db = openDatabase(data.dir, { synchronousFull: false });
  try {
    const journal = new SqliteCacheJournal(db, data.dir, nodeSha256, { fsync: false });
    const store = new CacheStore(nodeSha256, journal);
    const bytes = new SeededRng(3).bytes(300 * 1024);
    const put = db.transaction(() =>
      store.put("p1", { url: "http://h/f", name: "f.bin", payload: bytes }, 0, hourMs),
    )();
    assert.ok(put.ok);
    const got = store.get("p1", put.value.cacheId, 1);
    assert.ok(got.ok && bytesEqual(got.value.payload, bytes), "the bytes, read from their file");
    assert.equal(store.stats().blobBytes, bytes.length, "quota accounting still counts them");
    const hex = toHex(put.value.sha256);
    const file = join(data.dir, "cache-blobs", hex.slice(0, 2), hex);
    writeFileSync(file, "bit rot");
    const rotten = store.get("p1", put.value.cacheId, 1);
    assert.ok(!rotten.ok && rotten.error.code === "E_BLOB_CORRUPT", "no copy in memory to fall back on");
    writeFileSync(file, bytes);
    // A restarted server: the journal verifies every file and hands no bytes over.
    const restored = journal.load();
    assert.equal(restored.entries.length, 1);
    assert.equal(restored.entries[0]!.payload, undefined, "no payload kept at restore");
    const restarted = new CacheStore(nodeSha256, journal);
    restarted.restore(restored);
    const again = restarted.get("p1", put.value.cacheId, 2);
    assert.ok(again.ok && bytesEqual(again.value.payload, bytes), "read back after the restart");
    rmSync(file);
    const gone = restarted.get("p1", put.value.cacheId, 2);
    assert.ok(!gone.ok && gone.error.code === "E_BLOB_CORRUPT");
  } finally {
    db.close();
    data.remove();
  }
});

test("caching journal: a store without a reading journal keeps the bytes itself (simulator, tests)", () => {
  const entries: unknown[] = [];
  const store = new CacheStore(nodeSha256, { cached: (e) => entries.push(e), expired: () => undefined });
  const bytes = new SeededRng(4).bytes(1000);
  const put = store.put("p1", { url: "http://h/f", name: "f", payload: bytes }, 0, hourMs);
  assert.ok(put.ok && entries.length === 1);
  const got = store.get("p1", put.value.cacheId, 1);
  assert.ok(got.ok && bytesEqual(got.value.payload, bytes));
});
