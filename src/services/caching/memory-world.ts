// An in-memory outside world for the caching service: recipients that receive
// what the Outbox sends (and can be made unreachable) and, like any idempotent
// receiver, keep one copy per delivery id, and a web of URLs the
// Fetcher reads. Sans-IO and deterministic, so the simulator and the tests
// use it directly: sends and fetches queue up, and `flush` completes them and
// reports each outcome to the ServiceHost (never from inside the port call).
import { assert } from "../../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import type { Fetcher, FetchRequest, OutboundMessage, Outbox } from "../api.ts";
import type { ServiceHost } from "../service-host.ts";

export interface ReceivedFile {
  from: string;
  name: string;
  payload: Uint8Array;
  atMs: number;
}

export class MemoryWorld implements Outbox, Fetcher {
  private readonly inboxes = new Map<string, ReceivedFile[]>();
  private readonly unreachable = new Set<string>();
  private readonly pages = new Map<string, Uint8Array>();
  private sends: OutboundMessage[] = [];
  private fetches: FetchRequest[] = [];
  private readonly deliveredIds = new Set<string>();
  sendAttempts = 0;
  sentPayloadBytes = 0;
  /** Sends whose delivery id a recipient already had (re-sent after a server restart): acknowledged, not stored twice. */
  duplicatesIgnored = 0;

  addRecipient(address: string): void {
    if (!this.inboxes.has(address)) this.inboxes.set(address, []);
  }

  setReachable(address: string, reachable: boolean): void {
    if (reachable) this.unreachable.delete(address);
    else this.unreachable.add(address);
  }

  publish(url: string, payload: Uint8Array): void {
    this.pages.set(url, payload);
  }

  inbox(address: string): readonly ReceivedFile[] {
    return this.inboxes.get(address) ?? [];
  }

  send(message: OutboundMessage): void {
    this.sends.push(message);
  }

  fetch(request: FetchRequest): void {
    this.fetches.push(request);
  }

  pending(): number {
    return this.sends.length + this.fetches.length;
  }

  /**
   * A file the phone uploads itself over its radio (service off or a small
   * file): reaches the recipient the same way, but is not server output.
   */
  receiveFromPhone(message: Omit<OutboundMessage, "deliveryId" | "sha256">, nowMs: number) {
    const inbox = this.reachableInbox(message.to);
    if (!inbox.ok) return inbox;
    inbox.value.push(received(message, nowMs));
    return ok(undefined);
  }

  /** Completes every queued send and fetch and reports the outcomes to the host. */
  flush(host: ServiceHost, nowMs: number): void {
    const sends = this.sends;
    const fetches = this.fetches;
    this.sends = [];
    this.fetches = [];
    for (const message of sends) host.deliveryResult(message.deliveryId, this.deliver(message, nowMs), nowMs);
    for (const request of fetches) host.fetchResult(request.fetchId, this.read(request), nowMs);
  }

  private deliver(message: OutboundMessage, nowMs: number) {
    this.sendAttempts++;
    const inbox = this.reachableInbox(message.to);
    if (!inbox.ok) return inbox;
    this.sentPayloadBytes += message.payload.length;
    if (this.deliveredIds.has(message.deliveryId)) {
      this.duplicatesIgnored++;
      return ok(undefined);
    }
    this.deliveredIds.add(message.deliveryId);
    inbox.value.push(received(message, nowMs));
    return ok(undefined);
  }

  private reachableInbox(to: string): Result<ReceivedFile[]> {
    const inbox = this.inboxes.get(to);
    if (inbox === undefined || this.unreachable.has(to)) {
      return fail(ErrorCodes.RECIPIENT_UNREACHABLE, `Cannot deliver to ${to}: unreachable`);
    }
    return ok(inbox);
  }

  private read(request: FetchRequest) {
    const payload = this.pages.get(request.url);
    if (payload === undefined) return fail(ErrorCodes.UNAVAILABLE, `Cannot fetch ${request.url}: not found`);
    if (payload.length > request.bytesMax) {
      return fail(ErrorCodes.PAYLOAD_TOO_LARGE, `Cannot fetch ${request.url}: ${payload.length} bytes`);
    }
    assert(payload.length <= request.bytesMax, "fetch bound");
    return ok({ payload: payload.slice() });
  }
}

/** A copy of the payload: the sender may reuse its buffer. */
function received(message: Omit<OutboundMessage, "deliveryId" | "sha256">, nowMs: number): ReceivedFile {
  return { from: message.fromDeviceId, name: message.name, payload: message.payload.slice(), atMs: nowMs };
}
