// The running fleet (DESIGN.md "sim"): N phones with their links and one
// mirror server, driven by the event heap in virtual time. Safety phase:
// workload plus faults until the horizon. Convergence phase: faults off,
// workload stopped, everything must sync. Every replayed input is checked.
import { assert } from "../core/assert.ts";
import type { Rng } from "../core/ports.ts";
import type { NetworkInput, UserInput } from "../platform/inputs.ts";
import type { InvariantChecker } from "./checker.ts";
import { EventQueue } from "./event-queue.ts";
import { Link, noLinkFaults } from "./link.ts";
import { linkRatesFor } from "./network-profiles.ts";
import { type SimulationOptions, simulationBounds } from "./options.ts";
import type { ServiceWorkload } from "./service-workload.ts";
import { EventType, type EventTypeCode, type SimEvent, simEvent } from "./sim-events.ts";
import type { ServerFrame, SimPhone, SimServer, WorkloadStep } from "./stack.ts";

/** Bytes of per-message headers we charge a network input on the downlink. */
const networkInputHeaderBytes = 64;
const retransmitMsMin = 1_000;
const retransmitMsMax = 30_000;
/** Handled events kept for reuse; more are never in flight at once than the heap holds. */
const spareEventsMax = 4_096;

export interface PhoneNode {
  readonly stack: SimPhone;
  readonly uplink: Link;
  readonly downlink: Link;
  readonly rng: Rng;
  /** When the phone first boots (its sync windows start here). */
  readonly startMs: number;
  on: boolean;
  step: WorkloadStep | undefined;
  reconnectAtMs: number;
  /** Earliest pending sync-tick event (Infinity when none). */
  tickAtMs: number;
  readonly networkBuffer: Map<number, NetworkInput>;
}

export interface FleetCounters {
  userEvents: number;
  networkInputs: number;
  batches: number;
  uplinkBytes: number;
  downlinkBytes: number;
  partitions: number;
  crashes: number;
  powerOffs: number;
  reconnects: number;
  simEvents: number;
  userRefused: number;
  networkRefused: number;
  /** Bytes of camera photos recorded as nondeterminism: they ride the uplink (DESIGN.md). */
  photoBytes: number;
}

export class Fleet {
  readonly queue = new EventQueue<SimEvent>(simulationBounds.eventsQueuedMax);
  readonly phones: PhoneNode[] = [];
  readonly counters: FleetCounters = {
    userEvents: 0,
    networkInputs: 0,
    batches: 0,
    uplinkBytes: 0,
    downlinkBytes: 0,
    partitions: 0,
    crashes: 0,
    powerOffs: 0,
    reconnects: 0,
    simEvents: 0,
    userRefused: 0,
    networkRefused: 0,
    photoBytes: 0,
  };
  nowMs = 0;
  serverUp = true;
  converging = false;
  convergedAtMs: number | undefined;
  /** Share / download / fetch actions when the run has services. */
  serviceWorkload: ServiceWorkload | undefined;
  private serverTickAtMs = Number.POSITIVE_INFINITY;
  private readonly phoneIndex = new Map<string, number>();
  private readonly deferredDeliveries: { phone: number; step: WorkloadStep }[] = [];
  private readonly faultRng: Rng;
  /**
   * Handled events, reused: most events wait seconds of virtual time in the
   * heap, so a fresh object per event survived young-generation collections
   * and was copied and promoted before it died.
   */
  private readonly spareEvents: SimEvent[] = [];

  constructor(
    readonly options: SimulationOptions,
    readonly server: SimServer,
    readonly checker: InvariantChecker,
    rng: Rng,
  ) {
    assert(options.phones >= 1, "a fleet needs a phone");
    assert(server !== undefined, "a fleet needs a server");
    this.faultRng = rng.fork("faults");
  }

  addPhone(stack: SimPhone, rng: Rng, startMs: number): void {
    const rates = linkRatesFor(this.options.network, this.options.rates, rng);
    const uplink = new Link(rates.uplinkKbps, this.options.latencyMsMax, rng.fork("uplink"));
    const downlink = new Link(rates.downlinkKbps, this.options.latencyMsMax, rng.fork("downlink"));
    const index = this.phones.length;
    this.phoneIndex.set(stack.deviceId, index);
    const node: PhoneNode = {
      stack,
      uplink,
      downlink,
      rng,
      startMs,
      on: true,
      step: undefined,
      reconnectAtMs: -1,
      tickAtMs: Number.POSITIVE_INFINITY,
      networkBuffer: new Map(),
    };
    this.phones.push(node);
    this.applyLinkFaults(node);
  }

