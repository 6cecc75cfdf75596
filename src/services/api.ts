// The service API of the mirror server (paper §5; DESIGN.md "Services"): what a
// service running beside the mirrors may see and do. A service sees replayed
// user inputs and recorded network inputs, reads mirror storage, queues
// notices for the phone's next sync message, and may send data out of the
// server on the phone's behalf — only through the Outbox port, the one
// sanctioned exception to "mirror outputs never leave the server"
// (invariant 5). Sans-IO: the runtime (sim or live) implements the ports and
// reports the outcome of each send and fetch back through the ServiceHost.
import type { Result } from "../core/errors.ts";
import type { Sha256 } from "../core/ports.ts";
import type { Notice } from "../gen/mirrorcell/v1/sync_pb.ts";
import type { NetworkInput, UserInput } from "../platform/inputs.ts";

/** Read access to one mirror's storage; the platform's Storage satisfies it. */
export interface MirrorStorageView {
  readFile(path: string): Result<Uint8Array>;
}

/** A user input the mirror has just replayed (storage already reflects it). */
export interface ReplayedInputEvent {
  deviceId: string;
  input: UserInput;
  storage: MirrorStorageView;
  nowMs: number;
}

/** A network input (recorded by the Traffic Monitor) the mirror has just replayed. */
export interface NetworkInputEvent {
  deviceId: string;
  input: NetworkInput;
  nowMs: number;
}

/** Data a service sends out of the server on a phone's behalf. */
export interface OutboundMessage {
  /** Unique per message and stable across its retries. */
  deliveryId: string;
  /** The phone the message is sent for: recipients see it as the sender. */
  fromDeviceId: string;
  /** Recipient address (a phone id, mail address or URL: the runtime routes it). */
  to: string;
  name: string;
  payload: Uint8Array;
  sha256: Uint8Array;
}

/** The runtime sends it and later calls ServiceHost.deliveryResult. */
export interface Outbox {
  send(message: OutboundMessage): void;
}

export interface FetchRequest {
  fetchId: string;
  deviceId: string;
  url: string;
  /** The runtime must refuse (PAYLOAD_TOO_LARGE) bodies larger than this. */
  bytesMax: number;
}

export interface FetchedBody {
  payload: Uint8Array;
}

/** The runtime fetches the URL and later calls ServiceHost.fetchResult. */
export interface Fetcher {
  fetch(request: FetchRequest): void;
}

/** Queues a notice for the device's next sync message (SyncServer.queueNotice). */
export interface NoticeSink {
  queueNotice(deviceId: string, notice: Notice): Result<void>;
}

/**
 * Sends a network input to the phone through the Traffic Monitor: it is
 * recorded (so the mirror replays it) and the runtime forwards the returned
 * indexed input over the phone's downlink, in index order.
 */
export interface NetworkDelivery {
  deliver(deviceId: string, input: Omit<NetworkInput, "index">): Result<NetworkInput>;
}

export interface ServicePorts {
  sha256: Sha256;
  outbox: Outbox;
  fetcher: Fetcher;
  notices: NoticeSink;
  network: NetworkDelivery;
}

export type DeliveryResult = Result<void>;
export type FetchResult = Result<FetchedBody>;

/**
 * How much long-running work (a storage scan) one step may do. A step always
 * finishes the file it started, so it is bounded by max(bytesMax, one file).
 */
export interface StepBudget {
  filesMax: number;
  bytesMax: number;
}

/** What one step did: the runtime may log or measure it. */
export interface StepUsage {
  files: number;
  bytes: number;
}

/** A service plugged into the ServiceHost. Every callback runs to completion. */
export interface MirrorService {
  readonly name: string;
  onReplayedInput?(event: ReplayedInputEvent): void;
  onNetworkInput?(event: NetworkInputEvent): void;
  onDeliveryResult?(deliveryId: string, result: DeliveryResult, nowMs: number): void;
  onFetchResult?(fetchId: string, result: FetchResult, nowMs: number): void;
  /** Runs work that is due (retries, expiry). */
  tick?(nowMs: number): void;
  /** When tick next has work, or undefined. */
  nextDueMs?(): number | undefined;
  /**
   * Long work (scan jobs) is never done inside a replay hook: the hook queues
   * it and the runtime advances it here, one bounded step at a time, so
   * replay and intake wait for one step at most.
   */
  onStep?(nowMs: number, budget: StepBudget): StepUsage;
  /** True while onStep has work. */
  hasStepWork?(): boolean;
}
