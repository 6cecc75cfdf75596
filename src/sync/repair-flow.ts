// The Syn-Server's repair conversation with a phone (DESIGN.md "Sync
// protocol": divergence repaired by a Merkle diff, invariant 1): timed
// re-sends, the phone's answers, the end of a repair (settle its batch, then
// replay what waited behind it) and the bounded re-ask of a repair whose
// retries ran out while the phone was away. State changes are in
// repair-bookkeeping.ts; this module schedules and produces the frames.
import { assert } from "../core/assert.ts";
import { bytesEqual } from "../core/bytes.ts";
import { ok, type Result } from "../core/errors.ts";
import type { RepairResponse } from "../gen/mirrorcell/v1/sync_pb.ts";
import { platformOf, replayDue } from "./batch-replay.ts";
import { type Frame, repairRequestFrame } from "./frame.ts";
import { checkpointDevice, finishBatch } from "./mirror-checkpoints.ts";
import {
  closeRepair,
  logRepair,
  type RepairOutcome,
  retryStep,
  startRepair,
  takeReask,
} from "./repair-bookkeeping.ts";
import type { SyncContext } from "./sync-context.ts";
import type { DeviceState, PendingFrame } from "./sync-device-state.ts";

/** The timer fired for the device's open repair: wait, re-send, or give up and move on. */
export function retryRepair(ctx: SyncContext, state: DeviceState, nowMs: number, out: PendingFrame[]): void {
  assert(state.repair !== undefined, "retry without an open repair");
  const step = retryStep(state.repair, nowMs, ctx.repairRetryMs);
  if (step.kind === "give-up") {
    endRepair(ctx, state, nowMs, "timeout", out);
    return;
  }
  if (step.kind === "resend") out.push({ deviceId: state.deviceId, frame: step.frame });
  ctx.schedule.wake(state.deviceId, step.dueMs);
}

/** The phone's RepairResponse: ask for the blobs still missing, or end the repair. */
export function receiveRepair(
  ctx: SyncContext,
  state: DeviceState | undefined,
  response: RepairResponse,
  nowMs: number,
): Result<Frame[]> {
  const repair = state?.repair;
  if (state === undefined || repair === undefined || Number(response.afterSeq) !== repair.session.batchNo) {
    return ok([]); // a late answer to a finished repair: harmless
  }
  assert(repair.session.batchNo === state.applied.batchNo, "an open repair holds replay at its batch");
  const step = repair.session.onResponse(response);
  if (!step.ok) return step;
  const out: PendingFrame[] = [];
  if (step.value.kind === "request") {
    repair.sentMs = nowMs;
    repair.retries = 0;
    return ok([repairRequestFrame(repair.session.batchNo, step.value.paths)]);
  }
  if (step.value.kind === "done") {
    state.metrics.repairBytes += step.value.bytesReceived;
    logRepair(ctx.mirrors.store, state.deviceId, repair.session.batchNo, step.value);
    endRepair(ctx, state, nowMs, "repaired", out);
  } else {
    endRepair(ctx, state, nowMs, "refused", out);
  }
  return ok(out.map((o) => o.frame));
}

function endRepair(
  ctx: SyncContext,
  state: DeviceState,
  nowMs: number,
  outcome: RepairOutcome,
  out: PendingFrame[],
): void {
  const repair = closeRepair(state, outcome);
  assert(repair.batch.batchNo === state.applied.batchNo, "a repair ends on the replayed batch");
  finishBatch(ctx, state, repair.batch);
  // A late repair of a running mirror: save it, or a restart from an older
  // checkpoint would lose it (the log replays repairs only after later batches).
  if (outcome === "repaired" && repair.reask && !repair.batch.powerOff) checkpointDevice(ctx, state);
  ctx.schedule.wake(state.deviceId, nowMs);
  replayDue(ctx, state, nowMs, out, { batchesLeft: Number.POSITIVE_INFINITY });
}

/** Asks the phone again for a repair that ran out of retries while it was away (bounded). */
export function reaskRepair(ctx: SyncContext, state: DeviceState, nowMs: number): Frame[] {
  const batch = takeReask(state);
  if (batch === undefined) return [];
  assert(
    state.repair === undefined && batch.batchNo === state.applied.batchNo,
    "a re-ask repairs the replayed batch",
  );
  const platform = platformOf(ctx, state, { bootAfterPowerOff: false });
  if (platform === undefined) return []; // asked on a later frame
  if (bytesEqual(platform.digest(), batch.storageDigest)) {
    state.reask = undefined;
    return [];
  }
  ctx.schedule.wake(state.deviceId, nowMs + ctx.repairRetryMs);
  return [startRepair(state, platform, batch, { sha256: ctx.sha256, nowMs, reask: true })];
}