  private applyLinkFaults(node: PhoneNode): void {
    const on = (kind: string) => !this.converging && this.options.faults.includes(kind as never);
    const r = this.options.faultRates;
    const faults = {
      lossProbability: on("loss") ? r.lossProbability : 0,
      duplicateProbability: on("dup") ? r.duplicateProbability : 0,
      reorderProbability: on("reorder") ? r.reorderProbability : 0,
      reorderDelayMsMax: r.reorderDelayMsMax,
    };
    const none = faults.lossProbability + faults.duplicateProbability + faults.reorderProbability === 0;
    node.uplink.faults = none ? noLinkFaults : faults;
    node.downlink.faults = none ? noLinkFaults : faults;
  }

  uplinkOf(deviceId: string): Link {
    const phone = this.phoneIndex.get(deviceId);
    if (phone === undefined) assert(false, `unknown device ${deviceId}`);
    return this.phones[phone]!.uplink;
  }

  schedule(atMs: number, event: SimEvent): void {
    this.queue.push(Math.max(atMs, this.nowMs), event);
  }

  /** An event to schedule: a handled one reused when there is one (same shape either way). */
  event(type: EventTypeCode, phone: number, bytes?: Uint8Array, input?: NetworkInput, attempt = 0): SimEvent {
    const event = this.spareEvents.pop();
    if (event === undefined) return simEvent(type, phone, bytes, input, attempt);
    event.type = type;
    event.phone = phone;
    event.bytes = bytes;
    event.input = input;
    event.attempt = attempt;
    return event;
  }

  /** Exponentially distributed delay with the given mean (Poisson faults). */
  exponentialMs(meanMs: number): number {
    assert(meanMs > 0, "mean must be positive");
    return Math.max(1, Math.round(-Math.log(1 - this.faultRng.float()) * meanMs));
  }

  faultDelayMs(maxMs: number): number {
    return 1 + this.faultRng.int(0, Math.max(0, Math.round(maxMs) - 1));
  }

  /** Runs events until the queue empties or `untilMs` is reached. */
  runUntil(untilMs: number, onEvent: (event: SimEvent) => void, stop: () => boolean): void {
    const queue = this.queue;
    for (;;) {
      const next = queue.peekMs();
      if (next === undefined || next > untilMs || stop()) break;
      const event = queue.pop()!;
      assert(event.atMs >= this.nowMs, "time never runs backwards");
      this.nowMs = event.atMs;
      this.counters.simEvents++;
      onEvent(event);
      // Nothing keeps a handled event (handlers read its fields): it is free for reuse.
      if (this.spareEvents.length < spareEventsMax) {
        event.bytes = undefined;
        event.input = undefined;
        this.spareEvents.push(event);
      }
    }
  }

  // --- links -------------------------------------------------------------

  sendUp(phone: number, frames: readonly Uint8Array[]): void {
    const node = this.phones[phone]!;
    // Indexed: sendUp runs per user input, mostly with no frames, and for...of allocated an iterator.
    for (let f = 0; f < frames.length; f++) {
      const bytes = frames[f]!;
      this.counters.uplinkBytes += bytes.length;
      const copies = node.uplink.send(this.nowMs, bytes.length);
      if (copies === 0) this.connectionBroke(phone);
      for (let i = 0; i < copies; i++) {
        this.schedule(node.uplink.arrivalsMs[i]!, this.event(EventType.uplinkArrive, phone, bytes));
      }
    }
  }

  /** Keeps one pending sync-tick event per phone, at the client's next due time. */
  scheduleTick(phone: number, afterTick = false): void {
    const node = this.phones[phone]!;
    // Right after a tick, "due now" would loop: the client had its chance.
    const dueMs = Math.max(node.stack.nextTickMs(), this.nowMs + (afterTick ? 1 : 0));
    if (dueMs >= node.tickAtMs) return;
    node.tickAtMs = dueMs;
    this.schedule(dueMs, this.event(EventType.syncTick, phone));
  }

  syncTick(phone: number): void {
    const node = this.phones[phone]!;
    if (this.nowMs >= node.tickAtMs) node.tickAtMs = Number.POSITIVE_INFINITY;
    if (!node.on) return; // boot schedules the next tick
    this.sendUp(phone, node.stack.tick(this.nowMs));
    this.scheduleTick(phone, true);
  }

