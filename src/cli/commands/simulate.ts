// `mirrorcell simulate`: one deterministic fleet run (issue 4; DESIGN.md
// "sim"). VOPR-style: prints SEED= and every option first, a progress bar on
// a TTY, then the report; on an invariant violation prints it with the
// command that reproduces the run and exits 1.
import { randomInt } from "node:crypto";
import { availableParallelism } from "node:os";
import { SingleBar } from "cli-progress";
import type { Command } from "commander";
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
  simulationBounds,
} from "../../sim/index.ts";
import { exitWithError } from "../fail.ts";

interface SimulateOpts {
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

export function registerSimulate(program: Command): void {
  program
    .command("simulate")
    .description(
      "Run a deterministic fleet simulation (phones, links, mirror server, faults) and check the invariants; same seed, same report",
    )
    .option("--phones <n>", "phones in the fleet", String(defaultOptions.phones))
    .option(
      "--hours <h>",
      "simulated hours of the safety phase (then a convergence phase)",
      String(defaultOptions.hours),
    )
    .option("--seed <s>", "seed of the run (default: random, printed)")
    .option("--network <kind>", "3g or edge (paper Table 1)", defaultOptions.network)
    .option(
      "--rates <source>",
      "tested (Table 1 measured) or advertised (drawn from the range)",
      defaultOptions.rates,
    )
    .option(
      "--sync-interval <seconds>",
      "t_syn_int, the batching interval",
      String(defaultOptions.syncIntervalMs / 1000),
    )
    .option(
      "--events-per-sec <r>",
      "user events per second per phone (paper §5.1: 0.5)",
      String(defaultOptions.eventsPerSec),
    )
    .option("--faults <list>", "none, all, or a list of loss,dup,reorder,partition,crash,poweroff", "none")
    .option("--swarm", "let the seed also choose faults, rates, network and interval (swarm testing)")
    .option(
      "--payload-scale <f>",
      "scale of network payload and photo sizes (0, 1]",
      String(defaultOptions.payloadScale),
    )
    .option("--inject-bug <name>", `test only: inject a bug on purpose (${injectedBugs.join(", ")})`)
    .option(
      "--services <mode>",
      "services on the mirror server and their workload (share, download, scan): none, caching, antivirus or all",
      "none",
    )
    .option(
      "--workers <n>",
      `shards, each its own fleet and mirror server, run on at most one worker thread per core at a time; seed + workers reproduce a run (default: 1 = in-process below ${simulationBounds.shardedPhonesMin} phones, else shards of at most ${simulationBounds.phonesPerWorkerMax} phones, at least one per core)`,
    )
    .option("--json", "print one JSON object with the metrics")
    .action(async (opts: SimulateOpts) => {
      try {
        const report = await runSimulate(opts);
        if (report.invariantViolations > 0) process.exitCode = 1;
      } catch (error) {
        exitWithError(error);
      }
    });
}
