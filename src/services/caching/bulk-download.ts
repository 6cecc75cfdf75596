// Bulk download through the server (paper §5.1.1): the service fetches a file
// for the phone into the cache store, tells the phone "file-cached" in the
// next sync message, and hands the file over when the user chooses to fetch
// it. The hand-over is a network input recorded by the Traffic Monitor, so
// the mirror replays it and the file becomes part of both storages without
// being uploaded from the phone.
import { assert } from "../../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import type { NetworkInput } from "../../platform/inputs.ts";
import type { FetchResult, ServicePorts } from "../api.ts";
import { cachedFileInput, fileCachedInput, fileNameOfUrl } from "./cache-actions.ts";
import type { CacheEntry, CacheJournal, CacheStore } from "./cache-store.ts";
import { fileCachedNotice, type NoticeOutlet, textNotice } from "./notices.ts";
import { type CachingPolicy, retryDelayMs } from "./settings.ts";

interface PendingFetch {
  fetchId: string;
  deviceId: string;
  url: string;
  attempts: number;
  /** Set while waiting to retry; undefined while a fetch is in flight. */
  retryAtMs: number | undefined;
}

const urlPattern = /^https?:\/\/[^\s]+$/;

export class BulkDownloads {
  private readonly pending = new Map<string, PendingFetch>();
  private nextFetch = 0;

  constructor(
    private readonly serviceName: string,
    private readonly ports: ServicePorts,
    private readonly store: CacheStore,
    private readonly policy: CachingPolicy,
    private readonly notices: NoticeOutlet,
    private readonly journal?: CacheJournal,
  ) {}

  /** The phone asked for a URL: fetch it on the server. Returns the fetch id. */
  request(deviceId: string, url: string, _nowMs: number): Result<string> {
    if (url.length > limits.actionArgBytesMax || !urlPattern.test(url)) {
      return fail(ErrorCodes.INPUT_MALFORMED, `Cannot download "${url.slice(0, 80)}": not an http(s) URL`);
    }
    assert(this.pending.size <= limits.downloadsInFlightMax, "downloads in flight above their bound");
    if (this.pending.size >= limits.downloadsInFlightMax) {
      return fail(ErrorCodes.QUEUE_FULL, `Cannot download ${url}: ${this.pending.size} downloads in flight`);
    }
    this.nextFetch++;
    const fetchId = `${this.serviceName}:d${this.nextFetch}`;
    const fetch: PendingFetch = { fetchId, deviceId, url, attempts: 0, retryAtMs: undefined };
    this.pending.set(fetchId, fetch);
    this.journal?.requested?.({ deviceId, url });
    this.send(fetch);
    return ok(fetchId);
  }

  /** A sender pushed a file for the phone: cache it instead of delivering it now. */
  offerInbound(deviceId: string, file: { from: string; name: string; payload: Uint8Array }, nowMs: number) {
    const url = `mirrorcell://from/${encodeURIComponent(file.from)}/${encodeURIComponent(file.name)}`;
    return this.cache(deviceId, url, fileNameOfUrl(file.name, "file"), file.payload, nowMs);
  }

  onFetchResult(fetchId: string, result: FetchResult, nowMs: number): void {
    const fetch = this.pending.get(fetchId);
    if (fetch === undefined || fetch.retryAtMs !== undefined) return; // stale or duplicate result
    assert(
      fetch.attempts >= 1 && fetch.attempts <= this.policy.downloadRetriesMax + 1,
      "fetch attempts out of bounds",
    );
    if (result.ok) {
      this.pending.delete(fetchId);
      this.journal?.settled?.({ deviceId: fetch.deviceId, url: fetch.url });
      const name = fileNameOfUrl(fetch.url, `download-${fetchId.slice(fetchId.indexOf(":") + 1)}`);
      const cached = this.cache(fetch.deviceId, fetch.url, name, result.value.payload, nowMs);
      if (!cached.ok)
        this.notify(
          fetch.deviceId,
          `download of ${fetch.url} not cached: ${cached.error.code}: ${cached.error.message}`,
        );
      return;
    }
    if (fetch.attempts <= this.policy.downloadRetriesMax) {
      fetch.retryAtMs = nowMs + retryDelayMs(fetch.attempts, this.policy);
      return;
    }
    this.pending.delete(fetchId);
    this.journal?.settled?.({ deviceId: fetch.deviceId, url: fetch.url });
    this.notify(
      fetch.deviceId,
      `download of ${fetch.url} failed after ${fetch.attempts} attempts: ${result.error.code}: ${result.error.message}`,
    );
  }

  /**
   * The user chose to fetch a cached file: the Traffic Monitor records it as
   * a network input (so the mirror replays it); the runtime delivers the
   * returned input to the phone.
   */
  fetchCached(deviceId: string, cacheId: string, nowMs: number): Result<NetworkInput> {
    const found = this.store.get(deviceId, cacheId, nowMs);
    if (!found.ok) return found;
    const input = this.ports.network.deliver(
      deviceId,
      cachedFileInput({ cacheId, name: found.value.entry.name, payload: found.value.payload }, nowMs),
    );
    assert(
      !input.ok || input.value.payload.length === found.value.entry.size,
      "Traffic Monitor changed the payload",
    );
    return input;
  }

  tick(nowMs: number): void {
    for (const fetch of this.pending.values()) {
      if (fetch.retryAtMs !== undefined && fetch.retryAtMs <= nowMs) {
        fetch.retryAtMs = undefined;
        this.send(fetch);
      }
    }
  }

  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const fetch of this.pending.values()) {
      if (fetch.retryAtMs !== undefined && (due === undefined || fetch.retryAtMs < due))
        due = fetch.retryAtMs;
    }
    return due;
  }

  inFlight(): number {
    return this.pending.size;
  }

  private cache(
    deviceId: string,
    url: string,
    name: string,
    payload: Uint8Array,
    nowMs: number,
  ): Result<CacheEntry> {
    const entry = this.store.put(deviceId, { url, name, payload }, nowMs, this.policy.retentionMs);
    if (!entry.ok) return entry;
    this.notices.send(deviceId, fileCachedNotice(entry.value));
    // Also file the notice in the phone's cache app, as a recorded network
    // input, so phone and mirror storage both list it.
    const filed = this.ports.network.deliver(deviceId, fileCachedInput(entry.value, nowMs));
    if (!filed.ok)
      this.notices.send(
        deviceId,
        textNotice(`file-cached ${entry.value.cacheId} not filed: ${filed.error.message}`),
      );
    return entry;
  }

  private send(fetch: PendingFetch): void {
    assert(fetch.retryAtMs === undefined, "sending a fetch that waits for its retry time");
    fetch.attempts++;
    this.ports.fetcher.fetch({
      fetchId: fetch.fetchId,
      deviceId: fetch.deviceId,
      url: fetch.url,
      bytesMax: limits.fileBytesMax,
    });
  }

  private notify(deviceId: string, text: string): void {
    this.notices.send(deviceId, textNotice(text));
  }
}
