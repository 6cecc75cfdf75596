// Every network parser answers any bytes from a peer with messages or a typed
// error — never an exception — including truncations of valid messages and
// valid messages with single bytes flipped.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { isMirrorcellError } from "../src/core/errors.ts";
import {
  flowNames,
  HttpParser,
  MsrpParser,
  Pop3ResponseParser,
  parseSignaling,
  runFlow,
  SipParser,
} from "../src/network/index.ts";

interface Feeder {
  feed(bytes: Uint8Array): { ok: boolean; error?: unknown };
}

const parsers: Record<string, () => Feeder> = {
  sip: () => new SipParser(),
  msrp: () => new MsrpParser(),
  http: () => new HttpParser(),
  pop3: () => {
    const parser = new Pop3ResponseParser();
    parser.expect(true);
    return parser;
  },
  signaling: () => ({ feed: (bytes: Uint8Array) => parseSignaling(bytes) }),
};

function feedSafely(make: () => Feeder, chunks: readonly Uint8Array[]): void {
  const parser = make();
  for (const chunk of chunks) {
    let result: { ok: boolean; error?: unknown };
    try {
      result = parser.feed(chunk);
    } catch (error) {
      assert.fail(`parser threw ${String(error)}`);
    }
    if (!result.ok) {
      assert.ok(isMirrorcellError(result.error), "errors are typed");
      return;
    }
  }
}

/** Real messages of every protocol, taken from the flows' wire bytes. */
function corpus(): Map<string, Uint8Array[]> {
  const out = new Map<string, Uint8Array[]>();
  for (const flow of flowNames) {
    for (const mirror of [false, true]) {
      const result = runFlow(flow, { mirror, contentBytes: 2_000, msrpChunkBytes: 700, captureWire: true });
      for (const entry of result.wire) {
        const list = out.get(entry.protocol) ?? [];
        list.push(entry.bytes);
        out.set(entry.protocol, list);
      }
    }
  }
  return out;
}

test("network parsers: random bytes give messages or a typed error, never an exception", () => {
  for (const make of Object.values(parsers)) {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 6 }), (chunks) =>
        feedSafely(make, chunks),
      ),
      { numRuns: 200 },
    );
  }
});

test("network parsers: truncated and bit-flipped real messages never throw", () => {
  const messages = corpus();
  for (const [protocol, list] of messages) {
    const make = parsers[protocol];
    assert.ok(make, `no parser for ${protocol}`);
    fc.assert(
      fc.property(
        fc.constantFrom(...list),
        fc.nat(),
        fc.nat(),
        fc.integer({ min: 1, max: 255 }),
        (bytes, cut, at, xor) => {
          feedSafely(make, [bytes.subarray(0, cut % (bytes.length + 1))]);
          const flipped = bytes.slice();
          flipped[at % flipped.length]! ^= xor;
          feedSafely(make, [flipped]);
        },
      ),
      { numRuns: 150 },
    );
  }
});
