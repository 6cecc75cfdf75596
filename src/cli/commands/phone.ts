// `mirrorcell phone`: one live phone (platform + workload + Syn-Client)
// against a mirror server; SIGINT powers it off (the server saves and stops
// its mirror). Issue 5.
import type { Command } from "commander";
import { MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { parseDeviceKey } from "../../live/auth.ts";
import { proxyUrlOf, runLoad, workloadProfiles } from "../../live/load-run.ts";
import { exitWithError } from "../fail.ts";

interface PhoneOptions {
  server: string;
  proxy?: string;
  device: string;
  key: string;
  workload: string;
  eventsPerSec?: string;
  syncInterval: string;
  duration: string;
  seed: string;
  model: string;
  data?: string;
  shareEvery?: string;
  shareTo?: string;
  json?: boolean;
}

export function positiveNumber(text: string, what: string): number {
  const value = Number(text);
  if (!Number.isFinite(value) || value <= 0) {
    throw new MirrorcellError("E_USAGE", `Cannot use ${what} "${text}": expected a positive number`);
  }
  return value;
}

export function profileOf(name: string, eventsPerSec: string | undefined) {
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

export function syncIntervalMsOf(seconds: string): number {
  const ms = Math.round(positiveNumber(seconds, "--sync-interval") * 1000);
  if (ms < limits.syncIntervalMsMin || ms > limits.syncIntervalMsMax) {
    throw new MirrorcellError(
      "E_USAGE",
      `--sync-interval must be ${limits.syncIntervalMsMin / 1000}-${limits.syncIntervalMsMax / 1000} s`,
    );
  }
  return ms;
}

/** Resolves on the first SIGINT/SIGTERM (power-off). */
export function interruption(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

function shareOf(opts: PhoneOptions): { everyMs: number; recipients: string[] } | undefined {
  if (opts.shareEvery === undefined && opts.shareTo === undefined) return undefined;
  if (opts.shareEvery === undefined || opts.shareTo === undefined)
    throw new MirrorcellError("E_USAGE", "--share-every and --share-to go together");
  const recipients = opts.shareTo.split(",").filter((to) => to !== "");
  if (recipients.length === 0 || recipients.length > limits.uploadRecipientsMax)
    throw new MirrorcellError("E_USAGE", `--share-to needs 1 to ${limits.uploadRecipientsMax} recipients`);
  return { everyMs: Math.round(positiveNumber(opts.shareEvery, "--share-every") * 1000), recipients };
}

export function registerPhone(program: Command): void {
  program
    .command("phone")
    .description(
      "Run one live phone against a mirror server; Ctrl-C powers it off (the mirror is saved and stopped)",
    )
    .requiredOption("--server <url>", "mirror server HTTP URL, e.g. http://127.0.0.1:7480")
    .option("--proxy <url>", "Traffic Monitor proxy URL (default: server port + 1)")
    .requiredOption("--device <id>", "device id (enrolled with `mirrorcell enroll`)")
    .requiredOption("--key <hex>", "device key printed by `mirrorcell enroll`")
    .option("--workload <name>", "workload: paper (0.5 events/s, realistic sizes), light, busy", "paper")
    .option("--events-per-sec <r>", "user events per second (overrides the workload's)")
    .option("--sync-interval <s>", "t_syn_int in seconds", "60")
    .option("--duration <s>", "run this long, then power off", "3600")
    .option("--seed <n>", "workload seed", "1")
    .option("--model <name>", "phone model (factory template)", "generic")
    .option("--data <dir>", "the phone's own data dir: state saved at power-off, restored at start")
    .option("--share-every <s>", "share the phone's largest file every s seconds (needs --share-to)")
    .option("--share-to <list>", "comma-separated recipient addresses for --share-every")
    .option("--json", "print the report as JSON")
    .action(async (opts: PhoneOptions) => {
      try {
        const report = await runLoad({
          serverUrl: opts.server,
          proxyUrl: opts.proxy ?? proxyUrlOf(opts.server),
          keys: new Map([[opts.device, parseDeviceKey(opts.key)]]),
          profile: profileOf(opts.workload, opts.eventsPerSec),
          syncIntervalMs: syncIntervalMsOf(opts.syncInterval),
          durationMs: positiveNumber(opts.duration, "--duration") * 1000,
          seed: Number(opts.seed) >>> 0,
          model: opts.model,
          phoneDataDir: opts.data,
          share: shareOf(opts),
          interrupted: interruption(),
          onProgress: (line) => process.stderr.write(`phone ${opts.device}: ${line}\n`),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else {
          process.stdout.write(
            `phone ${opts.device}: ${report.userInputs} user inputs, ${report.networkInputs} network inputs, ` +
              `powered off ${report.poweredOffAcked === 1 ? "and acked" : "WITHOUT ack"}; digest ${report.digests[opts.device]}\n`,
          );
        }
        process.exit(report.poweredOffAcked === 1 ? 0 : 2);
      } catch (error) {
        exitWithError(error);
      }
    });
}
