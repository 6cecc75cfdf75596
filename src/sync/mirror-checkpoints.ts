// When the Syn-Server saves a mirror (paper §3.3.2: saved and stopped at
// power-off; DESIGN.md "Mirrors", invariant 2): after a replayed batch
// (periodic checkpoint, power-off save-and-stop, skipping a network input the
// mirror refused) and on an admin save. A save prunes the durable log before
// it, and a mirror saved where it still differs from the phone says so in
// its checkpoint (markUnrepaired) so a restart asks the phone again.
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import type { BatchData } from "./batch.ts";
import { markUnrepaired } from "./repair-bookkeeping.ts";
import type { SyncContext } from "./sync-context.ts";
import { type DeviceState, type Position, positionOf } from "./sync-device-state.ts";

/** Saves a running mirror at the batch it has replayed; a stopped one's checkpoint is current. */
export function checkpointDevice(ctx: SyncContext, state: DeviceState): Result<void> {
  if (state.repair !== undefined)
    return fail(ErrorCodes.MIRROR_FROZEN, `Mirror ${state.deviceId} is being repaired`);
  if (state.platform === undefined) return ok(undefined);
  const saved = saveMirror(ctx, state, state.applied, false);
  if (saved.ok) state.loggedRepairs.clear();
  return saved;
}

/** A replayed batch is settled (digest equal, or its repair ended): checkpoint, stop or skip. */
export function finishBatch(ctx: SyncContext, state: DeviceState, batch: BatchData): void {
  const every = ctx.checkpointEveryBatches;
  if (
    !batch.powerOff &&
    state.platform !== undefined &&
    state.platform.networkConsumed < batch.networkConsumed
  ) {
    skipRefusedNetwork(ctx, state, batch);
    return;
  }
  if (!batch.powerOff) {
    if (every > 0 && batch.batchNo % every === 0) checkpointDevice(ctx, state);
    return;
  }
  const saved = saveMirror(ctx, state, positionOf(batch), true);
  assert(saved.ok, "a replaying mirror must be running");
  state.platform = undefined;
  state.loggedRepairs.clear();
}

/** Saves (and at power-off stops) the mirror; a divergence known there goes into the checkpoint. */
function saveMirror(ctx: SyncContext, state: DeviceState, position: Position, stop: boolean): Result<void> {
  const store = ctx.mirrors.store;
  return store.transaction(() => {
    const { deviceId } = state;
    const saved = stop ? ctx.mirrors.saveAndStop(deviceId, position) : ctx.mirrors.save(deviceId, position);
    if (saved.ok) markUnrepaired(store, state);
    return saved;
  });
}

/**
 * The mirror refused a network input the phone accepted (a platform
 * difference): it cannot consume it, so every later batch would stop at
 * the same input. The digest check has reported (and repair fixed) the
 * storage; we checkpoint the mirror at the phone's position, counting the
 * refused input as consumed, and reload so replay continues from there.
 */
function skipRefusedNetwork(ctx: SyncContext, state: DeviceState, batch: BatchData): void {
  assert(state.platform !== undefined && state.repair === undefined, "skip on a running, unrepaired mirror");
  state.metrics.networkSkipped += batch.networkConsumed - state.platform.networkConsumed;
  const saved = saveMirror(ctx, state, positionOf(batch), false);
  assert(saved.ok, "a replaying mirror must be running");
  ctx.mirrors.unload(state.deviceId);
  state.platform = undefined;
  state.loggedRepairs.clear();
}
