// Sync uplink cost and mirror creation cost (issue 4 "Numbers"; paper §3.3,
// §5.1: 0.5 user events/s, t_syn_int = 60 s). Runs the real stack (phone
// platform + SyncClient → SyncServer replay, digests checked) on the seeded
// workload, and compares the uplink bytes with replicating changed files
// (rsync --no-whole-file between a phone tree and its copy, every 60 s).
// Run: node --import tsx bench/sync-codec.ts   (PHONES=N HOURS=H to change)
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { MemoryMirrorStore, MirrorServer, platformFactory } from "../src/mirror/index.ts";
import { nodeSha256 } from "../src/node/index.ts";
import { factoryTemplate, publicLevelKey, Storage, type UserInput } from "../src/platform/index.ts";
import { decodeBatch } from "../src/sync/index.ts";
import { SyncRig } from "../test/support/sync-rig.ts";

const phones = Number(process.env.PHONES ?? 6);
const hours = Number(process.env.HOURS ?? 1);
const horizonMs = hours * 3_600_000;

interface Tally {
  events: UserInput[];
  batches: number;
  frameBytes: number;
  cameraBytes: number;
  packedBytes: number;
}

function runPhone(
  seed: number,
  options: ConstructorParameters<typeof SyncRig>[1],
  onMinute?: (rig: SyncRig) => void,
) {
  const rig = new SyncRig(seed, { syncIntervalMs: 60_000, ...options });
  const tally: Tally = { events: [], batches: 0, frameBytes: 0, cameraBytes: 0, packedBytes: 0 };
  rig.tapBatches((message, wire) => {
    const batch = decodeBatch(message);
    if (!batch.ok) return;
    tally.batches++;
    tally.frameBytes += wire.bytes.length;
    tally.packedBytes += message.eventsPacked.length;
    tally.events.push(...batch.value.inputs);
    for (const input of batch.value.inputs)
      for (const r of input.nondet) if (r.kind === "camera") tally.cameraBytes += r.value.length;
  });
  rig.addPhone("phone-000001");
  for (let minute = 1; minute <= horizonMs / 60_000; minute++) {
    rig.runWorkload("phone-000001", minute * 60_000);
    onMinute?.(rig);
  }
  rig.settle("phone-000001");
  if (!rig.mirrorDigestEquals("phone-000001")) throw new Error(`mirror diverged, seed=${seed}`);
  return { rig, tally };
}

function entropyBits(counts: Map<string, number>): number {
  let total = 0;
  for (const c of counts.values()) total += c;
  let bits = 0;
  for (const c of counts.values()) bits -= c * Math.log2(c / total);
  return bits;
}

/** Order-0 entropy of the workload's event fields, per event, in bytes (the floor we report). */
interface FloorParts {
  timeBits: number;
  typeBits: number;
  bodyBits: number;
  nondetBits: number;
}

function entropyFloor(events: readonly UserInput[]): { bytes: number; parts: FloorParts } {
  const symbol = new Map<string, number>();
  const body = new Map<string, number>();
  let tapBits = 0;
  let rawNondetBits = 0;
  const add = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const e of events) {
    add(symbol, `${e.app}/${e.body.kind}${e.body.kind === "action" ? `/${e.body.name}` : ""}`);
    if (e.body.kind === "tap")
      tapBits += Math.log2(1080 * 1700); // workload: x uniform in 0..1079, y in 100..1799
    else if (e.body.kind === "key") add(body, `k${e.body.code}`);
    else add(body, `a${e.body.args.join("\u0000")}`);
    for (const r of e.nondet) if (r.kind !== "clock") rawNondetBits += 8 * r.value.length;
  }
  // Inter-arrival times are exponential with mean 2000 ms at 1 ms resolution: H = log2(e * 2000).
  const timeBits = Math.log2(Math.E * 2000) * events.length;
  const parts: FloorParts = {
    timeBits: timeBits / events.length,
    typeBits: entropyBits(symbol) / events.length,
    bodyBits: (entropyBits(body) + tapBits) / events.length,
    nondetBits: rawNondetBits / events.length,
  };
  return { bytes: (parts.timeBits + parts.typeBits + parts.bodyBits + parts.nondetBits) / 8, parts };
}

