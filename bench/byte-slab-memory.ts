// What byte slabs (src/core/byte-slab.ts) cost a long-running live server:
// mirrors replaying hours of their phones' inputs, in one process, sampling
// the process's memory and, exactly, the slab bytes the mirrors' storages pin
// (a kept view pins its whole 16 KiB slab) against the bytes those views hold.
// Run it in two trees, as they are and with slab views turned into plain
// copies, and compare the lines (they are deterministic but for RSS/heap).
//
// The phones run here too, but apart: each round they first drive a whole
// hour of their workloads (their slab views fill slabs of their own), then
// the mirrors replay it window by window, round robin across devices as a
// server interleaves them. A network payload reaches the mirror as a fresh
// copy, as the server's decoded frame does (storage copies a frame's
// subarray). No shared-content table: a live server has none.
//
//   node --expose-gc --import tsx bench/byte-slab-memory.ts [--mirrors 50]
//     [--hours 6] [--events-per-sec 0.5] [--size-scale 0.01] [--seed 1]
import { parseArgs } from "node:util";
import { isSlabView, setSlabViews, slabUtf8 } from "../src/core/byte-slab.ts";
import { limits } from "../src/core/limits.ts";
import { SeededRng } from "../src/core/rng.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { type BlobIndex, blobEntries } from "../src/platform/blob-index.ts";
import { drivePhone, ManualClock, type RecordedInput } from "../src/platform/drive.ts";
import { publicLevelKey } from "../src/platform/key-level.ts";
import { seededNondet } from "../src/platform/nondet.ts";
import { Platform } from "../src/platform/platform.ts";
import { Workload, type WorkloadEvent } from "../src/platform/workload.ts";

const { values } = parseArgs({
  options: {
    mirrors: { type: "string", default: "50" },
    hours: { type: "string", default: "6" },
    "events-per-sec": { type: "string", default: "0.5" },
    "size-scale": { type: "string", default: "0.01" },
    "window-s": { type: "string", default: "60" },
    seed: { type: "string", default: "1" },
    /** App weights, e.g. "system=60,messaging=40" (the others 0): a workload that overwrites more. */
    apps: { type: "string" },
    /**
     * "churn": no workload; each mirror's storage takes a stream of 64-byte
     * slab writes to one path (each replaces the last, which dies) and keeps
     * every 256th at a path of its own: one survivor per slab, the worst case.
     */
    pattern: { type: "string", default: "workload" },
    /** "off": setSlabViews(false), as the live server runs. */
    views: { type: "string", default: "on" },
  },
});
const mirrorsCount = Number(values.mirrors);
const hours = Number(values.hours);
const eventsPerSecond = Number(values["events-per-sec"]);
const sizeScale = Number(values["size-scale"]);
const windowMs = Number(values["window-s"]) * 1000;
const hourMs = 3_600_000;
const allApps = [
  "messaging",
  "browser",
  "system",
  "email",
  "camera",
  "files",
  "mms",
  "cache",
  "installer",
  "antivirus-hook",
];
const appWeights =
  values.apps === undefined
    ? undefined
    : Object.fromEntries(
        allApps.map((app) => {
          const given = values.apps!.split(",").find((w) => w.startsWith(`${app}=`));
          return [app, given === undefined ? 0 : Number(given.slice(app.length + 1))];
        }),
      );

interface Device {
  phone: Platform;
  mirror: Platform;
  clock: ManualClock;
  workload: Workload;
  /** The workload's next event, drawn but not yet driven (it belongs to a later hour). */
  ahead: WorkloadEvent | undefined;
  nextSeq: number;
}

function device(i: number): Device {
  const rng = new SeededRng(Number(values.seed) * 1_000_003 + i);
  const clock = new ManualClock();
  const deviceId = `slab-${i}`;
  const common = { deviceId, model: "mc-one", sha256: nodeSha256, levelKey: publicLevelKey };
  const nondet = seededNondet({
    rng: rng.fork("nondet"),
    clock,
    cameraBytes: Math.max(16, Math.round(1_500_000 * sizeScale)),
  });
  return {
    phone: Platform.create({ mode: "phone", ...common, nondet }),
    mirror: Platform.create({ mode: "mirror", ...common }),
    clock,
    workload: new Workload({ rng: rng.fork("workload"), eventsPerSecond, sizeScale, appWeights }),
    ahead: undefined,
    nextSeq: 1,
  };
}

/** The phone's inputs up to endMs, as the server would get them (payloads in buffers of their own). */
function phoneHour(d: Device, endMs: number): RecordedInput[] {
  const events: WorkloadEvent[] = [];
  for (;;) {
    const event = d.ahead ?? d.workload.next();
    d.ahead = undefined;
    if (event.atMs > endMs) {
      d.ahead = event;
      break;
    }
    events.push(event);
  }
  const drive = drivePhone(d.phone, events, d.clock, d.nextSeq);
  const log = drive.log.map((entry): RecordedInput => {
    if (entry.kind === "user") return entry;
    return { kind: "network", input: { ...entry.input, payload: entry.input.payload.slice() } };
  });
  for (const entry of log) if (entry.kind === "user") d.nextSeq = entry.input.seq + 1;
  return log;
}

