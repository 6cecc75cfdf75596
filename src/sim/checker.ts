// The invariant checker run on every simulation (DESIGN.md "Invariants" 1–5).
// It keeps its own ground truth of what each phone applied, in which order,
// and compares every input the mirror replays against it, so a bug anywhere
// in capture, transport, intake or replay shows up as a named violation.
import { assert } from "../core/assert.ts";
import { toHex } from "../core/bytes.ts";
import { LagHistogram } from "./lag-histogram.ts";

export interface Violation {
  invariant: 1 | 2 | 3 | 4 | 5;
  deviceId: string;
  atMs: number;
  message: string;
}

/**
 * Ground truth per device, trimmed as the mirror catches up. The phone's
 * networkConsumed per user input is kept as runs (it changes only when a
 * network input arrives, ~1 in 20 user inputs): memory ∝ network inputs in
 * the retained span, where one number per user input grew with every event.
 */
class DeviceTruth {
  /** Run i: user inputs from seq `runSeqs[i]` until the next run's start had consumed `runValues[i]`. */
  runSeqs: number[] = [];
  runValues: number[] = [];
  /** The run the last look-up found: the mirror replays in seq order. */
  runCursor = 0;
  /** Lowest seq whose truth is kept (runs before it were trimmed). */
  truthFirstSeq = 1;
  phoneSeq = 0;
  phoneNetworkConsumed = 0;
  mirrorSeq = 0;
  mirrorNetworkApplied = 0;
  /** Highest seq ever replayed: a restart re-replays below it (not lag, not a duplicate). */
  replayedSeqMax = 0;
  /**
   * Phone digests of the batches cut and not yet replayed, oldest first: a
   * ring of batch numbers beside a ring of digest bytes (`digestBytes`
   * each, copied in). It was a Map of digest copies: per batch a copy, a
   * Map insert, look-up and delete and a key iterator.
   */
  cutBatchNos = new Float64Array(cutRingSlotsInitial);
  cutDigests = new Uint8Array(0);
  digestBytes = 0;
  cutFirst = 0;
  cutCount = 0;
  /** The last batch number cut: a phone cuts its batches in ascending order. */
  cutBatchNoLast = -1;
}

/** Inputs kept behind the mirror's position, for re-replay after a server restart. */
const retainedBehindMirror = 4096;
/** Runs dropped by one trim at least (splicing the front of the run lists is linear). */
const runsTrimmedAtOnce = 16;
const batchDigestsPerDeviceMax = 100_000;
/** Unreplayed batches a device's ring holds before it first grows (a nominal run has 1-2 in flight). */
const cutRingSlotsInitial = 4;
const violationsKeptMax = 100;

export interface CheckerOptions {
  /** Fault-free run: divergences and lag beyond the bound are violations. */
  nominal: boolean;
  lagBoundMs: number;
  /** Extra allowance per device (≥ 0): the longest its uplink took to carry a frame (serialization + queueing). */
  uplinkDelayMs?: (deviceId: string) => number;
}

/** Whether the digest in ring slot `slot` equals `digest`. */
function digestAt(t: DeviceTruth, slot: number, digest: Uint8Array): boolean {
  const width = t.digestBytes;
  if (digest.length !== width) return false;
  const stored = t.cutDigests;
  const base = slot * width;
  for (let i = 0; i < width; i++) if (stored[base + i] !== digest[i]) return false;
  return true;
}

/** Doubles a device's ring of unreplayed batches, oldest first again. */
function growCutRing(deviceId: string, t: DeviceTruth): void {
  const slots = t.cutBatchNos.length;
  if (slots >= batchDigestsPerDeviceMax) assert(false, `${deviceId}: too many unreplayed batches`);
  const nos = new Float64Array(Math.min(slots * 2, batchDigestsPerDeviceMax));
  const digests = new Uint8Array(nos.length * t.digestBytes);
  for (let k = 0; k < t.cutCount; k++) {
    const from = (t.cutFirst + k) % slots;
    nos[k] = t.cutBatchNos[from]!;
    digests.set(t.cutDigests.subarray(from * t.digestBytes, (from + 1) * t.digestBytes), k * t.digestBytes);
  }
  t.cutBatchNos = nos;
  t.cutDigests = digests;
  t.cutFirst = 0;
  assert(t.cutCount < nos.length, "the grown ring has a free slot");
}

/** networkConsumed before the phone's user input `seq`; undefined when trimmed or not applied. */
function consumedAt(t: DeviceTruth, seq: number): number | undefined {
  if (seq < t.truthFirstSeq || seq > t.phoneSeq || t.runSeqs.length === 0) return undefined;
  let i = t.runCursor;
  // A re-replay after a restart goes back: search again from the first run (bounded by the runs kept).
  if (i >= t.runSeqs.length || t.runSeqs[i]! > seq) i = 0;
  while (i + 1 < t.runSeqs.length && t.runSeqs[i + 1]! <= seq) i++;
  if (t.runSeqs[i]! > seq) assert(false, `no run holds seq ${seq}`);
  t.runCursor = i;
  return t.runValues[i];
}

