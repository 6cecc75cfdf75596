import assert from "node:assert/strict";
import { test } from "node:test";
import { nodeSha256 } from "../node/sha256.ts";
import { levelKeyFromDeviceKey } from "../platform/key-level.ts";
import { newDeviceKey } from "./auth.ts";
import { LevelKeyCache } from "./level-keys.ts";

test("level keys: the same key bytes give the same key object (a copy of the bytes too)", () => {
  const cache = new LevelKeyCache(nodeSha256);
  const deviceKey = newDeviceKey();
  const first = cache.levelKeyOf(deviceKey);
  assert.equal(cache.levelKeyOf(new Uint8Array(deviceKey)), first);
  assert.ok(first.sameAs(levelKeyFromDeviceKey(deviceKey, nodeSha256)), "the derivation is unchanged");
  const other = cache.levelKeyOf(newDeviceKey());
  assert.notEqual(other, first);
  assert.ok(!other.sameAs(first), "another device key derives another level key");
});

test("level keys: the cache keeps its bound and drops the least recently used key", () => {
  const cache = new LevelKeyCache(nodeSha256, 2);
  const [a, b, c] = [newDeviceKey(), newDeviceKey(), newDeviceKey()];
  const keyA = cache.levelKeyOf(a);
  const keyB = cache.levelKeyOf(b);
  assert.equal(cache.levelKeyOf(a), keyA, "a hit makes a the most recent");
  cache.levelKeyOf(c);
  assert.equal(cache.size, 2);
  assert.equal(cache.levelKeyOf(a), keyA, "a stayed");
  const again = cache.levelKeyOf(b);
  assert.notEqual(again, keyB, "b was dropped and derived afresh");
  assert.ok(again.sameAs(keyB), "to the same secret");
});
