import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { concatBytes, utf8 } from "../core/bytes.ts";
import { ErrorCodes } from "../core/errors.ts";
import { type HttpMessage, serializeHttp } from "./http-message.ts";
import { HttpParser, parseHttp } from "./http-parser.ts";

const token = fc.stringMatching(/^[A-Za-z0-9-]{1,12}$/);
const value = fc.string({ maxLength: 40 }).map((s) => s.replace(/[\r\n]/g, " ").trim());
const headers = fc.array(
  fc.tuple(token, value).map(([name, v]) => ({ name: `X-${name}`, value: v })),
  { maxLength: 6 },
);

const httpMessage: fc.Arbitrary<HttpMessage> = fc.oneof(
  fc
    .record({
      target: fc.stringMatching(/^\/[a-z0-9/._-]{0,30}$/),
      headers,
      body: fc.uint8Array({ maxLength: 300 }),
    })
    .map((r) => ({
      kind: "request" as const,
      method: "POST",
      target: r.target,
      headers: [{ name: "Host", value: "web" }, ...r.headers],
      body: r.body,
    })),
  fc
    .record({
      status: fc.integer({ min: 200, max: 599 }),
      reason: value,
      headers,
      body: fc.uint8Array({ maxLength: 300 }),
    })
    .map((r) => ({
      kind: "response" as const,
      ...r,
    })),
);

test("http: parse(serialize(m)) equals m, split anywhere or fed byte at a time", () => {
  fc.assert(
    fc.property(fc.array(httpMessage, { minLength: 1, maxLength: 3 }), fc.nat(), (messages, cut) => {
      for (const message of messages)
        assert.deepEqual(parseHttp(serializeHttp(message)), { ok: true, value: message });
      const stream = concatBytes(messages.map(serializeHttp));
      const at = cut % (stream.length + 1);
      const split = new HttpParser();
      const a = split.feed(stream.subarray(0, at));
      const b = split.feed(stream.subarray(at));
      assert.ok(a.ok && b.ok);
      assert.deepEqual([...a.value, ...b.value], messages);
      const single = new HttpParser();
      const got: HttpMessage[] = [];
      for (let i = 0; i < stream.length; i++) {
        const r = single.feed(stream.subarray(i, i + 1));
        assert.ok(r.ok);
        got.push(...r.value);
      }
      assert.deepEqual(got, messages);
    }),
    { numRuns: 60 },
  );
});

test("http: framing it cannot do safely is refused with a clear error", () => {
  const cases: Array<[string, RegExp]> = [
    ["HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", /Transfer-Encoding is not supported/],
    ["HTTP/1.1 200 OK\r\nServer: x\r\n\r\n", /without Content-Length/],
    ["GET /index.html HTTP/1.1\r\nAccept: */*\r\n\r\n", /without Host/],
    ["GET /index.html HTTP/2\r\nHost: web\r\n\r\n", /bad start line/],
    ["HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", /bad Content-Length/],
  ];
  for (const [text, pattern] of cases) {
    const result = new HttpParser().feed(utf8(text));
    assert.ok(!result.ok, text);
    assert.equal(result.error.code, ErrorCodes.HTTP_MALFORMED);
    assert.match(result.error.message, pattern);
  }
  const noBody = parseHttp(utf8("HTTP/1.1 204 No Content\r\n\r\n"));
  assert.ok(noBody.ok && noBody.value.body.length === 0);
});

test("http: an oversized header line is rejected", () => {
  const result = new HttpParser().feed(utf8(`GET / HTTP/1.1\r\nX-Big: ${"b".repeat(9000)}`));
  assert.ok(!result.ok);
  assert.equal(result.error.code, ErrorCodes.MESSAGE_TOO_LARGE);
});
