// runSimulation: one seed → one run (TigerBeetle's VOPR is the model). Builds
// the fleet, schedules workload, sync ticks and faults, runs the bounded
// safety phase, then the convergence phase with faults off, checks the
// invariants and returns the report. Wall-clock time is read only for the
// wallSeconds metric; nothing inside the run depends on it.
import { performance } from "node:perf_hooks";
import { assert } from "../core/assert.ts";
import { SeededRng } from "../core/rng.ts";
import { InvariantChecker } from "./checker.ts";
import { coreStack } from "./core-stack.ts";
import { Fleet } from "./fleet.ts";
import type { SparseLagHistogram } from "./lag-histogram.ts";
import {
  reproduceCommand,
  type SimulationOptions,
  simulationBounds,
  swarmOptions,
  validateOptions,
} from "./options.ts";
import type { SimulationReport } from "./report.ts";
import { ServiceWorkload } from "./service-workload.ts";
import { EventType, type SimEvent } from "./sim-events.ts";
import type { BatchCutHook, SimStackFactory } from "./stack.ts";

export interface RunHooks {
  /** Called with the fraction of the safety phase done (0..1), at most ~100 times. */
  onProgress?: (fraction: number) => void;
  /** The stack to drive; the real core by default. */
  stack?: SimStackFactory;
}

/** Resolves swarm mode: the options the run actually uses. */
export function effectiveOptions(requested: SimulationOptions): SimulationOptions {
  const valid = validateOptions(requested);
  if (!valid.ok) throw valid.error;
  return requested.swarm ? swarmOptions(requested) : requested;
}

/** One fleet in this thread (`--workers 1`); `runFleet` in sharded.ts runs any shard count. */
export function runSimulation(requested: SimulationOptions, hooks: RunHooks = {}): SimulationReport {
  assert((requested.workers ?? 1) === 1, "runSimulation runs one fleet; runFleet shards across workers");
  return runShard(effectiveOptions(requested), requested, 0, hooks).report;
}

/** A shard's report plus its exact lag histogram, so shards merge without averaging percentiles. */
export interface ShardResult {
  report: SimulationReport;
  lag: SparseLagHistogram;
  /** Peak heap of the shard's worker thread (sampled at progress reports), when it ran in one. */
  heapPeakBytes?: number;
}

/**
 * Runs one fleet: `options` already resolved (swarm applied), its phones
 * numbered from `phoneBase` so device ids stay unique across shards.
 */
export function runShard(
  options: SimulationOptions,
  requested: SimulationOptions,
  phoneBase: number,
  hooks: RunHooks,
): ShardResult {
  assert(Number.isSafeInteger(phoneBase) && phoneBase >= 0, "phone base must be a non-negative integer");
  assert(validateOptions(options).ok, "a shard runs valid, resolved options");
  const stack = hooks.stack ?? coreStack();
  const wallStartMs = performance.now();
  const rng = new SeededRng(options.seed);
  const horizonMs = Math.round(options.hours * 3_600_000);
  // Lag bound (invariant 3): t_syn_int + t_max, plus the longest a frame of
  // that phone waited for and occupied its uplink (a photo on EDGE takes
  // seconds) — the "processing" of virtual time; +1 for integer-ms rounding.
  let fleetRef: Fleet | undefined;
  const checker = new InvariantChecker({
    nominal: options.faults.length === 0,
    lagBoundMs: options.syncIntervalMs + options.latencyMsMax + 1,
    uplinkDelayMs: (deviceId) => Math.ceil(fleetRef?.uplinkOf(deviceId).stats.transmitMsMax ?? 0),
  });
  const stackOptions = {
    syncIntervalMs: options.syncIntervalMs,
    latencyMsMax: options.latencyMsMax,
    eventsPerSec: options.eventsPerSec,
    payloadScale: options.payloadScale,
    bug: options.bug,
    services: options.services,
    fleetPhones: requested.phones,
    sharedSteps: options.sharedSteps,
  };
  const server = stack.createServer(
    {
      user: (d, input, now) =>
        checker.mirrorAppliedUser(d, input.seq, input.networkConsumed, input.timeMs, now),
      network: (d, input, now) => checker.mirrorAppliedNetwork(d, input.index, now),
      batchDone: (d, batchNo, digest, now) => void checker.mirrorBatchDone(d, batchNo, digest, now),
      restored: (d, lastSeq, consumed) => checker.restoredFrom(d, lastSeq, consumed),
    },
    stackOptions,
  );
  const fleet = new Fleet(options, server, checker, rng.fork("fleet"));
  fleetRef = fleet;
  const onBatchCut: BatchCutHook = (deviceId, batchNo, lastSeq, consumed, digest) => {
    fleet.counters.batches++;
    checker.phoneCutBatch(deviceId, batchNo, lastSeq, consumed, digest);
  };
  for (let i = 0; i < options.phones; i++) {
    const phoneRng = rng.fork(`phone-${i}`);
    // Phones boot at different moments, so their sync windows do not align.
    const startMs = phoneRng.int(0, options.syncIntervalMs - 1);
    const phoneOptions = { ...stackOptions, rng: phoneRng.fork("stack"), onBatchCut, startMs };
    fleet.addPhone(stack.createPhone(phoneBase + i, phoneOptions), phoneRng, startMs);
  }
  if (server.services !== undefined) fleet.serviceWorkload = new ServiceWorkload(fleet);
  scheduleStart(fleet, horizonMs);
  runPhases(fleet, horizonMs, hooks);
  finalChecks(fleet);
  const wallSeconds = (performance.now() - wallStartMs) / 1000;
  return { report: buildReport(requested, fleet, horizonMs, wallSeconds), lag: checker.lag.toSparse() };
}

