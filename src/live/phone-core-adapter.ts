// PhoneCore over the sans-IO core (issue 5: the live phone runs the same
// platform and SyncClient as the simulator): a phone-mode Platform fed by the
// seeded workload generator, its SyncClient, and nondeterministic sources
// (clock = wall time). Glue only: apply, record, batch, ack are the core's.
import { assert } from "../core/assert.ts";
import { fail, type MirrorcellError, ok, type Result } from "../core/errors.ts";
import type { Clock, Sha256 } from "../core/ports.ts";
import { SeededRng } from "../core/rng.ts";
import { Platform, type PlatformSnapshot, Storage, seededNondet } from "../platform/index.ts";
import type { AppName, NetworkInput, UserInputBody } from "../platform/inputs.ts";
import { bootUi } from "../platform/ui-state.ts";
import { Workload, type WorkloadEvent } from "../platform/workload.ts";
import { SyncClient } from "../sync/sync-client.ts";
import type { NetworkWant, PhoneCore } from "./phone-core.ts";
import type { SavedPhone } from "./phone-state.ts";

export interface LivePhoneOptions {
  deviceId: string;
  model: string;
  sha256: Sha256;
  clock: Clock;
  seed: number;
  eventsPerSecond: number;
  /** Unsolicited network deliveries per second (SMS, email, MMS). */
  networkPerSecond?: number;
  syncIntervalMs: number;
  /** Payload and photo size scale (1 = realistic). */
  sizeScale?: number;
  /** State saved at the last power-off (phone restart). */
  saved?: SavedPhone;
}

/** Workload events handled per runWorkload call (bounds one step's work). */
export const workloadStepEventsMax = 10_000;
const cameraBytesRealistic = 1_500_000;

export class LivePhoneCore implements PhoneCore {
  readonly deviceId: string;
  readonly model: string;
  private readonly platform: Platform;
  private readonly client: SyncClient;
  private readonly workload: Workload;
  private nextEvent: WorkloadEvent;
  private lastTimeMs: number;
  private readonly boots: number;
  private readonly resumedBatchNo: number;
  userInputsRejected = 0;

  constructor(options: LivePhoneOptions) {
    this.deviceId = options.deviceId;
    this.model = options.model;
    const startMs = options.clock.nowMs();
    const rng = new SeededRng(options.seed);
    const sizeScale = options.sizeScale ?? 1;
    const saved = options.saved;
    this.boots = (saved?.boots ?? 0) + 1;
    this.resumedBatchNo = saved?.resume.lastBatchNo ?? 0;
    this.platform = Platform.create({
      mode: "phone",
      deviceId: options.deviceId,
      model: options.model,
      sha256: options.sha256,
      from: saved === undefined ? undefined : restoredSnapshot(saved, options.sha256),
      nondet: seededNondet({
        rng: rng.fork("nondet"),
        clock: options.clock,
        cameraBytes: Math.max(1, Math.round(cameraBytesRealistic * sizeScale)),
      }),
    });
    this.client = new SyncClient({
      deviceId: options.deviceId,
      platform: this.platform,
      snapshot: () => Storage.fromSnapshot(this.platform.storage.snapshot(), options.sha256),
      sha256: options.sha256,
      syncIntervalMs: options.syncIntervalMs,
      startMs,
      resume: saved?.resume,
    });
    this.workload = new Workload({
      rng: rng.fork(`workload-${this.boots}`),
      eventsPerSecond: options.eventsPerSecond,
      networkPerSecond: options.networkPerSecond,
      startMs,
      sizeScale,
    });
    this.nextEvent = this.workload.next();
    this.lastTimeMs = startMs;
  }

  get networkConsumed(): number {
    return this.platform.networkConsumed;
  }

  get allAcked(): boolean {
    return this.client.unackedCount === 0;
  }

  get userInputs(): number {
    return this.client.metrics.userInputs;
  }

  /** The phone's last batch number (batches closed so far, across restarts). */
  get batchesMade(): number {
    return this.resumedBatchNo + this.client.metrics.batches;
  }

