// A live phone's own durable state (issue 5: the phone survives `kill -9`,
// not only a clean power-off). One SQLite database (WAL, synchronous=FULL) in
// the phone's data dir holds the storage manifest, content-addressed blobs,
// and the SyncClient's resume point (last batch, last seq, unacked batch
// frames). It is written at the phone's commit points: every closed batch is
// committed together with the storage it describes BEFORE its frame is sent,
// so a batch the server may hold is always one the phone still has.
// Volatile UI state is not saved: a power cycle or crash loses it on phone
// and mirror alike. The caching service's file-cached notices (paper §5.1.1)
// are kept too, each written before its ack leaves: a waiting notice
// survives a crash, a fetched one is not fetched again.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { assert } from "../core/assert.ts";
import { bytesEqual, toHex } from "../core/bytes.ts";
import { MirrorcellError } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import type { FileEntry } from "../platform/index.ts";
import type { ClientResume } from "../sync/sync-client.ts";

/** What a phone restart needs: storage, sync position, and whether a mirror follows this state. */
export interface SavedPhone {
  deviceId: string;
  model: string;
  networkConsumed: number;
  boots: number;
  /** A mirror has accepted this state (false: a used mirror must be re-cloned from it). */
  bound: boolean;
  files: FileEntry[];
  emptyDirs: string[];
  resume: ClientResume;
  /** The blob of a manifest file (verified against its hash by the caller). */
  blobOf(sha: Uint8Array): Uint8Array | undefined;
}

/** One commit point: the storage as it is when the batch closed, and the resume point. */
export type PhoneCommit = Omit<SavedPhone, "blobOf">;