export class InvariantChecker {
  readonly lag = new LagHistogram();
  readonly violations: Violation[] = [];
  violationsTotal = 0;
  divergencesObserved = 0;
  batchesChecked = 0;
  private readonly devices = new Map<string, DeviceTruth>();
  /** The last device looked up: a replayed batch reports its inputs one after another. */
  private lastDeviceId = "";
  private lastTruth: DeviceTruth | undefined;

  constructor(private readonly options: CheckerOptions) {
    assert(options.lagBoundMs > 0, "lag bound must be positive");
  }

  private truth(deviceId: string): DeviceTruth {
    if (deviceId === this.lastDeviceId && this.lastTruth !== undefined) return this.lastTruth;
    let t = this.devices.get(deviceId);
    if (t === undefined) {
      t = new DeviceTruth();
      this.devices.set(deviceId, t);
    }
    this.lastDeviceId = deviceId;
    this.lastTruth = t;
    return t;
  }

  violate(invariant: Violation["invariant"], deviceId: string, atMs: number, message: string): void {
    this.violationsTotal++;
    if (this.violations.length < violationsKeptMax)
      this.violations.push({ invariant, deviceId, atMs, message });
  }

  phoneAppliedUser(deviceId: string, seq: number, networkConsumed: number): void {
    const t = this.truth(deviceId);
    // Messages are built only on failure: this runs once per user input.
    if (seq !== t.phoneSeq + 1) assert(false, `${deviceId}: phone seq ${seq} after ${t.phoneSeq}`);
    if (networkConsumed !== t.phoneNetworkConsumed)
      assert(false, `${deviceId}: phone networkConsumed drifted`);
    t.phoneSeq = seq;
    const runs = t.runValues.length;
    if (runs === 0 || t.runValues[runs - 1] !== networkConsumed) {
      t.runSeqs.push(seq);
      t.runValues.push(networkConsumed);
    }
  }

  phoneAppliedNetwork(deviceId: string, index: number): void {
    const t = this.truth(deviceId);
    if (index !== t.phoneNetworkConsumed + 1) assert(false, `${deviceId}: phone network index ${index}`);
    t.phoneNetworkConsumed = index;
  }

  /** The phone cut a batch ending at `lastSeq`; its digest is what the mirror must reach. */
  phoneCutBatch(
    deviceId: string,
    batchNo: number,
    lastSeq: number,
    networkConsumed: number,
    digest: Uint8Array,
  ): void {
    const t = this.truth(deviceId);
    assert(
      lastSeq === t.phoneSeq && networkConsumed === t.phoneNetworkConsumed,
      "batch cut off the phone's state",
    );
    if (!(batchNo > t.cutBatchNoLast))
      assert(false, `${deviceId}: batch ${batchNo} cut after batch ${t.cutBatchNoLast}`);
    t.cutBatchNoLast = batchNo;
    if (t.digestBytes === 0) {
      assert(digest.length > 0, "a batch digest has bytes");
      t.digestBytes = digest.length;
      t.cutDigests = new Uint8Array(digest.length * t.cutBatchNos.length);
    }
    if (digest.length !== t.digestBytes)
      assert(false, `${deviceId}: digest of ${digest.length} bytes, not ${t.digestBytes}`);
    if (t.cutCount === t.cutBatchNos.length) growCutRing(deviceId, t);
    const slot = (t.cutFirst + t.cutCount++) % t.cutBatchNos.length;
    t.cutBatchNos[slot] = batchNo;
    t.cutDigests.set(digest, slot * t.digestBytes); // compared as bytes: no hex string per batch
  }

  mirrorAppliedUser(
    deviceId: string,
    seq: number,
    networkConsumed: number,
    timeMs: number,
    nowMs: number,
  ): void {
    const t = this.truth(deviceId);
    if (seq !== t.mirrorSeq + 1) {
      const what = seq <= t.mirrorSeq ? "applied twice" : `lost (expected seq ${t.mirrorSeq + 1})`;
      this.violate(2, deviceId, nowMs, `user input seq ${seq} ${what}`);
      return;
    }
    if (seq > t.phoneSeq) {
      this.violate(2, deviceId, nowMs, `mirror replayed seq ${seq} the phone never applied`);
      return;
    }
    const truthConsumed = consumedAt(t, seq);
    if (
      truthConsumed !== undefined &&
      (networkConsumed !== truthConsumed || t.mirrorNetworkApplied !== truthConsumed)
    ) {
      this.violate(
        4,
        deviceId,
        nowMs,
        `user input seq ${seq}: phone had consumed ${truthConsumed} network inputs, mirror ${t.mirrorNetworkApplied} (input says ${networkConsumed})`,
      );
    }
    t.mirrorSeq = seq;
    this.trim(t);
    if (seq <= t.replayedSeqMax) return; // re-replay after a restart
    t.replayedSeqMax = seq;
    const lagMs = nowMs - timeMs;
    this.lag.record(Math.max(0, lagMs));
    // The per-device allowance is never negative, so a lag within the base
    // bound needs no look-up: that was a closure call and a Map lookup by
    // device id per replayed user input of a nominal run.
    if (!this.options.nominal || lagMs <= this.options.lagBoundMs) return;
    const boundMs = this.options.lagBoundMs + this.uplinkAllowanceMs(deviceId);
    if (lagMs > boundMs)
      this.violate(3, deviceId, nowMs, `lag ${lagMs} ms for seq ${seq} exceeds ${boundMs} ms`);
  }

