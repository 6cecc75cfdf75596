// One direction of a phone's radio link (paper Table 1, §3.3.2): FIFO, a
// serialization delay of bytes / rate, and a propagation latency drawn up to
// t_max. Faults (loss, duplication, reordering, partitions) act per message;
// the link is simulated, never real, so every draw comes from its own Rng.
import { assert } from "../core/assert.ts";
import type { Rng } from "../core/ports.ts";

export interface LinkFaultRates {
  lossProbability: number;
  duplicateProbability: number;
  reorderProbability: number;
  /** A reordered message is held back up to this long, past later ones. */
  reorderDelayMsMax: number;
}

export const noLinkFaults: LinkFaultRates = {
  lossProbability: 0,
  duplicateProbability: 0,
  reorderProbability: 0,
  reorderDelayMsMax: 0,
};

export interface LinkStats {
  messages: number;
  bytes: number;
  lost: number;
  duplicated: number;
  reordered: number;
  droppedByPartition: number;
  /** Longest time a message waited for and occupied the link (queueing + serialization). */
  transmitMsMax: number;
}

export class Link {
  /**
   * Arrival times (integer ms) of the copies of the last message sent: the
   * first `send()`'s return value of them are valid. Two fixed slots, not an
   * array emptied per send (setting `length` is a runtime call).
   */
  readonly arrivalsMs: number[] = [0, 0];
  readonly stats: LinkStats = {
    messages: 0,
    bytes: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    droppedByPartition: 0,
    transmitMsMax: 0,
  };
  private busyUntilMs = 0;
  private lastArrivalMs = 0;
  private downUntilMs = -1;
  faults: LinkFaultRates = noLinkFaults;

  constructor(
    private readonly rateKbps: number,
    private readonly latencyMsMax: number,
    private readonly rng: Rng,
  ) {
    assert(rateKbps > 0 && Number.isFinite(rateKbps), `link rate must be positive, got ${rateKbps}`);
    assert(latencyMsMax >= 1 && Number.isSafeInteger(latencyMsMax), `bad latency bound ${latencyMsMax}`);
  }

  /** A partition: everything sent or arriving before `untilMs` is dropped. */
  partition(untilMs: number): void {
    assert(untilMs >= 0, "partition end must be non-negative");
    this.downUntilMs = Math.max(this.downUntilMs, untilMs);
  }

  isDown(nowMs: number): boolean {
    return nowMs < this.downUntilMs;
  }

  heal(): void {
    this.downUntilMs = -1;
  }

  /** Serialization delay of a message of this size, in ms. */
  transmitMs(sizeBytes: number): number {
    return (sizeBytes * 8) / this.rateKbps;
  }

  /**
   * Sends a message; fills `arrivalsMs` with 0, 1 or 2 arrival times and
   * returns how many. Integer ms keep every timestamp the core sees integral.
   */
  send(nowMs: number, sizeBytes: number): number {
    if (!(sizeBytes >= 0 && Number.isSafeInteger(sizeBytes))) assert(false, `bad message size ${sizeBytes}`);
    const out = this.arrivalsMs;
    let copies = 0;
    this.stats.messages++;
    this.stats.bytes += sizeBytes;
    const startMs = Math.max(nowMs, this.busyUntilMs);
    this.busyUntilMs = startMs + this.transmitMs(sizeBytes);
    this.stats.transmitMsMax = Math.max(this.stats.transmitMsMax, this.busyUntilMs - nowMs);
    if (this.isDown(nowMs)) {
      this.stats.droppedByPartition++;
      return 0;
    }
    const f = this.faults;
    if (f.lossProbability > 0 && this.rng.float() < f.lossProbability) {
      this.stats.lost++;
      return 0;
    }
    const latencyMs = 1 + Math.floor(this.rng.float() * this.latencyMsMax);
    let arrivalMs = Math.max(Math.ceil(this.busyUntilMs + latencyMs), this.lastArrivalMs);
    if (f.reorderProbability > 0 && this.rng.float() < f.reorderProbability) {
      this.stats.reordered++;
      arrivalMs += 1 + Math.floor(this.rng.float() * f.reorderDelayMsMax);
      out[copies++] = arrivalMs; // held back: later messages may overtake it
    } else {
      this.lastArrivalMs = arrivalMs;
      out[copies++] = arrivalMs;
    }
    if (f.duplicateProbability > 0 && this.rng.float() < f.duplicateProbability) {
      this.stats.duplicated++;
      out[copies++] = arrivalMs + 1 + Math.floor(this.rng.float() * this.latencyMsMax);
    }
    assert(
      out.length === 2 && out[0]! >= nowMs,
      "a message arrives at most twice and never before it is sent",
    );
    return copies;
  }
}
