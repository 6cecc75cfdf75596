import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { test } from "node:test";
import fc from "fast-check";
import { unkeyedLevel } from "../../test/support/unkeyed-level.ts";
import { toHex } from "../core/bytes.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { hmacSha256, LevelKey, levelKeyFromDeviceKey, publicLevelKey, sipHash24 } from "./key-level.ts";
import { type KeyLevel, type Mst, type MstNode, mstFromSorted, mstSet } from "./merkle-search-tree.ts";

const referenceKey = Uint8Array.from({ length: 16 }, (_, i) => i);
const prefix = (n: number) => Uint8Array.from({ length: n }, (_, i) => i);

test("siphash: the reference vectors of Aumasson & Bernstein (key 00..0f, message 00..n-1)", () => {
  const expected: [number, string][] = [
    [0, "310e0edd47db6f72"],
    [1, "fd67dc93c539f874"],
    [2, "5a4fa9d909806c0d"],
    [3, "2d7efbd796666785"],
    [4, "b7877127e09427cf"],
    [5, "8da699cd64557618"],
    [6, "cee3fe586e46c9cb"],
    [7, "37d1018bf50002ab"],
    [8, "6224939a79f5f593"],
    [9, "b0e4a90bdf82009e"],
    [15, "e545be4961ca29a1"],
  ];
  for (const [length, hex] of expected)
    assert.equal(toHex(sipHash24(referenceKey, prefix(length))), hex, `n=${length}`);
});

/** SipHash-2-4 straight from the paper, in BigInt: an independent check of the 32-bit halves. */
function sipReference(secret: Uint8Array, message: Uint8Array): bigint {
  const mask = (1n << 64n) - 1n;
  const rotl = (x: bigint, b: bigint) => ((x << b) | (x >> (64n - b))) & mask;
  const word = (bytes: Uint8Array, at: number) => {
    let w = 0n;
    for (let i = 7; i >= 0; i--) w = (w << 8n) | BigInt(bytes[at + i] ?? 0);
    return w;
  };
  const k0 = word(secret, 0);
  const k1 = word(secret, 8);
  let v = [
    k0 ^ 0x736f6d6570736575n,
    k1 ^ 0x646f72616e646f6dn,
    k0 ^ 0x6c7967656e657261n,
    k1 ^ 0x7465646279746573n,
  ];
  const round = () => {
    let [a, b, c, d] = v as [bigint, bigint, bigint, bigint];
    a = (a + b) & mask;
    b = rotl(b, 13n) ^ a;
    a = rotl(a, 32n);
    c = (c + d) & mask;
    d = rotl(d, 16n) ^ c;
    a = (a + d) & mask;
    d = rotl(d, 21n) ^ a;
    c = (c + b) & mask;
    b = rotl(b, 17n) ^ c;
    c = rotl(c, 32n);
    v = [a, b, c, d];
  };
  const padded = new Uint8Array(message.length - (message.length % 8) + 8);
  padded.set(message);
  padded[padded.length - 1] = message.length & 0xff;
  for (let at = 0; at < padded.length; at += 8) {
    const m = word(padded, at);
    v[3]! ^= m;
    round();
    round();
    v[0]! ^= m;
  }
  v[2]! ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v[0]! ^ v[1]! ^ v[2]! ^ v[3]!;
}

function littleEndian(x: bigint): string {
  let hex = "";
  for (let i = 0n; i < 8n; i++) hex += ((x >> (8n * i)) & 0xffn).toString(16).padStart(2, "0");
  return hex;
}

test("siphash: the 32-bit implementation equals a BigInt one for random keys and messages", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc.uint8Array({ maxLength: 300 }),
      (secret, message) => {
        assert.equal(toHex(sipHash24(secret, message)), littleEndian(sipReference(secret, message)));
      },
    ),
    { numRuns: 300 },
  );
});

test("level: a name's level is leading zero hex digits of SipHash over its UTF-16 code units", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 16, maxLength: 16 }),
      fc
        .array(fc.integer({ min: 0, max: 0xffff }), { maxLength: 40 })
        .map((units) => String.fromCharCode(...units)),
      (secret, name) => {
        const units = new Uint8Array(name.length * 2);
        for (let i = 0; i < name.length; i++) {
          units[2 * i] = name.charCodeAt(i) & 0xff;
          units[2 * i + 1] = name.charCodeAt(i) >>> 8;
        }
        const high = sipReference(secret, units) >> 32n;
        const zeros = high === 0n ? 8 : 8 - Math.ceil(high.toString(16).length);
        assert.equal(LevelKey.fromSecret(secret).level(name), Math.min(7, zeros));
      },
    ),
    { numRuns: 300 },
  );
});

