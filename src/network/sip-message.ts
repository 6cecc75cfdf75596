// SIP messages (RFC 3261 §7): the model, the serializer and the helpers the
// CSCF, the mirror server and the phones use (responses, tags, branches).
// Content-Length is not a model header: the serializer writes it from the
// body and the parser checks and strips it, so parse(serialize(m)) equals m.
import { assert } from "../core/assert.ts";
import { concatBytes, utf8 } from "../core/bytes.ts";
import { type Header, headerValue, headerValues, isToken } from "./header-list.ts";

export interface SipRequest {
  readonly kind: "request";
  readonly method: string;
  readonly uri: string;
  readonly headers: readonly Header[];
  readonly body: Uint8Array;
}

export interface SipResponse {
  readonly kind: "response";
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly Header[];
  readonly body: Uint8Array;
}

export type SipMessage = SipRequest | SipResponse;

export const sipVersion = "SIP/2.0";

/** RFC 3261 §7.3.3 compact forms (plus the IMS ones in common use), to full names. */
const compactForms: Record<string, string> = {
  a: "Accept-Contact",
  b: "Referred-By",
  c: "Content-Type",
  d: "Request-Disposition",
  e: "Content-Encoding",
  f: "From",
  i: "Call-ID",
  j: "Reject-Contact",
  k: "Supported",
  l: "Content-Length",
  m: "Contact",
  o: "Event",
  r: "Refer-To",
  s: "Subject",
  t: "To",
  u: "Allow-Events",
  v: "Via",
  x: "Session-Expires",
};

const canonicalNames = new Map(
  [
    ...Object.values(compactForms),
    "CSeq",
    "Max-Forwards",
    "Route",
    "Record-Route",
    "Allow",
    "Expires",
    "User-Agent",
    "Server",
    "P-Asserted-Identity",
    "P-Served-User",
  ].map((name) => [name.toLowerCase(), name]),
);

/** Full, canonically cased header name for a received name (compact forms expanded). */
export function canonicalSipHeaderName(name: string): string {
  const lower = name.toLowerCase();
  return compactForms[lower] ?? canonicalNames.get(lower) ?? name;
}

export function serializeSip(message: SipMessage): Uint8Array {
  const startLine =
    message.kind === "request"
      ? `${message.method} ${message.uri} ${sipVersion}`
      : `${sipVersion} ${message.status} ${message.reason}`;
  assert(!/[\r\n]/.test(startLine), "start line contains a line break");
  let head = `${startLine}\r\n`;
  for (const { name, value } of message.headers) {
    assert(isToken(name), `bad header name ${name}`);
    assert(!/[\r\n]/.test(value) && value === value.trim(), `bad value for ${name}`);
    assert(name.toLowerCase() !== "content-length", "Content-Length is written by the serializer");
    head += `${name}: ${value}\r\n`;
  }
  head += `Content-Length: ${message.body.length}\r\n\r\n`;
  return concatBytes([utf8(head), message.body]);
}

/** Short label for traces and diagrams: the method, or "200 OK". */
export function sipLabel(message: SipMessage): string {
  return message.kind === "request" ? message.method : `${message.status} ${message.reason}`;
}

export function sipHeader(message: SipMessage, name: string): string | undefined {
  return headerValue(message.headers, name);
}

export function sipHeaders(message: SipMessage, name: string): string[] {
  return headerValues(message.headers, name);
}

/** CSeq as number and method; the parser guarantees the header is well formed. */
export function sipCseq(message: SipMessage): { seq: number; method: string } {
  const value = sipHeader(message, "CSeq");
  assert(value !== undefined, "CSeq missing on a parsed message");
  const [seq, method] = value.split(/\s+/);
  return { seq: Number(seq), method: method ?? "" };
}

export function sipCallId(message: SipMessage): string {
  const value = sipHeader(message, "Call-ID");
  assert(value !== undefined, "Call-ID missing on a parsed message");
  return value;
}

/** The response a UAS sends (RFC 3261 §8.2.6): Via, From, To, Call-ID, CSeq copied. */
export function sipResponseTo(
  request: SipRequest,
  status: number,
  reason: string,
  options: { toTag?: string; headers?: readonly Header[]; body?: Uint8Array } = {},
): SipResponse {
  assert(status >= 100 && status <= 699, `bad status ${status}`);
  const copied: Header[] = [];
  for (const header of request.headers) {
    const name = header.name;
    if (name === "Via" || name === "From" || name === "Call-ID" || name === "CSeq") copied.push(header);
    else if (name === "Record-Route" && status >= 200 && status < 300) copied.push(header);
    else if (name === "To") {
      const hasTag = /;\s*tag=/i.test(header.value);
      const tag = !hasTag && options.toTag !== undefined && status > 100 ? `;tag=${options.toTag}` : "";
      copied.push({ name, value: `${header.value}${tag}` });
    }
  }
  assert(
    copied.some((h) => h.name === "Via"),
    "response without Via",
  );
  return {
    kind: "response",
    status,
    reason,
    headers: [...copied, ...(options.headers ?? [])],
    body: options.body ?? new Uint8Array(0),
  };
}
