// The live server's MirrorStore (src/mirror/store.ts) on SQLite in WAL mode
// plus content-addressed blob files (issue 5: durable state). Every call is
// synchronous; transaction() nests as a SAVEPOINT inside the group commit's
// outer transaction, so many devices' appends share one commit. Blobs up to
// limits.blobInlineBytesMax live in their blob_refs row (written with the
// transaction that references them; a checkpoint of a long-lived mirror
// writes hundreds of small blobs, and a file create + fsyncs each dominated
// its replay); larger blobs are files. Blob files are never deleted inside a
// transaction (it might roll back): unreferenced files are collected at start.
// Every blob is verified against its SHA-256 when read, inline ones too.
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { assert } from "../core/assert.ts";
import { bytesEqual, fromHex, spansBuffer, toHex } from "../core/bytes.ts";
import { fail, MirrorcellError, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import type {
  Checkpoint,
  DeviceRecord,
  MirrorStore,
  NetworkRecord,
  RepairRecord,
  StoredBatch,
} from "../mirror/store.ts";
import { nodeSha256 } from "../node/sha256.ts";
import type { AppName } from "../platform/inputs.ts";
import type { BlobFiles } from "./blob-files.ts";
import type { Db } from "./sqlite-db.ts";
import { createStoreTables, prepareStore, type StoreStatements } from "./sqlite-tables.ts";

type Row = Record<string, unknown>;

/**
 * A BLOB column as a plain Uint8Array. better-sqlite3 gives each value a
 * Buffer over memory of its own, so a view of it pins nothing else and a copy
 * (≈ 6 µs per 3.6 kB batch read back for replay) buys nothing; a pooled or
 * shared one is copied.
 */
function bytesOf(value: unknown): Uint8Array {
  assert(value instanceof Uint8Array, "expected a BLOB column");
  return spansBuffer(value) ? new Uint8Array(value.buffer, 0, value.byteLength) : new Uint8Array(value);
}

function deviceOf(row: Row): DeviceRecord {
  return {
    deviceId: row.device_id as string,
    model: row.model as string,
    syncIntervalMs: row.sync_interval_ms as number,
    origin: row.origin as DeviceRecord["origin"],
  };
}

function batchOf(row: Row): StoredBatch {
  return {
    batchNo: row.batch_no as number,
    lastSeq: row.last_seq as number,
    windowEndMs: row.window_end_ms as number,
    bytes: bytesOf(row.bytes),
  };
}

export class SqliteMirrorStore implements MirrorStore {
  private readonly db: Db;
  private readonly blobs: BlobFiles;
  private readonly st: StoreStatements;
  private readonly sha256: Sha256;
  /** Per device, the last batch this process appended (a hint for the order check, never the truth). */
  private readonly lastAppended = new Map<string, number>();

  constructor(db: Db, blobs: BlobFiles, sha256: Sha256 = nodeSha256) {
    this.db = db;
    this.blobs = blobs;
    this.sha256 = sha256;
    createStoreTables(db);
    this.st = prepareStore(db);
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  putDevice(record: DeviceRecord): void {
    this.st.putDevice.run(record.deviceId, record.model, record.syncIntervalMs, record.origin);
  }

  getDevice(deviceId: string): DeviceRecord | undefined {
    const row = this.st.getDevice.get(deviceId) as Row | undefined;
    return row === undefined ? undefined : deviceOf(row);
  }

  listDevices(): DeviceRecord[] {
    return (this.st.listDevices.all() as Row[]).map(deviceOf);
  }

  appendBatch(deviceId: string, batch: StoredBatch): void {
    // The ingest hot path: one INSERT, no device row update (an UPDATE per
    // batch cost ~40 % of the SQLite time per batch at 100 phones). The order
    // check trusts the last append seen in this process, else the database.
    if (this.lastAppended.get(deviceId) !== batch.batchNo - 1) {
      const last = this.lastBatchNo(deviceId);
      assert(last === batch.batchNo - 1, `batch ${batch.batchNo} of ${deviceId} appended after ${last}`);
    }
    this.st.insertBatch.run(deviceId, batch.batchNo, batch.lastSeq, batch.windowEndMs, batch.bytes);
    this.lastAppended.set(deviceId, batch.batchNo);
  }

  getBatch(deviceId: string, batchNo: number): StoredBatch | undefined {
    const row = this.st.getBatch.get(deviceId, batchNo) as Row | undefined;
    return row === undefined ? undefined : batchOf(row);
  }

  batchesAfter(deviceId: string, after: number): StoredBatch[] {
    return (this.st.batchesAfter.all(deviceId, after) as Row[]).map(batchOf);
  }

  batchesBetween(deviceId: string, first: number, last: number): StoredBatch[] {
    assert(first >= 1 && last - first < limits.replayReadBatchesMax, "a bounded batch range");
    if (last < first) return [];
    return (this.st.batchesBetween.all(deviceId, first, last) as Row[]).map(batchOf);
  }

  lastBatchNo(deviceId: string): number {
    const row = this.st.lastBatch.get(deviceId) as Row | undefined;
    return row === undefined ? 0 : (row.last as number);
  }

  appendNetworkInput(deviceId: string, record: NetworkRecord): void {
    const count = this.networkCount(deviceId);
    assert(record.index === count + 1, `network input ${record.index} after ${count}`);
    this.st.insertNetwork.run(
      deviceId,
      record.index,
      record.timeMs,
      record.app,
      record.kind,
      JSON.stringify(record.args),
      record.payloadSha256,
      record.size,
    );
    this.st.setNetworkCount.run(record.index, deviceId);
  }

  getNetworkInput(deviceId: string, index: number): NetworkRecord | undefined {
    const row = this.st.getNetwork.get(deviceId, index) as Row | undefined;
    if (row === undefined) return undefined;
    return {
      index: row.idx as number,
      timeMs: row.time_ms as number,
      app: row.app as AppName,
      kind: row.kind as string,
      args: JSON.parse(row.args as string) as string[],
      payloadSha256: bytesOf(row.payload_sha256),
      size: row.size as number,
    };
  }

  hasNetworkInput(deviceId: string, index: number): boolean {
    return this.st.getNetwork.get(deviceId, index) !== undefined;
  }

  networkCount(deviceId: string): number {
    const row = this.st.getDevice.get(deviceId) as Row | undefined;
    return row === undefined ? 0 : (row.network_count as number);
  }

  appendRepair(deviceId: string, record: RepairRecord): void {
    this.st.insertRepair.run(deviceId, deviceId, record.afterBatchNo, encodeOps(record.ops));
  }

  repairsAfter(deviceId: string, after: number): RepairRecord[] {
    return (this.st.repairsAfter.all(deviceId, after) as Row[]).map((row) => ({
      afterBatchNo: row.after_batch_no as number,
      ops: decodeOps(row.ops as string),
    }));
  }

  getCheckpoint(deviceId: string): Checkpoint | undefined {
    const row = this.st.getCheckpoint.get(deviceId) as Row | undefined;
    return row === undefined ? undefined : decodeCheckpoint(row.body as string);
  }

  putCheckpoint(deviceId: string, checkpoint: Checkpoint): void {
    this.transaction(() => {
      this.st.putCheckpoint.run(deviceId, encodeCheckpoint(checkpoint));
      this.st.pruneBatches.run(deviceId, checkpoint.batchNo);
      this.st.pruneRepairs.run(deviceId, checkpoint.batchNo);
      this.st.pruneNetwork.run(deviceId, checkpoint.networkConsumed);
      // The batches it covers are pruned: the device row keeps the head.
      this.st.raiseLastBatch.run(checkpoint.batchNo, deviceId);
    });
  }

  putBlob(sha256: Uint8Array, bytes: Uint8Array): void {
    const row = this.st.getBlobRef.get(sha256) as Row | undefined;
    if (row !== undefined && (row.inline === 1 || this.blobs.has(sha256))) return;
    if (bytes.length <= limits.blobInlineBytesMax) {
      assert(bytesEqual(this.sha256(bytes), sha256), "blob stored under a hash that is not its own");
      this.st.putInlineBlob.run(sha256, bytes.length, bytes);
      return;
    }
    const written = this.blobs.put(bytes);
    assert(bytesEqual(written, sha256), "blob stored under a hash that is not its own");
    this.st.insertBlobRef.run(sha256, bytes.length);
  }

  /** Reads and verifies the blob; a corrupt or missing one is a thrown typed error, never garbage. */
  getBlob(sha256: Uint8Array): Uint8Array | undefined {
    const row = this.st.getBlobBytes.get(sha256) as Row | undefined;
    if (row === undefined) return undefined;
    const got = row.bytes === null ? this.blobs.get(sha256) : this.verifiedInline(sha256, bytesOf(row.bytes));
    if (!got.ok) throw got.error;
    return got.value;
  }

  /** A small blob's bytes as read from its row, checked against its SHA-256. */
  private verifiedInline(sha256: Uint8Array, bytes: Uint8Array): Result<Uint8Array> {
    if (!bytesEqual(this.sha256(bytes), sha256))
      return fail(
        "E_BLOB_CORRUPT",
        `Blob ${toHex(sha256)} in the database is corrupt: its SHA-256 does not match`,
      );
    return ok(bytes);
  }

  hasBlob(sha256: Uint8Array): boolean {
    return this.st.getBlobRef.get(sha256) !== undefined;
  }

  blobRefs(sha256: Uint8Array): number {
    const row = this.st.getBlobRef.get(sha256) as Row | undefined;
    return row === undefined ? 0 : (row.refs as number);
  }

  putAndRetainBlob(sha256: Uint8Array, bytes: Uint8Array): void {
    this.putBlob(sha256, bytes);
    this.retainBlob(sha256);
  }

  retainBlob(sha256: Uint8Array, count = 1): void {
    assert(count >= 1, "retain count must be positive");
    const changed = this.st.retainBlob.run(count, sha256).changes;
    assert(changed === 1, "retain of a missing blob");
  }

  releaseBlob(sha256: Uint8Array): void {
    const changed = this.st.releaseBlob.run(sha256).changes;
    assert(changed === 1, "release of an unreferenced blob");
    this.st.deleteBlobRef.run(sha256);
  }

  blobStats(): { blobs: number; bytes: number } {
    return this.st.blobStats.get() as { blobs: number; bytes: number };
  }

  /**
   * Start-up check: every referenced blob file exists and hashes to its name
   * (a corrupt file is a clear error now, not garbage later); unreferenced
   * files left by rolled-back transactions are deleted.
   */
  verifyBlobs(): { verified: number; collected: number } {
    const files = new Set<string>();
    let verified = 0;
    const rows = this.db.prepare("SELECT sha256, bytes FROM blob_refs").iterate();
    for (const row of rows as Iterable<Row>) {
      const sha = bytesOf(row.sha256);
      const inline = row.bytes !== null;
      const got = inline ? this.verifiedInline(sha, bytesOf(row.bytes)) : this.blobs.get(sha);
      if (!got.ok) throw new MirrorcellError(got.error.code, `Cannot start: ${got.error.message}`);
      if (!inline) files.add(toHex(sha));
      verified += 1;
    }
    let collected = 0;
    for (const sub of readdirSync(this.blobs.dir)) {
      if (sub === "tmp" || sub.length !== 2) continue;
      for (const name of readdirSync(join(this.blobs.dir, sub))) {
        if (files.has(name)) continue;
        rmSync(join(this.blobs.dir, sub, name), { force: true });
        collected += 1;
      }
    }
    for (const name of readdirSync(join(this.blobs.dir, "tmp")))
      rmSync(join(this.blobs.dir, "tmp", name), { force: true });
    assert(files.size <= verified, "more blob files than verified blobs");
    return { verified, collected };
  }
}

function encodeOps(ops: RepairRecord["ops"]): string {
  return JSON.stringify(
    ops.map((op) => ({ ...op, sha256: op.sha256 === undefined ? undefined : toHex(op.sha256) })),
  );
}

function decodeOps(text: string): RepairRecord["ops"] {
  const raw = JSON.parse(text) as Array<{ path: string; kind: "file" | "dir" | "absent"; sha256?: string }>;
  return raw.map((op) =>
    op.sha256 === undefined ? { path: op.path, kind: op.kind } : { ...op, sha256: hexBytes(op.sha256) },
  );
}

function hexBytes(hex: string): Uint8Array {
  const bytes = fromHex(hex);
  if (bytes === undefined) throw new MirrorcellError("E_FILE_CORRUPT", `Database holds a bad hash "${hex}"`);
  return bytes;
}

function encodeCheckpoint(c: Checkpoint): string {
  const base =
    c.base.kind === "template"
      ? c.base
      : {
          ...c.base,
          files: c.base.files.map((f) => ({ path: f.path, size: f.size, sha256: toHex(f.sha256) })),
        };
  // Bytes go to JSON as hex; the core may add an opaque volatile state.
  const extra = c as Checkpoint & { volatileState?: Uint8Array };
  const volatileState = extra.volatileState === undefined ? undefined : toHex(extra.volatileState);
  const unrepairedDigest = c.unrepairedDigest === undefined ? undefined : toHex(c.unrepairedDigest);
  return JSON.stringify({ ...c, base, volatileState, unrepairedDigest });
}

interface RawCheckpoint extends Omit<Checkpoint, "base"> {
  base:
    | { kind: "template" }
    | { kind: "manifest"; files: Array<{ path: string; size: number; sha256: string }>; emptyDirs: string[] };
}

function decodeCheckpoint(text: string): Checkpoint {
  const parsed = JSON.parse(text) as RawCheckpoint & { volatileState?: string; unrepairedDigest?: string };
  const { volatileState, unrepairedDigest, ...raw } = parsed;
  if (volatileState !== undefined) Object.assign(raw, { volatileState: hexBytes(volatileState) });
  if (unrepairedDigest !== undefined) Object.assign(raw, { unrepairedDigest: hexBytes(unrepairedDigest) });
  if (raw.base.kind === "template") return { ...raw, base: { kind: "template" } };
  const files = raw.base.files.map((f) => ({ path: f.path, size: f.size, sha256: hexBytes(f.sha256) }));
  return { ...raw, base: { kind: "manifest", files, emptyDirs: raw.base.emptyDirs } };
}
