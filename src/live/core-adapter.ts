// LiveCore over the sans-IO core (issue 5: the live runtime wraps the SAME
// core as the simulator): SyncServer, TrafficMonitor and MirrorServer from
// src/sync and src/mirror, over the SQLite MirrorStore. This file only maps
// calls and views; replay, acks, repair and checkpoints are the core's.
import { assert } from "../core/assert.ts";
import { bytesEqual, toHex } from "../core/bytes.ts";
import { type ErrorCode, fail, MirrorcellError, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Frame, Hello } from "../gen/mirrorcell/v1/sync_pb.ts";
import { type MirrorPosition, MirrorServer } from "../mirror/mirror-server.ts";
import { platformFactory } from "../mirror/platform-adapter.ts";
import type { SyncedPlatform, TreeView } from "../mirror/platform-port.ts";
import { summaryLastSeq, validateBatchMessage } from "../sync/batch-validate.ts";
import { encodeFrame, errorFrame, syncBatchFromBinary } from "../sync/frame.ts";
import { SyncServer } from "../sync/sync-server.ts";
import { TrafficMonitor } from "../sync/traffic-monitor.ts";
import { CloneIntake } from "./clone-intake.ts";
import type { MirrorFile, MirrorView } from "./http-app.ts";
import { LevelKeyCache } from "./level-keys.ts";
import { type CoreReply, type LiveCore, noCoreReply, type WelcomeValues } from "./live-core.ts";
import type { CoreFactoryDeps } from "./live-server.ts";
import { deviceKey } from "./sqlite-db.ts";
import { SqliteMirrorStore } from "./sqlite-store.ts";

/** Errors after which the connection is closed: the peer broke the protocol. */
const closingCodes = new Set<ErrorCode>([
  "E_FRAME_MALFORMED",
  "E_FRAME_TOO_LARGE",
  "E_VERSION_UNSUPPORTED",
  "E_BATCH_MALFORMED",
  "E_BATCH_TOO_LARGE",
  "E_DEVICE_MISMATCH",
  "E_SEQ_CONFLICT",
  "E_SEQ_GAP",
]);

export function createLiveCore(deps: CoreFactoryDeps): LiveCore {
  const store = new SqliteMirrorStore(deps.db, deps.blobs);
  const blobCheck = store.verifyBlobs();
  const levelKeys = new LevelKeyCache(deps.sha256);
  const mirrors = new MirrorServer({
    store,
    // each mirror's directory trees are shaped by its device's secret level key, as on the phone
    platforms: platformFactory(deps.sha256, {
      levelKeyOf: (id) => {
        const key = deviceKey(deps.db, id);
        return key === undefined ? undefined : levelKeys.levelKeyOf(key);
      },
    }),
    sha256: deps.sha256,
  });
  const monitor = new TrafficMonitor(mirrors, deps.sha256);
  // Acks wait for the group commit (markDurable), one per phone per commit.
  const server = new SyncServer({ mirrors, monitor, sha256: deps.sha256, deferAcks: true });
  const restored = server.restore();
  if (!restored.ok)
    throw new MirrorcellError(restored.error.code, `Cannot restore mirrors: ${restored.error.message}`);
  deps.log.info(
    { mirrors: restored.value, blobs: blobCheck.verified, blobsCollected: blobCheck.collected },
    "restored",
  );
  const adapter = new CoreAdapter(store, mirrors, monitor, server);
  deps.services?.({
    onReplayedInput: (hook) => server.onReplayedInput(hook),
    queueNotice: (deviceId, notice) => server.queueNotice(deviceId, notice),
    view: (deviceId) => mirrors.running(deviceId)?.storage ?? mirrors.view(deviceId),
    recordNetwork: (deviceId, input) => adapter.recordNetwork(deviceId, input),
  });
  return adapter;
}

class CoreAdapter implements LiveCore {
  private readonly lags: number[] = [];
  private readonly connected = new Set<string>();
  private readonly stoppedViews = new Map<string, { key: string; view: TreeView }>();
  private networkRecorded = 0;
  private readonly clones: CloneIntake;
  readonly counters;

  constructor(
    private readonly store: SqliteMirrorStore,
    private readonly mirrorServer: MirrorServer,
    private readonly monitor: TrafficMonitor,
    private readonly server: SyncServer,
  ) {
    server.onReplayedInput((_id, event, replayMs) => {
      if (event.kind === "user" && this.lags.length < limits.lagSamplesMax)
        this.lags.push(replayMs - event.input.timeMs);
    });
    const adapter = this;
    this.counters = {
      get eventsReplayedTotal() {
        return adapter.server.totals().userInputs;
      },
      get batchesIngestedTotal() {
        return adapter.server.totals().batches;
      },
      get divergencesTotal() {
        return adapter.server.totals().divergences;
      },
      get repairsTotal() {
        return adapter.server.totals().repairs;
      },
      get networkInputsTotal() {
        return adapter.networkRecorded;
      },
      drainLagsMs: () => this.lags.splice(0),
    };
    this.clones = new CloneIntake(mirrorServer, server);
  }

