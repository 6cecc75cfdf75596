// The bounded, incremental framing shared by SIP (RFC 3261 §7) and HTTP/1.1
// (RFC 9112): a start line, header lines ending in an empty line, then a body
// whose length the protocol layer derives from the headers. Bytes go in
// (feed), whole raw messages come out; any number of bytes per call works,
// one at a time included. Every buffer is bounded; errors are sticky.

import { assert } from "../core/assert.ts";
import { fromUtf8 } from "../core/bytes.ts";
import { type ErrorCode, ErrorCodes, fail, type MirrorcellError, ok, type Result } from "../core/errors.ts";
import { ByteQueue } from "./byte-queue.ts";
import { type Header, isToken } from "./header-list.ts";

export interface RawMessage {
  startLine: string;
  headers: Header[];
  body: Uint8Array;
  wireBytes: number;
}

export interface HeadParserOptions {
  /** Used in error messages: "Cannot parse SIP message: ...". */
  protocol: string;
  malformedCode: ErrorCode;
  messageBytesMax: number;
  headerLineBytesMax: number;
  headersMax: number;
  canonicalName(name: string): string;
  /** Body length for this head; a failure rejects the message. */
  bodyLength(startLine: string, headers: readonly Header[]): Result<number>;
}

const CR = 13;
const LF = 10;

export class HeadParser {
  private readonly queue = new ByteQueue();
  private scanPos = 0;
  private lineStart = 0;
  private lineCount = 0;
  private head: { startLine: string; headers: Header[]; headBytes: number; bodyBytes: number } | undefined;
  private error: MirrorcellError | undefined;

  constructor(private readonly options: HeadParserOptions) {
    assert(options.headerLineBytesMax <= options.messageBytesMax, "header line bound above message bound");
    assert(options.headersMax > 0, "headersMax must be positive");
  }

  /** Bytes received but not yet part of a returned message. */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  feed(bytes: Uint8Array): Result<RawMessage[]> {
    if (this.error) return { ok: false, error: this.error };
    this.queue.append(bytes);
    const out: RawMessage[] = [];
    // every step consumes bytes or ends the loop: two steps per byte is a safe bound
    const stepsMax = 2 * this.queue.length + 4;
    for (let guard = 0; guard < stepsMax; guard++) {
      const step = this.head ? this.takeBody() : this.scanHead();
      if (!step.ok) {
        this.error = step.error;
        return step;
      }
      if (step.value === undefined) return ok(out);
      out.push(step.value);
    }
    assert(false, "head parser loop did not terminate");
  }

  /** End of stream: fails when a message is cut off. */
  finish(): Result<void> {
    if (this.error) return { ok: false, error: this.error };
    if (this.queue.length === 0) return ok(undefined);
    return this.malformed(`stream ended inside a message (${this.queue.length} bytes buffered)`);
  }

  private malformed<T>(reason: string): Result<T> {
    return fail(this.options.malformedCode, `Cannot parse ${this.options.protocol} message: ${reason}`);
  }

  private tooLarge<T>(reason: string): Result<T> {
    return fail(ErrorCodes.MESSAGE_TOO_LARGE, `Cannot parse ${this.options.protocol} message: ${reason}`);
  }

  /** Scans for the empty line ending the head; returns a message when the body is already here. */
  private scanHead(): Result<RawMessage | undefined> {
    let data = this.queue.view();
    const { headerLineBytesMax, messageBytesMax } = this.options;
    for (; this.scanPos < data.length; this.scanPos++) {
      const byte = data[this.scanPos];
      if (byte === LF) {
        if (this.scanPos === 0 || data[this.scanPos - 1] !== CR) return this.malformed("bare LF in head");
        const lineLength = this.scanPos - 1 - this.lineStart;
        this.lineStart = this.scanPos + 1;
        if (lineLength === 0 && this.lineCount === 0) {
          this.queue.take(this.lineStart); // RFC 3261 §7.5: ignore CRLFs before a start line
          data = this.queue.view();
          this.scanPos = -1;
          this.lineStart = 0;
          continue;
        }
        if (lineLength === 0) return this.completeHead(this.scanPos + 1);
        this.lineCount++;
        if (this.lineCount > this.options.headersMax + 1) {
          return this.tooLarge(`more than ${this.options.headersMax} header lines`);
        }
      } else if (this.scanPos - this.lineStart >= headerLineBytesMax + 1) {
        return this.tooLarge(`header line longer than ${headerLineBytesMax} bytes`);
      }
    }
    if (data.length > messageBytesMax) return this.tooLarge(`head exceeds ${messageBytesMax} bytes`);
    return ok(undefined);
  }

  private completeHead(headBytes: number): Result<RawMessage | undefined> {
    const text = fromUtf8(this.queue.view().subarray(0, headBytes - 4));
    if (text === undefined) return this.malformed("head is not valid UTF-8");
    const lines = text.split("\r\n");
    const startLine = lines[0]!;
    const headers = this.parseHeaderLines(lines.slice(1));
    if (!headers.ok) return headers;
    const bodyBytes = this.options.bodyLength(startLine, headers.value);
    if (!bodyBytes.ok) return bodyBytes;
    if (headBytes + bodyBytes.value > this.options.messageBytesMax) {
      return this.tooLarge(
        `length ${headBytes + bodyBytes.value} exceeds ${this.options.messageBytesMax} bytes`,
      );
    }
    this.head = { startLine, headers: headers.value, headBytes, bodyBytes: bodyBytes.value };
    return this.takeBody();
  }

  private parseHeaderLines(lines: readonly string[]): Result<Header[]> {
    const headers: Header[] = [];
    for (const line of lines) {
      if (line.startsWith(" ") || line.startsWith("\t")) {
        const previous = headers.pop();
        if (!previous) return this.malformed("continuation line before any header");
        headers.push({ name: previous.name, value: `${previous.value} ${line.trim()}`.trim() });
        continue;
      }
      const colon = line.indexOf(":");
      const name = colon < 0 ? "" : line.slice(0, colon).trimEnd();
      if (!isToken(name)) return this.malformed(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
      headers.push({ name: this.options.canonicalName(name), value: line.slice(colon + 1).trim() });
    }
    if (headers.length > this.options.headersMax) {
      return this.tooLarge(`${headers.length} headers exceed ${this.options.headersMax}`);
    }
    return ok(headers);
  }

  private takeBody(): Result<RawMessage | undefined> {
    const head = this.head;
    assert(head !== undefined, "takeBody without a head");
    const total = head.headBytes + head.bodyBytes;
    if (this.queue.length < total) return ok(undefined);
    const wire = this.queue.take(total);
    this.head = undefined;
    this.scanPos = 0;
    this.lineStart = 0;
    this.lineCount = 0;
    return ok({
      startLine: head.startLine,
      headers: head.headers,
      body: wire.slice(head.headBytes),
      wireBytes: total,
    });
  }
}

/** Parses a Content-Length value: decimal digits only, at most 10 of them. */
export function parseContentLength(values: readonly string[]): number | undefined | "invalid" {
  if (values.length === 0) return undefined;
  const first = values[0]!;
  if (!/^[0-9]{1,10}$/.test(first) || values.some((v) => v !== first)) return "invalid";
  return Number.parseInt(first, 10);
}
