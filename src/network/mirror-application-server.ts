// The mirror server as a 3G application server (paper §4.1–4.2, Fig 7, 9).
// Session services: the CSCF routes a subscriber's terminating INVITE here by
// filter criterion; the server answers as the receiver (INVITE → MSRP VISIT →
// 200 OK → MSRP SEND), records the content once the session is over, then
// starts a new session to the real phone through the same CSCF, presenting
// the original sender. Non-session services: the SGSN sends the subscriber's
// packets here; the server records what goes down to the phone and hands
// every packet back to the SGSN unchanged. Records are the phone's network
// inputs for the sync engine.
import { assert } from "../core/assert.ts";
import type { MirrorcellError } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { NetworkNode, NodeContext, NodeId, Packet } from "./bus.ts";
import { parseHttp } from "./http-parser.ts";
import { MessagingAgent, type ReceivedMessage } from "./messaging-agent.ts";
import { parseMsrp } from "./msrp-parser.ts";
import { Pop3ResponseParser, parsePop3Command } from "./pop3.ts";
import { emailInput, mmsInput, type RecordedInput, webInput } from "./recorded-input.ts";
import { parseSip } from "./sip-parser.ts";

export interface MirrorServerOptions {
  id: NodeId;
  sgsn: NodeId;
  phones: readonly NodeId[];
  /** Subscriber address of record → its phone and serving CSCF. */
  subscribers: Readonly<Record<string, { phone: NodeId; cscf: NodeId }>>;
  chunkBytes: number;
  /** Called with every record as it is made: a runtime hands it to the sync engine's Traffic Monitor. */
  onRecord?(record: RecordedInput): void;
}

const heldMessagesMax = 256;

export class MirrorApplicationServer implements NetworkNode {
  readonly role = "core" as const;
  readonly id: NodeId;
  readonly recorded: RecordedInput[] = [];
  readonly errors: MirrorcellError[] = [];
  private readonly agent: MessagingAgent;
  /** Content received as the receiver, waiting for its session to end (by Call-ID). */
  private readonly held = new Map<string, ReceivedMessage>();
  /** Sessions to the real phone (by Call-ID) and what they deliver. */
  private readonly relaying = new Map<string, { phone: NodeId; message: ReceivedMessage }>();
  private readonly pendingUrls = new Map<string, string[]>();
  private readonly mail = new Map<string, Pop3ResponseParser>();

  constructor(private readonly options: MirrorServerOptions) {
    this.id = options.id;
    this.agent = new MessagingAgent({
      host: options.id,
      user: "mirror",
      aor: `sip:mirror@${options.id}`,
      outboundProxy: options.id, // replaced per session: the subscriber's own CSCF
      hopToward: (dst) => (options.phones.includes(dst) ? options.sgsn : dst),
      chunkBytes: options.chunkBytes,
      onReceived: (message) => this.onReceived(message),
      onSessionEnded: (callId, role, context) => this.onSessionEnded(callId, role, context),
      onDelivered: (callId, _messageId, context) => this.onDelivered(callId, context),
    });
  }

  onPacket(packet: Packet, from: NodeId, context: NodeContext): void {
    if (packet.protocol === "sip" || packet.protocol === "msrp") {
      this.onSession(packet, context);
      return;
    }
    assert(from === this.options.sgsn, `non-session packet from ${from}, not the SGSN`);
    if (packet.protocol === "http") this.tapHttp(packet, context);
    else if (packet.protocol === "pop3") this.tapPop3(packet, context);
    context.send(this.options.sgsn, packet); // back to the SGSN, unchanged
  }

  private onSession(packet: Packet, context: NodeContext): void {
    if (packet.protocol === "sip") {
      const parsed = parseSip(packet.bytes);
      if (parsed.ok) this.agent.onSip(parsed.value, context);
      else this.errors.push(parsed.error);
      return;
    }
    const parsed = parseMsrp(packet.bytes);
    if (parsed.ok) this.agent.onMsrp(parsed.value, context);
    else this.errors.push(parsed.error);
  }

  private record(record: RecordedInput): void {
    assert(record.input.payload.length > 0 || record.input.kind !== "mms", "an empty MMS recorded");
    this.recorded.push(record);
    this.options.onRecord?.(record);
  }

  private onReceived(message: ReceivedMessage): void {
    if (this.options.subscribers[message.to] === undefined) return;
    assert(this.held.size < heldMessagesMax, "too many messages held for delivery");
    this.held.set(message.callId, message);
  }

  private onSessionEnded(callId: string, role: "uac" | "uas", context: NodeContext): void {
    if (role !== "uas") return;
    const message = this.held.get(callId);
    this.held.delete(callId);
    const subscriber = message === undefined ? undefined : this.options.subscribers[message.to];
    if (!message || !subscriber) return;
    context.note(`records the MMS, then starts a new session to ${subscriber.phone}`);
    const relayCallId = this.agent.startSession(
      context,
      {
        to: message.to,
        fromAor: message.from,
        messageId: message.messageId,
        contentType: message.contentType,
        data: message.data,
      },
      subscriber.cscf,
    );
    assert(!this.relaying.has(relayCallId), "a new session reuses a Call-ID");
    this.relaying.set(relayCallId, { phone: subscriber.phone, message });
  }

  private onDelivered(callId: string, context: NodeContext): void {
    const relay = this.relaying.get(callId);
    if (!relay) return;
    this.relaying.delete(callId);
    this.record({ deviceId: relay.phone, input: mmsInput(relay.message, context.nowMs) });
    context.note(`delivered: network input "mms" of ${relay.phone}`);
  }

  private tapHttp(packet: Packet, context: NodeContext): void {
    const parsed = parseHttp(packet.bytes);
    if (!parsed.ok) return void this.errors.push(parsed.error);
    const downlink = this.options.phones.includes(packet.dst);
    const key = downlink ? `${packet.dst}<${packet.src}` : `${packet.src}<${packet.dst}`;
    const urls = this.pendingUrls.get(key) ?? [];
    this.pendingUrls.set(key, urls);
    const message = parsed.value;
    if (message.kind === "request" && !downlink) {
      // a phone whose requests are never answered must not grow this without bound: forget the oldest
      if (urls.length >= limits.networkPendingRequestsMax) urls.shift();
      urls.push(`http://${packet.dst}${message.target}`);
    }
    const url = message.kind === "response" && downlink ? urls.shift() : undefined;
    if (message.kind === "response" && url !== undefined) {
      this.record({ deviceId: packet.dst, input: webInput(url, message, context.nowMs) });
      context.note(`records the HTTP response: network input of ${packet.dst}`);
    }
  }

  private tapPop3(packet: Packet, context: NodeContext): void {
    const downlink = this.options.phones.includes(packet.dst);
    const key = downlink ? `${packet.dst}<${packet.src}` : `${packet.src}<${packet.dst}`;
    const parser = this.mail.get(key) ?? new Pop3ResponseParser();
    this.mail.set(key, parser);
    if (!downlink) {
      const command = parsePop3Command(packet.bytes);
      if (!command.ok) return void this.errors.push(command.error);
      const expected = parser.expect(command.value.verb === "RETR");
      if (!expected.ok) this.errors.push(expected.error);
      return;
    }
    const responses = parser.feed(packet.bytes);
    if (!responses.ok) return void this.errors.push(responses.error);
    for (const response of responses.value) {
      if (response.ok && response.data !== undefined) {
        this.record({ deviceId: packet.dst, input: emailInput(response.data, context.nowMs) });
        context.note(`records the email: network input of ${packet.dst}`);
      }
    }
  }
}
