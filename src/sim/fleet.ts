// The running fleet (DESIGN.md "sim"): N phones with their links and one
// mirror server, driven by the event heap in virtual time. Safety phase:
// workload plus faults until the horizon. Convergence phase: faults off,
// workload stopped, everything must sync. Every replayed input is checked.
// A phone's user steps are not heap events: they touch only that phone, so
// it applies them in a burst whenever an event about it runs (`advance`),
// each at its own time stamp. A burst keeps one phone's cold state (platform
// tree, Syn-Client window, workload) in cache for several inputs:
// bench/sim-locality.ts measured 1.4-2x less CPU on the phone side.
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
/**
 * User steps a phone generates ahead while looking for its next network
 * step; past this many it wakes at the last one to generate more (bounds
 * the buffer when a workload has no network steps for a long time).
 */
const userStepsAheadMax = 64;
/** Ticks one burst runs itself (tickUntil): beyond, the heap's tick event takes over. */
const localTicksMax = 10_000;

export interface PhoneNode {
  readonly stack: SimPhone;
  readonly uplink: Link;
  readonly downlink: Link;
  readonly rng: Rng;
  /** When the phone first boots (its sync windows start here). */
  readonly startMs: number;
  on: boolean;
  /** The workload step the pending workload event delivers: a network step, or undefined for a wake-up. */
  step: WorkloadStep | undefined;
  /**
   * User steps generated but not applied yet, in time order from
   * `userStepsAt`: they are phone-local, so the phone applies them in a
   * burst when an event about it runs (`advance`), not one heap event each.
   * Kept as their intents and times in two arrays, not as the step objects:
   * a step is held for up to `userStepsAheadMax` inputs, and its wrapper
   * then survived a scavenge or two for nothing. Entries
   * [userStepsAt, userStepsEnd) are pending; the arrays keep their length
   * when drained, so a refill writes into them instead of growing two
   * fresh arrays (17, 41, 77 slots) per phone per refill.
   */
  readonly userIntents: unknown[];
  readonly userStepsMs: number[];
  userStepsAt: number;
  userStepsEnd: number;
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
  /** Frames sent up so far (a buffered step that sent some may make its client due early). */
  private framesUp = 0;
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
      userIntents: [],
      userStepsMs: [],
      userStepsAt: 0,
      userStepsEnd: 0,
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

