// The kinds of events on the simulator's heap. Numeric tags keep the hot loop
// cheap (10,000 phones × 1 h is ~20M events).
import type { NetworkInput } from "../platform/inputs.ts";
import type { Scheduled } from "./event-queue.ts";

export const EventType = {
  workload: 0,
  syncTick: 1,
  uplinkArrive: 2,
  downlinkFrame: 3,
  downlinkNetwork: 4,
  networkRetransmit: 5,
  serverTick: 6,
  reconnect: 7,
  partition: 8,
  powerOff: 9,
  boot: 10,
  crash: 11,
  restart: 12,
  convergenceCheck: 13,
  phaseEnd: 14,
  service: 15,
} as const;

export type EventTypeCode = (typeof EventType)[keyof typeof EventType];

export interface SimEvent extends Scheduled {
  type: EventTypeCode;
  /** Phone index, or -1 for server-wide events. */
  phone: number;
  bytes: Uint8Array | undefined;
  input: NetworkInput | undefined;
  attempt: number;
}

/** Every event has the same shape (one hidden class keeps the hot loop monomorphic). */
export function simEvent(
  type: EventTypeCode,
  phone: number,
  bytes?: Uint8Array,
  input?: NetworkInput,
  attempt = 0,
): SimEvent {
  return { atMs: 0, order: 0, type, phone, bytes, input, attempt };
}
