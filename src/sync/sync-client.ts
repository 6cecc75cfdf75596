// The Syn-Client (paper §3, §3.3.2 Fig 4; DESIGN.md "Sync protocol"): runs
// on the phone beside the platform. The runtime applies a user input to the
// platform, then record()s the completed input (nondet results and
// networkConsumed filled in by the platform). Inputs of [t_k, t_k + t_syn_int)
// go out as one batch at t_k + t_syn_int with the storage digest at that
// moment; unacked batches are kept and resent after reconnect or timeout.
// The client answers repair requests from a storage snapshot kept per batch,
// and can freeze for a clone (buffering batches until the clone is done).
import { create } from "@bufbuild/protobuf";
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import { type Notice, RepairEntrySchema, RepairResponseSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import type { CloneOffer } from "../mirror/mirror-server.ts";
import type { TreeView } from "../mirror/platform-port.ts";
import type { UserInput } from "../platform/inputs.ts";
import { type BatchFields, encodeWindowBatchFrame } from "./batch.ts";
import { EventWindow } from "./codec-window.ts";
import {
  ackedNumberOf,
  batchFrame,
  decodeFrame,
  encodeFrame,
  noticeAckFrame,
  repairResponseFrame,
} from "./frame.ts";
import { answerRepair } from "./repair-session.ts";

/** tick()'s answer when nothing is due; frozen, so a caller that tried to add to it would throw. */
const noFrames = Object.freeze([]) as unknown as Uint8Array[];

/** The phone state the client reads (the real Platform satisfies it). */
export interface PhoneView {
  readonly networkConsumed: number;
  digest(): Uint8Array;
}

/** Where a client resumes: after a phone restart, or a clone of a used phone. */
export interface ClientResume {
  lastBatchNo: number;
  lastSeq: number;
  networkConsumed: number;
  /** Encoded batch frames not yet acknowledged, in order. */
  unacked?: readonly { batchNo: number; bytes: Uint8Array }[];
}

export interface SyncClientOptions {
  deviceId: string;
  platform: PhoneView;
  /** An immutable view of the phone's storage now (repairs answer from it later). */
  snapshot: () => TreeView;
  sha256: Sha256;
  /** t_syn_int, chosen by the user at boot. */
  syncIntervalMs?: number;
  /** Boot time: the first window starts here. */
  startMs: number;
  /** Resend an unacked batch after this long without an ack. */
  retransmitMs?: number;
  /** Put the device id in every batch (off: the authenticated connection implies it). */
  includeDeviceId?: boolean;
  resume?: ClientResume;
  /** Batch-boundary snapshots kept for repair requests. */
  repairSnapshotsMax?: number;
  /** Of those, how many of acknowledged batches (the newest); default limits.repairSnapshotsAckedKeptDefault. */
  repairSnapshotsAckedKept?: number;
  /** The platform's volatile state, exported for a clone (RAM drafts matter to replay). */
  volatileState?: () => Uint8Array;
}

export interface SyncClientMetrics {
  batches: number;
  framesSent: number;
  bytesSent: number;
  batchBytesSent: number;
  retransmits: number;
  repairBytesSent: number;
  userInputs: number;
}

interface Unacked {
  batchNo: number;
  bytes: Uint8Array;
  sentMs: number | undefined;
}

const noticeIdsRemembered = 256;
/** record()'s success, shared: it runs once per user input and callers only read `ok`. */
const recorded: Result<void> = ok(undefined);

export class SyncClient {
  readonly deviceId: string;
  readonly syncIntervalMs: number;
  private readonly platform: PhoneView;
  private readonly snapshot: () => TreeView;
  private readonly volatileState: (() => Uint8Array) | undefined;
  private readonly sha256: Sha256;
  private readonly retransmitMs: number;
  private readonly includeDeviceId: boolean;
  private readonly snapshotsMax: number;
  private readonly snapshotsAckedKept: number;
  private windowStartMs: number;
  /**
   * The open window's inputs, encoded as they are recorded (codec-window.ts):
   * holding the UserInputs themselves for t_syn_int got nearly all of them
   * promoted to old space.
   */
  private readonly open = new EventWindow();
  private openBytes = 0;
  private lastBatchNo: number;
  private lastSeqRecorded: number;
  private lastSeqBatched: number;
  private lastConsumedBatched: number;
  private unacked: Unacked[] = [];
  private readonly snapshots = new Map<number, TreeView>();
  private frozen: { sinceMs: number; view: TreeView } | undefined;
  private readonly notices: Notice[] = [];
  private readonly seenNotices: bigint[] = [];
  private connected = false;
  readonly metrics: SyncClientMetrics = {
    batches: 0,
    framesSent: 0,
    bytesSent: 0,
    batchBytesSent: 0,
    retransmits: 0,
    repairBytesSent: 0,
    userInputs: 0,
  };

  constructor(options: SyncClientOptions) {
    this.deviceId = options.deviceId;
    this.platform = options.platform;
    this.snapshot = options.snapshot;
    this.volatileState = options.volatileState;
    this.sha256 = options.sha256;
    this.syncIntervalMs = options.syncIntervalMs ?? limits.syncIntervalMsDefault;
    this.retransmitMs = options.retransmitMs ?? limits.retransmitMsDefault;
    this.includeDeviceId = options.includeDeviceId ?? false;
    this.snapshotsMax = options.repairSnapshotsMax ?? limits.repairSnapshotsMaxDefault;
    this.snapshotsAckedKept = options.repairSnapshotsAckedKept ?? limits.repairSnapshotsAckedKeptDefault;
    assert(this.snapshotsAckedKept >= 1, "a client keeps its newest acknowledged batch's snapshot");
    assert(
      this.syncIntervalMs >= limits.syncIntervalMsMin && this.syncIntervalMs <= limits.syncIntervalMsMax,
      `sync interval ${this.syncIntervalMs} ms outside limits`,
    );
    assert(this.retransmitMs > 0 && this.snapshotsMax >= 1, "bad client options");
    this.windowStartMs = options.startMs;
    const resume = options.resume;
    this.lastBatchNo = resume?.lastBatchNo ?? 0;
    this.lastSeqRecorded = resume?.lastSeq ?? 0;
    this.lastSeqBatched = this.lastSeqRecorded;
    this.lastConsumedBatched = resume?.networkConsumed ?? 0;
    for (const u of resume?.unacked ?? []) this.unacked.push({ ...u, sentMs: undefined });
  }

  /** The seq the next recorded user input must carry. */
  get nextSeq(): number {
    return this.lastSeqRecorded + 1;
  }

  get unackedCount(): number {
    return this.unacked.length;
  }

  get isFrozen(): boolean {
    return this.frozen !== undefined;
  }

  /**
   * False when the unacked queue is full, or the open window holds
   * batchEventsMax inputs and tick() cannot cut it before the next
   * millisecond: the runtime should hold user input (backpressure).
   */
  canRecord(): boolean {
    return this.unacked.length < limits.unackedBatchesMax && this.open.count < limits.batchEventsMax;
  }

  /** The open window is cut at the next tick in a later millisecond. */
  private windowFull(): boolean {
    return this.openBytes >= limits.batchBytesMax / 4 || this.open.count >= limits.batchEventsMax;
  }

  /** Records a user input the platform has just applied. Call tick(nowMs) before applying it. */
  record(input: UserInput): Result<void> {
    // The message is built only on failure: record() runs once per user input.
    if (input.seq !== this.lastSeqRecorded + 1)
      assert(false, `seq ${input.seq} recorded after ${this.lastSeqRecorded}`);
    // The previous input of the window is gone: its time and networkConsumed are the scan's.
    const scan = this.open.scan;
    const hasPrevious = scan.count > 0;
    if (input.timeMs < this.windowStartMs || (hasPrevious && input.timeMs < scan.lastTimeMs)) {
      return fail(ErrorCodes.INPUT_MALFORMED, `Input time ${input.timeMs} runs backwards`);
    }
    if (hasPrevious && input.networkConsumed < scan.lastConsumed) {
      return fail(ErrorCodes.INPUT_MALFORMED, "networkConsumed runs backwards");
    }
    const body = input.body;
    const badCoordinates =
      body.kind === "tap"
        ? !isU32(body.x) || !isU32(body.y)
        : body.kind === "key"
          ? !isU32(body.code)
          : false;
    if (badCoordinates) {
      return fail(ErrorCodes.INPUT_MALFORMED, "Tap coordinates and key codes are 32-bit unsigned integers");
    }
    if (body.kind !== "action" && input.nondet.length > 0) {
      return fail(ErrorCodes.INPUT_MALFORMED, "A tap or key makes no nondeterministic calls");
    }
    const sizeBytes = estimateBytes(input);
    if (this.openBytes + sizeBytes > limits.batchBytesMax / 2) {
      return fail(ErrorCodes.BATCH_TOO_LARGE, `Input of ~${sizeBytes} bytes does not fit the open batch`);
    }
    if (this.open.count >= limits.batchEventsMax) {
      return fail(ErrorCodes.BATCH_TOO_LARGE, `The open batch holds ${limits.batchEventsMax} inputs`);
    }
    if (!this.canRecord()) return fail(ErrorCodes.QUEUE_FULL, "Too many unacknowledged batches");
    this.open.add(input);
    this.openBytes += sizeBytes;
    this.lastSeqRecorded = input.seq;
    this.metrics.userInputs++;
    return recorded;
  }

  /** When tick() next has work: the open window's end or a retransmission. */
  nextDueMs(): number {
    let due = this.windowStartMs + this.syncIntervalMs;
    if (this.connected && !this.frozen) {
      // Indexed loops here and in tick(): both run once per user input (the runtime ticks before each).
      const unacked = this.unacked;
      for (let i = 0; i < unacked.length; i++) {
        const sentMs = unacked[i]!.sentMs;
        if (sentMs !== undefined) due = Math.min(due, sentMs + this.retransmitMs);
      }
    }
    return due;
  }

  /** Closes due windows and returns encoded frames to send now (if connected). */
  tick(nowMs: number): Uint8Array[] {
    // Nothing due (most calls: runtimes tick before every input): no array. nextDueMs() is the
    // window's end or the earliest retransmission, the two things below that can send.
    if (nowMs < this.nextDueMs() && !this.windowFull()) return noFrames;
    const out: Uint8Array[] = [];
    const windowEndMs = this.windowStartMs + this.syncIntervalMs;
    if (nowMs >= windowEndMs) {
      this.closeWindow(windowEndMs, false, nowMs, out);
      // Skip idle windows in one step: nothing happened in them.
      const idle = Math.floor((nowMs - this.windowStartMs) / this.syncIntervalMs);
      if (idle > 0) this.windowStartMs += idle * this.syncIntervalMs;
    } else if (this.windowFull() && this.open.scan.lastTimeMs < nowMs) {
      // A full window is cut early; not in its last input's millisecond, whose inputs must share a window.
      this.closeWindow(nowMs, false, nowMs, out);
    }
    if (this.connected && !this.frozen) {
      const unacked = this.unacked;
      for (let i = 0; i < unacked.length; i++) {
        const u = unacked[i]!;
        if (u.sentMs !== undefined && nowMs >= u.sentMs + this.retransmitMs) {
          this.metrics.retransmits++;
          this.send(u, nowMs, out);
        }
      }
    }
    return out;
  }

  /** The transport is up: every unacked batch again, in order. */
  onConnect(nowMs: number): Uint8Array[] {
    this.connected = true;
    const out: Uint8Array[] = [];
    if (this.frozen) return out;
    for (const u of this.unacked) {
      if (u.sentMs !== undefined) this.metrics.retransmits++;
      this.send(u, nowMs, out);
    }
    return out;
  }

  onDisconnect(): void {
    this.connected = false;
  }

  /** Orderly power-off: the open window goes out now, flagged so the mirror saves and stops. */
  powerOff(nowMs: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.closeWindow(Math.max(nowMs, this.windowStartMs), true, nowMs, out);
    this.connected = false;
    return out;
  }

  /** Power-on: a new window epoch starts; unacked batches wait for onConnect(). */
  boot(nowMs: number): void {
    assert(nowMs >= this.windowStartMs, "boot before the last window");
    this.windowStartMs = nowMs;
  }

  /** Handles a frame from the server; returns encoded replies. */
  receive(bytes: Uint8Array, nowMs: number): Result<Uint8Array[]> {
    // an ack (one per batch): its number, not a decoded frame
    const acked = ackedNumberOf(bytes);
    if (acked >= 0) {
      this.acknowledge(acked);
      return ok([]);
    }
    const frame = decodeFrame(bytes);
    if (!frame.ok) return frame;
    const body = frame.value.body;
    switch (body.case) {
      case "ack":
        this.acknowledge(Number(body.value.ackedSeq));
        return ok([]);
      case "welcome":
        this.acknowledge(Number(body.value.ackedSeq));
        return ok([]);
      case "notice":
        // Acked even when a duplicate: the first ack may have been lost.
        this.takeNotice(body.value);
        return ok([this.ackNotice(body.value.noticeId)]);
      case "repairRequest":
        return ok([this.answerRepair(Number(body.value.afterSeq), body.value.paths, nowMs)]);
      case "error":
        return fail(ErrorCodes.UNAVAILABLE, `Server error ${body.value.code}: ${body.value.message}`);
      default:
        return fail(ErrorCodes.FRAME_MALFORMED, `Unexpected frame ${String(body.case)} from the server`);
    }
  }

  /** Notices for the phone's apps (file cached, scan result), oldest first. */
  takeNotices(): Notice[] {
    return this.notices.splice(0);
  }

  /** What a phone restart needs to resume (persist it with the platform's state). */
  exportResume(): ClientResume {
    assert(this.open.count === 0, "export after powerOff(): the open window must be flushed");
    return {
      lastBatchNo: this.lastBatchNo,
      lastSeq: this.lastSeqRecorded,
      networkConsumed: this.lastConsumedBatched,
      unacked: this.unacked.map(({ batchNo, bytes }) => ({ batchNo, bytes })),
    };
  }

  /**
   * Clone step 1 (paper §3.2): freeze. The state now becomes the mirror's
   * starting point; batches closed while frozen are held, not sent.
   */
  beginClone(nowMs: number): CloneOffer {
    assert(this.frozen === undefined, "already frozen");
    const view = this.snapshot();
    const offer: CloneOffer = {
      position: {
        batchNo: this.lastBatchNo,
        lastSeq: this.lastSeqRecorded,
        networkConsumed: this.platform.networkConsumed,
        windowEndMs: nowMs,
      },
      digest: this.platform.digest(),
      files: [...view.walk()],
      emptyDirs: view.emptyDirs(),
      ...(this.volatileState ? { volatileState: this.volatileState() } : {}),
    };
    // The clone carries everything so far: earlier batches and the open window are moot.
    this.unacked = [];
    this.open.reset();
    this.openBytes = 0;
    this.lastSeqBatched = this.lastSeqRecorded;
    this.lastConsumedBatched = this.platform.networkConsumed;
    this.windowStartMs = Math.max(nowMs, this.windowStartMs);
    this.frozen = { sinceMs: nowMs, view };
    return offer;
  }

  /** Clone step 2: the blobs the server asked for, from the frozen state. */
  cloneBlobs(missing: readonly Uint8Array[]): Uint8Array[] {
    assert(this.frozen !== undefined, "cloneBlobs outside a clone");
    const out: Uint8Array[] = [];
    for (const sha of missing) {
      const blob = this.frozen.view.blob(sha);
      if (blob !== undefined) out.push(blob);
    }
    return out;
  }

  /** Clone step 3: unfreeze; held batches go out. Returns the freeze time and frames. */
  endClone(nowMs: number): { freezeMs: number; frames: Uint8Array[] } {
    assert(this.frozen !== undefined, "endClone outside a clone");
    const freezeMs = nowMs - this.frozen.sinceMs;
    this.frozen = undefined;
    const out: Uint8Array[] = [];
    if (this.connected) for (const u of this.unacked) this.send(u, nowMs, out);
    return { freezeMs, frames: out };
  }

  private closeWindow(endMs: number, powerOff: boolean, nowMs: number, out: Uint8Array[]): void {
    const consumed = this.platform.networkConsumed;
    const count = this.open.count;
    const windowEndMs = Math.max(
      endMs,
      count > 0 ? this.open.scan.lastTimeMs + 1 : endMs,
      this.windowStartMs,
    );
    if (count === 0 && consumed === this.lastConsumedBatched && !powerOff) {
      this.windowStartMs = windowEndMs;
      return;
    }
    const batch: BatchFields = {
      deviceId: this.deviceId,
      batchNo: this.lastBatchNo + 1,
      firstSeq: this.lastSeqBatched + 1,
      windowStartMs: this.windowStartMs,
      windowEndMs,
      networkConsumed: consumed,
      storageDigest: this.platform.digest(),
      powerOff,
    };
    const bytes = encodeWindowBatchFrame(batch, this.open, { includeDeviceId: this.includeDeviceId }, (b) =>
      encodeFrame(batchFrame(b)),
    );
    this.lastBatchNo = batch.batchNo;
    this.lastSeqBatched = this.lastSeqRecorded;
    this.lastConsumedBatched = consumed;
    this.windowStartMs = windowEndMs;
    this.open.reset();
    this.openBytes = 0;
    this.metrics.batches++;
    this.snapshots.set(batch.batchNo, this.snapshot());
    this.snapshots.delete(batch.batchNo - this.snapshotsMax);
    const entry: Unacked = { batchNo: batch.batchNo, bytes, sentMs: undefined };
    this.unacked.push(entry);
    if (this.connected && !this.frozen) this.send(entry, nowMs, out);
  }

  private send(entry: Unacked, nowMs: number, out: Uint8Array[]): void {
    entry.sentMs = nowMs;
    out.push(entry.bytes);
    this.metrics.framesSent++;
    this.metrics.bytesSent += entry.bytes.length;
    this.metrics.batchBytesSent += entry.bytes.length;
  }

  private acknowledge(batchNo: number): void {
    while (this.unacked.length > 0 && this.unacked[0]!.batchNo <= batchNo) this.unacked.shift();
    this.dropAckedSnapshots(batchNo);
  }

  /**
   * The server holds batches up to `ackedBatchNo` and replays each t_max
   * after its window, so a repair request names one of the newest of them
   * or a later one: older snapshots only pinned old trees (a repair naming
   * one is answered without a view, and the next batch's check asks again).
   */
  private dropAckedSnapshots(ackedBatchNo: number): void {
    const keepFrom = ackedBatchNo - this.snapshotsAckedKept + 1;
    // At most snapshotsMax + 1 entries (viewAt may add the newest back).
    for (const batchNo of this.snapshots.keys()) if (batchNo < keepFrom) this.snapshots.delete(batchNo);
    assert(this.snapshots.size <= this.snapshotsMax + 1, "repair snapshots stay bounded");
  }

  private takeNotice(notice: Notice): void {
    if (this.seenNotices.includes(notice.noticeId)) return;
    this.seenNotices.push(notice.noticeId);
    if (this.seenNotices.length > noticeIdsRemembered) this.seenNotices.shift();
    if (this.notices.length < limits.noticesPerBatchMax) this.notices.push(notice);
  }

  private ackNotice(noticeId: bigint): Uint8Array {
    const bytes = encodeFrame(noticeAckFrame([noticeId]));
    this.metrics.framesSent++;
    this.metrics.bytesSent += bytes.length;
    return bytes;
  }

  /**
   * The storage at batch `batchNo`: its snapshot, or — when a restart (or the
   * snapshot bound) dropped it — the storage now, if nothing changed since
   * that batch was cut. An idle phone can then repair its mirror without
   * waiting for a batch it may never send.
   */
  private viewAt(batchNo: number): TreeView | undefined {
    const kept = this.snapshots.get(batchNo);
    if (kept !== undefined) return kept;
    const unchanged =
      batchNo === this.lastBatchNo &&
      this.open.count === 0 &&
      this.lastSeqRecorded === this.lastSeqBatched &&
      this.platform.networkConsumed === this.lastConsumedBatched;
    if (!unchanged || this.frozen !== undefined) return undefined;
    const view = this.snapshot();
    this.snapshots.set(batchNo, view);
    assert(this.snapshots.size <= this.snapshotsMax + 1, "repair snapshots stay bounded");
    return view;
  }

  private answerRepair(batchNo: number, paths: readonly string[], _nowMs: number): Uint8Array {
    const view = this.viewAt(batchNo);
    const response = create(RepairResponseSchema, { afterSeq: BigInt(batchNo) });
    if (view !== undefined) {
      response.entries = answerRepair(view, paths, this.sha256).map((e) => create(RepairEntrySchema, e));
      response.storageDigest = view.digest();
    }
    const bytes = encodeFrame(repairResponseFrame(response));
    this.metrics.framesSent++;
    this.metrics.bytesSent += bytes.length;
    this.metrics.repairBytesSent += bytes.length;
    return bytes;
  }
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < 2 ** 32;
}

/** Indexed loops: for...of allocated an iterator per array on this per-input path. */
function estimateBytes(input: UserInput): number {
  let bytes = 8;
  const body = input.body;
  if (body.kind === "action") {
    bytes += body.name.length;
    const args = body.args;
    for (let i = 0; i < args.length; i++) bytes += args[i]!.length * 3 + 2;
  }
  const nondet = input.nondet;
  for (let i = 0; i < nondet.length; i++) bytes += nondet[i]!.value.length + 4;
  return bytes;
}
