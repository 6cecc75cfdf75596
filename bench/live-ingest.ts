// Live ingest bench (issue 5): durable events/s of the mirror server for 1,
// 100 and 1000 connected phones, side by side with a raw better-sqlite3 append
// of the same rows in the same run; replay lag p50/p99 for paced phones; and
// memory per connected idle phone. The server runs as a child process (one
// core), the phones' clients in this process (the other core).
// Two figures per fleet size, because intake and replay share the server's
// thread: "intake" streams batches whose windows lie a day ahead of the server
// clock, so nothing is due for replay during the run (durable intake alone,
// what the raw append is compared with); "intake+replay" streams batches that
// are all due at once and counts the server's CPU until every input has been
// replayed (the whole cost of an event). A phone keeps what the real
// SyncClient keeps in flight (every unacked batch, up to
// limits.unackedBatchesMax), each burst as FrameBundles in one corked write as the real
// phone's PhoneRuntime.sendAll: a backlog phone reconnecting. Each phone first
// sends a warm-up part of the stream, acked before the clock starts, and in
// the intake run fresh warm-up devices stream first until the server has
// taken --warm-frames frames (default 20,000), so the server's JIT has
// compiled its hot path (--no-warm-up measures a cold server, as before).
// A 1-phone window streams several devices one after another (--batches each).
// Live and raw alternate (session 9): the intake run's measured part is cut into --windows
// consecutive windows (default 4: groups of device sets at one phone, slices of every device's
// stream at 100 and 1000); after each live window (every frame acked, the server idle) the raw
// append of that window's rows runs at the rows per commit the server achieved in it, in a child
// process of its own like the server (RawChild in live-ingest/raw-append.ts). live/raw is the server's CPU over all windows
// against the raw's for the same rows (each window's ratio and their median are printed too):
// a drift in the machine's load reaches both sides, where before the whole live run was followed
// by the whole raw run (in this process, whose first raw windows after live ones cost 1.5-2.5x its
// later ones: that favoured live). The raw rows are the server's in the order they reach it.
//   node --import tsx bench/live-ingest.ts [--quick] [--phones 1,100] [--modes full,normal] [--windows N]
//     [--no-replay] [--no-lag] [--no-warm-up] [--rounds N] [--batches N] [--warm-batches N] [--warm-frames N]
//     [--streams N]
// --streams N: N recorded streams (seeds 9, 10, ...), device i sends stream i mod N, the raw stores the
// same rows. Default 16: with one, every device sends the same bytes, so at 1000 phones a window (a
// slice of every device's stream) is 1000 copies of one slice: 143 / 2,539 / 5,555 / 1,942 SyncBatch
// bytes per row, and the raw's cost follows the bytes far more than the server's (docs/benchmarks.md
// "Live intake (session 10)"); 16 streams make the four windows 1,933 / 2,085 / 2,238 / 2,347 B,
// as a fleet of different phones would (2,082 / 2,242 / 2,340 / 2,120 B since session 11's longer
// warm-up at 1000 phones: intakeWarmBatches). --streams 1 is the session-9 bench.
// --rounds N: N rounds of fresh phones stream to one server in the intake run, each printed; the
// headline and the raw comparison use the last (steady state shows as rounds that agree).
// --batches / --warm-batches replace the intake stream's lengths (rounds multiply the queued
// backlog: keep it under limits.replayBacklogBytesMax; a stream's first 20 batches are ~7.6 kB,
// the rest ~2.6 kB: 1000 phones x 2 rounds fit with --batches 24).
// Profile the server: MIRRORCELL_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" (node flags for the server child).
// CPU-true profile of the measured window: MIRRORCELL_SERVER_NODE_FLAGS="--perf-basic-prof",
// `perf record -k CLOCK_MONOTONIC -g -p <server pid>` and MIRRORCELL_BENCH_WINDOW_FILE=FILE: the bench appends
// one line per measured window to FILE, "<intake|raw-N> <pid> <start>,<end>" (`perf script --time <start>,<end>`;
// raw-N lines carry the raw child's pid, which gets the same node flags).
// A/B of the server's V8 tuning (src/live/v8-tuning.ts): MIRRORCELL_V8_DEFAULTS=1 (inherited by the server child).
import type { Socket } from "node:net";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import WebSocket from "ws";
import { limits } from "../src/core/limits.ts";
import { type Frame, FrameSchema } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof, newDeviceKey } from "../src/live/auth.ts";
import { enrollDevices, startPhones, tempDataDir, testAdminToken } from "../src/live/live-harness.ts";
import { LivePhoneCore } from "../src/live/phone-core-adapter.ts";
import { freePort, type ServerProcess, spawnServer } from "../src/live/server-process.ts";
import { openDatabase } from "../src/live/sqlite-db.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { levelKeyFromDeviceKey } from "../src/platform/key-level.ts";
import { decodeBatch } from "../src/sync/batch.ts";
import { ackFrame, burstMessages, encodeFrame } from "../src/sync/frame.ts";
import {
  cpuSeconds,
  databaseFileBytes,
  recordWindow,
  rssBytes,
  writtenBytes,
} from "./live-ingest/proc-stats.ts";
import { RawChild, type RawResult } from "./live-ingest/raw-append.ts";
import {
  type Stream,
  streamOf,
  type WarmUp,
  type Window,
  windowEvents,
  windowsFor,
} from "./live-ingest/stream.ts";
import { median } from "./support/median.ts";

