// The options `mirrorcell phone` and `mirrorcell load` share: how a live
// phone's workload, sync interval and run length are chosen, and their
// parsing into runLoad's options. Issue 5.
import type { Command } from "commander";
import { MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { type LoadOptions, workloadProfiles } from "../../live/load-run.ts";

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
