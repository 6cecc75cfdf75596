// A session-mode messaging user agent (3GPP TS 24.247: SIP INVITE sets up an
// MSRP session that carries the multimedia message), used by the phones and
// by the mirror server when it answers as the receiver (paper Fig 6–7).
// UAC: INVITE → (peer opens MSRP: "MSRP VISIT") → 200 OK → ACK → MSRP SEND
// chunks → success REPORT → BYE. UAS: the mirror image. The "MSRP VISIT" of
// the paper is the bodiless SEND with which the active endpoint opens the
// MSRP connection (RFC 4975 §7.1.1, a=setup:active per RFC 6135).
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import type { NodeContext, NodeId, Packet } from "./bus.ts";
import { addressUri, type Header } from "./header-list.ts";
import { chunkMessage, MsrpReassembler } from "./msrp-chunks.ts";
import { type MsrpMessage, type MsrpRequest, msrpHeader, msrpLabel, serializeMsrp } from "./msrp-message.ts";
import { sdpForMsrp, sdpMsrpPath } from "./sdp.ts";
import {
  type SipMessage,
  type SipRequest,
  serializeSip,
  sipCallId,
  sipCseq,
  sipHeader,
  sipLabel,
  sipResponseTo,
} from "./sip-message.ts";
import { routeSet, uriAor, uriHost, withRoutes } from "./sip-routing.ts";

export interface ReceivedMessage {
  callId: string;
  /** Our own address of record in this session (the To of the INVITE). */
  to: string;
  /** The sender's address of record, from the From header. */
  from: string;
  messageId: string;
  contentType: string;
  data: Uint8Array;
}

export interface OutgoingMessage {
  to: string;
  /** From header value to present; defaults to our own address (the mirror keeps the original sender's). */
  fromAor?: string;
  messageId: string;
  contentType: string;
  data: Uint8Array;
}

export interface MessagingAgentOptions {
  host: NodeId;
  user: string;
  aor: string;
  /** The CSCF this agent sends initial requests to. */
  outboundProxy: NodeId;
  /** The bus hop toward an IP destination (a phone always goes through its SGSN). */
  hopToward(dst: NodeId): NodeId;
  chunkBytes: number;
  onReceived(message: ReceivedMessage, context: NodeContext): void;
  onSessionEnded?(callId: string, role: "uac" | "uas", context: NodeContext): void;
  /** UAC: the receiver's success REPORT arrived, so the message is delivered. */
  onDelivered?(callId: string, messageId: string, context: NodeContext): void;
}

interface Session {
  role: "uac" | "uas";
  callId: string;
  fromValue: string;
  toValue: string;
  routes: string[];
  remoteTarget: string;
  localPath: string;
  remotePath: string | undefined;
  outgoing: OutgoingMessage | undefined;
  reassembler: MsrpReassembler;
}

export class MessagingAgent {
  private readonly sessions = new Map<string, Session>();
  private readonly byLocalPath = new Map<string, string>();
  private counter = 0;

  constructor(private readonly options: MessagingAgentOptions) {
    assert(options.chunkBytes > 0, "chunk size must be positive");
  }

  private next(prefix: string): string {
    this.counter++;
    return `${prefix}${this.options.host}${String(this.counter).padStart(4, "0")}`;
  }

  private send(
    context: NodeContext,
    dst: NodeId,
    protocol: "sip" | "msrp",
    bytes: Uint8Array,
    label: string,
  ): void {
    const packet: Packet = { src: this.options.host, dst, protocol, bytes, label };
    context.send(this.options.hopToward(dst), packet);
  }

  private sendSip(context: NodeContext, dst: NodeId, message: SipMessage): void {
    this.send(context, dst, "sip", serializeSip(message), sipLabel(message));
  }

  private sendMsrp(context: NodeContext, message: MsrpMessage, label = msrpLabel(message)): void {
    const toPath = msrpHeader(message, "To-Path");
    assert(toPath !== undefined, "MSRP message without To-Path");
    this.send(context, uriHost(toPath), "msrp", serializeMsrp(message), label);
  }

