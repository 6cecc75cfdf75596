// What SIP and HTTP parsers (RFC 3261 §7, RFC 9112) share on top of the
// common head framing: raw messages are turned into typed ones and the first
// error sticks, because after a bad message the stream position is unknown.
// Also the "exactly one whole message" entry point every protocol (MSRP too)
// offers for a packet that carries one message.
import { assert } from "../core/assert.ts";
import type { MirrorcellError, Result } from "../core/errors.ts";
import { ok } from "../core/errors.ts";
import { HeadParser, type HeadParserOptions, type RawMessage } from "./head-parser.ts";

/** Any incremental parser: feed any split of the stream, then finish. */
export interface StreamParser<T> {
  feed(bytes: Uint8Array): Result<T[]>;
  finish(): Result<void>;
}

export class FramedParser<T> implements StreamParser<T> {
  private error: MirrorcellError | undefined;
  private readonly head: HeadParser;

  constructor(
    options: HeadParserOptions,
    private readonly convert: (raw: RawMessage) => Result<T>,
  ) {
    this.head = new HeadParser(options);
  }

  /** Bytes received but not yet part of a returned message. */
  get bufferedBytes(): number {
    return this.head.bufferedBytes;
  }

  feed(bytes: Uint8Array): Result<T[]> {
    if (this.error) return { ok: false, error: this.error };
    const raw = this.head.feed(bytes);
    if (!raw.ok) return raw;
    const out: T[] = [];
    for (const message of raw.value) {
      const parsed = this.convert(message);
      if (!parsed.ok) {
        this.error = parsed.error; // sticky, like the framing errors
        return parsed;
      }
      out.push(parsed.value);
    }
    assert(out.length === raw.value.length, "every framed message converted");
    return ok(out);
  }

  finish(): Result<void> {
    return this.head.finish();
  }
}

/** Parses exactly one whole message with a fresh parser. */
export function parseExactlyOne<T>(
  parser: StreamParser<T>,
  bytes: Uint8Array,
  malformed: (reason: string) => Result<never>,
): Result<T> {
  const messages = parser.feed(bytes);
  if (!messages.ok) return messages;
  const end = parser.finish();
  if (!end.ok) return end;
  if (messages.value.length !== 1) return malformed(`expected one message, got ${messages.value.length}`);
  const [message] = messages.value;
  assert(message !== undefined, "one message present");
  return ok(message);
}