  sendDown(frames: readonly ServerFrame[]): void {
    for (let f = 0; f < frames.length; f++) {
      const frame = frames[f]!;
      const phone = this.phoneIndex.get(frame.deviceId);
      if (phone === undefined) assert(false, `server sent to unknown device ${frame.deviceId}`);
      const node = this.phones[phone]!;
      this.counters.downlinkBytes += frame.bytes.length;
      const copies = node.downlink.send(this.nowMs, frame.bytes.length);
      if (copies === 0) this.connectionBroke(phone);
      for (let i = 0; i < copies; i++) {
        this.schedule(node.downlink.arrivalsMs[i]!, this.event(EventType.downlinkFrame, phone, frame.bytes));
      }
    }
  }

  /**
   * A sync message was lost: the transport (a WebSocket over TCP) notices a
   * dead connection and reconnects after a timeout, or when a partition heals.
   */
  connectionBroke(phone: number): void {
    const node = this.phones[phone]!;
    node.stack.disconnect();
    if (node.reconnectAtMs >= this.nowMs) return;
    const retryMs = this.nowMs + retransmitMsMin + node.rng.int(0, retransmitMsMin);
    const atMs = Math.max(retryMs, this.linkDownUntil(node));
    node.reconnectAtMs = atMs;
    this.schedule(atMs, this.event(EventType.reconnect, phone));
  }

  private linkDownUntil(node: PhoneNode): number {
    let t = this.nowMs;
    // partitions are short and bounded; probe forward in 1 s steps
    for (let i = 0; i < 24 * 3600 && (node.uplink.isDown(t) || node.downlink.isDown(t)); i++) t += 1_000;
    return t;
  }

  reconnect(phone: number): void {
    const node = this.phones[phone]!;
    if (!node.on || !this.serverUp) return; // boot / restart reconnects
    if (node.uplink.isDown(this.nowMs)) {
      this.connectionBroke(phone);
      return;
    }
    this.counters.reconnects++;
    this.sendUp(phone, node.stack.reconnect(this.nowMs));
    this.scheduleTick(phone);
  }

  // --- server ------------------------------------------------------------

  scheduleServerTick(): void {
    if (!this.serverUp) return;
    const due = this.server.nextDueMs();
    if (due === undefined || due >= this.serverTickAtMs) return;
    this.serverTickAtMs = Math.max(due, this.nowMs);
    this.schedule(this.serverTickAtMs, this.event(EventType.serverTick, -1));
  }

  serverTick(): void {
    if (this.nowMs >= this.serverTickAtMs) this.serverTickAtMs = Number.POSITIVE_INFINITY;
    if (!this.serverUp) return;
    this.sendDown(this.server.tick(this.nowMs));
    this.forwardServiceInputs();
    this.scheduleServerTick();
  }

  /** Network inputs the server's services recorded (cached files, scan results) go down like any other. */
  forwardServiceInputs(): void {
    const services = this.server.services;
    if (services === undefined) return;
    for (const { deviceId, input } of services.takeNetwork()) {
      const phone = this.phoneIndex.get(deviceId);
      if (phone === undefined) assert(false, `a service delivered to unknown device ${deviceId}`);
      this.counters.networkInputs++;
      this.transmitNetwork(phone, input, 0);
    }
  }

  uplinkArrive(phone: number, bytes: Uint8Array): void {
    const node = this.phones[phone]!;
    if (node.uplink.isDown(this.nowMs)) {
      node.uplink.stats.droppedByPartition++;
      this.connectionBroke(phone);
      return;
    }
    if (!this.serverUp) return; // the restart makes every phone reconnect
    this.sendDown(this.server.receive(node.stack.deviceId, bytes, this.nowMs));
    this.forwardServiceInputs();
    this.scheduleServerTick();
  }

  downlinkFrame(phone: number, bytes: Uint8Array): void {
    const node = this.phones[phone]!;
    if (node.downlink.isDown(this.nowMs)) {
      node.downlink.stats.droppedByPartition++;
      this.connectionBroke(phone);
      return;
    }
    if (!node.on) return; // the boot makes the phone reconnect
    this.sendUp(phone, node.stack.receive(bytes, this.nowMs));
    this.scheduleTick(phone);
  }

  crash(): void {
    if (!this.serverUp) return;
    this.counters.crashes++;
    this.serverUp = false;
    this.serverTickAtMs = Number.POSITIVE_INFINITY;
    this.server.crash(this.nowMs);
  }

  restart(): void {
    if (this.serverUp) return;
    this.serverUp = true;
    this.server.restart(this.nowMs);
    for (const { phone, step } of this.deferredDeliveries.splice(0)) this.deliverNetwork(phone, step);
    for (let phone = 0; phone < this.phones.length; phone++) {
      const node = this.phones[phone]!;
      node.reconnectAtMs = this.nowMs;
      this.schedule(this.nowMs + node.rng.int(0, 1_000), this.event(EventType.reconnect, phone));
    }
    this.scheduleServerTick();
  }

