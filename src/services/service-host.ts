// Hosts the services of one mirror server (paper §5): fans replayed and
// network inputs out to every service, routes send/fetch outcomes back to the
// service that asked, and guards the Outbox — the only path by which data a
// mirror produces leaves the server (DESIGN.md invariant 5). The runtime owns
// the real ports; services get wrapped ones whose ids carry the service name.
// Long work (scan jobs) advances in bounded steps through step(), or through
// tick() for runtimes that only drive timers, so replay waits one step at most.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import type {
  DeliveryResult,
  FetchRequest,
  FetchResult,
  MirrorService,
  NetworkInputEvent,
  OutboundMessage,
  ReplayedInputEvent,
  ServicePorts,
  StepBudget,
  StepUsage,
} from "./api.ts";

export interface OutboxStats {
  messages: number;
  payloadBytes: number;
  /** Results that named no live service (e.g. after a restart): ignored. */
  strayResults: number;
}

export interface StepStats {
  steps: number;
  /** The most files and bytes any one step did (the bound replay may wait for). */
  stepFilesMax: number;
  stepBytesMax: number;
}

export const defaultStepBudget: Readonly<StepBudget> = {
  filesMax: limits.serviceStepFilesMax,
  bytesMax: limits.serviceStepBytesMax,
};

const separator = ":";

function ownerOf(id: string): string {
  const at = id.indexOf(separator);
  return at <= 0 ? "" : id.slice(0, at);
}

export class ServiceHost {
  private readonly services = new Map<string, MirrorService>();
  private readonly stats: OutboxStats = { messages: 0, payloadBytes: 0, strayResults: 0 };
  /** Set while a port call runs: results must come after it returned (services run to completion). */
  private inPortCall = false;
  private readonly steps: StepStats = { steps: 0, stepFilesMax: 0, stepBytesMax: 0 };
  /** The latest time any entry point was called with: step due times count from it. */
  private lastSeenMs = 0;
  private lastStepMs: number | undefined;
  /** Round-robin start among services with step work. */
  private stepTurn = 0;

  constructor(private readonly ports: ServicePorts) {}

  /** Registers a service built on ports scoped to it; returns the service. */
  register<S extends MirrorService>(build: (ports: ServicePorts) => S): S {
    let name = "";
    const scoped: ServicePorts = {
      ...this.ports,
      outbox: { send: (message) => this.send(name, message) },
      fetcher: { fetch: (request) => this.fetch(name, request) },
    };
    const service = build(scoped);
    name = service.name;
    assert(name !== "" && !name.includes(separator), `bad service name "${name}"`);
    assert(!this.services.has(name), `service "${name}" registered twice`);
    this.services.set(name, service);
    return service;
  }

  replayedInput(event: ReplayedInputEvent): void {
    this.seen(event.nowMs);
    for (const service of this.services.values()) service.onReplayedInput?.(event);
  }

  networkInput(event: NetworkInputEvent): void {
    this.seen(event.nowMs);
    for (const service of this.services.values()) service.onNetworkInput?.(event);
  }

  deliveryResult(deliveryId: string, result: DeliveryResult, nowMs: number): void {
    assert(!this.inPortCall, "a runtime reported a send result from inside Outbox.send");
    const service = this.services.get(ownerOf(deliveryId));
    if (service?.onDeliveryResult === undefined) {
      this.stats.strayResults++;
      return;
    }
    service.onDeliveryResult(deliveryId, result, nowMs);
  }

  fetchResult(fetchId: string, result: FetchResult, nowMs: number): void {
    assert(!this.inPortCall, "a runtime reported a fetch result from inside Fetcher.fetch");
    const service = this.services.get(ownerOf(fetchId));
    if (service?.onFetchResult === undefined) {
      this.stats.strayResults++;
      return;
    }
    service.onFetchResult(fetchId, result, nowMs);
  }

  /** Runs due timers, then one bounded step of long work if one is due. */
  tick(nowMs: number): void {
    this.seen(nowMs);
    for (const service of this.services.values()) service.tick?.(nowMs);
    const stepDue = this.stepDueMs();
    if (stepDue !== undefined && nowMs >= stepDue) this.step(nowMs);
  }

  nextDueMs(): number | undefined {
    let due = this.stepDueMs();
    for (const service of this.services.values()) {
      const next = service.nextDueMs?.();
      if (next !== undefined && (due === undefined || next < due)) due = next;
    }
    return due;
  }

  /** True while some service has long work (a scan job) to advance. */
  hasStepWork(): boolean {
    for (const service of this.services.values()) if (service.hasStepWork?.() === true) return true;
    return false;
  }

  /**
   * One bounded step of long work: the next service in turn that has some
   * gets the whole budget. Returns true while work remains. Runtimes call it
   * between replays (live: one step per event-loop turn); tick() calls it too.
   */
  step(nowMs: number, budget: StepBudget = defaultStepBudget): boolean {
    assert(budget.filesMax >= 1 && budget.bytesMax >= 1, "a step may scan at least one file");
    assert(!this.inPortCall, "a step started from inside a port call");
    this.seen(nowMs);
    const withWork = [...this.services.values()].filter((s) => s.hasStepWork?.() === true);
    if (withWork.length === 0) return false;
    const service = withWork[this.stepTurn++ % withWork.length]!;
    assert(service.onStep !== undefined, `service ${service.name} has step work but no onStep`);
    const usage: StepUsage = service.onStep(nowMs, budget);
    this.lastStepMs = nowMs;
    this.steps.steps++;
    this.steps.stepFilesMax = Math.max(this.steps.stepFilesMax, usage.files);
    this.steps.stepBytesMax = Math.max(this.steps.stepBytesMax, usage.bytes);
    return this.hasStepWork();
  }

  stepStats(): Readonly<StepStats> {
    return { ...this.steps };
  }

  /** Everything services sent out of the server so far (invariant 5 audit). */
  outboxStats(): Readonly<OutboxStats> {
    return { ...this.stats };
  }

  /** When tick() next runs a step: right away after new work, then one interval after each step. */
  private stepDueMs(): number | undefined {
    if (!this.hasStepWork()) return undefined;
    if (this.lastStepMs === undefined) return this.lastSeenMs;
    return Math.max(this.lastSeenMs, this.lastStepMs + limits.serviceStepIntervalMs);
  }

  private seen(nowMs: number): void {
    assert(Number.isFinite(nowMs), "service time is finite");
    if (nowMs > this.lastSeenMs) this.lastSeenMs = nowMs;
  }

  private send(owner: string, message: OutboundMessage): void {
    assert(ownerOf(message.deliveryId) === owner, `delivery id ${message.deliveryId} not owned by ${owner}`);
    assert(message.fromDeviceId !== "" && message.to !== "", "outbound message without sender or recipient");
    this.stats.messages++;
    this.stats.payloadBytes += message.payload.length;
    this.inPortCall = true;
    try {
      this.ports.outbox.send(message);
    } finally {
      this.inPortCall = false;
    }
  }

  private fetch(owner: string, request: FetchRequest): void {
    assert(ownerOf(request.fetchId) === owner, `fetch id ${request.fetchId} not owned by ${owner}`);
    assert(request.bytesMax > 0, "fetch without a size bound");
    this.inPortCall = true;
    try {
      this.ports.fetcher.fetch(request);
    } finally {
      this.inPortCall = false;
    }
  }
}
