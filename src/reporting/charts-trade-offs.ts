// New charts the paper does not have: uplink bytes, battery and lag against
// t_syn_int (model curves beside simulator measurements), and cost per
// mirror against α·β (the paper's CPU estimate beside our measured one).
import {
  type BatteryModel,
  type MeasuredCostEstimate,
  type NetworkKind,
  paperCost,
  paperCostCoefficientUsd,
  syncBattery,
  worstLagS,
} from "../model/index.ts";
import type { Chart, Series, SweepMeasurement, SweepOutcome } from "./report-types.ts";

export const modelIntervalsS = [
  1, 2, 3, 5, 7, 10, 12, 15, 17, 18, 19, 20, 22, 25, 30, 45, 60, 90, 120, 180, 300, 600, 900, 1800, 3600,
];
const modelEventsPerSecond = 0.5;
const networks: NetworkKind[] = ["3g", "edge"];

function measuredSeries(sweep: SweepOutcome, label: string, y: (m: SweepMeasurement) => number): Series[] {
  if (sweep.status !== "ran") return [];
  const groups = new Map<string, SweepMeasurement[]>();
  for (const m of sweep.measurements) {
    const key = `${m.point.network.toUpperCase()}, ${m.point.eventsPerSecond} ev/s`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.entries()].map(([key, ms]) => ({
    label: `simulator: ${label} (${key})`,
    kind: "measured" as const,
    pointsOnly: true,
    points: ms.map((m) => [m.point.syncIntervalS, y(m)] as const).sort((a, b) => a[0] - b[0]),
  }));
}

export function uplinkVsIntervalChart(model: BatteryModel, sweep: SweepOutcome): Chart {
  const modelSeries: Series = {
    label: `model: ${Math.round(model.traffic.uplinkBytesPerBatch)} B/batch + ${model.traffic.uplinkBytesPerEvent.toFixed(1)} B/event at ${modelEventsPerSecond} ev/s`,
    kind: "ours",
    points: modelIntervalsS.map(
      (s) =>
        [
          s,
          syncBattery(model, { network: "3g", syncIntervalS: s, eventsPerSecond: modelEventsPerSecond })
            .uplinkBytesPerMin,
        ] as const,
    ),
  };
  return {
    id: "uplink-vs-interval",
    title: "Uplink bytes per phone per minute vs sync interval",
    reproduces: "new",
    xLabel: "t_syn_int (s)",
    yLabel: "uplink (B/min per phone)",
    xLog: true,
    yLog: true,
    series: [modelSeries, ...measuredSeries(sweep, "uplink", (m) => m.uplinkBytesPerPhonePerMin)],
    note: "Short intervals pay the per-batch overhead more often; the simulator counts every byte its codec puts on the wire.",
  };
}

export function batteryVsIntervalChart(model: BatteryModel, sweep: SweepOutcome): Chart {
  const modelSeries = networks.map(
    (network): Series => ({
      label: `model: sync drain on ${network.toUpperCase()} at ${modelEventsPerSecond} ev/s`,
      kind: "ours",
      points: modelIntervalsS.map(
        (s) =>
          [
            s,
            syncBattery(model, { network, syncIntervalS: s, eventsPerSecond: modelEventsPerSecond })
              .radioPctPerDay,
          ] as const,
      ),
    }),
  );
  return {
    id: "battery-vs-interval",
    title: "Battery the sync costs per day (above standby) vs sync interval",
    reproduces: "new",
    xLabel: "t_syn_int (s)",
    yLabel: "battery (%/day)",
    xLog: true,
    series: [
      ...modelSeries,
      {
        label: "paper: 60 s, 0.5 ev/s → 0.026835 %/min above standby",
        kind: "paper",
        pointsOnly: true,
        points: [[60, 0.026835 * 1440]],
      },
      ...measuredSeries(sweep, "batches on the radio model", (m) => m.radioPctPerDay),
    ],
    note: "The bump just above 19 s is the RRC tail: the radio has just gone IDLE when the next batch pays a full promotion again. Below the 5 s DCH tail the radio never leaves DCH.",
  };
}

export function lagVsIntervalChart(model: BatteryModel, sweep: SweepOutcome): Chart {
  const bound = (network: NetworkKind): Series => ({
    label: `model: worst-case lag on ${network.toUpperCase()}`,
    kind: "ours",
    points: modelIntervalsS.map(
      (s) => [s, worstLagS(model, { network, eventsPerSecond: modelEventsPerSecond }, s)] as const,
    ),
  });
  return {
    id: "lag-vs-interval",
    title: "Mirror lag vs sync interval",
    reproduces: "new",
    xLabel: "t_syn_int (s)",
    yLabel: "lag (s)",
    xLog: true,
    yLog: true,
    series: [
      ...networks.map(bound),
      ...measuredSeries(sweep, "lag p50", (m) => m.lagMsP50 / 1000),
      ...measuredSeries(sweep, "lag p99", (m) => m.lagMsP99 / 1000),
    ],
    note: "Worst case = t_syn_int + radio promotion + uplink time + t_max (100 ms). The simulator's lag is from an input's time on the phone to its replay on the mirror.",
  };
}

export function costVsAlphaBetaChart(
  measured: MeasuredCostEstimate | undefined,
  source: string | undefined,
): Chart {
  const xs = [0.25, 0.5, 1, 1.5, 2, 3, 4, 5, 6];
  const k = paperCostCoefficientUsd();
  const series: Series[] = [
    { label: "paper formula: C = 2.69·α·β", kind: "ours", points: xs.map((x) => [x, k * x] as const) },
    {
      label: "paper: $8.07 at α·β = 3",
      kind: "paper",
      pointsOnly: true,
      points: [[3, paperCost.costUsdAtAlpha6Beta05]],
    },
    {
      label: "paper: claims ≤ $15 at α·β = 6",
      kind: "paper",
      pointsOnly: true,
      points: [[6, paperCost.claimedCostUsdMaxAtAlpha6Beta1]],
    },
  ];
  if (measured !== undefined) {
    series.push({
      label: `measured: ${measured.mirrorsPerServer} mirrors/server (${measured.boundBy}-bound)`,
      kind: "measured",
      points: [
        [xs[0]!, measured.costUsdPerMirror],
        [xs[xs.length - 1]!, measured.costUsdPerMirror],
      ],
    });
  }
  return {
    id: "cost-vs-alphabeta",
    title: "Hardware cost per mirror vs α·β",
    reproduces: "new",
    xLabel: "α·β (CPU-hours per day at the phone's 528 MHz)",
    yLabel: "cost per mirror (USD)",
    series,
    note:
      measured === undefined
        ? "No measured memory/CPU per mirror was given, so only the paper's CPU estimate is drawn."
        : `Measured line from ${source}. The usage over-counts our mirror (it includes the simulated phone), but our mirrors are deterministic state machines, not Android VMs, so a VM deployment would cost more than this line.`,
  };
}
