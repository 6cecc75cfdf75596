// Finds the simulator at run time. The report must work, and say so, when
// src/sim is absent or broken, so it is imported dynamically and its report
// checked field by field instead of trusted by type.
import type { SimulationRunner, SimulationSummary } from "./sim-sweep.ts";
import { asSimulationSummary } from "./sim-sweep.ts";

type RunSimulation = (options: Record<string, unknown>) => unknown;

export type LoadedSimulator =
  | { readonly ok: true; readonly runner: SimulationRunner; readonly from: string }
  | { readonly ok: false; readonly reason: string };

const candidates = ["../sim/index.ts", "../sim/simulation.ts"];

async function importFirst(): Promise<
  { run: RunSimulation; defaults: Record<string, unknown>; from: string } | string
> {
  const reasons: string[] = [];
  for (const path of candidates) {
    try {
      const mod = (await import(path)) as Record<string, unknown>;
      if (typeof mod.runSimulation !== "function") {
        reasons.push(`${path} has no runSimulation`);
        continue;
      }
      const options = (mod.defaultOptions ??
        ((await import("../sim/options.ts")) as Record<string, unknown>).defaultOptions) as
        | Record<string, unknown>
        | undefined;
      if (options === undefined) {
        reasons.push(`${path} has no defaultOptions`);
        continue;
      }
      return {
        run: mod.runSimulation as RunSimulation,
        defaults: options,
        from: `src/sim/${path.split("/").pop()}`,
      };
    } catch (error) {
      reasons.push(`${path}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
    }
  }
  return `runSimulation not available (${reasons.join("; ")})`;
}

export async function loadSimulator(): Promise<LoadedSimulator> {
  const found = await importFirst();
  if (typeof found === "string") return { ok: false, reason: found };
  const runner: SimulationRunner = async (point, plan, seed): Promise<SimulationSummary> => {
    const options = {
      ...found.defaults,
      seed,
      phones: plan.phones,
      hours: plan.hours,
      network: point.network,
      syncIntervalMs: Math.round(point.syncIntervalS * 1000),
      eventsPerSec: point.eventsPerSecond,
      faults: [],
      swarm: false,
    };
    const summary = asSimulationSummary(await found.run(options));
    if (typeof summary === "string") throw new Error(`${found.from}: ${summary}`);
    return summary;
  };
  return { ok: true, runner, from: found.from };
}
