// The action of `mirrorcell phone` (options in phone.ts, loaded when the
// command runs): one live phone (platform + workload + Syn-Client)
// against a mirror server; SIGINT powers it off (the server saves and stops
// its mirror). Issue 5.
import { MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { parseDeviceKey } from "../../live/auth.ts";
import { proxyUrlOf, runLoad } from "../../live/load-run.ts";
import type { CachingPhoneCliOptions, LivePhoneCliOptions } from "./live-phone-flags.ts";
import {
  cachingPhoneRunOptions,
  interruption,
  livePhoneRunOptions,
  positiveNumber,
} from "./live-phone-options.ts";

export interface PhoneOptions extends LivePhoneCliOptions, CachingPhoneCliOptions {
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

/** The action of `mirrorcell phone` (registered in phone.ts): exits 0 when the power-off was acked, else 2. */
export async function runPhoneCommand(opts: PhoneOptions): Promise<void> {
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
}
