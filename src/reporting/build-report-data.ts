// Assembles a ReportData from the models, the simulator sweep's outcome and
// any measured inputs. No IO: the runtime (write-report.ts) gathers those.
import {
  type BatteryModel,
  calibrateBatteryModel,
  fitScanModel,
  type MeasuredCostEstimate,
  measuredCostEstimate,
  paperCostEstimate,
  paperTable2,
  scanCost,
  singleExchangeBatteryPct,
} from "../model/index.ts";
import { fig10Chart, fig11Chart, fig13Chart, transferBatteryChart } from "./charts-paper.ts";
import {
  batteryVsIntervalChart,
  costVsAlphaBetaChart,
  lagVsIntervalChart,
  uplinkVsIntervalChart,
} from "./charts-trade-offs.ts";
import { buildClaims } from "./claims.ts";
import type {
  MeasuredInputs,
  ReportData,
  ScanRowAnalogue,
  SweepMeasurement,
  SweepOutcome,
} from "./report-types.ts";

export interface ReportInputs {
  readonly commit: string;
  readonly generatedAt: string;
  readonly quick: boolean;
  readonly sweep: SweepOutcome;
  readonly measured?: MeasuredInputs;
  /** Defaults to the paper-calibrated model. */
  readonly model?: BatteryModel;
  /** Where the model's sync traffic (bytes per batch and per event) comes from. */
  readonly trafficSource?: string;
}

function table2Analogue(model: BatteryModel, measured: MeasuredInputs | undefined): ScanRowAnalogue[] {
  const scan = fitScanModel();
  const exchangePct = singleExchangeBatteryPct(model, "3g");
  return paperTable2.map((row) => {
    const fit = scanCost(scan, row.folderMb);
    const speed = measured?.scanBytesPerSecond;
    return {
      folderMb: row.folderMb,
      paperPhoneTimeS: row.phoneTimeS,
      paperPhoneBatteryPct: row.phoneBatteryPct,
      paperPcTimeS: row.pcTimeS,
      modelPhoneTimeS: fit.phoneTimeS,
      modelPhoneBatteryPct: fit.phoneBatteryPct,
      mirrorScanPhoneBatteryPct: exchangePct,
      ...(speed !== undefined && speed > 0 ? { mirrorScanTimeS: (row.folderMb * 1_000_000) / speed } : {}),
    };
  });
}

function measuredCost(measured: MeasuredInputs | undefined): MeasuredCostEstimate | undefined {
  if (measured?.memoryBytesPerMirror === undefined || measured.cpuCoreSecondsPerSecond === undefined)
    return undefined;
  if (!(measured.memoryBytesPerMirror > 0 && measured.cpuCoreSecondsPerSecond > 0)) return undefined;
  return measuredCostEstimate({
    memoryBytesPerMirror: measured.memoryBytesPerMirror,
    cpuCoreSecondsPerSecond: measured.cpuCoreSecondsPerSecond,
    source: measured.source,
  });
}

/** Fault-free sweep runs that broke an invariant are findings, said with a reproduce line. */
function violationNotes(measurements: readonly SweepMeasurement[]): string[] {
  const failing = measurements.filter((m) => m.invariantViolations > 0);
  if (failing.length === 0) return [];
  const total = failing.reduce((n, m) => n + m.invariantViolations, 0);
  return [
    `${failing.length} of ${measurements.length} fault-free sweep runs reported invariant violations (${total} in all); the first reproduces with: ${failing[0]!.reproduce}`,
  ];
}

function notes(inputs: ReportInputs, model: BatteryModel): string[] {
  const out = [
    `The battery model is fitted to three of the paper's numbers (standby, periodic sync, 20 MB EDGE upload); its 3G radio powers are Qian et al.'s (IMC 2010) scaled by ${model.umtsPowerScale.toFixed(3)}. Every other battery number is a prediction.`,
    "The paper's 20 MB upload costs more than 10 % only on EDGE-like rates: on 3G at Table 1's 708 kbps the model predicts under 1 %. The G1 (AWS-band 3G) cannot use AT&T's 3G bands, so the paper's phone most likely measured on EDGE.",
    "Fig 11, 13, 14 and 15 are images in the paper without data; 'paper' series are the numbers its text and tables state.",
  ];
  if (inputs.sweep.status !== "ran")
    out.push(`Simulator sweep ${inputs.sweep.status}: ${inputs.sweep.reason}`);
  else out.push(...violationNotes(inputs.sweep.measurements));
  if (inputs.measured === undefined)
    out.push(
      "No measured per-mirror memory/CPU was given (--measured FILE or --measure-live), so the second cost estimate is absent.",
    );
  return out;
}

export function buildReportData(inputs: ReportInputs): ReportData {
  const model = inputs.model ?? calibrateBatteryModel();
  const measured = measuredCost(inputs.measured);
  const at05 = paperCostEstimate({ alphaHours: 6, beta: 0.5 });
  return {
    title: "mirrorcell feasibility report",
    generatedAt: inputs.generatedAt,
    commit: inputs.commit,
    quick: inputs.quick,
    calibration: {
      capacityJ: model.capacityJ,
      standbyPowerMw: model.standbyPowerMw,
      umtsPowerScale: model.umtsPowerScale,
      umtsDchPowerMw: model.radios["3g"].dchPowerMw,
      edgeActivePowerMw: model.radios.edge.dchPowerMw,
      traffic: {
        uplinkBytesPerBatch: model.traffic.uplinkBytesPerBatch,
        uplinkBytesPerEvent: model.traffic.uplinkBytesPerEvent,
        source: inputs.trafficSource ?? "assumed defaults (no simulator sweep to measure the codec)",
      },
    },
    claims: buildClaims(model),
    charts: [
      fig10Chart(),
      fig11Chart(),
      fig13Chart(model),
      transferBatteryChart(model, "down"),
      transferBatteryChart(model, "up"),
      uplinkVsIntervalChart(model, inputs.sweep),
      batteryVsIntervalChart(model, inputs.sweep),
      lagVsIntervalChart(model, inputs.sweep),
      costVsAlphaBetaChart(measured, inputs.measured?.source),
    ],
    table2: table2Analogue(model, inputs.measured),
    sweep: inputs.sweep,
    ...(inputs.measured === undefined ? {} : { measured: inputs.measured }),
    cost: {
      paperAtAlpha6Beta05: at05,
      ...(measured === undefined
        ? {}
        : {
            measured: {
              mirrorsPerServer: measured.mirrorsPerServer,
              costUsdPerMirror: measured.costUsdPerMirror,
              boundBy: measured.boundBy,
              source: inputs.measured?.source ?? "",
            },
          }),
    },
    notes: notes(inputs, model),
  };
}
