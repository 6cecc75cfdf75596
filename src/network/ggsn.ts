// The GGSN (paper §4.1): the gateway between the UMTS packet core and
// external networks. It needs no mirror configuration at all: the SGSN has
// already sent a subscriber's packets through the mirror server.
import type { NetworkNode, NodeContext, NodeId, Packet } from "./bus.ts";

export class Ggsn implements NetworkNode {
  readonly role = "core" as const;

  constructor(
    readonly id: NodeId,
    private readonly sgsn: NodeId,
    private readonly internetHosts: readonly NodeId[],
  ) {}

  /** The gateway to external packet networks: out to the Internet host, or back to the SGSN. */
  onPacket(packet: Packet, _from: NodeId, context: NodeContext): void {
    context.send(this.internetHosts.includes(packet.dst) ? packet.dst : this.sgsn, packet);
  }
}
