// The SGSN (paper §4.1): moves the phones' packets between the radio network
// (NodeB + RNC, a link on the bus) and the core. Configuration decides what
// the mirror service changes: the HSS tells it which phones have the service
// (Insert-Subscriber-Data); on the first non-session packet of such a phone it
// asks the phone's CSCF for the user policy (which mirror server), then sends
// every non-session packet from/to the phone through that mirror server and
// back. Session traffic (SIP, MSRP) is routed as usual; the CSCF handles it.
import { assert } from "../core/assert.ts";
import { ErrorCodes, MirrorcellError } from "../core/errors.ts";
import type { NetworkNode, NodeContext, NodeId, Packet } from "./bus.ts";
import { valueOrRecord } from "./peer-errors.ts";
import { avp, parseSignaling, type SignalingMessage, sendSignaling } from "./signaling.ts";

interface MirrorSubscriber {
  aor: string;
  cscf: NodeId;
  /** Learned from the CSCF's user policy; undefined until the answer arrives. */
  mirrorServer: NodeId | undefined;
  waiting: Packet[];
}

export interface SgsnOptions {
  id: NodeId;
  ggsn: NodeId;
  phones: readonly NodeId[];
  /** Hosts outside the operator network (reached through the GGSN). */
  internetHosts: readonly NodeId[];
}

const waitingPacketsMax = 1024;

export class Sgsn implements NetworkNode {
  readonly role = "core" as const;
  readonly id: NodeId;
  readonly errors: MirrorcellError[] = [];
  private readonly subscribers = new Map<NodeId, MirrorSubscriber>();

  constructor(private readonly options: SgsnOptions) {
    this.id = options.id;
    assert(options.phones.length > 0, "an SGSN without phones");
  }

  onPacket(packet: Packet, from: NodeId, context: NodeContext): void {
    if (packet.dst === this.id) {
      assert(packet.protocol === "signaling", `SGSN got ${packet.protocol} addressed to itself`);
      this.onSignaling(packet, context);
      return;
    }
    const phone = this.mirroredPhone(packet);
    const subscriber = phone === undefined ? undefined : this.subscribers.get(phone);
    if (subscriber === undefined || from === subscriber.mirrorServer) {
      context.send(this.nextHop(packet.dst), packet);
      return;
    }
    if (subscriber.mirrorServer !== undefined) {
      assert(subscriber.mirrorServer !== this.id, "the mirror server cannot be the SGSN");
      context.send(subscriber.mirrorServer, packet);
      return;
    }
    if (subscriber.waiting.length >= waitingPacketsMax) {
      this.errors.push(
        new MirrorcellError(
          ErrorCodes.QUEUE_FULL,
          `${phone}: packets dropped while the user policy is pending`,
        ),
      );
      return;
    }
    subscriber.waiting.push(packet);
    if (subscriber.waiting.length === 1) {
      this.send(context, subscriber.cscf, {
        command: "User-Policy-Request",
        avps: [
          { name: "User-Public-Identity", value: subscriber.aor },
          { name: "Subscriber", value: phone! },
        ],
      });
    }
  }

  /** The phone whose non-session packet this is, if it has the mirror service. */
  private mirroredPhone(packet: Packet): NodeId | undefined {
    if (packet.protocol === "sip" || packet.protocol === "msrp" || packet.protocol === "signaling")
      return undefined;
    if (this.subscribers.has(packet.dst)) return packet.dst;
    return this.subscribers.has(packet.src) ? packet.src : undefined;
  }

  private nextHop(dst: NodeId): NodeId {
    return this.options.internetHosts.includes(dst) ? this.options.ggsn : dst;
  }

  private onSignaling(packet: Packet, context: NodeContext): void {
    const message = valueOrRecord(parseSignaling(packet.bytes), this.errors);
    if (message === undefined) return;
    const phone = avp(message, "Subscriber") ?? "";
    if (message.command === "Insert-Subscriber-Data-Request") {
      if (avp(message, "Mirror-Service") === "enabled" && this.options.phones.includes(phone)) {
        this.subscribers.set(phone, {
          aor: avp(message, "User-Public-Identity") ?? "",
          cscf: avp(message, "Serving-CSCF") ?? "",
          mirrorServer: undefined,
          waiting: [],
        });
      } else this.subscribers.delete(phone);
      this.send(context, packet.src, {
        command: "Insert-Subscriber-Data-Answer",
        avps: [
          { name: "Result-Code", value: "2001" },
          { name: "Subscriber", value: phone },
        ],
      });
    } else if (message.command === "User-Policy-Answer") {
      const subscriber = this.subscribers.get(phone);
      const server = avp(message, "Mirror-Server");
      if (!subscriber) return;
      if (server === undefined)
        this.subscribers.delete(phone); // the CSCF has no mirror policy: route normally
      else subscriber.mirrorServer = server;
      for (const waiting of subscriber.waiting.splice(0))
        context.send(server ?? this.nextHop(waiting.dst), waiting);
    }
  }

  private send(context: NodeContext, to: NodeId, message: SignalingMessage): void {
    sendSignaling(context, this.id, to, message);
  }
}
