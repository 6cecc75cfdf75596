// The action of `mirrorcell simulate` (options in simulate.ts, loaded when the
// command runs): one deterministic fleet run (issue 4; DESIGN.md
// "sim"). VOPR-style: prints SEED= and every option first, a progress bar on
// a TTY, then the report; on an invariant violation prints it with the
// command that reproduces the run and exits 1.
import { randomInt } from "node:crypto";
import { availableParallelism } from "node:os";
import { SingleBar } from "cli-progress";
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import {
  defaultOptions,
  defaultWorkers,
  effectiveOptions,
  formatReport,
  injectedBugs,
  parseFaults,
  runFleet,
  type SimulationOptions,
  type SimulationReport,
} from "../../sim/index.ts";

export interface SimulateOpts {
  phones: string;
  hours: string;
  seed?: string;
  network: string;
  rates: string;
  syncInterval: string;
  eventsPerSec: string;
  faults: string;
  swarm?: boolean;
  payloadScale: string;
  injectBug?: string;
  services?: string;
  workers?: string;
  sharedSteps?: boolean;
  json?: boolean;
}

function numberOption(name: string, text: string): number {
  const value = Number(text);
  if (text.trim() === "" || !Number.isFinite(value)) {
    throw new MirrorcellError(ErrorCodes.USAGE, `--${name} must be a number, got "${text}"`);
  }
  return value;
}

/** Parses and validates the command line into simulation options (no run). */
export function simulationOptionsFrom(opts: SimulateOpts): SimulationOptions {
  const faults = parseFaults(opts.faults);
  if (!faults.ok) throw faults.error;
  if (opts.injectBug !== undefined && !(injectedBugs as readonly string[]).includes(opts.injectBug)) {
    throw new MirrorcellError(ErrorCodes.USAGE, `--inject-bug must be one of ${injectedBugs.join(", ")}`);
  }
  const phones = numberOption("phones", opts.phones);
  const options: SimulationOptions = {
    ...defaultOptions,
    seed: opts.seed === undefined ? randomInt(0, 2 ** 47) : numberOption("seed", opts.seed),
    phones,
    workers:
      opts.workers === undefined
        ? defaultWorkers(Number.isSafeInteger(phones) && phones >= 1 ? phones : 1, availableParallelism())
        : numberOption("workers", opts.workers),
    hours: numberOption("hours", opts.hours),
    network: opts.network as SimulationOptions["network"],
    rates: opts.rates as SimulationOptions["rates"],
    syncIntervalMs: Math.round(numberOption("sync-interval", opts.syncInterval) * 1000),
    eventsPerSec: numberOption("events-per-sec", opts.eventsPerSec),
    faults: faults.value,
    swarm: opts.swarm === true,
    payloadScale: numberOption("payload-scale", opts.payloadScale),
    ...(opts.injectBug === undefined ? {} : { bug: opts.injectBug as SimulationOptions["bug"] }),
    ...(opts.services === undefined || opts.services === "none"
      ? {}
      : { services: opts.services as SimulationOptions["services"] }),
    ...(opts.sharedSteps === false ? { sharedSteps: false } : {}),
  };
  effectiveOptions(options); // validates; throws a USAGE error
  return options;
}

function describeOptions(o: SimulationOptions): string {
  const e = effectiveOptions(o);
  const lines = [
    `SEED=${o.seed} workers=${e.workers ?? 1}`,
    `phones=${e.phones} hours=${e.hours} network=${e.network} rates=${e.rates} sync-interval=${e.syncIntervalMs / 1000}s`,
    `events-per-sec=${e.eventsPerSec} faults=${e.faults.length === 0 ? "none" : e.faults.join(",")} swarm=${e.swarm} payload-scale=${e.payloadScale} t_max=${e.latencyMsMax}ms`,
  ];
  if (o.sharedSteps === false) lines.push("shared-steps=off");
  if (e.faults.length > 0) {
    const rates = Object.entries(e.faultRates).map(([name, value]) => `${name}=${value}`);
    lines.push(`fault-rates: ${rates.join(" ")}`);
  }
  return lines.join("\n");
}

export async function runSimulate(opts: SimulateOpts): Promise<SimulationReport> {
  const options = simulationOptionsFrom(opts);
  const out = opts.json ? process.stderr : process.stdout;
  out.write(`${describeOptions(options)}\n`);
  const bar =
    process.stderr.isTTY && !opts.json
      ? new SingleBar({ format: "simulating [{bar}] {percentage}%", hideCursor: true })
      : undefined;
  bar?.start(100, 0);
  const report = await runFleet(options, { onProgress: (f) => bar?.update(Math.round(f * 100)) });
  bar?.stop();
  if (opts.json) process.stdout.write(`${JSON.stringify(report)}\n`);
  else process.stdout.write(`${formatReport(report)}\n`);
  if (report.invariantViolations > 0 && opts.json) {
    process.stderr.write(
      `invariant violations: ${report.invariantViolations}\nreproduce: ${report.reproduce}\n`,
    );
  }
  return report;
}