  /**
   * Sends frames up at `atMs`: now, or the time of a buffered user step
   * applied late (its link saw no send since: every send is an event about
   * the phone, which applies the phone's earlier steps first).
   */
  sendUp(phone: number, frames: readonly Uint8Array[], atMs = this.nowMs): void {
    const node = this.phones[phone]!;
    // Indexed: sendUp runs per user input, mostly with no frames, and for...of allocated an iterator.
    this.framesUp += frames.length;
    for (let f = 0; f < frames.length; f++) {
      const bytes = frames[f]!;
      this.counters.uplinkBytes += bytes.length;
      const copies = node.uplink.send(atMs, bytes.length);
      if (copies === 0) this.connectionBroke(phone, atMs);
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
  connectionBroke(phone: number, brokeMs = this.nowMs): void {
    const node = this.phones[phone]!;
    node.stack.disconnect();
    if (node.reconnectAtMs >= brokeMs) return;
    const retryMs = brokeMs + retransmitMsMin + node.rng.int(0, retransmitMsMin);
    const atMs = Math.max(retryMs, this.linkDownUntil(node, brokeMs));
    node.reconnectAtMs = atMs;
    this.schedule(atMs, this.event(EventType.reconnect, phone));
  }

  private linkDownUntil(node: PhoneNode, fromMs: number): number {
    let t = fromMs;
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
      this.advance(phone); // the phone notices the dead connection: its earlier steps came first
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
    // The restart draws every phone's reconnect jitter from its Rng: their earlier steps (and draws) come first.
    for (let phone = 0; phone < this.phones.length; phone++) this.advance(phone);
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

  /**
   * The phone's workload event: a network step is due, or the phone wakes to
   * generate more user steps. User steps up to now are applied first.
   */
  workload(phone: number): void {
    const node = this.phones[phone]!;
    this.advance(phone);
    const step = node.step;
    node.step = undefined;
    if (this.converging) return;
    if (step !== undefined) {
      if (this.serverUp) this.deliverNetwork(phone, step);
      else this.deferredDeliveries.push({ phone, step });
    }
    this.nextStep(phone);
  }

  /**
   * Generates the phone's workload ahead up to its next network step (user
   * steps are buffered, applied later by `advance`) and schedules the
   * workload event: at the network step, or at the last buffered user step
   * when `userStepsAheadMax` of them came first. Each step is drawn as if
   * its predecessor had just been handled (afterMs = the predecessor's time).
   */
  nextStep(phone: number): void {
    const node = this.phones[phone]!;
    if (node.step !== undefined) assert(false, "one workload event per phone at a time");
    let afterMs = this.nowMs;
    for (let k = 0; k < userStepsAheadMax; k++) {
      const step = node.stack.nextStep(afterMs);
      if (step === undefined) break;
      if (!(step.atMs >= afterMs)) assert(false, "workload steps move forward in time");
      if (step.kind === "network") {
        node.step = step;
        this.schedule(step.atMs, this.event(EventType.workload, phone));
        return;
      }
      if (step.kind !== "user") assert(false, "a workload step is user or network");
      const end = node.userStepsEnd++;
      node.userIntents[end] = step.intent;
      node.userStepsMs[end] = step.atMs;
      afterMs = step.atMs;
    }
    // The buffer is full (or the workload ended): wake at its last step to go on.
    if (node.userStepsEnd > node.userStepsAt) this.schedule(afterMs, this.event(EventType.workload, phone));
  }

  /**
   * Applies the phone's buffered user steps due by now (at now too, unless
   * `beforeNow`): called before anything that reads or changes the phone's
   * state. A user step touches only its phone (platform, Syn-Client, the
   * checker's record of that phone), so applying it late, at its own time
   * stamp, gives the phone the same state as applying it on time; frames a
   * step makes (a byte-full window's early cut) go out at its time too.
   */
  advance(phone: number, beforeNow = false): void {
    const node = this.phones[phone]!;
    const intents = node.userIntents;
    const times = node.userStepsMs;
    const end = node.userStepsEnd;
    let at = node.userStepsAt;
    if (at >= end) return;
    if (!(end <= intents.length && end <= times.length))
      assert(false, "advance: pending steps beyond the buffer");
    const untilMs = this.nowMs;
    let applied = 0;
    let previousMs = 0;
    // A tick the burst runs itself: only after a step sent frames (see tickUntil).
    let dueMs = Number.POSITIVE_INFINITY;
    for (; at < end; at++) {
      const atMs = times[at]!;
      if (atMs > untilMs || (beforeNow && atMs === untilMs)) break;
      if (atMs < previousMs) assert(false, `buffered steps out of order: ${atMs} after ${previousMs}`);
      previousMs = atMs;
      const intent = intents[at];
      intents[at] = undefined; // applied or skipped: the buffer no longer keeps it alive
      if (node.on && !this.converging) {
        if (dueMs <= atMs) dueMs = this.tickUntil(phone, dueMs, atMs);
        const sent = this.framesUp;
        this.applyUser(phone, intent, atMs, false);
        applied++;
        if (this.framesUp !== sent) dueMs = Math.max(node.stack.nextTickMs(), atMs);
      }
    }
    if (dueMs < untilMs) this.tickUntil(phone, dueMs, untilMs - 1);
    if (at === end) {
      // Drained: every applied entry was cleared, so the arrays hold no intent; the next refill reuses them.
      at = 0;
      node.userStepsEnd = 0;
    }
    node.userStepsAt = at;
    if (applied > 0) this.scheduleTick(phone);
  }

  /**
   * A buffered step sent frames (a byte-full window cut early, or a resend),
   * so its client may be due before the burst ends: runs the ticks due up to
   * `lastMs` at their own times, as the sync-tick event an on-time step
   * schedules would have (a tick due in a step's millisecond runs before
   * it); returns the next due time. Ticks due now or later stay with the
   * tick event scheduled after the burst.
   */
  private tickUntil(phone: number, dueMs: number, lastMs: number): number {
    const node = this.phones[phone]!;
    // Bounded: the due time moves forward at least 1 ms per tick.
    for (let i = 0; i < localTicksMax && dueMs <= lastMs; i++) {
      this.sendUp(phone, node.stack.tick(dueMs), dueMs);
      dueMs = Math.max(node.stack.nextTickMs(), dueMs + 1);
    }
    return dueMs;
  }

  /** The safety phase ends: buffered steps before now are applied, the rest never happen. */
  dropWorkload(phone: number): void {
    this.advance(phone, true);
    const node = this.phones[phone]!;
    // The steps never applied are garbage now; the arrays stay for nothing else (no refill after the horizon).
    node.userIntents.length = 0;
    node.userStepsMs.length = 0;
    node.userStepsAt = 0;
    node.userStepsEnd = 0;
  }

  /** Applies a user input at `atMs` (a buffered step's own time, or now); undefined when refused. */
  applyUser(phone: number, intent: unknown, atMs = this.nowMs, scheduleTick = true): UserInput | undefined {
    const node = this.phones[phone]!;
    const { input, frames } = node.stack.applyUser(intent, atMs);
    this.sendUp(phone, frames, atMs);
    if (input === undefined) {
      this.counters.userRefused++;
      return undefined;
    }
    this.counters.userEvents++;
    const nondet = input.nondet; // indexed: for...of allocated an iterator per user input
    for (let i = 0; i < nondet.length; i++)
      if (nondet[i]!.kind === "camera") this.counters.photoBytes += nondet[i]!.value.length;
    this.checker.phoneAppliedUser(node.stack.deviceId, input.seq, input.networkConsumed);
    if (scheduleTick) this.scheduleTick(phone);
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
    const d = step.delivery;
    // One literal shape, not a spread: the spread was a runtime call per delivery and gave the Traffic Monitor a shape its loads missed.
    const delivery = { app: d.app, kind: d.kind, args: d.args, payload: d.payload, timeMs: this.nowMs };
    const input = this.server.deliverNetwork(node.stack.deviceId, delivery, this.nowMs);
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
    const buffer = node.networkBuffer;
    // The usual case, the next input with none held back, skips the buffer (three map operations).
    let next: NetworkInput | undefined = input;
    if (buffer.size > 0 || input.index !== node.stack.networkConsumed + 1) {
      buffer.set(input.index, input);
      next = buffer.get(node.stack.networkConsumed + 1);
      if (next !== undefined) buffer.delete(next.index);
    }
    while (next !== undefined) {
      if (!node.stack.applyNetwork(next, this.nowMs)) {
        // The phone refused it (typed error, not consumed): every later input
        // of this device now waits forever — reported, and convergence fails.
        this.counters.networkRefused++;
        break;
      }
      this.checker.phoneAppliedNetwork(node.stack.deviceId, next.index);
      if (buffer.size === 0) break;
      next = buffer.get(node.stack.networkConsumed + 1);
      if (next !== undefined) buffer.delete(next.index);
    }
  }
}