const quick = process.argv.includes("--quick");
/** A comma-separated option's values, or undefined when it is not given. */
function listOption(name: string): string[] | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : (process.argv[at + 1] ?? "").split(",").filter((v) => v !== "");
}
const fleetOption = listOption("--phones")?.map(Number);
/** A positive integer option, or undefined when it is not given. */
function countOption(name: string): number | undefined {
  const value = listOption(name)?.[0];
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${name} wants a positive integer, got "${value}"`);
  return n;
}
const roundsOption = countOption("--rounds") ?? 1;
/** Measured windows per intake run, each followed by the raw append of its rows (alternating). */
const windowsOption = countOption("--windows") ?? 4;
const batchesOption = countOption("--batches");
const warmBatchesOption = countOption("--warm-batches");
/** Recorded streams (seeds 9, 10, ...): device i sends stream i mod N (1: every device the same bytes). */
const streamsOption = countOption("--streams") ?? 16;
const modesOption = listOption("--modes");
const withReplay = !process.argv.includes("--no-replay");
const withLag = !process.argv.includes("--no-lag");
const withWarmUp = !process.argv.includes("--no-warm-up");
/**
 * Batches each measured intake window holds at least (passesFor): 12,000 batches are ~0.25 server
 * CPU-s and ~0.1 raw CPU-s (6,000 moved the ratio by ±0.1 between windows). At one phone every
 * 3,000 more batches are another device whose backlog the server keeps (nothing is due for
 * replay): 24,000 per window (32 devices) raised the server's GC and JIT on helper threads from
 * ~3 % (8 devices, session 8) to ~15 % of its CPU (perf).
 */
const windowBatchesMin = quick ? 2_000 : 12_000;
/** Frames the server takes from warm-up devices before the intake run's clock starts (warmUpFor). */
const warmFramesMin = countOption("--warm-frames") ?? (quick ? 2_000 : 20_000);
const eventsPerBatch = 30;
/** Raw baseline's large transactions (more rows per commit gain little beyond this). */
const rawRowsPerCommitBest = 256; // the paper's 0.5 events/s × 60 s
/**
 * Batches a phone keeps in flight: the real SyncClient sends every unacked batch on (re)connect and
 * each new one as it closes, bounded only by the batches it holds unacked (canRecord():
 * limits.unackedBatchesMax). A backlog phone reconnecting is this bench's burst.
 */
const unackedWindow = limits.unackedBatchesMax;

/**
 * One realistic batch stream (real platform + SyncClient, virtual clock from
 * startMs), shared by every phone: `warmBatches` leading batches, then `batches` measured.
 */
function recordStream(batches: number, warmBatches: number, startMs: number, seed = 9): Stream {
  let t = startMs;
  const clock = { nowMs: () => t };
  const core = new LivePhoneCore({
    deviceId: "bench",
    model: "pixel",
    sha256: nodeSha256,
    clock,
    seed,
    levelKey: levelKeyFromDeviceKey(streamKey, nodeSha256),
    eventsPerSecond: eventsPerBatch,
    networkPerSecond: 0,
    syncIntervalMs: 1000,
    sizeScale: 0.01,
  });
  const frames: Uint8Array[] = [];
  const batchEvents: number[] = [];
  let events = 0;
  let warmEvents = 0;
  const total = warmBatches + batches;
  const keep = (bytes: Uint8Array) => {
    // The SyncClient retransmits unacked batches (no server here): keep each batch once.
    const frame = fromBinary(FrameSchema, bytes);
    const batch = frame.body.case === "batch" ? decodeBatch(frame.body.value) : undefined;
    if (batch?.ok && batch.value.batchNo === frames.length + 1 && frames.length < total) {
      frames.push(bytes);
      batchEvents.push(batch.value.inputs.length);
      events += batch.value.inputs.length;
      if (frames.length <= warmBatches) warmEvents += batch.value.inputs.length;
      // Ack it, as a server would: the client's window of unacked batches stays open.
      core.receive(encodeFrame(ackFrame("bench", frames.length)), t);
    }
  };
  core.onConnect(t).forEach(keep);
  while (frames.length < total) {
    t += 1000;
    for (const bytes of [...core.runWorkload(t).frames, ...core.tick(t)]) keep(bytes);
  }
  return { frames, batchEvents, events, warmBatches, warmEvents };
}

function encode(body: Frame["body"]): Uint8Array {
  return toBinary(FrameSchema, create(FrameSchema, { version: 1, body }));
}

/**
 * One phone's client: authenticate, then send the stream with a window of
 * unacked batches, up to the batch `sendUpTo` allows (warm-up, then the rest).
 */
function runClient(url: string, deviceId: string, key: Uint8Array, frames: Uint8Array[]) {
  const ws = new WebSocket(url, { perMessageDeflate: false });
  // As the real phone (ReconnectingSocket.sendMany): a burst of messages leaves in one corked write.
  let transport: Socket | undefined;
  ws.on("upgrade", (response) => {
    transport = response.socket;
  });
  let sent = 0;
  let acked = 0;
  let limit = 0;
  let waiter: { upTo: number; resolve: () => void } | undefined;
  let failed: Error | undefined;
  const settle = () => {
    if (waiter !== undefined && acked >= waiter.upTo) {
      waiter.resolve();
      waiter = undefined;
    }
  };
  let rejectWaiter: (error: Error) => void = () => {};
  const authed = new Promise<void>((resolveAuthed, reject) => {
    ws.on("open", () =>
      ws.send(
        encode({
          case: "hello",
          value: { $typeName: "mirrorcell.v1.Hello", deviceId, model: "pixel", bootId: 1n },
        }),
      ),
    );
    ws.on("error", reject);
    ws.on("message", (data: Buffer) => {
      const frame = fromBinary(FrameSchema, new Uint8Array(data));
      const body = frame.body;
      if (body.case === "challenge") {
        const mac = deviceProof(key, body.value.nonce, deviceId);
        ws.send(encode({ case: "authProof", value: { $typeName: "mirrorcell.v1.AuthProof", mac } }));
      } else if (body.case === "welcome") {
        resolveAuthed();
      } else if (body.case === "ack") {
        acked = Number(body.value.ackedSeq);
        settle();
        pump();
      } else if (body.case === "error") {
        failed = new Error(`${deviceId}: ${body.value.code} ${body.value.message}`);
        reject(failed);
        rejectWaiter(failed);
      }
    });
  });
  const pump = () => {
    const from = sent;
    while (sent < limit && sent - acked < unackedWindow) sent++;
    if (sent === from) return;
    // As the real phone (PhoneRuntime.sendAll): several frames go as FrameBundles, one alone.
    const messages = burstMessages(frames.slice(from, sent));
    transport?.cork();
    for (const bytes of messages) ws.send(bytes);
    transport?.uncork();
  };
  /** Sends batches up to `upTo` (1-based, inclusive); resolves once all are acked. */
  const sendUpTo = (upTo: number) =>
    new Promise<void>((resolve, reject) => {
      if (failed !== undefined) return reject(failed);
      limit = Math.min(frames.length, upTo);
      waiter = { upTo: limit, resolve };
      rejectWaiter = reject;
      settle();
      pump();
    });
  return { deviceId, authed, sendUpTo, close: () => ws.terminate() };
}

/** One measured window of the server: its rates and what the group commit made of it. */
interface WindowResult {
  events: number;
  batches: number;
  seconds: number;
  cpu: number;
  mainCpu: number;
  framesPerCommit: number;
  writtenBytes: number;
  /** The server's database and WAL files' sizes when the window started. */
  files: { db: number; wal: number };
}

/**
 * Streams `frames` from every phone. The first `warmBatches` of each phone
 * are sent and acked before the clock starts (the server's JIT compiles the
 * hot path then, not inside the measured window); the rest is measured in
 * `windows`, `phonesAtOnce` phones streaming at a time (all connected and
 * authenticated before the clock: a fleet of one phone streams device after
 * device, so its window is long enough to measure). After each window (every
 * frame acked, the server idle) `afterWindow` runs: the raw append of the
 * same rows, so live and raw windows alternate.
 */
async function ingest(
  server: ServerProcess,
  keys: Map<string, Uint8Array>,
  streams: readonly Stream[],
  options: {
    waitForReplay?: boolean;
    phonesAtOnce?: number;
    windows?: Window[];
    /** The server's data directory (its database files' sizes are read at each window's start). */
    dataDir?: string;
    afterWindow?: (w: Window, live: WindowResult) => Promise<void>;
  } = {},
) {
  const { frames, warmBatches } = streams[0]!;
  const waitForReplay = options.waitForReplay ?? false;
  const phonesAtOnce = options.phonesAtOnce ?? keys.size;
  const passes = Math.ceil(keys.size / phonesAtOnce);
  const windows = options.windows ?? windowsFor(passes, warmBatches, frames.length, 1);
  const clients = [...keys].map(([id, key]) =>
    runClient(server.syncUrl, id, key, streamOf(streams, id).frames),
  );
  await Promise.all(clients.map((c) => c.authed));
  await Promise.all(clients.map((c) => c.sendUpTo(warmBatches)));
  // Replay of the warm-up batches (due at once in the replay run) ends before the clock starts.
  const warmEvents = clients.reduce((a, c) => a + streamOf(streams, c.deviceId).warmEvents, 0);
  if (waitForReplay) await replayed(server.httpUrl, warmEvents);
  const replayCpuStarted = await replayCpuSeconds(server.httpUrl);
  const results: WindowResult[] = [];
  for (const w of windows) {
    const live = await measureWindow(server, clients, streams, w, {
      phonesAtOnce,
      waitForReplay,
      dataDir: options.dataDir,
    });
    results.push(live);
    await options.afterWindow?.(w, live);
  }
  const serverRssBytes = rssBytes(server.child.pid!);
  const replayCpu = (await replayCpuSeconds(server.httpUrl)) - replayCpuStarted;
  for (const c of clients) c.close();
  const sum = (f: (r: WindowResult) => number) => results.reduce((a, r) => a + f(r), 0);
  const total = sum((r) => r.events);
  const cpu = sum((r) => r.cpu);
  return {
    perSecond: total / sum((r) => r.seconds),
    perCpuSecond: total / cpu,
    replayPerCpuSecond: total / replayCpu,
    total,
    mainThreadShare: sum((r) => r.mainCpu) / cpu,
    framesPerCommit: sum((r) => r.batches) / sum((r) => r.batches / r.framesPerCommit),
    writtenBytesPerBatch: sum((r) => r.writtenBytes) / sum((r) => r.batches),
    /** The server's resident memory at the last window's end (what the run made it retain). */
    serverRssBytes,
    windows: results,
  };
}

/** Streams one window's batches and measures the server over it (clock from the first send to the last ack). */
async function measureWindow(
  server: ServerProcess,
  clients: ReturnType<typeof runClient>[],
  streams: readonly Stream[],
  w: Window,
  how: { phonesAtOnce: number; waitForReplay: boolean; dataDir?: string },
): Promise<WindowResult> {
  const { phonesAtOnce, waitForReplay } = how;
  const pid = server.child.pid!;
  const files = how.dataDir === undefined ? { db: 0, wal: 0 } : databaseFileBytes(how.dataDir);
  const commitsStarted = await commitCounts(server.httpUrl);
  const replayedBefore = waitForReplay ? await replayedEvents(server.httpUrl) : 0;
  const windowStarted = process.hrtime.bigint();
  const started = performance.now();
  const cpuStarted = cpuSeconds(pid);
  const mainCpuStarted = cpuSeconds(pid, pid);
  const writtenStarted = writtenBytes(pid);
  for (let pass = w.passFrom; pass < w.passTo; pass++) {
    const set = clients.slice(pass * phonesAtOnce, (pass + 1) * phonesAtOnce);
    await Promise.all(set.map((c) => c.sendUpTo(w.batchTo)));
  }
  const inWindow = clients.slice(w.passFrom * phonesAtOnce, w.passTo * phonesAtOnce);
  const devices = inWindow.length;
  const events = inWindow.reduce((a, c) => a + windowEvents(streamOf(streams, c.deviceId), w), 0);
  if (waitForReplay) await replayed(server.httpUrl, replayedBefore + events);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(pid) - cpuStarted;
  const mainCpu = cpuSeconds(pid, pid) - mainCpuStarted;
  const written = writtenBytes(pid) - writtenStarted;
  recordWindow("intake", windowStarted, process.hrtime.bigint(), pid);
  const commits = await commitCounts(server.httpUrl);
  const batches = (w.batchTo - w.batchFrom) * devices;
  return {
    events,
    batches,
    seconds,
    cpu,
    mainCpu,
    framesPerCommit: (commits.frames - commitsStarted.frames) / (commits.commits - commitsStarted.commits),
    writtenBytes: written,
    files,
  };
}

/**
 * Sets of `phones` devices a measured round streams one after another, so that each of its
 * windowsOption windows holds at least windowBatchesMin batches (one phone's stream is capped by its replay queue,
 * limits.replayQueueBatchesMax: 3000 batches were ~0.07 server CPU-s once the bench's phone kept
 * the real client's window in flight).
 */
function passesFor(phones: number, measuredBatches: number): number {
  return Math.max(1, Math.ceil((windowsOption * windowBatchesMin) / (phones * measuredBatches)));
}

/**
 * Enough warm-up rounds (fresh devices, the measured fleet's size, so the server sees the same
 * traffic shape) that the server takes warmFramesMin frames before the clock starts, counting the
 * measured devices' own warm-up parts (`ownWarmFrames`): TurboFan compiles per call counts, and
 * one phone's own warm-up part is a thousand frames in a few commits, so a short warm-up left the
 * window compiling (session 7: 18 % TurboFan at 1 phone). At 1000 phones the devices' own parts
 * are enough; more would pass the server's backlog bound (limits.replayBacklogBytesMax).
 */
function warmUpFor(phones: number, streamFrames: number, ownWarmFrames: number): WarmUp {
  const wanted = warmFramesMin - ownWarmFrames;
  if (!withWarmUp || wanted <= 0) return { rounds: 0, batches: 0 };
  const batches = Math.min(streamFrames, Math.ceil(wanted / phones));
  return { rounds: Math.ceil(wanted / (phones * batches)), batches };
}

/** The warm-up rounds: each set of devices streams its batches, acked, then disconnects. */
async function warmUpRounds(
  server: ServerProcess,
  devices: [string, Uint8Array][],
  streams: readonly Stream[],
  warm: WarmUp,
  label: string,
): Promise<void> {
  const phones = devices.length / warm.rounds;
  const cpuStarted = cpuSeconds(server.child.pid!);
  const started = await commitCounts(server.httpUrl);
  for (let round = 0; round < warm.rounds; round++) {
    const clients = devices
      .slice(round * phones, (round + 1) * phones)
      .map(([id, key]) => runClient(server.syncUrl, id, key, streamOf(streams, id).frames));
    await Promise.all(clients.map((c) => c.authed));
    await Promise.all(clients.map((c) => c.sendUpTo(warm.batches)));
    for (const c of clients) c.close();
  }
  const done = await commitCounts(server.httpUrl);
  console.log(
    `live_ingest_warm_up_${label}: ${fmt(done.frames - started.frames)} frames from ${warm.rounds} x ${phones} fresh devices ` +
      `in ${fmt(done.commits - started.commits)} commits, ${(cpuSeconds(server.child.pid!) - cpuStarted).toFixed(2)} server CPU-s`,
  );
}

/**
 * The intake run: the warm-up rounds, then roundsOption times `phones` fresh devices against the
 * same server, each round printed when there are several; the figure is the last round's, and
 * `afterWindow` (the raw append) runs after each of the last round's windows.
 */
async function intakeRounds(
  server: ServerProcess,
  keys: Map<string, Uint8Array>,
  streams: readonly Stream[],
  run: { phones: number; warm: WarmUp; passes: number; label: string; windows: Window[]; dataDir: string },
  afterWindow: (w: Window, live: WindowResult) => Promise<void>,
): Promise<Awaited<ReturnType<typeof ingest>>> {
  const { phones, warm, passes, label } = run;
  const devices = [...keys];
  const warmDevices = warm.rounds * phones;
  if (warm.rounds > 0) await warmUpRounds(server, devices.slice(0, warmDevices), streams, warm, label);
  let last: Awaited<ReturnType<typeof ingest>> | undefined;
  for (let round = 0; round < roundsOption; round++) {
    const from = warmDevices + round * phones * passes;
    last = await ingest(server, new Map(devices.slice(from, from + phones * passes)), streams, {
      phonesAtOnce: phones,
      windows: run.windows,
      dataDir: run.dataDir,
      afterWindow: round === roundsOption - 1 ? afterWindow : undefined,
    });
    if (roundsOption > 1)
      console.log(
        `live_ingest_round_${round}_${label}: ${fmt(last.perCpuSecond)} per server CPU-s (intake only, ` +
          `${last.framesPerCommit.toFixed(1)} frames per commit, main thread ${(100 * last.mainThreadShare).toFixed(0)} % of the CPU, ` +
          `server RSS ${fmt(last.serverRssBytes / 1e6)} MB)`,
      );
  }
  if (last === undefined) throw new Error("no intake round ran");
  return last;
}

/** The server's group-commit counters (/metrics): transactions and the frames they covered. */
async function commitCounts(httpUrl: string): Promise<{ commits: number; frames: number }> {
  const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
  const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(metrics)?.[1] ?? 0);
  return { commits: value("mirrorcell_commits_total"), frames: value("mirrorcell_committed_frames_total") };
}

/** The server's own count of CPU seconds spent in replay steps (/metrics). */
async function replayCpuSeconds(httpUrl: string): Promise<number> {
  const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
  return Number(/^mirrorcell_replay_cpu_seconds_total (\S+)$/m.exec(metrics)?.[1] ?? 0);
}

/** Waits until the server has replayed `events` user inputs (or replay stops progressing for 10 s). */
async function replayed(httpUrl: string, events: number): Promise<void> {
  let last = -1;
  let stalledSince = performance.now();
  for (;;) {
    const done = await replayedEvents(httpUrl);
    if (done >= events) return;
    if (done !== last) {
      last = done;
      stalledSince = performance.now();
    } else if (performance.now() - stalledSince > 10_000) {
      throw new Error(`replay stalled at ${done} of ${events} inputs`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** User inputs the server has replayed so far (/metrics). */
async function replayedEvents(httpUrl: string): Promise<number> {
  const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
  return Number(/^mirrorcell_events_replayed_total (\d+)$/m.exec(metrics)?.[1] ?? 0);
}

/**
 * Every recorded-stream phone shares one device key: a mirror's directory
 * levels are keyed by its device's key (as on the phone), so one recorded
 * stream only replays without divergence on mirrors of that key.
 */
const streamKey = newDeviceKey();

async function withServer<T>(
  label: string,
  phones: number,
  syncNormal: boolean,
  fn: (s: ServerProcess, keys: Map<string, Uint8Array>, dir: string) => Promise<T>,
  options: { sharedKey?: Uint8Array } = {},
) {
  const data = tempDataDir(`bench-${label}`);
  let keys = enrollDevices(
    data.dir,
    Array.from({ length: phones }, (_, i) => `phone-${i}`),
  );
  if (options.sharedKey !== undefined) keys = shareKey(data.dir, keys, options.sharedKey);
  const server = await spawnServer({
    dataDir: data.dir,
    port: await freePort(),
    proxyPort: await freePort(),
    adminToken: testAdminToken,
    syncNormal,
  });
  try {
    return await fn(server, keys, data.dir);
  } finally {
    await server.stop();
    data.remove();
  }
}

/** Re-keys every enrolled device with `key` (before the server opens the database). */
function shareKey(dataDir: string, keys: Map<string, Uint8Array>, key: Uint8Array): Map<string, Uint8Array> {
  const db = openDatabase(dataDir, { synchronousFull: false });
  try {
    const rekey = db.prepare("UPDATE devices SET key = ? WHERE device_id = ?");
    db.transaction(() => {
      for (const id of keys.keys()) rekey.run(key, id);
    })();
  } finally {
    db.close();
  }
  return new Map([...keys.keys()].map((id) => [id, key]));
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US");
}

const dayMs = 86_400_000;

/**
 * The intake line: the server's rate over all windows, and live/raw as the ratio of the sums (the
 * server's CPU over all windows against the raw's for the same rows), every window's ratio and
 * their median, and the large-transaction raw for reference. Not the median as headline: at 100
 * and 1000 phones a window is a slice of every device's stream, and slices differ in bytes per
 * event (at 1000 phones the raw's first window ran 4-5x its others, the server's 1.6x), so the
 * windows' ratios differ by content as well as by load.
 */
function reportIntake(
  label: string,
  live: Awaited<ReturnType<typeof ingest>>,
  pairs: readonly { live: WindowResult; raw: RawResult; grouping: number }[],
  best: readonly RawResult[],
): void {
  const ratios = pairs.map((p) => p.live.events / p.live.cpu / p.raw.perCpuSecond);
  const rawCpu = pairs.reduce((a, p) => a + p.live.events / p.raw.perCpuSecond, 0);
  const rawPerCpu = live.total / rawCpu;
  const bestPerCpu = live.total / best.reduce((a, r, i) => a + pairs[i]!.live.events / r.perCpuSecond, 0);
  const written = (r: readonly RawResult[]) => median(r.map((x) => x.writtenBytesPerBatch));
  console.log(
    `live_ingest_${label}: ${fmt(live.perSecond)} events/s, ${fmt(live.perCpuSecond)} per server CPU-s ` +
      `(intake only, ${live.framesPerCommit.toFixed(1)} frames per commit, main thread ${(100 * live.mainThreadShare).toFixed(0)} % of the CPU, ` +
      `server RSS ${fmt(live.serverRssBytes / 1e6)} MB; CPU ratio to a raw better-sqlite3 append of the same rows at the same rows per commit: ` +
      `${(live.perCpuSecond / rawPerCpu).toFixed(2)}x over ${pairs.length} alternating windows (raw ${fmt(rawPerCpu)} per CPU-s at ` +
      `${pairs.map((p) => p.grouping).join("/")} rows per commit; windows ${ratios.map((r) => r.toFixed(2)).join(" ")}, median ${median(ratios).toFixed(2)}), ` +
      `${(live.perCpuSecond / bestPerCpu).toFixed(2)}x at ${rawRowsPerCommitBest} rows per commit (${fmt(bestPerCpu)} per CPU-s); ` +
      `bytes written per batch: server ${fmt(live.writtenBytesPerBatch)}, raw ${fmt(written(pairs.map((p) => p.raw)))})`,
  );
  console.log(
    `live_ingest_${label}_windows: per CPU-s live ${pairs.map((p) => fmt(p.live.events / p.live.cpu)).join(" / ")}, ` +
      `raw ${pairs.map((p) => fmt(p.raw.perCpuSecond)).join(" / ")}; server main thread ` +
      `${pairs.map((p) => `${((100 * p.live.mainCpu) / p.live.cpu).toFixed(0)} %`).join(" / ")} of its CPU, ` +
      `µs per batch main ${pairs.map((p) => ((1e6 * p.live.mainCpu) / p.live.batches).toFixed(1)).join(" / ")}, ` +
      `other threads ${pairs.map((p) => ((1e6 * (p.live.cpu - p.live.mainCpu)) / p.live.batches).toFixed(1)).join(" / ")}`,
  );
  // What each window's rows are and what both databases held when it started (the same rows, so
  // the same sizes within a WAL's checkpoint cycle): windows that differ in row size differ in ratio.
  const mb = (n: number) => (n / 1e6).toFixed(1);
  console.log(
    `live_ingest_${label}_window_state: SyncBatch bytes per row ${pairs.map((p) => fmt(p.raw.rowBytesPerBatch)).join(" / ")}; ` +
      `at each window's start db + WAL MB, server ${pairs.map((p) => `${mb(p.live.files.db)}+${mb(p.live.files.wal)}`).join(" / ")}, ` +
      `raw ${pairs.map((p) => `${mb(p.raw.files.db)}+${mb(p.raw.files.wal)}`).join(" / ")}`,
  );
}

