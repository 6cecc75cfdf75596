// What the live phone process needs from the sans-IO core (src/platform,
// src/sync): the phone platform, the workload generator and the SyncClient,
// behind one narrow surface the phone runtime drives with real time, a real
// socket and the Traffic Monitor proxy. phone-core-adapter.ts implements it.
import type { Result } from "../core/errors.ts";
import type { Frame } from "../gen/mirrorcell/v1/sync_pb.ts";
import type { AppName, NetworkInput } from "../platform/inputs.ts";
import type { FrameBody } from "./live-core.ts";

/** A network delivery the workload wants: fetched through the proxy. */
export interface NetworkWant {
  atMs: number;
  app: AppName;
  kind: string;
  args: readonly string[];
  payload: Uint8Array;
}

export interface PhoneCore {
  readonly deviceId: string;
  readonly model: string;
  readonly networkConsumed: number;
  /** Runs the workload up to `elapsedMs` of phone time: applies user inputs, returns network wants. */
  runWorkload(elapsedMs: number): NetworkWant[];
  applyNetwork(input: NetworkInput): Result<void>;
  /** Frames due at `nowMs` (batch at each window's end). */
  tick(nowMs: number): FrameBody[];
  /** After every Welcome: frames to retransmit (all unacked, in order). */
  onConnect(ackedBatchNo: number): FrameBody[];
  /** A frame from the server (ack, repair request, notice, error): replies. */
  onFrame(frame: Frame): FrameBody[];
  /** Power-off: the final batch (flagged so the server saves and stops the mirror). */
  powerOff(nowMs: number): FrameBody[];
  /** Nothing sent is waiting for an ack. */
  readonly allAcked: boolean;
  readonly userInputs: number;
  digest(): Uint8Array;
  /** Every file of the phone, sorted by path (for end-to-end comparison). */
  files(): Array<{ path: string; sha256: Uint8Array; size: number }>;
  /** Durable phone state (platform snapshot + sync counters + workload position). */
  save(): Uint8Array;
}
