// The Syn-Server (paper §3.3.2 Fig 4; DESIGN.md "Sync protocol", invariants
// 1, 2, 4, 6): idempotent batch intake with contiguous acks, replay of each
// batch at windowEnd + t_max in the phone's interleaving, a digest check
// after every batch and Merkle repair on divergence. Volatile state only: a
// crashed server is rebuilt from the MirrorStore by constructing a new one
// (restore() re-replays the durable log from each mirror's checkpoint).
// This class is the API and the dispatcher: frames in, frames out, timer
// ticks. The parts: intake (batch-intake.ts), replay (batch-replay.ts),
// checkpoints (mirror-checkpoints.ts), repair (repair-flow.ts,
// repair-bookkeeping.ts), the schedule (replay-schedule.ts), restore
// (device-restore.ts), notices (notice-delivery.ts), per-device state
// (sync-device-state.ts).
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import type { SyncBatch } from "../gen/mirrorcell/v1/sync_pb.ts";
import type { MirrorServer } from "../mirror/mirror-server.ts";
import { intakeBatch } from "./batch-intake.ts";
import { replayDue } from "./batch-replay.ts";
import { validateBatchMessage } from "./batch-validate.ts";
import { restoreDeviceState } from "./device-restore.ts";
import {
  ackFrame,
  ackFrameBytes,
  decodeFrame,
  encodeFrame,
  type Frame,
  noticeFrame,
  syncBatchToBinary,
} from "./frame.ts";
import { batchMessageView } from "./frame-batch-wire.ts";
import { checkpointDevice } from "./mirror-checkpoints.ts";
import { type NoticeDraft, NoticeIds, ridingNotices, timedNotices } from "./notice-delivery.ts";
import { reaskRepair, receiveRepair, retryRepair } from "./repair-flow.ts";
import { ReplaySchedule } from "./replay-schedule.ts";
import type { SyncContext } from "./sync-context.ts";
import {
  type BatchReplayedHook,
  type DeviceState,
  type DeviceSyncMetrics,
  emptyMetrics,
  type Outbound,
  type PendingFrame,
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

/** The reply to most batches in deferred-ack mode (no ack yet, no notice): frozen, shared. */
const noRepliesResult: Result<Frame[]> = Object.freeze(ok(Object.freeze([]) as unknown as Frame[]));

export class SyncServer {
  private readonly ctx: SyncContext;
  private readonly deferAcks: boolean;
  private readonly noticeRetryMs: number;
  private readonly hooks: ReplayHook[] = [];
  private readonly batchHooks: BatchReplayedHook[] = [];
  /** The latest time a frame or tick brought (queueNotice has no clock of its own). */
  private lastNowMs = 0;
  private readonly devices = new Map<string, DeviceState>();
  private readonly noticeIds = new NoticeIds();

  constructor(options: SyncServerOptions) {
    this.ctx = {
      mirrors: options.mirrors,
      monitor: options.monitor,
      sha256: options.sha256,
      schedule: new ReplaySchedule(),
      tMaxMs: options.tMaxMs ?? limits.latencyMsMaxDefault,
      repairRetryMs: options.repairRetryMs ?? limits.repairRetryMsDefault,
      checkpointEveryBatches: options.checkpointEveryBatches ?? limits.checkpointEveryBatchesDefault,
      hooks: this.hooks,
      batchHooks: this.batchHooks,
    };
    this.deferAcks = options.deferAcks ?? false;
    this.noticeRetryMs = options.noticeRetryMs ?? limits.noticeRetryMsDefault;
    assert(this.ctx.tMaxMs >= 0 && this.ctx.repairRetryMs > 0, "bad SyncServer timing options");
    assert(
      this.ctx.checkpointEveryBatches >= 0 && this.noticeRetryMs > 0,
      "bad SyncServer log/notice options",
    );
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
    return this.ctx.schedule.backlogBytes;
  }

  /** After a restart: load every device from the store and schedule its unreplayed batches. */
  restore(): Result<number> {
    let count = 0;
    for (const device of this.ctx.mirrors.store.listDevices()) {
      if (this.ctx.mirrors.status(device.deviceId) === "cloning") continue;
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
    return checkpointDevice(this.ctx, state);
  }

  /** Drops a device's volatile state (after a clone replaced its mirror). */
  forget(deviceId: string): void {
    const state = this.devices.get(deviceId);
    if (state === undefined) return;
    this.ctx.schedule.forget(state);
    this.devices.delete(deviceId);
  }

  /** Queues a notice for the phone (sent on its next frame, at reconnect, or by the timer). */
  queueNotice(deviceId: string, notice: NoticeDraft): Result<void> {
    const state = this.stateOf(deviceId);
    if (!state.ok) return state;
    if (state.value.notices.size >= limits.noticesPerBatchMax) {
      return fail(ErrorCodes.QUEUE_FULL, `Notice queue of ${deviceId} is full`);
    }
    state.value.notices.add(this.noticeIds.stamp(notice, this.lastNowMs));
    // Timely for an idle phone: the next tick() sends it without waiting for a batch.
    this.ctx.schedule.wake(deviceId, this.lastNowMs);
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
    const frames = [...reaskRepair(this.ctx, state, nowMs), ...state.notices.all(nowMs).map(noticeFrame)];
    return frames.map(encodeFrame);
  }

  /** Highest contiguous batch number acknowledged for the device. */
  acked(deviceId: string): number {
    return this.devices.get(deviceId)?.accepted.batchNo ?? this.ctx.mirrors.store.lastBatchNo(deviceId);
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
    // A batch's bytes as they came: re-encoding the decoded batch cost ~0.2 µs per user event.
    const batchBytes = frame.value.body.case === "batch" ? batchMessageView(bytes) : undefined;
    const handled = this.receiveFrame(deviceId, frame.value, nowMs, batchBytes);
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
    return state?.reask === undefined
      ? handled
      : ok([...handled.value, ...reaskRepair(this.ctx, state, nowMs)]);
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
        return receiveRepair(this.ctx, this.devices.get(deviceId), frame.body.value, nowMs);
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
    const state = this.devices.get(deviceId);
    if (state === undefined) return [];
    // The ack alone (most commits): no protobuf Frame built (create() was 0.2 % of a simulation's CPU).
    if (state.notices.size === 0) return [ackFrameBytes(deviceId, state.accepted.batchNo)];
    const frames = this.repliesOf(state, true);
    assert(frames.length >= 1, "a durable reply carries the ack");
    return frames.map(encodeFrame);
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
    // Validated, not decoded: intake stores the bytes, replay decodes them (ReplaySchedule.head).
    const summary = validateBatchMessage(message);
    if (!summary.ok) return summary;
    // The summary is this call's own object: it names the authenticated device (the codec may omit it).
    summary.value.deviceId = deviceId;
    const known = this.stateOf(deviceId);
    if (!known.ok) return known;
    const state = known.value;
    const bytes = batchBytes ?? syncBatchToBinary(message);
    const taken = intakeBatch(this.ctx, state, summary.value, bytes);
    if (!taken.ok) return taken;
    // Deferred acks, nothing to ride along: the common reply to a batch, shared.
    return this.deferAcks && state.notices.size === 0 ? noRepliesResult : ok(this.repliesOf(state));
  }

  private replies(deviceId: string, durable = !this.deferAcks): Frame[] {
    const state = this.devices.get(deviceId);
    return state === undefined ? [] : this.repliesOf(state, durable);
  }

  private repliesOf(state: DeviceState, durable = !this.deferAcks): Frame[] {
    const frames: Frame[] = durable ? [ackFrame(state.deviceId, state.accepted.batchNo)] : [];
    if (state.notices.size > 0) frames.push(...ridingNotices(state, this.lastNowMs, this.noticeRetryMs));
    return frames;
  }

  /** When the next replay or repair retry is due (the runtime's timer), if any. */
  nextDueMs(): number | undefined {
    return this.ctx.schedule.nextDueMs();
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
    const budget: ReplayBudget = { batchesLeft: batchesMax };
    for (const deviceId of this.ctx.schedule.takeDue(nowMs)) {
      const state = this.devices.get(deviceId);
      if (state === undefined) continue;
      if (budget.batchesLeft <= 0) {
        this.ctx.schedule.wake(deviceId, nowMs);
        continue;
      }
      if (state.repair !== undefined) retryRepair(this.ctx, state, nowMs, out);
      else replayDue(this.ctx, state, nowMs, out, budget);
      timedNotices(this.ctx.schedule, state, nowMs, this.noticeRetryMs, out);
    }
    assert(budget.batchesLeft >= 0, "replay step over its budget");
    return out.map(({ deviceId, frame }) => ({ deviceId, bytes: encodeFrame(frame) }));
  }

  private stateOf(deviceId: string): Result<DeviceState> {
    const existing = this.devices.get(deviceId);
    if (existing !== undefined) return ok(existing);
    const restored = restoreDeviceState(this.ctx, deviceId);
    if (restored.ok) this.devices.set(deviceId, restored.value);
    return restored;
  }
}
