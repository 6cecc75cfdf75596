// Keyed directory levels (src/platform/key-level.ts): what the keyed PRF
// costs and what it buys. Three parts, one line per figure, CPU time of this
// process, median of ROUNDS interleaved rounds:
// 1. cost of one level: the old unkeyedLevel FNV (baseline), SipHash-2-4 (chosen),
//    SHA-256 through the Sha256 port over secret ‖ UTF-8 name (the alternative);
// 2. a directory of 20k names, then new names written one by one with the
//    digest after every write (worst case: the Syn-Client asks once per
//    batch): random names vs names ground offline to level 0 under the old
//    function, each under the old function and under a device key. Keys
//    copied per write are exact counts;
// 3. mirror creation from a model's template (issue 4: ≤ 1 ms and ≤ 50 KB per
//    idle mirror): shared template trees (the public key, as before) vs trees
//    rebuilt under each device's key, with and without the first digest.
//   node --import tsx bench/keyed-levels.ts   (ROUNDS=5 MIRRORS=5000 PARTS=level,flood,mirror)
import v8 from "node:v8";
import vm from "node:vm";
import { MemoryMirrorStore, MirrorServer, platformFactory } from "../src/mirror/index.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { LevelKey, Platform, publicLevelKey, Storage } from "../src/platform/index.ts";
import type { KeyLevel } from "../src/platform/merkle-search-tree.ts";
import { unkeyedLevel } from "../test/support/unkeyed-level.ts";
import { median } from "./support/median.ts";

const rounds = Number(process.env.ROUNDS ?? 5);
const mirrorsCount = Number(process.env.MIRRORS ?? 5_000);
const dirNames = 20_000;
const writes = 200;
const deviceKey = LevelKey.fromSecret(new Uint8Array(16).fill(0xa5));

