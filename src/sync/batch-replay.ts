// Replay of a device's due batches on its mirror (paper §3.3.2 Fig 4;
// DESIGN.md invariants 1, 3, 4): in the phone's interleaving of user and
// network inputs, within a step's budget, waiting (a stall) while a network
// input is not recorded yet, then the digest check after each batch — equal:
// the batch is settled; different: a divergence and a repair is opened.
import { assert } from "../core/assert.ts";
import { bytesEqual } from "../core/bytes.ts";
import type { SyncedPlatform } from "../mirror/platform-port.ts";
import type { StoredBatch } from "../mirror/store.ts";
import { finishBatch } from "./mirror-checkpoints.ts";
import { startRepair } from "./repair-bookkeeping.ts";
import { applyRepairRecord } from "./repair-session.ts";
import { networkInputsAvailable, type ReplayedEvent, replayBatch } from "./replay.ts";
import type { ReplayHead } from "./replay-schedule.ts";
import type { SyncContext } from "./sync-context.ts";
import { type DeviceState, type PendingFrame, positionOf, type ReplayBudget } from "./sync-device-state.ts";

/** Replays the device's batches due by nowMs (no repair may be open); repair requests go to `out`. */
export function replayDue(
  ctx: SyncContext,
  state: DeviceState,
  nowMs: number,
  out: PendingFrame[],
  budget: ReplayBudget,
): void {
  assert(state.repair === undefined, "no replay while a repair is open");
  // Read lazily: a device with nothing due (a notice's or a repair's wake-up) reads nothing.
  let due: StoredBatch[] | undefined;
  let next = 0;
  while (state.queue.length > 0 && state.queue.dueMsAt(0) <= nowMs && state.repair === undefined) {
    if (budget.batchesLeft <= 0) {
      ctx.schedule.wake(state.deviceId, nowMs); // the rest in a later tick
      return;
    }
    const platform = platformOf(ctx, state, { bootAfterPowerOff: true });
    if (platform === undefined) {
      state.metrics.stalls++;
      ctx.schedule.wake(state.deviceId, nowMs + ctx.repairRetryMs);
      return;
    }
    if (due === undefined || next === due.length) {
      due = ctx.schedule.readDue(state, ctx.mirrors.store, nowMs, budget.batchesLeft);
      next = 0;
    }
    const head = ctx.schedule.decodeHead(state, due[next]);
    const available = networkInputsAvailable(platform, head.batch, (i) =>
      ctx.monitor.isRecorded(state.deviceId, i),
    );
    if (!available.ok) {
      state.metrics.stalls++;
      ctx.schedule.wake(state.deviceId, nowMs + ctx.repairRetryMs);
      return;
    }
    ctx.schedule.dequeue(state);
    next++;
    budget.batchesLeft--;
    replayOne(ctx, state, platform, head, nowMs, out);
  }
  // Stopped at a head not due yet: its wake-up (enqueue wakes a device for its head only).
  if (state.queue.length > 0 && state.repair === undefined)
    ctx.schedule.wake(state.deviceId, state.queue.dueMsAt(0));
}

/**
 * The running mirror, loaded from its checkpoint if stopped. Replay boots a
 * mirror stopped by a power-off; a repair does not (the repair's end finishes
 * that power-off batch again: save and stop).
 */
export function platformOf(
  ctx: SyncContext,
  state: DeviceState,
  options: { bootAfterPowerOff: boolean },
): SyncedPlatform | undefined {
  if (state.platform !== undefined) return state.platform;
  const loaded = ctx.mirrors.load(state.deviceId);
  if (!loaded.ok) return undefined;
  assert(
    loaded.value.checkpoint.batchNo === state.applied.batchNo,
    "mirror checkpoint and replay position disagree",
  );
  if (options.bootAfterPowerOff && loaded.value.checkpoint.poweredOff) loaded.value.platform.boot();
  state.platform = loaded.value.platform;
  return state.platform;
}

function replayOne(
  ctx: SyncContext,
  state: DeviceState,
  platform: SyncedPlatform,
  head: ReplayHead,
  nowMs: number,
  out: PendingFrame[],
): void {
  const batch = head.batch;
  const outcome = replayBatch(
    platform,
    head,
    (index) => ctx.monitor.recorded(state.deviceId, index),
    (event) => replayed(ctx, state, event, nowMs),
  );
  state.metrics.rejectedInputs += outcome.rejected;
  state.applied = positionOf(batch);
  state.reask = undefined; // this batch's own digest check covers any earlier divergence
  const logged = state.loggedRepairs.get(batch.batchNo);
  if (logged !== undefined)
    applyRepairRecord(platform.storage, logged, (sha256) => ctx.mirrors.store.getBlob(sha256));
  const digest = platform.digest();
  for (const hook of ctx.batchHooks) hook(state.deviceId, batch.batchNo, digest, nowMs);
  if (bytesEqual(digest, batch.storageDigest)) {
    finishBatch(ctx, state, batch);
    return;
  }
  state.metrics.divergences++;
  const frame = startRepair(state, platform, batch, { sha256: ctx.sha256, nowMs, reask: false });
  out.push({ deviceId: state.deviceId, frame });
  ctx.schedule.wake(state.deviceId, nowMs + ctx.repairRetryMs);
}

/** Metrics (inputs, lag) and the services' hooks for one replayed input. */
function replayed(ctx: SyncContext, state: DeviceState, event: ReplayedEvent, nowMs: number): void {
  if (event.kind === "user") {
    state.metrics.userInputs++;
    const lagMs = nowMs - event.input.timeMs;
    state.metrics.lagMsSum += lagMs;
    state.metrics.lagMsMax = Math.max(state.metrics.lagMsMax, lagMs);
  } else {
    state.metrics.networkInputs++;
  }
  for (const hook of ctx.hooks) hook(state.deviceId, event, nowMs);
}
