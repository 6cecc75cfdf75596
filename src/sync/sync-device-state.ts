// The Syn-Server's per-device volatile state (paper §3.3.2 Fig 4; DESIGN.md
// "Sync protocol"): where intake and replay stand, the replay queue, the
// repair in progress and the metrics. Types and small constructors only; the
// SyncServer (sync-server.ts) and its parts (intake, replay, checkpoints,
// repair) own the behaviour.

import type { SyncedPlatform } from "../mirror/platform-port.ts";
import type { RepairRecord } from "../mirror/store.ts";
import { type BatchData, lastSeqOf } from "./batch.ts";
import type { BatchSummary } from "./batch-validate.ts";
import type { Frame } from "./frame.ts";
import type { NoticeOutbox } from "./notice-outbox.ts";
import type { QueuedBatches } from "./queued-batches.ts";
import type { RepairSession } from "./repair-session.ts";
import type { ReplayedEvent } from "./replay.ts";

/** An encoded frame for one phone. */
export interface Outbound {
  deviceId: string;
  bytes: Uint8Array;
}

export interface PendingFrame {
  deviceId: string;
  frame: Frame;
}

export interface DeviceSyncMetrics {
  batches: number;
  duplicates: number;
  uplinkBytes: number;
  userInputs: number;
  networkInputs: number;
  divergences: number;
  repairs: number;
  repairsFailed: number;
  /** RepairRequests sent again, on a later frame of the phone, after a repair's retries ran out. */
  repairReasks: number;
  repairBytes: number;
  rejectedInputs: number;
  /** Network inputs the mirror refused and skipped after repair (see skipRefusedNetwork). */
  networkSkipped: number;
  stalls: number;
  lagMsMax: number;
  lagMsSum: number;
}

export type ReplayHook = (deviceId: string, event: ReplayedEvent, replayMs: number) => void;

/** Every replayed batch (also re-replay after restore), with the mirror digest the check compared. */
export type BatchReplayedHook = (
  deviceId: string,
  batchNo: number,
  mirrorDigest: Uint8Array,
  replayMs: number,
) => void;

export interface Position {
  batchNo: number;
  lastSeq: number;
  networkConsumed: number;
  windowEndMs: number;
}

export interface ReplayBudget {
  batchesLeft: number;
}

export interface DeviceState {
  deviceId: string;
  /** Highest contiguous batch accepted (durable once the store returned). */
  accepted: Position;
  /** Out-of-order batches waiting for their predecessors (not durable, not acked). */
  early: Map<number, { batch: BatchSummary; bytes: Uint8Array }>;
  /** Bytes held in `early`. */
  earlyBytes: number;
  /**
   * Durable batches waiting for replay. Neither their inputs nor their bytes
   * are held: replay reads them back from the MirrorStore (a backlog held in
   * memory grows the heap and keeps the garbage collector busy promoting it).
   */
  queue: QueuedBatches;
  /** Wire bytes in `queue`. */
  queueBytes: number;
  applied: Position;
  platform: SyncedPlatform | undefined;
  loggedRepairs: Map<number, RepairRecord>;
  repair:
    | { session: RepairSession; sentMs: number; retries: number; batch: BatchData; reask: boolean }
    | undefined;
  /**
   * The mirror is still diverged at its last replayed batch: a repair's
   * retries ran out while the phone was away. Asked again when it is back.
   */
  reask: { batch: BatchData; asks: number } | undefined;
  notices: NoticeOutbox;
  metrics: DeviceSyncMetrics;
}

export function emptyMetrics(): DeviceSyncMetrics {
  return {
    batches: 0,
    duplicates: 0,
    uplinkBytes: 0,
    userInputs: 0,
    networkInputs: 0,
    divergences: 0,
    repairs: 0,
    repairsFailed: 0,
    repairReasks: 0,
    repairBytes: 0,
    rejectedInputs: 0,
    networkSkipped: 0,
    stalls: 0,
    lagMsMax: 0,
    lagMsSum: 0,
  };
}

export function positionOf(batch: BatchData): Position {
  return positionAt(batch, lastSeqOf(batch));
}

/** The position after a batch whose last seq is known (a validated summary: no inputs to count). */
export function positionAt(
  batch: Pick<BatchSummary, "batchNo" | "networkConsumed" | "windowEndMs">,
  lastSeq: number,
): Position {
  return {
    batchNo: batch.batchNo,
    lastSeq,
    networkConsumed: batch.networkConsumed,
    windowEndMs: batch.windowEndMs,
  };
}
