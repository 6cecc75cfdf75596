// What the live runtime needs from the sans-IO core (src/sync, src/mirror):
// the narrow surface the server's sockets, proxy, timers and HTTP API drive.
// core-adapter.ts implements it with the core's SyncServer, TrafficMonitor and
// MirrorServer over the SQLite MirrorStore; nothing here re-implements them.
import type { MirrorcellError, Result } from "../core/errors.ts";
import type { Frame, Hello } from "../gen/mirrorcell/v1/sync_pb.ts";
import type { NetworkInput } from "../platform/inputs.ts";
import type { MirrorFile, MirrorView } from "./http-app.ts";

export type FrameBody = Frame["body"];

export interface Outbound {
  deviceId: string;
  bytes: Uint8Array;
}

export interface WelcomeValues {
  ackedSeq: number;
  syncIntervalMs: number;
  cloneRequired?: boolean;
  ackedLastSeq?: number;
  networkRecorded?: number;
}

export interface CoreReply {
  replies: Uint8Array[];
  /** The peer broke the protocol: close after sending the replies. */
  close: boolean;
  /** The typed error an Error reply carries, for logs and metrics. */
  error?: MirrorcellError;
}

/** A frame with nothing to send back (most batches before their commit): shared, frozen. */
export const noCoreReply: CoreReply = Object.freeze({
  replies: Object.freeze([]) as unknown as Uint8Array[],
  close: false,
});

export interface CoreCounters {
  eventsReplayedTotal: number;
  batchesIngestedTotal: number;
  divergencesTotal: number;
  repairsTotal: number;
  networkInputsTotal: number;
  /** Lags (ms) of inputs replayed since the last call (drained). */
  drainLagsMs(): number[];
}

export interface LiveCore {
  /**
   * An authenticated phone connected: its Welcome values. The Hello (when
   * given) sets the device's t_syn_int and decides whether the mirror must be
   * re-cloned from the phone (clone-intake.ts).
   */
  connect(deviceId: string, model: string, nowMs: number, hello?: Hello): Result<WelcomeValues>;
  disconnect(deviceId: string): void;
  /**
   * A frame from an authenticated phone (batch, repair response, power-off).
   * Runs inside a store transaction; returns the encoded frames for the phone
   * (notices, repair request, error — acks come from markDurable), sent only
   * after the commit, and whether the connection must close (the peer broke
   * the protocol). `batchBytes`: a batch frame's SyncBatch bytes as received.
   */
  receive(deviceId: string, frame: Frame, nowMs: number, batchBytes?: Uint8Array): CoreReply;
  /**
   * After the commit that covered the device's frames: its one cumulative
   * ack (and any due notices), encoded. Acks are coalesced per commit.
   */
  markDurable(deviceId: string): Uint8Array[];
  /** Frames owed to a phone that just connected: unacked notices and a repair asked again. */
  pendingFrames(deviceId: string, nowMs: number): Uint8Array[];
  /** Replays what is due, at most `batchesMax` batches; runs inside a store transaction. */
  tick(nowMs: number, batchesMax?: number): Outbound[];
  /** Wire bytes of accepted batches waiting for replay (all devices). */
  replayBacklogBytes(): number;
  /** When tick() next has work, or undefined. */
  nextDueMs(): number | undefined;
  /** Traffic Monitor: record a network input (inside a transaction). */
  recordNetwork(deviceId: string, input: Omit<NetworkInput, "index">): Result<NetworkInput>;
  recordedNetwork(deviceId: string, index: number): NetworkInput | undefined;
  mirrors(): MirrorView[];
  /** Mirrors known and running: cheap, for /metrics (no per-mirror views). */
  mirrorCounts(): { total: number; running: number };
  mirror(deviceId: string): MirrorView | undefined;
  /** The mirror's storage digest (running, else from its checkpoint). */
  digest(deviceId: string): Uint8Array | undefined;
  files(deviceId: string): Result<MirrorFile[]>;
  readFile(deviceId: string, path: string): Result<Uint8Array>;
  control(deviceId: string, action: "start" | "stop" | "save", nowMs: number): Result<MirrorView>;
  counters: CoreCounters;
}
