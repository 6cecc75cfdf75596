// The Syn-Server (paper §3.3.2 Fig 4; DESIGN.md "Sync protocol", invariants
// 1, 2, 4, 6): idempotent batch intake with contiguous acks, replay of each
// batch at windowEnd + t_max in the phone's interleaving, a digest check
// after every batch and Merkle repair on divergence. Volatile state only: a
// crashed server is rebuilt from the MirrorStore by constructing a new one
// (restore() re-replays the durable log from each mirror's checkpoint).
// This class schedules; per-device state is in sync-device-state.ts, intake
// checks in batch-intake.ts, repair bookkeeping in repair-bookkeeping.ts.
import { create } from "@bufbuild/protobuf";
import { assert } from "../core/assert.ts";
import { bytesEqual } from "../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import {
  type Notice,
  NoticeSchema,
  type RepairResponse,
  type SyncBatch,
} from "../gen/mirrorcell/v1/sync_pb.ts";
import type { MirrorServer } from "../mirror/mirror-server.ts";
import type { SyncedPlatform } from "../mirror/platform-port.ts";
import { type BatchData, decodeBatch, lastSeqOf } from "./batch.ts";
import { dropEarly, holdEarly, replayQueueFull, validateBatch } from "./batch-intake.ts";
import {
  ackFrame,
  decodeFrame,
  encodeFrame,
  type Frame,
  noticeFrame,
  repairRequestFrame,
  syncBatchFromBinary,
  syncBatchToBinary,
} from "./frame.ts";
import { MinHeap } from "./min-heap.ts";
import { NoticeOutbox } from "./notice-outbox.ts";
import {
  closeRepair,
  logRepair,
  markUnrepaired,
  type RepairOutcome,
  reaskFromCheckpoint,
  retryStep,
  startRepair,
  takeReask,
} from "./repair-bookkeeping.ts";
import { applyRepairRecord } from "./repair-session.ts";
import { networkInputsAvailable, type ReplayedEvent, replayBatch } from "./replay.ts";
import {
  type BatchReplayedHook,
  type DeviceState,
  type DeviceSyncMetrics,
  emptyMetrics,
  type Outbound,
  type PendingFrame,
  type Position,
  positionOf,
  type ReplayBudget,
  type ReplayHook,
} from "./sync-device-state.ts";
import type { TrafficMonitor } from "./traffic-monitor.ts";

export type { BatchReplayedHook, DeviceSyncMetrics, Outbound, ReplayHook } from "./sync-device-state.ts";

export interface SyncServerOptions {
  mirrors: MirrorServer;
  monitor: TrafficMonitor;
  sha256: Sha256;
  /** t_max of Fig 4: replay at windowEnd + tMaxMs. */
  tMaxMs?: number;
  /** Acks wait for markDurable() (group commit in the live runtime). */
  deferAcks?: boolean;
  /** Resend an unanswered RepairRequest after this long. */
  repairRetryMs?: number;
  /**
   * Checkpoint each mirror every this many replayed batches (0: only at
   * power-off); prunes the log. Default limits.checkpointEveryBatchesDefault.
   */
  checkpointEveryBatches?: number;
  /** Re-send an unacknowledged notice after this long (default limits.noticeRetryMsDefault). */
  noticeRetryMs?: number;
}

const noticeIdsPerMs = 1024;

export class SyncServer {
  private readonly mirrors: MirrorServer;
  private readonly monitor: TrafficMonitor;
  private readonly sha256: Sha256;
  private readonly tMaxMs: number;
  private readonly deferAcks: boolean;
  private readonly repairRetryMs: number;
  private readonly checkpointEveryBatches: number;
  private readonly noticeRetryMs: number;
  /** The latest time a frame or tick brought (queueNotice has no clock of its own). */
  private lastNowMs = 0;
  private readonly devices = new Map<string, DeviceState>();
  private readonly due = new MinHeap<{ dueMs: number; deviceId: string }>((a, b) => a.dueMs - b.dueMs);
  private readonly hooks: ReplayHook[] = [];
  private readonly batchHooks: BatchReplayedHook[] = [];
  /** Wire bytes of every batch waiting for replay, all devices (the runtime's intake backpressure). */
  private backlogBytes = 0;
  private nextNoticeId = 1;

