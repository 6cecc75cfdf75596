// `mirrorcell phone`: one live phone (platform + workload + Syn-Client)
// against a mirror server; SIGINT powers it off (the server saves and stops
// its mirror). Issue 5.
import type { Command } from "commander";
import { MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { parseDeviceKey } from "../../live/auth.ts";
import { proxyUrlOf, runLoad } from "../../live/load-run.ts";
import { exitWithError } from "../fail.ts";
import {
  addCachingPhoneOptions,
  addLivePhoneOptions,
  type CachingPhoneCliOptions,
  cachingPhoneRunOptions,
  interruption,
  type LivePhoneCliOptions,
  livePhoneRunOptions,
  positiveNumber,
} from "./live-phone-options.ts";

interface PhoneOptions extends LivePhoneCliOptions, CachingPhoneCliOptions {
  device: string;
  key: string;
  data?: string;
  shareEvery?: string;
  shareTo?: string;
  json?: boolean;
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
  const command = program
    .command("phone")
    .description(
      "Run one live phone against a mirror server; Ctrl-C powers it off (the mirror is saved and stopped)",
    )
    .requiredOption("--server <url>", "mirror server HTTP URL, e.g. http://127.0.0.1:7480")
    .option("--proxy <url>", "Traffic Monitor proxy URL (default: server port + 1)")
    .requiredOption("--device <id>", "device id (enrolled with `mirrorcell enroll`)")
    .requiredOption("--key <hex>", "device key printed by `mirrorcell enroll`");
  addCachingPhoneOptions(command);
  addLivePhoneOptions(command, {
    workloadHelp: "workload: paper (0.5 events/s, realistic sizes), light, busy",
    workload: "paper",
    durationHelp: "run this long, then power off",
    duration: "3600",
  })
    .option(
      "--data <dir>",
      "the phone's own data dir: state committed at every batch (survives kill -9), restored at start",
    )
    .option("--share-every <s>", "share the phone's largest file every s seconds (needs --share-to)")
    .option("--share-to <list>", "comma-separated recipient addresses for --share-every")
    .option("--json", "print the report as JSON")
    .action(async (opts: PhoneOptions) => {
      try {
        const report = await runLoad({
          serverUrl: opts.server,
          proxyUrl: opts.proxy ?? proxyUrlOf(opts.server),
          keys: new Map([[opts.device, parseDeviceKey(opts.key)]]),
          ...livePhoneRunOptions(opts),
          phoneDataDir: opts.data,
          share: shareOf(opts),
          caching: cachingPhoneRunOptions(opts),
          interrupted: interruption(),
          onProgress: (line) => process.stderr.write(`phone ${opts.device}: ${line}\n`),
        });
        if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
        else {
          process.stdout.write(
            `phone ${opts.device}: ${report.userInputs} user inputs, ${report.networkInputs} network inputs, ` +
              `powered off ${report.poweredOffAcked === 1 ? "and acked" : "WITHOUT ack"}` +
              `${report.reClones > 0 ? `, mirror re-cloned ${report.reClones}x` : ""}; digest ${report.digests[opts.device]}\n`,
          );
        }
        process.exit(report.poweredOffAcked === 1 ? 0 : 2);
      } catch (error) {
        exitWithError(error);
      }
    });
}