  /** UAC: starts a session that delivers `message` to `message.to`. */
  startSession(
    context: NodeContext,
    message: OutgoingMessage,
    outboundProxy = this.options.outboundProxy,
  ): string {
    const { host, user, aor } = this.options;
    assert(this.sessions.size < limits.sipSessionsPerAgentMax, "too many sessions of our own");
    const callId = `${this.next("c")}@ims.example`;
    const localPath = `msrp://${host}:2855/${this.next("s")};tcp`;
    const session: Session = {
      role: "uac",
      callId,
      fromValue: `<${message.fromAor ?? aor}>;tag=${this.next("tag")}`,
      toValue: `<${message.to}>`,
      routes: [],
      remoteTarget: message.to,
      localPath,
      remotePath: undefined,
      outgoing: message,
      reassembler: new MsrpReassembler(),
    };
    this.sessions.set(callId, session);
    this.byLocalPath.set(localPath, callId);
    const sdp = sdpForMsrp({
      user,
      host,
      path: localPath,
      setup: "actpass",
      acceptTypes: message.contentType,
    });
    const invite: SipRequest = {
      kind: "request",
      method: "INVITE",
      uri: message.to,
      headers: [
        ...this.dialogHeaders(session, 1, "INVITE", [`<sip:${outboundProxy};lr>`]),
        { name: "Contact", value: `<sip:${user}@${host}>` },
        { name: "Content-Type", value: "application/sdp" },
      ],
      body: sdp,
    };
    this.sendSip(context, outboundProxy, invite);
    return callId;
  }

  private dialogHeaders(session: Session, cseq: number, method: string, routes: readonly string[]): Header[] {
    const headers: Header[] = [
      { name: "Via", value: `SIP/2.0/TCP ${this.options.host};branch=z9hG4bK${this.next("b")}` },
      { name: "Max-Forwards", value: "70" },
      { name: "From", value: session.fromValue },
      { name: "To", value: session.toValue },
      { name: "Call-ID", value: session.callId },
      { name: "CSeq", value: `${cseq} ${method}` },
    ];
    return withRoutes(headers, routes);
  }

  private sendInDialog(context: NodeContext, session: Session, cseq: number, method: string): void {
    const request: SipRequest = {
      kind: "request",
      method,
      uri: session.remoteTarget,
      headers: this.dialogHeaders(session, cseq, method, session.routes),
      body: new Uint8Array(0),
    };
    const firstHop = session.routes[0] === undefined ? session.remoteTarget : addressUri(session.routes[0]);
    this.sendSip(context, uriHost(firstHop), request);
  }

  onSip(message: SipMessage, context: NodeContext): void {
    const callId = sipCallId(message);
    const session = this.sessions.get(callId);
    if (message.kind === "request") {
      if (message.method === "INVITE" && !session) this.answerInvite(message, context);
      else if (message.method === "BYE" && session) this.answerBye(message, session, context);
      return; // ACK needs no answer
    }
    if (session?.role !== "uac" || message.status < 200) return;
    const { method } = sipCseq(message);
    if (method === "INVITE" && message.status === 200) this.onInviteAccepted(message, session, context);
    else if (method === "BYE") {
      this.sessions.delete(callId);
      this.byLocalPath.delete(session.localPath);
      this.options.onSessionEnded?.(callId, "uac", context);
    }
  }

  private onInviteAccepted(response: SipMessage, session: Session, context: NodeContext): void {
    const outgoing = session.outgoing;
    assert(outgoing !== undefined, "UAC session without a message");
    session.toValue = sipHeader(response, "To") ?? session.toValue;
    session.routes = routeSet(response, "uac");
    session.remoteTarget = addressUri(sipHeader(response, "Contact") ?? session.remoteTarget);
    session.remotePath = sdpMsrpPath(response.body) ?? session.remotePath;
    this.sendInDialog(context, session, 1, "ACK");
    assert(session.remotePath !== undefined, "answer without an MSRP path");
    const chunks = chunkMessage({
      toPath: session.remotePath,
      fromPath: session.localPath,
      messageId: outgoing.messageId,
      contentType: outgoing.contentType,
      data: outgoing.data,
      chunkBytes: this.options.chunkBytes,
      nextTransactionId: () => this.next("t"),
    });
    for (const chunk of chunks) this.sendMsrp(context, chunk);
  }