  private uplinkAllowanceMs(deviceId: string): number {
    const extraMs = this.options.uplinkDelayMs?.(deviceId) ?? 0;
    if (!(extraMs >= 0)) assert(false, `${deviceId}: uplink allowance must be non-negative, got ${extraMs}`);
    return extraMs;
  }

  /** Drops the runs that end more than retainedBehindMirror inputs behind the mirror, a few at a time. */
  private trim(t: DeviceTruth): void {
    const keepFrom = t.mirrorSeq - retainedBehindMirror;
    if (t.runSeqs.length <= runsTrimmedAtOnce || t.runSeqs[runsTrimmedAtOnce]! > keepFrom) return;
    let drop = runsTrimmedAtOnce;
    while (drop + 1 < t.runSeqs.length && t.runSeqs[drop + 1]! <= keepFrom) drop++;
    t.runSeqs.splice(0, drop);
    t.runValues.splice(0, drop);
    t.runCursor = 0;
    t.truthFirstSeq = t.runSeqs[0]!;
    assert(t.truthFirstSeq <= keepFrom && t.runSeqs.length >= 1, "trim keeps the run the mirror is in");
  }

  /** A restarted server resumes a mirror from its durable checkpoint and re-replays from there. */
  restoredFrom(deviceId: string, lastSeq: number, networkConsumed: number): void {
    const t = this.truth(deviceId);
    assert(
      lastSeq <= t.mirrorSeq && networkConsumed <= t.mirrorNetworkApplied,
      "a checkpoint ahead of the mirror",
    );
    t.mirrorSeq = lastSeq;
    t.mirrorNetworkApplied = networkConsumed;
  }

  mirrorAppliedNetwork(deviceId: string, index: number, nowMs: number): void {
    const t = this.truth(deviceId);
    if (index !== t.mirrorNetworkApplied + 1) {
      const what = index <= t.mirrorNetworkApplied ? "applied twice" : "applied out of order";
      this.violate(
        2,
        deviceId,
        nowMs,
        `network input ${index} ${what} (mirror had ${t.mirrorNetworkApplied})`,
      );
      return;
    }
    if (index > t.phoneNetworkConsumed) {
      this.violate(4, deviceId, nowMs, `network input ${index} replayed before the phone consumed it`);
    }
    t.mirrorNetworkApplied = index;
  }

  /**
   * The mirror finished replaying batch `batchNo`; `mirrorDigest` is its
   * storage digest. Returns whether it matched the phone's digest then.
   */
  mirrorBatchDone(deviceId: string, batchNo: number, mirrorDigest: Uint8Array, nowMs: number): boolean {
    const t = this.truth(deviceId);
    // Batches up to this one leave the ring (the mirror replays in batch order); this one's digest is compared.
    let matched: boolean | undefined;
    const slots = t.cutBatchNos.length;
    while (t.cutCount > 0 && t.cutBatchNos[t.cutFirst]! <= batchNo) {
      if (t.cutBatchNos[t.cutFirst] === batchNo) matched = digestAt(t, t.cutFirst, mirrorDigest);
      t.cutFirst = (t.cutFirst + 1) % slots;
      t.cutCount--;
    }
    if (matched === undefined) return true; // re-replayed after a restart: checked the first time
    this.batchesChecked++;
    if (matched) return true;
    this.divergencesObserved++;
    if (this.options.nominal) {
      this.violate(1, deviceId, nowMs, `mirror digest differs from the phone's after batch ${batchNo}`);
    }
    return false;
  }

  /** End of the convergence phase: every mirror has replayed everything its phone applied. */
  finalCheck(deviceId: string, mirrorDigest: Uint8Array, phoneDigest: Uint8Array, nowMs: number): void {
    const t = this.truth(deviceId);
    if (t.mirrorSeq !== t.phoneSeq) {
      this.violate(
        2,
        deviceId,
        nowMs,
        `phone applied ${t.phoneSeq} user inputs, mirror replayed ${t.mirrorSeq}`,
      );
    }
    if (t.mirrorNetworkApplied !== t.phoneNetworkConsumed) {
      this.violate(
        2,
        deviceId,
        nowMs,
        `phone consumed ${t.phoneNetworkConsumed} network inputs, mirror applied ${t.mirrorNetworkApplied}`,
      );
    }
    if (toHex(mirrorDigest) !== toHex(phoneDigest)) {
      this.violate(1, deviceId, nowMs, "after convergence the mirror digest differs from the phone's");
    }
  }

  /** Progress of one device's mirror (for the convergence phase). */
  caughtUp(deviceId: string): boolean {
    const t = this.truth(deviceId);
    return t.mirrorSeq === t.phoneSeq && t.mirrorNetworkApplied === t.phoneNetworkConsumed;
  }
}
