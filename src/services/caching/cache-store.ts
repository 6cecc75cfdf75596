// Server-side temporary storage for bulk downloads (paper §5.1.1): files the
// service fetched for a phone, kept for the operator's retention time. Blobs
// are content-addressed and shared (the same file cached for 1000 phones is
// stored once); each device has an entry and byte quota. Expired entries leave
// a bounded tombstone so the phone gets CACHE_EXPIRED, not CACHE_UNKNOWN.
// A CacheJournal (the live server's SQLite tables + blob files) sees every
// put and expiry, so a restarted server restores the cache (restore()); a
// journal that can read its bytes back (payload()) keeps them instead of
// this store, so cached files cost no server memory while they wait.
import { assert } from "../../core/assert.ts";
import { toHex } from "../../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import type { Sha256 } from "../../core/ports.ts";

export interface CacheEntry {
  cacheId: string;
  deviceId: string;
  url: string;
  name: string;
  sha256: Uint8Array;
  size: number;
  cachedAtMs: number;
  expiresAtMs: number;
}

interface Blob {
  /** Undefined when the journal keeps the bytes (read back on get()). */
  payload: Uint8Array | undefined;
  size: number;
  refs: number;
}

interface DeviceCache {
  entries: Map<string, CacheEntry>;
  bytes: number;
  tombstones: Map<string, number>;
  nextId: number;
}

export interface CacheStoreStats {
  entries: number;
  blobs: number;
  blobBytes: number;
}

/**
 * Durable record of the cache. cached() runs inside put(), before the service
 * tells the phone, so a notice never names a file a crash could lose.
 */
export interface CacheJournal {
  cached(entry: CacheEntry, payload: Uint8Array): void;
  /** The entry expired: keep a tombstone, free its bytes. */
  expired(entry: CacheEntry): void;
  /** A download was asked for: a restarted server asks again until it settles. */
  requested?(download: PendingDownload): void;
  /** The download was cached or given up. */
  settled?(download: PendingDownload): void;
  /** The bytes of a blob cached() wrote (verified), or undefined when they cannot be read. */
  payload?(sha256: Uint8Array): Uint8Array | undefined;
}

export interface PendingDownload {
  deviceId: string;
  url: string;
}

export interface Tombstone {
  deviceId: string;
  cacheId: string;
  expiresAtMs: number;
}

/** What a journal held at start: live entries (with their bytes unless the journal keeps them), tombstones, unsettled downloads. */
export interface RestoredCache {
  entries: { entry: CacheEntry; payload?: Uint8Array }[];
  tombstones: Tombstone[];
  pending?: PendingDownload[];
}

export class CacheStore {
  private readonly devices = new Map<string, DeviceCache>();
  private readonly blobs = new Map<string, Blob>();
  /** Entries in expiry order (retention is one policy value, so insertion order). */
  private readonly expiryQueue: CacheEntry[] = [];
  private expiryHead = 0;

  constructor(
    private readonly sha256: Sha256,
    private readonly journal?: CacheJournal,
  ) {}

  /** Loads a journal's state into an empty store (server start). */
  restore(state: RestoredCache): void {
    assert(this.devices.size === 0 && this.expiryQueue.length === 0, "restore into a used cache store");
    for (const t of state.tombstones) this.tombstone(this.device(t.deviceId), t.cacheId, t.expiresAtMs);
    for (const { entry, payload } of state.entries) {
      assert(
        payload !== undefined || this.journal?.payload !== undefined,
        `restored ${entry.cacheId} without bytes`,
      );
      assert(
        payload === undefined || payload.length === entry.size,
        `restored ${entry.cacheId}: size differs`,
      );
      this.add(this.device(entry.deviceId), entry, payload);
    }
    for (const device of this.devices.values()) device.nextId = device.entries.size + device.tombstones.size;
  }

  put(
    deviceId: string,
    file: { url: string; name: string; payload: Uint8Array },
    nowMs: number,
    retentionMs: number,
  ): Result<CacheEntry> {
    assert(retentionMs > 0, "retention must be positive");
    const device = this.device(deviceId);
    if (file.payload.length > limits.fileBytesMax) {
      return fail(
        ErrorCodes.PAYLOAD_TOO_LARGE,
        `Cannot cache ${file.payload.length} bytes: above ${limits.fileBytesMax}`,
      );
    }
    if (device.entries.size >= limits.cacheEntriesPerDeviceMax) {
      return fail(
        ErrorCodes.STORAGE_FULL,
        `Cannot cache for ${deviceId}: ${device.entries.size} files already cached`,
      );
    }
    if (device.bytes + file.payload.length > limits.cacheBytesPerDeviceMax) {
      return fail(
        ErrorCodes.STORAGE_FULL,
        `Cannot cache for ${deviceId}: quota of ${limits.cacheBytesPerDeviceMax} bytes reached`,
      );
    }
    const sha256 = this.sha256(file.payload);
    const key = toHex(sha256);
    device.nextId++;
    const entry: CacheEntry = {
      // Time and content in the id keep it unique across server restarts (the
      // counter restarts; the phone may still hold notices from before).
      cacheId: `c${nowMs.toString(36)}-${key.slice(0, 8)}-${device.nextId}`,
      deviceId,
      url: file.url,
      name: file.name,
      sha256,
      size: file.payload.length,
      cachedAtMs: nowMs,
      expiresAtMs: nowMs + retentionMs,
    };
    this.journal?.cached(entry, file.payload);
    this.add(device, entry, file.payload);
    return ok(entry);
  }

