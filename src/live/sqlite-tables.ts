// The durable tables behind the live server's SQLite MirrorStore (issue 5):
// mirror devices with their never-decreasing counters, the input log
// (batches), the Traffic Monitor's network input log, repairs, checkpoints and
// blob reference counts. Batches are appended in arrival order (rowid), so
// the kilobytes of a batch land at the end of the table and only the small
// (device, batch) index entry goes where the device's entries are: with
// many phones interleaved, a table keyed by (device, batch) wrote its rows
// all over the tree (2-2.5x the CPU per row at 100-1000 phones; a database
// created before keeps that layout, the statements name their columns). A
// small blob's bytes sit in its blob_refs row (one WAL append in the same
// transaction); a larger blob lives in BlobFiles, its file written and
// fsynced BEFORE the row that references it commits.
import { assert } from "../core/assert.ts";
import type { Db } from "./sqlite-db.ts";

const storeSchema = `
CREATE TABLE IF NOT EXISTS mirror_devices (
  device_id TEXT PRIMARY KEY, model TEXT NOT NULL, sync_interval_ms INTEGER NOT NULL, origin TEXT NOT NULL,
  last_batch_no INTEGER NOT NULL DEFAULT 0, network_count INTEGER NOT NULL DEFAULT 0) STRICT;
CREATE TABLE IF NOT EXISTS batches (
  id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, batch_no INTEGER NOT NULL, last_seq INTEGER NOT NULL,
  window_end_ms INTEGER NOT NULL, bytes BLOB NOT NULL, UNIQUE (device_id, batch_no)) STRICT;
CREATE TABLE IF NOT EXISTS network_inputs (
  device_id TEXT NOT NULL, idx INTEGER NOT NULL, time_ms INTEGER NOT NULL, app TEXT NOT NULL, kind TEXT NOT NULL,
  args TEXT NOT NULL, payload_sha256 BLOB NOT NULL, size INTEGER NOT NULL,
  PRIMARY KEY (device_id, idx)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS repairs (
  device_id TEXT NOT NULL, seq INTEGER NOT NULL, after_batch_no INTEGER NOT NULL, ops TEXT NOT NULL,
  PRIMARY KEY (device_id, seq)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS checkpoints (device_id TEXT PRIMARY KEY, body TEXT NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS blob_refs (
  sha256 BLOB PRIMARY KEY, refs INTEGER NOT NULL, size INTEGER NOT NULL, bytes BLOB) STRICT;
`;

/** Tables a before/after comparison of durable state must cover. */
export const storeTables = [
  "mirror_devices",
  "batches",
  "network_inputs",
  "repairs",
  "checkpoints",
  "blob_refs",
] as const;

export function createStoreTables(db: Db): void {
  db.exec(storeSchema);
  // A database from before inline blobs: its blob_refs lacks the column (every blob a file).
  const columns = db.prepare("SELECT name FROM pragma_table_info('blob_refs')").all() as { name: string }[];
  if (!columns.some((c) => c.name === "bytes")) db.exec("ALTER TABLE blob_refs ADD COLUMN bytes BLOB");
  const rows = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
  const names = new Set(rows.map((r) => r.name));
  for (const table of storeTables) assert(names.has(table), `store table ${table} missing after create`);
}

