// The report of one simulation run: the metrics issue 4 asks for, in one
// JSON object, plus a short human rendering.
import type { Violation } from "./checker.ts";
import type { SimulationOptions } from "./options.ts";
import type { SimServices } from "./sim-services.ts";

export interface SimulationReport {
  seed: number;
  phones: number;
  simulatedSeconds: number;
  userEvents: number;
  networkInputs: number;
  batches: number;
  uplinkBytes: number;
  uplinkBytesPerUserEvent: number;
  /** Camera photo bytes recorded on phones (they are uplink too; scaled by payloadScale). */
  photoBytes: number;
  /** Uplink bytes per user event, photo bytes taken out: the codec's own cost. */
  uplinkBytesPerUserEventWithoutPhotos: number;
  downlinkBytes: number;
  lagMs: { p50: number; p99: number; max: number };
  divergences: number;
  repairs: number;
  /** Batches whose mirror digest the checker compared with the phone's (invariant 1): every batch cut. */
  batchesDigestChecked: number;
  invariantViolations: number;
  violations: Violation[];
  converged: boolean;
  convergenceSeconds: number;
  faults: {
    enabled: string[];
    messagesLost: number;
    messagesDuplicated: number;
    messagesReordered: number;
    droppedByPartition: number;
    partitions: number;
    crashes: number;
    powerOffs: number;
    reconnects: number;
  };
  /** User intents the phone platform refused with a typed error (not shipped). */
  userInputsRefused: number;
  /** Frames the server refused with a typed error, and the first such error. */
  framesRejected: number;
  firstRejection: string;
  /** Accepted but not yet committed batches a server crash lost (resent by their phones). */
  batchesLostOnCrash: number;
  /** Events the scheduler's heap ran (ticks, frames, network steps, faults); a phone's user steps run in bursts inside them. */
  simEvents: number;
  options: Omit<SimulationOptions, "faultRates"> & { faultRates?: SimulationOptions["faultRates"] };
  reproduce: string;
  wallSeconds: number;
  simEventsPerWallSecond: number;
  /** Only with --services: what the caching and antivirus services did. */
  services?: ReturnType<SimServices["report"]>;
}

/** The report without the two wall-clock figures: identical for identical seeds. */
export function deterministicPart(
  report: SimulationReport,
): Omit<SimulationReport, "wallSeconds" | "simEventsPerWallSecond"> {
  const { wallSeconds: _w, simEventsPerWallSecond: _r, ...rest } = report;
  return rest;
}

export function formatReport(r: SimulationReport): string {
  const lines = [
    `simulated: ${r.phones} phones × ${r.simulatedSeconds} s (+${r.convergenceSeconds} s convergence), ${r.simEvents} scheduler events in ${r.wallSeconds.toFixed(2)} s wall (${Math.round(r.simEventsPerWallSecond)} events/s)`,
    `inputs: ${r.userEvents} user, ${r.networkInputs} network, ${r.batches} batches`,
    `uplink: ${r.uplinkBytes} B (${r.uplinkBytesPerUserEvent.toFixed(2)} B per user event; ${r.uplinkBytesPerUserEventWithoutPhotos.toFixed(2)} B without the ${r.photoBytes} B of photos), downlink ${r.downlinkBytes} B`,
    `lag: p50 ${r.lagMs.p50} ms, p99 ${r.lagMs.p99} ms, max ${r.lagMs.max} ms`,
    `faults: ${r.faults.enabled.length === 0 ? "none" : r.faults.enabled.join(",")} — lost ${r.faults.messagesLost}, duplicated ${r.faults.messagesDuplicated}, reordered ${r.faults.messagesReordered}, partitions ${r.faults.partitions}, crashes ${r.faults.crashes} (${r.batchesLostOnCrash} uncommitted batches lost), power-offs ${r.faults.powerOffs}`,
    `divergences: ${r.divergences}, repairs: ${r.repairs}, batches digest-checked: ${r.batchesDigestChecked} of ${r.batches}, converged: ${r.converged ? "yes" : "NO"}`,
    `invariant violations: ${r.invariantViolations}`,
  ];
  if (r.services !== undefined) {
    const s = r.services;
    lines.push(
      `services: uploads ${s.uploadsViaMirror} via mirror / ${s.uploadsDirect} direct (${s.radioBytesSaved} radio B saved), downloads ${s.downloadsRequested} cached / ${s.cachedDownloads} fetched, scans ${s.scanRequests}, detections ${s.detections}`,
    );
  }
  if (r.framesRejected > 0)
    lines.splice(-1, 0, `frames rejected by the server: ${r.framesRejected} (first: ${r.firstRejection})`);
  for (const v of r.violations.slice(0, 10)) {
    lines.push(`  VIOLATION invariant ${v.invariant} ${v.deviceId} at ${v.atMs} ms: ${v.message}`);
  }
  if (r.invariantViolations > 0) lines.push(`reproduce: ${r.reproduce}`);
  return lines.join("\n");
}