  constructor(options: SyncServerOptions) {
    this.mirrors = options.mirrors;
    this.monitor = options.monitor;
    this.sha256 = options.sha256;
    this.tMaxMs = options.tMaxMs ?? limits.latencyMsMaxDefault;
    this.deferAcks = options.deferAcks ?? false;
    this.repairRetryMs = options.repairRetryMs ?? limits.repairRetryMsDefault;
    this.checkpointEveryBatches = options.checkpointEveryBatches ?? limits.checkpointEveryBatchesDefault;
    this.noticeRetryMs = options.noticeRetryMs ?? limits.noticeRetryMsDefault;
    assert(this.tMaxMs >= 0 && this.repairRetryMs > 0, "bad SyncServer timing options");
    assert(this.checkpointEveryBatches >= 0 && this.noticeRetryMs > 0, "bad SyncServer log/notice options");
  }

  /** Service hook: every input replayed on a mirror, with its replay time. */
  onReplayedInput(hook: ReplayHook): void {
    this.hooks.push(hook);
  }

  /** Service and simulator hook: every replayed batch with the mirror's digest after it. */
  onBatchReplayed(hook: BatchReplayedHook): void {
    this.batchHooks.push(hook);
  }

  /** Bytes of accepted batches not yet replayed, over all devices. */
  replayBacklogBytes(): number {
    return this.backlogBytes;
  }

  /** After a restart: load every device from the store and schedule its unreplayed batches. */
  restore(): Result<number> {
    let count = 0;
    for (const device of this.mirrors.store.listDevices()) {
      if (this.mirrors.status(device.deviceId) === "cloning") continue;
      const state = this.stateOf(device.deviceId);
      if (!state.ok) return state;
      count++;
    }
    return ok(count);
  }

  /**
   * Saves the device's mirror at the batch it has replayed (admin "save",
   * periodic checkpoints); the durable log before it is pruned.
   */
  checkpoint(deviceId: string): Result<void> {
    const state = this.devices.get(deviceId);
    if (state === undefined) return fail(ErrorCodes.DEVICE_UNKNOWN, `No sync state for ${deviceId}`);
    if (state.repair !== undefined)
      return fail(ErrorCodes.MIRROR_FROZEN, `Mirror ${deviceId} is being repaired`);
    if (state.platform === undefined) return ok(undefined); // stopped: its checkpoint is current
    const saved = this.saveMirror(state, state.applied, false);
    if (saved.ok) state.loggedRepairs.clear();
    return saved;
  }

  /** Drops a device's volatile state (after a clone replaced its mirror). */
  forget(deviceId: string): void {
    const state = this.devices.get(deviceId);
    if (state === undefined) return;
    this.backlogBytes -= state.queueBytes;
    this.devices.delete(deviceId);
    assert(this.backlogBytes >= 0, "replay backlog below zero");
  }

  queueNotice(
    deviceId: string,
    notice: Omit<Notice, "noticeId" | "$typeName"> & { noticeId?: bigint },
  ): Result<void> {
    const state = this.stateOf(deviceId);
    if (!state.ok) return state;
    if (state.value.notices.size >= limits.noticesPerBatchMax) {
      return fail(ErrorCodes.QUEUE_FULL, `Notice queue of ${deviceId} is full`);
    }
    // Ids grow with time so a restarted server's ids stay above the ones the
    // phone remembers (it dedupes by id); counter for many per millisecond.
    this.nextNoticeId = Math.max(this.nextNoticeId, this.lastNowMs * noticeIdsPerMs);
    assert(Number.isSafeInteger(this.nextNoticeId), "notice ids exhausted");
    // 0 is proto3's "unset" (a Notice built with create() carries it), never an id.
    const given = notice.noticeId !== undefined && notice.noticeId !== 0n ? notice.noticeId : undefined;
    const noticeId = given ?? BigInt(this.nextNoticeId++);
    state.value.notices.add(create(NoticeSchema, { ...notice, noticeId }));
    // Timely for an idle phone: the next tick() sends it without waiting for a batch.
    this.due.push({ dueMs: this.lastNowMs, deviceId });
    return ok(undefined);
  }

  /** Notices queued for the device and not yet acknowledged by its phone. */
  unackedNotices(deviceId: string): number {
    return this.devices.get(deviceId)?.notices.size ?? 0;
  }

