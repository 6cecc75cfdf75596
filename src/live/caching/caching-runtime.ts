// The caching service in the live server (paper §5.1): the sans-IO
// ServiceHost + CachingService driven by real HTTP ports and a timer for
// retries and expiry. The server wires three things in: its Syn-Server's
// notice queue (NoticeSink), its Traffic Monitor (NetworkDelivery), and its
// replay hook, which calls replayedInput after the mirror applied an input.
import type { Result } from "../../core/errors.ts";
import type { Clock, Sha256 } from "../../core/ports.ts";
import type { NetworkInput, UserInput } from "../../platform/inputs.ts";
import type { MirrorStorageView, NetworkDelivery, NoticeSink } from "../../services/api.ts";
import { CachingService } from "../../services/caching/caching-service.ts";
import { type CachingPolicy, defaultCachingPolicy } from "../../services/caching/settings.ts";
import { ServiceHost } from "../../services/service-host.ts";
import { HttpFetcher } from "./http-fetcher.ts";
import { HttpOutbox } from "./http-outbox.ts";

export interface LiveCachingOptions {
  clock: Clock;
  sha256: Sha256;
  notices: NoticeSink;
  network: NetworkDelivery;
  /** Inbox URL of a recipient address (phone number, mail address...). */
  recipientUrlOf(address: string): string | undefined;
  policy?: CachingPolicy;
  httpTimeoutMs?: number;
}

const timerMsMax = 2_147_483_647;

export class LiveCachingRuntime {
  readonly host: ServiceHost;
  readonly caching: CachingService;
  private readonly outbox: HttpOutbox;
  private readonly fetcher: HttpFetcher;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(private readonly options: LiveCachingOptions) {
    const now = () => options.clock.nowMs();
    this.outbox = new HttpOutbox({
      urlOf: options.recipientUrlOf,
      report: (id, result) => this.after(() => this.host.deliveryResult(id, result, now())),
      timeoutMs: options.httpTimeoutMs,
    });
    this.fetcher = new HttpFetcher({
      report: (id, result) => this.after(() => this.host.fetchResult(id, result, now())),
      timeoutMs: options.httpTimeoutMs,
    });
    this.host = new ServiceHost({
      sha256: options.sha256,
      outbox: this.outbox,
      fetcher: this.fetcher,
      notices: options.notices,
      network: options.network,
    });
    this.caching = this.host.register(
      (ports) => new CachingService(ports, options.policy ?? defaultCachingPolicy),
    );
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
    return result!;
  }

  /** The phone fetches a cached file: the recorded network input to deliver to it. */
  fetchCached(deviceId: string, cacheId: string): Result<NetworkInput> {
    return this.caching.fetchCached(deviceId, cacheId, this.options.clock.nowMs());
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

  /** Runs a core step, then re-arms the timer for the next retry or expiry. */
  private after(step: () => void): void {
    if (this.closed) return;
    step();
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const due = this.host.nextDueMs();
    if (due === undefined) return;
    const delayMs = Math.min(Math.max(0, due - this.options.clock.nowMs()), timerMsMax);
    this.timer = setTimeout(() => this.after(() => this.host.tick(this.options.clock.nowMs())), delayMs);
    this.timer.unref();
  }
}
