// The live-ingest bench's baseline (issue 5): the same rows appended with
// better-sqlite3 directly, in a child process of its own (raw-child.ts), one
// measured window at a time after the server's.
import { type ChildProcess, spawn } from "node:child_process";
import { on, once } from "node:events";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import type Database from "better-sqlite3";
import { assert } from "../../src/core/assert.ts";
import { limits } from "../../src/core/limits.ts";
import { FrameSchema, SyncBatchSchema } from "../../src/gen/mirrorcell/v1/sync_pb.ts";
import { enrollDevice, openDatabase } from "../../src/live/sqlite-db.ts";
import { createStoreTables } from "../../src/live/sqlite-tables.ts";
import { serverNodeFlags } from "../../src/live/v8-tuning.ts";
import { decodeBatch, lastSeqOf } from "../../src/sync/batch.ts";
import { batchMessageView } from "../../src/sync/frame-batch-wire.ts";
import { cpuSeconds, databaseFileBytes, recordWindow, writtenBytes } from "./proc-stats.ts";
import { type Stream, streamOf, type WarmUp, type Window } from "./stream.ts";

/** A raw append's window: rates, bytes written per batch, the rows' size and the database's files at its start. */
export interface RawResult {
  perSecond: number;
  perCpuSecond: number;
  writtenBytesPerBatch: number;
  /** SyncBatch bytes per row of the window (the same rows the server stored in its window). */
  rowBytesPerBatch: number;
  /** The database and WAL files' sizes when the window started. */
  files: { db: number; wal: number };
}

/** What the server stored before the measured round (RawAppender's untimed rows), and a file name. */
export interface RawBefore {
  warm: WarmUp;
  rounds: number;
  name: string;
}

/**
 * Rows of `phones` devices from `firstDevice` on, batches [from, to), device after device: the
 * order they reach the server, where each phone's window of unacked batches leaves as one corked
 * burst and is read in one piece (batch-major rows, as before session 9, scattered the index
 * inserts over every device and wrote ~15 % more bytes per row than the server at 100 phones).
 */
function setRows(firstDevice: number, phones: number, from: number, to: number): [number, number][] {
  const rows: [number, number][] = [];
  for (let i = 0; i < phones; i++) for (let b = from; b < to; b++) rows.push([firstDevice + i, b]);
  return rows;
}

/**
 * The same rows appended with better-sqlite3 directly: the server's batches table
 * (createStoreTables), the same SyncBatch bytes the server stores (sliced from the frames), the
 * same synchronous mode, one prepared statement, the rows of a window in the order ingest streams
 * them (device sets one after another, each phone's burst in one piece: setRows), a given number of rows
 * per transaction, under the server's device ids. First, untimed, the rows the server stored before
 * its clock started (warm-up devices, earlier rounds, the measured devices' warm-up parts), in
 * commits of limits.groupCommitWorkMax rows: the WAL file has grown to its largest size before
 * the clock, as the server's has in its warm-up (a raw append into a fresh WAL paid for the file's
 * growth in its first windows: 0.97-1.15x live/raw there, 0.47 after). At least the server's size,
 * never less: a WAL smaller than a window's commits grows inside the window (at the first window's
 * rows per commit, 1000 phones: 17.7 MB against the server's 32.2, and 18.8 by the last window),
 * one larger than needed is written from its start after each checkpoint like any other (both
 * sides' sizes at each window's start: the bench's _window_state line). Then each window after the
 * server's, so the raw database has grown as the server's has. CPU from /proc's schedstat of this
 * process, as the server's.
 */
export class RawAppender {
  private readonly db: Database.Database;
  private readonly insert: Database.Statement;
  /** Per stream, its batches' rows (a row of device d comes from streamOf(stored, d)). */
  private readonly stored: { lastSeq: number; windowEndMs: number; bytes: Uint8Array; events: number }[][];
  private readonly appendRows: (rows: readonly [number, number][], from: number, to: number) => void;

