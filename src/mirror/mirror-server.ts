// The mirror server's mirrors (paper §3.2; DESIGN.md "Mirrors"): a mirror per
// device, created from its model's factory template (copy-on-write, metadata
// only) or cloned from a used phone (only blobs the server lacks travel);
// saved and stopped at power-off; restored from durable state after a server
// restart. Replay itself is the SyncServer's (src/sync): this class owns the
// platforms and their checkpoints.
import { assert } from "../core/assert.ts";
import { bytesEqual, toHex } from "../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import type { PlatformFactory, SyncedPlatform, TreeFileEntry, TreeView } from "./platform-port.ts";
import type { Checkpoint, MirrorStore } from "./store.ts";

/** Where a mirror stands in its device's input stream. */
export interface MirrorPosition {
  batchNo: number;
  lastSeq: number;
  networkConsumed: number;
  windowEndMs: number;
}

/** The phone's side of a clone: its frozen state's manifest. */
export interface CloneOffer {
  position: MirrorPosition;
  digest: Uint8Array;
  files: readonly TreeFileEntry[];
  emptyDirs: readonly string[];
  /** The phone's volatile state at the freeze (an unsent draft is part of it). */
  volatileState?: Uint8Array;
}

export interface CloneReport {
  filesOffered: number;
  blobsNeeded: number;
  blobsSent: number;
  blobBytesSent: number;
  /** Blobs the server already had (template, other mirrors). */
  blobsDeduped: number;
}

export type MirrorStatus = "unknown" | "stopped" | "running" | "cloning";

export interface MirrorServerOptions {
  store: MirrorStore;
  platforms: PlatformFactory;
  sha256: Sha256;
}

interface PendingClone {
  model: string;
  offer: CloneOffer;
  missing: Map<string, Uint8Array>;
}

export class MirrorServer {
  readonly store: MirrorStore;
  private readonly platforms: PlatformFactory;
  private readonly sha256: Sha256;
  private readonly mirrors = new Map<string, SyncedPlatform>();
  private readonly clones = new Map<string, PendingClone>();

  constructor(options: MirrorServerOptions) {
    this.store = options.store;
    this.platforms = options.platforms;
    this.sha256 = options.sha256;
  }

  /** First boot of a device: a mirror from its model's factory template. */
  register(deviceId: string, model: string, options: { syncIntervalMs?: number } = {}): Result<void> {
    if (deviceId.length === 0 || deviceId.length > limits.deviceIdBytesMax) {
      return fail(ErrorCodes.USAGE, `Device id must be 1..${limits.deviceIdBytesMax} characters`);
    }
    if (this.store.getDevice(deviceId) !== undefined)
      return fail(ErrorCodes.DEVICE_EXISTS, `Device ${deviceId} exists`);
    const syncIntervalMs = options.syncIntervalMs ?? limits.syncIntervalMsDefault;
    if (syncIntervalMs < limits.syncIntervalMsMin || syncIntervalMs > limits.syncIntervalMsMax) {
      return fail(ErrorCodes.CONFIG_INVALID, `Sync interval ${syncIntervalMs} ms outside bounds`);
    }
    const created = this.platforms.fromTemplate(deviceId, model);
    if (!created.ok) return created;
    this.store.transaction(() => {
      this.store.putDevice({ deviceId, model, syncIntervalMs, origin: "template" });
      this.store.putCheckpoint(deviceId, {
        batchNo: 0,
        lastSeq: 0,
        networkConsumed: 0,
        windowEndMs: 0,
        poweredOff: false,
        base: { kind: "template" },
      });
    });
    this.mirrors.set(deviceId, created.value);
    return ok(undefined);
  }

  status(deviceId: string): MirrorStatus {
    if (this.clones.has(deviceId)) return "cloning";
    if (this.mirrors.has(deviceId)) return "running";
    return this.store.getCheckpoint(deviceId) === undefined ? "unknown" : "stopped";
  }

  running(deviceId: string): SyncedPlatform | undefined {
    return this.mirrors.get(deviceId);
  }

  get runningCount(): number {
    return this.mirrors.size;
  }

  /** Network inputs the device had consumed before the server recorded any (clone base). */
  networkBase(deviceId: string): number {
    const pending = this.clones.get(deviceId);
    if (pending !== undefined) return pending.offer.position.networkConsumed;
    return this.store.getCheckpoint(deviceId)?.networkConsumed ?? 0;
  }

