// The actions of `mirrorcell model transfer|battery|cost|interval` (options
// in model.ts, loaded when a subcommand runs): the feasibility models of
// paper §5–§6 on the command line, with --json for scripts.
import { readFileSync } from "node:fs";
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import {
  bulkTransferBattery,
  bytesPerMb,
  calibrateBatteryModel,
  chooseSyncInterval,
  type Direction,
  fitScanModel,
  measuredCostEstimate,
  type NetworkKind,
  paperCost,
  paperCostCoefficientUsd,
  paperCostEstimate,
  type RateSource,
  scanCost,
  singleExchangeBatteryPct,
  syncBattery,
  transferTime,
} from "../../model/index.ts";
import { formatUsd, parseMeasuredInputs } from "../../reporting/index.ts";

function numberOption(name: string, text: string | undefined, min: number, max: number): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < min || value > max) {
    throw new MirrorcellError(ErrorCodes.USAGE, `${name} must be a number in [${min}, ${max}], got ${text}`);
  }
  return value;
}

function choices<T extends string>(
  name: string,
  text: string,
  allowed: readonly T[],
  all: readonly T[],
): T[] {
  if (text === "both") return [...all];
  if (!(allowed as readonly string[]).includes(text)) {
    throw new MirrorcellError(
      ErrorCodes.USAGE,
      `${name} must be ${[...allowed, "both"].join(", ")}, got ${text}`,
    );
  }
  return [text as T];
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (error) {
    throw new MirrorcellError(ErrorCodes.IO_FAILED, `Cannot read ${path}`, { cause: error });
  }
}

const networks = ["edge", "3g"] as const;
const directions = ["up", "down"] as const;

function print(json: boolean | undefined, value: unknown, lines: () => string[]): void {
  process.stdout.write(json ? `${JSON.stringify(value)}\n` : `${lines().join("\n")}\n`);
}

export interface TransferOpts {
  sizeMb: string;
  network: string;
  direction: string;
  rates: string;
  json?: boolean;
}

export function transferCommand(opts: TransferOpts): void {
  const sizeMb = numberOption("--size-mb", opts.sizeMb, 0, 100_000)!;
  if (opts.rates !== "tested" && opts.rates !== "advertised") {
    throw new MirrorcellError(ErrorCodes.USAGE, `--rates must be tested or advertised, got ${opts.rates}`);
  }
  const rows = choices<NetworkKind>("--network", opts.network, networks, networks).flatMap((network) =>
    choices<Direction>("--direction", opts.direction, directions, directions).map((direction) =>
      transferTime(sizeMb * bytesPerMb, network, direction, opts.rates as RateSource),
    ),
  );
  print(opts.json, { sizeMb, rows }, () =>
    rows.map(
      (r) =>
        `${r.network.padEnd(4)} ${r.direction.padEnd(4)} ${sizeMb} MB at ${r.rateKbpsMid} kbps (${r.rateSource}): ${r.timeSMid.toFixed(1)} s (range ${r.timeSMin.toFixed(1)}–${r.timeSMax.toFixed(1)} s)`,
    ),
  );
}

export interface BatteryOpts {
  network: string;
  syncInterval: string;
  eventsPerSec: string;
  uploadMb?: string;
  downloadMb?: string;
  scanMb?: string;
  json?: boolean;
}

export function batteryCommand(opts: BatteryOpts): void {
  const model = calibrateBatteryModel();
  const network = choices<NetworkKind>("--network", opts.network, networks, networks)[0]!;
  const syncIntervalS = numberOption("--sync-interval", opts.syncInterval, 0.1, 3600)!;
  const eventsPerSecond = numberOption("--events-per-sec", opts.eventsPerSec, 0, 100)!;
  const sync = syncBattery(model, { network, syncIntervalS, eventsPerSecond });
  const bulk = (direction: Direction, text: string | undefined) => {
    const mb = numberOption(direction === "up" ? "--upload-mb" : "--download-mb", text, 0, 100_000);
    return mb === undefined
      ? undefined
      : { sizeMb: mb, ...bulkTransferBattery(model, { network, direction, sizeBytes: mb * bytesPerMb }) };
  };
  const upload = bulk("up", opts.uploadMb);
  const download = bulk("down", opts.downloadMb);
  const scanMb = numberOption("--scan-mb", opts.scanMb, 0, 100_000);
  const scan =
    scanMb === undefined
      ? undefined
      : {
          onPhone: scanCost(fitScanModel(), scanMb),
          onMirrorPhoneBatteryPct: singleExchangeBatteryPct(model, network),
        };
  const result = { network, syncIntervalS, eventsPerSecond, sync, upload, download, scan };
  print(opts.json, result, () => {
    const lines = [
      `sync every ${syncIntervalS} s at ${eventsPerSecond} events/s on ${network}: ${sync.totalPctPerMin.toFixed(6)} %/min (standby ${sync.standbyPctPerMin.toFixed(4)} + sync ${sync.radioPctPerMin.toFixed(6)}), sync adds ${sync.radioPctPerDay.toFixed(2)} %/day; radio active ${(100 * sync.radioActiveShare).toFixed(1)} % of the time`,
    ];
    if (upload)
      lines.push(
        `upload ${upload.sizeMb} MB: ${upload.timeS.toFixed(0)} s, ${upload.batteryPct.toFixed(2)} % battery`,
      );
    if (download)
      lines.push(
        `download ${download.sizeMb} MB: ${download.timeS.toFixed(0)} s, ${download.batteryPct.toFixed(2)} % battery`,
      );
    if (scan) {
      lines.push(
        `scan ${scan.onPhone.folderMb} MB on the phone (Table 2 fit): ${scan.onPhone.phoneTimeS.toFixed(0)} s, ${scan.onPhone.phoneBatteryPct.toFixed(2)} %; on the mirror the phone pays ${scan.onMirrorPhoneBatteryPct.toFixed(4)} %`,
      );
    }
    return lines;
  });
}

