// The Syn-Server's side of divergence repair around a RepairSession (DESIGN.md
// "Sync protocol", invariant 1; issue 4): starting a repair on a diverged
// mirror, timed re-sends, logging a finished repair durably, counting its
// end, and the bounded re-ask of a repair whose retries ran out while the
// phone was away, kept durable in the checkpoint so a restarted server still
// asks. State changes only; repair-flow.ts schedules and talks to the phone.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import type { SyncedPlatform } from "../mirror/platform-port.ts";
import type { Checkpoint, MirrorStore, RepairOp } from "../mirror/store.ts";
import type { BatchData } from "./batch.ts";
import { type Frame, repairRequestFrame } from "./frame.ts";
import { RepairSession } from "./repair-session.ts";
import type { DeviceState } from "./sync-device-state.ts";

export type RepairOutcome = "repaired" | "refused" | "timeout";
export type ActiveRepair = NonNullable<DeviceState["repair"]>;

export type RetryStep =
  | { kind: "wait"; dueMs: number }
  | { kind: "give-up" }
  | { kind: "resend"; frame: Frame; dueMs: number };

/** Opens a repair of `batch` on the mirror; the first RepairRequest to send. */
export function startRepair(
  state: DeviceState,
  platform: SyncedPlatform,
  batch: BatchData,
  options: { sha256: Sha256; nowMs: number; reask: boolean },
): Frame {
  assert(state.repair === undefined, "one repair at a time per mirror");
  assert(batch.batchNo === state.applied.batchNo, "a repair targets the replayed batch");
  const session = new RepairSession(batch.batchNo, batch.storageDigest, platform.storage, options.sha256);
  state.repair = { session, sentMs: options.nowMs, retries: 0, batch, reask: options.reask };
  if (options.reask) {
    assert(state.reask?.batch === batch, "a re-ask repairs the remembered batch");
    state.reask.asks++;
    state.metrics.repairReasks++;
  }
  return repairRequestFrame(batch.batchNo, session.pending);
}

/** The timer fired for an open repair: wait more, give up, or send the request again. */
export function retryStep(repair: ActiveRepair, nowMs: number, retryMs: number): RetryStep {
  assert(retryMs > 0, "repair retry interval must be positive");
  if (nowMs < repair.sentMs + retryMs) return { kind: "wait", dueMs: repair.sentMs + retryMs };
  if (repair.retries >= limits.repairRetriesMax) return { kind: "give-up" };
  repair.retries++;
  repair.sentMs = nowMs;
  assert(repair.retries <= limits.repairRetriesMax, "repair retries unbounded");
  return {
    kind: "resend",
    frame: repairRequestFrame(repair.session.batchNo, repair.session.pending),
    dueMs: nowMs + retryMs,
  };
}

/** A finished repair's blobs and ops, durably, so a restart re-applies it after its batch. */
export function logRepair(
  store: MirrorStore,
  deviceId: string,
  afterBatchNo: number,
  done: { ops: RepairOp[]; blobs: Uint8Array[] },
): void {
  const files = done.ops.filter((o) => o.kind === "file");
  assert(files.length === done.blobs.length, "one blob per repaired file");
  store.transaction(() => {
    for (const [i, op] of files.entries()) {
      store.putBlob(op.sha256!, done.blobs[i]!);
      store.retainBlob(op.sha256!);
    }
    store.appendRepair(deviceId, { afterBatchNo, ops: done.ops });
  });
}

/** Closes the open repair and counts it; a silent phone's repair is remembered for a re-ask. */
export function closeRepair(state: DeviceState, outcome: RepairOutcome): ActiveRepair {
  const repair = state.repair;
  assert(repair !== undefined, "closing a repair that is not open");
  state.repair = undefined;
  if (outcome === "repaired") state.metrics.repairs++;
  else state.metrics.repairsFailed++;
  // Only silence is worth asking again: a phone that answered has said all it can.
  if (outcome !== "timeout") state.reask = undefined;
  else if (state.reask === undefined && state.queue.length === 0)
    state.reask = { batch: repair.batch, asks: 0 };
  return repair;
}

/**
 * The batch to ask about again, if any: bounded by limits.repairReasksMax and
 * only while nothing newer was replayed or is queued (its own digest check
 * would cover the divergence). startRepair counts the ask.
 */
export function takeReask(state: DeviceState): BatchData | undefined {
  const reask = state.reask;
  if (reask === undefined || state.repair !== undefined || state.queue.length > 0) return undefined;
  if (reask.asks >= limits.repairReasksMax || state.applied.batchNo !== reask.batch.batchNo) {
    state.reask = undefined;
    return undefined;
  }
  return reask.batch;
}

/**
 * Right after a save: if the mirror was saved at the batch it is known to
 * differ from the phone at (a re-ask is owed), the checkpoint says so, or a
 * restart would forget it and leave the mirror diverged until the phone's
 * next batch. Any later save without a re-ask owed drops the mark.
 */
export function markUnrepaired(store: MirrorStore, state: DeviceState): void {
  const reask = state.reask;
  if (reask === undefined) return;
  const checkpoint = store.getCheckpoint(state.deviceId);
  assert(checkpoint !== undefined, "a saved mirror has a checkpoint");
  if (checkpoint.batchNo !== reask.batch.batchNo) return;
  assert(reask.batch.storageDigest.length === limits.digestBytes, "a re-ask carries the phone's digest");
  store.putCheckpoint(state.deviceId, { ...checkpoint, unrepairedDigest: reask.batch.storageDigest });
}

/**
 * The re-ask a restarted server owes, from a checkpoint marked unrepaired: the
 * checkpoint's batch as one without inputs at the same position (the repair
 * needs only its number, digest and position; its inputs are replayed already).
 */
export function reaskFromCheckpoint(deviceId: string, checkpoint: Checkpoint): DeviceState["reask"] {
  const storageDigest = checkpoint.unrepairedDigest;
  if (storageDigest === undefined) return undefined;
  assert(storageDigest.length === limits.digestBytes, "an unrepaired mark holds a digest");
  assert(checkpoint.batchNo >= 1, "a template checkpoint is never unrepaired");
  const batch: BatchData = {
    deviceId,
    batchNo: checkpoint.batchNo,
    firstSeq: checkpoint.lastSeq + 1,
    windowStartMs: checkpoint.windowEndMs,
    windowEndMs: checkpoint.windowEndMs,
    inputs: [],
    networkConsumed: checkpoint.networkConsumed,
    storageDigest,
    powerOff: checkpoint.poweredOff,
  };
  return { batch, asks: 0 };
}
