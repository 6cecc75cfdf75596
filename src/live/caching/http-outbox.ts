// The caching service's Outbox in the live runtime: each outbound message is
// an HTTP POST to the recipient's inbox URL, carrying the phone as sender
// (x-mirrorcell-from) so the recipient sees the file as sent by the phone
// (paper §5.1.2). The outcome is reported after send() returned, as the
// ServiceHost requires. Bounded: a timeout per request and a cap on requests
// in flight (beyond it a send fails fast and the service retries later).
import { toHex } from "../../core/bytes.ts";
import { ErrorCodes, fail, ok } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import type { DeliveryResult, OutboundMessage, Outbox } from "../../services/api.ts";

export interface HttpOutboxOptions {
  /** Inbox URL of a recipient address, or undefined when it has none. */
  urlOf(address: string): string | undefined;
  report(deliveryId: string, result: DeliveryResult): void;
  timeoutMs?: number;
  inFlightMax?: number;
}

export class HttpOutbox implements Outbox {
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly options: HttpOutboxOptions) {}

  send(message: OutboundMessage): void {
    const task = this.post(message).then((result) => this.options.report(message.deliveryId, result));
    this.running.add(task);
    void task.finally(() => this.running.delete(task));
  }

  inFlight(): number {
    return this.running.size;
  }

  /** Resolves when every send started so far has reported. */
  async idle(): Promise<void> {
    while (this.running.size > 0) await Promise.allSettled([...this.running]);
  }

  private async post(message: OutboundMessage): Promise<DeliveryResult> {
    await Promise.resolve(); // report strictly after send() returned
    const url = this.options.urlOf(message.to);
    if (url === undefined)
      return fail(ErrorCodes.RECIPIENT_UNREACHABLE, `Cannot deliver to ${message.to}: no route`);
    if (this.running.size > (this.options.inFlightMax ?? limits.outboxInFlightMax)) {
      return fail(
        ErrorCodes.RECIPIENT_UNREACHABLE,
        `Cannot deliver to ${message.to}: too many sends in flight`,
      );
    }
    try {
      const response = await fetch(url, {
        method: "POST",
        headers: {
          "content-type": "application/octet-stream",
          "x-mirrorcell-from": message.fromDeviceId,
          "x-mirrorcell-name": encodeURIComponent(message.name),
          "x-mirrorcell-sha256": toHex(message.sha256),
          "x-mirrorcell-delivery-id": message.deliveryId,
        },
        body: message.payload,
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
      await response.arrayBuffer();
      if (response.ok) return ok(undefined);
      return fail(
        ErrorCodes.RECIPIENT_UNREACHABLE,
        `Cannot deliver to ${message.to}: HTTP ${response.status}`,
      );
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return fail(ErrorCodes.RECIPIENT_UNREACHABLE, `Cannot deliver to ${message.to}: ${reason}`);
    }
  }
}
