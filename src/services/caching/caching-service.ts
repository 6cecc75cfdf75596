// The data caching service (paper §5.1) as a MirrorService: bulk downloads
// cached on the server and fetched by the phone when the user chooses, and
// bulk uploads sent from the mirror to every recipient as if from the phone.
// It listens to replayed cache-app inputs; the runtime calls fetchCached when
// the phone asks for a cached file. Runtimes must report send/fetch results
// after the port call returned (never from inside it).
import { assert } from "../../core/assert.ts";
import type { Result } from "../../core/errors.ts";
import type { NetworkInput } from "../../platform/inputs.ts";
import type { DeliveryResult, FetchResult, MirrorService, ReplayedInputEvent, ServicePorts } from "../api.ts";
import { BulkDownloads } from "./bulk-download.ts";
import { BulkUploads, type UploadJob } from "./bulk-upload.ts";
import { parseDownloadAction, parseUploadAction } from "./cache-actions.ts";
import {
  type CacheEntry,
  type CacheJournal,
  CacheStore,
  type CacheStoreStats,
  type RestoredCache,
} from "./cache-store.ts";
import { NoticeOutlet, textNotice } from "./notices.ts";
import { type CachingPolicy, defaultCachingPolicy, validateCachingPolicy } from "./settings.ts";

export interface CachingStats {
  cache: CacheStoreStats;
  downloadsInFlight: number;
  /** Upload actions whose replay was seen twice and not sent again. */
  duplicateReplays: number;
  /** Malformed cache-app inputs the phone sent (reported to it, not acted on). */
  rejectedInputs: number;
  /** Notices the sync server refused (queue full); what they reported stays queryable. */
  noticesDropped: number;
}

export class CachingService implements MirrorService {
  readonly name = "caching";
  private readonly store: CacheStore;
  private readonly downloads: BulkDownloads;
  private readonly uploads: BulkUploads;
  private readonly notices: NoticeOutlet;
  private rejected = 0;

  constructor(
    ports: ServicePorts,
    readonly policy: CachingPolicy = defaultCachingPolicy,
    options: { journal?: CacheJournal } = {},
  ) {
    // a policy is configuration chosen by the runtime, so a bad one is a bug here
    const checked = validateCachingPolicy(policy);
    assert(checked.ok, checked.ok ? "" : checked.error.message);
    this.store = new CacheStore(ports.sha256, options.journal);
    this.notices = new NoticeOutlet(ports.notices);
    this.downloads = new BulkDownloads(this.name, ports, this.store, policy, this.notices, options.journal);
    this.uploads = new BulkUploads(this.name, ports, policy, this.notices);
  }

  onReplayedInput(event: ReplayedInputEvent): void {
    const upload = parseUploadAction(event.input);
    if (upload !== undefined) {
      const started = upload.ok
        ? this.uploads.start(event.deviceId, event.input, upload.value, event.storage)
        : upload;
      if (!started.ok) this.reject(event.deviceId, `upload (input ${event.input.seq})`, started);
      return;
    }
    const download = parseDownloadAction(event.input);
    if (download !== undefined) {
      const requested = download.ok
        ? this.downloads.request(event.deviceId, download.value.url, event.nowMs)
        : download;
      if (!requested.ok) this.reject(event.deviceId, `download (input ${event.input.seq})`, requested);
    }
  }

  onDeliveryResult(deliveryId: string, result: DeliveryResult, nowMs: number): void {
    this.uploads.onDeliveryResult(deliveryId, result, nowMs);
  }

  onFetchResult(fetchId: string, result: FetchResult, nowMs: number): void {
    this.downloads.onFetchResult(fetchId, result, nowMs);
  }

  tick(nowMs: number): void {
    this.store.expire(nowMs);
    this.downloads.tick(nowMs);
    this.uploads.tick(nowMs);
  }

  nextDueMs(): number | undefined {
    const times = [this.store.nextExpiryMs(), this.downloads.nextDueMs(), this.uploads.nextDueMs()];
    let due: number | undefined;
    for (const t of times) if (t !== undefined && (due === undefined || t < due)) due = t;
    return due;
  }

  /** Asks the server to cache a URL for a device (also reachable via a replayed download action). */
  requestDownload(deviceId: string, url: string, nowMs: number): Result<string> {
    return this.downloads.request(deviceId, url, nowMs);
  }

  /** A sender pushed a bulk file to the device: cache it and notify the phone. */
  offerInbound(deviceId: string, file: { from: string; name: string; payload: Uint8Array }, nowMs: number) {
    return this.downloads.offerInbound(deviceId, file, nowMs);
  }

  /** The phone fetches a cached file: returns the recorded network input to deliver to it. */
  fetchCached(deviceId: string, cacheId: string, nowMs: number): Result<NetworkInput> {
    return this.downloads.fetchCached(deviceId, cacheId, nowMs);
  }

  /** A restarted server: the cache as its journal kept it, and the downloads it had not settled, asked again. */
  restoreCache(state: RestoredCache, nowMs: number): void {
    assert(this.downloads.inFlight() === 0, "restore after downloads started");
    this.store.restore(state);
    for (const download of state.pending ?? []) {
      const again = this.downloads.request(download.deviceId, download.url, nowMs);
      if (!again.ok) this.reject(download.deviceId, `download of ${download.url} after a restart`, again);
    }
  }

  cachedFiles(deviceId: string): CacheEntry[] {
    return this.store.entries(deviceId);
  }

  pendingUploads(deviceId: string): UploadJob[] {
    return this.uploads.jobsOf(deviceId);
  }

  retryFailedUpload(jobId: string): Result<number> {
    return this.uploads.retryFailed(jobId);
  }

  discardFailedUpload(jobId: string): Result<void> {
    return this.uploads.discard(jobId);
  }

  stats(): CachingStats {
    return {
      cache: this.store.stats(),
      downloadsInFlight: this.downloads.inFlight(),
      duplicateReplays: this.uploads.duplicateReplays(),
      rejectedInputs: this.rejected,
      noticesDropped: this.notices.dropped,
    };
  }

  private reject(deviceId: string, what: string, result: Result<unknown>): void {
    assert(!result.ok, "rejecting a success");
    this.rejected++;
    this.notices.send(deviceId, textNotice(`${what} refused: ${result.error.code}: ${result.error.message}`));
  }
}
