// The action of `mirrorcell cache savings` (options in cache.ts, loaded when
// the command runs): what the caching service (paper §5.1) saves the phone for
// a file size, network and number of recipients: radio bytes, radio time at
// the Table 1 rates and battery from the calibrated energy model.
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import { calibrateBatteryModel, type NetworkKind, type RateSource } from "../../model/index.ts";
import { paperSweepSizesBytes, type SavingsRow, savingsSweep } from "../../services/caching/index.ts";

export interface SavingsOpts {
  sizeMb?: string;
  recipients: string;
  network: string;
  rates: string;
  json?: boolean;
}

function parseOptions(opts: SavingsOpts) {
  const recipients = Number(opts.recipients);
  if (!Number.isSafeInteger(recipients) || recipients < 1 || recipients > 256) {
    throw new MirrorcellError(
      ErrorCodes.USAGE,
      `--recipients must be an integer in [1, 256], got ${opts.recipients}`,
    );
  }
  const networks: NetworkKind[] = opts.network === "both" ? ["edge", "3g"] : [opts.network as NetworkKind];
  if (!["edge", "3g", "both"].includes(opts.network)) {
    throw new MirrorcellError(ErrorCodes.USAGE, `--network must be edge, 3g or both, got ${opts.network}`);
  }
  if (opts.rates !== "tested" && opts.rates !== "advertised") {
    throw new MirrorcellError(ErrorCodes.USAGE, `--rates must be tested or advertised, got ${opts.rates}`);
  }
  const sizeMb = opts.sizeMb === undefined ? undefined : Number(opts.sizeMb);
  if (sizeMb !== undefined && !(sizeMb > 0 && sizeMb <= 64)) {
    throw new MirrorcellError(ErrorCodes.USAGE, `--size-mb must be in (0, 64], got ${opts.sizeMb}`);
  }
  const sizesBytes = sizeMb === undefined ? paperSweepSizesBytes : [Math.round(sizeMb * 1_000_000)];
  return { recipients, networks, rateSource: opts.rates as RateSource, sizesBytes };
}

function formatRow(row: SavingsRow): string {
  const mb = (row.sizeBytes / 1_000_000).toFixed(1).padStart(5);
  const up = row.upload;
  const down = row.download;
  return (
    `${row.network.padEnd(4)} ${mb} MB  upload x${row.recipients}: ` +
    `${up.withoutCaching.radioBytes} B ${up.withoutCaching.radioTimeS.toFixed(1)} s ${up.withoutCaching.batteryPct.toFixed(2)} % -> ` +
    `${up.withCaching.radioBytes} B ${up.withCaching.radioTimeS.toFixed(3)} s ${up.withCaching.batteryPct.toFixed(3)} %  | ` +
    `download now ${down.withoutCaching.radioTimeS.toFixed(1)} s ${down.withoutCaching.batteryPct.toFixed(2)} % -> ` +
    `later on 3g ${down.withCaching.radioTimeS.toFixed(1)} s ${down.withCaching.batteryPct.toFixed(2)} %`
  );
}

/** The action of `mirrorcell cache savings` (registered in cache.ts). */
export function runCacheSavings(opts: SavingsOpts): void {
  const parsed = parseOptions(opts);
  const rows = savingsSweep(calibrateBatteryModel(), parsed);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...parsed, rows })}\n`);
    return;
  }
  process.stdout.write("without caching -> with caching (radio bytes, radio time, battery)\n");
  for (const row of rows) process.stdout.write(`${formatRow(row)}\n`);
}
