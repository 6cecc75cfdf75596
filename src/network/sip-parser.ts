// Bounded, incremental SIP parser (RFC 3261 §7, stream transports): feed any
// split of the byte stream, get whole messages. Limits come from limits.ts;
// framing is shared with HTTP (head-parser.ts), the SIP rules live here:
// request/status lines, compact header forms, the mandatory headers of
// §8.1.1, CSeq matching the method, and Content-Length (required on TCP).
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { FramedParser, parseExactlyOne } from "./framed-parser.ts";
import { parseContentLength, type RawMessage } from "./head-parser.ts";
import { type Header, headerValue, headerValues, isToken, withoutHeader } from "./header-list.ts";
import { canonicalSipHeaderName, type SipMessage, sipVersion } from "./sip-message.ts";

const requestMandatory = ["To", "From", "CSeq", "Call-ID", "Max-Forwards", "Via"];
const responseMandatory = ["To", "From", "CSeq", "Call-ID", "Via"];

function malformed<T>(reason: string): Result<T> {
  return fail(ErrorCodes.SIP_MALFORMED, `Cannot parse SIP message: ${reason}`);
}

function sipBodyLength(_startLine: string, headers: readonly Header[]): Result<number> {
  const length = parseContentLength(headerValues(headers, "Content-Length"));
  if (length === undefined) return malformed("Content-Length is required on a stream transport");
  if (length === "invalid") return malformed("bad Content-Length");
  return ok(length);
}

export class SipParser extends FramedParser<SipMessage> {
  constructor() {
    super(
      {
        protocol: "SIP",
        malformedCode: ErrorCodes.SIP_MALFORMED,
        messageBytesMax: limits.sipMessageBytesMax,
        headerLineBytesMax: limits.sipHeaderLineBytesMax,
        headersMax: limits.sipHeadersMax,
        canonicalName: canonicalSipHeaderName,
        bodyLength: sipBodyLength,
      },
      toSipMessage,
    );
  }
}

/** Parses exactly one whole SIP message. */
export function parseSip(bytes: Uint8Array): Result<SipMessage> {
  return parseExactlyOne(new SipParser(), bytes, malformed);
}

function toSipMessage(raw: RawMessage): Result<SipMessage> {
  const headers = withoutHeader(raw.headers, "Content-Length");
  if (raw.startLine.startsWith(`${sipVersion} `)) {
    const match = /^SIP\/2\.0 ([1-6][0-9]{2})(?: (.*))?$/.exec(raw.startLine);
    if (!match) return malformed(`bad status line ${JSON.stringify(raw.startLine.slice(0, 80))}`);
    const missing = responseMandatory.find((name) => headerValue(headers, name) === undefined);
    if (missing) return malformed(`response lacks ${missing}`);
    const cseq = checkCseq(headers, undefined);
    if (!cseq.ok) return cseq;
    return ok({
      kind: "response",
      status: Number(match[1]),
      reason: match[2] ?? "",
      headers,
      body: raw.body,
    });
  }
  const parts = raw.startLine.split(" ");
  if (parts.length !== 3 || parts[2] !== sipVersion) {
    return malformed(`bad request line ${JSON.stringify(raw.startLine.slice(0, 80))}`);
  }
  const [method, uri] = parts as [string, string, string];
  if (!isToken(method) || !/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(uri)) {
    return malformed(`bad method or Request-URI in ${JSON.stringify(raw.startLine.slice(0, 80))}`);
  }
  const missing = requestMandatory.find((name) => headerValue(headers, name) === undefined);
  if (missing) return malformed(`${method} request lacks ${missing}`);
  const cseq = checkCseq(headers, method);
  if (!cseq.ok) return cseq;
  return ok({ kind: "request", method, uri, headers, body: raw.body });
}

function checkCseq(headers: readonly Header[], method: string | undefined): Result<void> {
  const value = headerValue(headers, "CSeq") ?? "";
  const match = /^([0-9]{1,10})\s+([A-Za-z0-9!%*+\-.^_`|~']+)$/.exec(value);
  if (!match || Number(match[1]) >= 2 ** 31) return malformed(`bad CSeq ${JSON.stringify(value)}`);
  if (method !== undefined && match[2] !== method) {
    return malformed(`CSeq method ${match[2]} does not match ${method}`);
  }
  return ok(undefined);
}
