// The durable tables behind the live server's MirrorStore (issue 5): input
// log per device, acks, mirror metadata/snapshots, the Traffic Monitor's
// network input log, blob reference counts. Blob bytes live in BlobFiles;
// a blob file is written and fsynced BEFORE the row that references it
// commits, so a committed row never points at a missing file.
import { assert } from "../core/assert.ts";
import type { Db } from "./sqlite-db.ts";

export const storeSchema = `
CREATE TABLE IF NOT EXISTS batches (
  device_id TEXT NOT NULL, batch_no INTEGER NOT NULL, first_seq INTEGER NOT NULL,
  last_seq INTEGER NOT NULL, body BLOB NOT NULL, PRIMARY KEY (device_id, batch_no)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS device_state (
  device_id TEXT PRIMARY KEY, body BLOB NOT NULL) STRICT;
CREATE TABLE IF NOT EXISTS network_inputs (
  device_id TEXT NOT NULL, idx INTEGER NOT NULL, body BLOB NOT NULL, payload_sha256 BLOB NOT NULL,
  PRIMARY KEY (device_id, idx)) STRICT, WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blob_refs (
  sha256 BLOB PRIMARY KEY, refs INTEGER NOT NULL, size INTEGER NOT NULL) STRICT, WITHOUT ROWID;
`;

export function createStoreTables(db: Db): void {
  db.exec(storeSchema);
  const tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as {
    n: number;
  };
  assert(tables.n >= 5, "store tables missing after create");
}

/** Prepared statements, created once per database. */
export function prepareStore(db: Db) {
  return {
    insertBatch: db.prepare(
      "INSERT OR IGNORE INTO batches (device_id, batch_no, first_seq, last_seq, body) VALUES (?, ?, ?, ?, ?)",
    ),
    batchesAfter: db.prepare(
      "SELECT batch_no, first_seq, last_seq, body FROM batches WHERE device_id = ? AND batch_no > ? ORDER BY batch_no",
    ),
    deleteBatchesUpTo: db.prepare("DELETE FROM batches WHERE device_id = ? AND batch_no <= ?"),
    putState: db.prepare(
      "INSERT INTO device_state (device_id, body) VALUES (?, ?) ON CONFLICT (device_id) DO UPDATE SET body = excluded.body",
    ),
    getState: db.prepare("SELECT body FROM device_state WHERE device_id = ?"),
    allStates: db.prepare("SELECT device_id, body FROM device_state ORDER BY device_id"),
    insertNetwork: db.prepare(
      "INSERT INTO network_inputs (device_id, idx, body, payload_sha256) VALUES (?, ?, ?, ?)",
    ),
    getNetwork: db.prepare("SELECT body, payload_sha256 FROM network_inputs WHERE device_id = ? AND idx = ?"),
    countNetwork: db.prepare("SELECT coalesce(max(idx), 0) AS n FROM network_inputs WHERE device_id = ?"),
    refBlob: db.prepare(
      "INSERT INTO blob_refs (sha256, refs, size) VALUES (?, ?, ?) ON CONFLICT (sha256) DO UPDATE SET refs = refs + excluded.refs",
    ),
    getBlobRef: db.prepare("SELECT refs, size FROM blob_refs WHERE sha256 = ?"),
    unrefBlob: db.prepare("UPDATE blob_refs SET refs = refs - ? WHERE sha256 = ? AND refs >= ?"),
    allBlobRefs: db.prepare("SELECT sha256 FROM blob_refs WHERE refs > 0"),
  };
}

export type StoreStatements = ReturnType<typeof prepareStore>;