function writeTree(root: string, storage: Storage, paths: Iterable<string>): void {
  for (const path of paths) {
    const target = join(root, path);
    const stat = storage.stat(path);
    if (!stat.ok) {
      rmSync(target, { recursive: true, force: true });
    } else if (stat.value.kind === "dir") {
      mkdirSync(target, { recursive: true });
    } else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(
        target,
        storage.readFile(path).ok ? (storage.readFile(path) as { value: Uint8Array }).value : "",
      );
    }
  }
}

function rsyncBytes(from: string, to: string): number {
  const run = spawnSync("rsync", ["-a", "--no-whole-file", "--delete", "--stats", `${from}/`, `${to}/`], {
    encoding: "utf8",
  });
  const match = /Total bytes sent: ([\d,]+)/.exec(run.stdout);
  if (run.status !== 0 || !match) throw new Error(`rsync failed: ${run.stderr}`);
  return Number(match[1]!.replaceAll(",", ""));
}

function replicationRun(seed: number, options: ConstructorParameters<typeof SyncRig>[1]) {
  const hasRsync = spawnSync("rsync", ["--version"]).status === 0;
  const dir = mkdtempSync(join(tmpdir(), "mirrorcell-rsync-"));
  const phoneDir = join(dir, "phone");
  const copyDir = join(dir, "copy");
  let previous: Storage | undefined;
  let rsyncSent = 0;
  let changedBytes = 0;
  const result = runPhone(seed, options, (rig) => {
    const storage = rig.phone("phone-000001").platform.storage;
    const now = Storage.fromSnapshot(storage.snapshot(), nodeSha256);
    if (previous === undefined) {
      writeTree(
        phoneDir,
        now,
        [...now.walk()].map((f) => f.path),
      );
      if (hasRsync) rsyncBytes(phoneDir, copyDir); // the initial copy is not charged
    } else {
      const changes = previous.diff(now);
      writeTree(
        phoneDir,
        now,
        changes.map((c) => c.path),
      );
      for (const c of changes) {
        const stat = now.stat(c.path);
        if (stat.ok && stat.value.kind === "file") changedBytes += stat.value.size;
      }
      if (hasRsync) rsyncSent += rsyncBytes(phoneDir, copyDir);
    }
    previous = Storage.fromSnapshot(storage.snapshot(), nodeSha256);
  });
  rmSync(dir, { recursive: true, force: true });
  return { ...result, rsyncSent: hasRsync ? rsyncSent : undefined, changedBytes };
}

function report(label: string, tallies: Tally[]) {
  const events = tallies.flatMap((t) => t.events);
  const sum = (f: (t: Tally) => number) => tallies.reduce((s, t) => s + f(t), 0);
  const frameBytes = sum((t) => t.frameBytes);
  const camera = sum((t) => t.cameraBytes);
  const batches = sum((t) => t.batches);
  const floor = entropyFloor(events);
  const perEvent = (frameBytes - camera) / events.length;
  console.log(
    `sync.${label}.userEvents: ${events.length} events in ${batches} batches (${phones} phones x ${hours} h)`,
  );
  console.log(
    `sync.${label}.uplinkBytesPerUserEvent: ${perEvent.toFixed(2)} B/event excluding camera photos (target <= 6)`,
  );
  console.log(
    `sync.${label}.uplinkBytesPerUserEventWithPhotos: ${(frameBytes / events.length).toFixed(2)} B/event (camera photo bytes ${camera})`,
  );
  console.log(
    `sync.${label}.overheadBytesPerBatch: ${((frameBytes - sum((t) => t.packedBytes)) / batches).toFixed(1)} B/batch (frame fields + 32 B digest)`,
  );
  const floorNoPhoto =
    floor.bytes -
    floor.parts.nondetBits / 8 +
    (floor.parts.nondetBits / 8 - (camera * 8) / events.length / 8);
  console.log(
    `entropy.${label}.floorBytesPerEvent: ${floorNoPhoto.toFixed(2)} B/event order-0, excluding photos ` +
      `(time ${floor.parts.timeBits.toFixed(1)} + type ${floor.parts.typeBits.toFixed(1)} + body ${floor.parts.bodyBits.toFixed(1)} bits + raw nondet) ` +
      `(ratio ${(perEvent / floorNoPhoto).toFixed(2)}x; with the digest amortized: ${(floorNoPhoto + (32 * batches) / events.length).toFixed(2)} B/event)`,
  );
}

