// The deterministic message bus that drives the UMTS nodes (paper §4, Fig 5):
// no timers and no clock of its own. Virtual time advances from event to
// event; each directed link is a FIFO with a rate (serialization delay) and a
// one-way latency, so the radio hop (NodeB + RNC, modelled as a link) and the
// core hops are charged as the Table 1 rates say. Ties break by insertion
// order, so one configuration always produces one trace.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";

export type NodeId = string;
export type Protocol = "sip" | "msrp" | "http" | "pop3" | "signaling";
export type NodeRole = "ue" | "core" | "internet";
export type LinkKind = "radio-up" | "radio-down" | "core" | "internet";

/** One application message in one IP packet: `src`/`dst` are the IP endpoints, not the hop. */
export interface Packet {
  readonly src: NodeId;
  readonly dst: NodeId;
  readonly protocol: Protocol;
  readonly bytes: Uint8Array;
  /** What a sequence diagram shows: "INVITE", "MSRP SEND", "HTTP 200 OK". */
  readonly label: string;
}

export interface NodeContext {
  readonly nowMs: number;
  send(to: NodeId, packet: Packet): void;
  /** A remark for the trace and the sequence diagrams ("records the MMS"). */
  note(text: string): void;
}

export interface NetworkNode {
  readonly id: NodeId;
  readonly role: NodeRole;
  onPacket(packet: Packet, from: NodeId, context: NodeContext): void;
}

export interface LinkProfile {
  readonly latencyMs: number;
  readonly rateKbps: number;
}

export interface NetworkProfile {
  readonly name: string;
  readonly radioUp: LinkProfile;
  readonly radioDown: LinkProfile;
  readonly core: LinkProfile;
  readonly internet: LinkProfile;
  /** Time a node takes to handle one message before it sends the next. */
  readonly processingMs: number;
}

export interface TraceEntry {
  readonly step: number;
  readonly sentMs: number;
  readonly arrivedMs: number;
  readonly from: NodeId;
  readonly to: NodeId;
  readonly protocol: Protocol;
  readonly label: string;
  readonly bytes: number;
  readonly link: LinkKind;
}

export interface TraceNote {
  /** Number of trace entries before the note. */
  readonly afterStep: number;
  readonly atMs: number;
  readonly node: NodeId;
  readonly text: string;
}

type Event =
  | {
      atMs: number;
      order: number;
      kind: "packet";
      from: NodeId;
      to: NodeId;
      packet: Packet;
      sentMs: number;
      link: LinkKind;
    }
  | { atMs: number; order: number; kind: "action"; node: NodeId; run: (context: NodeContext) => void };

export class NetworkBus {
  private readonly nodes = new Map<NodeId, NetworkNode>();
  private readonly linkFreeAtMs = new Map<string, number>();
  private readonly queue: Event[] = [];
  private order = 0;
  private nowMs = 0;
  readonly trace: TraceEntry[] = [];
  readonly notes: TraceNote[] = [];
  /** Every packet's bytes, in delivery order, when constructed with `captureWire` (tests, fuzz corpora). */
  readonly wire: Packet[] = [];
  readonly bytesByLink: Record<LinkKind, number> = { "radio-up": 0, "radio-down": 0, core: 0, internet: 0 };

  constructor(
    readonly profile: NetworkProfile,
    private readonly options: { captureWire?: boolean } = {},
  ) {
    assert(profile.radioUp.rateKbps > 0 && profile.radioDown.rateKbps > 0, "radio rates must be positive");
    assert(profile.core.rateKbps > 0 && profile.internet.rateKbps > 0, "core rates must be positive");
  }

  add<T extends NetworkNode>(node: T): T {
    assert(!this.nodes.has(node.id), `duplicate node ${node.id}`);
    this.nodes.set(node.id, node);
    return node;
  }

  node(id: NodeId): NetworkNode {
    const node = this.nodes.get(id);
    assert(node !== undefined, `unknown node ${id}`);
    return node;
  }

  /** Runs `run` on node `node` at virtual time `atMs` (a user action, a provisioning step). */
  schedule(atMs: number, node: NodeId, run: (context: NodeContext) => void): void {
    assert(atMs >= this.nowMs, `cannot schedule in the past (${atMs} < ${this.nowMs})`);
    this.node(node);
    this.push({ atMs, order: this.order++, kind: "action", node, run });
  }