  /** A fresh running mirror at the device's checkpoint (boot, restart). */
  load(deviceId: string): Result<{ platform: SyncedPlatform; checkpoint: Checkpoint }> {
    const device = this.store.getDevice(deviceId);
    if (device === undefined) return fail(ErrorCodes.DEVICE_UNKNOWN, `Unknown device ${deviceId}`);
    if (this.clones.has(deviceId))
      return fail(ErrorCodes.MIRROR_FROZEN, `Mirror ${deviceId} is being cloned`);
    const checkpoint = this.store.getCheckpoint(deviceId);
    if (checkpoint === undefined)
      return fail(ErrorCodes.MIRROR_UNKNOWN, `Mirror ${deviceId} has no state yet`);
    const platform = this.platformAt(deviceId, device.model, checkpoint);
    if (!platform.ok) return platform;
    this.mirrors.set(deviceId, platform.value);
    return ok({ platform: platform.value, checkpoint });
  }

  /** Drops the running instance without saving (its state is in the log). */
  unload(deviceId: string): void {
    this.mirrors.delete(deviceId);
  }

  /** Power-off: the mirror is saved as a checkpoint and stopped. */
  saveAndStop(deviceId: string, position: MirrorPosition): Result<void> {
    const platform = this.mirrors.get(deviceId);
    if (platform === undefined) return fail(ErrorCodes.MIRROR_STOPPED, `Mirror ${deviceId} is not running`);
    platform.powerOff();
    this.checkpoint(deviceId, platform, position, true);
    this.mirrors.delete(deviceId);
    return ok(undefined);
  }

  /** Saves a running mirror at `position` (with its volatile state) without stopping it. */
  save(deviceId: string, position: MirrorPosition): Result<void> {
    const platform = this.mirrors.get(deviceId);
    if (platform === undefined) return fail(ErrorCodes.MIRROR_STOPPED, `Mirror ${deviceId} is not running`);
    this.checkpoint(deviceId, platform, position, false, this.platforms.exportVolatile(platform));
    return ok(undefined);
  }

  /** Read access for services: the running mirror's storage, else its checkpoint. */
  view(deviceId: string): TreeView | undefined {
    const running = this.mirrors.get(deviceId);
    if (running !== undefined) return running.storage;
    const loaded = this.load(deviceId);
    if (!loaded.ok) return undefined;
    this.mirrors.delete(deviceId);
    return loaded.value.platform.storage;
  }

  /** Clone step 1: the phone's manifest arrives; answers the blob hashes the server lacks. */
  beginClone(deviceId: string, model: string, offer: CloneOffer): Result<{ missing: Uint8Array[] }> {
    if (deviceId.length === 0 || deviceId.length > limits.deviceIdBytesMax) {
      return fail(ErrorCodes.USAGE, `Device id must be 1..${limits.deviceIdBytesMax} characters`);
    }
    if (offer.digest.length !== limits.digestBytes)
      return fail(ErrorCodes.FRAME_MALFORMED, "Clone digest size");
    const template = this.platforms.templateView(model);
    if (!template.ok) return template;
    const missing = new Map<string, Uint8Array>();
    for (const file of offer.files) {
      if (file.sha256.length !== limits.digestBytes)
        return fail(ErrorCodes.FRAME_MALFORMED, "Clone manifest hash size");
      if (this.store.hasBlob(file.sha256) || template.value.blob(file.sha256) !== undefined) continue;
      missing.set(toHex(file.sha256), file.sha256);
    }
    const existing = this.store.getDevice(deviceId);
    this.store.putDevice({
      deviceId,
      model,
      syncIntervalMs: existing?.syncIntervalMs ?? limits.syncIntervalMsDefault,
      origin: "clone",
    });
    this.mirrors.delete(deviceId);
    this.clones.set(deviceId, { model, offer, missing });
    return ok({ missing: [...missing.values()] });
  }

  /** Clone step 2: the missing blobs arrive; the mirror is built, checked and saved. */
  completeClone(deviceId: string, blobs: readonly Uint8Array[]): Result<CloneReport> {
    const pending = this.clones.get(deviceId);
    if (pending === undefined) return fail(ErrorCodes.MIRROR_UNKNOWN, `No clone in progress for ${deviceId}`);
    const supplied = new Map<string, Uint8Array>();
    let blobBytesSent = 0;
    for (const blob of blobs) {
      const key = toHex(this.sha256(blob));
      if (!pending.missing.has(key)) return fail(ErrorCodes.BLOB_CORRUPT, "Clone blob was not requested");
      supplied.set(key, blob);
      blobBytesSent += blob.length;
    }
    const template = this.platforms.templateView(pending.model);
    if (!template.ok) return template;
    const blobOf = (sha: Uint8Array) =>
      supplied.get(toHex(sha)) ?? this.store.getBlob(sha) ?? template.value.blob(sha);
    const { offer } = pending;
    const built = this.platforms.fromManifest(
      deviceId,
      pending.model,
      offer.files,
      offer.emptyDirs,
      blobOf,
      offer.position.networkConsumed,
      offer.volatileState,
    );
    if (!built.ok) return built;
    if (!bytesEqual(built.value.digest(), offer.digest)) {
      return fail(ErrorCodes.BLOB_CORRUPT, "Cloned mirror digest differs from the phone's");
    }
    this.clones.delete(deviceId);
    this.checkpoint(deviceId, built.value, offer.position, false, offer.volatileState);
    this.mirrors.set(deviceId, built.value);
    return ok({
      filesOffered: offer.files.length,
      blobsNeeded: pending.missing.size,
      blobsSent: supplied.size,
      blobBytesSent,
      blobsDeduped: new Set(offer.files.map((f) => toHex(f.sha256))).size - pending.missing.size,
    });
  }

