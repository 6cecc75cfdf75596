import assert from "node:assert/strict";
import { test } from "node:test";
import { utf8 } from "../../core/bytes.ts";
import { limits } from "../../core/limits.ts";
import { nodeSha256 } from "../../node/sha256.ts";
import { type CacheEntry, CacheStore, type Tombstone } from "./cache-store.ts";

const hourMs = 3_600_000;

test("caching: store: the same file cached for many devices is stored once", () => {
  const store = new CacheStore(nodeSha256);
  const payload = utf8("x".repeat(1000));
  for (let i = 0; i < 100; i++) {
    assert.ok(store.put(`phone-${i}`, { url: "http://h/f", name: "f", payload }, 0, hourMs).ok);
  }
  assert.deepEqual(store.stats(), { entries: 100, blobs: 1, blobBytes: 1000 });
  assert.equal(store.expire(hourMs), 100);
  assert.deepEqual(store.stats(), { entries: 0, blobs: 0, blobBytes: 0 });
});

test("caching: store: an expired file is CACHE_EXPIRED before and after the purge, an unknown one CACHE_UNKNOWN", () => {
  const store = new CacheStore(nodeSha256);
  const put = store.put("p", { url: "http://h/f", name: "f", payload: utf8("abc") }, 1_000, hourMs);
  assert.ok(put.ok);
  const id = put.value.cacheId;
  assert.ok(store.get("p", id, 1_000 + hourMs - 1).ok);
  const beforePurge = store.get("p", id, 1_000 + hourMs);
  assert.equal(beforePurge.ok ? "" : beforePurge.error.code, "E_CACHE_EXPIRED");
  assert.equal(store.nextExpiryMs(), 1_000 + hourMs);
  assert.equal(store.expire(1_000 + hourMs), 1);
  const afterPurge = store.get("p", id, 2 * hourMs);
  assert.equal(afterPurge.ok ? "" : afterPurge.error.code, "E_CACHE_EXPIRED");
  assert.match(afterPurge.ok ? "" : afterPurge.error.message, /expired/);
  const unknown = store.get("p", "c999", 0);
  assert.equal(unknown.ok ? "" : unknown.error.code, "E_CACHE_UNKNOWN");
});

test("caching: store: a device cannot read another device's cached file", () => {
  const store = new CacheStore(nodeSha256);
  const put = store.put("alice", { url: "http://h/f", name: "f", payload: utf8("secret") }, 0, hourMs);
  assert.ok(put.ok);
  const other = store.get("bob", put.value.cacheId, 0);
  assert.equal(other.ok ? "" : other.error.code, "E_CACHE_UNKNOWN");
});

test("caching: store: entry count per device is bounded", () => {
  const store = new CacheStore(nodeSha256);
  for (let i = 0; i < limits.cacheEntriesPerDeviceMax; i++) {
    assert.ok(store.put("p", { url: "http://h/f", name: "f", payload: utf8(`${i}`) }, 0, hourMs).ok);
  }
  const full = store.put("p", { url: "http://h/f", name: "f", payload: utf8("one more") }, 0, hourMs);
  assert.equal(full.ok ? "" : full.error.code, "E_STORAGE_FULL");
  assert.ok(store.put("q", { url: "http://h/f", name: "f", payload: utf8("other device") }, 0, hourMs).ok);
});

test("caching: store: a journal sees every put and expiry, and a restored store answers as the old one did", () => {
  const journal = {
    entries: new Map<string, { entry: CacheEntry; payload: Uint8Array }>(),
    tombstones: [] as Tombstone[],
    cached(entry: CacheEntry, payload: Uint8Array) {
      this.entries.set(entry.cacheId, { entry, payload });
    },
    expired(entry: CacheEntry) {
      this.entries.delete(entry.cacheId);
      this.tombstones.push({
        deviceId: entry.deviceId,
        cacheId: entry.cacheId,
        expiresAtMs: entry.expiresAtMs,
      });
    },
  };
  const store = new CacheStore(nodeSha256, journal);
  const a = store.put("p", { url: "http://h/a", name: "a", payload: utf8("aaa") }, 0, hourMs);
  const b = store.put("p", { url: "http://h/b", name: "b", payload: utf8("bbbb") }, 10, 2 * hourMs);
  assert.ok(a.ok && b.ok);
  assert.equal(store.expire(hourMs), 1);
  assert.deepEqual([...journal.entries.keys()], [b.value.cacheId]);
  const restarted = new CacheStore(nodeSha256, journal);
  restarted.restore({ entries: [...journal.entries.values()], tombstones: journal.tombstones });
  const gone = restarted.get("p", a.value.cacheId, hourMs);
  assert.equal(gone.ok ? "" : gone.error.code, "E_CACHE_EXPIRED");
  const kept = restarted.get("p", b.value.cacheId, hourMs);
  assert.ok(kept.ok && kept.value.payload.length === 4);
  // A shorter retention after the restart still expires entries in time order.
  const c = restarted.put("p", { url: "http://h/c", name: "c", payload: utf8("c") }, hourMs, 1);
  assert.ok(c.ok && c.value.cacheId !== b.value.cacheId);
  assert.equal(restarted.nextExpiryMs(), hourMs + 1);
  assert.equal(restarted.expire(2 * hourMs + 10), 2);
  assert.equal(journal.entries.size, 0);
});
