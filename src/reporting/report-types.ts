// The shapes the feasibility report is made of: charts (series of points,
// ours beside the paper's), the claims table, the simulator sweep and the
// measured inputs. report.json holds exactly a ReportData.
import type { NetworkKind } from "../model/index.ts";

export type SeriesKind = "ours" | "paper" | "measured";

export interface Series {
  readonly label: string;
  readonly kind: SeriesKind;
  /** [x, y] pairs, sorted by x. */
  readonly points: ReadonlyArray<readonly [number, number]>;
  /** Points only, no line (paper's table values, sweep measurements). */
  readonly pointsOnly?: boolean;
}

export interface Chart {
  readonly id: string;
  readonly title: string;
  /** What the chart reproduces or adds, e.g. "paper Fig 10". */
  readonly reproduces: string;
  readonly xLabel: string;
  readonly yLabel: string;
  readonly xLog?: boolean;
  readonly yLog?: boolean;
  readonly series: readonly Series[];
  readonly note: string;
}

export type ClaimStatus = "reproduced" | "calibrated" | "contradiction" | "prediction";

export interface Claim {
  readonly what: string;
  readonly where: string;
  readonly paper: string;
  readonly ours: string;
  readonly tolerance: string;
  readonly status: ClaimStatus;
}

export interface SweepPoint {
  readonly network: NetworkKind;
  readonly syncIntervalS: number;
  readonly eventsPerSecond: number;
}

export interface SweepMeasurement {
  readonly point: SweepPoint;
  readonly seed: number;
  readonly phones: number;
  readonly simulatedSeconds: number;
  readonly userEvents: number;
  readonly batches: number;
  readonly uplinkBytes: number;
  readonly uplinkBytesPerUserEvent: number;
  readonly uplinkBytesPerPhonePerMin: number;
  readonly lagMsP50: number;
  readonly lagMsP99: number;
  readonly lagMsMax: number;
  readonly invariantViolations: number;
  /** Battery the measured batches cost on the calibrated radio model. */
  readonly radioPctPerDay: number;
  readonly reproduce: string;
}

export type SweepOutcome =
  | {
      readonly status: "ran";
      readonly measurements: readonly SweepMeasurement[];
      readonly wallSeconds: number;
    }
  | { readonly status: "missing"; readonly reason: string }
  | { readonly status: "skipped"; readonly reason: string };

export interface ScanRowAnalogue {
  readonly folderMb: number;
  readonly paperPhoneTimeS: number;
  readonly paperPhoneBatteryPct: number;
  readonly paperPcTimeS: number;
  readonly modelPhoneTimeS: number;
  readonly modelPhoneBatteryPct: number;
  /** What a scan on the mirror costs the phone: one request and one answer. */
  readonly mirrorScanPhoneBatteryPct: number;
  /** Our mirror-side scan time at a measured throughput, if we have one. */
  readonly mirrorScanTimeS?: number;
}

/** Measurements from our own runtimes (JSON input or measured by the report). */
export interface MeasuredInputs {
  readonly memoryBytesPerMirror?: number;
  readonly cpuCoreSecondsPerSecond?: number;
  readonly uplinkBytesPerUserEvent?: number;
  readonly scanBytesPerSecond?: number;
  readonly source: string;
}

export interface ReportData {
  readonly title: string;
  readonly generatedAt: string;
  readonly commit: string;
  readonly quick: boolean;
  readonly calibration: {
    readonly capacityJ: number;
    readonly standbyPowerMw: number;
    readonly umtsPowerScale: number;
    readonly umtsDchPowerMw: number;
    readonly edgeActivePowerMw: number;
    /** What one sync batch costs on the uplink in the model's curves, and where that comes from. */
    readonly traffic: {
      readonly uplinkBytesPerBatch: number;
      readonly uplinkBytesPerEvent: number;
      readonly source: string;
    };
  };
  readonly claims: readonly Claim[];
  readonly charts: readonly Chart[];
  readonly table2: readonly ScanRowAnalogue[];
  readonly sweep: SweepOutcome;
  readonly measured?: MeasuredInputs;
  readonly cost: {
    readonly paperAtAlpha6Beta05: { readonly mirrorsPerServer: number; readonly costUsdPerMirror: number };
    readonly measured?: {
      readonly mirrorsPerServer: number;
      readonly costUsdPerMirror: number;
      readonly boundBy: string;
      readonly source: string;
    };
  };
  readonly notes: readonly string[];
}
