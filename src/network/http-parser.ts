// Bounded, incremental HTTP/1.1 parser for the web flows. Bodies are framed
// by Content-Length only: a response without it (read-until-close) or with a
// Transfer-Encoding is rejected with a clear error, because the flows' peers
// always send Content-Length and a silent guess would misframe the stream.
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { FramedParser, parseExactlyOne } from "./framed-parser.ts";
import { parseContentLength, type RawMessage } from "./head-parser.ts";
import { type Header, headerValue, headerValues, isToken, withoutHeader } from "./header-list.ts";
import type { HttpMessage } from "./http-message.ts";

function malformed<T>(reason: string): Result<T> {
  return fail(ErrorCodes.HTTP_MALFORMED, `Cannot parse HTTP message: ${reason}`);
}

function httpBodyLength(startLine: string, headers: readonly Header[]): Result<number> {
  if (headerValue(headers, "Transfer-Encoding") !== undefined) {
    return malformed("Transfer-Encoding is not supported; send Content-Length");
  }
  const length = parseContentLength(headerValues(headers, "Content-Length"));
  if (length === "invalid") return malformed("bad Content-Length");
  if (length !== undefined) return ok(length);
  const status = /^HTTP\/1\.[01] ([0-9]{3})/.exec(startLine);
  if (!status) return ok(0); // a request without Content-Length has no body
  const code = Number(status[1]);
  if (code < 200 || code === 204 || code === 304) return ok(0);
  return malformed(`response ${code} without Content-Length (close-delimited bodies are not supported)`);
}

export class HttpParser extends FramedParser<HttpMessage> {
  constructor() {
    super(
      {
        protocol: "HTTP",
        malformedCode: ErrorCodes.HTTP_MALFORMED,
        messageBytesMax: limits.httpMessageBytesMax,
        headerLineBytesMax: limits.httpHeaderLineBytesMax,
        headersMax: limits.httpHeadersMax,
        canonicalName: (name) => name,
        bodyLength: httpBodyLength,
      },
      toHttpMessage,
    );
  }
}

export function parseHttp(bytes: Uint8Array): Result<HttpMessage> {
  return parseExactlyOne(new HttpParser(), bytes, malformed);
}

function toHttpMessage(raw: RawMessage): Result<HttpMessage> {
  const headers = withoutHeader(raw.headers, "Content-Length");
  const status = /^HTTP\/1\.[01] ([0-9]{3})(?: (.*))?$/.exec(raw.startLine);
  if (status)
    return ok({
      kind: "response",
      status: Number(status[1]),
      reason: status[2] ?? "",
      headers,
      body: raw.body,
    });
  const parts = raw.startLine.split(" ");
  if (parts.length !== 3 || !/^HTTP\/1\.[01]$/.test(parts[2]!) || !isToken(parts[0]!) || parts[1] === "") {
    return malformed(`bad start line ${JSON.stringify(raw.startLine.slice(0, 80))}`);
  }
  if (headerValue(headers, "Host") === undefined) return malformed("HTTP/1.1 request without Host");
  return ok({ kind: "request", method: parts[0]!, target: parts[1]!, headers, body: raw.body });
}