  /** After powerOff(): what a restart needs (platform storage + sync resume point). */
  exportState(): Omit<SavedPhone, "blobs"> & { blobOf(sha: Uint8Array): Uint8Array | undefined } {
    const storage = this.platform.storage;
    return {
      deviceId: this.deviceId,
      model: this.model,
      networkConsumed: this.platform.networkConsumed,
      boots: this.boots,
      files: [...storage.walk()],
      emptyDirs: storage.emptyDirs(),
      resume: this.client.exportResume(),
      blobOf: (sha) => storage.blob(sha),
    };
  }

  get unackedBatches(): number {
    return this.client.unackedCount;
  }

  runWorkload(nowMs: number): { frames: Uint8Array[]; wants: NetworkWant[] } {
    const frames: Uint8Array[] = [];
    const wants: NetworkWant[] = [];
    for (let i = 0; i < workloadStepEventsMax && this.nextEvent.atMs <= nowMs; i++) {
      const event = this.nextEvent;
      if (event.kind === "network") {
        wants.push({
          atMs: event.atMs,
          app: event.app,
          kind: event.networkKind,
          args: event.args,
          payload: event.payload,
        });
      } else if (this.client.canRecord()) {
        frames.push(...this.applyUser(event).frames);
      }
      // A full unacked queue (server unreachable) drops user input: a phone cannot wait for its user.
      this.nextEvent = this.workload.next();
    }
    return { frames, wants };
  }

  /** A user input from outside the workload (a share): frames to send, or why it was not applied. */
  applyUserInput(input: { app: AppName; body: UserInputBody }, nowMs: number): Result<Uint8Array[]> {
    if (!this.client.canRecord()) return fail("E_QUEUE_FULL", "Unacked batch queue is full");
    const applied = this.applyUser({ atMs: nowMs, app: input.app, body: input.body });
    return applied.error === undefined ? ok(applied.frames) : fail(applied.error.code, applied.error.message);
  }

  private applyUser(event: { atMs: number; app: AppName; body: UserInputBody }): {
    frames: Uint8Array[];
    error?: MirrorcellError;
  } {
    const timeMs = Math.max(this.lastTimeMs, event.atMs);
    this.lastTimeMs = timeMs;
    const frames = this.client.tick(timeMs);
    const applied = this.platform.applyUser({
      seq: this.client.nextSeq,
      timeMs,
      app: event.app,
      body: event.body,
    });
    if (!applied.ok) {
      // The workload predicted a state the phone is not in (e.g. a delivery still in flight).
      this.userInputsRejected += 1;
      return { frames, error: applied.error };
    }
    const recorded = this.client.record(applied.value);
    assert(recorded.ok, `an applied input must be recordable: ${recorded.ok ? "" : recorded.error.message}`);
    return { frames };
  }

  applyNetwork(input: NetworkInput) {
    return this.platform.applyNetwork(input);
  }

  tick(nowMs: number): Uint8Array[] {
    this.lastTimeMs = Math.max(this.lastTimeMs, nowMs);
    return this.client.tick(this.lastTimeMs);
  }

  onConnect(nowMs: number): Uint8Array[] {
    return this.client.onConnect(Math.max(this.lastTimeMs, nowMs));
  }

  onDisconnect(): void {
    this.client.onDisconnect();
  }

  receive(bytes: Uint8Array, nowMs: number) {
    return this.client.receive(bytes, nowMs);
  }

  powerOff(nowMs: number): Uint8Array[] {
    this.lastTimeMs = Math.max(this.lastTimeMs, nowMs);
    const frames = this.client.powerOff(this.lastTimeMs);
    this.platform.powerOff();
    return frames;
  }

  digest(): Uint8Array {
    return this.platform.digest();
  }

  files() {
    return [...this.platform.storage.walk()];
  }

  readFile(path: string) {
    return this.platform.storage.readFile(path);
  }
}

/** The platform as saved at power-off: storage from blob files (each verified), fresh volatile state. */
function restoredSnapshot(saved: SavedPhone, sha256: Sha256): PlatformSnapshot {
  const blobOf = (sha: Uint8Array) => {
    const got = saved.blobs.get(sha);
    if (!got.ok) throw got.error;
    return got.value;
  };
  const storage = Storage.fromManifest(saved.files, blobOf, sha256, saved.emptyDirs);
  if (!storage.ok) throw storage.error;
  return {
    model: saved.model,
    storage: storage.value.snapshot(),
    ui: bootUi(),
    networkConsumed: saved.networkConsumed,
    poweredOn: true,
  };
}
