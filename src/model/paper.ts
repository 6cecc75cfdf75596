// Every number the paper states that the feasibility models reproduce, in one
// place, with the section it comes from (paper §1, §5, §6, Tables 1–3).
// The models never read these to compute an answer except where a value is an
// input (rates, hardware); tests and the report compare model output to them.

/** A rate range in kilobits per second (1 kbps = 1000 bit/s). */
export interface KbpsRange {
  readonly minKbps: number;
  readonly maxKbps: number;
}

export type NetworkKind = "edge" | "3g";
export type Direction = "up" | "down";

/** Table 1: AT&T EDGE and 3G rates measured in State College. */
export const paperTable1: Readonly<
  Record<NetworkKind, Record<Direction, { advertised: KbpsRange; tested: KbpsRange }>>
> = {
  edge: {
    up: { advertised: { minKbps: 75, maxKbps: 135 }, tested: { minKbps: 140, maxKbps: 160 } },
    down: { advertised: { minKbps: 75, maxKbps: 135 }, tested: { minKbps: 170, maxKbps: 190 } },
  },
  "3g": {
    up: { advertised: { minKbps: 500, maxKbps: 1200 }, tested: { minKbps: 708, maxKbps: 708 } },
    down: { advertised: { minKbps: 700, maxKbps: 1700 }, tested: { minKbps: 1259, maxKbps: 1259 } },
  },
};

/** Table 2: antivirus scan of folders of APK files. */
export interface PaperScanRow {
  readonly folderMb: number;
  readonly phoneTimeS: number;
  readonly phoneBatteryPct: number;
  readonly pcTimeS: number;
}

export const paperTable2: readonly PaperScanRow[] = [
  { folderMb: 10, phoneTimeS: 120, phoneBatteryPct: 2, pcTimeS: 12 },
  { folderMb: 50, phoneTimeS: 600, phoneBatteryPct: 3, pcTimeS: 31 },
  { folderMb: 100, phoneTimeS: 1140, phoneBatteryPct: 6, pcTimeS: 57 },
  { folderMb: 200, phoneTimeS: 2340, phoneBatteryPct: 10, pcTimeS: 110 },
];

/** Table 3 and §6.2: the phone and the server of the cost model. */
export const paperTable3 = {
  phoneCpuMhz: 528, // Android G1
  phoneMemoryMb: 192,
  serverPriceUsd: 1566,
  serverCpuMhz: 12_800, // two CPUs, 8 cores at 1.6 GHz
  serverMemoryMb: 8 * 1024,
  serverCores: 8,
} as const;

/** §5.1.2 and Fig 13–15: battery drain the paper measured on the G1. */
export const paperBattery = {
  standbyPctPerMin: 0.09,
  periodicSyncPctPerMin: 0.116835,
  periodicSyncEventsPerSecond: 0.5,
  periodicSyncIntervalS: 60,
  /** §1: "uploading a 20MB file would cost more than 10% battery". */
  bulkUploadFileMb: 20,
  bulkUploadBatteryPctMin: 10,
} as const;

/** §6.2 and Fig 10: the cost model's stated results. */
export const paperCost = {
  alphaHoursMax: 6,
  mirrorsPerServerAtAlpha6Beta05: 194,
  costUsdAtAlpha6Beta05: 8.07,
  costCoefficientUsd: 2.69,
  /** Fig 10 text: "at most $15 even when users use 100% CPU for the whole 6 hours". */
  claimedCostUsdMaxAtAlpha6Beta1: 15,
  claimedCostUsdTypicalRange: [5, 10] as const,
} as const;

/** §3.3.2: replay starts t_max after the batch is sent; 100 ms on 3G. */
export const paperLatencyMsMax = 100;
