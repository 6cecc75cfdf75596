// Antivirus scan cost (paper §5.2, Table 2, Fig 13): time and battery of a
// scan on the phone, time on a PC, as least-squares lines through Table 2 so
// the model answers for any folder size; the mirror's own scan speed comes
// from our measurements when the report has them.
import { assert } from "../core/assert.ts";
import { type PaperScanRow, paperTable2 } from "./paper.ts";

export interface Line {
  readonly slope: number;
  readonly intercept: number;
}

export function fitLine(xs: readonly number[], ys: readonly number[]): Line {
  assert(xs.length === ys.length && xs.length >= 2, "a line needs two or more points");
  const n = xs.length;
  const meanX = xs.reduce((a, b) => a + b, 0) / n;
  const meanY = ys.reduce((a, b) => a + b, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dx = xs[i]! - meanX;
    sxx += dx * dx;
    sxy += dx * (ys[i]! - meanY);
  }
  assert(sxx > 0, "x values must not all be equal");
  const slope = sxy / sxx;
  return { slope, intercept: meanY - slope * meanX };
}

export function evalLine(line: Line, x: number): number {
  return line.slope * x + line.intercept;
}

export interface ScanModel {
  readonly phoneTimeS: Line;
  readonly phoneBatteryPct: Line;
  readonly pcTimeS: Line;
}

export function fitScanModel(rows: readonly PaperScanRow[] = paperTable2): ScanModel {
  const xs = rows.map((r) => r.folderMb);
  return {
    phoneTimeS: fitLine(
      xs,
      rows.map((r) => r.phoneTimeS),
    ),
    phoneBatteryPct: fitLine(
      xs,
      rows.map((r) => r.phoneBatteryPct),
    ),
    pcTimeS: fitLine(
      xs,
      rows.map((r) => r.pcTimeS),
    ),
  };
}

export interface ScanCost {
  readonly folderMb: number;
  readonly phoneTimeS: number;
  readonly phoneBatteryPct: number;
  readonly pcTimeS: number;
}

/** Scan cost for a folder; clamps at zero for folders smaller than Table 2's. */
export function scanCost(model: ScanModel, folderMb: number): ScanCost {
  assert(Number.isFinite(folderMb) && folderMb >= 0, `folder size must be non-negative: ${folderMb}`);
  return {
    folderMb,
    phoneTimeS: Math.max(0, evalLine(model.phoneTimeS, folderMb)),
    phoneBatteryPct: Math.max(0, evalLine(model.phoneBatteryPct, folderMb)),
    pcTimeS: Math.max(0, evalLine(model.pcTimeS, folderMb)),
  };
}
