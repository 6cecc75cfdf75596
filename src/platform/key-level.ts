// The level of a directory entry in its Merkle search tree, as a keyed PRF of
// the name (DESIGN.md invariant 6 and "The phone platform"). A level drawn
// from a public hash lets anyone who can put names on a phone (an MMS or
// email attachment, a download) grind names that all get level 0, which puts
// them all in one tree node: every write then copies and rehashes O(n) keys,
// on the phone and on its mirror. With a per-device secret the attacker
// cannot tell offline which level a name gets, so every name is a fair draw.
//
// The PRF is SipHash-2-4 (Aumasson & Bernstein 2012, made for exactly this
// hash-flooding problem), written in 32-bit halves for JS, over the name's
// UTF-16 code units (two bytes each, little-endian: injective, no encoding
// step). A seeded FNV would not do: its collisions do not depend on the seed.
// SHA-256 through the Sha256 port over (secret ‖ name) costs ~7× more per call
// (bench/keyed-levels.ts), and one level is computed per new name.
//
// Where the secret comes from: live, HMAC-SHA256(device key,
// "mirrorcell/mst-level/v1") — the phone and its server both hold the
// enrolled key, an attacker does not, and nothing changes on the wire; the
// simulator forks it from the phone's seeded Rng; tests and benches pass one
// or publicLevelKey by name (also the shape of the shared factory templates,
// which every device rebuilds under its own key). No API defaults to the
// public key: a forgotten key is a type error, not a silently open hole.
import { assert } from "../core/assert.ts";
import type { Sha256 } from "../core/ports.ts";
import type { KeyLevel } from "./merkle-search-tree.ts";
import type { StorageSnapshot } from "./storage-snapshot.ts";
import { StepShare } from "./storage-steps.ts";

export const levelSecretBytes = 16;

/** Levels run 0..levelMax; a level is the number of leading zero hex digits of the PRF, so P(≥ l) = 16^-l. */
const levelMax = 7;

/** Key words: k0 = [hi, lo], k1 = [hi, lo] of the secret read little-endian. */
type KeyWords = readonly [number, number, number, number];

/** Message words, lo then hi per 64-bit block, the length byte placed (reused: names are short); int32 like sipCore's state. */
let blocks = new Int32Array(2 * 40);
/** The 64-bit result of the last sipCore call: [hi, lo]. */
const result = new Uint32Array(2);
/** x ^ signBit maps int32 order onto uint32 order: the carry test of a 64-bit add in halves. */
const signBit = -0x80000000;

function blocksFor(count: number): Int32Array {
  if (blocks.length < 2 * count) blocks = new Int32Array(2 * count * 2);
  return blocks;
}

/**
 * SipHash-2-4 over `count` prepared 64-bit blocks; result in `result`.
 * State in locals (module-level lets cost a context slot per access, ~10×).
 */
