// The matcher (gram prefilter + exact verification) against a brute-force
// reading of the signature semantics, on small alphabets where matches,
// near-misses and repeated parts are common.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BodyMatcher } from "./body-matcher.ts";
import { emptyParsedDatabase, parseDatabaseText } from "./database-parser.ts";
import { parseHexPattern } from "./hex-pattern.ts";
import { partMatchesAt, startWindow } from "./pattern-verify.ts";
import type { BodyPattern, SignatureOffset } from "./signature.ts";

function naiveMatches(pattern: BodyPattern, offset: SignatureOffset, data: Uint8Array): boolean {
  const { parts, gaps } = pattern;
  const from = (k: number, pos: number): boolean => {
    if (!partMatchesAt(parts[k]!, data, pos)) return false;
    if (k === parts.length - 1) return true;
    const after = pos + parts[k]!.values.length;
    const gap = gaps[k + 1]!;
    for (let p = after + gap.min; p <= Math.min(data.length, after + gap.max); p++)
      if (from(k + 1, p)) return true;
    return false;
  };
  const window = startWindow(offset, data.length, parts[0]!.values.length);
  if (window === undefined) return false;
  for (let s = window[0]; s <= window[1]; s++) if (from(0, s)) return true;
  return false;
}

const byteHex = fc.constantFrom("41", "42");
const token = fc.oneof(
  { weight: 6, arbitrary: byteHex },
  { weight: 1, arbitrary: fc.constant("??") },
  { weight: 1, arbitrary: fc.constantFrom("4?", "?1", "?3") },
  { weight: 1, arbitrary: fc.constantFrom("(41|43)", "(4142|4241)") },
  { weight: 1, arbitrary: fc.constantFrom("{1}", "{2}") },
);
const part = fc
  .tuple(fc.array(byteHex, { minLength: 2, maxLength: 3 }), fc.array(token, { maxLength: 2 }))
  .map(([a, b]) => a.join("") + b.join(""));
const gap = fc.constantFrom("*", "{0-2}", "{1-3}", "{-2}", "{2-}", "{3-6}");
const hexSig = fc
  .tuple(part, fc.array(fc.tuple(gap, part), { maxLength: 2 }))
  .map(([first, rest]) => first + rest.map(([g, p]) => g + p).join(""));
const offsetText = fc.constantFrom("*", "*", "*", "*", "0", "3", "2,5", "EOF-8", "EOF-12,4");
const data = fc
  .array(fc.constantFrom(0x41, 0x42, 0x41, 0x42, 0x41, 0x42, 0x43), {
    minLength: 0,
    maxLength: 200,
    size: "max",
  })
  .map((a) => Uint8Array.from(a));

test("body matcher: agrees with brute force on every wildcard, gap and offset form", () => {
  let matches = 0;
  fc.assert(
    fc.property(
      fc.array(fc.tuple(hexSig, offsetText), { minLength: 1, maxLength: 6 }),
      data,
      (sigs, bytes) => {
        const valid = sigs.filter(([hex]) => parseHexPattern(hex).kind === "ok");
        fc.pre(valid.length > 0);
        const parsed = parseDatabaseText(
          "p.ndb",
          valid.map(([hex, off], i) => `S${i}:0:${off}:${hex}`).join("\n"),
          emptyParsedDatabase(),
        );
        assert.ok(parsed.ok);
        const matcher = BodyMatcher.build(parsed.value.body);
        const found = new Set(matcher.scan(bytes).map((m) => m.id));
        matches += found.size;
        for (let id = 0; id < valid.length; id++) {
          const sig = matcher.signature(id);
          assert.equal(
            found.has(id),
            naiveMatches(sig.pattern, sig.offset, bytes),
            `${valid[id]!.join(" @ ")} on ${Buffer.from(bytes).toString()}`,
          );
        }
      },
    ),
    { numRuns: 300 },
  );
  assert.ok(matches > 50, `the generator produces matches (${matches})`);
});

test("body matcher: reports the earliest end and clamscan's order (static by start, then others by end)", () => {
  const parsed = parseDatabaseText("o.ndb", "Late:0:*:58595a\nWild:0:*:4142??44\nEarly:0:*:313233\n");
  assert.ok(parsed.ok);
  const matcher = BodyMatcher.build(parsed.value.body);
  const text = new TextEncoder().encode("AB.D 123 XYZ AB.D 123");
  assert.deepEqual(
    matcher.scan(text).map((m) => [matcher.name(m.id), m.end]),
    [
      ["Early", 8],
      ["Late", 12],
      ["Wild", 4],
    ],
  );
});

test("body matcher: a signature anchored on 2 bytes is still found", () => {
  const parsed = parseDatabaseText("s.ndb", "Short:0:*:4142??4344??4546\n");
  assert.ok(parsed.ok);
  assert.equal(parsed.value.body[0]!.anchor.length, 2);
  const matcher = BodyMatcher.build(parsed.value.body);
  assert.equal(matcher.scan(new TextEncoder().encode("xxAB!CD?EFyy")).length, 1);
  assert.equal(matcher.scan(new TextEncoder().encode("xxAB!CD?EGyy")).length, 0);
});

test("body matcher: a long fixed gap matches at exactly that distance", () => {
  const parsed = parseDatabaseText("g.ndb", "Gap:0:*:41424344{300}45464748\n");
  assert.ok(parsed.ok);
  const matcher = BodyMatcher.build(parsed.value.body);
  const make = (gap: number) => new TextEncoder().encode(`..ABCD${"x".repeat(gap)}EFGH..`);
  assert.equal(matcher.scan(make(300)).length, 1);
  assert.equal(matcher.scan(make(299)).length, 0);
  assert.equal(matcher.scan(make(301)).length, 0);
});
