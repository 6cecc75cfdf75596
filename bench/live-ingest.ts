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
// limits.unackedBatchesMax), each burst in one corked write as the real
// phone's ReconnectingSocket.sendMany: a backlog phone reconnecting. Each phone first
// sends a warm-up part of the stream, acked before the clock starts, and in
// the intake run fresh warm-up devices stream first until the server has
// taken --warm-frames frames (default 20,000), so the server's JIT has
// compiled its hot path (--no-warm-up measures a cold server, as before).
// A 1-phone window streams several devices one after another (--batches each).
//   node --import tsx bench/live-ingest.ts [--quick] [--phones 1,100] [--modes full,normal]
//     [--no-replay] [--no-lag] [--no-warm-up] [--rounds N] [--batches N] [--warm-batches N] [--warm-frames N]
// --rounds N: N rounds of fresh phones stream to one server in the intake run, each printed; the
// headline and the raw comparison use the last (steady state shows as rounds that agree).
// --batches / --warm-batches replace the intake stream's lengths (rounds multiply the queued
// backlog: keep it under limits.replayBacklogBytesMax; a stream's first 20 batches are ~7.6 kB,
// the rest ~2.6 kB: 1000 phones x 2 rounds fit with --batches 24).
// Profile the server: MIRRORCELL_SERVER_NODE_FLAGS="--cpu-prof --cpu-prof-dir=DIR" (node flags for the server child).
// CPU-true profile of the measured window: MIRRORCELL_SERVER_NODE_FLAGS="--perf-basic-prof",
// `perf record -k CLOCK_MONOTONIC -g -p <server pid>` and MIRRORCELL_BENCH_WINDOW_FILE=FILE: the bench appends
// one line per measured window to FILE, "<intake|raw-N> <pid> <start>,<end>" (`perf script --time <start>,<end>`).
// A/B of the server's V8 tuning (src/live/v8-tuning.ts): MIRRORCELL_V8_DEFAULTS=1 (inherited by the server child).
import { appendFileSync, readdirSync, readFileSync } from "node:fs";
import type { Socket } from "node:net";
import { join } from "node:path";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import Database from "better-sqlite3";
import WebSocket from "ws";
import { limits } from "../src/core/limits.ts";
import { type Frame, FrameSchema, SyncBatchSchema } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { deviceProof, newDeviceKey } from "../src/live/auth.ts";
import { enrollDevices, startPhones, tempDataDir, testAdminToken } from "../src/live/live-harness.ts";
import { LivePhoneCore } from "../src/live/phone-core-adapter.ts";
import { freePort, type ServerProcess, spawnServer } from "../src/live/server-process.ts";
import { openDatabase } from "../src/live/sqlite-db.ts";
import { createStoreTables } from "../src/live/sqlite-tables.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { levelKeyFromDeviceKey } from "../src/platform/key-level.ts";
import { decodeBatch, lastSeqOf } from "../src/sync/batch.ts";
import { ackFrame, encodeFrame } from "../src/sync/frame.ts";
import { batchMessageView } from "../src/sync/frame-batch-wire.ts";

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
const batchesOption = countOption("--batches");
const warmBatchesOption = countOption("--warm-batches");
const modesOption = listOption("--modes");
const withReplay = !process.argv.includes("--no-replay");
const withLag = !process.argv.includes("--no-lag");
const withWarmUp = !process.argv.includes("--no-warm-up");
/** Batches a measured intake window holds at least (passesFor). */
const windowBatchesMin = quick ? 2_000 : 24_000;
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

interface Stream {
  frames: Uint8Array[];
  events: number;
  /** Leading batches sent before the measured window (the server's JIT warms up on them). */
  warmBatches: number;
  warmEvents: number;
}

/**
 * One realistic batch stream (real platform + SyncClient, virtual clock from
 * startMs), shared by every phone: `warmBatches` leading batches, then `batches` measured.
 */