async function main(): Promise<void> {
  const fleet = fleetOption ?? (quick ? [1, 100] : [1, 100, 1000]);
  // Intake-only measured window: ~2.4 CPU-s of the server at 100 and 1000
  // phones (3M events each), so background TurboFan jobs of late-hot
  // functions are a small share of it (a 0.4 CPU-s window left ~20 % to
  // them). One phone is capped by the replay queue (limits.replayQueueBatchesMax
  // = 4096 batches per device, nothing is replayed in the intake run): 3000
  // batches, 90k events. 100 and 1000 phones stay under the server-wide
  // backlog bound (limits.replayBacklogBytesMax, ~3.6 kB per batch).
  const streamBatches = (phones: number) =>
    batchesOption ?? Math.ceil((phones === 1 ? 3000 : phones === 100 ? 1000 : 100) / (quick ? 15 : 1));
  // Warm-up before the clock: long enough for the hot path to be compiled
  // (perf: the first ~0.3 CPU-s of a server compile most of it).
  const warmBatches = (phones: number) =>
    !withWarmUp
      ? 0
      : (warmBatchesOption ??
        Math.ceil((phones === 1 ? 1000 : phones === 100 ? 100 : 20) / (quick ? 10 : 1)));
  // The intake run's warm-up at 1000 phones also holds one window's worth (25) of the batches after
  // the stream's first 20: those first 20 (the phone's first minutes) are not shaped like the
  // measured ones, and with them alone the server's first window still carried its JIT and GC
  // warm-up on helper threads (other threads 7.4-10.7 µs per batch in window 1, 0.4-4.5 in window
  // 4, fading window by window). 8 runs each at 1000 phones: window 1 the lowest ratio in 7 of 8
  // cells (0.35-0.45), with 45 in 3 of 8 (0.37-0.57); the headline moved by nothing (medians 0.49
  // and 0.475; docs/benchmarks.md "Live commit path (session 11)"). Both sides store the warm rows
  // before their clocks (RawAppender); the measured rows are the stream's batches 45-145.
  const intakeWarmBatches = (phones: number) =>
    withWarmUp && warmBatchesOption === undefined && phones === 1000 && !quick ? 45 : warmBatches(phones);
  // The intake+replay run keeps the shorter stream: replay holds every
  // batch's decode and digest check, and the bench must stay under ~6 min.
  const replayBatches = (phones: number) =>
    Math.ceil((phones === 1 ? 2000 : phones === 100 ? 100 : 20) / (quick ? 10 : 1));
  for (const phones of fleet) {
    const aheads = Array.from({ length: streamsOption }, (_, s) =>
      recordStream(streamBatches(phones), intakeWarmBatches(phones), Date.now() + dayMs, 9 + s),
    );
    const ahead = aheads[0]!; // every stream has the same batch counts
    const perCpu: Record<string, number> = {};
    for (const syncNormal of [false, true]) {
      const mode = syncNormal ? "normal" : "full";
      if (modesOption !== undefined && !modesOption.includes(mode)) continue;
      const passes = passesFor(phones, ahead.frames.length - ahead.warmBatches);
      const warm = warmUpFor(phones, ahead.frames.length, phones * passes * ahead.warmBatches);
      const windows = windowsFor(passes, ahead.warmBatches, ahead.frames.length, windowsOption);
      // Live and raw alternate: after each live window, the raw append of that window's rows at
      // the rows per commit the server achieved in it (the best a plain appender can do with them).
      const rawDir = tempDataDir("raw");
      const spec = { phones, passes, streams: aheads, full: !syncNormal };
      const raw = await RawChild.open(rawDir.dir, {
        ...spec,
        before: { warm, rounds: roundsOption, name: "same" },
      });
      const pairs: { live: WindowResult; raw: RawResult; grouping: number }[] = [];
      const live = await withServer(
        `${phones}-${mode}`,
        phones * (warm.rounds + roundsOption * passes),
        syncNormal,
        (server, keys, dataDir) =>
          intakeRounds(
            server,
            keys,
            aheads,
            { phones, warm, passes, label: `${phones}_phones_sync_${mode}`, windows, dataDir },
            async (w, window) => {
              const grouping = Math.max(1, Math.round(window.framesPerCommit));
              pairs.push({ live: window, raw: await raw.append(w, grouping), grouping });
            },
          ),
        { sharedKey: streamKey },
      );
      await raw.close();
      perCpu[mode] = live.perCpuSecond;
      // Large transactions over the same windows, for reference (a fresh database).
      const bestRaw = await RawChild.open(rawDir.dir, {
        ...spec,
        before: { warm, rounds: roundsOption, name: "best" },
      });
      const best: RawResult[] = [];
      for (const w of windows) best.push(await bestRaw.append(w, rawRowsPerCommitBest));
      await bestRaw.close();
      rawDir.remove();
      reportIntake(`${phones}_phones_sync_${mode}`, live, pairs, best);
    }
    if (!withReplay) continue;
    const due = recordStream(replayBatches(phones), warmBatches(phones), 1_000_000);
    const both = await withServer(
      `${phones}-replay`,
      phones,
      false,
      (server, keys) => ingest(server, keys, [due], { waitForReplay: true }),
      { sharedKey: streamKey },
    );
    const intakeCpuPerEvent = 1 / both.perCpuSecond - 1 / both.replayPerCpuSecond;
    console.log(
      `live_ingest_replay_${phones}_phones_sync_full: ${fmt(both.perSecond)} events/s, ${fmt(both.perCpuSecond)} per server CPU-s ` +
        `(intake + replay of all ${fmt(both.total)} inputs, all due at once; server-measured split: replay ${fmt(both.replayPerCpuSecond)} per CPU-s, ` +
        `the rest ${fmt(1 / intakeCpuPerEvent)} per CPU-s; intake-only run above: ${fmt(perCpu.full ?? Number.NaN)} per CPU-s)`,
    );
  }
  if (withLag) await lagAndMemory(quick ? 20 : 100);
}

