// What the Syn-Server's parts share (DESIGN.md "Sync protocol"): the mirror
// server and Traffic Monitor they act on, the replay schedule, the timing
// options and the replay hooks. Built once by the SyncServer; the replay,
// checkpoint and repair modules take it instead of the whole server.
import type { Sha256 } from "../core/ports.ts";
import type { MirrorServer } from "../mirror/mirror-server.ts";
import type { ReplaySchedule } from "./replay-schedule.ts";
import type { BatchReplayedHook, ReplayHook } from "./sync-device-state.ts";
import type { TrafficMonitor } from "./traffic-monitor.ts";

export interface SyncContext {
  readonly mirrors: MirrorServer;
  readonly monitor: TrafficMonitor;
  readonly sha256: Sha256;
  readonly schedule: ReplaySchedule;
  /** t_max of Fig 4: replay at windowEnd + tMaxMs. */
  readonly tMaxMs: number;
  /** Resend an unanswered RepairRequest (and retry a stalled replay) after this long. */
  readonly repairRetryMs: number;
  /** Checkpoint each mirror every this many replayed batches (0: only at power-off). */
  readonly checkpointEveryBatches: number;
  readonly hooks: readonly ReplayHook[];
  readonly batchHooks: readonly BatchReplayedHook[];
}
