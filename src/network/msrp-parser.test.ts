import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { concatBytes, utf8 } from "../core/bytes.ts";
import { ErrorCodes } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { chunkMessage, MsrpReassembler } from "./msrp-chunks.ts";
import { type MsrpMessage, type MsrpRequest, msrpDataCollides, serializeMsrp } from "./msrp-message.ts";
import { MsrpParser, parseMsrp } from "./msrp-parser.ts";

const ident = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9.+=-]{3,20}$/);
const path = ident.map((id) => `msrp://host:2855/${id};tcp`);
const headerText = fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, " ").trim());
const extra = fc.array(
  fc.tuple(fc.stringMatching(/^X-[A-Za-z]{1,8}$/), headerText).map(([name, value]) => ({ name, value })),
  { maxLength: 4 },
);

const msrpRequest: fc.Arbitrary<MsrpMessage> = fc
  .record({
    tid: ident,
    method: fc.constantFrom("SEND", "REPORT", "VISIT", "NICKNAME"),
    to: path,
    from: path,
    extra,
    data: fc.option(fc.uint8Array({ maxLength: 400 })),
    flag: fc.constantFrom("$", "+", "#"),
  })
  .filter((r) => r.data === null || !msrpDataCollides(r.data, r.tid))
  .map((r) => {
    const base = {
      kind: "request" as const,
      transactionId: r.tid,
      method: r.method,
      headers: [{ name: "To-Path", value: r.to }, { name: "From-Path", value: r.from }, ...r.extra],
      continuation: r.flag as "$" | "+" | "#",
    };
    return r.data === null ? base : { ...base, content: { contentType: "image/jpeg", data: r.data } };
  });

const msrpResponse: fc.Arbitrary<MsrpMessage> = fc
  .record({
    tid: ident,
    status: fc.integer({ min: 200, max: 599 }),
    comment: headerText,
    to: path,
    from: path,
  })
  .map((r) => ({
    kind: "response" as const,
    transactionId: r.tid,
    status: r.status,
    comment: r.comment,
    headers: [
      { name: "To-Path", value: r.to },
      { name: "From-Path", value: r.from },
    ],
    continuation: "$" as const,
  }));

const msrpMessage = fc.oneof(msrpRequest, msrpResponse);

test("msrp: parse(serialize(m)) equals m for requests with and without content and for responses", () => {
  fc.assert(
    fc.property(msrpMessage, (message) => {
      const parsed = parseMsrp(serializeMsrp(message));
      assert.ok(parsed.ok, parsed.ok ? "" : parsed.error.message);
      assert.deepEqual(parsed.value, message);
    }),
  );
});

test("msrp: a stream split at any points, or fed byte at a time, parses to the same messages", () => {
  fc.assert(
    fc.property(
      fc.array(msrpMessage, { minLength: 1, maxLength: 4 }),
      fc.array(fc.nat(), { maxLength: 10 }),
      (messages, cuts) => {
        const stream = concatBytes(messages.map(serializeMsrp));
        const points = [...new Set(cuts.map((c) => c % (stream.length + 1)))].sort((a, b) => a - b);
        const split = new MsrpParser();
        const single = new MsrpParser();
        const fromSplit: MsrpMessage[] = [];
        const fromSingle: MsrpMessage[] = [];
        let from = 0;
        for (const to of [...points, stream.length]) {
          const result = split.feed(stream.subarray(from, to));
          assert.ok(result.ok);
          fromSplit.push(...result.value);
          from = to;
        }
        for (let i = 0; i < stream.length; i++) {
          const result = single.feed(stream.subarray(i, i + 1));
          assert.ok(result.ok);
          fromSingle.push(...result.value);
        }
        assert.deepEqual(fromSplit, messages);
        assert.deepEqual(fromSingle, messages);
        assert.ok(split.finish().ok && single.finish().ok);
      },
    ),
    { numRuns: 60 },
  );
});

test("msrp: content that looks like another transaction's end-line stays content", () => {
  const message: MsrpRequest = {
    kind: "request",
    transactionId: "abcd1234",
    method: "SEND",
    headers: [
      { name: "To-Path", value: "msrp://b:2855/s1;tcp" },
      { name: "From-Path", value: "msrp://a:2855/s2;tcp" },
    ],
    content: { contentType: "text/plain", data: utf8("x\r\n-------zzzz9999$\r\n-------abcd123$\r\ny") },
    continuation: "$",
  };
  const parsed = parseMsrp(serializeMsrp(message));
  assert.ok(parsed.ok);
  assert.deepEqual(parsed.value, message);
});

function expectError(text: string, code: string, pattern: RegExp): void {
  const result = new MsrpParser().feed(utf8(text));
  assert.ok(!result.ok, `expected an error for ${JSON.stringify(text.slice(0, 60))}`);
  assert.equal(result.error.code, code);
  assert.match(result.error.message, pattern);
}

