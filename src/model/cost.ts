// Hardware cost per mirror (paper §6.2, Table 3, Fig 10). The paper's CPU
// estimate N = 12800/528 × 24 / (α·β·(1−M)·(1+H)), C = 1566/N, and a second
// estimate from what a mirror really costs a server in memory and CPU,
// measured by mirrorcell's simulator and live server.
import { assert } from "../core/assert.ts";
import { paperTable3 } from "./paper.ts";

export interface CpuCostInput {
  /** Working hours per day (≤ 6 per the paper). */
  readonly alphaHours: number;
  /** Average CPU use while working, as a fraction (0.5 = 50 %). */
  readonly beta: number;
  /** CPU share a mirror saves (no radio, display, audio). */
  readonly savedShare?: number;
  /** Virtualization overhead share. */
  readonly overheadShare?: number;
}

export interface CostEstimate {
  readonly mirrorsPerServer: number;
  readonly costUsdPerMirror: number;
}

export function paperMirrorsPerServer(input: CpuCostInput): number {
  const m = input.savedShare ?? 0;
  const h = input.overheadShare ?? 0;
  assert(
    input.alphaHours > 0 && input.alphaHours <= 24,
    `alpha must be in (0, 24] hours: ${input.alphaHours}`,
  );
  assert(input.beta > 0 && input.beta <= 1, `beta must be in (0, 1]: ${input.beta}`);
  assert(m >= 0 && m < 1 && h >= 0, "M must be in [0, 1) and H non-negative");
  const phoneShare = paperTable3.serverCpuMhz / paperTable3.phoneCpuMhz;
  return (phoneShare * 24) / (input.alphaHours * input.beta * (1 - m) * (1 + h));
}

export function paperCostEstimate(input: CpuCostInput): CostEstimate {
  const mirrorsPerServer = paperMirrorsPerServer(input);
  const costUsdPerMirror = paperTable3.serverPriceUsd / mirrorsPerServer;
  assert(mirrorsPerServer > 0 && costUsdPerMirror > 0, "cost model produced a non-positive answer");
  return { mirrorsPerServer, costUsdPerMirror };
}

/** The coefficient k in C = k·α·β (M = H = 0): 1566 × 528 / (12800 × 24). */
export function paperCostCoefficientUsd(): number {
  return (paperTable3.serverPriceUsd * paperTable3.phoneCpuMhz) / (paperTable3.serverCpuMhz * 24);
}

/** Per-mirror resource use measured on our runtimes (report input). */
export interface MeasuredMirrorUsage {
  /** Resident memory per mirror (idle or active, as measured). */
  readonly memoryBytesPerMirror: number;
  /** CPU core-seconds a mirror needs per second of wall time at the measured load. */
  readonly cpuCoreSecondsPerSecond: number;
  /** Where the numbers come from (bench name, commit). */
  readonly source: string;
}

export interface ServerSpec {
  readonly priceUsd: number;
  readonly memoryBytes: number;
  readonly cores: number;
  /** Share of memory and CPU we let mirrors use (headroom for the host). */
  readonly usableShare: number;
}

export const powerEdge1900: ServerSpec = {
  priceUsd: paperTable3.serverPriceUsd,
  memoryBytes: paperTable3.serverMemoryMb * 1024 * 1024,
  cores: paperTable3.serverCores,
  usableShare: 0.8,
};

export interface MeasuredCostEstimate extends CostEstimate {
  readonly mirrorsByMemory: number;
  readonly mirrorsByCpu: number;
  readonly boundBy: "memory" | "cpu";
}

/**
 * Mirrors per server from measured use: the smaller of memory and CPU bounds.
 * Our mirrors are state machines, not Android VMs, so this is a lower bound on
 * cost, not a like-for-like replacement of the paper's estimate.
 */
export function measuredCostEstimate(
  usage: MeasuredMirrorUsage,
  server = powerEdge1900,
): MeasuredCostEstimate {
  assert(usage.memoryBytesPerMirror > 0, "memory per mirror must be positive");
  assert(usage.cpuCoreSecondsPerSecond > 0, "CPU per mirror must be positive");
  assert(server.usableShare > 0 && server.usableShare <= 1, "usable share must be in (0, 1]");
  const mirrorsByMemory = Math.floor((server.memoryBytes * server.usableShare) / usage.memoryBytesPerMirror);
  const mirrorsByCpu = Math.floor((server.cores * server.usableShare) / usage.cpuCoreSecondsPerSecond);
  const mirrorsPerServer = Math.max(1, Math.min(mirrorsByMemory, mirrorsByCpu));
  return {
    mirrorsPerServer,
    costUsdPerMirror: server.priceUsd / mirrorsPerServer,
    mirrorsByMemory,
    mirrorsByCpu,
    boundBy: mirrorsByMemory <= mirrorsByCpu ? "memory" : "cpu",
  };
}
