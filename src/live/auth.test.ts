import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import {
  deviceProof,
  loadOrCreateAdminToken,
  newDeviceKey,
  newNonce,
  proofMatches,
  tokenMatches,
} from "./auth.ts";

test("live: auth: the proof of the right key matches; another key, nonce or device id does not", () => {
  const key = newDeviceKey();
  const nonce = newNonce();
  const mac = deviceProof(key, nonce, "phone-1");
  assert.ok(proofMatches(key, nonce, "phone-1", mac));
  assert.equal(proofMatches(newDeviceKey(), nonce, "phone-1", mac), false);
  assert.equal(proofMatches(key, newNonce(), "phone-1", mac), false);
  assert.equal(proofMatches(key, nonce, "phone-2", mac), false);
  assert.equal(proofMatches(key, nonce, "phone-1", mac.subarray(0, 31)), false);
});

test("live: auth: the admin token is created once, then reloaded; a given token wins", () => {
  const dir = mkdtempSync(join(tmpdir(), "mc-auth-"));
  try {
    const first = loadOrCreateAdminToken(dir);
    assert.equal(first.created, true);
    const second = loadOrCreateAdminToken(dir);
    assert.deepEqual(second, { token: first.token, created: false });
    assert.equal(loadOrCreateAdminToken(dir, "given-token-123456").token, "given-token-123456");
    assert.ok(tokenMatches(first.token, first.token));
    assert.equal(tokenMatches(first.token, `${first.token}x`), false);
    assert.equal(tokenMatches(first.token, undefined), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
