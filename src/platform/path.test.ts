import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { limits } from "../core/limits.ts";
import { parsePath, utf8Length } from "./path.ts";

test("path: absolute paths split into segments; the root is empty", () => {
  assert.deepEqual(parsePath("/"), { ok: true, value: [] });
  assert.deepEqual(parsePath("/data/email/inbox"), { ok: true, value: ["data", "email", "inbox"] });
});

test("path: relative, empty, dot and NUL segments are PATH_INVALID", () => {
  for (const bad of ["", "data", "/a//b", "/a/", "/a/./b", "/a/../b", "/a\0b"]) {
    const parsed = parsePath(bad);
    assert.equal(parsed.ok, false, bad);
    if (!parsed.ok) assert.equal(parsed.error.code, "E_PATH_INVALID");
  }
});

test("path: name, path and depth bounds come from limits.ts", () => {
  const longName = `/${"n".repeat(limits.nameBytesMax + 1)}`;
  assert.equal(parsePath(longName).ok, false);
  assert.equal(parsePath(`/${"n".repeat(limits.nameBytesMax)}`).ok, true);
  const deep = "/d".repeat(limits.pathDepthMax + 1);
  assert.equal(parsePath(deep).ok, false);
  assert.equal(parsePath("/d".repeat(limits.pathDepthMax)).ok, true);
  const long = `/${Array.from({ length: 8 }, () => "x".repeat(200)).join("/")}`;
  assert.ok(utf8Length(long) > limits.pathBytesMax);
  assert.equal(parsePath(long).ok, false);
});

test("path: UTF-8 lengths count multi-byte characters; lone surrogates are rejected", () => {
  assert.equal(utf8Length("héllo"), 6);
  assert.equal(utf8Length("😀"), 4);
  assert.equal(utf8Length("\ud800"), -1);
  assert.equal(parsePath("/caf\u00e9/\ud83d\ude00").ok, true);
  assert.equal(parsePath("/bad\udc00").ok, false);
});

test("path: the ASCII fast path and the full checks agree on every short path over a tricky alphabet (fast-check)", () => {
  const alphabet = ["/", "a", ".", "\0", "é", "\ud800", "x"];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...alphabet), { maxLength: 12 }), (chars) => {
      const path = `/${chars.join("")}`;
      const parsed = parsePath(path);
      const segments = path.slice(1).split("/");
      const valid =
        path === "/" ||
        segments.every((s) => s !== "" && s !== "." && s !== ".." && !s.includes("\0") && utf8Length(s) > 0);
      assert.equal(parsed.ok, valid, JSON.stringify(path));
      if (parsed.ok) assert.deepEqual(parsed.value, path === "/" ? [] : segments);
    }),
    { numRuns: 500 },
  );
});
