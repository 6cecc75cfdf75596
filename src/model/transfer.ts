// Transfer time of a file over EDGE or 3G at the rates of Table 1 (paper §5.1,
// Fig 11). Sizes in bytes; 1 MB = 10^6 bytes and 1 kbps = 1000 bit/s, the
// units operators advertise in.
import { assert } from "../core/assert.ts";
import { type Direction, type KbpsRange, type NetworkKind, paperTable1 } from "./paper.ts";

export type RateSource = "tested" | "advertised";

export const bytesPerMb = 1_000_000;

export interface TransferTime {
  readonly network: NetworkKind;
  readonly direction: Direction;
  readonly rateSource: RateSource;
  readonly sizeBytes: number;
  /** At the slowest rate of the range. */
  readonly timeSMax: number;
  /** At the midpoint rate, the model's point estimate. */
  readonly timeSMid: number;
  /** At the fastest rate of the range. */
  readonly timeSMin: number;
  readonly rateKbpsMid: number;
}

export function rateRangeKbps(network: NetworkKind, direction: Direction, source: RateSource): KbpsRange {
  return paperTable1[network][direction][source];
}

/** The midpoint of a Table 1 range: the rate the simulator and models use. */
export function rateKbpsMid(
  network: NetworkKind,
  direction: Direction,
  source: RateSource = "tested",
): number {
  const range = rateRangeKbps(network, direction, source);
  return (range.minKbps + range.maxKbps) / 2;
}

export function transferTimeS(sizeBytes: number, rateKbps: number): number {
  assert(
    Number.isFinite(sizeBytes) && sizeBytes >= 0,
    `size must be a finite non-negative number: ${sizeBytes}`,
  );
  assert(Number.isFinite(rateKbps) && rateKbps > 0, `rate must be positive: ${rateKbps}`);
  return (sizeBytes * 8) / (rateKbps * 1000);
}

export function transferTime(
  sizeBytes: number,
  network: NetworkKind,
  direction: Direction,
  rateSource: RateSource = "tested",
): TransferTime {
  const range = rateRangeKbps(network, direction, rateSource);
  assert(range.minKbps <= range.maxKbps, "rate range inverted");
  const mid = (range.minKbps + range.maxKbps) / 2;
  const result = {
    network,
    direction,
    rateSource,
    sizeBytes,
    timeSMax: transferTimeS(sizeBytes, range.minKbps),
    timeSMid: transferTimeS(sizeBytes, mid),
    timeSMin: transferTimeS(sizeBytes, range.maxKbps),
    rateKbpsMid: mid,
  };
  assert(
    result.timeSMin <= result.timeSMid && result.timeSMid <= result.timeSMax,
    "transfer times out of order",
  );
  return result;
}
