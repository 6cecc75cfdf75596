// What the live phone process needs from the sans-IO core (src/platform,
// src/sync): the phone platform, the workload generator and the SyncClient,
// behind one narrow surface the phone runtime drives with wall time, a real
// socket and the Traffic Monitor proxy. phone-core-adapter.ts implements it.
import type { Result } from "../core/errors.ts";
import type { Notice } from "../gen/mirrorcell/v1/sync_pb.ts";
import type { CloneOffer } from "../mirror/mirror-server.ts";
import type { AppName, NetworkInput, UserInputBody } from "../platform/inputs.ts";

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
  /** t_syn_int chosen at boot (sent in every Hello). */
  readonly syncIntervalMs: number;
  /** A mirror follows this state (false: fresh, a used mirror gets re-cloned from it). */
  readonly bound: boolean;
  /** Frozen for a clone. */
  readonly cloning: boolean;
  readonly clones: number;
  /** Applies the workload's user inputs due by `nowMs` (wall ms); returns frames to send and network wants. */
  runWorkload(nowMs: number): { frames: Uint8Array[]; wants: NetworkWant[] };
  applyNetwork(input: NetworkInput): Result<void>;
  /** A user input from outside the workload (a share): frames to send. */
  applyUserInput(input: { app: AppName; body: UserInputBody }, nowMs: number): Result<Uint8Array[]>;
  /** Encoded frames due at `nowMs` (a batch at each window's end, retransmissions). */
  tick(nowMs: number): Uint8Array[];
  /** After every Welcome: frames to retransmit (all unacked, in order). */
  onConnect(nowMs: number): Uint8Array[];
  onDisconnect(): void;
  /** A frame from the server (welcome, ack, repair request, notice, error): replies. */
  receive(bytes: Uint8Array, nowMs: number): Result<Uint8Array[]>;
  /** Notices received since the last call (file cached, scan result), oldest first. */
  takeNotices(): Notice[];
  /** Power-off: the final batch, flagged so the server saves and stops the mirror. */
  powerOff(nowMs: number): Uint8Array[];
  /** Nothing sent is waiting for an ack. */
  readonly allAcked: boolean;
  readonly userInputs: number;
  readonly batchesMade: number;
  /** The last batch the server acked (batchesMade minus the unacked ones). */
  readonly ackedBatchNo: number;
  readonly userInputsRejected: number;
  digest(): Uint8Array;
  /** Every file of the phone, sorted by path (end-to-end comparison). */
  files(): Array<{ path: string; sha256: Uint8Array; size: number }>;
  readFile(path: string): Result<Uint8Array>;
  /** The server accepted this state without a clone. */
  markBound(): void;
  /** Re-clone: rebase onto the mirror's numbering, freeze, return the offer. */
  beginClone(at: { batchNo: number; lastSeq: number; networkConsumed: number }, nowMs: number): CloneOffer;
  cloneBlobs(missing: readonly Uint8Array[]): Uint8Array[];
  /** Re-clone done: frames held during the freeze. */
  endClone(nowMs: number): Uint8Array[];
  /** Writes the current commit point to the durable store (no-op without one). */
  persist(): void;
}
