// In-memory MirrorStore (store.ts). The simulator treats it as the durable
// part of a server that survives a simulated crash; tests use it directly.
// Blobs are keyed by their SHA-256 (one char per byte) with reference counts. With `groupCommit`
// batch appends become durable only at commit() — the live runtime's group
// commit — and a crash (loseUncommitted) drops the ones not yet committed.
import { assert } from "../core/assert.ts";
import { isSlabView } from "../core/byte-slab.ts";
import { spansBuffer } from "../core/bytes.ts";
import { limits } from "../core/limits.ts";
import type { AppName } from "../platform/inputs.ts";
import type {
  Checkpoint,
  DeviceRecord,
  MirrorStore,
  NetworkRecord,
  RepairRecord,
  StoredBatch,
} from "./store.ts";

/**
 * A network input as held: its payload hash as the blob table's key string.
 * A hash array per record cost a typed array, an ArrayBuffer and its
 * external backing store (GC sweeps each one) for every input a mirror has
 * not yet checkpointed; getNetworkInput rebuilds the array on request.
 */
interface HeldNetworkInput {
  index: number;
  timeMs: number;
  app: AppName;
  kind: string;
  args: readonly string[];
  payloadKey: string;
  size: number;
}

interface DeviceLog {
  /** Frozen: handed out as it is, never copied. */
  record: Readonly<DeviceRecord>;
  batches: StoredBatch[];
  lastBatchNo: number;
  network: Map<number, HeldNetworkInput>;
  networkCount: number;
  repairs: RepairRecord[];
  checkpoint: Checkpoint | undefined;
}

export interface MemoryStoreOptions {
  /** Batch appends are durable only once commit() ran (default: durable when appendBatch returns). */
  groupCommit?: boolean;
}

export class MemoryMirrorStore implements MirrorStore {
  private readonly devices = new Map<string, DeviceLog>();
  private readonly blobs = new Map<string, { bytes: Uint8Array; refs: number }>();
  private blobBytes = 0;
  private readonly groupCommit: boolean;
  /**
   * The hash array the last blob key was built from, and that key: the
   * traffic monitor appends a network input with the very hash it just
   * stored the payload under (immutable by contract), so the record takes
   * the table's key string instead of building and keeping its own.
   */
  private lastKeyHash: Uint8Array | undefined;
  private lastKey = "";
  /**
   * The hash array getNetworkInput last handed out and its key: the replay
   * asks getBlob for exactly that array next (TrafficMonitor.recorded), which
   * then looks up the held key instead of building and hashing a new string.
   * Checked byte by byte on use: the caller owns the array and may change it.
   */
  private recordHash: Uint8Array | undefined;
  private recordKey = "";
  /** Per device, the first batch appended since the last commit (group-commit mode). */
  private readonly uncommitted = new Map<string, number>();

  constructor(options: MemoryStoreOptions = {}) {
    this.groupCommit = options.groupCommit ?? false;
  }

  /** Makes every append so far durable; returns the devices whose batches just became durable. */
  commit(): string[] {
    const devices = [...this.uncommitted.keys()];
    this.uncommitted.clear();
    return devices;
  }

  /** Devices with appended batches a crash would lose. */
  get uncommittedDevices(): number {
    return this.uncommitted.size;
  }

  /** Highest batch of the device that survives a crash now. */
  durableBatchNo(deviceId: string): number {
    const first = this.uncommitted.get(deviceId);
    const last = this.lastBatchNo(deviceId);
    return first === undefined ? last : Math.max(first - 1, this.getCheckpoint(deviceId)?.batchNo ?? 0);
  }

  /**
   * A crash: batch appends since the last commit are gone, and so are repairs
   * logged after them (one log, so they were later in it). A checkpoint
   * already covering a lost batch keeps it: the mirror state is durable.
   * Returns the number of batches lost.
   */
  loseUncommitted(): number {
    let lost = 0;
    for (const [deviceId, first] of this.uncommitted) {
      const log = this.log(deviceId);
      const keepTo = this.durableBatchNo(deviceId);
      const before = log.batches.length;
      log.batches = log.batches.filter((b) => b.batchNo <= keepTo);
      log.repairs = log.repairs.filter((r) => r.afterBatchNo < first);
      lost += before - log.batches.length;
      log.lastBatchNo = keepTo;
      assert(keepTo >= (log.checkpoint?.batchNo ?? 0), "a crash never loses a checkpointed batch");
    }
    this.uncommitted.clear();
    return lost;
  }

  transaction<T>(fn: () => T): T {
    return fn();
  }

  putDevice(record: DeviceRecord): void {
    const existing = this.devices.get(record.deviceId);
    const frozen = Object.freeze({ ...record });
    if (existing) {
      existing.record = frozen;
      return;
    }
    this.devices.set(record.deviceId, {
      record: frozen,
      batches: [],
      lastBatchNo: 0,
      network: new Map(),
      networkCount: 0,
      repairs: [],
      checkpoint: undefined,
    });
  }