  /**
   * Every unacknowledged notice for a phone that just (re)connected, encoded;
   * tick() and batch replies also carry them, so calling this is optional.
   */
  pendingFrames(deviceId: string, nowMs: number): Uint8Array[] {
    const state = this.devices.get(deviceId);
    if (state === undefined) return [];
    this.lastNowMs = Math.max(this.lastNowMs, nowMs);
    const frames = [...this.reaskRepair(state, nowMs), ...state.notices.all(nowMs).map(noticeFrame)];
    return frames.map(encodeFrame);
  }

  /** Highest contiguous batch number acknowledged for the device. */
  acked(deviceId: string): number {
    return this.devices.get(deviceId)?.accepted.batchNo ?? this.mirrors.store.lastBatchNo(deviceId);
  }

  /** The batch the device's mirror has replayed up to. */
  applied(deviceId: string): number {
    return this.devices.get(deviceId)?.applied.batchNo ?? 0;
  }

  metrics(deviceId: string): DeviceSyncMetrics | undefined {
    const state = this.devices.get(deviceId);
    return state ? { ...state.metrics } : undefined;
  }

  totals(): DeviceSyncMetrics {
    const total = emptyMetrics();
    for (const state of this.devices.values()) {
      for (const key of Object.keys(total) as (keyof DeviceSyncMetrics)[]) {
        total[key] =
          key === "lagMsMax" ? Math.max(total[key], state.metrics[key]) : total[key] + state.metrics[key];
      }
    }
    return total;
  }

  /**
   * Decodes and handles one frame from an authenticated device; returns the
   * encoded replies (ack, notices, repair requests). On error nothing changed.
   */
  receive(deviceId: string, bytes: Uint8Array, nowMs: number): Result<Uint8Array[]> {
    const frame = decodeFrame(bytes);
    if (!frame.ok) return frame;
    const handled = this.receiveFrame(deviceId, frame.value, nowMs);
    if (!handled.ok) return handled;
    const state = this.devices.get(deviceId);
    if (state !== undefined) state.metrics.uplinkBytes += bytes.length;
    return ok(handled.value.map(encodeFrame));
  }

  /**
   * `batchBytes`: the batch message's bytes as received (a runtime that sliced
   * them from the frame); stored as they are instead of re-encoding.
   */
  receiveFrame(deviceId: string, frame: Frame, nowMs: number, batchBytes?: Uint8Array): Result<Frame[]> {
    this.lastNowMs = Math.max(this.lastNowMs, nowMs);
    const handled = this.handleFrame(deviceId, frame, nowMs, batchBytes);
    if (!handled.ok || frame.body.case === "repairResponse") return handled;
    // The phone is back: a repair that ran out of retries while it was away is asked again.
    const state = this.devices.get(deviceId);
    return state?.reask === undefined ? handled : ok([...handled.value, ...this.reaskRepair(state, nowMs)]);
  }

  private handleFrame(
    deviceId: string,
    frame: Frame,
    nowMs: number,
    batchBytes?: Uint8Array,
  ): Result<Frame[]> {
    switch (frame.body.case) {
      case "batch":
        return this.receiveBatch(deviceId, frame.body.value, nowMs, batchBytes);
      case "repairResponse":
        return this.receiveRepair(deviceId, frame.body.value, nowMs);
      case "powerOff":
        return ok(this.replies(deviceId));
      case "noticeAck":
        this.devices.get(deviceId)?.notices.acknowledge(frame.body.value.noticeIds);
        return ok([]);
      default:
        return fail(
          ErrorCodes.FRAME_MALFORMED,
          `Unexpected frame ${String(frame.body.case)} on the sync channel`,
        );
    }
  }

  /** Deferred-ack mode: the runtime committed everything accepted so far; encoded ack. */
  markDurable(deviceId: string): Uint8Array[] {
    return this.devices.has(deviceId) ? this.replies(deviceId, true).map(encodeFrame) : [];
  }

