// HTTP/1.1 messages (RFC 9112) for the web flows of Fig 8–9. Like SIP,
// Content-Length is written by the serializer and stripped by the parser.
import { assert } from "../core/assert.ts";
import { concatBytes, utf8 } from "../core/bytes.ts";
import { type Header, isToken } from "./header-list.ts";

export interface HttpRequest {
  readonly kind: "request";
  readonly method: string;
  readonly target: string;
  readonly headers: readonly Header[];
  readonly body: Uint8Array;
}

export interface HttpResponse {
  readonly kind: "response";
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly Header[];
  readonly body: Uint8Array;
}

export type HttpMessage = HttpRequest | HttpResponse;

export function serializeHttp(message: HttpMessage): Uint8Array {
  const startLine =
    message.kind === "request"
      ? `${message.method} ${message.target} HTTP/1.1`
      : `HTTP/1.1 ${message.status} ${message.reason}`;
  assert(!/[\r\n]/.test(startLine), "start line contains a line break");
  let head = `${startLine}\r\n`;
  for (const { name, value } of message.headers) {
    assert(isToken(name) && name.toLowerCase() !== "content-length", `bad header name ${name}`);
    assert(!/[\r\n]/.test(value) && value === value.trim(), `bad value for ${name}`);
    head += `${name}: ${value}\r\n`;
  }
  head += `Content-Length: ${message.body.length}\r\n\r\n`;
  return concatBytes([utf8(head), message.body]);
}

export function httpLabel(message: HttpMessage): string {
  return message.kind === "request"
    ? `HTTP ${message.method} ${message.target}`
    : `HTTP ${message.status} ${message.reason}`;
}
