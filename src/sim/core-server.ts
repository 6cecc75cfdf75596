// The simulated mirror server on the real core (paper §3.1, Fig 3): Syn-Server,
// Traffic Monitor and MirrorServer over an in-memory MirrorStore. A crash
// drops every volatile object (SyncServer, TrafficMonitor, running mirrors);
// the store survives as the durable state and a restart rebuilds from it.
// Every frame the server emits is checked to be a sync reply (invariant 5).
import { assert } from "../core/assert.ts";
import { bytesEqual } from "../core/bytes.ts";
import type { Sha256 } from "../core/ports.ts";
import { MemoryMirrorStore, MirrorServer } from "../mirror/index.ts";
import { platformFactory } from "../mirror/platform-adapter.ts";
import { type LevelKey, Storage } from "../platform/index.ts";
import type { NetworkInput } from "../platform/inputs.ts";
import {
  decodeFrame,
  looksLikeBatchFrame,
  PROTOCOL_VERSION,
  SyncServer,
  TrafficMonitor,
} from "../sync/index.ts";
import type { CorePhone } from "./core-phone.ts";
import { injectBatchBug } from "./injected-bugs.ts";
import { SimServices } from "./sim-services.ts";
import type { ReplayObserver, ServerFrame, ServerStats, SimPhone, SimServer, StackOptions } from "./stack.ts";

/** Frames a mirror server may send a phone: everything else would be a mirror output leaving it. */
const syncReplies = new Set(["ack", "notice", "repairRequest", "welcome", "error", "challenge"]);

interface Volatile {
  mirrors: MirrorServer;
  monitor: TrafficMonitor;
  sync: SyncServer;
}

/**
 * A durable write costs a group commit (fsync of many appends at once); the
 * live runtime commits about this often. Acks wait for it (SyncServer
 * `deferAcks` + `markDurable`), and a crash in between loses the appends.
 */
const groupCommitMs = 50;

/** Fleets up to this size (all shards together) walk every phone's tree at the end; larger ones a sample (see treeDiff). */
const treeWalkEveryPhoneMax = 256;
/** In a larger fleet, every this-many-th final check walks the trees even when the digests agree. */
const treeWalkSampleEvery = 8;

export class CoreServer implements SimServer {
  readonly store = new MemoryMirrorStore({ groupCommit: true });
  /** When the pending appends get committed (Infinity: nothing pending). */
  private commitAtMs = Number.POSITIVE_INFINITY;
  private live: Volatile | undefined;
  private readonly devices = new Map<string, string>();
  /** Each phone's directory level key: like an enrolled key, it outlives a server crash. */
  private readonly levelKeys = new Map<string, LevelKey>();
  private readonly touched = new Set<string>();
  private readonly lastChecked = new Map<string, number>();
  private readonly carried = { divergences: 0, repairs: 0 };
  private readonly counters = {
    framesRejected: 0,
    leakedOutputs: 0,
    firstRejection: "",
    batchesLostOnCrash: 0,
    acksBeforeDurable: 0,
  };
  private bugInjected = false;
  private treeChecks = 0;
  private readonly stoppedDigests = new Map<string, { checkpoint: unknown; digest: Uint8Array }>();
  /** The mirror server's services (--services); undefined when off. */
  readonly services: SimServices | undefined;

  constructor(
    private readonly observer: ReplayObserver,
    private readonly o: StackOptions,
    private readonly sha256: Sha256,
  ) {
    const mode = o.services ?? "none";
    this.services = mode === "none" ? undefined : new SimServices(mode, sha256);
    this.live = this.build();
  }

  private build(): Volatile {
    const mirrors = new MirrorServer({
      store: this.store,
      platforms: platformFactory(this.sha256, { levelKeyOf: (id) => this.levelKeys.get(id) }),
      sha256: this.sha256,
    });
    const monitor = new TrafficMonitor(mirrors, this.sha256);
    const sync = new SyncServer({
      mirrors,
      monitor,
      sha256: this.sha256,
      tMaxMs: this.o.latencyMsMax,
      deferAcks: true,
    });
    // Invariant 1 on every replayed batch, catch-up after a restart included.
    sync.onBatchReplayed((deviceId, batchNo, digest, replayMs) =>
      this.observer.batchDone(deviceId, batchNo, digest, replayMs),
    );
    sync.onReplayedInput((deviceId, event, replayMs) => {
      if (this.o.bug === "corrupt-mirror-file") this.touched.add(deviceId);
      if (event.kind === "user") this.observer.user(deviceId, event.input, replayMs);
      else this.observer.network(deviceId, event.input, replayMs);
    });
    this.services?.attach({ sync, mirrors, monitor });
    return { mirrors, monitor, sync };
  }

  private get up(): Volatile {
    assert(this.live !== undefined, "the server is down");
    return this.live;
  }

