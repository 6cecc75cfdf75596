// The seam between the simulator kernel and the sans-IO core it drives: one
// phone (platform in phone mode + Syn-Client + its workload) and one mirror
// server (Syn-Server + Traffic Monitor + mirrors + store). The kernel only
// moves bytes and time; `core-stack.ts` binds these to src/platform,
// src/sync and src/mirror, and tests can bind them to a minimal model.
import type { NetworkInput, UserInput } from "../platform/inputs.ts";

/** One step of a phone's workload, already decided by its seeded generator. */
export type WorkloadStep =
  | { atMs: number; kind: "user"; intent: unknown }
  | { atMs: number; kind: "network"; delivery: Omit<NetworkInput, "index" | "timeMs"> };

/** A frame the phone cut, with what the checker needs to know about it. */
export interface OutgoingFrame {
  bytes: Uint8Array;
  /** Set for a newly cut batch (not a retransmission). */
  batch?: { lastSeq: number; networkConsumed: number; digest: Uint8Array };
}

export interface SimPhone {
  readonly deviceId: string;
  readonly networkConsumed: number;
  /** The next workload step at or after `afterMs`; undefined when the workload ends. */
  nextStep(afterMs: number): WorkloadStep | undefined;
  /** Applies a user intent; undefined when the platform rejected it (typed error, state unchanged). */
  applyUser(intent: unknown, nowMs: number): UserInput | undefined;
  applyNetwork(input: NetworkInput, nowMs: number): void;
  /** Window end: frames to send (at most one new batch). */
  tick(nowMs: number): OutgoingFrame[];
  /** A (re)connection to the server: retransmit everything unacked. */
  reconnect(nowMs: number): OutgoingFrame[];
  /** A frame from the server (ack, notice, repair request); returns replies. */
  receive(frame: Uint8Array, nowMs: number): OutgoingFrame[];
  /** True when every batch the phone cut is acked. */
  idle(): boolean;
  /** When the oldest unacked batch was cut; undefined when all are acked. */
  unackedSinceMs(): number | undefined;
  digest(): Uint8Array;
  powerOff(nowMs: number): OutgoingFrame[];
  boot(nowMs: number): void;
}

/** What the server reports back while it replays, for the checker. */
export interface ReplayObserver {
  user(deviceId: string, input: UserInput, nowMs: number): void;
  network(deviceId: string, input: NetworkInput, nowMs: number): void;
  /** A batch ended; returns whether the mirror matched the phone's digest. */
  batchDone(
    deviceId: string,
    lastSeq: number,
    networkConsumed: number,
    mirrorDigest: Uint8Array,
    nowMs: number,
  ): void;
}

export interface ServerFrame {
  deviceId: string;
  bytes: Uint8Array;
}

export interface SimServer {
  /** The Traffic Monitor records a delivery and returns the input to forward. */
  deliverNetwork(deviceId: string, delivery: Omit<NetworkInput, "index">, nowMs: number): NetworkInput;
  receive(deviceId: string, frame: Uint8Array, nowMs: number): ServerFrame[];
  /** Replays what is due; returns frames to send (repair requests, acks). */
  tick(nowMs: number): ServerFrame[];
  nextDueMs(): number | undefined;
  /** Volatile state is lost; durable state (the store) is kept. */
  crash(nowMs: number): void;
  restart(nowMs: number): void;
  mirrorDigest(deviceId: string): Uint8Array;
  /** Paths where the mirror's tree differs from the phone's (empty when identical). */
  treeDiff(deviceId: string, phone: SimPhone): string[];
  stats(): { divergences: number; repairs: number; mirrorOutputsSuppressed: number; leakedOutputs: number };
}

export interface SimStackFactory {
  createServer(observer: ReplayObserver, options: StackOptions): SimServer;
  createPhone(index: number, options: StackOptions & { rng: import("../core/ports.ts").Rng }): SimPhone;
}

export interface StackOptions {
  syncIntervalMs: number;
  latencyMsMax: number;
  eventsPerSec: number;
  payloadScale: number;
  /** Test-only: a bug the stack injects on purpose (options.ts `injectedBugs`). */
  bug?: import("./options.ts").InjectedBug;
}