function scheduleStart(fleet: Fleet, horizonMs: number): void {
  const o = fleet.options;
  for (let phone = 0; phone < fleet.phones.length; phone++) {
    fleet.nextStep(phone);
    fleet.scheduleTick(phone);
    fleet.serviceWorkload?.schedule(phone);
    if (o.faults.includes("partition")) {
      fleet.schedule(
        fleet.exponentialMs(o.faultRates.partitionIntervalMsMean),
        fleet.event(EventType.partition, phone),
      );
    }
    if (o.faults.includes("poweroff")) {
      const atMs = fleet.phones[phone]!.startMs + fleet.exponentialMs(o.faultRates.powerOffIntervalMsMean);
      fleet.schedule(atMs, fleet.event(EventType.powerOff, phone));
    }
  }
  if (o.faults.includes("crash")) {
    fleet.schedule(fleet.exponentialMs(o.faultRates.crashIntervalMsMean), fleet.event(EventType.crash, -1));
  }
  fleet.schedule(horizonMs, fleet.event(EventType.phaseEnd, -1));
}

function runPhases(fleet: Fleet, horizonMs: number, hooks: RunHooks): void {
  const stepMs = Math.max(1, Math.ceil(horizonMs / 100));
  let reportedMs = 0;
  const dispatch = (event: SimEvent) => {
    handle(fleet, event);
    if (hooks.onProgress !== undefined && fleet.nowMs - reportedMs >= stepMs) {
      reportedMs = fleet.nowMs;
      hooks.onProgress(Math.min(1, fleet.nowMs / horizonMs));
    }
  };
  const convergenceMsMax =
    simulationBounds.convergenceIntervalsMax * fleet.options.syncIntervalMs +
    simulationBounds.convergenceSlackMs;
  fleet.runUntil(horizonMs + convergenceMsMax, dispatch, () => fleet.convergedAtMs !== undefined);
  hooks.onProgress?.(1);
}

/**
 * Events that read or change a phone's state (its Syn-Client, platform or
 * power) first apply the user steps it has buffered up to now (Fleet.advance).
 * The others touch only the server, a link or the phone's network-input count
 * (which user steps never change): workload advances itself, a retransmission
 * reads networkConsumed, an uplink arrival advances only when it breaks the
 * connection.
 */
const advancesPhone: readonly boolean[] = (() => {
  const flags: boolean[] = [];
  for (const type of Object.values(EventType)) flags[type] = false;
  for (const type of [
    EventType.syncTick,
    EventType.downlinkFrame,
    EventType.downlinkNetwork,
    EventType.reconnect,
    EventType.partition,
    EventType.powerOff,
    EventType.boot,
    EventType.service,
  ])
    flags[type] = true;
  return flags;
})();