  /** First boot of a phone: its mirror from the model's template. */
  register(deviceId: string, model: string, levelKey: LevelKey): void {
    this.levelKeys.set(deviceId, levelKey);
    const registered = this.up.mirrors.register(deviceId, model, { syncIntervalMs: this.o.syncIntervalMs });
    assert(registered.ok, `register ${deviceId}: ${registered.ok ? "" : registered.error.message}`);
    this.devices.set(deviceId, model);
    this.lastChecked.set(deviceId, 0);
  }

  deliverNetwork(deviceId: string, delivery: Omit<NetworkInput, "index">): NetworkInput {
    const recorded = this.up.monitor.deliver(deviceId, delivery);
    if (!recorded.ok) assert(false, `traffic monitor refused a delivery: ${recorded.error.message}`);
    return recorded.value;
  }

  receive(deviceId: string, frame: Uint8Array, nowMs: number): ServerFrame[] {
    let bytes = frame;
    if (this.o.bug !== undefined && !this.bugInjected) {
      const tampered = injectBatchBug(this.o.bug, frame);
      if (tampered !== undefined) {
        this.bugInjected = true;
        bytes = tampered;
      }
    }
    // A frame other than a batch can replay at once (a repair's answer replays what queued behind
    // it); live applies it inside the group commit, after the pending appends: commit them first.
    const early =
      this.store.uncommittedDevices > 0 && !looksLikeBatchFrame(bytes, PROTOCOL_VERSION) ? this.commit() : [];
    const replies = this.up.sync.receive(deviceId, bytes, nowMs);
    this.touched.add(deviceId);
    if (!replies.ok) {
      this.counters.framesRejected++;
      if (this.counters.firstRejection === "") {
        this.counters.firstRejection = `${deviceId} at ${nowMs} ms: ${replies.error.code} ${replies.error.message}`;
      }
      this.checkBatches();
      return this.outbound(early);
    }
    this.checkBatches();
    this.services?.pump(nowMs);
    const out = [...early, ...replies.value.map((b) => ({ deviceId, bytes: b }))];
    if (this.store.durableBatchNo(deviceId) === this.store.lastBatchNo(deviceId)) {
      // Nothing of this device awaits the commit (a duplicate, a repair answer): ack now.
      for (const bytes of this.up.sync.markDurable(deviceId)) out.push({ deviceId, bytes });
    } else if (this.commitAtMs === Number.POSITIVE_INFINITY) {
      this.commitAtMs = nowMs + groupCommitMs;
    }
    return this.outbound(out);
  }

  tick(nowMs: number): ServerFrame[] {
    // Live replays inside the group commit's transaction, never ahead of it: a replay that is
    // due commits the pending appends first, so nothing a replay causes leaves before its batch is durable.
    const due = this.up.sync.nextDueMs();
    const replayDue = due !== undefined && due <= nowMs && this.store.uncommittedDevices > 0;
    const acks = nowMs >= this.commitAtMs || replayDue ? this.commit() : [];
    const out = this.up.sync.tick(nowMs);
    this.checkBatches();
    this.services?.pump(nowMs);
    return this.outbound([...acks, ...out]);
  }

  /** The group commit: every pending append becomes durable, and only now is it acked. */
  private commit(): ServerFrame[] {
    this.commitAtMs = Number.POSITIVE_INFINITY;
    const out: ServerFrame[] = [];
    for (const deviceId of this.store.commit()) {
      for (const bytes of this.up.sync.markDurable(deviceId)) out.push({ deviceId, bytes });
    }
    assert(this.store.uncommittedDevices === 0, "a commit leaves nothing pending");
    return out;
  }

  /** Test-only bug injection once a mirror advanced (digest checks run per batch, see build()). */
  private checkBatches(): void {
    if (this.o.bug === "corrupt-mirror-file" && !this.bugInjected) {
      const sync = this.up.sync;
      for (const deviceId of this.touched) {
        const applied = sync.applied(deviceId);
        if (applied <= (this.lastChecked.get(deviceId) ?? 0)) continue;
        this.lastChecked.set(deviceId, applied);
        if (!this.bugInjected) this.corruptMirror(deviceId);
      }
    }
    this.touched.clear();
  }

  /** Test-only: a bit flip in one mirror file, as a disk or a bug would cause; repair must fix it. */
  private corruptMirror(deviceId: string): void {
    const mirror = this.up.mirrors.running(deviceId);
    if (mirror === undefined) return;
    for (const file of mirror.storage.walk()) {
      const bytes = mirror.storage.readFile(file.path);
      if (!bytes.ok || bytes.value.length === 0) continue;
      const flipped = bytes.value.slice();
      flipped[0] = flipped[0]! ^ 1;
      assert(mirror.storage.writeFile(file.path, flipped).ok, "corrupting a mirror file");
      this.bugInjected = true;
      return;
    }
  }

  private outbound(frames: ServerFrame[]): ServerFrame[] {
    for (const f of frames) {
      const decoded = decodeFrame(f.bytes);
      const kind = decoded.ok ? decoded.value.body.case : undefined;
      if (!this.devices.has(f.deviceId) || kind === undefined || !syncReplies.has(kind)) {
        this.counters.leakedOutputs++;
      }
      if (decoded.ok && decoded.value.body.case === "ack") {
        const acked = Number(decoded.value.body.value.ackedSeq);
        if (acked > this.store.durableBatchNo(f.deviceId)) this.counters.acksBeforeDurable++;
      }
    }
    return frames;
  }

