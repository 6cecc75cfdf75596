// The MMS application server of the sender's home network: the CSCF routes
// originating INVITEs of messaging users through it by filter criterion (the
// same mechanism that routes a mirror subscriber's terminating INVITEs to the
// mirror server). It acts as a proxy AS: it checks the offer carries a
// message session, then routes the request back via the remaining Route.
import type { MirrorcellError } from "../core/errors.ts";
import type { NetworkNode, NodeContext, NodeId, Packet } from "./bus.ts";
import { addressUri } from "./header-list.ts";
import { valueOrRecord } from "./peer-errors.ts";
import { sdpMsrpPath } from "./sdp.ts";
import { type SipMessage, serializeSip, sipLabel } from "./sip-message.ts";
import { parseSip } from "./sip-parser.ts";
import { popOwnRoute, pushVia, relayResponse, routeEntries, uriHost } from "./sip-routing.ts";

export class MmsApplicationServer implements NetworkNode {
  readonly role = "core" as const;
  readonly errors: MirrorcellError[] = [];
  sessionsAuthorized = 0;
  private branches = 0;

  constructor(readonly id: NodeId) {}

  onPacket(packet: Packet, _from: NodeId, context: NodeContext): void {
    const message = valueOrRecord(parseSip(packet.bytes), this.errors);
    if (message === undefined) return;
    if (message.kind === "response") {
      relayResponse(message, this.id, (host, upstream) => this.send(context, host, upstream));
      return;
    }
    const popped = popOwnRoute(message, this.id);
    const next = popped ? routeEntries(popped.message)[0] : undefined;
    if (!popped || next === undefined) return; // not routed to us as an AS: ignore
    if (message.method === "INVITE" && sdpMsrpPath(message.body) !== undefined) this.sessionsAuthorized++;
    this.send(
      context,
      uriHost(addressUri(next)),
      pushVia(popped.message, this.id, `z9hG4bK${this.id}.${++this.branches}`),
    );
  }

  private send(context: NodeContext, dst: NodeId, message: SipMessage): void {
    context.send(dst, {
      src: this.id,
      dst,
      protocol: "sip",
      bytes: serializeSip(message),
      label: sipLabel(message),
    });
  }
}
