import assert from "node:assert/strict";
import { test } from "node:test";
import { parseHexPattern } from "./hex-pattern.ts";

function ok(hex: string) {
  const parsed = parseHexPattern(hex);
  assert.equal(parsed.kind, "ok", `${hex}: ${JSON.stringify(parsed)}`);
  return parsed.kind === "ok" ? parsed.pattern : assert.fail();
}

test("hex pattern: fixed bytes, ??, nibbles and {n} stay in one part", () => {
  const p = ok("4142??4?{2}?5");
  assert.equal(p.parts.length, 1);
  assert.deepEqual([...p.parts[0]!.values], [0x41, 0x42, 0, 0x40, 0, 0, 0x05]);
  assert.deepEqual([...p.parts[0]!.masks], [0xff, 0xff, 0, 0xf0, 0, 0, 0x0f]);
});

test("hex pattern: variable gaps split parts with inclusive ranges", () => {
  const p = ok("414243*444546{2-5}474849{-3}4a4b4c{7-}4d4e4f");
  assert.equal(p.parts.length, 5);
  assert.deepEqual(
    p.gaps.map((g) => [g.min, g.max]),
    [
      [0, 0],
      [0, Number.POSITIVE_INFINITY],
      [2, 5],
      [0, 3],
      [7, Number.POSITIVE_INFINITY],
    ],
  );
});

test("hex pattern: same-length alternatives become one alternative slot", () => {
  const p = ok("414243(4445|4647)");
  assert.equal(p.parts[0]!.values.length, 5);
  assert.deepEqual(p.parts[0]!.alternatives[0]!.at, 3);
  assert.equal(p.parts[0]!.alternatives[0]!.options.length, 2);
});

test("hex pattern: what clamscan refuses is malformed", () => {
  for (const hex of [
    "41424g44",
    "414",
    "41424344*",
    "*41424344",
    "41{2-1}4243",
    "41??",
    "4142",
    "41",
    "4142(41|",
    "41{x}4243",
  ]) {
    assert.equal(parseHexPattern(hex).kind, "malformed", hex);
  }
});

test("hex pattern: features outside the supported set are unsupported, not silently dropped", () => {
  for (const hex of ["414243!(44|45)", "4142[1-3]4344", "(B)414243", "414243(44|4546)", "414243(4?|45)"]) {
    assert.equal(parseHexPattern(hex).kind, "unsupported", hex);
  }
});

test("hex pattern: a long fixed gap splits parts instead of allocating wildcards", () => {
  const p = ok("41424344{100000}45464748");
  assert.equal(p.parts.length, 2);
  assert.deepEqual(p.gaps[1], { min: 100000, max: 100000 });
  assert.equal(ok("414243{128}444546").parts.length, 1);
});
