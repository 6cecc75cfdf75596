// `mirrorcell simulate`: one deterministic fleet run (issue 4; DESIGN.md
// "sim"), same seed, same report. Options and help only; the simulator loads
// with simulate-action.ts when the command runs. Its defaults come from
// src/sim/options.ts, which the help shows and commander fills in.
import type { Command } from "commander";
import { defaultOptions, injectedBugs, simulationBounds } from "../../sim/options.ts";
import { exitWithError } from "../fail.ts";
import type { SimulateOpts } from "./simulate-action.ts";

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
    .option(
      "--no-shared-steps",
      "mirrors compute every storage step themselves instead of taking their phone's result from the same state (same report, slower: a check of the sharing)",
    )
    .option("--json", "print one JSON object with the metrics")
    .action(async (opts: SimulateOpts) => {
      try {
        const { runSimulate } = await import("./simulate-action.ts");
        const report = await runSimulate(opts);
        if (report.invariantViolations > 0) process.exitCode = 1;
      } catch (error) {
        exitWithError(error);
      }
    });
}
