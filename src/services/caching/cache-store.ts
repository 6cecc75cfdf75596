// Server-side temporary storage for bulk downloads (paper §5.1.1): files the
// service fetched for a phone, kept for the operator's retention time. Blobs
// are content-addressed and shared (the same file cached for 1000 phones is
// stored once); each device has an entry and byte quota. Expired entries leave
// a bounded tombstone so the phone gets CACHE_EXPIRED, not CACHE_UNKNOWN.
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
  payload: Uint8Array;
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

export class CacheStore {
  private readonly devices = new Map<string, DeviceCache>();
  private readonly blobs = new Map<string, Blob>();
  /** Entries in expiry order (retention is one policy value, so insertion order). */
  private readonly expiryQueue: CacheEntry[] = [];
  private expiryHead = 0;

  constructor(private readonly sha256: Sha256) {}

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
    const blob = this.blobs.get(key) ?? { payload: file.payload, refs: 0 };
    blob.refs++;
    this.blobs.set(key, blob);
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
    const last = this.expiryQueue[this.expiryQueue.length - 1];
    assert(last === undefined || last.expiresAtMs <= entry.expiresAtMs, "cache expiry must not go backwards");
    device.entries.set(entry.cacheId, entry);
    device.bytes += entry.size;
    this.expiryQueue.push(entry);
    return ok(entry);
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
    assert(blob !== undefined && blob.payload.length === entry.size, `blob of ${cacheId} missing`);
    return ok({ entry, payload: blob.payload });
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
    for (const blob of this.blobs.values()) blobBytes += blob.payload.length;
    return { entries, blobs: this.blobs.size, blobBytes };
  }

  private drop(entry: CacheEntry): boolean {
    const device = this.devices.get(entry.deviceId);
    if (device?.entries.get(entry.cacheId) !== entry) return false;
    device.entries.delete(entry.cacheId);
    device.bytes -= entry.size;
    device.tombstones.set(entry.cacheId, entry.expiresAtMs);
    if (device.tombstones.size > limits.cacheTombstonesPerDeviceMax) {
      const oldest = device.tombstones.keys().next().value as string;
      device.tombstones.delete(oldest);
    }
    const key = toHex(entry.sha256);
    const blob = this.blobs.get(key);
    assert(blob !== undefined && blob.refs > 0, `refcount of ${key} broken`);
    blob.refs--;
    if (blob.refs === 0) this.blobs.delete(key);
    assert(device.bytes >= 0, "device cache bytes went negative");
    return true;
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
