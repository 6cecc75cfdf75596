// Attaches the caching service to a live server's core (paper §5.1): the
// ServiceHooks handed out by createLiveCore drive a LiveCachingRuntime, so a
// replayed bulk upload is sent by the server to each recipient as if from the
// phone. Recorded network inputs reach the phone through the proxy only.
// The phone asks for bulk downloads and fetches cached files on the proxy's
// caching routes; the cache and its notices live in the server's database
// (hooks.durable) so they survive a crash.
import { assert } from "../../core/assert.ts";
import type { Clock, Sha256 } from "../../core/ports.ts";
import type { CachingPolicy } from "../../services/caching/settings.ts";
import type { ServiceHooks } from "../live-server.ts";
import { LiveCachingRuntime } from "./caching-runtime.ts";

export interface CachingAttachOptions {
  clock: Clock;
  sha256: Sha256;
  recipientUrlOf(address: string): string | undefined;
  policy?: CachingPolicy;
}

export function attachCaching(hooks: ServiceHooks, options: CachingAttachOptions): LiveCachingRuntime {
  assert(typeof hooks.onReplayedInput === "function", "hooks without a replay hook");
  const runtime = new LiveCachingRuntime({
    clock: options.clock,
    sha256: options.sha256,
    notices: { queueNotice: hooks.queueNotice },
    network: { deliver: hooks.recordNetwork },
    recipientUrlOf: options.recipientUrlOf,
    policy: options.policy,
    durable: hooks.durable,
  });
  hooks.servePhoneCache?.({
    request: (deviceId, url) => runtime.requestDownload(deviceId, url),
    fetch: (deviceId, cacheId) => runtime.fetchCached(deviceId, cacheId),
  });
  hooks.onReplayedInput((deviceId, event) => {
    if (event.kind !== "user") return;
    const storage = hooks.view(deviceId);
    assert(storage !== undefined, `mirror ${deviceId} replayed an input but has no storage`);
    runtime.replayedInput(deviceId, event.input, storage);
  });
  return runtime;
}

/** Inbox URLs: `<base>/<address>` (a test recipient's base is `<url>/inbox`). */
export function recipientUrlsUnder(baseUrl: string): (address: string) => string {
  const base = baseUrl.replace(/\/+$/, "");
  return (address) => `${base}/${encodeURIComponent(address)}`;
}