  /** The stored record itself, frozen: the traffic monitor asks once per network input. */
  getDevice(deviceId: string): DeviceRecord | undefined {
    return this.devices.get(deviceId)?.record;
  }

  listDevices(): DeviceRecord[] {
    return [...this.devices.values()].map((log) => log.record);
  }

  appendBatch(deviceId: string, batch: StoredBatch): void {
    const log = this.log(deviceId);
    // Messages are built only on failure: appends run per batch and per network input.
    if (batch.batchNo !== log.lastBatchNo + 1)
      assert(false, `batch ${batch.batchNo} appended after ${log.lastBatchNo}`);
    // Bytes are immutable by contract (store.ts): kept, not copied — a fleet-hour holds millions.
    // One literal shape, not a spread of the caller's object.
    log.batches.push({
      batchNo: batch.batchNo,
      lastSeq: batch.lastSeq,
      windowEndMs: batch.windowEndMs,
      bytes: batch.bytes,
    });
    log.lastBatchNo = batch.batchNo;
    if (this.groupCommit && !this.uncommitted.has(deviceId)) this.uncommitted.set(deviceId, batch.batchNo);
  }

  getBatch(deviceId: string, batchNo: number): StoredBatch | undefined {
    const log = this.log(deviceId);
    const first = log.batches[0];
    if (first === undefined) return undefined;
    return log.batches[batchNo - first.batchNo];
  }

  batchesBetween(deviceId: string, first: number, last: number): StoredBatch[] {
    assert(first >= 1 && last - first < limits.replayReadBatchesMax, "a bounded batch range");
    const batches = this.log(deviceId).batches;
    const head = batches[0];
    if (head === undefined || last < first) return [];
    // The log is contiguous from its head (appendBatch checks the order).
    return batches.slice(Math.max(0, first - head.batchNo), Math.max(0, last - head.batchNo + 1));
  }

  batchesAfter(deviceId: string, after: number): StoredBatch[] {
    return this.log(deviceId).batches.filter((b) => b.batchNo > after);
  }

  lastBatchNo(deviceId: string): number {
    return this.devices.get(deviceId)?.lastBatchNo ?? 0;
  }

  appendNetworkInput(deviceId: string, record: NetworkRecord): void {
    const log = this.log(deviceId);
    if (!(record.index > log.networkCount))
      assert(false, `network input ${record.index} after ${log.networkCount}`);
    log.network.set(record.index, {
      index: record.index,
      timeMs: record.timeMs,
      app: record.app,
      kind: record.kind,
      args: record.args.slice(),
      payloadKey: record.payloadSha256 === this.lastKeyHash ? this.lastKey : blobKey(record.payloadSha256),
      size: record.size,
    });
    log.networkCount = record.index;
  }

  getNetworkInput(deviceId: string, index: number): NetworkRecord | undefined {
    const held = this.devices.get(deviceId)?.network.get(index);
    if (held === undefined) return undefined;
    const payloadSha256 = blobKeyBytes(held.payloadKey);
    this.recordHash = payloadSha256;
    this.recordKey = held.payloadKey;
    return {
      index: held.index,
      timeMs: held.timeMs,
      app: held.app,
      kind: held.kind,
      args: held.args,
      payloadSha256,
      size: held.size,
    };
  }

  /** Whether input `index` is in the device's log, without rebuilding its record (replay asks per input). */
  hasNetworkInput(deviceId: string, index: number): boolean {
    return this.devices.get(deviceId)?.network.has(index) ?? false;
  }

  networkCount(deviceId: string): number {
    return this.devices.get(deviceId)?.networkCount ?? 0;
  }

  appendRepair(deviceId: string, record: RepairRecord): void {
    this.log(deviceId).repairs.push({ afterBatchNo: record.afterBatchNo, ops: [...record.ops] });
  }

  repairsAfter(deviceId: string, after: number): RepairRecord[] {
    return this.log(deviceId).repairs.filter((r) => r.afterBatchNo > after);
  }

  getCheckpoint(deviceId: string): Checkpoint | undefined {
    return this.devices.get(deviceId)?.checkpoint;
  }

  putCheckpoint(deviceId: string, checkpoint: Checkpoint): void {
    const log = this.log(deviceId);
    assert(checkpoint.batchNo <= log.lastBatchNo || log.batches.length === 0, "checkpoint beyond the log");
    log.checkpoint = checkpoint;
    log.batches = log.batches.filter((b) => b.batchNo > checkpoint.batchNo);
    log.repairs = log.repairs.filter((r) => r.afterBatchNo > checkpoint.batchNo);
    for (const index of log.network.keys())
      if (index <= checkpoint.networkConsumed) log.network.delete(index);
    log.lastBatchNo = Math.max(log.lastBatchNo, checkpoint.batchNo);
  }

