import assert from "node:assert/strict";
import { test } from "node:test";
import { ErrorCodes } from "../../core/errors.ts";
import { emptyParsedDatabase, parseDatabaseText } from "./database-parser.ts";

test("database: ndb lines load with their offsets; skipped lines name file, line and reason", () => {
  const text = [
    "# a comment",
    "Fixed:0:*:414243444546",
    "Start:0:0:414243",
    "Range:0:5,10:414243",
    "Eof:0:EOF-6:414243",
    "Pe:1:*:414243",
    "Entry:0:EP+10:414243",
    "Future:0:*:414243:300",
    "Old:0:*:414243:10:20",
    "Neg:0:*:414243!(44|45)",
    "",
  ].join("\n");
  const parsed = parseDatabaseText("t.ndb", text);
  assert.ok(parsed.ok);
  assert.deepEqual(
    parsed.value.body.map((b) => `${b.name}@${b.offset}`),
    ["Fixed@*", "Start@0", "Range@5,10", "Eof@EOF-6"],
  );
  assert.deepEqual(
    parsed.value.skipped.map((s) => `${s.file}:${s.line}`),
    ["t.ndb:6", "t.ndb:7", "t.ndb:8", "t.ndb:9", "t.ndb:10"],
  );
  assert.match(parsed.value.skipped[0]!.reason, /target type 1/);
  assert.match(parsed.value.skipped[2]!.reason, /functionality level 300/);
});

test("database: a malformed line is an error naming file and line", () => {
  for (const [line, reason] of [
    ["Bad:0:*:41424g44", /bad hex/],
    ["Bad:0:*", /expected/],
    ["Bad:0:xx:41424344", /bad offset/],
    ["Bad:x:*:41424344", /bad target/],
    ["Bad:0:*:41424344*", /empty/],
  ] as const) {
    const parsed = parseDatabaseText("db/x.ndb", `Good:0:*:41424344\n${line}\n`);
    assert.ok(!parsed.ok, line);
    assert.equal(parsed.error.code, ErrorCodes.SIGNATURE_MALFORMED);
    assert.match(parsed.error.message, /^db\/x\.ndb:2: /);
    assert.match(parsed.error.message, reason);
  }
});

test("database: hash lines by digest length; `*` size needs level 73 like clamscan", () => {
  const md5 = "bf4fc9398ea212ac9a7e3c458e36dbc1";
  const sha1 = "a".repeat(40);
  const sha256 = "B".repeat(64);
  const parsed = parseDatabaseText("h.hsb", `${md5}:6:A\n${sha1}:7:B\n${sha256}:*:C:73\n${md5}:6:D:300\n`);
  assert.ok(parsed.ok);
  assert.deepEqual(
    parsed.value.hash.map((h) => [h.algorithm, h.size, h.name]),
    [
      ["md5", 6, "A"],
      ["sha1", 7, "B"],
      ["sha256", undefined, "C"],
    ],
  );
  assert.equal(parsed.value.hash[2]!.digestHex, "b".repeat(64));
  assert.equal(parsed.value.skipped.length, 1);
  for (const bad of [`${md5}:*:NoLevel`, `${md5}:*:Low:72`, `${md5}:x:Size`, `${md5}:6`, `${md5}0:6:Long`]) {
    const r = parseDatabaseText("h.hdb", `${bad}\n`);
    assert.ok(!r.ok, bad);
    assert.match(r.error.message, /^h\.hdb:1: /);
  }
});

test("database: unknown file types are refused; several files accumulate", () => {
  assert.ok(!parseDatabaseText("x.ldb", "").ok);
  const into = emptyParsedDatabase();
  assert.ok(parseDatabaseText("a.ndb", "A:0:*:414243\n", into).ok);
  assert.ok(parseDatabaseText("b.hdb", `${"0".repeat(32)}:1:B\n`, into).ok);
  assert.equal(into.body.length + into.hash.length, 2);
});
