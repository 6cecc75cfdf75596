// The parsing of the options `mirrorcell phone` and `mirrorcell load` share
// (declared in live-phone-flags.ts) into runLoad's options: a live phone's
// workload, sync interval and run length (issue 5), and the phone's caching
// options (issue 7, paper §5.1): service on/off, bulk-upload threshold, when
// to fetch cached files, URLs to download through the server. Loaded when
// one of those commands runs.
import { MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { recipientUrlsUnder } from "../../live/caching/attach-caching.ts";
import { type FetchCachedPolicy, fetchCachedPolicies } from "../../live/caching/phone-caching.ts";
import { type LoadOptions, workloadProfiles } from "../../live/load-run.ts";
import { validateCachingSettings } from "../../services/caching/settings.ts";
import type { CachingPhoneCliOptions, LivePhoneCliOptions } from "./live-phone-flags.ts";

export function positiveNumber(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new MirrorcellError("E_USAGE", `Cannot use ${what} "${text}": expected a positive number`);
  }
  return value;
}

function profileOf(name: string, eventsPerSec: string | undefined) {
  const profile = workloadProfiles[name];
  if (profile === undefined) {
    throw new MirrorcellError(
      "E_USAGE",
      `Unknown workload "${name}": ${Object.keys(workloadProfiles).join(", ")}`,
    );
  }
  return eventsPerSec === undefined
    ? profile
    : { ...profile, eventsPerSecond: positiveNumber(eventsPerSec, "--events-per-sec") };
}

function syncIntervalMsOf(seconds: string): number {
  const ms = Math.round(positiveNumber(seconds, "--sync-interval") * 1000);
  if (ms < limits.syncIntervalMsMin || ms > limits.syncIntervalMsMax) {
    throw new MirrorcellError(
      "E_USAGE",
      `--sync-interval must be ${limits.syncIntervalMsMin / 1000}-${limits.syncIntervalMsMax / 1000} s`,
    );
  }
  return ms;
}

/** Parses the shared options into the runLoad options they decide. */
export function livePhoneRunOptions(
  opts: LivePhoneCliOptions,
): Pick<LoadOptions, "profile" | "syncIntervalMs" | "durationMs" | "seed" | "model"> {
  return {
    profile: profileOf(opts.workload, opts.eventsPerSec),
    syncIntervalMs: syncIntervalMsOf(opts.syncInterval),
    durationMs: positiveNumber(opts.duration, "--duration") * 1000,
    seed: Number(opts.seed) >>> 0,
    model: opts.model,
  };
}

/** Resolves on the first SIGINT/SIGTERM (power-off). */
export function interruption(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

/** Parses the caching options into runLoad's `caching`. */
export function cachingPhoneRunOptions(opts: CachingPhoneCliOptions): NonNullable<LoadOptions["caching"]> {
  const threshold = Number(opts.bulkUploadThreshold);
  const settings = validateCachingSettings({ enabled: opts.bulkUpload, bulkUploadThresholdBytes: threshold });
  if (!settings.ok)
    throw new MirrorcellError("E_USAGE", `--bulk-upload-threshold: ${settings.error.message}`);
  if (!(fetchCachedPolicies as readonly string[]).includes(opts.fetchCached)) {
    throw new MirrorcellError(
      "E_USAGE",
      `Unknown --fetch-cached "${opts.fetchCached}": expected ${fetchCachedPolicies.join(" or ")}`,
    );
  }
  const fetchLaterMs =
    opts.fetchLater === undefined
      ? limits.cacheFetchLaterMsDefault
      : Math.round(Number(opts.fetchLater) * 1000);
  if (
    !(Number.isSafeInteger(fetchLaterMs) && fetchLaterMs >= 0 && fetchLaterMs <= limits.cacheRetentionMsMax)
  )
    throw new MirrorcellError("E_USAGE", `--fetch-later "${opts.fetchLater}": expected seconds >= 0`);
  const downloads = opts.download ?? [];
  const bad = downloads.find((url) => !/^https?:\/\/\S+$/.test(url));
  if (bad !== undefined) throw new MirrorcellError("E_USAGE", `Cannot download "${bad}": not an http(s) URL`);
  return {
    settings: settings.value,
    fetchCached: opts.fetchCached as FetchCachedPolicy,
    fetchLaterMs,
    downloads,
    recipientUrlOf: opts.recipientUrl === undefined ? undefined : recipientUrlsUnder(opts.recipientUrl),
  };
}
