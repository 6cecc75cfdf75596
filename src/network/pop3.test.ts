import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { utf8 } from "../core/bytes.ts";
import { ErrorCodes } from "../core/errors.ts";
import {
  type Pop3Response,
  Pop3ResponseParser,
  parsePop3Command,
  serializePop3Command,
  serializePop3Response,
} from "./pop3.ts";

const line = fc.string({ maxLength: 80 }).map((s) => s.replace(/[\r\n]/g, ""));
const message = fc.array(
  fc.oneof(
    line,
    line.map((l) => `.${l}`),
    fc.constant("."),
  ),
  { maxLength: 20 },
);

test("pop3: multi-line responses round-trip through dot-stuffing, split anywhere", () => {
  fc.assert(
    fc.property(message, fc.nat(), (lines, cut) => {
      const data = utf8(lines.length === 0 ? "" : `${lines.join("\r\n")}\r\n`);
      const response: Pop3Response = { ok: true, text: `${data.length} octets`, data };
      const wire = serializePop3Response(response);
      const at = cut % (wire.length + 1);
      const parser = new Pop3ResponseParser();
      parser.expect(true);
      const a = parser.feed(wire.subarray(0, at));
      const b = parser.feed(wire.subarray(at));
      assert.ok(a.ok && b.ok);
      assert.deepEqual([...a.value, ...b.value], [response]);
    }),
  );
});

test("pop3: byte-at-a-time feeding and single-line answers", () => {
  const parser = new Pop3ResponseParser();
  parser.expect(false);
  parser.expect(true);
  const wire = utf8("-ERR no such message\r\n+OK 5 octets\r\n..hi\r\n.\r\n");
  const got: Pop3Response[] = [];
  for (let i = 0; i < wire.length; i++) {
    const r = parser.feed(wire.subarray(i, i + 1));
    assert.ok(r.ok);
    got.push(...r.value);
  }
  assert.deepEqual(got, [
    { ok: false, text: "no such message" },
    { ok: true, text: "5 octets", data: utf8(".hi\r\n") },
  ]);
});

test("pop3: commands round-trip; garbage and unsolicited answers are typed errors", () => {
  const command = { verb: "RETR", args: ["12"] };
  assert.deepEqual(parsePop3Command(serializePop3Command(command)), { ok: true, value: command });
  const bad = parsePop3Command(utf8("RETR 1"));
  assert.ok(!bad.ok && bad.error.code === ErrorCodes.MAIL_MALFORMED);
  const unsolicited = new Pop3ResponseParser().feed(utf8("+OK hi\r\n"));
  assert.ok(!unsolicited.ok && /without a command/.test(unsolicited.error.message));
  const long = new Pop3ResponseParser();
  assert.ok(long.expect(true).ok);
  const tooLong = long.feed(utf8(`+OK\r\n${"x".repeat(2000)}`));
  assert.ok(!tooLong.ok && tooLong.error.code === ErrorCodes.MESSAGE_TOO_LARGE);
  const flooded = new Pop3ResponseParser();
  let last = flooded.expect(true);
  for (let i = 0; last.ok && i < 5000; i++) last = flooded.expect(true);
  assert.ok(!last.ok && last.error.code === ErrorCodes.QUEUE_FULL, "unanswered commands are bounded");
});