  receiveBatch(
    deviceId: string,
    message: SyncBatch,
    _nowMs: number,
    batchBytes?: Uint8Array,
  ): Result<Frame[]> {
    if (message.deviceId !== "" && message.deviceId !== deviceId) {
      return fail(ErrorCodes.DEVICE_MISMATCH, `Batch for ${message.deviceId} on ${deviceId}'s connection`);
    }
    const decoded = decodeBatch(message);
    if (!decoded.ok) return decoded;
    const batch = { ...decoded.value, deviceId };
    const stateResult = this.stateOf(deviceId);
    if (!stateResult.ok) return stateResult;
    const state = stateResult.value;
    const bytes = batchBytes ?? syncBatchToBinary(message);
    if (batch.batchNo <= state.accepted.batchNo) return this.duplicate(state, batch.batchNo, bytes);
    const full = replayQueueFull(state, this.backlogBytes);
    if (full !== undefined)
      return fail(ErrorCodes.QUEUE_FULL, `Replay queue of ${deviceId} is full: ${full}`);
    if (batch.batchNo > state.accepted.batchNo + 1) {
      const held = holdEarly(state, batch, bytes);
      return held.ok ? ok(this.replies(deviceId)) : held;
    }
    const accepted = this.accept(state, batch, bytes);
    if (!accepted.ok) return accepted;
    for (
      let next = state.early.get(state.accepted.batchNo + 1);
      next;
      next = state.early.get(state.accepted.batchNo + 1)
    ) {
      dropEarly(state, next.batch.batchNo);
      if (!this.accept(state, next.batch, next.bytes).ok) break;
    }
    for (const batchNo of state.early.keys())
      if (batchNo <= state.accepted.batchNo) dropEarly(state, batchNo);
    return ok(this.replies(deviceId));
  }

  private duplicate(state: DeviceState, batchNo: number, bytes: Uint8Array): Result<Frame[]> {
    const stored = this.mirrors.store.getBatch(state.deviceId, batchNo);
    if (stored !== undefined && !bytesEqual(stored.bytes, bytes)) {
      return fail(
        ErrorCodes.SEQ_CONFLICT,
        `Batch ${batchNo} of ${state.deviceId} differs from the one already accepted`,
      );
    }
    state.metrics.duplicates++;
    return ok(this.replies(state.deviceId));
  }

  private accept(state: DeviceState, batch: BatchData, bytes: Uint8Array): Result<void> {
    const valid = validateBatch(state, batch, () =>
      Math.max(this.mirrors.store.networkCount(state.deviceId), this.mirrors.networkBase(state.deviceId)),
    );
    if (!valid.ok) return valid;
    this.mirrors.store.appendBatch(state.deviceId, {
      batchNo: batch.batchNo,
      lastSeq: lastSeqOf(batch),
      windowEndMs: batch.windowEndMs,
      bytes,
    });
    state.accepted = positionOf(batch);
    state.metrics.batches++;
    this.enqueue(state, batch, bytes);
    return ok(undefined);
  }

  private enqueue(state: DeviceState, batch: BatchData, bytes: Uint8Array): void {
    const dueMs = batch.windowEndMs + this.tMaxMs;
    state.queue.push({ bytes, batchNo: batch.batchNo, dueMs });
    state.queueBytes += bytes.length;
    this.backlogBytes += bytes.length;
    this.due.push({ dueMs, deviceId: state.deviceId });
    assert(
      state.queue.length <= limits.replayQueueBatchesMax + limits.unackedBatchesMax,
      "replay queue unbounded",
    );
  }

  /** The queue's head, decoded again (it was validated at intake; the bytes are the stored ones). */
  private headBatch(state: DeviceState): BatchData {
    const head = state.queue[0];
    assert(head !== undefined, "replay from an empty queue");
    const decoded = decodeBatch(syncBatchFromBinary(head.bytes));
    assert(decoded.ok && decoded.value.batchNo === head.batchNo, "an accepted batch decodes again");
    return { ...decoded.value, deviceId: state.deviceId };
  }

  private dequeue(state: DeviceState): void {
    const head = state.queue.shift();
    assert(head !== undefined, "dequeue from an empty queue");
    state.queueBytes -= head.bytes.length;
    this.backlogBytes -= head.bytes.length;
    assert(state.queueBytes >= 0 && this.backlogBytes >= 0, "replay backlog below zero");
  }

  private replies(deviceId: string, durable = !this.deferAcks): Frame[] {
    const state = this.devices.get(deviceId);
    if (state === undefined) return [];
    const frames: Frame[] = durable ? [ackFrame(deviceId, state.accepted.batchNo)] : [];
    // The phone is talking to us: any notice not sent within the retry time rides along.
    for (const notice of state.notices.due(this.lastNowMs, this.noticeRetryMs, Number.POSITIVE_INFINITY))
      frames.push(noticeFrame(notice));
    return frames;
  }

