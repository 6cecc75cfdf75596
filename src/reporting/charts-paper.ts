// Charts that reproduce the paper's figures (Fig 10, 11, 13, 14, 15) with the
// paper's own numbers drawn beside the model's.
import {
  type BatteryModel,
  bulkTransferBattery,
  bytesPerMb,
  type Direction,
  fitScanModel,
  paperBattery,
  paperCost,
  paperCostEstimate,
  paperTable2,
  rateRangeKbps,
  scanCost,
  singleExchangeBatteryPct,
  syncBattery,
  transferTimeS,
} from "../model/index.ts";
import type { Chart, Series } from "./report-types.ts";

const range = (from: number, to: number, step: number): number[] => {
  const out: number[] = [];
  for (let x = from; x <= to + 1e-9; x += step) out.push(Math.round(x * 1000) / 1000);
  return out;
};

export function fig10Chart(): Chart {
  const alphas = range(0.5, 6, 0.5);
  const betaSeries: Series[] = [0.25, 0.5, 0.75, 1].map((beta) => ({
    label: `ours: β = ${beta}`,
    kind: "ours",
    points: alphas.map((a) => [a, paperCostEstimate({ alphaHours: a, beta }).costUsdPerMirror] as const),
  }));
  return {
    id: "fig10",
    title: "Hardware cost per mirror vs working hours α",
    reproduces: "paper Fig 10 (§6.2)",
    xLabel: "α (working hours per day)",
    yLabel: "cost per mirror (USD)",
    series: [
      ...betaSeries,
      {
        label: "paper: claimed maximum $15",
        kind: "paper",
        points: [
          [0.5, paperCost.claimedCostUsdMaxAtAlpha6Beta1],
          [6, paperCost.claimedCostUsdMaxAtAlpha6Beta1],
        ],
      },
      {
        label: "paper: $8.07 at α = 6, β = 0.5",
        kind: "paper",
        pointsOnly: true,
        points: [[6, paperCost.costUsdAtAlpha6Beta05]],
      },
      {
        label: "paper's formula: 2.69·6·1 = $16.14",
        kind: "paper",
        pointsOnly: true,
        points: [[6, paperCost.costCoefficientUsd * 6]],
      },
    ],
    note: "The paper says the cost is at most $15 even at β = 1 for 6 hours; its own formula gives $16.14 (exactly $16.15). Both are drawn.",
  };
}

function transferSeries(direction: Direction): Series[] {
  const sizesMb = range(0.5, 20, 0.5);
  const label = direction === "up" ? "upload" : "download";
  const tested = rateRangeKbps("edge", direction, "tested");
  const advertised = rateRangeKbps("edge", direction, "advertised");
  const mid = (tested.minKbps + tested.maxKbps) / 2;
  const line = (kbps: number) => sizesMb.map((mb) => [mb, transferTimeS(mb * bytesPerMb, kbps)] as const);
  return [
    { label: `ours: EDGE ${label} at ${mid} kbps`, kind: "ours", points: line(mid) },
    {
      label: `paper Table 1: EDGE ${label} tested ${tested.minKbps} kbps`,
      kind: "paper",
      points: line(tested.minKbps),
    },
    {
      label: `paper Table 1: EDGE ${label} tested ${tested.maxKbps} kbps`,
      kind: "paper",
      points: line(tested.maxKbps),
    },
    {
      label: `paper Table 1: EDGE ${label} advertised ${advertised.minKbps} kbps`,
      kind: "paper",
      points: line(advertised.minKbps),
    },
  ];
}

export function fig11Chart(): Chart {
  return {
    id: "fig11",
    title: "Time to upload or download a file over EDGE",
    reproduces: "paper Fig 11 (§5.1), from Table 1",
    xLabel: "file size (MB)",
    yLabel: "time (s)",
    series: [...transferSeries("up"), ...transferSeries("down")],
    note: "The paper draws Fig 11 from Table 1's tested EDGE rates; we draw the midpoint and both ends of the tested range, and the slowest advertised rate.",
  };
}

