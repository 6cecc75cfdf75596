// A simulated phone on the real core: the deterministic Platform in phone
// mode, the Syn-Client beside it (paper §3.3.2) and the seeded workload
// generator (paper §5.1). Its clock is the simulator's virtual clock, its
// nondeterminism a forked Rng — recorded by the platform, like a real phone's.
import { assert } from "../core/assert.ts";
import type { Clock, Sha256 } from "../core/ports.ts";
import { LevelKey, levelSecretBytes, Platform, Storage, seededNondet } from "../platform/index.ts";
import type { AppName, NetworkInput, UserInput, UserInputBody } from "../platform/inputs.ts";
import { Workload } from "../platform/workload.ts";
import { type ClientResume, SyncClient } from "../sync/index.ts";
import type { PhoneOptions, SimPhone, WorkloadStep } from "./stack.ts";

/** A camera photo at full size (paper-era phones: ~1.5 MB); scaled for fleets. */
const cameraBytesFull = 1_500_000;
/**
 * Storage steps a phone holds for its mirror (platform/storage-steps.ts). A
 * mirror replays about one to two sync intervals behind (a few dozen writes);
 * one that falls further behind (a partition) computes its own.
 */
const sharedStepsMax = 1024;

class VirtualClock implements Clock {
  private timeMs = 0;

  nowMs(): number {
    return this.timeMs;
  }

  set(timeMs: number): void {
    // The message is built only on failure: set() runs several times per simulated event.
    if (timeMs < this.timeMs) assert(false, `virtual clock moved backwards from ${this.timeMs} to ${timeMs}`);
    this.timeMs = timeMs;
  }
}

interface UserIntent {
  app: AppName;
  body: UserInputBody;
}

export class CorePhone implements SimPhone {
  readonly platform: Platform;
  /** The phone's secret directory level key; its mirror is registered with the same one. */
  readonly levelKey: LevelKey;
  client: SyncClient;
  receiveErrors = 0;
  private readonly clock = new VirtualClock();
  private readonly workload: Workload;
  private batchesSeen = 0;
  /** Batches cut by clients before the current one (a restart starts a new client). */
  private batchesBefore = 0;
  private cutSeq = 0;
  private cutNetwork = 0;

  constructor(
    readonly deviceId: string,
    model: string,
    private readonly o: PhoneOptions,
    private readonly sha256: Sha256,
  ) {
    const cameraBytes = Math.max(1, Math.round(cameraBytesFull * o.payloadScale));
    const nondet = seededNondet({ rng: o.rng.fork("nondet"), clock: this.clock, cameraBytes });
    const workloadRng = o.rng.fork("workload");
    // forked after the older streams, so a seed's workload and nondet stay what they were
    this.levelKey = LevelKey.fromSecret(
      o.rng.fork("mst-level").bytes(levelSecretBytes),
      o.sharedSteps === false ? undefined : sharedStepsMax,
    );
    const platform = Platform.create({
      mode: "phone",
      deviceId,
      model,
      sha256,
      nondet,
      levelKey: this.levelKey,
    });
    this.platform = platform;
    this.client = this.newClient(o.startMs, undefined);
    this.client.onConnect(o.startMs);
    this.workload = new Workload({
      rng: workloadRng,
      eventsPerSecond: o.eventsPerSec,
      sizeScale: o.payloadScale,
      startMs: o.startMs,
    });
  }

  /**
   * A restart loses the client's RAM — its repair snapshots and notice ids —
   * and resumes from what it persisted at power-off, like a real phone.
   */
  private newClient(startMs: number, resume: ClientResume | undefined): SyncClient {
    const { platform, sha256 } = this;
    return new SyncClient({
      deviceId: this.deviceId,
      platform,
      snapshot: () => Storage.fromSnapshot(platform.storage.snapshot(), sha256),
      sha256,
      syncIntervalMs: this.o.syncIntervalMs,
      startMs,
      ...(resume === undefined ? {} : { resume }),
    });
  }