export interface CostOpts {
  alpha: string;
  beta: string;
  saved: string;
  overhead: string;
  measured?: string;
  json?: boolean;
}

export function costCommand(opts: CostOpts): void {
  const input = {
    alphaHours: numberOption("--alpha", opts.alpha, 0.01, 24)!,
    beta: numberOption("--beta", opts.beta, 0.001, 1)!,
    savedShare: numberOption("--saved", opts.saved, 0, 0.99)!,
    overheadShare: numberOption("--overhead", opts.overhead, 0, 100)!,
  };
  const paper = paperCostEstimate(input);
  let measured: ReturnType<typeof measuredCostEstimate> | undefined;
  if (opts.measured !== undefined) {
    const parsed = parseMeasuredInputs(readText(opts.measured), opts.measured);
    if (!parsed.ok) throw parsed.error;
    const m = parsed.value;
    if (m.memoryBytesPerMirror === undefined || m.cpuCoreSecondsPerSecond === undefined) {
      throw new MirrorcellError(
        ErrorCodes.CONFIG_INVALID,
        `${opts.measured} needs memoryBytesPerMirror and cpuCoreSecondsPerSecond`,
      );
    }
    measured = measuredCostEstimate({
      memoryBytesPerMirror: m.memoryBytesPerMirror,
      cpuCoreSecondsPerSecond: m.cpuCoreSecondsPerSecond,
      source: m.source,
    });
  }
  const coefficientUsd = paperCostCoefficientUsd();
  const paperClaimAt6x1 = {
    claimedUsdMax: paperCost.claimedCostUsdMaxAtAlpha6Beta1,
    formulaUsd: paperCostEstimate({ alphaHours: 6, beta: 1 }).costUsdPerMirror,
  };
  print(opts.json, { input, paper, coefficientUsd, paperClaimAt6x1, measured }, () => [
    `paper's CPU estimate (α = ${input.alphaHours} h, β = ${input.beta}, M = ${input.savedShare}, H = ${input.overheadShare}): ${paper.mirrorsPerServer.toFixed(1)} mirrors/server, $${paper.costUsdPerMirror.toFixed(2)} per mirror (C = ${coefficientUsd.toFixed(4)}·α·β when M = H = 0)`,
    `note: the paper claims at most $${paperClaimAt6x1.claimedUsdMax} at α = 6, β = 1, but its formula gives $${paperClaimAt6x1.formulaUsd.toFixed(2)}`,
    measured === undefined
      ? "measured estimate: none (pass --measured FILE)"
      : `measured estimate: ${measured.mirrorsPerServer} mirrors/server (${measured.boundBy}-bound: memory ${measured.mirrorsByMemory}, CPU ${measured.mirrorsByCpu}), $${formatUsd(measured.costUsdPerMirror)} per mirror`,
  ]);
}

export interface IntervalOpts {
  maxLag?: string;
  batteryBudget?: string;
  network: string;
  eventsPerSec: string;
  processingMs: string;
  json?: boolean;
}

export function intervalCommand(opts: IntervalOpts): void {
  const maxLagS = numberOption("--max-lag", opts.maxLag, 0, 1e6);
  const batteryBudgetPctPerDay = numberOption("--battery-budget", opts.batteryBudget, 0, 1e6);
  const goal = {
    network: choices<NetworkKind>("--network", opts.network, networks, networks)[0]!,
    eventsPerSecond: numberOption("--events-per-sec", opts.eventsPerSec, 0, 100)!,
    processingMs: numberOption("--processing-ms", opts.processingMs, 0, 60_000)!,
    ...(maxLagS === undefined ? {} : { maxLagS }),
    ...(batteryBudgetPctPerDay === undefined ? {} : { batteryBudgetPctPerDay }),
  };
  const choice = chooseSyncInterval(calibrateBatteryModel(), goal);
  if (!choice.ok) throw choice.error;
  const c = choice.value;
  print(opts.json, { goal, ...c }, () => [
    `t_syn_int = ${c.syncIntervalS} s (decided by ${c.decidedBy}): worst-case lag ${c.lagSMax.toFixed(2)} s, sync drain ${c.battery.radioPctPerDay.toFixed(2)} %/day above standby, ${c.battery.uplinkBytesPerMin.toFixed(0)} B/min uplink`,
  ]);
}
