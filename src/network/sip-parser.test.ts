import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { concatBytes, utf8 } from "../core/bytes.ts";
import { ErrorCodes } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Header } from "./header-list.ts";
import { type SipMessage, serializeSip } from "./sip-message.ts";
import { parseSip, SipParser } from "./sip-parser.ts";

const token = fc.stringMatching(/^[A-Za-z0-9]{1,12}$/);
const headerText = fc
  .string({ maxLength: 60 })
  .map((s) => s.replace(/[\r\n]/g, " ").trim())
  .filter((s) => !s.includes("\u0000"));

const extraHeader: fc.Arbitrary<Header> = fc
  .tuple(token, headerText)
  .map(([name, value]) => ({ name: `X-${name}`, value }));

const common = fc.record({
  callId: token.map((t) => `${t}@host`),
  seq: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  branch: token,
  extra: fc.array(extraHeader, { maxLength: 8 }),
  body: fc.uint8Array({ maxLength: 300 }),
});

function mandatory(method: string, c: { callId: string; seq: number; branch: string }): Header[] {
  return [
    { name: "Via", value: `SIP/2.0/TCP host;branch=z9hG4bK${c.branch}` },
    { name: "Max-Forwards", value: "70" },
    { name: "From", value: "<sip:alice@ims.example>;tag=1" },
    { name: "To", value: "<sip:bob@ims.example>" },
    { name: "Call-ID", value: c.callId },
    { name: "CSeq", value: `${c.seq} ${method}` },
  ];
}

const sipRequest: fc.Arbitrary<SipMessage> = fc
  .tuple(fc.constantFrom("INVITE", "ACK", "BYE", "MESSAGE", "OPTIONS", "SUBSCRIBE"), token, common)
  .map(([method, user, c]) => ({
    kind: "request",
    method,
    uri: `sip:${user}@ims.example`,
    headers: [...mandatory(method, c), ...c.extra],
    body: c.body,
  }));

const sipResponse: fc.Arbitrary<SipMessage> = fc
  .tuple(fc.integer({ min: 100, max: 699 }), headerText, common)
  .map(([status, reason, c]) => ({
    kind: "response",
    status,
    reason,
    headers: mandatory("INVITE", c)
      .filter((h) => h.name !== "Max-Forwards")
      .concat(c.extra),
    body: c.body,
  }));

const sipMessage = fc.oneof(sipRequest, sipResponse);

/** Feeds `bytes` cut at the given offsets; returns every message or the first error. */
function feedCut(parser: SipParser, bytes: Uint8Array, cuts: number[]): SipMessage[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: SipMessage[] = [];
  let from = 0;
  for (const to of [...points, bytes.length]) {
    const result = parser.feed(bytes.subarray(from, to));
    assert.ok(result.ok, result.ok ? "" : result.error.message);
    out.push(...result.value);
    from = to;
  }
  return out;
}

test("sip: parse(serialize(m)) equals m for any request or response", () => {
  fc.assert(
    fc.property(sipMessage, (message) => {
      const parsed = parseSip(serializeSip(message));
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
      assert.deepEqual(parsed.value, message);
    }),
  );
});