  private answerInvite(invite: SipRequest, context: NodeContext): void {
    const { host, user } = this.options;
    if (this.sessions.size >= limits.sipSessionsPerAgentMax) {
      this.sendSip(context, viaTarget(invite), sipResponseTo(invite, 503, "Service Unavailable"));
      return;
    }
    const callId = sipCallId(invite);
    const remotePath = sdpMsrpPath(invite.body);
    const localPath = `msrp://${host}:2855/${this.next("s")};tcp`;
    const toTag = this.next("tag");
    const session: Session = {
      role: "uas",
      callId,
      fromValue: `${sipHeader(invite, "To")};tag=${toTag}`,
      toValue: sipHeader(invite, "From") ?? "",
      routes: routeSet(invite, "uas"),
      remoteTarget: addressUri(sipHeader(invite, "Contact") ?? ""),
      localPath,
      remotePath,
      outgoing: undefined,
      reassembler: new MsrpReassembler(),
    };
    this.sessions.set(callId, session);
    this.byLocalPath.set(localPath, callId);
    if (remotePath !== undefined) {
      const visit: MsrpRequest = {
        kind: "request",
        transactionId: this.next("t"),
        method: "SEND",
        headers: [
          { name: "To-Path", value: remotePath },
          { name: "From-Path", value: localPath },
          { name: "Message-ID", value: this.next("m") },
          { name: "Byte-Range", value: "1-0/0" },
        ],
        continuation: "$",
      };
      this.sendMsrp(context, visit, "MSRP VISIT");
    }
    const sdp = sdpForMsrp({ user, host, path: localPath, setup: "active", acceptTypes: "*" });
    const ok = sipResponseTo(invite, 200, "OK", {
      toTag,
      headers: [
        { name: "Contact", value: `<sip:${user}@${host}>` },
        { name: "Content-Type", value: "application/sdp" },
      ],
      body: sdp,
    });
    this.sendSip(context, viaTarget(invite), ok);
  }

  private answerBye(bye: SipRequest, session: Session, context: NodeContext): void {
    this.sendSip(context, viaTarget(bye), sipResponseTo(bye, 200, "OK"));
    this.sessions.delete(session.callId);
    this.byLocalPath.delete(session.localPath);
    this.options.onSessionEnded?.(session.callId, session.role, context);
  }

  onMsrp(message: MsrpMessage, context: NodeContext): void {
    const toPath = msrpHeader(message, "To-Path") ?? "";
    const callId = this.byLocalPath.get(toPath);
    const session = callId === undefined ? undefined : this.sessions.get(callId);
    if (!session || message.kind === "response") return;
    if (message.method === "REPORT") {
      if (session.role !== "uac") return;
      this.options.onDelivered?.(session.callId, msrpHeader(message, "Message-ID") ?? "", context);
      this.sendInDialog(context, session, 2, "BYE");
      return;
    }
    if (message.method !== "SEND") return;
    const fromPath = msrpHeader(message, "From-Path") ?? "";
    session.remotePath ??= fromPath;
    this.sendMsrp(context, {
      kind: "response",
      transactionId: message.transactionId,
      status: 200,
      comment: "OK",
      headers: [
        { name: "To-Path", value: fromPath },
        { name: "From-Path", value: session.localPath },
      ],
      continuation: "$",
    });
    const accepted = session.reassembler.accept(message);
    if (!accepted.ok || accepted.value === undefined) return;
    const complete = accepted.value;
    const [remote, local] =
      session.role === "uas" ? [session.toValue, session.fromValue] : [session.fromValue, session.toValue];
    this.options.onReceived(
      {
        callId: session.callId,
        to: uriAor(addressUri(local)),
        from: uriAor(addressUri(remote)),
        messageId: complete.messageId,
        contentType: complete.contentType,
        data: complete.data,
      },
      context,
    );
    if (!complete.successReport) return;
    this.sendMsrp(context, {
      kind: "request",
      transactionId: this.next("t"),
      method: "REPORT",
      headers: [
        { name: "To-Path", value: fromPath },
        { name: "From-Path", value: session.localPath },
        { name: "Message-ID", value: complete.messageId },
        { name: "Byte-Range", value: `1-${complete.data.length}/${complete.data.length}` },
        { name: "Status", value: "000 200 OK" },
      ],
      continuation: "$",
    });
  }
}

/** Where a UAS sends a response: the host of the top Via (RFC 3261 §18.2.2). */
function viaTarget(request: SipRequest): NodeId {
  const via = sipHeader(request, "Via") ?? "";
  const first = via.split(",")[0]!.trim();
  return uriHost(first.replace(/^SIP\/2\.0\/[A-Z]+\s+/i, ""));
}