function replayWindows(devices: Device[], logs: RecordedInput[][], startMs: number, endMs: number): void {
  const at = logs.map(() => 0);
  const replay = (i: number, beforeMs: number) => {
    const log = logs[i]!;
    const mirror = devices[i]!.mirror;
    while (at[i]! < log.length && log[at[i]!]!.input.timeMs < beforeMs) {
      const entry = log[at[i]!++]!;
      const applied =
        entry.kind === "user" ? mirror.applyUser(entry.input) : mirror.applyNetwork(entry.input);
      if (!applied.ok) throw new Error(`replay ${i}: ${applied.error.code} ${applied.error.message}`);
    }
  };
  for (let windowEndMs = startMs + windowMs; windowEndMs < endMs; windowEndMs += windowMs) {
    for (let i = 0; i < devices.length; i++) replay(i, windowEndMs);
  }
  // the hour's last window, and inputs stamped at its very end
  for (let i = 0; i < devices.length; i++) replay(i, Number.POSITIVE_INFINITY);
}

/** The kept bytes of the mirrors' storages: slab views, the slabs they pin, plain arrays. */
function keptBytes(devices: Device[]) {
  const slabs = new Set<ArrayBufferLike>();
  // Mirrors cloned from one factory template share its files: count each array once.
  const seen = new Set<Uint8Array>();
  let viewBytes = 0;
  let views = 0;
  let plainBytes = 0;
  let smallPlainBytes = 0;
  for (const d of devices) {
    // The storage's blob index is private; a bench may look (read only).
    const index = (d.mirror.storage as unknown as { blobs: BlobIndex }).blobs;
    for (const leaf of blobEntries(index)) {
      const bytes = leaf.bytes;
      if (seen.has(bytes)) continue;
      seen.add(bytes);
      if (isSlabView(bytes)) {
        slabs.add(bytes.buffer);
        viewBytes += bytes.length;
        views++;
      } else {
        plainBytes += bytes.length;
        if (bytes.length <= limits.byteSlabViewBytesMax) smallPlainBytes += bytes.length;
      }
    }
  }
  return {
    views,
    viewBytes,
    slabBytesPinned: slabs.size * limits.byteSlabBytes,
    plainBytes,
    smallPlainBytes,
  };
}

function sample(hour: number, devices: Device[], cpuStart: NodeJS.CpuUsage): void {
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  const k = keptBytes(devices);
  const files = devices.reduce((sum, d) => sum + d.mirror.storage.fileCount, 0);
  const cpu = process.cpuUsage(cpuStart);
  const mb = (n: number) => (n / 1048576).toFixed(1);
  console.log(
    `hour ${hour}: rss ${mb(m.rss)} MB, heapUsed ${mb(m.heapUsed)} MB, external ${mb(m.external)} MB, ` +
      `arrayBuffers ${mb(m.arrayBuffers)} MB; mirrors: ${files} files, ${k.views} slab views ` +
      `${mb(k.viewBytes)} MB pinning ${mb(k.slabBytesPinned)} MB of slabs ` +
      `(x${k.viewBytes === 0 ? "-" : (k.slabBytesPinned / k.viewBytes).toFixed(1)}), ` +
      `plain arrays ${mb(k.plainBytes)} MB (<= 1 KiB: ${mb(k.smallPlainBytes)} MB); ` +
      `cpu ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s`,
  );
}

/** One simulated hour of the churn pattern: eventsPerSecond writes per mirror, 1 in 256 kept. */
function churnHour(devices: Device[], hour: number): void {
  const writes = Math.round(eventsPerSecond * 3600);
  const keepEvery = 256;
  for (let w = 0; w < writes; w++) {
    for (let i = 0; i < devices.length; i++) {
      const d = devices[i]!;
      // mirrors keep in turn, not together: survivors spread over the slabs
      const n = (hour - 1) * writes + w + Math.floor((i * keepEvery) / devices.length);
      const text = `draft ${n.toString().padStart(12, "0")} ${"x".repeat(44)}`;
      const path = n % keepEvery === 0 ? `/data/notes/${n}.txt` : "/data/notes/draft.txt";
      const written = d.mirror.storage.writeFileNoCopy(path, slabUtf8(text));
      if (!written.ok) throw new Error(`churn: ${written.error.message}`);
    }
  }
}

setSlabViews(values.views !== "off");
const devices = Array.from({ length: mirrorsCount }, (_, i) => device(i));
const cpuStart = process.cpuUsage();
console.log(
  `byte-slab-memory: ${mirrorsCount} mirrors, ${hours} h, ${eventsPerSecond} events/s, size scale ${sizeScale}, ` +
    `pattern ${values.pattern}, slab views ${values.views}, window ${windowMs / 1000} s, apps ${values.apps ?? "default weights"}, slabs ${limits.byteSlabBytes} B, views <= ${limits.byteSlabViewBytesMax} B`,
);
sample(0, devices, cpuStart);
for (let hour = 1; hour <= hours; hour++) {
  if (values.pattern === "churn") churnHour(devices, hour);
  else {
    const logs = devices.map((d) => phoneHour(d, hour * hourMs));
    replayWindows(devices, logs, (hour - 1) * hourMs, hour * hourMs);
  }
  sample(hour, devices, cpuStart);
}
