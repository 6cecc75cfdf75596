// A phone (UE) on the bus: every packet goes up the radio link to its SGSN.
// It sends MMS as a session-mode message (SIP + MSRP), browses over HTTP/1.1
// and fetches mail over POP3; what arrives is kept as the phone's network
// inputs (`received`), the ground truth the mirror's record is checked against.
import { assert } from "../core/assert.ts";
import type { MirrorcellError } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { NetworkNode, NodeContext, NodeId, Packet } from "./bus.ts";
import { type HttpRequest, httpLabel, serializeHttp } from "./http-message.ts";
import { parseHttp } from "./http-parser.ts";
import { MessagingAgent, type OutgoingMessage } from "./messaging-agent.ts";
import { parseMsrp } from "./msrp-parser.ts";
import { Pop3ResponseParser, pop3Label, serializePop3Command } from "./pop3.ts";
import { type DeliveredInput, emailInput, mmsInput, webInput } from "./recorded-input.ts";
import { parseSip } from "./sip-parser.ts";

export interface PhoneOptions {
  id: NodeId;
  user: string;
  aor: string;
  sgsn: NodeId;
  cscf: NodeId;
  chunkBytes: number;
}

export class Phone implements NetworkNode {
  readonly role = "ue" as const;
  readonly id: NodeId;
  readonly received: DeliveredInput[] = [];
  readonly errors: MirrorcellError[] = [];
  /** Message-IDs whose delivery the receiver confirmed with a success REPORT. */
  readonly delivered: string[] = [];
  private readonly agent: MessagingAgent;
  private readonly pendingUrls = new Map<NodeId, string[]>();
  private readonly mail = new Map<NodeId, { parser: Pop3ResponseParser }>();

  constructor(private readonly options: PhoneOptions) {
    this.id = options.id;
    this.agent = new MessagingAgent({
      host: options.id,
      user: options.user,
      aor: options.aor,
      outboundProxy: options.cscf,
      hopToward: () => options.sgsn,
      chunkBytes: options.chunkBytes,
      onReceived: (message, context) => this.received.push(mmsInput(message, context.nowMs)),
      onDelivered: (_callId, messageId) => this.delivered.push(messageId),
    });
  }

  sendMms(context: NodeContext, message: OutgoingMessage): string {
    return this.agent.startSession(context, message);
  }

  browse(context: NodeContext, server: NodeId, path: string): void {
    const request: HttpRequest = {
      kind: "request",
      method: "GET",
      target: path,
      headers: [
        { name: "Host", value: server },
        { name: "User-Agent", value: "mirrorcell-phone" },
        { name: "Accept", value: "text/html" },
      ],
      body: new Uint8Array(0),
    };
    const urls = this.pendingUrls.get(server) ?? [];
    assert(urls.length < limits.networkPendingRequestsMax, "too many requests in flight");
    urls.push(`http://${server}${path}`);
    this.pendingUrls.set(server, urls);
    this.send(context, {
      src: this.id,
      dst: server,
      protocol: "http",
      bytes: serializeHttp(request),
      label: httpLabel(request),
    });
  }

  fetchMail(context: NodeContext, server: NodeId, index: number): void {
    assert(Number.isSafeInteger(index) && index >= 1, "POP3 message numbers start at 1");
    const session = this.mail.get(server) ?? { parser: new Pop3ResponseParser() };
    this.mail.set(server, session);
    const expected = session.parser.expect(true);
    assert(expected.ok, "too many mail commands in flight");
    const command = { verb: "RETR", args: [String(index)] };
    this.send(context, {
      src: this.id,
      dst: server,
      protocol: "pop3",
      bytes: serializePop3Command(command),
      label: pop3Label("command", command),
    });
  }

  onPacket(packet: Packet, _from: NodeId, context: NodeContext): void {
    if (packet.protocol === "sip") {
      const parsed = parseSip(packet.bytes);
      if (parsed.ok) this.agent.onSip(parsed.value, context);
      else this.errors.push(parsed.error);
    } else if (packet.protocol === "msrp") {
      const parsed = parseMsrp(packet.bytes);
      if (parsed.ok) this.agent.onMsrp(parsed.value, context);
      else this.errors.push(parsed.error);
    } else if (packet.protocol === "http") this.onHttp(packet, context);
    else if (packet.protocol === "pop3") this.onPop3(packet, context);
  }

  private onHttp(packet: Packet, context: NodeContext): void {
    const parsed = parseHttp(packet.bytes);
    if (!parsed.ok) return void this.errors.push(parsed.error);
    const url = this.pendingUrls.get(packet.src)?.shift();
    if (parsed.value.kind !== "response" || url === undefined) return;
    this.received.push(webInput(url, parsed.value, context.nowMs));
  }

  private onPop3(packet: Packet, context: NodeContext): void {
    const session = this.mail.get(packet.src);
    if (!session) return;
    const parsed = session.parser.feed(packet.bytes);
    if (!parsed.ok) return void this.errors.push(parsed.error);
    for (const response of parsed.value) {
      if (response.ok && response.data !== undefined)
        this.received.push(emailInput(response.data, context.nowMs));
    }
  }

  private send(context: NodeContext, packet: Packet): void {
    context.send(this.options.sgsn, packet);
  }
}