const databaseFile = "phone.db";
const schema = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, sha BLOB NOT NULL, size INTEGER NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS blobs (sha BLOB PRIMARY KEY, bytes BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS unacked (batch_no INTEGER PRIMARY KEY, bytes BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS cache_notices (seq INTEGER PRIMARY KEY AUTOINCREMENT, cache_id TEXT NOT NULL UNIQUE,
  url TEXT NOT NULL, size INTEGER NOT NULL, expires_at_ms INTEGER NOT NULL, done INTEGER NOT NULL) STRICT;
`;

/** A file-cached notice as the phone keeps it (src/live/caching/phone-caching.ts). */
export interface StoredCacheNotice {
  cacheId: string;
  url: string;
  size: number;
  expiresAtMs: number;
}

interface Meta {
  deviceId: string;
  model: string;
  networkConsumed: number;
  boots: number;
  bound: boolean;
  emptyDirs: string[];
  lastBatchNo: number;
  lastSeq: number;
  batchedNetworkConsumed: number;
}

export class PhoneStore {
  private readonly db: Database.Database;
  private readonly sha256: Sha256;
  /** What the database holds now (path -> sha hex, batch numbers): commits write only the difference. */
  private readonly committedFiles = new Map<string, string>();
  /** Batch number -> frame bytes as stored: a re-clone renumbers, so a number alone does not identify a batch. */
  private readonly committedBatches = new Map<number, Uint8Array>();
  private readonly blobsKnown = new Set<string>();
  commits = 0;

  private constructor(db: Database.Database, sha256: Sha256) {
    this.db = db;
    this.sha256 = sha256;
  }

  /** Opens (creating) the store in `dir`; FILE_CORRUPT when the database is unusable. */
  static open(dir: string, sha256: Sha256): PhoneStore {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, databaseFile);
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = FULL");
      const check = db.pragma("quick_check", { simple: true });
      if (check !== "ok") throw new Error(`integrity check says: ${String(check)}`);
      db.exec(schema);
      // Blobs no manifest file names any more (files deleted before the last commit).
      db.exec("DELETE FROM blobs WHERE sha NOT IN (SELECT sha FROM files)");
    } catch (error) {
      db?.close();
      const reason = error instanceof Error ? error.message : String(error);
      throw new MirrorcellError("E_FILE_CORRUPT", `Phone state ${path} is unusable: ${reason}`, {
        cause: error,
      });
    }
    const store = new PhoneStore(db, sha256);
    store.indexCommitted();
    return store;
  }

  /** The state of the last commit, or undefined for a first boot. */
  load(): SavedPhone | undefined {
    const meta = this.readMeta();
    if (meta === undefined) return undefined;
    const files = (this.db.prepare("SELECT path, sha, size FROM files ORDER BY path").all() as FileRow[]).map(
      (row) => ({ path: row.path, sha256: new Uint8Array(row.sha), size: row.size }),
    );
    const unacked = (
      this.db.prepare("SELECT batch_no, bytes FROM unacked ORDER BY batch_no").all() as BatchRow[]
    ).map((row) => ({ batchNo: row.batch_no, bytes: new Uint8Array(row.bytes) }));
    assert(unacked.length <= limits.unackedBatchesMax, "more unacked batches stored than a client keeps");
    const blobQuery = this.db.prepare("SELECT bytes FROM blobs WHERE sha = ?");
    return {
      deviceId: meta.deviceId,
      model: meta.model,
      networkConsumed: meta.networkConsumed,
      boots: meta.boots,
      bound: meta.bound,
      files,
      emptyDirs: meta.emptyDirs,
      resume: {
        lastBatchNo: meta.lastBatchNo,
        lastSeq: meta.lastSeq,
        networkConsumed: meta.batchedNetworkConsumed,
        unacked,
      },
      blobOf: (sha) => {
        const row = blobQuery.get(sha) as { bytes: Buffer } | undefined;
        if (row === undefined) return undefined;
        const bytes = new Uint8Array(row.bytes);
        return bytesEqual(this.sha256(bytes), sha) ? bytes : undefined;
      },
    };
  }

  /** Writes one commit point in one transaction (only what changed since the last). */
  commit(state: PhoneCommit, blobOf: (sha: Uint8Array) => Uint8Array | undefined): void {
    assert(state.files.length <= limits.filesPerDirectoryMax, "manifest too large");
    const unacked = state.resume.unacked ?? [];
    assert(unacked.length <= limits.unackedBatchesMax, "unacked queue above its bound");
    this.db.transaction(() => {
      this.writeFiles(state.files, blobOf);
      this.writeUnacked(unacked);
      this.writeMeta({
        deviceId: state.deviceId,
        model: state.model,
        networkConsumed: state.networkConsumed,
        boots: state.boots,
        bound: state.bound,
        emptyDirs: state.emptyDirs,
        lastBatchNo: state.resume.lastBatchNo,
        lastSeq: state.resume.lastSeq,
        batchedNetworkConsumed: state.resume.networkConsumed,
      });
    })();
    this.commits += 1;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** File-cached notices kept: those still waiting (oldest first) and the ids fetched (or moot). */
  cacheNotices(): { waiting: StoredCacheNotice[]; done: string[] } {
    const rows = this.db
      .prepare("SELECT cache_id, url, size, expires_at_ms, done FROM cache_notices ORDER BY seq")
      .all() as { cache_id: string; url: string; size: number; expires_at_ms: number; done: number }[];
    assert(rows.length <= 2 * limits.cacheEntriesPerDeviceMax, "cache notices above their bound");
    const waiting = rows
      .filter((r) => r.done === 0)
      .map((r) => ({ cacheId: r.cache_id, url: r.url, size: r.size, expiresAtMs: r.expires_at_ms }));
    return { waiting, done: rows.filter((r) => r.done === 1).map((r) => r.cache_id) };
  }

  /** A notice arrived: kept until fetched (the newest limits.cacheEntriesPerDeviceMax). */
  cacheNoticeWaiting(notice: StoredCacheNotice): void {
    this.db
      .prepare(
        "INSERT OR IGNORE INTO cache_notices (cache_id, url, size, expires_at_ms, done) VALUES (?, ?, ?, ?, 0)",
      )
      .run(notice.cacheId, notice.url, notice.size, notice.expiresAtMs);
    this.pruneCacheNotices(0);
  }

  /** The file was fetched (or its notice is moot): a notice sent again is not fetched twice. */
  cacheNoticeDone(cacheId: string): void {
    this.db
      .prepare(
        `INSERT INTO cache_notices (cache_id, url, size, expires_at_ms, done) VALUES (?, '', 0, 0, 1)
         ON CONFLICT (cache_id) DO UPDATE SET done = 1`,
      )
      .run(cacheId);
    this.pruneCacheNotices(1);
  }

  private pruneCacheNotices(done: 0 | 1): void {
    this.db
      .prepare(
        `DELETE FROM cache_notices WHERE done = ? AND seq NOT IN (
           SELECT seq FROM cache_notices WHERE done = ? ORDER BY seq DESC LIMIT ?)`,
      )
      .run(done, done, limits.cacheEntriesPerDeviceMax);
  }

  private writeFiles(files: readonly FileEntry[], blobOf: (sha: Uint8Array) => Uint8Array | undefined): void {
    const putBlob = this.db.prepare("INSERT OR IGNORE INTO blobs (sha, bytes) VALUES (?, ?)");
    const putFile = this.db.prepare("INSERT OR REPLACE INTO files (path, sha, size) VALUES (?, ?, ?)");
    const dropFile = this.db.prepare("DELETE FROM files WHERE path = ?");
    const seen = new Set<string>();
    for (const file of files) {
      const hex = toHex(file.sha256);
      seen.add(file.path);
      if (this.committedFiles.get(file.path) === hex) continue;
      if (!this.blobsKnown.has(hex)) {
        const bytes = blobOf(file.sha256);
        assert(bytes !== undefined, `phone lacks the blob of ${file.path}`);
        putBlob.run(file.sha256, bytes);
        this.blobsKnown.add(hex);
      }
      putFile.run(file.path, file.sha256, file.size);
      this.committedFiles.set(file.path, hex);
    }
    for (const path of [...this.committedFiles.keys()]) {
      if (seen.has(path)) continue;
      dropFile.run(path);
      this.committedFiles.delete(path);
    }
  }

  private writeUnacked(unacked: ClientResume["unacked"] & object): void {
    const put = this.db.prepare("INSERT OR REPLACE INTO unacked (batch_no, bytes) VALUES (?, ?)");
    const drop = this.db.prepare("DELETE FROM unacked WHERE batch_no = ?");
    const keep = new Set(unacked.map((u) => u.batchNo));
    for (const batchNo of [...this.committedBatches.keys()]) {
      if (keep.has(batchNo)) continue;
      drop.run(batchNo);
      this.committedBatches.delete(batchNo);
    }
    for (const u of unacked) {
      const stored = this.committedBatches.get(u.batchNo);
      if (stored !== undefined && (stored === u.bytes || bytesEqual(stored, u.bytes))) continue;
      put.run(u.batchNo, u.bytes);
      this.committedBatches.set(u.batchNo, u.bytes);
    }
    assert(this.committedBatches.size === unacked.length, "stored unacked batches are the client's");
  }

  private writeMeta(meta: Meta): void {
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('phone', ?)").run(JSON.stringify(meta));
  }

  private readMeta(): Meta | undefined {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'phone'").get() as
      | { value: string }
      | undefined;
    if (row === undefined) return undefined;
    try {
      const meta = JSON.parse(row.value) as Meta;
      assert(typeof meta.deviceId === "string" && Number.isSafeInteger(meta.lastBatchNo), "meta shape");
      return meta;
    } catch (error) {
      throw new MirrorcellError("E_FILE_CORRUPT", `Phone state meta is unreadable: ${String(error)}`);
    }
  }

  private indexCommitted(): void {
    for (const row of this.db.prepare("SELECT path, sha FROM files").all() as FileRow[])
      this.committedFiles.set(row.path, toHex(new Uint8Array(row.sha)));
    for (const row of this.db.prepare("SELECT batch_no, bytes FROM unacked").all() as BatchRow[])
      this.committedBatches.set(row.batch_no, new Uint8Array(row.bytes));
    for (const row of this.db.prepare("SELECT sha FROM blobs").all() as { sha: Buffer }[])
      this.blobsKnown.add(toHex(new Uint8Array(row.sha)));
  }
}

interface FileRow {
  path: string;
  sha: Buffer;
  size: number;
}

interface BatchRow {
  batch_no: number;
  bytes: Buffer;
}
