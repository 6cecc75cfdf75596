// The durable state of a mirror server (DESIGN.md "Mirrors", "Scale-out"), as
// a synchronous port: the simulator keeps the in-memory implementation across
// a simulated crash, the live server implements it on SQLite (or JetStream).
//
// Durability contract: when a mutating call returns, its effect survives a
// crash — unless the runtime defers acks (SyncServer option `deferAcks`) and
// calls `SyncServer.markDurable` after its group commit.
// Bytes handed in or out are immutable: the store may keep the caller's array
// (the in-memory store does) and callers never write into what it returns.
// Atomicity: each call is atomic on its own; `transaction(fn)` groups the
// calls inside fn (the live store wraps them in one SQL transaction). The sync
// core uses a transaction for: append network input + retain its blob;
// append repair + retain its blobs; put checkpoint + prune + retain/release.
import type { AppName } from "../platform/inputs.ts";
import type { TreeFileEntry } from "./platform-port.ts";

export interface DeviceRecord {
  deviceId: string;
  model: string;
  syncIntervalMs: number;
  origin: "template" | "clone";
}

/** One accepted batch, as received (SyncBatch protobuf bytes) plus indexed fields. */
export interface StoredBatch {
  batchNo: number;
  lastSeq: number;
  windowEndMs: number;
  bytes: Uint8Array;
}

/** A recorded network input; its payload lives in the blob table. */
export interface NetworkRecord {
  index: number;
  timeMs: number;
  app: AppName;
  kind: string;
  args: readonly string[];
  payloadSha256: Uint8Array;
  size: number;
}

export interface RepairOp {
  path: string;
  /** "file": write the blob sha256; "dir": ensure directory; "absent": remove. */
  kind: "file" | "dir" | "absent";
  sha256?: Uint8Array;
}

/** Changes applied to a mirror after replaying batch `afterBatchNo` (divergence repair). */
export interface RepairRecord {
  afterBatchNo: number;
  ops: readonly RepairOp[];
}

export type CheckpointBase =
  | { kind: "template" }
  | { kind: "manifest"; files: readonly TreeFileEntry[]; emptyDirs: readonly string[] };

/**
 * A restorable mirror state after batch `batchNo`. Taken only at points where
 * volatile platform state is empty (creation, clone, power-off), so storage
 * alone determines the mirror.
 */
export interface Checkpoint {
  batchNo: number;
  lastSeq: number;
  networkConsumed: number;
  windowEndMs: number;
  poweredOff: boolean;
  base: CheckpointBase;
  /** The platform's volatile state at a clone point (opaque bytes); absent after power-off. */
  volatileState?: Uint8Array;
  /**
   * The phone's storage digest at `batchNo`, present when the mirror is known
   * to differ from it (a repair's retries ran out while the phone was away):
   * a restarted server asks the phone again instead of waiting for its next
   * batch. Absent: in sync as far as the server knows.
   */
  unrepairedDigest?: Uint8Array;
}

export interface MirrorStore {
  transaction<T>(fn: () => T): T;

  putDevice(record: DeviceRecord): void;
  getDevice(deviceId: string): DeviceRecord | undefined;
  listDevices(): DeviceRecord[];

  /** Appends batch `lastBatchNo(deviceId) + 1`. */
  appendBatch(deviceId: string, batch: StoredBatch): void;
  getBatch(deviceId: string, batchNo: number): StoredBatch | undefined;
  /** Stored batches with batchNo > after, ascending. */
  batchesAfter(deviceId: string, after: number): StoredBatch[];
  /**
   * Stored batches with first <= batchNo <= last, ascending (replay reads a
   * device's due batches with one call instead of one getBatch each).
   */
  batchesBetween(deviceId: string, first: number, last: number): StoredBatch[];
  /** Highest batch number ever appended (survives pruning); 0 when none. */
  lastBatchNo(deviceId: string): number;

  /** Appends a network input; its index is above networkCount (a clone may skip ahead). */
  appendNetworkInput(deviceId: string, record: NetworkRecord): void;
  getNetworkInput(deviceId: string, index: number): NetworkRecord | undefined;
  /** Whether input `index` is in the log (replay's availability check: no record built). */
  hasNetworkInput(deviceId: string, index: number): boolean;
  /** Highest network index ever appended (survives pruning). */
  networkCount(deviceId: string): number;

  appendRepair(deviceId: string, record: RepairRecord): void;
  repairsAfter(deviceId: string, after: number): RepairRecord[];

  getCheckpoint(deviceId: string): Checkpoint | undefined;
  /** Replaces the checkpoint; drops batches, network inputs and repairs it covers. */
  putCheckpoint(deviceId: string, checkpoint: Checkpoint): void;

  putBlob(sha256: Uint8Array, bytes: Uint8Array): void;
  /** putBlob, then one retainBlob (the traffic monitor's path, once per network input). */
  putAndRetainBlob(sha256: Uint8Array, bytes: Uint8Array): void;
  getBlob(sha256: Uint8Array): Uint8Array | undefined;
  hasBlob(sha256: Uint8Array): boolean;
  blobRefs(sha256: Uint8Array): number;
  /** Adds `count` references; the blob must exist. */
  retainBlob(sha256: Uint8Array, count?: number): void;
  /** Drops one reference; the blob is deleted when none remain. */
  releaseBlob(sha256: Uint8Array): void;
  blobStats(): { blobs: number; bytes: number };
}