  private platformAt(deviceId: string, model: string, checkpoint: Checkpoint): Result<SyncedPlatform> {
    const base = checkpoint.base;
    if (base.kind === "template") return this.platforms.fromTemplate(deviceId, model);
    const blobOf = (sha: Uint8Array) => this.store.getBlob(sha);
    return this.platforms.fromManifest(
      deviceId,
      model,
      base.files,
      base.emptyDirs,
      blobOf,
      checkpoint.networkConsumed,
      checkpoint.volatileState,
    );
  }

  /** Saves a manifest checkpoint; every manifest file holds one blob reference. */
  checkpoint(
    deviceId: string,
    platform: SyncedPlatform,
    position: MirrorPosition,
    poweredOff: boolean,
    volatileState?: Uint8Array,
  ): void {
    const files = [...platform.storage.walk()];
    const emptyDirs = platform.storage.emptyDirs();
    this.store.transaction(() => {
      const old = this.store.getCheckpoint(deviceId);
      this.moveManifestRefs(deviceId, platform, files, old);
      this.releaseCovered(deviceId, position, old);
      this.store.putCheckpoint(deviceId, {
        ...position,
        poweredOff,
        base: { kind: "manifest", files, emptyDirs },
        ...(volatileState ? { volatileState } : {}),
      });
    });
  }

  /**
   * Moves the manifest's blob references from the old checkpoint to the new
   * one by their net change per hash: a file kept between two checkpoints
   * costs no store call (it was +1 then -1, two or three SQLite statements
   * per file of a long-lived mirror). Net additions are retained before net
   * removals are released, so a blob both manifests hold never drops to zero
   * in between; the counts end as with one retain per new file and one
   * release per old one.
   */
  private moveManifestRefs(
    deviceId: string,
    platform: SyncedPlatform,
    files: readonly TreeFileEntry[],
    old: Checkpoint | undefined,
  ): void {
    const net = new Map<string, { sha256: Uint8Array; count: number; path: string }>();
    const add = (file: TreeFileEntry, delta: number) => {
      const key = toHex(file.sha256);
      const entry = net.get(key);
      if (entry === undefined) net.set(key, { sha256: file.sha256, count: delta, path: file.path });
      else entry.count += delta;
    };
    for (const file of files) add(file, 1);
    const oldFiles = old?.base.kind === "manifest" ? old.base.files : [];
    for (const file of oldFiles) add(file, -1);
    let retained = 0;
    for (const entry of net.values()) {
      if (entry.count <= 0) continue;
      if (!this.store.hasBlob(entry.sha256)) {
        const bytes = platform.storage.blob(entry.sha256);
        if (bytes === undefined) assert(false, `mirror ${deviceId} lacks the blob of ${entry.path}`);
        this.store.putBlob(entry.sha256, bytes);
      }
      this.store.retainBlob(entry.sha256, entry.count);
      retained += entry.count;
    }
    let released = 0;
    for (const entry of net.values()) {
      for (let i = entry.count; i < 0; i++, released++) this.store.releaseBlob(entry.sha256);
    }
    assert(retained - released === files.length - oldFiles.length, "checkpoint: blob references out of step");
  }

  /** Releases the blob references of the log the new checkpoint covers (the old manifest's moved already). */
  private releaseCovered(deviceId: string, position: MirrorPosition, old: Checkpoint | undefined): void {
    const from = (old?.networkConsumed ?? 0) + 1;
    for (let index = from; index <= position.networkConsumed; index++) {
      const record = this.store.getNetworkInput(deviceId, index);
      if (record !== undefined) this.store.releaseBlob(record.payloadSha256);
    }
    for (const repair of this.store.repairsAfter(deviceId, old?.batchNo ?? 0)) {
      if (repair.afterBatchNo > position.batchNo) continue;
      for (const op of repair.ops) if (op.sha256 !== undefined) this.store.releaseBlob(op.sha256);
    }
  }
}
