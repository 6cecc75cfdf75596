// Batch intake of the Syn-Server (DESIGN.md "Sync protocol", invariants 2
// and 4): idempotent (a duplicate is recognised, a conflicting one refused),
// a batch continues its predecessor exactly (seqs, network inputs consumed,
// windows) before it is stored and queued, out-of-order batches wait bounded,
// and the replay backlog is bounded per device and server-wide.
import { assert } from "../core/assert.ts";
import { bytesEqual } from "../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { type BatchSummary, summaryLastSeq } from "./batch-validate.ts";
import type { SyncContext } from "./sync-context.ts";
import { type DeviceState, positionAt } from "./sync-device-state.ts";

/** Intake's success: shared and frozen (a Result per batch is garbage on the ingest hot path). */
const done: Result<void> = Object.freeze(ok(undefined));

/**
 * Takes one validated batch of the device (its summary: intake stores the
 * bytes and never needs the inputs; replay decodes them): a duplicate is
 * counted, the next one is stored and queued (with any held successors), a
 * later one is held. On error nothing changed.
 */
export function intakeBatch(
  ctx: SyncContext,
  state: DeviceState,
  batch: BatchSummary,
  bytes: Uint8Array,
): Result<void> {
  if (batch.batchNo <= state.accepted.batchNo) return duplicate(ctx, state, batch.batchNo, bytes);
  const full = replayQueueFull(state, ctx.schedule.backlogBytes);
  if (full !== undefined)
    return fail(ErrorCodes.QUEUE_FULL, `Replay queue of ${state.deviceId} is full: ${full}`);
  if (batch.batchNo > state.accepted.batchNo + 1) return holdEarly(state, batch, bytes);
  const accepted = accept(ctx, state, batch, bytes);
  if (!accepted.ok) return accepted;
  // In order (the common case) nothing is held: no map walk per batch.
  if (state.early.size > 0) acceptHeld(ctx, state);
  const last = state.queue.lastBatchNo();
  assert(
    last === undefined || last === state.accepted.batchNo,
    "the replay queue ends at the accepted batch",
  );
  assert(
    !state.early.has(state.accepted.batchNo + 1),
    "a held successor of the accepted batch was left behind",
  );
  return done;
}

/** Accepts the held successors of the accepted batch, then drops held batches it overtook. */
function acceptHeld(ctx: SyncContext, state: DeviceState): void {
  for (
    let next = state.early.get(state.accepted.batchNo + 1);
    next;
    next = state.early.get(state.accepted.batchNo + 1)
  ) {
    dropEarly(state, next.batch.batchNo);
    if (!accept(ctx, state, next.batch, next.bytes).ok) break;
  }
  for (const batchNo of state.early.keys()) if (batchNo <= state.accepted.batchNo) dropEarly(state, batchNo);
}

function duplicate(ctx: SyncContext, state: DeviceState, batchNo: number, bytes: Uint8Array): Result<void> {
  const stored = ctx.mirrors.store.getBatch(state.deviceId, batchNo);
  if (stored !== undefined && !bytesEqual(stored.bytes, bytes)) {
    return fail(
      ErrorCodes.SEQ_CONFLICT,
      `Batch ${batchNo} of ${state.deviceId} differs from the one already accepted`,
    );
  }
  state.metrics.duplicates++;
  return done;
}

/** Validates, stores durably (the store's contract) and queues the device's next batch. */
function accept(ctx: SyncContext, state: DeviceState, batch: BatchSummary, bytes: Uint8Array): Result<void> {
  assert(batch.batchNo === state.accepted.batchNo + 1, "accept only the next batch");
  const valid = validateBatch(ctx, state, batch);
  if (valid !== undefined) return valid;
  const lastSeq = summaryLastSeq(batch);
  ctx.mirrors.store.appendBatch(state.deviceId, {
    batchNo: batch.batchNo,
    lastSeq,
    windowEndMs: batch.windowEndMs,
    bytes,
  });
  // A new Position, never an update in place: `applied` may share the object (restore).
  state.accepted = positionAt(batch, lastSeq);
  state.metrics.batches++;
  ctx.schedule.enqueue(state, batch, bytes, ctx.tMaxMs);
  return done;
}

