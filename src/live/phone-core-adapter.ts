// PhoneCore over the sans-IO core (issue 5: the live phone runs the same
// platform and SyncClient as the simulator): a phone-mode Platform fed by the
// seeded workload generator, its SyncClient, and nondeterministic sources
// (clock = wall time). Glue only: apply, record, batch, ack are the core's.
// Commit points: every closed batch is handed to `commit` (the phone's durable
// store) together with the storage it describes before its frame is returned
// for sending. A re-clone (paper §3.2) rebases the phone onto the mirror's
// numbering and freezes the SyncClient while the blobs travel.
import { assert } from "../core/assert.ts";
import { fail, type MirrorcellError, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Clock, Sha256 } from "../core/ports.ts";
import { SeededRng } from "../core/rng.ts";
import type { CloneOffer } from "../mirror/mirror-server.ts";
import {
  type NondetSources,
  Platform,
  type PlatformSnapshot,
  Storage,
  seededNondet,
} from "../platform/index.ts";
import type { AppName, NetworkInput, UserInputBody } from "../platform/inputs.ts";
import type { LevelKey } from "../platform/key-level.ts";
import { bootUi } from "../platform/ui-state.ts";
import { Workload, type WorkloadEvent } from "../platform/workload.ts";
import { type ClientResume, SyncClient } from "../sync/sync-client.ts";
import type { NetworkWant, PhoneCore } from "./phone-core.ts";
import type { PhoneCommit, SavedPhone } from "./phone-state.ts";

/** The system app's "boot" action: the restart marker the mirror replays (src/platform/apps/system.ts). */
const restartInput = { app: "system", body: { kind: "action", name: "boot", args: [] } } as const;

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
  /** State of the last commit point (phone restart, also after kill -9). */
  saved?: SavedPhone;
  /**
   * The device's directory level key (levelKeyFromDeviceKey of its enrolled
   * key, which its server derives too). Required: a phone under the public
   * key could be flooded by names ground against it.
   */
  levelKey: LevelKey;
  /** The durable store: called at every commit point, before the batch's frame is sent. */
  commit?(state: PhoneCommit, blobOf: (sha: Uint8Array) => Uint8Array | undefined): void;
}

/** The mirror's position a re-clone continues from (its Welcome). */
export interface ClonePosition {
  batchNo: number;
  lastSeq: number;
  networkConsumed: number;
}

export class LivePhoneCore implements PhoneCore {
  readonly deviceId: string;
  readonly model: string;
  private readonly options: LivePhoneOptions;
  private platform: Platform;
  private client: SyncClient;
  private readonly workload: Workload;
  private readonly nondet: NondetSources;
  private nextEvent: WorkloadEvent;
  private lastTimeMs: number;
  private readonly boots: number;
  private resumedBatchNo: number;
  /** Client batches already handed to the store (a commit point closes one more). */
  private batchesCommitted = 0;
  /** Batches and inputs of clients replaced by a rebase (metrics stay cumulative). */
  private userInputsBefore = 0;
  /** A mirror follows this state; false for a fresh state until the server accepted it or a clone finished. */
  bound: boolean;
  /**
   * Restored from the store: the phone's RAM (drafts, screens) is gone while
   * its mirror kept the state from before the crash. The first input of this
   * boot says so, so the mirror drops it at the same point of the order.
   */
  private restartPending = false;
  userInputsRejected = 0;
  clones = 0;

