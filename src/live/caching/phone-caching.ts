// The caching service on a live phone (paper §5.1): the user's settings
// (service on/off, bulk-upload threshold) and when to fetch cached files.
// - Bulk download: the phone asks the server (proxy route) to download a URL;
//   the "file-cached" notice arrives in a sync message; with the policy
//   "on-notice" the phone fetches the file at once, with "later" a set time
//   after the notice (the user waits for better signal or the charger), with
//   "never" only when asked (fetchCached: the user chose).
//   The file arrives as a recorded network input, so the mirror gets it too.
//   With a journal (the phone's phone.db) notices survive a crash: waiting
//   ones are handled again at start, fetched ones are never fetched twice.
// - Bulk upload: planUpload decides. Via the mirror, the phone applies the
//   fake completed upload and sends no file bytes; direct, it applies the
//   same action and POSTs the file to each recipient itself (its radio).

import { assert } from "../../core/assert.ts";
import { toHex } from "../../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import type { Sha256 } from "../../core/ports.ts";
import type { Notice } from "../../gen/mirrorcell/v1/sync_pb.ts";
import type { NetworkInput } from "../../platform/inputs.ts";
import { type CachingSettings, planUpload, type UploadPlan } from "../../services/caching/index.ts";
import type { PhoneRuntime } from "../phone-runtime.ts";
import { type FetchCachedPolicy, fetchCachedPolicies } from "./fetch-cached-policy.ts";
import { fetchCachedThroughProxy, requestCacheThroughProxy } from "./phone-cache-client.ts";

const errorsKeptMax = 100;

export { type FetchCachedPolicy, fetchCachedPolicies };

export interface PhoneCachingOptions {
  settings: CachingSettings;
  fetchCached: FetchCachedPolicy;
  /** Policy "later": how long after the notice (default limits.cacheFetchLaterMsDefault). */
  fetchLaterMs?: number;
  /** Inbox URL of a recipient, for uploads the phone sends itself; none = such uploads fail. */
  recipientUrlOf?(address: string): string | undefined;
  sha256: Sha256;
  httpTimeoutMs?: number;
  /** Durable notices (PhoneStore): written before the notice's ack leaves the phone. */
  journal?: PhoneCacheJournal;
}

/** The phone's durable record of file-cached notices (src/live/phone-state.ts implements it). */
export interface PhoneCacheJournal {
  cacheNotices(): { waiting: CachedNotice[]; done: string[] };
  cacheNoticeWaiting(notice: CachedNotice): void;
  cacheNoticeDone(cacheId: string): void;
}

export interface PhoneCachingStats {
  downloadsRequested: number;
  noticesFileCached: number;
  /** Waiting notices the journal kept across a restart. */
  noticesRestored: number;
  cachedFetched: number;
  /** Bytes of cached files the phone fetched (its downlink). */
  cachedFetchedBytes: number;
  fetchErrors: number;
  uploadsViaMirror: number;
  uploadsDirect: number;
  /** File bytes the phone itself POSTed to recipients (its radio uplink). */
  directUploadBytes: number;
  directUploadErrors: number;
}

export interface CachedNotice {
  cacheId: string;
  url: string;
  size: number;
  expiresAtMs: number;
}

export class PhoneCaching {
  readonly stats: PhoneCachingStats = {
    downloadsRequested: 0,
    noticesFileCached: 0,
    noticesRestored: 0,
    cachedFetched: 0,
    cachedFetchedBytes: 0,
    fetchErrors: 0,
    uploadsViaMirror: 0,
    uploadsDirect: 0,
    directUploadBytes: 0,
    directUploadErrors: 0,
  };
  /** The latest failures (bounded), for the report. */
  readonly errors: string[] = [];
  /** File-cached notices not fetched yet, by cache id (insertion order). */
  readonly waiting = new Map<string, CachedNotice>();
  /** Cache ids fetched already: a notice the server re-sent after a restart is not fetched twice. */
  private readonly fetched = new Set<string>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly laterTimers = new Set<NodeJS.Timeout>();
  /** The user's switch and threshold; the user may change them at any time. */
  settings: CachingSettings;