  /** When replay next has work, services' timers aside (convergence waits for this only). */
  syncDueMs(): number | undefined {
    return this.syncOrCommitDueMs();
  }

  private syncOrCommitDueMs(): number | undefined {
    if (this.live === undefined) return undefined;
    const sync = this.live.sync.nextDueMs();
    if (this.commitAtMs === Number.POSITIVE_INFINITY) return sync;
    return sync === undefined ? this.commitAtMs : Math.min(sync, this.commitAtMs);
  }

  nextDueMs(): number | undefined {
    const sync = this.syncOrCommitDueMs();
    const services = this.live === undefined ? undefined : this.services?.nextDueMs();
    if (sync === undefined || services === undefined) return sync ?? services;
    return Math.min(sync, services);
  }

  crash(): void {
    this.counters.batchesLostOnCrash += this.store.loseUncommitted();
    this.commitAtMs = Number.POSITIVE_INFINITY;
    const totals = this.up.sync.totals();
    this.carried.divergences += totals.divergences;
    this.carried.repairs += totals.repairs;
    this.live = undefined;
    this.services?.detach();
    this.touched.clear();
  }

  restart(): void {
    assert(this.live === undefined, "restart of a running server");
    this.live = this.build();
    const restored = this.live.sync.restore();
    assert(restored.ok && restored.value === this.devices.size, "every mirror restores from the store");
    for (const deviceId of this.devices.keys()) {
      const checkpoint = this.store.getCheckpoint(deviceId);
      assert(checkpoint !== undefined, `no checkpoint for ${deviceId}`);
      this.observer.restored(deviceId, checkpoint.lastSeq, checkpoint.networkConsumed);
      this.lastChecked.set(deviceId, checkpoint.batchNo);
    }
  }

  private mirrorView(deviceId: string) {
    const mirrors = this.up.mirrors;
    const view = mirrors.running(deviceId)?.storage ?? mirrors.view(deviceId);
    assert(view !== undefined, `no mirror for ${deviceId}`);
    return view;
  }

  /**
   * A stopped mirror's digest comes from rebuilding its checkpoint, which is
   * costly; it cannot change until the checkpoint does, so cache it per checkpoint.
   */
  mirrorDigest(deviceId: string): Uint8Array {
    const running = this.up.mirrors.running(deviceId);
    if (running !== undefined) return running.digest();
    const checkpoint = this.store.getCheckpoint(deviceId);
    const cached = this.stoppedDigests.get(deviceId);
    if (cached !== undefined && cached.checkpoint === checkpoint) return cached.digest;
    const digest = this.mirrorView(deviceId).digest();
    this.stoppedDigests.set(deviceId, { checkpoint, digest });
    return digest;
  }

  /**
   * The final tree check, independent of the Merkle digests (it catches a
   * stale memoized hash that makes unequal trees' digests agree). Both
   * trees' sorted manifests were the run's largest allocation (~770 B per
   * user event at 1000 phones x 0.25 h), so a large fleet walks every phone
   * whose digests differ and a fixed sample of the rest; small fleets (the
   * CI seeds) walk every phone.
   */
  treeDiff(deviceId: string, phone: SimPhone): string[] {
    const nth = this.treeChecks++;
    const fleetPhones = Math.max(this.o.fleetPhones ?? 0, this.devices.size);
    if (fleetPhones > treeWalkEveryPhoneMax && nth % treeWalkSampleEvery !== 0) {
      if (bytesEqual(this.mirrorDigest(deviceId), phone.digest())) return [];
    }
    return this.walkDiff(deviceId, phone);
  }

  /**
   * Names every file that differs between the mirror's tree and the phone's,
   * entry by entry (Storage.filesDiffering: no Merkle hash trusted; subtrees
   * the two share as objects skipped), and the empty directories as one
   * entry. It was a merge of both trees' full manifests: a path string and
   * a hash copy per file, 2 % of a 2000 x 1 h run under perf.
   */
  private walkDiff(deviceId: string, phone: SimPhone): string[] {
    const view = this.mirrorView(deviceId);
    const storage = (phone as CorePhone).platform.storage;
    assert(view instanceof Storage, "the core stack's mirrors hold a Storage");
    assert(view !== storage, "a mirror never shares its phone's storage object");
    const differing = view.filesDiffering(storage);
    if (view.emptyDirs().join("\n") !== storage.emptyDirs().join("\n")) differing.push("(empty directories)");
    return differing;
  }

  stats(): ServerStats {
    const totals = this.live?.sync.totals();
    return {
      divergences: this.carried.divergences + (totals?.divergences ?? 0),
      repairs: this.carried.repairs + (totals?.repairs ?? 0),
      ...this.counters,
    };
  }
}