function recordStream(batches: number, warmBatches: number, startMs: number): Stream {
  let t = startMs;
  const clock = { nowMs: () => t };
  const core = new LivePhoneCore({
    deviceId: "bench",
    model: "pixel",
    sha256: nodeSha256,
    clock,
    seed: 9,
    levelKey: levelKeyFromDeviceKey(streamKey, nodeSha256),
    eventsPerSecond: eventsPerBatch,
    networkPerSecond: 0,
    syncIntervalMs: 1000,
    sizeScale: 0.01,
  });
  const frames: Uint8Array[] = [];
  let events = 0;
  let warmEvents = 0;
  const total = warmBatches + batches;
  const keep = (bytes: Uint8Array) => {
    // The SyncClient retransmits unacked batches (no server here): keep each batch once.
    const frame = fromBinary(FrameSchema, bytes);
    const batch = frame.body.case === "batch" ? decodeBatch(frame.body.value) : undefined;
    if (batch?.ok && batch.value.batchNo === frames.length + 1 && frames.length < total) {
      frames.push(bytes);
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
  return { frames, events, warmBatches, warmEvents };
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
  // As the real phone (ReconnectingSocket.sendMany): a burst of frames leaves in one corked write.
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
    transport?.cork();
    while (sent < limit && sent - acked < unackedWindow) ws.send(frames[sent++]!);
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
  return { authed, sendUpTo, close: () => ws.terminate() };
}

/**
 * Streams `frames` from every phone. The first `warmBatches` of each phone
 * are sent and acked before the clock starts (the server's JIT compiles the
 * hot path then, not inside the measured window); the rest is measured,
 * `phonesAtOnce` phones streaming at a time (all connected and authenticated
 * before the clock: a fleet of one phone streams device after device, so its
 * window is long enough to measure).
 */
async function ingest(
  server: ServerProcess,
  keys: Map<string, Uint8Array>,
  stream: { frames: Uint8Array[]; events: number; warmBatches: number; warmEvents: number },
  waitForReplay = false,
  phonesAtOnce = keys.size,
) {
  const { frames, warmBatches } = stream;
  const clients = [...keys].map(([id, key]) => runClient(server.syncUrl, id, key, frames));
  await Promise.all(clients.map((c) => c.authed));
  await Promise.all(clients.map((c) => c.sendUpTo(warmBatches)));
  // Replay of the warm-up batches (due at once in the replay run) ends before the clock starts.
  if (waitForReplay) await replayed(server.httpUrl, stream.warmEvents * clients.length);
  const events = stream.events - stream.warmEvents;
  const replayCpuStarted = await replayCpuSeconds(server.httpUrl);
  const commitsStarted = await commitCounts(server.httpUrl);
  const windowStarted = process.hrtime.bigint();
  const started = performance.now();
  const cpuStarted = cpuSeconds(server.child.pid!);
  const mainCpuStarted = cpuSeconds(server.child.pid!, server.child.pid!);
  for (let from = 0; from < clients.length; from += phonesAtOnce)
    await Promise.all(clients.slice(from, from + phonesAtOnce).map((c) => c.sendUpTo(frames.length)));
  if (waitForReplay) await replayed(server.httpUrl, stream.events * clients.length);
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds(server.child.pid!) - cpuStarted;
  const mainCpu = cpuSeconds(server.child.pid!, server.child.pid!) - mainCpuStarted;
  recordWindow("intake", windowStarted, process.hrtime.bigint(), server.child.pid);
  const serverRssBytes = rssBytes(server.child.pid!);
  const replayCpu = (await replayCpuSeconds(server.httpUrl)) - replayCpuStarted;
  const commits = await commitCounts(server.httpUrl);
  for (const c of clients) c.close();
  const total = events * clients.length;
  return {
    perSecond: total / seconds,
    perCpuSecond: total / cpu,
    replayPerCpuSecond: total / replayCpu,
    total,
    mainThreadShare: mainCpu / cpu,
    framesPerCommit: (commits.frames - commitsStarted.frames) / (commits.commits - commitsStarted.commits),
    /** The server's resident memory at the window's end (what the run made it retain). */
    serverRssBytes,
  };
}

/**
 * Appends a measured window to MIRRORCELL_BENCH_WINDOW_FILE: "<label> <pid> <start>,<end>" in CLOCK_MONOTONIC
 * seconds (as `perf record -k CLOCK_MONOTONIC`; pass <start>,<end> to `perf script --time`).
 */
function recordWindow(label: string, startNs: bigint, endNs: bigint, pid = process.pid): void {
  const file = process.env.MIRRORCELL_BENCH_WINDOW_FILE;
  const seconds = (ns: bigint) => `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, "0")}`;
  if (file !== undefined && file !== "")
    appendFileSync(file, `${label} ${pid} ${seconds(startNs)},${seconds(endNs)}\n`);
}

/**
 * Sets of `phones` devices a measured round streams one after another, so that the window holds
 * at least windowBatchesMin batches (one phone's stream is capped by its replay queue,
 * limits.replayQueueBatchesMax: 3000 batches were ~0.07 server CPU-s once the bench's phone kept
 * the real client's window in flight).
 */
function passesFor(phones: number, measuredBatches: number): number {
  return Math.max(1, Math.ceil(windowBatchesMin / (phones * measuredBatches)));
}

/** Warm-up before the measured rounds: `rounds` sets of fresh devices, each sending its stream's first `batches`. */
interface WarmUp {
  rounds: number;
  batches: number;
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
  stream: Stream,
  warm: WarmUp,
  label: string,
): Promise<void> {
  const phones = devices.length / warm.rounds;
  const cpuStarted = cpuSeconds(server.child.pid!);
  const started = await commitCounts(server.httpUrl);
  for (let round = 0; round < warm.rounds; round++) {
    const clients = devices
      .slice(round * phones, (round + 1) * phones)
      .map(([id, key]) => runClient(server.syncUrl, id, key, stream.frames));
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
 * same server, each round printed when there are several; the figure is the last round's.
 */
async function intakeRounds(
  server: ServerProcess,
  keys: Map<string, Uint8Array>,
  stream: Stream,
  phones: number,
  warm: WarmUp,
  passes: number,
  label: string,
): Promise<Awaited<ReturnType<typeof ingest>>> {
  const devices = [...keys];
  const warmDevices = warm.rounds * phones;
  if (warm.rounds > 0) await warmUpRounds(server, devices.slice(0, warmDevices), stream, warm, label);
  let last: Awaited<ReturnType<typeof ingest>> | undefined;
  for (let round = 0; round < roundsOption; round++) {
    const from = warmDevices + round * phones * passes;
    last = await ingest(server, new Map(devices.slice(from, from + phones * passes)), stream, false, phones);
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
    const metrics = await (await fetch(`${httpUrl}/metrics`)).text();
    const done = Number(/^mirrorcell_events_replayed_total (\d+)$/m.exec(metrics)?.[1] ?? 0);
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

let rawRuns = 0;

/**
 * The same rows appended with better-sqlite3 directly: the server's batches
 * table (createStoreTables), the same SyncBatch bytes the server stores (sliced from the frames),
 * the same synchronous mode, batch-major order across phones, prepared
 * statement, `rowsPerCommit` rows per transaction, `passes` sets of `phones` devices one set after
 * another (as ingest streams them). The warm-up rows are appended first, untimed, as the server
 * stored them before its clock started.
 */
function rawAppend(
  dir: string,
  phones: number,
  passes: number,
  stream: Stream,
  full: boolean,
  rowsPerCommit: number,
): { perSecond: number; perCpuSecond: number } {
  // A fresh file per call: the server's grouping may equal rawRowsPerCommitBest.
  rawRuns += 1;
  const db = new Database(join(dir, `raw-${phones}-${full}-${rowsPerCommit}-${rawRuns}.db`));
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${full ? "FULL" : "NORMAL"}`);
  createStoreTables(db); // the server's own tables: the raw rows land in the same layout
  const insert = db.prepare(
    "INSERT INTO batches (device_id, batch_no, last_seq, window_end_ms, bytes) VALUES (?, ?, ?, ?, ?)",
  );
  const stored = stream.frames.map((bytes) => {
    const frame = fromBinary(FrameSchema, bytes);
    const batch = frame.body.case === "batch" ? frame.body.value : create(SyncBatchSchema);
    const decoded = decodeBatch(batch);
    return {
      lastSeq: decoded.ok ? lastSeqOf(decoded.value) : 0,
      windowEndMs: decoded.ok ? decoded.value.windowEndMs : 0,
      bytes: batchMessageView(bytes) ?? toBinary(SyncBatchSchema, batch),
    };
  });
  // Row r: [device, batch index]; every pass's warm-up rows first, then the measured rows, pass after pass.
  const order: [number, number][] = [];
  for (const [first, end] of [
    [0, stream.warmBatches],
    [stream.warmBatches, stored.length],
  ] as const)
    for (let pass = 0; pass < passes; pass++)
      for (let b = first; b < end; b++) for (let i = 0; i < phones; i++) order.push([pass * phones + i, b]);
  const appendRows = db.transaction((from: number, to: number) => {
    for (let row = from; row < to; row++) {
      const [device, index] = order[row]!;
      const b = stored[index]!;
      insert.run(`phone-${device}`, index + 1, b.lastSeq, b.windowEndMs, b.bytes);
    }
  });
  const rows = order.length;
  const warmRows = stream.warmBatches * phones * passes;
  for (let row = 0; row < warmRows; row += rowsPerCommit)
    appendRows(row, Math.min(warmRows, row + rowsPerCommit));
  const windowStarted = process.hrtime.bigint();
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  for (let row = warmRows; row < rows; row += rowsPerCommit)
    appendRows(row, Math.min(rows, row + rowsPerCommit));
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  recordWindow(`raw-${rowsPerCommit}`, windowStarted, process.hrtime.bigint());
  db.close();
  const cpuSpent = (cpu.user + cpu.system) / 1e6;
  const events = (stream.events - stream.warmEvents) * phones * passes;
  return { perSecond: events / seconds, perCpuSecond: events / cpuSpent };
}

/**
 * CPU seconds a process (its live threads) or one thread has run, from /proc's schedstat in
 * nanoseconds (/proc's stat counts 10 ms ticks: a 0.1 CPU-s window read as 7 to 9 ticks).
 */
function cpuSeconds(pid: number, tid?: number): number {
  const tids = tid === undefined ? readdirSync(`/proc/${pid}/task`) : [String(tid)];
  let ns = 0;
  for (const t of tids) ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
  return ns / 1e9;
}

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
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
  // The intake+replay run keeps the shorter stream: replay holds every
  // batch's decode and digest check, and the bench must stay under ~6 min.
  const replayBatches = (phones: number) =>
    Math.ceil((phones === 1 ? 2000 : phones === 100 ? 100 : 20) / (quick ? 10 : 1));
  for (const phones of fleet) {
    const ahead = recordStream(streamBatches(phones), warmBatches(phones), Date.now() + dayMs);
    const perCpu: Record<string, number> = {};
    for (const syncNormal of [false, true]) {
      const mode = syncNormal ? "normal" : "full";
      if (modesOption !== undefined && !modesOption.includes(mode)) continue;
      const passes = passesFor(phones, ahead.frames.length - ahead.warmBatches);
      const warm = warmUpFor(phones, ahead.frames.length, phones * passes * ahead.warmBatches);
      const live = await withServer(
        `${phones}-${mode}`,
        phones * (warm.rounds + roundsOption * passes),
        syncNormal,
        (server, keys) =>
          intakeRounds(server, keys, ahead, phones, warm, passes, `${phones}_phones_sync_${mode}`),
        { sharedKey: streamKey },
      );
      perCpu[mode] = live.perCpuSecond;
      // Raw twice: with the server's own grouping (rows per commit as it
      // achieved them) and with large transactions (the best a raw appender can do).
      const rawDir = tempDataDir("raw");
      const grouping = Math.max(1, Math.round(live.framesPerCommit));
      const same = rawAppend(rawDir.dir, phones, passes, ahead, !syncNormal, grouping);
      const best = rawAppend(rawDir.dir, phones, passes, ahead, !syncNormal, rawRowsPerCommitBest);
      rawDir.remove();
      const ratio = (raw: { perCpuSecond: number }) => (live.perCpuSecond / raw.perCpuSecond).toFixed(2);
      console.log(
        `live_ingest_${phones}_phones_sync_${mode}: ${fmt(live.perSecond)} events/s, ${fmt(live.perCpuSecond)} per server CPU-s ` +
          `(intake only, ${live.framesPerCommit.toFixed(1)} frames per commit, main thread ${(100 * live.mainThreadShare).toFixed(0)} % of the CPU, ` +
          `server RSS ${fmt(live.serverRssBytes / 1e6)} MB; CPU ratio to a raw better-sqlite3 append of the same rows: ` +
          `${ratio(same)}x at the same ${grouping} rows per commit (${fmt(same.perCpuSecond)} per CPU-s, ${fmt(same.perSecond)} events/s), ` +
          `${ratio(best)}x at ${rawRowsPerCommitBest} rows per commit (${fmt(best.perCpuSecond)} per CPU-s, ${fmt(best.perSecond)} events/s))`,
      );
    }
    if (!withReplay) continue;
    const due = recordStream(replayBatches(phones), warmBatches(phones), 1_000_000);
    const both = await withServer(
      `${phones}-replay`,
      phones,
      false,
      (server, keys) => ingest(server, keys, due, true),
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