test("level: about 1 name in 16 rises a level, and two secrets disagree on which", () => {
  const a = LevelKey.fromSecret(new Uint8Array(16).fill(1));
  const b = LevelKey.fromSecret(new Uint8Array(16).fill(2));
  let raisedA = 0;
  let raisedBoth = 0;
  for (let i = 0; i < 32_000; i++) {
    const name = `IMG_${i}.jpg`;
    const up = a.level(name) > 0;
    raisedA += up ? 1 : 0;
    raisedBoth += up && b.level(name) > 0 ? 1 : 0;
  }
  assert.ok(raisedA > 1_700 && raisedA < 2_300, `raised ${raisedA} of 32000 (expected ~2000)`);
  assert.ok(raisedBoth < 250, `raised under both keys: ${raisedBoth} (independent: ~125)`);
});

test("device level key: HMAC-SHA256(device key, label) over the Sha256 port, as node:crypto computes it", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 150 }), fc.uint8Array({ maxLength: 100 }), (key, message) => {
      const expected = createHmac("sha256", key).update(message).digest("hex");
      assert.equal(toHex(hmacSha256(nodeSha256, key, message)), expected);
    }),
    { numRuns: 100 },
  );
  const deviceKey = new Uint8Array(32).fill(9);
  const secret = createHmac("sha256", deviceKey).update("mirrorcell/mst-level/v1").digest().subarray(0, 16);
  const derived = levelKeyFromDeviceKey(deviceKey, nodeSha256);
  assert.ok(derived.sameAs(LevelKey.fromSecret(new Uint8Array(secret))));
  assert.ok(!derived.sameAs(levelKeyFromDeviceKey(new Uint8Array(32).fill(10), nodeSha256)));
  assert.ok(!derived.sameAs(publicLevelKey));
});

/** Names an attacker grinds offline: every one of them level 0 under the old public function. */
function groundNames(count: number, tag: string): string[] {
  const names: string[] = [];
  for (let i = 0; names.length < count && i < count * 2; i++) {
    const name = `${tag}-${i}.jpg`;
    if (unkeyedLevel.level(name) === 0) names.push(name);
  }
  assert.equal(names.length, count, "15/16 of names are level 0: 2x tries are plenty");
  return names;
}

/** Keys held by the nodes a write made (nodes of `after` not in `before`): what it copied and must rehash. */
function keysCopied<V>(before: Mst<V>, after: Mst<V>): number {
  const old = new Set<MstNode<V>>();
  const collect = (n: Mst<V>) => {
    if (n === undefined || old.has(n)) return;
    old.add(n);
    n.children.forEach(collect);
  };
  collect(before);
  let copied = 0;
  const walk = (n: Mst<V>) => {
    if (n === undefined || old.has(n)) return;
    copied += n.keys.length;
    n.children.forEach(walk);
  };
  walk(after);
  return copied;
}

/** Mean keys copied by `writes` new names inserted one by one into a directory of `existing` names. */
function meanWriteCost(existing: readonly string[], added: readonly string[], levels: KeyLevel): number {
  const sorted = [...existing].sort();
  let t = mstFromSorted(
    sorted.map((name): [string, number] => [name, 0]),
    levels,
  );
  let total = 0;
  for (const name of added) {
    const next = mstSet(t, name, 1, levels);
    total += keysCopied(t, next);
    t = next;
  }
  return total / added.length;
}

test("hash flooding: 20k names ground to level 0 under the old function cost a keyed directory what random names do", () => {
  const ground = groundNames(20_050, "mms-attachment");
  const attack = ground.slice(0, 20_000);
  const key = LevelKey.fromSecret(new Uint8Array(16).fill(0x5a));
  const raised = attack.filter((name) => key.level(name) > 0).length;
  assert.ok(
    raised > 1_000 && raised < 1_500,
    `keyed levels spread the ground names: ${raised} of 20000 above 0`,
  );
  const random = Array.from({ length: 20_000 }, (_, i) => `${(i * 2654435761) >>> 0}.jpg`);
  const moreAttack = ground.slice(20_000);
  const moreRandom = Array.from({ length: 50 }, (_, i) => `new-${i}.jpg`);
  const keyedAttack = meanWriteCost(attack, moreAttack, key);
  const keyedRandom = meanWriteCost(random, moreRandom, key);
  assert.ok(
    keyedAttack < 4 * keyedRandom,
    `keyed: ${keyedAttack} keys copied per attack write vs ${keyedRandom}`,
  );
  assert.ok(keyedAttack < 200, `keyed: ${keyedAttack} keys copied per write`);
  // The same attack against the old public function: one node of 20k keys, copied whole by every write.
  const unkeyedAttack = meanWriteCost(attack, moreAttack, unkeyedLevel);
  assert.ok(unkeyedAttack > 20_000, `unkeyed: ${unkeyedAttack} keys copied per attack write`);
  assert.ok(unkeyedAttack > 100 * keyedAttack, "the keyed function is what closes the attack");
});