/**
 * Replay is behind (or the phone's windows lie in the future): refuse
 * rather than hold an unbounded backlog; the phone retransmits later. Over
 * the server-wide bound only devices with an empty queue may add a batch,
 * so one flooding phone cannot lock out the others.
 */
function replayQueueFull(state: DeviceState, backlogBytes: number): string | undefined {
  const queued = state.queue.length + state.early.size;
  if (queued >= limits.replayQueueBatchesMax) return `${queued} batches`;
  if (state.queueBytes >= limits.replayBacklogBytesPerDeviceMax) return `${state.queueBytes} bytes`;
  if (backlogBytes >= limits.replayBacklogBytesMax && state.queue.length > 0)
    return `server backlog of ${backlogBytes} bytes`;
  return undefined;
}

/** Holds an out-of-order batch, copied, until its predecessors arrive (not durable, not acked). */
function holdEarly(state: DeviceState, batch: BatchSummary, bytes: Uint8Array): Result<void> {
  const previous = state.early.get(batch.batchNo);
  const earlyBytes = state.earlyBytes - (previous?.bytes.length ?? 0) + bytes.length;
  if (
    (previous === undefined && state.early.size >= limits.unackedBatchesMax) ||
    earlyBytes > limits.earlyBatchBytesPerDeviceMax
  ) {
    return fail(ErrorCodes.QUEUE_FULL, `Too many out-of-order batches for ${state.deviceId}`);
  }
  // Held beyond this call: copies, not views (the live runtime's are views of a
  // socket read buffer a held batch would pin). Rare: one WebSocket keeps order.
  const digest = batch.storageDigest.slice();
  state.early.set(batch.batchNo, { batch: { ...batch, storageDigest: digest }, bytes: bytes.slice() });
  state.earlyBytes = earlyBytes;
  assert(state.early.size <= limits.unackedBatchesMax, "early batches unbounded");
  return done;
}

function dropEarly(state: DeviceState, batchNo: number): void {
  const entry = state.early.get(batchNo);
  if (entry === undefined) return;
  state.early.delete(batchNo);
  state.earlyBytes -= entry.bytes.length;
  assert(state.earlyBytes >= 0, "early bytes below zero");
}

/** The batch continues the accepted one: undefined, else the failure. */
function validateBatch(ctx: SyncContext, state: DeviceState, batch: BatchSummary): Result<void> | undefined {
  const expected = state.accepted;
  if (batch.firstSeq > expected.lastSeq + 1) {
    return fail(
      ErrorCodes.SEQ_GAP,
      `Batch ${batch.batchNo} starts at seq ${batch.firstSeq}, expected ${expected.lastSeq + 1}`,
    );
  }
  if (batch.firstSeq < expected.lastSeq + 1) {
    return fail(ErrorCodes.SEQ_CONFLICT, `Batch ${batch.batchNo} repeats seqs from ${batch.firstSeq}`);
  }
  const first = batch.firstNetworkConsumed;
  if (
    batch.networkConsumed < expected.networkConsumed ||
    (first !== undefined && first < expected.networkConsumed)
  ) {
    return fail(
      ErrorCodes.BATCH_MALFORMED,
      `Batch ${batch.batchNo} consumed fewer network inputs than its predecessor`,
    );
  }
  if (batch.windowStartMs < expected.windowEndMs) {
    return fail(ErrorCodes.BATCH_MALFORMED, `Batch ${batch.batchNo} window overlaps the previous one`);
  }
  // Recorded inputs never decrease: a batch that consumes no more than its
  // predecessor needs no look-up (the common case; saves two reads per batch).
  if (batch.networkConsumed <= expected.networkConsumed) return undefined;
  // The inputs the server recorded (the store's count, or the clone's base).
  const recorded = Math.max(
    ctx.mirrors.store.networkCount(state.deviceId),
    ctx.mirrors.networkBase(state.deviceId),
  );
  if (batch.networkConsumed > recorded) {
    return fail(
      ErrorCodes.NETWORK_INPUT_MISSING,
      `Batch ${batch.batchNo} consumed ${batch.networkConsumed} network inputs, ${recorded} recorded`,
    );
  }
  return undefined;
}