function handle(fleet: Fleet, e: SimEvent): void {
  if (advancesPhone[e.type]) fleet.advance(e.phone);
  switch (e.type) {
    case EventType.workload:
      fleet.workload(e.phone);
      break;
    case EventType.syncTick:
      fleet.syncTick(e.phone);
      break;
    case EventType.uplinkArrive:
      fleet.uplinkArrive(e.phone, e.bytes!);
      break;
    case EventType.downlinkFrame:
      fleet.downlinkFrame(e.phone, e.bytes!);
      break;
    case EventType.downlinkNetwork:
      fleet.downlinkNetwork(e.phone, e.input!, e.attempt);
      break;
    case EventType.networkRetransmit:
      fleet.transmitNetwork(e.phone, e.input!, e.attempt);
      break;
    case EventType.serverTick:
      fleet.serverTick();
      break;
    case EventType.reconnect:
      fleet.reconnect(e.phone);
      break;
    case EventType.partition:
      partition(fleet, e.phone);
      break;
    case EventType.powerOff:
      powerOff(fleet, e.phone);
      break;
    case EventType.boot:
      boot(fleet, e.phone);
      break;
    case EventType.crash:
      crash(fleet);
      break;
    case EventType.restart:
      fleet.restart();
      break;
    case EventType.convergenceCheck:
      convergenceCheck(fleet);
      break;
    case EventType.phaseEnd:
      startConvergence(fleet);
      break;
    case EventType.service:
      fleet.serviceWorkload?.step(e.phone);
      break;
  }
}

function partition(fleet: Fleet, phone: number): void {
  if (fleet.converging) return;
  const r = fleet.options.faultRates;
  const node = fleet.phones[phone]!;
  const untilMs = fleet.nowMs + fleet.faultDelayMs(r.partitionDurationMsMax);
  node.uplink.partition(untilMs);
  node.downlink.partition(untilMs);
  fleet.counters.partitions++;
  fleet.connectionBroke(phone);
  fleet.schedule(
    untilMs + fleet.exponentialMs(r.partitionIntervalMsMean),
    fleet.event(EventType.partition, phone),
  );
}

function powerOff(fleet: Fleet, phone: number): void {
  const node = fleet.phones[phone]!;
  if (fleet.converging || !node.on) return;
  fleet.sendUp(phone, node.stack.powerOff(fleet.nowMs));
  node.on = false;
  fleet.counters.powerOffs++;
  const bootAtMs = fleet.nowMs + fleet.faultDelayMs(fleet.options.faultRates.powerOffDurationMsMax);
  fleet.schedule(bootAtMs, fleet.event(EventType.boot, phone));
}

function boot(fleet: Fleet, phone: number): void {
  const node = fleet.phones[phone]!;
  if (node.on) return;
  node.on = true;
  node.stack.boot(fleet.nowMs);
  fleet.reconnect(phone);
  fleet.scheduleTick(phone);
  if (!fleet.converging) {
    const mean = fleet.options.faultRates.powerOffIntervalMsMean;
    fleet.schedule(fleet.nowMs + fleet.exponentialMs(mean), fleet.event(EventType.powerOff, phone));
  }
}

function crash(fleet: Fleet): void {
  if (fleet.converging) return;
  const r = fleet.options.faultRates;
  fleet.crash();
  const restartAtMs = fleet.nowMs + fleet.faultDelayMs(r.restartDelayMsMax);
  fleet.schedule(restartAtMs, fleet.event(EventType.restart, -1));
  fleet.schedule(restartAtMs + fleet.exponentialMs(r.crashIntervalMsMean), fleet.event(EventType.crash, -1));
}

/** Safety phase over: faults off, links healed, phones on, server up, workload stopped. */
function startConvergence(fleet: Fleet): void {
  assert(!fleet.converging, "convergence starts once");
  // User steps before the horizon happen; those at it or later never do (faults and workload stop here).
  for (let phone = 0; phone < fleet.phones.length; phone++) fleet.dropWorkload(phone);
  fleet.converging = true;
  for (let phone = 0; phone < fleet.phones.length; phone++) {
    const node = fleet.phones[phone]!;
    node.uplink.heal();
    node.downlink.heal();
    node.uplink.faults = node.downlink.faults = {
      ...node.uplink.faults,
      lossProbability: 0,
      duplicateProbability: 0,
      reorderProbability: 0,
    };
    if (!node.on) boot(fleet, phone);
    else fleet.reconnect(phone);
  }
  fleet.restart();
  fleet.schedule(fleet.nowMs + fleet.options.syncIntervalMs, fleet.event(EventType.convergenceCheck, -1));
}

function convergenceCheck(fleet: Fleet): void {
  const done = fleet.phones.every((n) => fleet.checker.caughtUp(n.stack.deviceId) && n.stack.idle());
  const server = fleet.server;
  const replayDueMs = server.syncDueMs === undefined ? server.nextDueMs() : server.syncDueMs();
  if (done && replayDueMs === undefined) {
    fleet.convergedAtMs = fleet.nowMs;
    return;
  }
  fleet.schedule(fleet.nowMs + fleet.options.syncIntervalMs, fleet.event(EventType.convergenceCheck, -1));
}