function cpuUs(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

/** Median CPU µs per unit of each variant, rounds interleaved so heap and JIT state favour none. */
function measure(units: number, variants: readonly (() => void)[]): number[] {
  const samples: number[][] = variants.map(() => []);
  for (let r = 0; r < rounds; r++) {
    variants.forEach((body, i) => {
      const started = cpuUs();
      body();
      samples[i]!.push((cpuUs() - started) / units);
    });
  }
  return samples.map(median);
}

const ratio = (value: number, base: number) => `(ratio ${(value / base).toFixed(2)}x)`;

function levelCost(): void {
  const names = Array.from({ length: 100_000 }, (_, i) => `IMG_2026${String(i).padStart(6, "0")}.jpg`);
  const encoder = new TextEncoder();
  const secret = new Uint8Array(16).fill(3);
  let sink = 0;
  const [fnv, sip, sha] = measure(names.length, [
    () => {
      for (const name of names) sink += unkeyedLevel.level(name);
    },
    () => {
      for (const name of names) sink += deviceKey.level(name);
    },
    () => {
      for (const name of names) {
        const utf8 = encoder.encode(name);
        const input = new Uint8Array(secret.length + utf8.length);
        input.set(secret);
        input.set(utf8, secret.length);
        sink += Math.clz32(new DataView(nodeSha256(input).buffer).getUint32(0)) >>> 2;
      }
    },
  ]);
  console.log(`level.unkeyedFnv: ${(fnv! * 1000).toFixed(0)} ns/name (baseline)`);
  console.log(`level.sipHash24: ${(sip! * 1000).toFixed(0)} ns/name ${ratio(sip!, fnv!)}`);
  console.log(
    `level.sha256Port: ${(sha! * 1000).toFixed(0)} ns/name ${ratio(sha!, fnv!)} (sink ${sink % 10})`,
  );
}

function groundNames(count: number): string[] {
  const names: string[] = [];
  for (let i = 0; names.length < count; i++) {
    const name = `IMG-attach-${i}.jpg`;
    if (unkeyedLevel.level(name) === 0) names.push(name);
  }
  return names;
}

/** CPU µs and keys copied per write of `added` into a directory of `existing` names, digest after each. */
function writeCost(existing: readonly string[], added: readonly string[], levels: KeyLevel) {
  const content = new Uint8Array(64);
  const built = Storage.fromFiles(
    existing.map((name) => [`/data/mms/${name}`, content] as const),
    { sha256: nodeSha256, levels },
  );
  if (!built.ok) throw new Error(built.error.message);
  const base = built.value.snapshot();
  built.value.digest();
  return () => {
    const storage = Storage.fromSnapshot(base, nodeSha256);
    for (const name of added) {
      storage.writeFile(`/data/mms/${name}`, content);
      storage.digest();
    }
  };
}

function floodCost(): void {
  const ground = groundNames(dirNames + writes);
  const attack = ground.slice(0, dirNames);
  const attackMore = ground.slice(dirNames);
  const random = Array.from({ length: dirNames }, (_, i) => `IMG_${(i * 2654435761) >>> 0}.jpg`);
  const randomMore = Array.from({ length: writes }, (_, i) => `IMG_new_${i}.jpg`);
  const [keyedRandom, keyedAttack, unkeyedRandom, unkeyedAttack] = measure(writes, [
    writeCost(random, randomMore, deviceKey),
    writeCost(attack, attackMore, deviceKey),
    writeCost(random, randomMore, unkeyedLevel),
    writeCost(attack, attackMore, unkeyedLevel),
  ]);
  const base = keyedRandom!;
  console.log(`write20k.keyed.randomNames: ${base.toFixed(1)} us/write (baseline; digest after every write)`);
  console.log(`write20k.keyed.groundNames: ${keyedAttack!.toFixed(1)} us/write ${ratio(keyedAttack!, base)}`);
  console.log(
    `write20k.unkeyedLevel.randomNames: ${unkeyedRandom!.toFixed(1)} us/write ${ratio(unkeyedRandom!, base)}`,
  );
  console.log(
    `write20k.unkeyedLevel.groundNames: ${unkeyedAttack!.toFixed(1)} us/write ${ratio(unkeyedAttack!, base)}`,
  );
}

function heapNow(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

/** ms and heap bytes per mirror registered from the template (plus its first digest when asked). */
function mirrorCost(
  keyed: boolean,
  withDigest: boolean,
  gc: () => void,
  count: number,
  phonesFirst = false,
): { ms: number; bytes: number } {
  const keys = new Map<string, LevelKey>();
  const mirrors = new MirrorServer({
    store: new MemoryMirrorStore(),
    platforms: platformFactory(nodeSha256, {
      levelKeyOf: keyed ? (id) => keys.get(id) : () => publicLevelKey,
    }),
    sha256: nodeSha256,
  });
  const ids = Array.from({ length: count }, (_, i) => `phone-${String(i).padStart(6, "0")}`);
  for (const [i, id] of ids.entries()) {
    const secret = new Uint8Array(16);
    new DataView(secret.buffer).setUint32(0, i + 1);
    keys.set(id, keyed ? LevelKey.fromSecret(secret) : publicLevelKey);
  }
  keys.set("warm-up", deviceKey);
  mirrors.register("warm-up", "mc-phone-1");
  // the simulator's case: the phone (same process, same key object) was made first
  const phones = phonesFirst
    ? ids.map((id) =>
        Platform.create({
          mode: "mirror",
          deviceId: id,
          model: "mc-phone-1",
          sha256: nodeSha256,
          levelKey: keys.get(id)!,
        }),
      )
    : [];
  const heap = heapNow(gc);
  const started = cpuUs();
  for (const id of ids) {
    const registered = mirrors.register(id, "mc-phone-1");
    if (!registered.ok) throw new Error(registered.error.message);
    if (withDigest) mirrors.running(id)?.digest();
  }
  const ms = (cpuUs() - started) / 1000 / count;
  const bytes = (heapNow(gc) - heap) / count;
  if (mirrors.runningCount < count || phones.length > count) throw new Error("mirrors were not held");
  return { ms, bytes };
}

function mirrorCreation(): void {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const variants = [
    ["shared.publicKey", false, false],
    ["shared.publicKey.withDigest", false, true],
    ["keyed.rebuilt", true, false],
    ["keyed.rebuilt.withDigest", true, true],
    ["keyed.afterItsPhoneInProcess.withDigest", true, true],
  ] as const;
  // one warm-up pass of every variant, so code and the template are warm and earlier garbage gone
  for (const [i, [, keyed, withDigest]] of variants.entries())
    mirrorCost(keyed, withDigest, gc, 200, i === 4);
  const results = variants.map(([, keyed, withDigest], i) =>
    mirrorCost(keyed, withDigest, gc, mirrorsCount, i === 4),
  );
  const base = results[0]!;
  variants.forEach(([label], i) => {
    const r = results[i]!;
    console.log(
      `mirror.fromTemplate.${label}: ${r.ms.toFixed(4)} ms/mirror ${ratio(r.ms, base.ms)}, ${Math.round(r.bytes)} B/mirror (targets <= 1 ms, <= 50 KB; ${mirrorsCount} mirrors held)`,
    );
  });
}

const parts = (process.env.PARTS ?? "level,flood,mirror").split(",");
if (parts.includes("level")) levelCost();
if (parts.includes("flood")) floodCost();
if (parts.includes("mirror")) mirrorCreation();
