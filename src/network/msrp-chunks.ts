// MSRP chunking (RFC 4975 §5.1, §7.1.1): one message becomes SEND chunks
// that carry Byte-Range and share a Message-ID; the receiver reassembles them
// in any order, bounded in size and in messages in flight, and answers with a
// success REPORT (§7.1.2) when the sender asked for one.
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Header } from "./header-list.ts";
import {
  formatByteRange,
  type MsrpRequest,
  msrpDataCollides,
  msrpHeader,
  parseByteRange,
} from "./msrp-message.ts";

export interface MsrpOutgoing {
  toPath: string;
  fromPath: string;
  messageId: string;
  contentType: string;
  data: Uint8Array;
  chunkBytes: number;
  /** Fresh transaction ids; called again when an id collides with the content. */
  nextTransactionId(): string;
}

export function chunkMessage(message: MsrpOutgoing): MsrpRequest[] {
  assert(message.chunkBytes > 0 && message.chunkBytes <= limits.msrpChunkBytesMax, "bad chunk size");
  const total = message.data.length;
  const chunks: MsrpRequest[] = [];
  for (let offset = 0; offset < total || (total === 0 && chunks.length === 0); offset += message.chunkBytes) {
    const data = message.data.subarray(offset, Math.min(total, offset + message.chunkBytes));
    let transactionId = message.nextTransactionId();
    for (let tries = 0; msrpDataCollides(data, transactionId); tries++) {
      assert(tries < 16, "transaction ids keep colliding with the content");
      transactionId = message.nextTransactionId();
    }
    const last = offset + message.chunkBytes >= total;
    const headers: Header[] = [
      { name: "To-Path", value: message.toPath },
      { name: "From-Path", value: message.fromPath },
      { name: "Message-ID", value: message.messageId },
      { name: "Success-Report", value: "yes" },
      { name: "Byte-Range", value: formatByteRange({ start: offset + 1, end: offset + data.length, total }) },
    ];
    chunks.push({
      kind: "request",
      transactionId,
      method: "SEND",
      headers,
      content: { contentType: message.contentType, data: data.slice() },
      continuation: last ? "$" : "+",
    });
  }
  assert(chunks.length === Math.max(1, Math.ceil(total / message.chunkBytes)), "chunk count");
  return chunks;
}

export interface MsrpComplete {
  messageId: string;
  contentType: string;
  data: Uint8Array;
  successReport: boolean;
}

interface Partial {
  contentType: string;
  data: Uint8Array;
  received: number;
  /** Chunk start (0-based) → length, to drop duplicates and reject overlaps. */
  ranges: Map<number, number>;
  successReport: boolean;
}

function malformed<T>(reason: string): Result<T> {
  return fail(ErrorCodes.MSRP_MALFORMED, `Cannot reassemble MSRP message: ${reason}`);
}

/** Collects SEND chunks per Message-ID; returns the message once every byte arrived. */
export class MsrpReassembler {
  private readonly partials = new Map<string, Partial>();

  accept(send: MsrpRequest): Result<MsrpComplete | undefined> {
    if (send.method !== "SEND" || send.content === undefined) return ok(undefined); // bodiless SEND opens a session
    const messageId = msrpHeader(send, "Message-ID");
    if (messageId === undefined) return malformed("SEND without Message-ID");
    const range = parseByteRange(msrpHeader(send, "Byte-Range") ?? `1-*/${send.content.data.length}`);
    if (!range || range.total === undefined)
      return malformed("Byte-Range missing, malformed or with unknown total");
    const end = range.start - 1 + send.content.data.length;
    if (end > range.total || (range.end !== undefined && range.end !== end)) {
      return malformed(
        `Byte-Range ${formatByteRange(range)} does not match ${send.content.data.length} content bytes`,
      );
    }
    if (range.total > limits.networkPayloadBytesMax) {
      return fail(
        ErrorCodes.MESSAGE_TOO_LARGE,
        `MSRP message of ${range.total} bytes exceeds ${limits.networkPayloadBytesMax}`,
      );
    }
    let partial = this.partials.get(messageId);
    if (!partial) {
      if (this.partials.size >= limits.msrpMessagesInFlightMax) {
        return fail(
          ErrorCodes.QUEUE_FULL,
          `more than ${limits.msrpMessagesInFlightMax} MSRP messages in flight`,
        );
      }
      partial = {
        contentType: send.content.contentType,
        data: new Uint8Array(range.total),
        received: 0,
        ranges: new Map(),
        successReport: false,
      };
      this.partials.set(messageId, partial);
    }
    if (partial.data.length !== range.total) return malformed("chunks disagree on the total size");
    const placed = placeChunk(partial, range.start - 1, send.content.data);
    if (!placed.ok) return placed;
    partial.successReport ||= msrpHeader(send, "Success-Report") === "yes";
    if (send.continuation === "#") {
      this.partials.delete(messageId);
      return ok(undefined);
    }
    if (partial.received < range.total) return ok(undefined);
    this.partials.delete(messageId);
    assert(partial.received === range.total, "received more bytes than the total");
    return ok({
      messageId,
      contentType: partial.contentType,
      data: partial.data,
      successReport: partial.successReport,
    });
  }
}

function placeChunk(partial: Partial, offset: number, data: Uint8Array): Result<void> {
  const known = partial.ranges.get(offset);
  if (known === data.length) return ok(undefined); // a retransmitted chunk
  for (const [start, length] of partial.ranges) {
    if (offset < start + length && start < offset + data.length) {
      return malformed(`chunk at byte ${offset + 1} overlaps the chunk at byte ${start + 1}`);
    }
  }
  if (partial.ranges.size >= limits.msrpChunksPerMessageMax) {
    return fail(
      ErrorCodes.MESSAGE_TOO_LARGE,
      `more than ${limits.msrpChunksPerMessageMax} chunks in one MSRP message`,
    );
  }
  partial.ranges.set(offset, data.length);
  partial.data.set(data, offset);
  partial.received += data.length;
  assert(partial.received <= partial.data.length, "chunks exceed the total without overlapping");
  return ok(undefined);
}
