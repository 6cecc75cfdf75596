// The options `mirrorcell phone` and `mirrorcell load` share: how a live
// phone's workload, sync interval and run length are chosen, and their
// parsing into runLoad's options (issue 5); and the phone's caching options
// (issue 7, paper §5.1): service on/off, bulk-upload threshold, when to fetch
// cached files, URLs to download through the server.
import type { Command } from "commander";
import { MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { recipientUrlsUnder } from "../../live/caching/attach-caching.ts";
import { type FetchCachedPolicy, fetchCachedPolicies } from "../../live/caching/phone-caching.ts";
import { type LoadOptions, workloadProfiles } from "../../live/load-run.ts";
import { validateCachingSettings } from "../../services/caching/settings.ts";

export interface LivePhoneCliOptions {
  server: string;
  proxy?: string;
  workload: string;
  eventsPerSec?: string;
  syncInterval: string;
  duration: string;
  seed: string;
  model: string;
}

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

/** Adds the workload, interval, duration, seed and model options. */
export function addLivePhoneOptions(
  command: Command,
  defaults: { workloadHelp: string; workload: string; durationHelp: string; duration: string },
): Command {
  return command
    .option("--workload <name>", defaults.workloadHelp, defaults.workload)
    .option("--events-per-sec <r>", "user events per second per phone (overrides the workload's)")
    .option("--sync-interval <s>", "t_syn_int in seconds", "60")
    .option("--duration <s>", defaults.durationHelp, defaults.duration)
    .option("--seed <n>", "workload seed", "1")
    .option("--model <name>", "phone model (factory template)", "generic");
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

export interface CachingPhoneCliOptions {
  /** false with --no-bulk-upload. */
  bulkUpload: boolean;
  bulkUploadThreshold: string;
  fetchCached: string;
  /** Seconds; commander fills in the default. */
  fetchLater?: string;
  download?: string[];
  recipientUrl?: string;
}

/** Adds the phone's caching options (paper §5.1: the user's switch and threshold). */
export function addCachingPhoneOptions(command: Command): Command {
  return command
    .option(
      "--bulk-upload-threshold <bytes>",
      "shares of at least this many bytes go through the mirror (0 bytes on the radio)",
      String(limits.bulkUploadThresholdBytesDefault),
    )
    .option("--no-bulk-upload", "turn the caching service off: the phone uploads every share itself")
    .option(
      "--fetch-cached <policy>",
      `when to fetch a file the server cached: ${fetchCachedPolicies.join(" or ")}`,
      "on-notice",
    )
    .option(
      "--fetch-later <s>",
      "with --fetch-cached later: seconds after the notice (waiting for better signal or the charger)",
      String(limits.cacheFetchLaterMsDefault / 1000),
    )
    .option(
      "--download <url>",
      "ask the server to download this URL for the phone (repeatable); fetched per --fetch-cached",
      (url: string, previous: string[] = []) => [...previous, url],
    )
    .option("--recipient-url <url>", "inbox base URL for shares the phone sends itself: <url>/<address>");
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