test("sip: a stream of messages split at any points parses to the same messages", () => {
  fc.assert(
    fc.property(
      fc.array(sipMessage, { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      (messages, cuts) => {
        const stream = concatBytes(messages.map(serializeSip));
        const parser = new SipParser();
        assert.deepEqual(feedCut(parser, stream, cuts), messages);
        assert.equal(parser.bufferedBytes, 0);
        assert.ok(parser.finish().ok);
      },
    ),
  );
});

test("sip: byte-at-a-time feeding yields each message exactly when its last byte arrives", () => {
  fc.assert(
    fc.property(fc.array(sipMessage, { minLength: 1, maxLength: 3 }), (messages) => {
      const parser = new SipParser();
      const parts = messages.map(serializeSip);
      const got: SipMessage[] = [];
      for (const [index, part] of parts.entries()) {
        for (let i = 0; i < part.length; i++) {
          const result = parser.feed(part.subarray(i, i + 1));
          assert.ok(result.ok);
          if (i < part.length - 1)
            assert.equal(result.value.length, 0, `message ${index} early at byte ${i}`);
          got.push(...result.value);
        }
      }
      assert.deepEqual(got, messages);
    }),
    { numRuns: 40 },
  );
});

const invite = [
  "INVITE sip:bob@ims.example SIP/2.0",
  "v: SIP/2.0/TCP ue1;branch=z9hG4bK1",
  "Max-Forwards: 70",
  "f: <sip:alice@ims.example>;tag=a",
  "t: <sip:bob@ims.example>",
  "i: abc@ue1",
  "CSeq: 1 INVITE",
  "X-Long: first part",
  "  continued here",
  "l: 4",
  "",
  "body",
].join("\r\n");

test("sip: compact forms expand, folded lines unfold, leading CRLFs are skipped", () => {
  const parsed = parseSip(utf8(`\r\n\r\n${invite}`));
  assert.ok(parsed.ok);
  const names = parsed.value.headers.map((h) => h.name);
  assert.deepEqual(names, ["Via", "Max-Forwards", "From", "To", "Call-ID", "CSeq", "X-Long"]);
  assert.equal(parsed.value.headers.find((h) => h.name === "X-Long")?.value, "first part continued here");
  assert.deepEqual(parsed.value.body, utf8("body"));
});

function expectError(text: string | Uint8Array, code: string, pattern: RegExp): void {
  const parser = new SipParser();
  const result = parser.feed(typeof text === "string" ? utf8(text) : text);
  assert.ok(!result.ok, "expected an error");
  assert.equal(result.error.code, code);
  assert.match(result.error.message, pattern);
  const again = parser.feed(utf8("OPTIONS sip:x SIP/2.0\r\n"));
  assert.ok(!again.ok, "errors are sticky");
}

test("sip: malformed messages are rejected with a clear error", () => {
  const malformed = ErrorCodes.SIP_MALFORMED;
  expectError(invite.replace("SIP/2.0\r\n", "SIP/3.0\r\n"), malformed, /bad request line/);
  expectError(invite.replace("i: abc@ue1\r\n", ""), malformed, /INVITE request lacks Call-ID/);
  expectError(
    invite.replace("CSeq: 1 INVITE", "CSeq: 1 BYE"),
    malformed,
    /CSeq method BYE does not match INVITE/,
  );
  expectError(invite.replace("CSeq: 1 INVITE", "CSeq: one INVITE"), malformed, /bad CSeq/);
  expectError(invite.replace("l: 4\r\n", ""), malformed, /Content-Length is required/);
  expectError(invite.replace("l: 4", "l: -4"), malformed, /bad Content-Length/);
  expectError(invite.replace("Max-Forwards: 70", "Max Forwards 70"), malformed, /bad header line/);
  expectError(invite.replace("\r\nMax-Forwards", "\nMax-Forwards"), malformed, /bare LF/);
  expectError("SIP/2.0 2000 OK\r\nl: 0\r\n\r\n", malformed, /bad status line/);
});

test("sip: oversized message, header line and header count are rejected before buffering them", () => {
  const big = invite.replace("l: 4", `l: ${limits.sipMessageBytesMax}`);
  expectError(big, ErrorCodes.MESSAGE_TOO_LARGE, /exceeds 65536 bytes/);
  const longLine = `INVITE sip:bob@x SIP/2.0\r\nX-Long: ${"a".repeat(limits.sipHeaderLineBytesMax + 10)}`;
  expectError(longLine, ErrorCodes.MESSAGE_TOO_LARGE, /header line longer than/);
  const many = `INVITE sip:bob@x SIP/2.0\r\n${"X-A: 1\r\n".repeat(limits.sipHeadersMax + 2)}`;
  expectError(many, ErrorCodes.MESSAGE_TOO_LARGE, /more than 128 header lines/);
});

test("sip: a stream cut inside a message fails at finish", () => {
  const parser = new SipParser();
  const bytes = utf8(invite);
  assert.ok(parser.feed(bytes.subarray(0, bytes.length - 2)).ok);
  const end = parser.finish();
  assert.ok(!end.ok);
  assert.match(end.error.message, /stream ended inside a message/);
});
