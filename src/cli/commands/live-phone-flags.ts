// The options `mirrorcell phone` and `mirrorcell load` share, as commander
// options with their help (issue 5: workload, sync interval, run length;
// issue 7, paper §5.1: the phone's caching switch, threshold and fetch
// policy). Registration only: their parsing (live-phone-options.ts) loads
// the live runtime, so it waits until a command runs.
import type { Command } from "commander";
import { limits } from "../../core/limits.ts";
import { fetchCachedPolicies } from "../../live/caching/fetch-cached-policy.ts";

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