function sipCore(k: KeyWords, message: Int32Array, count: number): void {
  assert(count >= 1 && 2 * count <= message.length, "sipCore: block count beyond the buffer");
  // indexed, not destructured: array destructuring runs the iterator protocol and allocates
  const k0h = k[0] | 0;
  const k0l = k[1] | 0;
  const k1h = k[2] | 0;
  const k1l = k[3] | 0;
  // int32 throughout (`| 0`): a carry is an unsigned compare of the low halves (as a signed
  // compare with the sign bits flipped), so no value leaves int32: optimized code never takes a
  // word through float64, and the interpreter (a device's first names) boxes none in a heap number
  let v0h = k0h ^ 0x736f6d65;
  let v0l = k0l ^ 0x70736575;
  let v1h = k1h ^ 0x646f7261;
  let v1l = k1l ^ 0x6e646f6d;
  let v2h = k0h ^ 0x6c796765;
  let v2l = k0l ^ 0x6e657261;
  let v3h = k1h ^ 0x74656462;
  let v3l = k1l ^ 0x79746573;
  // one pass per block (2 rounds), then one for finalization (v2 ^= 0xff, 4 rounds)
  for (let b = 0; b <= count; b++) {
    const last = b === count;
    const ml = last ? 0 : message[2 * b]!;
    const mh = last ? 0 : message[2 * b + 1]!;
    v3l ^= ml;
    v3h ^= mh;
    if (last) v2l ^= 0xff;
    for (let r = last ? 4 : 2; r > 0; r--) {
      // v0 += v1; v1 = rotl(v1, 13) ^ v0; v0 = rotl(v0, 32)
      let lo = (v0l + v1l) | 0;
      v0h = (v0h + v1h + ((lo ^ signBit) < (v0l ^ signBit) ? 1 : 0)) | 0;
      v0l = lo;
      let h = ((v1h << 13) | (v1l >>> 19)) ^ v0h;
      v1l = ((v1l << 13) | (v1h >>> 19)) ^ v0l;
      v1h = h;
      h = v0h;
      v0h = v0l;
      v0l = h;
      // v2 += v3; v3 = rotl(v3, 16) ^ v2
      lo = (v2l + v3l) | 0;
      v2h = (v2h + v3h + ((lo ^ signBit) < (v2l ^ signBit) ? 1 : 0)) | 0;
      v2l = lo;
      h = ((v3h << 16) | (v3l >>> 16)) ^ v2h;
      v3l = ((v3l << 16) | (v3h >>> 16)) ^ v2l;
      v3h = h;
      // v0 += v3; v3 = rotl(v3, 21) ^ v0
      lo = (v0l + v3l) | 0;
      v0h = (v0h + v3h + ((lo ^ signBit) < (v0l ^ signBit) ? 1 : 0)) | 0;
      v0l = lo;
      h = ((v3h << 21) | (v3l >>> 11)) ^ v0h;
      v3l = ((v3l << 21) | (v3h >>> 11)) ^ v0l;
      v3h = h;
      // v2 += v1; v1 = rotl(v1, 17) ^ v2; v2 = rotl(v2, 32)
      lo = (v2l + v1l) | 0;
      v2h = (v2h + v1h + ((lo ^ signBit) < (v2l ^ signBit) ? 1 : 0)) | 0;
      v2l = lo;
      h = ((v1h << 17) | (v1l >>> 15)) ^ v2h;
      v1l = ((v1l << 17) | (v1h >>> 15)) ^ v2l;
      v1h = h;
      h = v2h;
      v2h = v2l;
      v2l = h;
    }
    v0l ^= ml;
    v0h ^= mh;
  }
  result[0] = v0h ^ v1h ^ v2h ^ v3h;
  result[1] = v0l ^ v1l ^ v2l ^ v3l;
}

/** A little-endian 32-bit word of `bytes` from `at`, zero past `end`. */
function wordAt(bytes: Uint8Array, at: number, end: number): number {
  let w = 0;
  for (let i = Math.min(3, end - at - 1); i >= 0; i--) w = (w << 8) | bytes[at + i]!;
  return w >>> 0;
}

/** SipHash-2-4 of `bytes`; result in `result`. */
function sipBytes(k: KeyWords, bytes: Uint8Array): void {
  const length = bytes.length;
  const count = Math.floor(length / 8) + 1;
  const message = blocksFor(count);
  for (let b = 0; b < count; b++) {
    message[2 * b] = wordAt(bytes, 8 * b, length);
    message[2 * b + 1] = wordAt(bytes, 8 * b + 4, length);
  }
  message[2 * count - 1] = message[2 * count - 1]! | ((length & 0xff) << 24);
  sipCore(k, message, count);
}

/** SipHash-2-4 of a name's UTF-16 code units (2 bytes each, little-endian); result in `result`. */
function sipName(k: KeyWords, name: string): void {
  const units = name.length;
  const count = Math.floor(units / 4) + 1;
  const message = blocksFor(count);
  // the last block holds at most three units (6 bytes), so the length byte has its top byte
  message[2 * count - 2] = 0;
  message[2 * count - 1] = 0;
  for (let i = 0; i < units; i += 2) {
    const pair = i + 1 < units ? name.charCodeAt(i) | (name.charCodeAt(i + 1) << 16) : name.charCodeAt(i);
    message[i >>> 1] = pair;
  }
  message[2 * count - 1] = message[2 * count - 1]! | (((units * 2) & 0xff) << 24);
  sipCore(k, message, count);
}

function keyWords(secret: Uint8Array): KeyWords {
  assert(secret.length === levelSecretBytes, `a level secret is ${levelSecretBytes} bytes`);
  return [wordAt(secret, 4, 8), wordAt(secret, 0, 8), wordAt(secret, 12, 16), wordAt(secret, 8, 16)];
}