const paths = "To-Path: msrp://b:2855/s1;tcp\r\nFrom-Path: msrp://a:2855/s2;tcp\r\n";

test("msrp: malformed messages are rejected with a clear error", () => {
  const m = ErrorCodes.MSRP_MALFORMED;
  expectError(`MSRP a SEND\r\n${paths}-------a$\r\n`, m, /bad start line/);
  expectError(`MSRP abcd send\r\n${paths}-------abcd$\r\n`, m, /bad method/);
  expectError(
    "MSRP abcd SEND\r\nFrom-Path: msrp://a:2855/s2;tcp\r\nTo-Path: msrp://b:2855/s1;tcp\r\n-------abcd$\r\n",
    m,
    /To-Path and From-Path must come first/,
  );
  expectError(`MSRP abcd SEND\r\n${paths}\r\nhello\r\n-------abcd$\r\n`, m, /content without Content-Type/);
  expectError(
    `MSRP abcd 200 OK\r\n${paths}Content-Type: text/plain\r\n\r\nx\r\n-------abcd$\r\n`,
    m,
    /a response carries no content/,
  );
  expectError(`MSRP abcd SEND\r\n${paths}bad line\r\n-------abcd$\r\n`, m, /bad header line/);
});

test("msrp: an oversized chunk or head is rejected while it streams in", () => {
  const parser = new MsrpParser();
  const head = utf8(`MSRP abcd SEND\r\n${paths}Content-Type: application/octet-stream\r\n\r\n`);
  assert.ok(parser.feed(head).ok);
  const block = new Uint8Array(256 * 1024).fill(0x41);
  let result = parser.feed(block);
  for (let i = 0; result.ok && i < limits.msrpChunkBytesMax / block.length + 2; i++)
    result = parser.feed(block);
  assert.ok(!result.ok);
  assert.equal(result.error.code, ErrorCodes.MESSAGE_TOO_LARGE);
  assert.match(result.error.message, /content exceeds 2097152 bytes/);
  expectError(
    `MSRP abcd SEND\r\n${"X-A: 1\r\n".repeat(limits.msrpHeadersMax + 2)}`,
    ErrorCodes.MESSAGE_TOO_LARGE,
    /header lines/,
  );
});

const outgoing = (data: Uint8Array, chunkBytes: number) => {
  let n = 0;
  return chunkMessage({
    toPath: "msrp://b:2855/s1;tcp",
    fromPath: "msrp://a:2855/s2;tcp",
    messageId: "msg0001",
    contentType: "image/jpeg",
    data,
    chunkBytes,
    nextTransactionId: () => `tid${String(++n).padStart(4, "0")}`,
  });
};

test("msrp: chunks carry Byte-Range and reassemble in any order, duplicates included", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 3000 }),
      fc.integer({ min: 1, max: 700 }),
      fc.array(fc.nat()),
      (data, chunkBytes, order) => {
        const chunks = outgoing(data, chunkBytes);
        assert.equal(chunks.length, Math.max(1, Math.ceil(data.length / chunkBytes)));
        assert.ok(
          chunks.slice(0, -1).every((c) => c.continuation === "+") && chunks.at(-1)!.continuation === "$",
        );
        const shuffled = [...chunks].sort(
          (a, b) => ((order[chunks.indexOf(a)] ?? 0) % 7) - ((order[chunks.indexOf(b)] ?? 0) % 7),
        );
        const reassembler = new MsrpReassembler();
        let complete: Uint8Array | undefined;
        for (const chunk of [...shuffled, ...shuffled.slice(0, 1)]) {
          const wire = parseMsrp(serializeMsrp(chunk));
          assert.ok(wire.ok && wire.value.kind === "request");
          const result = reassembler.accept(wire.value);
          assert.ok(result.ok, result.ok ? "" : result.error.message);
          if (result.value) complete = result.value.data;
        }
        assert.deepEqual(complete, data);
      },
    ),
    { numRuns: 60 },
  );
});

test("msrp: overlapping chunks and a wrong Byte-Range are typed errors", () => {
  const [first] = outgoing(new Uint8Array(100), 60);
  const shifted = {
    ...first!,
    headers: first!.headers.map((h) => (h.name === "Byte-Range" ? { ...h, value: "30-89/100" } : h)),
  };
  const reassembler = new MsrpReassembler();
  assert.ok(reassembler.accept(first!).ok);
  const overlap = reassembler.accept(shifted);
  assert.ok(!overlap.ok);
  assert.match(overlap.error.message, /overlaps/);
  const lying = {
    ...first!,
    headers: first!.headers.map((h) => (h.name === "Byte-Range" ? { ...h, value: "1-10/100" } : h)),
  };
  const mismatch = new MsrpReassembler().accept(lying);
  assert.ok(!mismatch.ok);
  assert.equal(mismatch.error.code, ErrorCodes.MSRP_MALFORMED);
});
