// Platform storage and replay costs (issue 3): the Merkle digest update per
// write for trees of 1k, 100k and 1M files (all in one directory, the worst
// case; should stay flat, growing at most with log of the directory size),
// inputs applied per second on a phone and on a mirror, and the memory a
// mirror cloned from a factory template costs. Timings are CPU time of this
// process (the machines are shared and wall time is noise), compared as
// ratios against the 1k case of the same run; SHA-256 calls and bytes hashed
// per write are exact counts. One line per figure.

import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { SeededRng } from "../src/core/rng.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { drivePhone, ManualClock, replayLog } from "../src/platform/drive.ts";
import { factoryTemplate, Platform, publicLevelKey, Storage, seededNondet } from "../src/platform/index.ts";
import { Workload } from "../src/platform/workload.ts";
import { countingSha256, hashed } from "./counting-sha256.ts";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const writesPerSize = 3_000;

function cpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}
const sizes = (process.env.BENCH_SIZES ?? "1000,100000,1000000").split(",").map(Number);

function contentOf(i: number, round: number): Uint8Array {
  const bytes = new Uint8Array(16);
  new DataView(bytes.buffer).setFloat64(0, i);
  new DataView(bytes.buffer).setFloat64(8, round);
  return bytes;
}

function buildFlat(files: number): Storage {
  const entries: [string, Uint8Array][] = [];
  for (let i = 0; i < files; i++) entries.push([`/data/flat/f${i}`, contentOf(i, 0)]);
  const built = Storage.fromFiles(entries, { sha256: countingSha256, levels: publicLevelKey });
  if (!built.ok) throw built.error;
  built.value.digest();
  return built.value;
}

/** CPU microseconds, SHA-256 calls and bytes hashed per (write of one existing file + digest). */
function writeDigestCost(
  storage: Storage,
  files: number,
  seed: number,
): { us: number; calls: number; bytes: number } {
  const rng = new SeededRng(seed);
  const paths = Array.from({ length: writesPerSize }, () => `/data/flat/f${rng.int(0, files - 1)}`);
  const contents = paths.map((_, i) => contentOf(i, seed + 1));
  const calls = hashed.calls;
  const bytes = hashed.bytes;
  const started = cpuMs();
  for (let i = 0; i < writesPerSize; i++) {
    const written = storage.writeFile(paths[i]!, contents[i]!);
    if (!written.ok) throw written.error;
    storage.digest();
  }
  return {
    us: ((cpuMs() - started) * 1000) / writesPerSize,
    calls: (hashed.calls - calls) / writesPerSize,
    bytes: (hashed.bytes - bytes) / writesPerSize,
  };
}

function digestFigures(): void {
  let baseline = { us: 0, calls: 0, bytes: 0 };
  for (const files of sizes) {
    const builtAt = cpuMs();
    const storage = buildFlat(files);
    const buildS = (cpuMs() - builtAt) / 1000;
    writeDigestCost(storage, files, 1); // warm-up
    const cost = writeDigestCost(storage, files, 2);
    if (files === sizes[0]) baseline = cost;
    const ratio = (v: number, b: number) => `${(v / b).toFixed(2)}x vs ${sizes[0]} files`;
    console.log(
      `digest-update CPU per write, ${files} files in one directory: ${cost.us.toFixed(1)} us (${ratio(cost.us, baseline.us)})`,
    );
    console.log(
      `sha256 calls per write, ${files} files: ${cost.calls.toFixed(2)} calls (${ratio(cost.calls, baseline.calls)})`,
    );
    console.log(
      `bytes hashed per write, ${files} files: ${Math.round(cost.bytes)} bytes (${ratio(cost.bytes, baseline.bytes)})`,
    );
    console.log(`bulk build + first digest CPU, ${files} files: ${buildS.toFixed(2)} s`);
  }
}

function replayFigures(): void {
  const events = 20_000;
  const clock = new ManualClock();
  const rng = new SeededRng(42);
  const phone = Platform.create({
    mode: "phone",
    deviceId: "bench",
    model: "mc-one",
    sha256: nodeSha256,
    levelKey: publicLevelKey,
    nondet: seededNondet({ rng: rng.fork("nondet"), clock, cameraBytes: 15_000 }),
  });
  const stream = new Workload({ rng: rng.fork("workload"), sizeScale: 0.01 }).take(events);
  const phoneAt = cpuMs();
  const { log } = drivePhone(phone, stream, clock);
  const phoneS = (cpuMs() - phoneAt) / 1000;
  const mirror = Platform.create({
    mode: "mirror",
    deviceId: "bench",
    model: "mc-one",
    sha256: nodeSha256,
    levelKey: publicLevelKey,
  });
  const mirrorAt = cpuMs();
  // a digest per 30 inputs: one sync batch at 0.5 events/s and a 60 s period (paper §5.1)
  for (let i = 0; i < log.length; i += 30) {
    const replayed = replayLog(mirror, log.slice(i, i + 30));
    if (!replayed.ok) throw replayed.error;
    mirror.digest();
  }
  const mirrorS = (cpuMs() - mirrorAt) / 1000;
  const phoneRate = log.length / phoneS;
  console.log(
    `inputs applied per CPU second, phone (workload at size scale 0.01): ${Math.round(phoneRate)} inputs/s`,
  );
  console.log(
    `inputs applied per CPU second, mirror replay with a digest per 30-input batch: ${Math.round(log.length / mirrorS)} inputs/s (${(log.length / mirrorS / phoneRate).toFixed(2)}x vs phone)`,
  );
}

function cloneFigures(): void {
  const template = factoryTemplate("mc-one", nodeSha256);
  const count = 10_000;
  gc();
  const before = process.memoryUsage().heapUsed;
  const mirrors = Array.from({ length: count }, (_, i) =>
    Platform.create({
      mode: "mirror",
      deviceId: `m${i}`,
      model: "mc-one",
      sha256: nodeSha256,
      from: template,
    }),
  );
  gc();
  const perMirror = (process.memoryUsage().heapUsed - before) / mirrors.length;
  console.log(
    `heap per mirror cloned from a template (${count} mirrors, template ${template.storage.fileCount} files / ${template.storage.bytesTotal} bytes): ${Math.round(perMirror)} bytes`,
  );
}

digestFigures();
replayFigures();
cloneFigures();