  get networkConsumed(): number {
    return this.platform.networkConsumed;
  }

  nextStep(afterMs: number): WorkloadStep | undefined {
    // The workload's intent is the step's (it carries app and body; a typed
    // key's is shared by every key of its code): no event object per key.
    const e = this.workload.nextIntent();
    const atMs = Math.max(this.workload.intentAtMs, afterMs);
    if (e.kind === "user") return { atMs, kind: "user", intent: e satisfies UserIntent };
    return {
      atMs,
      kind: "network",
      delivery: { app: e.app, kind: e.networkKind, args: e.args, payload: e.payload },
    };
  }

  applyUser(intent: unknown, nowMs: number): { input: UserInput | undefined; frames: Uint8Array[] } {
    const frames = this.tick(nowMs); // the client closes due windows before the next input
    if (!this.client.canRecord()) return { input: undefined, frames }; // backpressure: the tap is held
    const { app, body } = intent as UserIntent;
    const applied = this.platform.applyUser({ seq: this.client.nextSeq, timeMs: nowMs, app, body });
    if (!applied.ok) return { input: undefined, frames };
    const recorded = this.client.record(applied.value);
    if (!recorded.ok) assert(false, `client refused an applied input: ${recorded.error.message}`);
    return { input: applied.value, frames };
  }

  applyNetwork(input: NetworkInput, nowMs: number): boolean {
    this.clock.set(nowMs);
    return this.platform.applyNetwork(input).ok;
  }

  nextTickMs(): number {
    return this.client.nextDueMs();
  }

  tick(nowMs: number): Uint8Array[] {
    this.clock.set(nowMs);
    const frames = this.client.tick(nowMs);
    this.noteCut();
    return frames;
  }

  /** Tells the checker about a batch the client just cut, with the phone's state at that moment. */
  private noteCut(): void {
    const batches = this.batchesBefore + this.client.metrics.batches;
    if (batches === this.batchesSeen) return;
    assert(batches === this.batchesSeen + 1, "one tick cuts at most one batch");
    this.batchesSeen = batches;
    this.cutSeq = this.client.nextSeq - 1;
    this.cutNetwork = this.platform.networkConsumed;
    this.o.onBatchCut(this.deviceId, batches, this.cutSeq, this.cutNetwork, this.platform.digest());
  }

  disconnect(): void {
    this.client.onDisconnect();
  }

  reconnect(nowMs: number): Uint8Array[] {
    this.clock.set(nowMs);
    return this.client.onConnect(nowMs);
  }

  receive(frame: Uint8Array, nowMs: number): Uint8Array[] {
    this.clock.set(nowMs);
    const replies = this.client.receive(frame, nowMs);
    this.client.takeNotices(); // notices would go to the phone's apps; the sim drops them
    if (replies.ok) return replies.value;
    this.receiveErrors++;
    return [];
  }

  idle(): boolean {
    return (
      this.client.unackedCount === 0 &&
      this.client.nextSeq - 1 === this.cutSeq &&
      this.platform.networkConsumed === this.cutNetwork
    );
  }

  digest(): Uint8Array {
    return this.platform.digest();
  }

  powerOff(nowMs: number): Uint8Array[] {
    this.clock.set(nowMs);
    const frames = this.client.powerOff(nowMs);
    this.noteCut();
    this.platform.powerOff();
    return frames;
  }

  largestFile(): { path: string; sizeBytes: number } | undefined {
    let best: { path: string; sizeBytes: number } | undefined;
    for (const file of this.platform.storage.walk()) {
      if (best === undefined || file.size > best.sizeBytes) best = { path: file.path, sizeBytes: file.size };
    }
    return best;
  }

  boot(nowMs: number): void {
    this.clock.set(nowMs);
    this.platform.boot();
    this.batchesBefore += this.client.metrics.batches;
    this.client = this.newClient(nowMs, this.client.exportResume());
  }
}