  private add(device: DeviceCache, entry: CacheEntry, payload: Uint8Array | undefined): void {
    const key = toHex(entry.sha256);
    const kept = this.journal?.payload === undefined ? payload : undefined;
    const blob = this.blobs.get(key) ?? { payload: kept, size: entry.size, refs: 0 };
    blob.refs++;
    this.blobs.set(key, blob);
    assert(!device.entries.has(entry.cacheId), `cache id ${entry.cacheId} used twice`);
    device.entries.set(entry.cacheId, entry);
    device.bytes += entry.size;
    // Sorted by expiry; usually appended (a retention change across restarts inserts).
    let at = this.expiryQueue.length;
    while (at > this.expiryHead && this.expiryQueue[at - 1]!.expiresAtMs > entry.expiresAtMs) at--;
    this.expiryQueue.splice(at, 0, entry);
  }

  /** The cached file, if the device owns it and it has not expired at nowMs. */
  get(deviceId: string, cacheId: string, nowMs: number): Result<{ entry: CacheEntry; payload: Uint8Array }> {
    const device = this.devices.get(deviceId);
    const entry = device?.entries.get(cacheId);
    const expiredAtMs =
      entry !== undefined && entry.expiresAtMs <= nowMs ? entry.expiresAtMs : device?.tombstones.get(cacheId);
    if (expiredAtMs !== undefined) {
      return fail(
        ErrorCodes.CACHE_EXPIRED,
        `Cached file ${cacheId} expired at ${expiredAtMs} ms; ask for it again`,
      );
    }
    if (entry === undefined)
      return fail(ErrorCodes.CACHE_UNKNOWN, `No cached file ${cacheId} for device ${deviceId}`);
    const blob = this.blobs.get(toHex(entry.sha256));
    assert(blob !== undefined && blob.size === entry.size, `blob of ${cacheId} missing`);
    const payload = blob.payload ?? this.journal?.payload?.(entry.sha256);
    if (payload === undefined || payload.length !== entry.size)
      return fail(ErrorCodes.BLOB_CORRUPT, `Cached file ${cacheId} cannot be read back from the cache`);
    return ok({ entry, payload });
  }

  /** Drops every entry expired at nowMs; returns how many. */
  expire(nowMs: number): number {
    let dropped = 0;
    while (this.expiryHead < this.expiryQueue.length) {
      const entry = this.expiryQueue[this.expiryHead]!;
      if (entry.expiresAtMs > nowMs) break;
      this.expiryHead++;
      dropped += this.drop(entry) ? 1 : 0;
    }
    if (this.expiryHead > 1024 && this.expiryHead * 2 > this.expiryQueue.length) {
      this.expiryQueue.splice(0, this.expiryHead);
      this.expiryHead = 0;
    }
    return dropped;
  }

  nextExpiryMs(): number | undefined {
    return this.expiryQueue[this.expiryHead]?.expiresAtMs;
  }

  entries(deviceId: string): CacheEntry[] {
    return [...(this.devices.get(deviceId)?.entries.values() ?? [])];
  }

  stats(): CacheStoreStats {
    let entries = 0;
    for (const device of this.devices.values()) entries += device.entries.size;
    let blobBytes = 0;
    for (const blob of this.blobs.values()) blobBytes += blob.size;
    return { entries, blobs: this.blobs.size, blobBytes };
  }

  private drop(entry: CacheEntry): boolean {
    const device = this.devices.get(entry.deviceId);
    if (device?.entries.get(entry.cacheId) !== entry) return false;
    device.entries.delete(entry.cacheId);
    device.bytes -= entry.size;
    this.tombstone(device, entry.cacheId, entry.expiresAtMs);
    this.journal?.expired(entry);
    const key = toHex(entry.sha256);
    const blob = this.blobs.get(key);
    assert(blob !== undefined && blob.refs > 0, `refcount of ${key} broken`);
    blob.refs--;
    if (blob.refs === 0) this.blobs.delete(key);
    assert(device.bytes >= 0, "device cache bytes went negative");
    return true;
  }

  private tombstone(device: DeviceCache, cacheId: string, expiresAtMs: number): void {
    device.tombstones.set(cacheId, expiresAtMs);
    if (device.tombstones.size > limits.cacheTombstonesPerDeviceMax) {
      const oldest = device.tombstones.keys().next().value as string;
      device.tombstones.delete(oldest);
    }
  }

  private device(deviceId: string): DeviceCache {
    let device = this.devices.get(deviceId);
    if (device === undefined) {
      device = { entries: new Map(), bytes: 0, tombstones: new Map(), nextId: 0 };
      this.devices.set(deviceId, device);
    }
    return device;
  }
}