  /** Processes events in time order until none is left; returns the final virtual time. */
  run(): number {
    for (let deliveries = 0; this.queue.length > 0; deliveries++) {
      assert(deliveries < limits.networkDeliveriesMax, "network flow did not settle");
      const event = this.pop();
      assert(event.atMs >= this.nowMs, `time went backwards: ${event.atMs} < ${this.nowMs} (${event.kind})`);
      this.nowMs = event.atMs;
      if (event.kind === "action") {
        event.run(this.contextFor(event.node));
        continue;
      }
      this.trace.push({
        step: this.trace.length + 1,
        sentMs: event.sentMs,
        arrivedMs: event.atMs,
        from: event.from,
        to: event.to,
        protocol: event.packet.protocol,
        label: event.packet.label,
        bytes: event.packet.bytes.length,
        link: event.link,
      });
      if (this.options.captureWire) this.wire.push(event.packet);
      this.node(event.to).onPacket(event.packet, event.from, this.contextFor(event.to));
    }
    return this.nowMs;
  }

  private contextFor(self: NodeId): NodeContext {
    const nowMs = this.nowMs;
    return {
      nowMs,
      send: (to, packet) => this.transmit(self, to, packet, nowMs + this.profile.processingMs),
      note: (text) => {
        assert(this.notes.length < limits.networkQueueMax, "too many trace notes");
        this.notes.push({ afterStep: this.trace.length, atMs: nowMs, node: self, text });
      },
    };
  }

  private transmit(from: NodeId, to: NodeId, packet: Packet, readyMs: number): void {
    assert(from !== to, `${from} sends to itself`);
    const link = this.linkKind(from, to);
    const spec = this.linkProfile(link);
    const key = `${from}>${to}`;
    const startMs = Math.max(readyMs, this.linkFreeAtMs.get(key) ?? 0);
    const doneMs = startMs + (packet.bytes.length * 8) / spec.rateKbps;
    assert(doneMs >= readyMs && Number.isFinite(doneMs), "a packet cannot leave before it is ready");
    assert(packet.bytes.length > 0, `${from} sends an empty ${packet.protocol} packet`);
    this.linkFreeAtMs.set(key, doneMs);
    this.bytesByLink[link] += packet.bytes.length;
    this.push({
      atMs: doneMs + spec.latencyMs,
      order: this.order++,
      kind: "packet",
      from,
      to,
      packet,
      sentMs: readyMs,
      link,
    });
  }

  private linkKind(from: NodeId, to: NodeId): LinkKind {
    const a = this.node(from).role;
    const b = this.node(to).role;
    assert(!(a === "ue" && b === "ue"), "phones have no direct link");
    if (a === "ue") return "radio-up";
    if (b === "ue") return "radio-down";
    return a === "internet" || b === "internet" ? "internet" : "core";
  }

  private linkProfile(link: LinkKind): LinkProfile {
    if (link === "radio-up") return this.profile.radioUp;
    if (link === "radio-down") return this.profile.radioDown;
    return link === "core" ? this.profile.core : this.profile.internet;
  }

  private push(event: Event): void {
    assert(this.queue.length < limits.networkQueueMax, "network event queue full");
    const queue = this.queue;
    queue.push(event);
    for (let i = queue.length - 1; i > 0; ) {
      const parent = (i - 1) >> 1;
      if (!before(queue[i]!, queue[parent]!)) break;
      [queue[i], queue[parent]] = [queue[parent]!, queue[i]!];
      i = parent;
    }
  }

  private pop(): Event {
    const queue = this.queue;
    const top = queue[0]!;
    const last = queue.pop()!;
    if (queue.length > 0) {
      queue[0] = last;
      for (let i = 0; ; ) {
        const left = 2 * i + 1;
        const right = left + 1;
        let smallest = i;
        if (left < queue.length && before(queue[left]!, queue[smallest]!)) smallest = left;
        if (right < queue.length && before(queue[right]!, queue[smallest]!)) smallest = right;
        if (smallest === i) break;
        [queue[i], queue[smallest]] = [queue[smallest]!, queue[i]!];
        i = smallest;
      }
    }
    return top;
  }
}

function before(a: Event, b: Event): boolean {
  return a.atMs < b.atMs || (a.atMs === b.atMs && a.order < b.order);
}
