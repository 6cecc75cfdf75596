// Link rates from the paper's Table 1 (§5.1, measured in State College): the
// "tested" figures are the default; "advertised" draws each phone's rate from
// the advertised range instead.
import { assert } from "../core/assert.ts";
import type { Rng } from "../core/ports.ts";

export type NetworkKind = "3g" | "edge";
export type RateSource = "tested" | "advertised";

interface RateRangeKbps {
  minKbps: number;
  maxKbps: number;
}

interface NetworkProfile {
  uplinkTested: RateRangeKbps;
  downlinkTested: RateRangeKbps;
  uplinkAdvertised: RateRangeKbps;
  downlinkAdvertised: RateRangeKbps;
}

export const networkProfiles: Readonly<Record<NetworkKind, NetworkProfile>> = {
  "3g": {
    uplinkTested: { minKbps: 708, maxKbps: 708 },
    downlinkTested: { minKbps: 1259, maxKbps: 1259 },
    uplinkAdvertised: { minKbps: 500, maxKbps: 1200 },
    downlinkAdvertised: { minKbps: 700, maxKbps: 1700 },
  },
  edge: {
    uplinkTested: { minKbps: 140, maxKbps: 160 },
    downlinkTested: { minKbps: 170, maxKbps: 190 },
    uplinkAdvertised: { minKbps: 75, maxKbps: 135 },
    downlinkAdvertised: { minKbps: 75, maxKbps: 135 },
  },
};

export interface LinkRatesKbps {
  uplinkKbps: number;
  downlinkKbps: number;
}

/**
 * One phone's rates. Tested ranges use their midpoint (EDGE up 150, down 180);
 * advertised ranges draw uniformly, so a fleet spreads over the range.
 */
export function linkRatesFor(network: NetworkKind, source: RateSource, rng: Rng): LinkRatesKbps {
  const profile = networkProfiles[network];
  assert(profile !== undefined, `unknown network ${network}`);
  if (source === "tested") {
    return { uplinkKbps: midpoint(profile.uplinkTested), downlinkKbps: midpoint(profile.downlinkTested) };
  }
  return {
    uplinkKbps: draw(profile.uplinkAdvertised, rng),
    downlinkKbps: draw(profile.downlinkAdvertised, rng),
  };
}

function midpoint(range: RateRangeKbps): number {
  return (range.minKbps + range.maxKbps) / 2;
}

function draw(range: RateRangeKbps, rng: Rng): number {
  assert(range.minKbps > 0 && range.minKbps <= range.maxKbps, "bad rate range");
  return range.minKbps + rng.int(0, range.maxKbps - range.minKbps);
}