  /** When the next replay or repair retry is due (the runtime's timer), if any. */
  nextDueMs(): number | undefined {
    return this.due.peek()?.dueMs;
  }

  /**
   * Replays the batches due by nowMs, at most `batchesMax` of them (a runtime
   * that shares its thread with intake bounds each step; what is left stays
   * due, so nextDueMs() <= nowMs); returns frames for the phones.
   */
  tick(nowMs: number, batchesMax = Number.POSITIVE_INFINITY): Outbound[] {
    assert(batchesMax >= 1, "a replay step must allow one batch");
    this.lastNowMs = Math.max(this.lastNowMs, nowMs);
    const out: PendingFrame[] = [];
    const touched = new Set<string>();
    for (let top = this.due.peek(); top !== undefined && top.dueMs <= nowMs; top = this.due.peek()) {
      this.due.pop();
      touched.add(top.deviceId);
    }
    const budget: ReplayBudget = { batchesLeft: batchesMax };
    for (const deviceId of touched) {
      const state = this.devices.get(deviceId);
      if (state === undefined) continue;
      if (budget.batchesLeft <= 0) {
        this.due.push({ dueMs: nowMs, deviceId });
        continue;
      }
      this.replayDue(state, nowMs, out, budget);
      this.noticesDue(state, nowMs, out);
    }
    assert(budget.batchesLeft >= 0, "replay step over its budget");
    return out.map(({ deviceId, frame }) => ({ deviceId, bytes: encodeFrame(frame) }));
  }

  /** Timer sends of unacked notices, a bounded number of times (an off phone cannot ack). */
  private noticesDue(state: DeviceState, nowMs: number, out: PendingFrame[]): void {
    const notices = state.notices;
    if (notices.size === 0) return;
    for (const notice of notices.due(nowMs, this.noticeRetryMs, limits.noticeResendsMax))
      out.push({ deviceId: state.deviceId, frame: noticeFrame(notice) });
    const nextMs = notices.nextResendMs(this.noticeRetryMs, limits.noticeResendsMax);
    if (nextMs !== undefined) this.due.push({ dueMs: Math.max(nextMs, nowMs + 1), deviceId: state.deviceId });
  }

  private replayDue(state: DeviceState, nowMs: number, out: PendingFrame[], budget: ReplayBudget): void {
    if (state.repair !== undefined) {
      this.retryRepair(state, nowMs, out);
      return;
    }
    while (state.queue.length > 0 && state.queue[0]!.dueMs <= nowMs && state.repair === undefined) {
      if (budget.batchesLeft <= 0) {
        this.due.push({ dueMs: nowMs, deviceId: state.deviceId }); // the rest in a later tick
        return;
      }
      const platform = this.platformOf(state);
      if (platform === undefined) {
        state.metrics.stalls++;
        this.due.push({ dueMs: nowMs + this.repairRetryMs, deviceId: state.deviceId });
        return;
      }
      const batch = this.headBatch(state);
      const available = networkInputsAvailable(
        platform,
        batch,
        (i) => this.monitor.recorded(state.deviceId, i) !== undefined,
      );
      if (!available.ok) {
        state.metrics.stalls++;
        this.due.push({ dueMs: nowMs + this.repairRetryMs, deviceId: state.deviceId });
        return;
      }
      this.dequeue(state);
      budget.batchesLeft--;
      this.replayOne(state, platform, batch, nowMs, out);
    }
  }

  private platformOf(state: DeviceState): SyncedPlatform | undefined {
    if (state.platform !== undefined) return state.platform;
    const loaded = this.mirrors.load(state.deviceId);
    if (!loaded.ok) return undefined;
    assert(
      loaded.value.checkpoint.batchNo === state.applied.batchNo,
      "mirror checkpoint and replay position disagree",
    );
    if (loaded.value.checkpoint.poweredOff) loaded.value.platform.boot();
    state.platform = loaded.value.platform;
    return state.platform;
  }