  constructor(options: LivePhoneOptions) {
    this.options = options;
    this.deviceId = options.deviceId;
    this.model = options.model;
    this.bound = options.saved?.bound ?? false;
    const startMs = options.clock.nowMs();
    const rng = new SeededRng(options.seed);
    const sizeScale = options.sizeScale ?? 1;
    const saved = options.saved;
    this.boots = (saved?.boots ?? 0) + 1;
    this.nondet = seededNondet({
      rng: rng.fork("nondet"),
      clock: options.clock,
      cameraBytes: Math.max(1, Math.round(limits.livePhoneCameraBytesRealistic * sizeScale)),
    });
    this.resumedBatchNo = saved?.resume.lastBatchNo ?? 0;
    this.platform = Platform.create({
      mode: "phone",
      deviceId: options.deviceId,
      model: options.model,
      sha256: options.sha256,
      from: saved === undefined ? undefined : restoredSnapshot(saved, options.sha256, options.levelKey),
      nondet: this.nondet,
      levelKey: options.levelKey,
    });
    this.client = this.newClient(startMs, saved?.resume);
    this.workload = new Workload({
      rng: rng.fork(`workload-${this.boots}`),
      eventsPerSecond: options.eventsPerSecond,
      networkPerSecond: options.networkPerSecond,
      startMs,
      sizeScale,
    });
    this.nextEvent = this.workload.next();
    this.lastTimeMs = startMs;
    this.restartPending = saved !== undefined;
    const booted = this.recordRestart(startMs);
    assert(booted.length === 0, "a fresh client closes no window at its first input");
  }

  get networkConsumed(): number {
    return this.platform.networkConsumed;
  }

  get allAcked(): boolean {
    return this.client.unackedCount === 0;
  }

  get userInputs(): number {
    return this.userInputsBefore + this.client.metrics.userInputs;
  }

  /** The phone's last batch number (batches closed so far, across restarts and clones). */
  get batchesMade(): number {
    return this.resumedBatchNo + this.client.metrics.batches;
  }

  /** Batches are acked in order: every batch before the first unacked one. */
  get ackedBatchNo(): number {
    const acked = this.batchesMade - this.client.unackedCount;
    assert(acked >= 0, "more unacked batches than batches made");
    return acked;
  }

  get syncIntervalMs(): number {
    return this.client.syncIntervalMs;
  }

  /** The SyncClient is frozen for a clone. */
  get cloning(): boolean {
    return this.client.isFrozen;
  }

  /** At a commit point (the open window is empty): what a restart needs. */
  exportState(): PhoneCommit & { blobOf(sha: Uint8Array): Uint8Array | undefined } {
    const storage = this.platform.storage;
    return {
      deviceId: this.deviceId,
      model: this.model,
      networkConsumed: this.platform.networkConsumed,
      boots: this.boots,
      bound: this.bound,
      files: [...storage.walk()],
      emptyDirs: storage.emptyDirs(),
      resume: this.client.exportResume(),
      blobOf: (sha) => storage.blob(sha),
    };
  }

  /** Writes the current commit point now (after power-off once everything is acked). */
  persist(): void {
    if (this.options.commit === undefined) return;
    const state = this.exportState();
    this.options.commit(state, state.blobOf);
    this.batchesCommitted = this.client.metrics.batches;
  }

  /**
   * Re-clone step 1 (paper §3.2): the mirror's history is not this state's.
   * The phone reboots its volatile state (the mirror's clone starts without
   * one), continues the mirror's numbering and freezes; returns its offer.
   */
  beginClone(at: ClonePosition, nowMs: number): CloneOffer {
    assert(at.batchNo >= 0 && at.lastSeq >= 0 && at.networkConsumed >= 0, "clone position");
    const storage = this.platform.storage.snapshot();
    // the clone starts from this storage, so it keeps the device's key without a rebuild
    assert(storage.levels === this.options.levelKey, "the phone's storage is under its device's level key");
    const timeMs = Math.max(this.lastTimeMs, nowMs);
    this.lastTimeMs = timeMs;
    this.userInputsBefore += this.client.metrics.userInputs;
    this.platform = Platform.create({
      mode: "phone",
      deviceId: this.deviceId,
      model: this.model,
      sha256: this.options.sha256,
      from: {
        model: this.model,
        storage,
        ui: bootUi(),
        networkConsumed: at.networkConsumed,
        poweredOn: true,
      },
      nondet: this.nondet,
    });
    this.client = this.newClient(timeMs, {
      lastBatchNo: at.batchNo,
      lastSeq: at.lastSeq,
      networkConsumed: at.networkConsumed,
      unacked: [],
    });
    this.resumedBatchNo = at.batchNo;
    this.batchesCommitted = 0;
    this.bound = false;
    this.clones += 1;
    const offer = this.client.beginClone(timeMs);
    assert(offer.position.batchNo === at.batchNo, "the offer continues the mirror's numbering");
    this.client.onConnect(timeMs);
    return offer;
  }

