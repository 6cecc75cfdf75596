// A device's Syn-Server state rebuilt from the durable store (DESIGN.md
// "Invariants": a server restart restores every mirror from durable state;
// volatile state may be lost): positions from its checkpoint, the batches
// logged after it queued again for replay, the repairs logged after it, and a
// re-ask the checkpoint says is still owed.
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { summaryLastSeq, validateBatchMessage } from "./batch-validate.ts";
import { syncBatchFromBinary } from "./frame.ts";
import { NoticeOutbox } from "./notice-outbox.ts";
import { QueuedBatches } from "./queued-batches.ts";
import { reaskFromCheckpoint } from "./repair-bookkeeping.ts";
import type { SyncContext } from "./sync-context.ts";
import { type DeviceState, emptyMetrics, type Position, positionAt } from "./sync-device-state.ts";

/** The device's state at its checkpoint with its unreplayed log queued; the caller keeps it. */
export function restoreDeviceState(ctx: SyncContext, deviceId: string): Result<DeviceState> {
  const store = ctx.mirrors.store;
  if (store.getDevice(deviceId) === undefined)
    return fail(ErrorCodes.DEVICE_UNKNOWN, `Unknown device ${deviceId}`);
  if (ctx.mirrors.status(deviceId) === "cloning")
    return fail(ErrorCodes.MIRROR_FROZEN, `Mirror ${deviceId} is being cloned`);
  const checkpoint = store.getCheckpoint(deviceId);
  if (checkpoint === undefined) return fail(ErrorCodes.MIRROR_UNKNOWN, `Mirror ${deviceId} has no state yet`);
  // Only the position: a spread checkpoint would carry its manifest and marks into later saves.
  const { batchNo, lastSeq, networkConsumed, windowEndMs } = checkpoint;
  const base: Position = { batchNo, lastSeq, networkConsumed, windowEndMs };
  const state: DeviceState = {
    deviceId,
    accepted: base,
    early: new Map(),
    earlyBytes: 0,
    queue: new QueuedBatches(),
    queueBytes: 0,
    applied: base,
    platform: ctx.mirrors.running(deviceId),
    loggedRepairs: new Map(store.repairsAfter(deviceId, checkpoint.batchNo).map((r) => [r.afterBatchNo, r])),
    repair: undefined,
    reask: reaskFromCheckpoint(deviceId, checkpoint),
    notices: new NoticeOutbox(),
    metrics: emptyMetrics(),
  };
  // A restart re-replays from the checkpoint: any running instance is stale.
  if (state.platform !== undefined && store.lastBatchNo(deviceId) > checkpoint.batchNo) {
    ctx.mirrors.unload(deviceId);
    state.platform = undefined;
  }
  for (const stored of store.batchesAfter(deviceId, checkpoint.batchNo)) {
    // Validated, not decoded (same acceptance): replay decodes the bytes when the batch is due.
    const summary = validateBatchMessage(syncBatchFromBinary(stored.bytes));
    if (!summary.ok) {
      ctx.schedule.forget(state); // the state is dropped: its queued bytes must not stay counted
      return fail(
        ErrorCodes.FILE_CORRUPT,
        `Stored batch ${stored.batchNo} of ${deviceId}: ${summary.error.message}`,
      );
    }
    state.accepted = positionAt(summary.value, summaryLastSeq(summary.value));
    ctx.schedule.enqueue(state, summary.value, stored.bytes, ctx.tMaxMs);
  }
  return ok(state);
}
