// The caching service's durable state on the live server (paper §5.1.1: the
// server keeps a downloaded file "for a period of time depending on the TSP
// policy", which a crash must not cut short): one SQLite row per cached file
// or tombstone in the server's database, the bytes as content-addressed blob
// files in <data>/cache-blobs. A separate blob directory because the mirror
// store's start-up sweep deletes every blob file its own tables do not name.
// Downloads asked for but not yet cached are rows too, asked again at start.
// Writes run inside the caller's transaction; a blob file is written before
// the row that names it, and deleted only after the row is gone for good.
// The bytes are read back from their file when the phone fetches them
// (payload()): the server holds no cached file in memory while it waits.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { assert } from "../../core/assert.ts";
import { toHex } from "../../core/bytes.ts";
import { MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import type { Sha256 } from "../../core/ports.ts";
import type {
  CacheEntry,
  CacheJournal,
  PendingDownload,
  RestoredCache,
} from "../../services/caching/cache-store.ts";
import { BlobFiles } from "../blob-files.ts";
import type { Db } from "../sqlite-db.ts";

const schema = `
CREATE TABLE IF NOT EXISTS caching_entries (
  device_id TEXT NOT NULL, cache_id TEXT NOT NULL, url TEXT NOT NULL, name TEXT NOT NULL,
  sha256 BLOB NOT NULL, size INTEGER NOT NULL, cached_at_ms INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL,
  expired INTEGER NOT NULL, PRIMARY KEY (device_id, cache_id)) STRICT, WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS caching_entries_sha ON caching_entries (sha256) WHERE expired = 0;
CREATE TABLE IF NOT EXISTS caching_downloads (
  device_id TEXT NOT NULL, url TEXT NOT NULL, PRIMARY KEY (device_id, url)) STRICT, WITHOUT ROWID;
`;

interface EntryRow {
  device_id: string;
  cache_id: string;
  url: string;
  name: string;
  sha256: Uint8Array;
  size: number;
  cached_at_ms: number;
  expires_at_ms: number;
  expired: number;
}

function prepare(db: Db) {
  const p = (sql: string) => db.prepare(sql);
  return {
    insert: p(
      `INSERT INTO caching_entries (device_id, cache_id, url, name, sha256, size, cached_at_ms, expires_at_ms, expired)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)`,
    ),
    expire: p("UPDATE caching_entries SET expired = 1 WHERE device_id = ? AND cache_id = ?"),
    pruneTombstones: p(
      `DELETE FROM caching_entries WHERE device_id = ? AND expired = 1 AND cache_id NOT IN (
         SELECT cache_id FROM caching_entries WHERE device_id = ? AND expired = 1
         ORDER BY expires_at_ms DESC LIMIT ?)`,
    ),
    liveOfSha: p("SELECT count(*) AS n FROM caching_entries WHERE sha256 = ? AND expired = 0"),
    all: p("SELECT * FROM caching_entries ORDER BY expires_at_ms, cached_at_ms"),
    requested: p("INSERT OR IGNORE INTO caching_downloads (device_id, url) VALUES (?, ?)"),
    settled: p("DELETE FROM caching_downloads WHERE device_id = ? AND url = ?"),
    pending: p("SELECT device_id, url FROM caching_downloads ORDER BY device_id, url"),
  };
}

export class SqliteCacheJournal implements CacheJournal {
  private readonly st: ReturnType<typeof prepare>;
  private readonly blobs: BlobFiles;
  /** Blobs whose last live entry expired: deleted by collect() once that is committed. */
  private readonly unreferenced = new Map<string, Uint8Array>();

  constructor(
    private readonly db: Db,
    dataDir: string,
    sha256: Sha256,
    options: { fsync: boolean },
  ) {
    db.exec(schema);
    this.st = prepare(db);
    this.blobs = new BlobFiles(join(dataDir, "cache-blobs"), sha256, { fsync: options.fsync });
  }

  cached(entry: CacheEntry, payload: Uint8Array): void {
    assert(payload.length === entry.size, "journal: entry size differs from its bytes");
    const written = this.blobs.put(payload);
    assert(toHex(written) === toHex(entry.sha256), "journal: blob stored under another hash");
    this.unreferenced.delete(toHex(entry.sha256));
    const e = entry;
    this.st.insert.run(e.deviceId, e.cacheId, e.url, e.name, e.sha256, e.size, e.cachedAtMs, e.expiresAtMs);
  }

  expired(entry: CacheEntry): void {
    assert(entry.expiresAtMs >= entry.cachedAtMs, "journal: an entry expiring before it was cached");
    const changed = this.st.expire.run(entry.deviceId, entry.cacheId).changes;
    assert(changed === 1, `journal: expiring unknown entry ${entry.cacheId}`);
    this.st.pruneTombstones.run(entry.deviceId, entry.deviceId, limits.cacheTombstonesPerDeviceMax);
    this.unreferenced.set(toHex(entry.sha256), entry.sha256);
  }

  requested(download: PendingDownload): void {
    this.st.requested.run(download.deviceId, download.url);
  }

  settled(download: PendingDownload): void {
    this.st.settled.run(download.deviceId, download.url);
  }

  /** A cached file's bytes from its blob file, verified against its hash; undefined when missing or corrupt. */
  payload(sha256: Uint8Array): Uint8Array | undefined {
    const read = this.blobs.get(sha256);
    return read.ok ? read.value : undefined;
  }

  /** Deletes blob files no live entry names; call outside any transaction (after the commit). */
  collect(): number {
    assert(!this.db.inTransaction, "journal: collecting blobs before the expiry committed");
    let removed = 0;
    for (const [hex, sha] of this.unreferenced) {
      const row = this.st.liveOfSha.get(sha) as { n: number };
      if (row.n === 0) {
        rmSync(this.blobs.pathOf(sha), { force: true });
        removed++;
      }
      this.unreferenced.delete(hex);
    }
    assert(this.unreferenced.size === 0, "journal: blobs left to collect");
    return removed;
  }

  /**
   * What the journal holds, each blob verified (a missing or corrupt cache
   * file stops the start with a clear error, as the mirror store's do) and
   * not kept (payload() reads it again); blob files no live entry names, and
   * temp files, are swept.
   */
  load(): RestoredCache {
    const pendingRows = this.st.pending.all() as { device_id: string; url: string }[];
    const pending = pendingRows.map((row) => ({ deviceId: row.device_id, url: row.url }));
    const state: RestoredCache = { entries: [], tombstones: [], pending };
    const live = new Set<string>();
    for (const row of this.st.all.iterate() as Iterable<EntryRow>) {
      const sha256 = new Uint8Array(row.sha256);
      if (row.expired === 1) {
        state.tombstones.push({
          deviceId: row.device_id,
          cacheId: row.cache_id,
          expiresAtMs: row.expires_at_ms,
        });
        continue;
      }
      const payload = this.blobs.get(sha256);
      if (!payload.ok) {
        throw new MirrorcellError(
          payload.error.code,
          `Cannot restore cached ${row.cache_id}: ${payload.error.message}`,
        );
      }
      assert(payload.value.length === row.size, `journal: cached ${row.cache_id} has another size`);
      live.add(toHex(sha256));
      state.entries.push({ entry: entryOf(row, sha256) });
    }
    this.sweep(live);
    return state;
  }

  private sweep(live: Set<string>): void {
    for (const sub of readdirSync(this.blobs.dir)) {
      if (sub === "tmp" || sub.length !== 2) continue;
      for (const name of readdirSync(join(this.blobs.dir, sub))) {
        if (!live.has(name)) rmSync(join(this.blobs.dir, sub, name), { force: true });
      }
    }
    for (const name of readdirSync(join(this.blobs.dir, "tmp"))) rmSync(join(this.blobs.dir, "tmp", name));
  }
}

function entryOf(row: EntryRow, sha256: Uint8Array): CacheEntry {
  return {
    cacheId: row.cache_id,
    deviceId: row.device_id,
    url: row.url,
    name: row.name,
    sha256,
    size: row.size,
    cachedAtMs: row.cached_at_ms,
    expiresAtMs: row.expires_at_ms,
  };
}