/** Paced phones (real runtime): replay lag from the server's histogram; then idle-phone memory. */
async function lagAndMemory(phones: number): Promise<void> {
  await withServer("lag", phones, true, async (server, keys) => {
    const { phones: running, origin } = await startPhones({
      syncUrl: server.syncUrl,
      proxyUrl: server.proxyUrl,
      keys,
      seed: 3,
      model: "pixel",
      eventsPerSecond: 2,
      networkPerSecond: 0.2,
      syncIntervalMs: 1000,
      sizeScale: 0.01,
    });
    await new Promise((resolve) => setTimeout(resolve, 15_000));
    await Promise.all(running.map((p) => p.powerOff(20_000)));
    await origin.close();
    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const buckets = [
      ...metrics.matchAll(/^mirrorcell_replay_lag_seconds_bucket\{le="([^"]+)"\} (\d+)$/gm),
    ].map((m) => ({ le: m[1]!, count: Number(m[2]) }));
    const total = buckets.at(-1)!.count;
    const quantile = (q: number) => buckets.find((b) => b.count >= q * total)!.le;
    console.log(
      `live_replay_lag_${phones}_phones_sync_interval_1s: p50 <= ${quantile(0.5)} s, p99 <= ${quantile(0.99)} s (${total} inputs; t_syn_int 1 s + t_max 0.1 s expected)`,
    );
  });
  const idle = quick ? 100 : 1000;
  await withServer("memory", idle, true, async (server, keys) => {
    const before = rssBytes(server.child.pid!);
    const clients = [...keys].map(([id, key]) => runClient(server.syncUrl, id, key, []));
    await Promise.all(clients.map((c) => c.authed));
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const after = rssBytes(server.child.pid!);
    console.log(
      `live_memory_per_idle_phone: ${fmt((after - before) / idle)} bytes (${idle} authenticated idle phones with running mirrors; server RSS ${fmt(before / 1e6)} MB -> ${fmt(after / 1e6)} MB)`,
    );
    for (const c of clients) c.close();
  });
}

await main();
process.exit(0);