  connect(deviceId: string, model: string, _nowMs: number, hello?: Hello): Result<WelcomeValues> {
    // The phone's t_syn_int (chosen at boot, paper §3.3.2), bounds checked by the session.
    const intervalMs = hello?.syncIntervalMs === undefined ? undefined : Number(hello.syncIntervalMs);
    if (this.store.getDevice(deviceId) === undefined) {
      const registered = this.mirrorServer.register(deviceId, model === "" ? "generic" : model, {
        syncIntervalMs: intervalMs,
      });
      if (!registered.ok) return registered;
    }
    let device = this.store.getDevice(deviceId);
    assert(device !== undefined, "device registered but not stored");
    if (intervalMs !== undefined && intervalMs !== device.syncIntervalMs) {
      device = { ...device, syncIntervalMs: intervalMs };
      this.store.putDevice(device);
    }
    this.connected.add(deviceId);
    if (this.clones.required(deviceId, hello)) {
      const head = this.clones.head(deviceId);
      return ok({
        ackedSeq: head.ackedBatchNo,
        syncIntervalMs: device.syncIntervalMs,
        cloneRequired: true,
        ackedLastSeq: head.ackedLastSeq,
        networkRecorded: head.networkRecorded,
      });
    }
    return ok({ ackedSeq: this.server.acked(deviceId), syncIntervalMs: device.syncIntervalMs });
  }

  disconnect(deviceId: string): void {
    this.connected.delete(deviceId);
  }

  receive(deviceId: string, frame: Frame, nowMs: number, batchBytes?: Uint8Array): CoreReply {
    const body = frame.body;
    const handled =
      body.case === "cloneOffer"
        ? this.clones.offer(deviceId, this.store.getDevice(deviceId)?.model ?? "generic", body.value)
        : body.case === "cloneBlob"
          ? this.clones.blob(deviceId, body.value)
          : this.server.receiveFrame(deviceId, frame, nowMs, batchBytes);
    if (handled.ok)
      return handled.value.length === 0
        ? noCoreReply
        : { replies: handled.value.map(encodeFrame), close: false };
    const { code, message } = handled.error;
    return {
      replies: [encodeFrame(errorFrame(code, message))],
      close: closingCodes.has(code),
      error: handled.error,
    };
  }

  markDurable(deviceId: string): Uint8Array[] {
    // The core encodes an ack alone without protobuf-es (SyncServer.markDurable).
    return this.server.markDurable(deviceId);
  }

  pendingFrames(deviceId: string, nowMs: number): Uint8Array[] {
    return this.server.pendingFrames(deviceId, nowMs);
  }

  tick(nowMs: number, batchesMax?: number) {
    return this.server.tick(nowMs, batchesMax);
  }

  replayBacklogBytes(): number {
    return this.server.replayBacklogBytes();
  }

  nextDueMs(): number | undefined {
    return this.server.nextDueMs();
  }

  recordNetwork(deviceId: string, input: Parameters<LiveCore["recordNetwork"]>[1]) {
    const recorded = this.monitor.deliver(deviceId, input);
    if (recorded.ok) this.networkRecorded += 1;
    return recorded;
  }

  recordedNetwork(deviceId: string, index: number) {
    return this.monitor.recorded(deviceId, index);
  }

  mirrors(): MirrorView[] {
    return this.store.listDevices().map((d) => this.viewOf(d.deviceId));
  }

  mirrorCounts(): { total: number; running: number } {
    const devices = this.store.listDevices();
    const running = devices.filter((d) => this.mirrorServer.status(d.deviceId) === "running").length;
    assert(running <= devices.length, "more running mirrors than devices");
    return { total: devices.length, running };
  }

  mirror(deviceId: string): MirrorView | undefined {
    if (this.store.getDevice(deviceId) === undefined) return undefined;
    const view = this.viewOf(deviceId);
    // One mirror in detail: a stopped mirror's digest comes from its checkpoint.
    const digest = view.digestHex === undefined ? this.viewOfMirror(deviceId)?.digest() : undefined;
    return digest === undefined ? view : { ...view, digestHex: toHex(digest) };
  }

  digest(deviceId: string): Uint8Array | undefined {
    return this.viewOfMirror(deviceId)?.digest();
  }

  /**
   * The running mirror's storage, else the stopped one's rebuilt from its
   * checkpoint; rebuilt views are cached per checkpoint (rebuilding reads and
   * verifies every blob file).
   */
  private viewOfMirror(deviceId: string): TreeView | undefined {
    const running = this.mirrorServer.running(deviceId);
    if (running !== undefined) return running.storage;
    const checkpoint = this.store.getCheckpoint(deviceId);
    const key = `${checkpoint?.batchNo}:${checkpoint?.poweredOff}`;
    const cached = this.stoppedViews.get(deviceId);
    if (cached !== undefined && cached.key === key) return cached.view;
    const view = this.mirrorServer.view(deviceId);
    if (view === undefined) return undefined;
    if (this.stoppedViews.size >= limits.stoppedMirrorViewsMax) this.stoppedViews.clear();
    this.stoppedViews.set(deviceId, { key, view });
    return view;
  }

