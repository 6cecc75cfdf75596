// Bounded, incremental MSRP parser (RFC 4975 §7, §8): start line, headers,
// optional content, and the end-line `-------<tid>` + `$`/`+`/`#` that frames
// every message. Content is found by searching for the end-line, resuming
// where the last search stopped, so byte-at-a-time feeding stays linear.
import { assert } from "../core/assert.ts";
import { fromUtf8, utf8 } from "../core/bytes.ts";
import { ErrorCodes, fail, type MirrorcellError, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { ByteQueue, indexOfBytes } from "./byte-queue.ts";
import { parseExactlyOne } from "./framed-parser.ts";
import { type Header, headerValue, isToken, withoutHeader } from "./header-list.ts";
import { isMsrpIdent, type MsrpContinuation, type MsrpMessage } from "./msrp-message.ts";

interface Head {
  startLine: string;
  transactionId: string;
  /** `CRLF -------<tid>`: what ends the content (encoded once, searched per feed). */
  endNeedle: Uint8Array;
  headers: Header[];
  contentStart: number;
}

function malformed<T>(reason: string): Result<T> {
  return fail(ErrorCodes.MSRP_MALFORMED, `Cannot parse MSRP message: ${reason}`);
}

function tooLarge<T>(reason: string): Result<T> {
  return fail(ErrorCodes.MESSAGE_TOO_LARGE, `Cannot parse MSRP message: ${reason}`);
}

export class MsrpParser {
  private readonly queue = new ByteQueue();
  private scanPos = 0;
  private lines: string[] = [];
  private lineStart = 0;
  private head: Head | undefined;
  private error: MirrorcellError | undefined;

  get bufferedBytes(): number {
    return this.queue.length;
  }

  feed(bytes: Uint8Array): Result<MsrpMessage[]> {
    if (this.error) return { ok: false, error: this.error };
    this.queue.append(bytes);
    const out: MsrpMessage[] = [];
    // every step consumes bytes or ends the loop: two steps per byte is a safe bound
    const stepsMax = 2 * this.queue.length + 4;
    for (let guard = 0; guard < stepsMax; guard++) {
      const step = this.head ? this.scanContent(this.head) : this.scanHead();
      if (!step.ok) {
        this.error = step.error;
        return step;
      }
      if (step.value === "more") return ok(out);
      if (step.value !== "head") out.push(step.value);
    }
    assert(false, "MSRP parser loop did not terminate");
  }

  finish(): Result<void> {
    if (this.error) return { ok: false, error: this.error };
    if (this.queue.length === 0) return ok(undefined);
    return malformed(`stream ended inside a message (${this.queue.length} bytes buffered)`);
  }

  private scanHead(): Result<MsrpMessage | "head" | "more"> {
    const data = this.queue.view();
    for (; this.scanPos < data.length; this.scanPos++) {
      if (this.scanPos - this.lineStart > limits.sipHeaderLineBytesMax) {
        return tooLarge(`header line longer than ${limits.sipHeaderLineBytesMax} bytes`);
      }
      if (data[this.scanPos] !== 10) continue;
      if (this.scanPos === 0 || data[this.scanPos - 1] !== 13) return malformed("bare LF in head");
      const line = fromUtf8(data.subarray(this.lineStart, this.scanPos - 1));
      if (line === undefined) return malformed("head is not valid UTF-8");
      this.lineStart = this.scanPos + 1;
      if (this.lines.length > limits.msrpHeadersMax) {
        return tooLarge(`more than ${limits.msrpHeadersMax} header lines`);
      }
      const done = this.onHeadLine(line, this.scanPos + 1);
      if (done !== undefined) {
        this.scanPos++;
        return done;
      }
    }
    if (data.length > limits.msrpHeadBytesMax)
      return tooLarge(`head exceeds ${limits.msrpHeadBytesMax} bytes`);
    return ok("more");
  }

  /** Handles one complete head line; a result when the head (or a bodiless message) ends. */
  private onHeadLine(line: string, nextPos: number): Result<MsrpMessage | "head"> | undefined {
    if (this.lines.length === 0) {
      const match = /^MSRP (\S+) (.+)$/.exec(line);
      if (!match || !isMsrpIdent(match[1]!))
        return malformed(`bad start line ${JSON.stringify(line.slice(0, 80))}`);
      this.lines.push(line);
      return undefined;
    }
    const tid = /^MSRP (\S+) /.exec(this.lines[0]!)![1]!;
    const endMatch = /^-------(\S+)([$+#])$/.exec(line);
    if (endMatch && endMatch[1] === tid) {
      const message = this.build(this.lines, undefined, endMatch[2] as MsrpContinuation);
      this.consume(nextPos);
      return message;
    }
    if (line === "") {
      const headers = parseHeaders(this.lines.slice(1));
      if (!headers.ok) return headers;
      this.head = {
        startLine: this.lines[0]!,
        transactionId: tid,
        endNeedle: utf8(`\r\n-------${tid}`),
        headers: headers.value,
        contentStart: nextPos,
      };
      return ok("head");
    }
    this.lines.push(line);
    return undefined;
  }

  private scanContent(head: Head): Result<MsrpMessage | "more"> {
    const data = this.queue.view();
    const needle = head.endNeedle;
    for (let guard = 0; guard < data.length + 1; guard++) {
      const at = indexOfBytes(data, needle, Math.max(head.contentStart, this.scanPos));
      if (at < 0) break;
      const flagAt = at + needle.length;
      if (flagAt + 3 > data.length) return ok("more");
      const flag = String.fromCharCode(data[flagAt]!);
      if ("$+#".includes(flag) && data[flagAt + 1] === 13 && data[flagAt + 2] === 10) {
        const content = data.slice(head.contentStart, at);
        const message = this.build(
          [head.startLine],
          { headers: head.headers, data: content },
          flag as MsrpContinuation,
        );
        this.consume(flagAt + 3);
        return message;
      }
      this.scanPos = at + 1;
    }
    this.scanPos = Math.max(head.contentStart, data.length - needle.length - 2);
    if (data.length - head.contentStart > limits.msrpChunkBytesMax + needle.length + 3) {
      return tooLarge(`content exceeds ${limits.msrpChunkBytesMax} bytes`);
    }
    return ok("more");
  }

  private consume(count: number): void {
    this.queue.take(count);
    this.scanPos = 0;
    this.lineStart = 0;
    this.lines = [];
    this.head = undefined;
  }

  private build(
    lines: readonly string[],
    content: { headers: Header[]; data: Uint8Array } | undefined,
    continuation: MsrpContinuation,
  ): Result<MsrpMessage> {
    const start = /^MSRP (\S+) (.+)$/.exec(lines[0]!)!;
    const transactionId = start[1]!;
    const rest = start[2]!;
    const parsedHeaders = content ? ok(content.headers) : parseHeaders(lines.slice(1));
    if (!parsedHeaders.ok) return parsedHeaders;
    const all = parsedHeaders.value;
    const names = all.map((h) => h.name.toLowerCase());
    if (names[0] !== "to-path" || names[1] !== "from-path")
      return malformed("To-Path and From-Path must come first");
    const contentType = headerValue(all, "Content-Type");
    const headers = withoutHeader(all, "Content-Type");
    const status = /^([0-9]{3})(?: (.*))?$/.exec(rest);
    if (status) {
      if (content) return malformed("a response carries no content");
      return ok({
        kind: "response",
        transactionId,
        status: Number(status[1]),
        comment: status[2] ?? "",
        headers,
        continuation,
      });
    }
    if (!/^[A-Z]+$/.test(rest)) return malformed(`bad method ${JSON.stringify(rest.slice(0, 40))}`);
    if (content && contentType === undefined) return malformed("content without Content-Type");
    if (!content && contentType !== undefined) return malformed("Content-Type without content");
    const base = { kind: "request" as const, transactionId, method: rest, headers, continuation };
    return ok(content ? { ...base, content: { contentType: contentType!, data: content.data } } : base);
  }
}

function parseHeaders(lines: readonly string[]): Result<Header[]> {
  const headers: Header[] = [];
  for (const line of lines) {
    const colon = line.indexOf(":");
    const name = colon < 0 ? "" : line.slice(0, colon);
    if (!isToken(name)) return malformed(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
    headers.push({ name, value: line.slice(colon + 1).trim() });
  }
  return ok(headers);
}

/** Parses exactly one whole MSRP message. */
export function parseMsrp(bytes: Uint8Array): Result<MsrpMessage> {
  return parseExactlyOne(new MsrpParser(), bytes, malformed);
}
