// The feasibility report (issue 9): models + simulator sweep → HTML with
// charts, Markdown summary, JSON data.
export { buildReportData, type ReportInputs } from "./build-report-data.ts";
export { formatUsd } from "./format.ts";
export { escapeHtml, type PageAssets, renderHtml, scriptSafeJson } from "./html.ts";
export { renderMarkdown } from "./markdown.ts";
export { type LiveMeasurementPlan, measureSimulatorUsage } from "./measure-live.ts";
export { parseMeasuredInputs } from "./measured.ts";
export type {
  Chart,
  Claim,
  ClaimStatus,
  MeasuredInputs,
  ReportData,
  ScanRowAnalogue,
  Series,
  SweepMeasurement,
  SweepOutcome,
  SweepPoint,
} from "./report-types.ts";
export { type LoadedSimulator, loadSimulator } from "./sim-loader.ts";
export {
  asSimulationSummary,
  fitSyncTraffic,
  runSweep,
  type SimulationRunner,
  type SimulationSummary,
  type SweepPlan,
  sweepPlan,
  toMeasurement,
  withModel,
} from "./sim-sweep.ts";
export {
  currentCommit,
  loadPageAssets,
  type WriteReportOptions,
  type WrittenReport,
  writeReport,
} from "./write-report.ts";