  cloneBlobs(missing: readonly Uint8Array[]): Uint8Array[] {
    return this.client.cloneBlobs(missing);
  }

  /** Re-clone done: the mirror follows this state; batches held during the freeze go out. */
  endClone(nowMs: number): Uint8Array[] {
    this.bound = true;
    const { frames } = this.client.endClone(Math.max(this.lastTimeMs, nowMs));
    return frames;
  }

  /** The server accepted this state without a clone (fresh mirror, or the one it follows). */
  markBound(): void {
    this.bound = true;
  }

  get unackedBatches(): number {
    return this.client.unackedCount;
  }

  runWorkload(nowMs: number): { frames: Uint8Array[]; wants: NetworkWant[] } {
    const frames: Uint8Array[] = [];
    const wants: NetworkWant[] = [];
    for (let i = 0; i < limits.livePhoneStepEventsMax && this.nextEvent.atMs <= nowMs; i++) {
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
    const booted = this.recordRestart(event.atMs);
    const applied = this.applyOne(event);
    return booted.length === 0 ? applied : { ...applied, frames: [...booted, ...applied.frames] };
  }

  /** The restart marker goes first, once the client can take an input (not while its unacked queue is full). */
  private recordRestart(atMs: number): Uint8Array[] {
    if (!this.restartPending || !this.client.canRecord()) return [];
    this.restartPending = false;
    const booted = this.applyOne({ atMs, ...restartInput });
    assert(booted.error === undefined, `the boot input applies: ${booted.error?.message}`);
    return booted.frames;
  }

  private applyOne(event: { atMs: number; app: AppName; body: UserInputBody }): {
    frames: Uint8Array[];
    error?: MirrorcellError;
  } {
    const timeMs = Math.max(this.lastTimeMs, event.atMs);
    this.lastTimeMs = timeMs;
    const frames = this.committed(this.client.tick(timeMs));
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
    return this.committed(this.client.tick(this.lastTimeMs));
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

  takeNotices() {
    return this.client.takeNotices();
  }

  powerOff(nowMs: number): Uint8Array[] {
    this.lastTimeMs = Math.max(this.lastTimeMs, nowMs);
    const frames = this.committed(this.client.powerOff(this.lastTimeMs));
    this.platform.powerOff();
    return frames;
  }

  /**
   * A commit point: when the client just closed a batch, the storage it
   * describes and the batch itself are made durable before the frames are
   * returned for sending (nothing leaves the phone that a crash could lose).
   */
  private committed(frames: Uint8Array[]): Uint8Array[] {
    if (this.client.metrics.batches === this.batchesCommitted) return frames;
    assert(this.client.metrics.batches === this.batchesCommitted + 1, "one batch closes per call");
    this.persist();
    this.batchesCommitted = this.client.metrics.batches;
    return frames;
  }

  private newClient(startMs: number, resume: ClientResume | undefined): SyncClient {
    return new SyncClient({
      deviceId: this.deviceId,
      platform: this.platform,
      snapshot: () => Storage.fromSnapshot(this.platform.storage.snapshot(), this.options.sha256),
      sha256: this.options.sha256,
      syncIntervalMs: this.options.syncIntervalMs,
      startMs,
      resume,
    });
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

/** The platform as committed: storage from the stored blobs (each verified), fresh volatile state. */
function restoredSnapshot(saved: SavedPhone, sha256: Sha256, levelKey: LevelKey): PlatformSnapshot {
  const storage = Storage.fromManifest(saved.files, saved.blobOf, {
    sha256,
    levels: levelKey,
    emptyDirs: saved.emptyDirs,
  });
  if (!storage.ok) throw storage.error;
  return {
    model: saved.model,
    storage: storage.value.snapshot(),
    ui: bootUi(),
    networkConsumed: saved.networkConsumed,
    poweredOn: true,
  };
}
