// Public surface of the deterministic discrete-event simulator (DESIGN.md
// "sim"; issue 4): one seed → one run of a fleet of phones, links with the
// paper's Table 1 rates, a mirror server on the real core, faults, and the
// invariant checker. `runSimulation` is what the CLI and the report sweep call.
export type { Violation } from "./checker.ts";
export { coreStack } from "./core-stack.ts";
export { type NetworkKind, networkProfiles, type RateSource } from "./network-profiles.ts";
export {
  defaultFaultRates,
  defaultOptions,
  defaultWorkers,
  type FaultKind,
  type FaultRates,
  faultKinds,
  type InjectedBug,
  injectedBugs,
  parseFaults,
  reproduceCommand,
  type ServicesMode,
  type SimulationOptions,
  servicesModes,
  simulationBounds,
  swarmOptions,
  validateOptions,
} from "./options.ts";
export { deterministicPart, formatReport, type SimulationReport } from "./report.ts";
export { planShards, type ShardSpec, shardSeed } from "./shard-plan.ts";
export { type FleetHooks, runFleet } from "./sharded.ts";
export { type ServiceCounters, SimServices } from "./sim-services.ts";
export { effectiveOptions, type RunHooks, runShard, runSimulation, type ShardResult } from "./simulation.ts";
export type { SimPhone, SimServer, SimStackFactory } from "./stack.ts";