function finalChecks(fleet: Fleet): void {
  const { checker, server } = fleet;
  for (const node of fleet.phones) {
    const id = node.stack.deviceId;
    checker.finalCheck(id, server.mirrorDigest(id), node.stack.digest(), fleet.nowMs);
    const diff = server.treeDiff(id, node.stack);
    if (diff.length > 0)
      checker.violate(1, id, fleet.nowMs, `mirror tree differs at ${diff.slice(0, 5).join(", ")}`);
  }
  if (fleet.convergedAtMs === undefined) {
    checker.violate(2, "*", fleet.nowMs, "the fleet did not converge within the convergence bound");
  }
  const stats = server.stats();
  if (stats.leakedOutputs > 0) {
    checker.violate(
      5,
      "*",
      fleet.nowMs,
      `${stats.leakedOutputs} server outputs were not sync replies to their phone`,
    );
  }
  if ((stats.acksBeforeDurable ?? 0) > 0) {
    checker.violate(2, "*", fleet.nowMs, `${stats.acksBeforeDurable} acks for batches not yet durable`);
  }
  if (fleet.counters.networkRefused > 0) {
    checker.violate(
      2,
      "*",
      fleet.nowMs,
      `phones refused ${fleet.counters.networkRefused} recorded network inputs`,
    );
  }
}

function buildReport(
  requested: SimulationOptions,
  fleet: Fleet,
  horizonMs: number,
  wallSeconds: number,
): SimulationReport {
  const { counters, checker, options } = fleet;
  const links = { lost: 0, duplicated: 0, reordered: 0, droppedByPartition: 0 };
  for (const node of fleet.phones) {
    for (const link of [node.uplink, node.downlink]) {
      links.lost += link.stats.lost;
      links.duplicated += link.stats.duplicated;
      links.reordered += link.stats.reordered;
      links.droppedByPartition += link.stats.droppedByPartition;
    }
  }
  const stats = fleet.server.stats();
  const { faultRates, ...shown } = options;
  return {
    seed: options.seed,
    phones: options.phones,
    simulatedSeconds: horizonMs / 1000,
    userEvents: counters.userEvents,
    networkInputs: counters.networkInputs,
    batches: counters.batches,
    uplinkBytes: counters.uplinkBytes,
    uplinkBytesPerUserEvent:
      counters.userEvents === 0 ? 0 : round3(counters.uplinkBytes / counters.userEvents),
    photoBytes: counters.photoBytes,
    uplinkBytesPerUserEventWithoutPhotos:
      counters.userEvents === 0
        ? 0
        : round3((counters.uplinkBytes - counters.photoBytes) / counters.userEvents),
    downlinkBytes: counters.downlinkBytes,
    lagMs: { p50: checker.lag.quantile(0.5), p99: checker.lag.quantile(0.99), max: checker.lag.max },
    divergences: Math.max(stats.divergences, checker.divergencesObserved),
    repairs: stats.repairs,
    batchesDigestChecked: checker.batchesChecked,
    invariantViolations: checker.violationsTotal,
    violations: checker.violations,
    converged: fleet.convergedAtMs !== undefined,
    convergenceSeconds: ((fleet.convergedAtMs ?? fleet.nowMs) - horizonMs) / 1000,
    faults: {
      enabled: [...options.faults],
      messagesLost: links.lost,
      messagesDuplicated: links.duplicated,
      messagesReordered: links.reordered,
      droppedByPartition: links.droppedByPartition,
      partitions: counters.partitions,
      crashes: counters.crashes,
      powerOffs: counters.powerOffs,
      reconnects: counters.reconnects,
    },
    userInputsRefused: counters.userRefused,
    framesRejected: stats.framesRejected,
    batchesLostOnCrash: stats.batchesLostOnCrash ?? 0,
    firstRejection: stats.firstRejection,
    simEvents: counters.simEvents,
    options: options.faults.length > 0 ? { ...shown, faultRates } : shown,
    reproduce: reproduceCommand(requested),
    wallSeconds: round3(wallSeconds),
    simEventsPerWallSecond: Math.round(counters.simEvents / Math.max(wallSeconds, 1e-6)),
    ...(fleet.server.services === undefined ? {} : { services: fleet.server.services.report() }),
  };
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