  private replayOne(
    state: DeviceState,
    platform: SyncedPlatform,
    batch: BatchData,
    nowMs: number,
    out: PendingFrame[],
  ) {
    const outcome = replayBatch(
      platform,
      batch,
      (index) => this.monitor.recorded(state.deviceId, index),
      (event) => this.replayed(state, event, nowMs),
    );
    state.metrics.rejectedInputs += outcome.rejected;
    state.applied = positionOf(batch);
    state.reask = undefined; // this batch's own digest check covers any earlier divergence
    const logged = state.loggedRepairs.get(batch.batchNo);
    if (logged !== undefined)
      applyRepairRecord(platform.storage, logged, (sha256) => this.mirrors.store.getBlob(sha256));
    const digest = platform.digest();
    for (const hook of this.batchHooks) hook(state.deviceId, batch.batchNo, digest, nowMs);
    if (bytesEqual(digest, batch.storageDigest)) {
      this.finishBatch(state, batch);
      return;
    }
    state.metrics.divergences++;
    const frame = startRepair(state, platform, batch, { sha256: this.sha256, nowMs, reask: false });
    out.push({ deviceId: state.deviceId, frame });
    this.due.push({ dueMs: nowMs + this.repairRetryMs, deviceId: state.deviceId });
  }

  private replayed(state: DeviceState, event: ReplayedEvent, nowMs: number): void {
    if (event.kind === "user") {
      state.metrics.userInputs++;
      const lagMs = nowMs - event.input.timeMs;
      state.metrics.lagMsSum += lagMs;
      state.metrics.lagMsMax = Math.max(state.metrics.lagMsMax, lagMs);
    } else {
      state.metrics.networkInputs++;
    }
    for (const hook of this.hooks) hook(state.deviceId, event, nowMs);
  }

  private finishBatch(state: DeviceState, batch: BatchData): void {
    const every = this.checkpointEveryBatches;
    if (
      !batch.powerOff &&
      state.platform !== undefined &&
      state.platform.networkConsumed < batch.networkConsumed
    ) {
      this.skipRefusedNetwork(state, batch);
      return;
    }
    if (!batch.powerOff) {
      if (every > 0 && batch.batchNo % every === 0) this.checkpoint(state.deviceId);
      return;
    }
    const saved = this.saveMirror(state, positionOf(batch), true);
    assert(saved.ok, "a replaying mirror must be running");
    state.platform = undefined;
    state.loggedRepairs.clear();
  }

