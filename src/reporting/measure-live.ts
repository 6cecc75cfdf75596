// A live measurement of what one mirror costs, for the second cost estimate
// (paper §6.2 estimates from CPU MHz alone): runs the simulator once at the
// paper's workload and divides the process's CPU time and peak memory growth
// by the number of phones. The simulator also runs the phones, the network
// and the checker, so both figures bound a mirror's cost from above.
import { assert } from "../core/assert.ts";
import type { MeasuredInputs } from "./report-types.ts";
import type { SimulationRunner } from "./sim-sweep.ts";

export interface LiveMeasurementPlan {
  readonly phones: number;
  readonly hours: number;
  readonly seed: number;
}

export async function measureSimulatorUsage(
  runner: SimulationRunner,
  plan: LiveMeasurementPlan,
): Promise<MeasuredInputs> {
  assert(plan.phones > 0 && plan.hours > 0, "a measurement needs phones and time");
  const rssBeforeBytes = process.memoryUsage().rss;
  const cpuBefore = process.cpuUsage();
  const point = { network: "3g" as const, syncIntervalS: 60, eventsPerSecond: 0.5 };
  const summary = await runner(point, { points: [point], ...plan }, plan.seed);
  const cpu = process.cpuUsage(cpuBefore);
  const peakRssBytes = process.resourceUsage().maxRSS * 1024;
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  const memoryBytesPerMirror = Math.max(1, peakRssBytes - rssBeforeBytes) / summary.phones;
  const cpuCoreSecondsPerSecond = Math.max(1e-9, cpuSeconds) / (summary.phones * summary.simulatedSeconds);
  assert(memoryBytesPerMirror > 0 && cpuCoreSecondsPerSecond > 0, "measured usage must be positive");
  return {
    memoryBytesPerMirror,
    cpuCoreSecondsPerSecond,
    uplinkBytesPerUserEvent: summary.uplinkBytesPerUserEvent,
    source: `live: simulator, ${summary.phones} phones × ${plan.hours} h at 0.5 events/s, 60 s sync (phones, network and checker included: upper bound)`,
  };
}