  // --- workload and network inputs ---------------------------------------

  workload(phone: number): void {
    const node = this.phones[phone]!;
    const step = node.step;
    node.step = undefined;
    if (step === undefined || this.converging) return;
    if (step.kind === "user") {
      if (node.on) this.applyUser(phone, step.intent);
    } else if (this.serverUp) {
      this.deliverNetwork(phone, step);
    } else {
      this.deferredDeliveries.push({ phone, step });
    }
    this.nextStep(phone);
  }

  nextStep(phone: number): void {
    const node = this.phones[phone]!;
    const step = node.stack.nextStep(this.nowMs);
    if (step === undefined) return;
    assert(step.atMs >= this.nowMs, "workload steps move forward in time");
    node.step = step;
    this.schedule(step.atMs, this.event(EventType.workload, phone));
  }

  applyUser(phone: number, intent: unknown): UserInput | undefined {
    const node = this.phones[phone]!;
    const { input, frames } = node.stack.applyUser(intent, this.nowMs);
    this.sendUp(phone, frames);
    if (input === undefined) {
      this.counters.userRefused++;
      return undefined;
    }
    this.counters.userEvents++;
    const nondet = input.nondet; // indexed: for...of allocated an iterator per user input
    for (let i = 0; i < nondet.length; i++)
      if (nondet[i]!.kind === "camera") this.counters.photoBytes += nondet[i]!.value.length;
    this.checker.phoneAppliedUser(node.stack.deviceId, input.seq, input.networkConsumed);
    this.scheduleTick(phone);
    return input;
  }

  /** Bytes the phone sends outside sync (a direct upload to a recipient): they occupy its uplink. */
  chargeUplink(phone: number, bytes: number): void {
    if (!(Number.isSafeInteger(bytes) && bytes >= 0)) assert(false, `bad uplink charge ${bytes}`);
    this.counters.uplinkBytes += bytes;
    this.phones[phone]!.uplink.send(this.nowMs, bytes);
  }

  private deliverNetwork(phone: number, step: WorkloadStep): void {
    assert(step.kind === "network", "only network steps are delivered");
    const node = this.phones[phone]!;
    const input = this.server.deliverNetwork(
      node.stack.deviceId,
      { ...step.delivery, timeMs: this.nowMs },
      this.nowMs,
    );
    this.counters.networkInputs++;
    this.transmitNetwork(phone, input, 0);
  }

  /** The network path (SGSN → mirror server → phone) is reliable: TCP-like retransmission. */
  transmitNetwork(phone: number, input: NetworkInput, attempt: number): void {
    const node = this.phones[phone]!;
    if (node.stack.networkConsumed >= input.index) return;
    const size = input.payload.length + networkInputHeaderBytes;
    this.counters.downlinkBytes += size;
    const copies = node.downlink.send(this.nowMs, size);
    if (copies === 0) this.retransmitNetworkLater(phone, input, attempt);
    for (let i = 0; i < copies; i++) {
      this.schedule(
        node.downlink.arrivalsMs[i]!,
        this.event(EventType.downlinkNetwork, phone, undefined, input, attempt),
      );
    }
  }

  retransmitNetworkLater(phone: number, input: NetworkInput, attempt: number): void {
    const delayMs = Math.min(retransmitMsMax, retransmitMsMin * 2 ** Math.min(attempt, 10));
    this.schedule(
      this.nowMs + delayMs,
      this.event(EventType.networkRetransmit, phone, undefined, input, attempt + 1),
    );
  }

  downlinkNetwork(phone: number, input: NetworkInput, attempt: number): void {
    const node = this.phones[phone]!;
    if (node.downlink.isDown(this.nowMs) || !node.on) {
      this.retransmitNetworkLater(phone, input, attempt);
      return;
    }
    if (input.index <= node.stack.networkConsumed) return; // duplicate
    node.networkBuffer.set(input.index, input);
    for (;;) {
      const next = node.networkBuffer.get(node.stack.networkConsumed + 1);
      if (next === undefined) break;
      node.networkBuffer.delete(next.index);
      if (!node.stack.applyNetwork(next, this.nowMs)) {
        // The phone refused it (typed error, not consumed): every later input
        // of this device now waits forever — reported, and convergence fails.
        this.counters.networkRefused++;
        break;
      }
      this.checker.phoneAppliedNetwork(node.stack.deviceId, next.index);
    }
  }
}