  /** Saves (and at power-off stops) the mirror; a divergence known there goes into the checkpoint. */
  private saveMirror(state: DeviceState, position: Position, stop: boolean): Result<void> {
    const store = this.mirrors.store;
    return store.transaction(() => {
      const { deviceId } = state;
      const saved = stop
        ? this.mirrors.saveAndStop(deviceId, position)
        : this.mirrors.save(deviceId, position);
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
  private skipRefusedNetwork(state: DeviceState, batch: BatchData): void {
    assert(
      state.platform !== undefined && state.repair === undefined,
      "skip on a running, unrepaired mirror",
    );
    state.metrics.networkSkipped += batch.networkConsumed - state.platform.networkConsumed;
    const saved = this.saveMirror(state, positionOf(batch), false);
    assert(saved.ok, "a replaying mirror must be running");
    this.mirrors.unload(state.deviceId);
    state.platform = undefined;
    state.loggedRepairs.clear();
  }

  private retryRepair(state: DeviceState, nowMs: number, out: PendingFrame[]): void {
    const step = retryStep(state.repair!, nowMs, this.repairRetryMs);
    if (step.kind === "give-up") {
      this.endRepair(state, nowMs, "timeout", out);
      return;
    }
    if (step.kind === "resend") out.push({ deviceId: state.deviceId, frame: step.frame });
    this.due.push({ dueMs: step.dueMs, deviceId: state.deviceId });
  }

  private receiveRepair(deviceId: string, response: RepairResponse, nowMs: number): Result<Frame[]> {
    const state = this.devices.get(deviceId);
    const repair = state?.repair;
    if (state === undefined || repair === undefined || Number(response.afterSeq) !== repair.session.batchNo) {
      return ok([]); // a late answer to a finished repair: harmless
    }
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
      logRepair(this.mirrors.store, deviceId, repair.session.batchNo, step.value);
      this.endRepair(state, nowMs, "repaired", out);
    } else {
      this.endRepair(state, nowMs, "refused", out);
    }
    return ok(out.map((o) => o.frame));
  }

  private endRepair(state: DeviceState, nowMs: number, outcome: RepairOutcome, out: PendingFrame[]): void {
    const repair = closeRepair(state, outcome);
    this.finishBatch(state, repair.batch);
    // A late repair of a running mirror: save it, or a restart from an older
    // checkpoint would lose it (the log replays repairs only after later batches).
    if (outcome === "repaired" && repair.reask && !repair.batch.powerOff) this.checkpoint(state.deviceId);
    this.due.push({ dueMs: nowMs, deviceId: state.deviceId });
    this.replayDue(state, nowMs, out, { batchesLeft: Number.POSITIVE_INFINITY });
  }

  /** Asks the phone again for a repair that ran out of retries while it was away (bounded). */
  private reaskRepair(state: DeviceState, nowMs: number): Frame[] {
    const batch = takeReask(state);
    if (batch === undefined) return [];
    const platform = this.repairPlatformOf(state);
    if (platform === undefined) return []; // asked on a later frame
    if (bytesEqual(platform.digest(), batch.storageDigest)) {
      state.reask = undefined;
      return [];
    }
    this.due.push({ dueMs: nowMs + this.repairRetryMs, deviceId: state.deviceId });
    return [startRepair(state, platform, batch, { sha256: this.sha256, nowMs, reask: true })];
  }

  /**
   * The mirror at its last replayed batch, loaded if stopped. Not booted: a
   * stopped mirror was stopped by a power-off batch, and the repair's end
   * finishes that batch again (save and stop).
   */
  private repairPlatformOf(state: DeviceState): SyncedPlatform | undefined {
    if (state.platform !== undefined) return state.platform;
    const loaded = this.mirrors.load(state.deviceId);
    if (!loaded.ok) return undefined;
    assert(
      loaded.value.checkpoint.batchNo === state.applied.batchNo,
      "mirror checkpoint and replay position disagree",
    );
    state.platform = loaded.value.platform;
    return state.platform;
  }

  private stateOf(deviceId: string): Result<DeviceState> {
    const existing = this.devices.get(deviceId);
    if (existing !== undefined) return ok(existing);
    const store = this.mirrors.store;
    if (store.getDevice(deviceId) === undefined)
      return fail(ErrorCodes.DEVICE_UNKNOWN, `Unknown device ${deviceId}`);
    if (this.mirrors.status(deviceId) === "cloning")
      return fail(ErrorCodes.MIRROR_FROZEN, `Mirror ${deviceId} is being cloned`);
    const checkpoint = store.getCheckpoint(deviceId);
    if (checkpoint === undefined)
      return fail(ErrorCodes.MIRROR_UNKNOWN, `Mirror ${deviceId} has no state yet`);
    // Only the position: a spread checkpoint would carry its manifest and marks into later saves.
    const { batchNo, lastSeq, networkConsumed, windowEndMs } = checkpoint;
    const base: Position = { batchNo, lastSeq, networkConsumed, windowEndMs };
    const state: DeviceState = {
      deviceId,
      accepted: base,
      early: new Map(),
      earlyBytes: 0,
      queue: [],
      queueBytes: 0,
      applied: base,
      platform: this.mirrors.running(deviceId),
      loggedRepairs: new Map(
        store.repairsAfter(deviceId, checkpoint.batchNo).map((r) => [r.afterBatchNo, r]),
      ),
      repair: undefined,
      reask: reaskFromCheckpoint(deviceId, checkpoint),
      notices: new NoticeOutbox(),
      metrics: emptyMetrics(),
    };
    // A restart re-replays from the checkpoint: any running instance is stale.
    if (state.platform !== undefined && store.lastBatchNo(deviceId) > checkpoint.batchNo) {
      this.mirrors.unload(deviceId);
      state.platform = undefined;
    }
    for (const stored of store.batchesAfter(deviceId, checkpoint.batchNo)) {
      const decoded = decodeBatch(syncBatchFromBinary(stored.bytes));
      if (!decoded.ok)
        return fail(
          ErrorCodes.FILE_CORRUPT,
          `Stored batch ${stored.batchNo} of ${deviceId}: ${decoded.error.message}`,
        );
      state.accepted = positionOf(decoded.value);
      this.enqueue(state, decoded.value, stored.bytes);
    }
    this.devices.set(deviceId, state);
    return ok(state);
  }
}