/** Prepared statements, created once per database. */
export function prepareStore(db: Db) {
  const p = (sql: string) => db.prepare(sql);
  return {
    putDevice: p(
      `INSERT INTO mirror_devices (device_id, model, sync_interval_ms, origin) VALUES (?, ?, ?, ?)
       ON CONFLICT (device_id) DO UPDATE SET model = excluded.model,
       sync_interval_ms = excluded.sync_interval_ms, origin = excluded.origin`,
    ),
    getDevice: p("SELECT * FROM mirror_devices WHERE device_id = ?"),
    listDevices: p("SELECT * FROM mirror_devices ORDER BY device_id"),
    /** last_batch_no only ever rises; appends do not touch it (lastBatch derives the head). */
    raiseLastBatch: p("UPDATE mirror_devices SET last_batch_no = max(last_batch_no, ?) WHERE device_id = ?"),
    /** The device's last batch: its newest stored batch, or the one its checkpoint covers. */
    lastBatch: p(
      `SELECT max(d.last_batch_no, coalesce((SELECT max(b.batch_no) FROM batches b WHERE b.device_id = d.device_id), 0))
       AS last FROM mirror_devices d WHERE d.device_id = ?`,
    ),
    setNetworkCount: p("UPDATE mirror_devices SET network_count = ? WHERE device_id = ?"),
    insertBatch: p(
      "INSERT INTO batches (device_id, batch_no, last_seq, window_end_ms, bytes) VALUES (?, ?, ?, ?, ?)",
    ),
    getBatch: p(
      "SELECT batch_no, last_seq, window_end_ms, bytes FROM batches WHERE device_id = ? AND batch_no = ?",
    ),
    batchesAfter: p(
      "SELECT batch_no, last_seq, window_end_ms, bytes FROM batches WHERE device_id = ? AND batch_no > ? ORDER BY batch_no",
    ),
    batchesBetween: p(
      "SELECT batch_no, last_seq, window_end_ms, bytes FROM batches WHERE device_id = ? AND batch_no BETWEEN ? AND ? ORDER BY batch_no",
    ),
    pruneBatches: p("DELETE FROM batches WHERE device_id = ? AND batch_no <= ?"),
    insertNetwork: p(
      "INSERT INTO network_inputs (device_id, idx, time_ms, app, kind, args, payload_sha256, size) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    ),
    getNetwork: p("SELECT * FROM network_inputs WHERE device_id = ? AND idx = ?"),
    pruneNetwork: p("DELETE FROM network_inputs WHERE device_id = ? AND idx <= ?"),
    insertRepair: p(
      "INSERT INTO repairs (device_id, seq, after_batch_no, ops) VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM repairs WHERE device_id = ?), ?, ?)",
    ),
    repairsAfter: p(
      "SELECT after_batch_no, ops FROM repairs WHERE device_id = ? AND after_batch_no > ? ORDER BY seq",
    ),
    pruneRepairs: p("DELETE FROM repairs WHERE device_id = ? AND after_batch_no <= ?"),
    getCheckpoint: p("SELECT body FROM checkpoints WHERE device_id = ?"),
    putCheckpoint: p(
      "INSERT INTO checkpoints (device_id, body) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET body = excluded.body",
    ),
    insertBlobRef: p("INSERT OR IGNORE INTO blob_refs (sha256, refs, size) VALUES (?, 0, ?)"),
    /** A small blob's bytes into its row (a row left by a lost file gets them too). */
    putInlineBlob: p(
      `INSERT INTO blob_refs (sha256, refs, size, bytes) VALUES (?, 0, ?, ?)
       ON CONFLICT (sha256) DO UPDATE SET bytes = excluded.bytes`,
    ),
    getBlobRef: p("SELECT refs, size, bytes IS NOT NULL AS inline FROM blob_refs WHERE sha256 = ?"),
    /** bytes: NULL for a blob kept as a file. */
    getBlobBytes: p("SELECT bytes FROM blob_refs WHERE sha256 = ?"),
    retainBlob: p("UPDATE blob_refs SET refs = refs + ? WHERE sha256 = ?"),
    releaseBlob: p("UPDATE blob_refs SET refs = refs - 1 WHERE sha256 = ? AND refs > 0"),
    deleteBlobRef: p("DELETE FROM blob_refs WHERE sha256 = ? AND refs = 0"),
    blobStats: p("SELECT count(*) AS blobs, coalesce(sum(size), 0) AS bytes FROM blob_refs"),
  };
}

export type StoreStatements = ReturnType<typeof prepareStore>;