export function fig13Chart(model: BatteryModel): Chart {
  const scan = fitScanModel();
  const sizes = range(0, 200, 10);
  return {
    id: "fig13",
    title: "Battery cost of a virus scan: on the phone vs on its mirror",
    reproduces: "paper Fig 13 and Table 2 (§5.2)",
    xLabel: "folder size (MB)",
    yLabel: "battery (%)",
    series: [
      {
        label: "paper Table 2: SMobile on the phone",
        kind: "paper",
        pointsOnly: true,
        points: paperTable2.map((r) => [r.folderMb, r.phoneBatteryPct] as const),
      },
      {
        label: "ours: Table 2 fit",
        kind: "ours",
        points: sizes.map((mb) => [mb, scanCost(scan, mb).phoneBatteryPct] as const),
      },
      {
        label: "ours: scan on the mirror (phone sends one request over 3G)",
        kind: "ours",
        points: sizes.map((mb) => [mb, singleExchangeBatteryPct(model, "3g")] as const),
      },
    ],
    note: "On the mirror the phone pays only for one request and one answer, whatever the folder size.",
  };
}

/** Fig 14 (download) and Fig 15 (upload): battery left over time, 20 MB via ftp vs syncing vs standby. */
export function transferBatteryChart(model: BatteryModel, direction: Direction): Chart {
  const minutes = range(0, 25, 0.5);
  const sizeBytes = paperBattery.bulkUploadFileMb * bytesPerMb;
  const standby = syncBattery(model, { network: "3g", syncIntervalS: 60, eventsPerSecond: 0.5 });
  const drainLine = (pctPerMin: number) => minutes.map((m) => [m, 100 - pctPerMin * m] as const);
  const transferLine = (network: "edge" | "3g"): Series => {
    const cost = bulkTransferBattery(model, { network, direction, sizeBytes });
    const pctPerMin = cost.batteryPct / (cost.timeS / 60);
    const endMin = cost.timeS / 60;
    const points = minutes.map(
      (m) =>
        [
          m,
          100 - (m <= endMin ? pctPerMin * m : cost.batteryPct + standby.standbyPctPerMin * (m - endMin)),
        ] as const,
    );
    return {
      label: `ours: 20 MB ftp ${direction === "up" ? "upload" : "download"} over ${network.toUpperCase()}`,
      kind: "ours",
      points,
    };
  };
  const series: Series[] = [
    transferLine("edge"),
    transferLine("3g"),
    { label: "ours: standby", kind: "ours", points: drainLine(standby.standbyPctPerMin) },
    {
      label: "ours: periodic sync (60 s, 0.5 ev/s, 3G)",
      kind: "ours",
      points: drainLine(standby.totalPctPerMin),
    },
    {
      label: "paper: standby 0.09 %/min",
      kind: "paper",
      pointsOnly: true,
      points: drainLine(paperBattery.standbyPctPerMin).filter((_, i) => i % 10 === 0),
    },
    {
      label: "paper: periodic sync 0.116835 %/min",
      kind: "paper",
      pointsOnly: true,
      points: drainLine(paperBattery.periodicSyncPctPerMin).filter((_, i) => i % 10 === 5),
    },
  ];
  if (direction === "up") {
    const edge = bulkTransferBattery(model, { network: "edge", direction, sizeBytes });
    series.push({
      label: "paper: 20 MB upload costs > 10 %",
      kind: "paper",
      pointsOnly: true,
      points: [[edge.timeS / 60, 90]],
    });
  }
  return {
    id: direction === "up" ? "fig15" : "fig14",
    title: `Battery left while ${direction === "up" ? "uploading" : "downloading"} 20 MB, syncing, or idle`,
    reproduces: `paper Fig ${direction === "up" ? 15 : 14} (§5.1.2)`,
    xLabel: "time (min)",
    yLabel: "battery left (%)",
    series,
    note: "Standby, periodic sync and the 20 MB EDGE upload are calibration points; the EDGE download and every 3G curve are predictions.",
  };
}