  constructor(
    dir: string,
    private readonly phones: number,
    passes: number,
    streams: readonly Stream[],
    full: boolean,
    before: RawBefore,
  ) {
    // Opened as the server opens its database (openDatabase: WAL, the same synchronous mode,
    // foreign_keys, quick_check, its meta and devices tables) with the server's store tables and
    // enrolled devices, so both sides start from the same pragmas and schema.
    this.dataDir = join(dir, `raw-${phones}-${full}-${before.name}`);
    mkdirSync(this.dataDir, { recursive: true });
    this.db = openDatabase(this.dataDir, { synchronousFull: full });
    createStoreTables(this.db); // the server's own tables: the raw rows land in the same layout
    this.insert = this.db.prepare(
      "INSERT INTO batches (device_id, batch_no, last_seq, window_end_ms, bytes) VALUES (?, ?, ?, ?, ?)",
    );
    this.stored = streams.map((stream) =>
      stream.frames.map((bytes, index) => {
        const frame = fromBinary(FrameSchema, bytes);
        const batch = frame.body.case === "batch" ? frame.body.value : create(SyncBatchSchema);
        const decoded = decodeBatch(batch);
        return {
          lastSeq: decoded.ok ? lastSeqOf(decoded.value) : 0,
          windowEndMs: decoded.ok ? decoded.value.windowEndMs : 0,
          bytes: batchMessageView(bytes) ?? toBinary(SyncBatchSchema, batch),
          events: stream.batchEvents[index]!,
        };
      }),
    );
    const stream = streams[0]!; // every stream has the same batch counts
    this.appendRows = this.db.transaction((rows: readonly [number, number][], from: number, to: number) => {
      for (let row = from; row < to; row++) {
        const [device, index] = rows[row]!;
        const b = streamOf(this.stored, device)[index]!;
        this.insert.run(`phone-${device}`, index + 1, b.lastSeq, b.windowEndMs, b.bytes);
      }
    });
    // The server's devices: warm-up rounds, then `passes` sets per round; the last round is measured.
    const warmDevices = before.warm.rounds * phones;
    this.firstDevice = warmDevices + (before.rounds - 1) * passes * phones;
    const enrolled = this.firstDevice + passes * phones;
    this.db.transaction(() => {
      for (let device = 0; device < enrolled; device++) enrollDevice(this.db, `phone-${device}`, 0);
    })();
    const prior: [number, number][] = [];
    for (let round = 0; round < before.warm.rounds; round++)
      prior.push(...setRows(round * phones, phones, 0, before.warm.batches));
    for (let device = warmDevices; device < this.firstDevice; device += phones)
      prior.push(...setRows(device, phones, 0, stream.frames.length));
    prior.push(...this.rows({ passFrom: 0, passTo: passes, batchFrom: 0, batchTo: stream.warmBatches }));
    for (let row = 0; row < prior.length; row += limits.groupCommitWorkMax)
      this.appendRows(prior, row, Math.min(prior.length, row + limits.groupCommitWorkMax));
  }

  private readonly firstDevice: number;
  private readonly dataDir: string;

  /** Row r of a window: [device, batch index]. */
  private rows(w: Window): [number, number][] {
    const rows: [number, number][] = [];
    for (let pass = w.passFrom; pass < w.passTo; pass++)
      rows.push(...setRows(this.firstDevice + pass * this.phones, this.phones, w.batchFrom, w.batchTo));
    return rows;
  }

  /** Appends the window's rows, `rowsPerCommit` per transaction, timed. */
  append(w: Window, rowsPerCommit: number): RawResult {
    const rows = this.rows(w);
    const files = databaseFileBytes(this.dataDir);
    const windowStarted = process.hrtime.bigint();
    const started = performance.now();
    const cpuStarted = cpuSeconds(process.pid);
    const writtenStarted = writtenBytes(process.pid);
    for (let row = 0; row < rows.length; row += rowsPerCommit)
      this.appendRows(rows, row, Math.min(rows.length, row + rowsPerCommit));
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuSeconds(process.pid) - cpuStarted;
    const written = writtenBytes(process.pid) - writtenStarted;
    recordWindow(`raw-${rowsPerCommit}`, windowStarted, process.hrtime.bigint());
    assert(rows.length === (w.batchTo - w.batchFrom) * this.phones * (w.passTo - w.passFrom), "window rows");
    let rowBytes = 0;
    let events = 0;
    for (const [device, index] of rows) {
      const b = streamOf(this.stored, device)[index]!;
      rowBytes += b.bytes.length;
      events += b.events;
    }
    return {
      perSecond: events / seconds,
      perCpuSecond: events / cpu,
      writtenBytesPerBatch: written / rows.length,
      rowBytesPerBatch: rowBytes / rows.length,
      files,
    };
  }

  close(): void {
    this.db.close();
  }
}

