import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { UserInput, UserInputBody } from "../../platform/inputs.ts";
import {
  downloadActionBody,
  fileNameOfUrl,
  parseDownloadAction,
  parseUploadAction,
  uploadActionBody,
} from "./cache-actions.ts";

function input(body: UserInputBody, app: UserInput["app"] = "cache"): UserInput {
  return { seq: 7, timeMs: 0, networkConsumed: 0, app, body, nondet: [] };
}

test("caching: actions: upload action round-trips for any path and recipients", () => {
  const text = fc.string({ minLength: 1, maxLength: 40 });
  fc.assert(
    fc.property(
      text,
      fc.constantFrom("mirror" as const, "phone" as const),
      fc.array(
        text.filter((t) => !t.includes(",")),
        { minLength: 1, maxLength: 10 },
      ),
      (path, route, recipients) => {
        const parsed = parseUploadAction(input(uploadActionBody({ path, route, recipients })));
        assert.ok(parsed?.ok);
        assert.deepEqual(parsed.value, { path, route, recipients });
      },
    ),
  );
});

test("caching: actions: an upload without via= is the cache app's fake upload (the mirror sends)", () => {
  const parsed = parseUploadAction(input({ kind: "action", name: "upload", args: ["path=/a", "to=b,c"] }));
  assert.deepEqual(parsed, { ok: true, value: { path: "/a", route: "mirror", recipients: ["b", "c"] } });
});

test("caching: actions: other inputs are not upload or download actions", () => {
  assert.equal(parseUploadAction(input({ kind: "tap", x: 1, y: 2 })), undefined);
  assert.equal(
    parseUploadAction(input(uploadActionBody({ path: "/a", route: "mirror", recipients: ["b"] }), "email")),
    undefined,
  );
  assert.equal(parseDownloadAction(input({ kind: "action", name: "upload", args: [] })), undefined);
});

test("caching: actions: malformed upload and download actions are typed errors", () => {
  const bad: string[][] = [
    [],
    ["path=/a", "via=mirror"],
    ["path=/a", "via=air", "to=b"],
    ["path=/a", "path=/b", "via=phone", "to=c"],
    ["path=/a", "via=mirror", "to=b", "to=c"],
    ["path=/a", "via=mirror", "to=b,,c"],
  ];
  for (const args of bad) {
    const parsed = parseUploadAction(input({ kind: "action", name: "upload", args }));
    assert.equal(parsed?.ok, false, JSON.stringify(args));
    assert.equal(parsed.ok ? "" : parsed.error.code, "E_INPUT_MALFORMED");
  }
  const download = parseDownloadAction(input({ kind: "action", name: "download", args: [] }));
  assert.equal(download?.ok, false);
  const good = parseDownloadAction(input(downloadActionBody("http://127.0.0.1/x.bin")));
  assert.deepEqual(good, { ok: true, value: { url: "http://127.0.0.1/x.bin" } });
});

test("caching: actions: file names from URLs are safe", () => {
  assert.equal(fileNameOfUrl("http://h/a/video.mp4?x=1", "f"), "video.mp4");
  assert.equal(fileNameOfUrl("http://h/", "f"), "f");
  assert.equal(fileNameOfUrl("http://h/..", "f"), "f");
  assert.equal(fileNameOfUrl("http://h/a b/c d", "f"), "c_d");
});
