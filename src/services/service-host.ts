// Hosts the services of one mirror server (paper §5): fans replayed and
// network inputs out to every service, routes send/fetch outcomes back to the
// service that asked, and guards the Outbox — the only path by which data a
// mirror produces leaves the server (DESIGN.md invariant 5). The runtime owns
// the real ports; services get wrapped ones whose ids carry the service name.
import { assert } from "../core/assert.ts";
import type {
  DeliveryResult,
  FetchRequest,
  FetchResult,
  MirrorService,
  NetworkInputEvent,
  OutboundMessage,
  ReplayedInputEvent,
  ServicePorts,
} from "./api.ts";

export interface OutboxStats {
  messages: number;
  payloadBytes: number;
  /** Results that named no live service (e.g. after a restart): ignored. */
  strayResults: number;
}

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
    for (const service of this.services.values()) service.onReplayedInput?.(event);
  }

  networkInput(event: NetworkInputEvent): void {
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

  tick(nowMs: number): void {
    for (const service of this.services.values()) service.tick?.(nowMs);
  }

  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const service of this.services.values()) {
      const next = service.nextDueMs?.();
      if (next !== undefined && (due === undefined || next < due)) due = next;
    }
    return due;
  }

  /** Everything services sent out of the server so far (invariant 5 audit). */
  outboxStats(): Readonly<OutboxStats> {
    return { ...this.stats };
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