/**
 * A RawAppender in a child process of its own, as the server is: the raw append then runs in a
 * process that does nothing else, not in this one between its phones' bursts (here, its first
 * windows after live ones cost 1.5-2.5x its later ones: SQLite's page cache refilling with page
 * faults, perf). The child gets the server child's node flags (serverNodeFlags(), then
 * MIRRORCELL_SERVER_NODE_FLAGS), applies the server's run-time V8 flags (tuneV8ForServer) and
 * measures its own CPU (schedstat, all threads) around each window's appends.
 */
export class RawChild {
  private readonly child: ChildProcess;
  private readonly exited: Promise<never>;

  private constructor(child: ChildProcess) {
    this.child = child;
    this.exited = once(child, "exit").then(([code]) => {
      throw new Error(`raw append child exited with ${code}`);
    });
    this.exited.catch(() => undefined);
  }

  static async open(
    dir: string,
    spec: { phones: number; passes: number; streams: readonly Stream[]; full: boolean; before: RawBefore },
  ): Promise<RawChild> {
    const framesFiles = spec.streams.map((stream, s) => {
      const file = join(dir, `frames-${spec.before.name}-${s}.bin`);
      writeFileSync(file, framesBinary(stream.frames));
      return file;
    });
    // The server child's node flags, in its order (prepareServer): its start flags, then the extra ones.
    const nodeFlags = (process.env.MIRRORCELL_SERVER_NODE_FLAGS ?? "").split(" ").filter((f) => f !== "");
    const child = spawn(
      process.execPath,
      [
        ...serverNodeFlags(),
        ...nodeFlags,
        "--import",
        "tsx",
        fileURLToPath(new URL("./raw-child.ts", import.meta.url)),
      ],
      // Requests and answers over the IPC channel: node flags such as --trace-gc write to stdout.
      { stdio: ["ignore", "ignore", "inherit", "ipc"] },
    );
    const raw = new RawChild(child);
    const { streams, ...rest } = spec;
    await raw.request({
      op: "open",
      dir,
      framesFiles,
      batchEvents: streams.map((s) => s.batchEvents),
      warmBatches: streams[0]!.warmBatches,
      ...rest,
    });
    return raw;
  }

  private async request(message: object): Promise<unknown> {
    const answer = Promise.race([
      once(this.child, "message").then(([value]) => value as unknown),
      this.exited,
    ]);
    this.child.send(message);
    return answer;
  }

  async append(w: Window, rowsPerCommit: number): Promise<RawResult> {
    return (await this.request({ op: "append", window: w, rowsPerCommit })) as RawResult;
  }

  async close(): Promise<void> {
    await this.request({ op: "close" });
    await this.exited.catch(() => undefined);
  }
}

/** Frames, each after its length (4 bytes, little-endian). */
function framesBinary(frames: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(frames.reduce((a, f) => a + 4 + f.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of frames) {
    view.setUint32(at, f.length, true);
    out.set(f, at + 4);
    at += 4 + f.length;
  }
  return out;
}

function framesFromBinary(bytes: Uint8Array): Uint8Array[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = view.getUint32(at, true);
    frames.push(bytes.slice(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return frames;
}

/** The raw append child (RawChild): one answer per request, over the IPC channel. */
export async function rawChildMain(): Promise<void> {
  let appender: RawAppender | undefined;
  const reply = (value: object) => process.send!(value);
  const requests = on(process, "message") as AsyncIterableIterator<[RawRequest]>;
  for await (const [m] of requests) {
    if (m.op === "open") {
      const streams = m.framesFiles.map(
        (file, s): Stream => ({
          frames: framesFromBinary(readFileSync(file)),
          batchEvents: m.batchEvents[s]!,
          events: 0,
          warmBatches: m.warmBatches,
          warmEvents: 0,
        }),
      );
      appender = new RawAppender(m.dir, m.phones, m.passes, streams, m.full, m.before);
      reply({ ok: true });
    } else if (m.op === "append") {
      assert(appender !== undefined, "append before open");
      reply(appender.append(m.window, m.rowsPerCommit));
    } else {
      appender?.close();
      reply({ ok: true });
      process.disconnect();
      return;
    }
  }
}

/** A request to the raw append child (JSON over IPC). */
type RawRequest =
  | ({ op: "open"; dir: string; framesFiles: string[]; batchEvents: number[][]; warmBatches: number } & {
      phones: number;
      passes: number;
      full: boolean;
      before: RawBefore;
    })
  | { op: "append"; window: Window; rowsPerCommit: number }
  | { op: "close" };