  files(deviceId: string): Result<MirrorFile[]> {
    const view = this.viewOfMirror(deviceId);
    if (view === undefined) return fail("E_MIRROR_UNKNOWN", `No mirror ${deviceId}`);
    return ok([...view.walk()]);
  }

  readFile(deviceId: string, path: string): Result<Uint8Array> {
    const view = this.viewOfMirror(deviceId);
    if (view === undefined) return fail("E_MIRROR_UNKNOWN", `No mirror ${deviceId}`);
    return view.readFile(path);
  }

  control(deviceId: string, action: "start" | "stop" | "save", _nowMs: number): Result<MirrorView> {
    if (this.store.getDevice(deviceId) === undefined)
      return fail("E_MIRROR_UNKNOWN", `No mirror ${deviceId}`);
    if (action === "start") {
      if (this.mirrorServer.status(deviceId) === "stopped") {
        const loaded = this.mirrorServer.load(deviceId);
        if (!loaded.ok) return loaded;
        if (loaded.value.checkpoint.poweredOff) loaded.value.platform.boot();
      }
      return ok(this.viewOf(deviceId));
    }
    const platform = this.mirrorServer.running(deviceId);
    if (platform === undefined) return ok(this.viewOf(deviceId));
    if (action === "stop" && this.connected.has(deviceId)) {
      return fail(
        "E_MIRROR_FROZEN",
        `Mirror ${deviceId} replays a connected phone: it stops when the phone powers off`,
      );
    }
    // The save keeps the mirror's volatile state: the phone did not power off,
    // so a save without it (a power-off save) would make its next batch
    // diverge; after a stop the next batch loads the mirror from this save.
    const saved = this.saveRunning(deviceId, platform);
    if (!saved.ok) return saved;
    if (action === "stop") {
      this.mirrorServer.unload(deviceId);
      this.server.forget(deviceId);
    }
    return ok(this.viewOf(deviceId));
  }

  /**
   * Saves a running mirror where it stands. With sync state, through the
   * SyncServer (it also keeps a still-unrepaired mark, refuses mid-repair);
   * a mirror started by an admin before any frame is saved directly.
   */
  private saveRunning(deviceId: string, platform: SyncedPlatform): Result<void> {
    if (this.server.metrics(deviceId) !== undefined) return this.server.checkpoint(deviceId);
    const position = this.appliedPosition(deviceId);
    if (!position.ok) return position;
    assert(this.mirrorServer.running(deviceId) === platform, "saving a mirror that is not running");
    return this.mirrorServer.save(deviceId, position.value);
  }

  /** Where the running mirror stands: the last batch it replayed. */
  private appliedPosition(deviceId: string): Result<MirrorPosition> {
    const applied = this.server.applied(deviceId);
    const checkpoint = this.store.getCheckpoint(deviceId);
    // Position fields only: a spread checkpoint would carry its manifest, volatile state and marks along.
    if (checkpoint !== undefined && checkpoint.batchNo === applied) {
      const { batchNo, lastSeq, networkConsumed, windowEndMs } = checkpoint;
      return ok({ batchNo, lastSeq, networkConsumed, windowEndMs });
    }
    const stored = this.store.getBatch(deviceId, applied);
    if (stored === undefined)
      return fail("E_MIRROR_UNKNOWN", `Batch ${applied} of ${deviceId} is not stored`);
    // Validated, not decoded: the position needs no inputs.
    const batch = validateBatchMessage(syncBatchFromBinary(stored.bytes));
    if (!batch.ok) return batch;
    const b = batch.value;
    return ok({
      batchNo: b.batchNo,
      lastSeq: summaryLastSeq(b),
      networkConsumed: b.networkConsumed,
      windowEndMs: b.windowEndMs,
    });
  }

  private viewOf(deviceId: string): MirrorView {
    const status = this.mirrorServer.status(deviceId);
    const metrics = this.server.metrics(deviceId);
    const running = this.mirrorServer.running(deviceId);
    const applied = this.server.applied(deviceId);
    return {
      deviceId,
      state: status === "running" ? "running" : status === "stopped" ? "stopped" : "unbooted",
      connected: this.connected.has(deviceId),
      ackedBatchNo: this.server.acked(deviceId),
      appliedBatchNo: applied,
      networkInputs: this.store.networkCount(deviceId),
      meanLagMs:
        metrics === undefined || metrics.userInputs === 0
          ? undefined
          : Math.round(metrics.lagMsSum / metrics.userInputs),
      lastDigestMatch:
        running === undefined ? undefined : this.digestMatches(deviceId, applied, running.digest()),
      divergences: metrics?.divergences ?? 0,
      digestHex: running === undefined ? undefined : toHex(running.digest()),
    };
  }

  private digestMatches(deviceId: string, applied: number, digest: Uint8Array): boolean | undefined {
    const stored = this.store.getBatch(deviceId, applied);
    if (stored === undefined) return undefined;
    return bytesEqual(syncBatchFromBinary(stored.bytes).storageDigest, digest);
  }
}
