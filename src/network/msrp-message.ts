// MSRP messages (RFC 4975 §7): requests (SEND, REPORT, extension methods),
// transaction responses, the end-line with its continuation flag, and the
// Byte-Range / Status header helpers that chunking and reports need.
import { assert } from "../core/assert.ts";
import { concatBytes, utf8 } from "../core/bytes.ts";
import { indexOfBytes } from "./byte-queue.ts";
import { type Header, headerValue, isToken } from "./header-list.ts";

/** "$" complete, "+" more chunks follow, "#" message aborted. */
export type MsrpContinuation = "$" | "+" | "#";

export interface MsrpRequest {
  readonly kind: "request";
  readonly transactionId: string;
  readonly method: string;
  /** To-Path and From-Path first, as RFC 4975 requires; no Content-Type (it goes with the body). */
  readonly headers: readonly Header[];
  /** Present iff the request carries content (then it has a Content-Type). */
  readonly content?: { readonly contentType: string; readonly data: Uint8Array };
  readonly continuation: MsrpContinuation;
}

export interface MsrpResponse {
  readonly kind: "response";
  readonly transactionId: string;
  readonly status: number;
  readonly comment: string;
  readonly headers: readonly Header[];
  readonly continuation: MsrpContinuation;
}

export type MsrpMessage = MsrpRequest | MsrpResponse;

const identPattern = /^[A-Za-z0-9][A-Za-z0-9.\-+%=]{3,31}$/;

/** RFC 4975 `ident`: transaction and message ids. */
export function isMsrpIdent(text: string): boolean {
  return identPattern.test(text);
}

export function msrpEndLine(transactionId: string, continuation: MsrpContinuation): string {
  return `-------${transactionId}${continuation}`;
}

/** True when `data` could be mistaken for this transaction's end-line (the sender must pick another id). */
export function msrpDataCollides(data: Uint8Array, transactionId: string): boolean {
  return indexOfBytes(data, utf8(`\r\n-------${transactionId}`)) >= 0;
}

export function serializeMsrp(message: MsrpMessage): Uint8Array {
  assert(isMsrpIdent(message.transactionId), `bad transaction id ${message.transactionId}`);
  const startLine =
    message.kind === "request"
      ? `MSRP ${message.transactionId} ${message.method}`
      : `MSRP ${message.transactionId} ${message.status}${message.comment === "" ? "" : ` ${message.comment}`}`;
  let head = `${startLine}\r\n`;
  for (const { name, value } of message.headers) {
    assert(isToken(name) && name.toLowerCase() !== "content-type", `bad MSRP header name ${name}`);
    assert(!/[\r\n]/.test(value) && value === value.trim(), `bad value for ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  const end = `${msrpEndLine(message.transactionId, message.continuation)}\r\n`;
  if (message.kind === "response" || message.content === undefined) return utf8(head + end);
  const { contentType, data } = message.content;
  assert(!msrpDataCollides(data, message.transactionId), "content contains the end-line");
  head += `Content-Type: ${contentType}\r\n\r\n`;
  return concatBytes([utf8(head), data, utf8(`\r\n${end}`)]);
}

export function msrpLabel(message: MsrpMessage): string {
  return message.kind === "request" ? `MSRP ${message.method}` : `MSRP ${message.status} ${message.comment}`;
}

export function msrpHeader(message: MsrpMessage, name: string): string | undefined {
  return headerValue(message.headers, name);
}

export interface ByteRange {
  /** 1-based first byte. */
  start: number;
  /** Last byte, inclusive; undefined for "*". */
  end: number | undefined;
  /** Total bytes of the message; undefined for "*". */
  total: number | undefined;
}

export function formatByteRange(range: ByteRange): string {
  return `${range.start}-${range.end ?? "*"}/${range.total ?? "*"}`;
}

export function parseByteRange(value: string): ByteRange | undefined {
  const match = /^([0-9]{1,15})-([0-9]{1,15}|\*)\/([0-9]{1,15}|\*)$/.exec(value.trim());
  if (!match) return undefined;
  const start = Number(match[1]);
  const end = match[2] === "*" ? undefined : Number(match[2]);
  const total = match[3] === "*" ? undefined : Number(match[3]);
  if (start < 1 || (end !== undefined && end < start - 1)) return undefined;
  if (total !== undefined && end !== undefined && end > total) return undefined;
  return { start, end, total };
}
