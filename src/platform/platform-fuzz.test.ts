import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { toHex } from "../core/bytes.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { apps } from "./apps/index.ts";
import { type AppName, appNames, type NetworkInput } from "./inputs.ts";
import { publicLevelKey } from "./key-level.ts";
import { runPhoneWorkload } from "./phone-run.ts";
import type { Platform, UserInputDraft } from "./platform.ts";

const actionNames = [...new Set(appNames.flatMap((a) => Object.keys(apps[a].actions))), "nope"];
const deliveryNames = [...new Set(appNames.flatMap((a) => Object.keys(apps[a].deliveries))), "nope"];
const argKeys = [
  "peer",
  "text",
  "to",
  "subject",
  "path",
  "from",
  "name",
  "id",
  "url",
  "save",
  "title",
  "value",
  "app",
  "folder",
  "version",
  "size",
  "parts",
];
const argValue = fc.oneof(
  fc.constantFrom(
    "bob",
    "/sdcard/Download/x.bin",
    "/sdcard",
    "/data/system",
    "a:3,b:2",
    "1",
    "-1",
    "",
    "..",
    "a/b",
    "messaging",
  ),
  fc.string({ maxLength: 12 }),
);
const args = fc.array(
  fc.oneof(
    fc.tuple(fc.constantFrom(...argKeys), argValue).map(([k, v]) => `${k}=${v}`),
    fc.string({ maxLength: 8 }),
  ),
  { maxLength: 5 },
);
const app = fc.oneof(fc.constantFrom(...appNames), fc.constant("weather"));
const body = fc.oneof(
  fc.record({
    kind: fc.constant("tap"),
    x: fc.integer({ min: -5, max: 5000 }),
    y: fc.integer({ min: -5, max: 5000 }),
  }),
  fc.record({ kind: fc.constant("key"), code: fc.integer({ min: -1, max: 0x110001 }) }),
  fc.record({ kind: fc.constant("action"), name: fc.constantFrom(...actionNames), args }),
  fc.record({ kind: fc.constant("swipe") }),
);
const input = fc.oneof(
  fc.record({ user: fc.constant(true), app, body }),
  fc.record({
    user: fc.constant(false),
    app,
    kind: fc.constantFrom(...deliveryNames),
    args,
    payload: fc.uint8Array({ maxLength: 64 }),
  }),
);

test("platform: random inputs yield a result or a typed error, never a crash, and errors change nothing (fast-check)", () => {
  const { phone } = runPhoneWorkload({ seed: 17, events: 600, sha256: nodeSha256, levelKey: publicLevelKey });
  let errors = 0;
  let accepted = 0;
  fc.assert(
    fc.property(fc.array(input, { maxLength: 30 }), (inputs) => {
      for (const i of inputs) {
        const digest = toHex(phone.digest());
        const ui = structuredClone(phone.uiState);
        const consumed = phone.networkConsumed;
        const result = i.user
          ? phone.applyUser({ seq: 1, timeMs: 1, app: i.app as AppName, body: i.body } as UserInputDraft)
          : phone.applyNetwork({
              index: consumed + 1,
              timeMs: 1,
              app: i.app as AppName,
              kind: i.kind,
              args: i.args,
              payload: i.payload,
            } as NetworkInput);
        if (result.ok) {
          accepted++;
          continue;
        }
        errors++;
        assert.match(result.error.code, /^E_[A-Z_]+$/);
        assert.equal(toHex(phone.digest()), digest, JSON.stringify(i));
        assert.deepEqual(phone.uiState, ui, JSON.stringify(i));
        assert.equal((phone as Platform).networkConsumed, consumed);
      }
    }),
    { numRuns: 100, seed: 99 },
  );
  assert.ok(errors > 60, `only ${errors} inputs were refused: the fuzzer is not reaching the checks`);
  assert.ok(accepted > 30, `only ${accepted} inputs were applied: the fuzzer is not reaching the apps`);
});
