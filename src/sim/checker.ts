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

/** Ground truth per device, trimmed as the mirror catches up (memory ∝ lag). */
class DeviceTruth {
  /** networkConsumed of every phone user input not yet replayed, from `pendingFirstSeq`. */
  pendingNetworkConsumed: number[] = [];
  pendingHead = 0;
  pendingFirstSeq = 1;
  phoneSeq = 0;
  phoneNetworkConsumed = 0;
  mirrorSeq = 0;
  mirrorNetworkApplied = 0;
  /** Phone digest after each batch, keyed `lastSeq:networkConsumed`. */
  readonly batchDigests = new Map<string, string>();
}

const batchDigestsPerDeviceMax = 100_000;
const violationsKeptMax = 100;

export interface CheckerOptions {
  /** Fault-free run: divergences and lag beyond the bound are violations. */
  nominal: boolean;
  lagBoundMs: number;
}

export class InvariantChecker {
  readonly lag = new LagHistogram();
  readonly violations: Violation[] = [];
  violationsTotal = 0;
  divergencesObserved = 0;
  batchesChecked = 0;
  private readonly devices = new Map<string, DeviceTruth>();

  constructor(private readonly options: CheckerOptions) {
    assert(options.lagBoundMs > 0, "lag bound must be positive");
  }

  private truth(deviceId: string): DeviceTruth {
    let t = this.devices.get(deviceId);
    if (t === undefined) {
      t = new DeviceTruth();
      this.devices.set(deviceId, t);
    }
    return t;
  }

  violate(invariant: Violation["invariant"], deviceId: string, atMs: number, message: string): void {
    this.violationsTotal++;
    if (this.violations.length < violationsKeptMax)
      this.violations.push({ invariant, deviceId, atMs, message });
  }

  phoneAppliedUser(deviceId: string, seq: number, networkConsumed: number): void {
    const t = this.truth(deviceId);
    assert(seq === t.phoneSeq + 1, `${deviceId}: phone seq ${seq} after ${t.phoneSeq}`);
    assert(networkConsumed === t.phoneNetworkConsumed, `${deviceId}: phone networkConsumed drifted`);
    t.phoneSeq = seq;
    t.pendingNetworkConsumed.push(networkConsumed);
  }

  phoneAppliedNetwork(deviceId: string, index: number): void {
    const t = this.truth(deviceId);
    assert(index === t.phoneNetworkConsumed + 1, `${deviceId}: phone network index ${index}`);
    t.phoneNetworkConsumed = index;
  }

  /** The phone cut a batch ending at `lastSeq`; its digest is what the mirror must reach. */
  phoneCutBatch(deviceId: string, lastSeq: number, networkConsumed: number, digest: Uint8Array): void {
    const t = this.truth(deviceId);
    assert(
      lastSeq === t.phoneSeq && networkConsumed === t.phoneNetworkConsumed,
      "batch cut off the phone's state",
    );
    assert(t.batchDigests.size < batchDigestsPerDeviceMax, `${deviceId}: too many unreplayed batches`);
    t.batchDigests.set(`${lastSeq}:${networkConsumed}`, toHex(digest));
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
    const truthConsumed = t.pendingNetworkConsumed[t.pendingHead]!;
    assert(t.pendingFirstSeq + t.pendingHead === seq, "checker pending queue out of step");
    if (networkConsumed !== truthConsumed || t.mirrorNetworkApplied !== truthConsumed) {
      this.violate(
        4,
        deviceId,
        nowMs,
        `user input seq ${seq}: phone had consumed ${truthConsumed} network inputs, mirror ${t.mirrorNetworkApplied} (input says ${networkConsumed})`,
      );
    }
    t.mirrorSeq = seq;
    t.pendingHead++;
    if (t.pendingHead > 1024 && t.pendingHead * 2 > t.pendingNetworkConsumed.length) {
      t.pendingNetworkConsumed = t.pendingNetworkConsumed.slice(t.pendingHead);
      t.pendingFirstSeq += t.pendingHead;
      t.pendingHead = 0;
    }
    const lagMs = nowMs - timeMs;
    this.lag.record(Math.max(0, lagMs));
    if (this.options.nominal && lagMs > this.options.lagBoundMs) {
      this.violate(
        3,
        deviceId,
        nowMs,
        `lag ${lagMs} ms for seq ${seq} exceeds ${this.options.lagBoundMs} ms`,
      );
    }
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
   * The mirror finished replaying a batch; `mirrorDigest` is its storage
   * digest. Returns whether it matched the phone's digest at that point.
   */
  mirrorBatchDone(
    deviceId: string,
    lastSeq: number,
    networkConsumed: number,
    mirrorDigest: Uint8Array,
    nowMs: number,
  ): boolean {
    const t = this.truth(deviceId);
    const key = `${lastSeq}:${networkConsumed}`;
    const expected = t.batchDigests.get(key);
    for (const k of t.batchDigests.keys()) {
      const colon = k.indexOf(":");
      const kSeq = Number(k.slice(0, colon));
      if (kSeq > lastSeq || (kSeq === lastSeq && Number(k.slice(colon + 1)) > networkConsumed)) break;
      t.batchDigests.delete(k);
    }
    if (expected === undefined) return true; // a batch the phone cut again after a reconnect
    this.batchesChecked++;
    if (expected === toHex(mirrorDigest)) return true;
    this.divergencesObserved++;
    if (this.options.nominal) {
      this.violate(1, deviceId, nowMs, `mirror digest differs from the phone's after seq ${lastSeq}`);
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