  constructor(
    private readonly phone: PhoneRuntime,
    private readonly options: PhoneCachingOptions,
  ) {
    assert(fetchCachedPolicies.includes(options.fetchCached), `bad fetch policy ${options.fetchCached}`);
    assert(
      options.fetchLaterMs === undefined ||
        (Number.isSafeInteger(options.fetchLaterMs) && options.fetchLaterMs >= 0),
      `bad fetchLaterMs ${options.fetchLaterMs}`,
    );
    assert(phone.onNotices === undefined, "a phone has one notice listener");
    phone.onNotices = (notices) => this.onNotices(notices);
    this.settings = { ...options.settings };
    if (options.journal !== undefined) this.restore(options.journal);
  }

  /** Notices kept from before a restart: fetched ids are remembered, waiting ones handled as new. */
  private restore(journal: PhoneCacheJournal): void {
    const kept = journal.cacheNotices();
    for (const cacheId of kept.done) this.remember(cacheId);
    const nowMs = this.phone.nowMs();
    for (const notice of kept.waiting.slice(-limits.cacheEntriesPerDeviceMax)) {
      if (this.fetched.has(notice.cacheId)) continue;
      // Expired while the phone was off: the server refuses it; the user asks for the URL again.
      if (notice.expiresAtMs <= nowMs) {
        journal.cacheNoticeDone(notice.cacheId);
        continue;
      }
      this.stats.noticesRestored++;
      this.wait(notice);
    }
    assert(this.waiting.size <= limits.cacheEntriesPerDeviceMax, "restored notices over their bound");
  }

  /** The server downloads `url` for the phone; the file-cached notice follows in a sync message. */
  async requestDownload(url: string): Promise<Result<string>> {
    const requested = await requestCacheThroughProxy(this.phone.proxyClient(), url);
    if (requested.ok) this.stats.downloadsRequested++;
    return requested;
  }

  /** The user fetches a cached file now: phone and mirror both get it as a network input. */
  fetchCached(cacheId: string): Promise<Result<NetworkInput>> {
    const fetched = this.phone.fetchNetwork(() => fetchCachedThroughProxy(this.phone.proxyClient(), cacheId));
    return this.track(
      fetched.then((got) => {
        if (!got.ok) {
          this.stats.fetchErrors++;
          this.note(`fetch of cached ${cacheId}: ${got.error.code}: ${got.error.message}`);
          return got;
        }
        this.waiting.delete(cacheId);
        this.remember(cacheId);
        this.options.journal?.cacheNoticeDone(cacheId);
        this.stats.cachedFetched++;
        this.stats.cachedFetchedBytes += got.value.payload.length;
        return got;
      }),
    );
  }

  /** Shares a file: via the mirror (no file bytes on the radio) or, below the threshold or with the service off, directly. */
  async share(path: string, recipients: readonly string[]): Promise<Result<UploadPlan>> {
    const file = this.phone.core.readFile(path);
    if (!file.ok) return file;
    const plan = planUpload({ path, sizeBytes: file.value.length, recipients }, this.settings);
    if (!plan.ok) return plan;
    const applied = this.phone.applyUserAction(plan.value.input);
    if (!applied.ok) return applied;
    assert(
      plan.value.decision === "direct" || plan.value.directSends.length === 0,
      "a mirror upload sends nothing",
    );
    if (plan.value.decision === "via-mirror") {
      this.stats.uploadsViaMirror++;
      return plan;
    }
    assert(plan.value.directSends.length === recipients.length, "a direct upload goes to every recipient");
    this.stats.uploadsDirect++;
    const name = path.slice(path.lastIndexOf("/") + 1);
    const sent = await Promise.all(
      plan.value.directSends.map((send) => this.post(send.to, name, file.value)),
    );
    const failed = sent.find((r) => !r.ok);
    return failed !== undefined && !failed.ok ? failed : plan;
  }

  /** Shares the phone's largest file (the `--share-every` workload); undefined when it has none. */
  async shareLargest(recipients: readonly string[]): Promise<Result<UploadPlan | undefined>> {
    const files = this.phone.core.files();
    let largest: (typeof files)[number] | undefined;
    for (const f of files) if (largest === undefined || f.size > largest.size) largest = f;
    if (largest === undefined || largest.size === 0) return ok(undefined);
    return this.share(largest.path, recipients);
  }