  putBlob(sha256: Uint8Array, bytes: Uint8Array): void {
    const key = blobKey(sha256);
    if (!this.blobs.has(key)) this.addBlob(key, bytes, 0);
  }

  /** putBlob and one retainBlob: one key and one table look-up per network input instead of three. */
  putAndRetainBlob(sha256: Uint8Array, bytes: Uint8Array): void {
    const key = blobKey(sha256);
    this.lastKeyHash = sha256;
    this.lastKey = key;
    const entry = this.blobs.get(key);
    if (entry === undefined) this.addBlob(key, bytes, 1);
    else entry.refs++;
  }

  private addBlob(key: string, bytes: Uint8Array, refs: number): void {
    assert(refs >= 0 && bytes.length <= limits.networkPayloadBytesMax, "addBlob: bad blob");
    // A subarray would pin its whole parent buffer (a decoded frame): copy only then.
    // A slab view (core/byte-slab.ts, an immutable payload) pins one small slab: kept.
    this.blobs.set(key, { bytes: spansBuffer(bytes) || isSlabView(bytes) ? bytes : bytes.slice(), refs });
    this.blobBytes += bytes.length;
  }

  getBlob(sha256: Uint8Array): Uint8Array | undefined {
    const key =
      sha256 === this.recordHash && keyHolds(this.recordKey, sha256) ? this.recordKey : blobKey(sha256);
    return this.blobs.get(key)?.bytes;
  }

  hasBlob(sha256: Uint8Array): boolean {
    return this.blobs.has(blobKey(sha256));
  }

  blobRefs(sha256: Uint8Array): number {
    return this.blobs.get(blobKey(sha256))?.refs ?? 0;
  }

  retainBlob(sha256: Uint8Array, count = 1): void {
    const entry = this.blobs.get(blobKey(sha256));
    assert(entry !== undefined, "retain of a missing blob");
    assert(count >= 1, "retain count must be positive");
    entry.refs += count;
  }

  releaseBlob(sha256: Uint8Array): void {
    const key = blobKey(sha256);
    const entry = this.blobs.get(key);
    assert(entry !== undefined && entry.refs > 0, "release of an unreferenced blob");
    entry.refs--;
    if (entry.refs === 0) {
      this.blobs.delete(key);
      this.blobBytes -= entry.bytes.length;
    }
  }

  blobStats(): { blobs: number; bytes: number } {
    return { blobs: this.blobs.size, bytes: this.blobBytes };
  }

  private log(deviceId: string): DeviceLog {
    const log = this.devices.get(deviceId);
    if (log === undefined) assert(false, `device ${deviceId} not in the store`);
    return log;
  }
}

/** Hashes a blob is kept under, at most: a SHA-256 is 32 bytes; the bound keeps blobKey's apply() small. */
const blobKeyBytesMax = 64;

/**
 * A blob's map key: one char per hash byte, built in one call. toHex built a
 * 64-char string by 32 concatenations (~2 us a key against ~0.4 us in a
 * micro-benchmark), and blob lookups run for every network input recorded
 * and replayed.
 */
function blobKey(sha256: Uint8Array): string {
  if (sha256.length === 32) return blobKey32(sha256);
  if (sha256.length > blobKeyBytesMax) assert(false, `blob hash of ${sha256.length} bytes`);
  return String.fromCharCode.apply(null, sha256 as unknown as number[]);
}

/**
 * A SHA-256's key (every blob's): explicit arguments, not apply() over a
 * typed array, which builds an argument list from the array-like first
 * (CreateListFromArrayLike under every network input recorded in perf).
 */
// biome-ignore format: 32 arguments read better as two rows
function blobKey32(b: Uint8Array): string {
  return String.fromCharCode(
    b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!, b[9]!, b[10]!, b[11]!, b[12]!, b[13]!, b[14]!, b[15]!,
    b[16]!, b[17]!, b[18]!, b[19]!, b[20]!, b[21]!, b[22]!, b[23]!, b[24]!, b[25]!, b[26]!, b[27]!, b[28]!, b[29]!, b[30]!, b[31]!,
  );
}

/** Whether `key` is blobKey(sha256). */
function keyHolds(key: string, sha256: Uint8Array): boolean {
  if (key.length !== sha256.length) return false;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) !== sha256[i]) return false;
  return true;
}

/** The hash a blobKey was built from (a fresh array: callers may keep it). */
function blobKeyBytes(key: string): Uint8Array {
  assert(key.length <= blobKeyBytesMax, "blob key too long");
  const out = new Uint8Array(key.length);
  for (let i = 0; i < key.length; i++) {
    const code = key.charCodeAt(i);
    if (code > 0xff) assert(false, "a blob key holds one byte per char");
    out[i] = code;
  }
  return out;
}
