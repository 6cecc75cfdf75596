// Feasibility models (paper §5, §6): transfer time, radio energy and battery,
// scan cost, hardware cost, and the choice of t_syn_int. Pure functions.
export {
  type BatteryModel,
  type BulkTransfer,
  type BulkTransferBattery,
  bulkTransferBattery,
  type CalibrationOptions,
  calibrateBatteryModel,
  defaultSyncTraffic,
  g1BatteryCapacityJ,
  type SyncBattery,
  type SyncScenario,
  type SyncTraffic,
  singleExchangeBatteryPct,
  syncBattery,
  syncBatteryForBatchBytes,
} from "./battery.ts";
export {
  type CostEstimate,
  type CpuCostInput,
  type MeasuredCostEstimate,
  type MeasuredMirrorUsage,
  measuredCostEstimate,
  paperCostCoefficientUsd,
  paperCostEstimate,
  paperMirrorsPerServer,
  powerEdge1900,
  type ServerSpec,
} from "./cost.ts";
export {
  candidateIntervalsS,
  chooseSyncInterval,
  type IntervalChoice,
  type IntervalGoal,
  worstLagS,
} from "./interval.ts";
export {
  type Direction,
  type KbpsRange,
  type NetworkKind,
  type PaperScanRow,
  paperBattery,
  paperCost,
  paperLatencyMsMax,
  paperTable1,
  paperTable2,
  paperTable3,
} from "./paper.ts";
export { periodicTransmissions, type RadioEnergy, radioEnergy, type Transmission } from "./radio-energy.ts";
export { edgeReference, type RadioProfile, scaleRadioPower, umtsQian2010 } from "./radio-profile.ts";
export {
  evalLine,
  fitLine,
  fitScanModel,
  type Line,
  type ScanCost,
  type ScanModel,
  scanCost,
} from "./scan.ts";
export {
  bytesPerMb,
  type RateSource,
  rateKbpsMid,
  rateRangeKbps,
  type TransferTime,
  transferTime,
  transferTimeS,
} from "./transfer.ts";
