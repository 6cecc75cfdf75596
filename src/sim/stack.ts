// The seam between the simulator kernel and the sans-IO core it drives: one
// phone (platform in phone mode + Syn-Client + its workload) and one mirror
// server (Syn-Server + Traffic Monitor + mirrors + store). The kernel only
// moves bytes and time; `core-stack.ts` binds these to src/platform,
// src/sync and src/mirror, and kernel tests bind them to a toy model.
import type { Rng } from "../core/ports.ts";
import type { NetworkInput, UserInput } from "../platform/inputs.ts";
import type { InjectedBug, ServicesMode } from "./options.ts";
import type { SimServices } from "./sim-services.ts";

/** One step of a phone's workload, already decided by its seeded generator. */
export type WorkloadStep =
  | { atMs: number; kind: "user"; intent: unknown }
  | { atMs: number; kind: "network"; delivery: Omit<NetworkInput, "index" | "timeMs"> };

/** The phone cut batch `batchNo`: the digest the mirror must reach after replaying it. */
export type BatchCutHook = (
  deviceId: string,
  batchNo: number,
  lastSeq: number,
  networkConsumed: number,
  digest: Uint8Array,
) => void;

export interface SimPhone {
  readonly deviceId: string;
  readonly networkConsumed: number;
  /** The next workload step at or after `afterMs`; undefined when the workload ends. */
  nextStep(afterMs: number): WorkloadStep | undefined;
  /** Applies a user intent; `input` is undefined when the platform refused it (state unchanged). */
  applyUser(intent: unknown, nowMs: number): { input: UserInput | undefined; frames: Uint8Array[] };
  /** Applies the next network input; false when the platform refused it. */
  applyNetwork(input: NetworkInput, nowMs: number): boolean;
  /** When the client next has work (window end, retransmission). */
  nextTickMs(): number;
  tick(nowMs: number): Uint8Array[];
  /** The transport noticed a dead connection. */
  disconnect(): void;
  /** A (re)connection to the server: retransmit everything unacked. */
  reconnect(nowMs: number): Uint8Array[];
  /** A frame from the server (ack, notice, repair request); returns replies. */
  receive(frame: Uint8Array, nowMs: number): Uint8Array[];
  /** True when every input the phone applied is in an acked batch. */
  idle(): boolean;
  digest(): Uint8Array;
  powerOff(nowMs: number): Uint8Array[];
  boot(nowMs: number): void;
  /** The file a user would share (the largest on the phone), for the services' workload. */
  largestFile?(): { path: string; sizeBytes: number } | undefined;
}

/** What the server reports while it replays, for the checker. */
export interface ReplayObserver {
  user(deviceId: string, input: UserInput, nowMs: number): void;
  network(deviceId: string, input: NetworkInput, nowMs: number): void;
  /** The mirror finished batch `batchNo` with this storage digest. */
  batchDone(deviceId: string, batchNo: number, mirrorDigest: Uint8Array, nowMs: number): void;
  /** After a restart the mirror resumes from its durable checkpoint. */
  restored(deviceId: string, lastSeq: number, networkConsumed: number): void;
}

export interface ServerFrame {
  deviceId: string;
  bytes: Uint8Array;
}

export interface ServerStats {
  divergences: number;
  repairs: number;
  framesRejected: number;
  /** Frames the server emitted that are not sync replies to the owning phone (invariant 5). */
  leakedOutputs: number;
  firstRejection: string;
  /** Accepted batches a crash lost before their group commit (the phone resends them: never acked). */
  batchesLostOnCrash?: number;
  /** Acks for batches not yet durable (invariant 2: an acked batch must survive a crash). */
  acksBeforeDurable?: number;
}

export interface SimServer {
  /** The Traffic Monitor records a delivery and returns the input to forward. */
  deliverNetwork(deviceId: string, delivery: Omit<NetworkInput, "index">, nowMs: number): NetworkInput;
  receive(deviceId: string, frame: Uint8Array, nowMs: number): ServerFrame[];
  /** Replays what is due; returns frames to send (repair requests). */
  tick(nowMs: number): ServerFrame[];
  nextDueMs(): number | undefined;
  /** Like nextDueMs without the services' own timers (cache expiry, upload retries). */
  syncDueMs?(): number | undefined;
  /** Volatile state is lost; durable state (the store) is kept. */
  crash(nowMs: number): void;
  restart(nowMs: number): void;
  mirrorDigest(deviceId: string): Uint8Array;
  /** Paths where the mirror's tree differs from the phone's (empty when identical). */
  treeDiff(deviceId: string, phone: SimPhone): string[];
  stats(): ServerStats;
  /** The mirror server's services, when the run has them (--services). */
  readonly services?: SimServices | undefined;
}

export interface StackOptions {
  syncIntervalMs: number;
  latencyMsMax: number;
  eventsPerSec: number;
  payloadScale: number;
  /** Test-only: a bug the stack injects on purpose (options.ts `injectedBugs`). */
  bug?: InjectedBug;
  /** Services on the mirror server (default none: the run is as without them). */
  services?: ServicesMode;
  /**
   * Phones in the whole run, all shards together (default: this fleet's).
   * A shard of 4 phones is part of a large fleet: its final tree check samples like one.
   */
  fleetPhones?: number;
  /** Whether a phone's mirror may take the phone's storage steps (SimulationOptions.sharedSteps; absent: true). */
  sharedSteps?: boolean;
}

export interface PhoneOptions extends StackOptions {
  rng: Rng;
  onBatchCut: BatchCutHook;
  /** Boot time of the phone: its first sync window starts here. */
  startMs: number;
}

export interface SimStackFactory {
  createServer(observer: ReplayObserver, options: StackOptions): SimServer;
  /** Called after createServer; registers the phone's mirror with the server. */
  createPhone(index: number, options: PhoneOptions): SimPhone;
}