/** SipHash-2-4 (16-byte key) of some bytes, as the 8 bytes of the reference implementation. */
export function sipHash24(secret: Uint8Array, bytes: Uint8Array): Uint8Array {
  sipBytes(keyWords(secret), bytes);
  const out = new Uint8Array(8);
  for (let i = 0; i < 4; i++) {
    out[i] = result[1]! >>> (8 * i);
    out[4 + i] = result[0]! >>> (8 * i);
  }
  return out;
}

/** A device's secret level function for the names in its directories. Immutable but for a memo, shared by snapshots. */
export class LevelKey implements KeyLevel {
  private readonly words: KeyWords;
  /**
   * The last template rebuilt under this key and its rebuild (storage-build.ts
   * rekeySnapshot), so a device's platforms share one tree; it lives as long
   * as the key. Not a WeakMap from keys: V8's scavenger keeps a WeakMap's
   * values while their keys are young, so every short-lived device's tree
   * was copied and promoted (a 10k fleet's 2,500 shards).
   */
  rekeyed: { from: StorageSnapshot; to: StorageSnapshot } | undefined = undefined;

  /**
   * Storage steps shared by the storages that hold this key object
   * (storage-steps.ts): the simulator's phone and mirror of one device. Off
   * unless asked for: outside one thread holding both sides it would only
   * keep old states alive.
   */
  readonly steps: StepShare | undefined;

  private constructor(secret: Uint8Array, shareSteps: number | undefined) {
    this.words = keyWords(secret);
    this.steps = shareSteps === undefined ? undefined : new StepShare(shareSteps);
  }

  /**
   * A copy of the 16 secret bytes is not kept: only the key words.
   * `shareSteps`: how many storage steps its storages may hold for each other (off when absent).
   */
  static fromSecret(secret: Uint8Array, shareSteps?: number): LevelKey {
    return new LevelKey(secret, shareSteps);
  }

  level(name: string): number {
    sipName(this.words, name);
    const level = Math.clz32(result[0]!) >>> 2;
    assert(level >= 0 && level <= 8, "level: clz of a 32-bit word");
    return Math.min(level, levelMax);
  }

  /** Same secret (snapshots of one device share one object; this is for assertions and tests). */
  sameAs(other: LevelKey): boolean {
    return this.words.every((w, i) => w === other.words[i]);
  }
}

/**
 * A fixed, PUBLIC key: the shape of the shared factory templates, and what
 * tests and tools pass by name. A device must not keep it — anyone can grind
 * names against it (Platform.create's levelKey, platformFactory's levelKeyOf).
 */
export const publicLevelKey = LevelKey.fromSecret(
  new Uint8Array([...("mirrorcell/level" as string)].map((c) => c.charCodeAt(0))),
);

const hmacBlockBytes = 64;

/** HMAC-SHA256 (RFC 2104) over the Sha256 port. */
export function hmacSha256(sha256: Sha256, key: Uint8Array, message: Uint8Array): Uint8Array {
  const k = key.length > hmacBlockBytes ? sha256(key) : key;
  const inner = new Uint8Array(hmacBlockBytes + message.length);
  const outer = new Uint8Array(hmacBlockBytes + 32);
  for (let i = 0; i < hmacBlockBytes; i++) {
    inner[i] = (k[i] ?? 0) ^ 0x36;
    outer[i] = (k[i] ?? 0) ^ 0x5c;
  }
  inner.set(message, hmacBlockBytes);
  const innerHash = sha256(inner);
  assert(innerHash.length === 32, "sha256 port must return 32 bytes");
  outer.set(innerHash, hmacBlockBytes);
  return sha256(outer);
}

const deviceLevelLabel = new Uint8Array(
  [...("mirrorcell/mst-level/v1" as string)].map((c) => c.charCodeAt(0)),
);

/** The live device's level key: HMAC-SHA256(enrolled device key, "mirrorcell/mst-level/v1"), first 16 bytes. */
export function levelKeyFromDeviceKey(deviceKey: Uint8Array, sha256: Sha256): LevelKey {
  assert(deviceKey.length >= 16, "a device key has at least 16 bytes");
  return LevelKey.fromSecret(hmacSha256(sha256, deviceKey, deviceLevelLabel).subarray(0, levelSecretBytes));
}