  /** Resolves when every fetch and direct upload started so far has finished. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private onNotices(notices: Notice[]): void {
    for (const notice of notices) {
      if (notice.kind.case !== "fileCached") continue;
      const cached = notice.kind.value;
      if (this.fetched.has(cached.cacheId) || this.waiting.has(cached.cacheId)) continue;
      this.stats.noticesFileCached++;
      const waiting: CachedNotice = {
        cacheId: cached.cacheId,
        url: cached.url,
        size: Number(cached.size),
        expiresAtMs: Number(cached.expiresAtMs),
      };
      this.options.journal?.cacheNoticeWaiting(waiting);
      this.wait(waiting);
    }
  }

  /** A notice not fetched yet: kept, and fetched as the user's policy says. */
  private wait(notice: CachedNotice): void {
    if (this.waiting.size >= limits.cacheEntriesPerDeviceMax)
      this.waiting.delete(this.waiting.keys().next().value!);
    this.waiting.set(notice.cacheId, notice);
    assert(this.waiting.size <= limits.cacheEntriesPerDeviceMax, "waiting notices over their bound");
    if (this.options.fetchCached === "on-notice") void this.fetchCached(notice.cacheId);
    if (this.options.fetchCached === "later") this.fetchLater(notice.cacheId);
  }

  /** Stops fetches still waiting for their time (the phone powers off). */
  close(): void {
    for (const timer of this.laterTimers) clearTimeout(timer);
    this.laterTimers.clear();
  }

  private fetchLater(cacheId: string): void {
    if (this.laterTimers.size >= limits.cacheEntriesPerDeviceMax) {
      this.note(`cached ${cacheId}: too many fetches waiting; it stays waiting until asked`);
      return;
    }
    const timer = setTimeout(() => {
      this.laterTimers.delete(timer);
      if (this.waiting.has(cacheId)) void this.fetchCached(cacheId);
    }, this.options.fetchLaterMs ?? limits.cacheFetchLaterMsDefault);
    timer.unref();
    this.laterTimers.add(timer);
  }

  private remember(cacheId: string): void {
    this.fetched.add(cacheId);
    if (this.fetched.size > limits.cacheEntriesPerDeviceMax)
      this.fetched.delete(this.fetched.values().next().value!);
  }

  /** One direct upload over the phone's own radio: the recipient sees the phone as the sender. */
  private post(to: string, name: string, payload: Uint8Array): Promise<Result<void>> {
    const url = this.options.recipientUrlOf?.(to);
    if (url === undefined) {
      this.stats.directUploadErrors++;
      return Promise.resolve(fail(ErrorCodes.RECIPIENT_UNREACHABLE, `Cannot upload to ${to}: no route`));
    }
    const sent = fetch(url, {
      method: "POST",
      headers: {
        "content-type": "application/octet-stream",
        "x-mirrorcell-from": this.phone.core.deviceId,
        "x-mirrorcell-name": encodeURIComponent(name),
        "x-mirrorcell-sha256": toHex(this.options.sha256(payload)),
      },
      body: payload,
      signal: AbortSignal.timeout(this.options.httpTimeoutMs ?? 30_000),
    }).then(
      async (response): Promise<Result<void>> => {
        await response.arrayBuffer();
        if (!response.ok) return this.uploadFailed(to, `HTTP ${response.status}`);
        this.stats.directUploadBytes += payload.length;
        return ok(undefined);
      },
      (error: unknown) => this.uploadFailed(to, error instanceof Error ? error.message : String(error)),
    );
    return this.track(sent);
  }

  private note(text: string): void {
    if (this.errors.length >= errorsKeptMax) this.errors.shift();
    this.errors.push(text);
  }

  private uploadFailed(to: string, reason: string): Result<void> {
    this.stats.directUploadErrors++;
    this.note(`direct upload to ${to}: ${reason}`);
    return fail(ErrorCodes.RECIPIENT_UNREACHABLE, `Cannot upload to ${to}: ${reason}`);
  }

  private track<T>(task: Promise<T>): Promise<T> {
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
    return task;
  }
}
