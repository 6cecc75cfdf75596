// The caching service in the live server (paper §5.1): the sans-IO
// ServiceHost + CachingService driven by real HTTP ports and a timer for
// retries and expiry. The server wires three things in: its Syn-Server's
// notice queue (NoticeSink), its Traffic Monitor (NetworkDelivery), and its
// replay hook, which calls replayedInput after the mirror applied an input.
// With `durable` (the server's database and data dir) cached files and
// notices survive a kill -9: the cache is restored and its notices queued
// again at start, and every step that writes runs in one transaction.
import { ErrorCodes, fail, type Result } from "../../core/errors.ts";
import type { Clock, Sha256 } from "../../core/ports.ts";
import type { NetworkInput, UserInput } from "../../platform/inputs.ts";
import type { MirrorStorageView, NetworkDelivery, NoticeSink } from "../../services/api.ts";
import type { CacheEntry, PendingDownload } from "../../services/caching/cache-store.ts";
import { CachingService } from "../../services/caching/caching-service.ts";
import { type CachingPolicy, defaultCachingPolicy } from "../../services/caching/settings.ts";
import { ServiceHost } from "../../services/service-host.ts";
import type { Db } from "../sqlite-db.ts";
import { SqliteCacheJournal } from "./cache-journal.ts";
import { HttpFetcher } from "./http-fetcher.ts";
import { HttpOutbox } from "./http-outbox.ts";
import { NoticeJournal } from "./notice-journal.ts";

/** Where the runtime keeps its durable state: the live server's database and data dir. */
export interface CachingDurability {
  db: Db;
  dataDir: string;
  /** fsync blob files (the database's synchronous=FULL). */
  fsync: boolean;
}

export interface LiveCachingOptions {
  clock: Clock;
  sha256: Sha256;
  notices: NoticeSink;
  network: NetworkDelivery;
  /** Inbox URL of a recipient address (phone number, mail address...). */
  recipientUrlOf(address: string): string | undefined;
  policy?: CachingPolicy;
  httpTimeoutMs?: number;
  durable?: CachingDurability;
}

const timerMsMax = 2_147_483_647;

function stopped<T>(): Result<T> {
  return fail(ErrorCodes.UNAVAILABLE, "The caching service is stopping");
}

export class LiveCachingRuntime {
  readonly host: ServiceHost;
  readonly caching: CachingService;
  private readonly outbox: HttpOutbox;
  private readonly fetcher: HttpFetcher;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly journal: SqliteCacheJournal | undefined;
  private readonly noticeJournal: NoticeJournal | undefined;
  /** Files restored, notices queued again and downloads asked again at start (durable runtimes). */
  readonly restored = { cachedFiles: 0, notices: 0, downloads: 0 };

  constructor(private readonly options: LiveCachingOptions) {
    const now = () => options.clock.nowMs();
    const durable = options.durable;
    this.outbox = new HttpOutbox({
      urlOf: options.recipientUrlOf,
      report: (id, result) => this.after(() => this.host.deliveryResult(id, result, now())),
      timeoutMs: options.httpTimeoutMs,
    });
    this.fetcher = new HttpFetcher({
      report: (id, result) => this.after(() => this.host.fetchResult(id, result, now())),
      timeoutMs: options.httpTimeoutMs,
    });
    if (durable !== undefined) {
      this.journal = new SqliteCacheJournal(durable.db, durable.dataDir, options.sha256, durable);
      this.noticeJournal = new NoticeJournal(durable.db, options.notices);
    }
    const journal = this.journal && this.expiryForgetsNotices(this.journal);
    this.host = new ServiceHost({
      sha256: options.sha256,
      outbox: this.outbox,
      fetcher: this.fetcher,
      notices: this.noticeJournal ?? options.notices,
      network: options.network,
    });
    this.caching = this.host.register(
      (ports) => new CachingService(ports, options.policy ?? defaultCachingPolicy, { journal }),
    );
    if (this.journal !== undefined) {
      const state = this.journal.load();
      // One transaction; it also arms the timer for restored expiries and retries.
      this.after(() => {
        this.caching.restoreCache(state, now());
        this.restored.notices = this.noticeJournal!.requeueAll();
      });
      this.restored.cachedFiles = state.entries.length;
      this.restored.downloads = state.pending?.length ?? 0;
    }
  }

  /** The mirror replayed a user input (call after the platform applied it). */
  replayedInput(deviceId: string, input: UserInput, storage: MirrorStorageView): void {
    this.after(() =>
      this.host.replayedInput({ deviceId, input, storage, nowMs: this.options.clock.nowMs() }),
    );
  }

  requestDownload(deviceId: string, url: string): Result<string> {
    let result: Result<string> | undefined;
    this.after(() => {
      result = this.caching.requestDownload(deviceId, url, this.options.clock.nowMs());
    });
    return result ?? stopped();
  }

  /** The phone fetches a cached file: the recorded network input to deliver to it. */
  fetchCached(deviceId: string, cacheId: string): Result<NetworkInput> {
    let result: Result<NetworkInput> | undefined;
    this.after(() => {
      result = this.caching.fetchCached(deviceId, cacheId, this.options.clock.nowMs());
      if (result.ok) this.noticeJournal?.forgetCache(deviceId, cacheId);
    });
    return result ?? stopped();
  }

  /** Resolves when no HTTP send or fetch is in flight. */
  async idle(): Promise<void> {
    await Promise.all([this.outbox.idle(), this.fetcher.idle()]);
  }

  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Runs a core step (in one transaction when durable), then re-arms the timer for the next retry or expiry. */
  private after(step: () => void): void {
    if (this.closed) return;
    const db = this.options.durable?.db;
    if (db === undefined || db.inTransaction) step();
    else db.transaction(step)();
    if (db !== undefined && !db.inTransaction) this.journal?.collect();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.host.nextDueMs();
    if (due === undefined) return;
    const delayMs = Math.min(Math.max(0, due - this.options.clock.nowMs()), timerMsMax);
    this.timer = setTimeout(() => this.after(() => this.host.tick(this.options.clock.nowMs())), delayMs);
    this.timer.unref();
  }

  private expiryForgetsNotices(journal: SqliteCacheJournal) {
    return {
      requested: (download: PendingDownload) => journal.requested(download),
      settled: (download: PendingDownload) => journal.settled(download),
      cached: (entry: CacheEntry, payload: Uint8Array) => journal.cached(entry, payload),
      // Cached files are read back from their blob files, not kept in memory.
      payload: (sha256: Uint8Array) => journal.payload(sha256),
      expired: (entry: CacheEntry) => {
        journal.expired(entry);
        this.noticeJournal?.forgetCache(entry.deviceId, entry.cacheId);
      },
    };
  }
}
