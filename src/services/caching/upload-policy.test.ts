import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { limits } from "../../core/limits.ts";
import { parseUploadAction } from "./cache-actions.ts";
import { defaultCachingSettings } from "./settings.ts";
import { decideUpload, planUpload, UploadAccounting } from "./upload-policy.ts";

const on = defaultCachingSettings;
const off = { ...defaultCachingSettings, enabled: false };

test("caching: upload policy: files at or above 500 KB go through the mirror, smaller ones go direct", () => {
  assert.equal(limits.bulkUploadThresholdBytesDefault, 500 * 1024);
  assert.equal(decideUpload(500 * 1024, on), "via-mirror");
  assert.equal(decideUpload(500 * 1024 - 1, on), "direct");
  assert.equal(decideUpload(20_000_000, on), "via-mirror");
});

test("caching: upload policy: service off sends every upload direct", () => {
  assert.equal(decideUpload(20_000_000, off), "direct");
});

test("caching: upload policy: threshold is configurable", () => {
  assert.equal(decideUpload(2_000, { enabled: true, bulkUploadThresholdBytes: 1_000 }), "via-mirror");
  assert.equal(decideUpload(999, { enabled: true, bulkUploadThresholdBytes: 1_000 }), "direct");
});

test("caching: upload policy: a mirror upload costs zero radio payload, a direct one size × recipients", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 0, max: limits.fileBytesMax }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 0, max: 4 * 1024 * 1024 }),
      fc.boolean(),
      (sizeBytes, count, threshold, enabled) => {
        const settings = { enabled, bulkUploadThresholdBytes: threshold };
        const recipients = Array.from({ length: count }, (_, i) => `r${i}`);
        const plan = planUpload({ path: "/f", sizeBytes, recipients }, settings);
        assert.ok(plan.ok);
        const viaMirror = enabled && sizeBytes >= threshold;
        assert.equal(plan.value.decision, viaMirror ? "via-mirror" : "direct");
        assert.equal(plan.value.radioPayloadBytes, viaMirror ? 0 : sizeBytes * count);
        const input = { seq: 1, timeMs: 0, networkConsumed: 0, nondet: [], ...plan.value.input };
        const parsed = parseUploadAction(input);
        assert.ok(parsed?.ok);
        assert.equal(parsed.value.route, viaMirror ? "mirror" : "phone");
        assert.deepEqual(parsed.value.recipients, recipients);
      },
    ),
  );
});

test("caching: upload policy: no recipients or an oversized file is a typed error", () => {
  const none = planUpload({ path: "/f", sizeBytes: 10, recipients: [] }, on);
  assert.equal(none.ok ? "" : none.error.code, "E_USAGE");
  const huge = planUpload({ path: "/f", sizeBytes: limits.fileBytesMax + 1, recipients: ["a"] }, on);
  assert.equal(huge.ok ? "" : huge.error.code, "E_PAYLOAD_TOO_LARGE");
});

test("caching: upload accounting: sums what the phone sent and what it would have sent", () => {
  const accounting = new UploadAccounting();
  for (const [sizeBytes, recipients] of [
    [1_000_000, ["a", "b", "c", "d", "e"]],
    [1_000, ["a", "b"]],
  ] as const) {
    const request = { path: "/f", sizeBytes, recipients };
    const plan = planUpload(request, on);
    assert.ok(plan.ok);
    accounting.record(plan.value, request);
  }
  assert.deepEqual(accounting.snapshot(), {
    uploads: 2,
    viaMirror: 1,
    direct: 1,
    radioPayloadBytes: 2_000,
    radioPayloadBytesWithoutCaching: 5_002_000,
  });
});