function heapNow(gc: () => void): number {
  for (let i = 0; i < 3; i++) gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.arrayBuffers;
}

function mirrorCreation() {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as () => void;
  const count = 20_000;
  const copiesCount = 50;
  const model = "mc-phone-1";
  const template = factoryTemplate(model, nodeSha256);
  const templateView = Storage.fromSnapshot(template.storage, nodeSha256);
  const templateFiles = templateView.manifest();
  const mirrors = new MirrorServer({
    store: new MemoryMirrorStore(),
    // every mirror under the template's own key: the figure is the template share, not a rekey
    platforms: platformFactory(nodeSha256, { levelKeyOf: () => publicLevelKey }),
    sha256: nodeSha256,
  });
  mirrors.register("warm-up", model);
  gc();
  let heap = heapNow(gc);
  let start = process.hrtime.bigint();
  for (let i = 0; i < count; i++) {
    const registered = mirrors.register(`phone-${String(i).padStart(6, "0")}`, model);
    if (!registered.ok) throw new Error(registered.error.message);
  }
  const createMs = Number(process.hrtime.bigint() - start) / 1e6 / count;
  gc();
  const createBytes = (heapNow(gc) - heap) / count;
  // Baseline in the same run: a mirror as a full copy of the template's files (a VM image copy).
  const copies: Storage[] = [];
  gc();
  heap = heapNow(gc);
  start = process.hrtime.bigint();
  for (let i = 0; i < copiesCount; i++) {
    const copy = Storage.fromManifest(templateFiles, (sha) => templateView.blob(sha), {
      sha256: nodeSha256,
      levels: publicLevelKey,
    });
    if (!copy.ok) throw new Error(copy.error.message);
    copies.push(copy.value);
  }
  const copyMs = Number(process.hrtime.bigint() - start) / 1e6 / copiesCount;
  gc();
  const copyBytes = (heapNow(gc) - heap) / copies.length;
  console.log(
    `mirror.createFromTemplate: ${createMs.toFixed(4)} ms/mirror (ratio ${(createMs / copyMs).toFixed(4)} vs full copy ${copyMs.toFixed(2)} ms; target <= 1 ms)`,
  );
  console.log(
    `mirror.idleMirrorBytes: ${Math.round(createBytes)} B/mirror (ratio ${(createBytes / copyBytes).toFixed(4)} vs full copy ${Math.round(copyBytes)} B; target <= 50 KB; ${mirrors.runningCount} mirrors held)`,
  );
}

const started = Date.now();
mirrorCreation();
const replicationPhones = Number(process.env.RSYNC_PHONES ?? 2);
for (const [label, options] of [
  ["paper", { sizeScale: 1, cameraBytes: 1_500_000 }],
  ["noCamera", { sizeScale: 1, appWeights: { camera: 0 } }],
] as const) {
  const tallies: Tally[] = [];
  let rsyncSent: number | undefined = 0;
  let changedBytes = 0;
  let syncBytes = 0;
  for (let i = 0; i < phones; i++) {
    const seed = (label === "paper" ? 1000 : 2000) + i;
    if (i < replicationPhones) {
      const run = replicationRun(seed, options);
      tallies.push(run.tally);
      rsyncSent =
        run.rsyncSent === undefined || rsyncSent === undefined ? undefined : rsyncSent + run.rsyncSent;
      changedBytes += run.changedBytes;
      syncBytes += run.tally.frameBytes;
    } else {
      tallies.push(runPhone(seed, options).tally);
    }
  }
  report(label, tallies);
  console.log(
    `replication.${label}.changedFileBytes: ${changedBytes} B vs sync ${syncBytes} B (ratio ${(changedBytes / syncBytes).toFixed(1)}x more for replicating changed files; ${replicationPhones} phones)`,
  );
  if (rsyncSent === undefined) {
    console.log(
      `replication.${label}.rsyncBytesSent: skipped (rsync not installed; apt-get install -y rsync)`,
    );
  } else {
    console.log(
      `replication.${label}.rsyncBytesSent: ${rsyncSent} B vs sync ${syncBytes} B (ratio ${(rsyncSent / syncBytes).toFixed(1)}x more for rsync --no-whole-file every 60 s; target >= 50x)`,
    );
  }
}
console.log(`bench.wallSeconds: ${((Date.now() - started) / 1000).toFixed(1)} s`);
