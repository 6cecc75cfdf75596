// In-process A/B of the live server's intake (issue 5), without sockets: two
// source trees (e.g. a `git archive` copy of the base and the working tree)
// are loaded side by side in ONE process, and rounds of fresh devices
// alternate between them (A B, B A, ...). Per batch each arm does what the
// server does after ws has delivered a frame: decodeFrame + batchMessageView,
// core.receive inside the group commit (one SQLite transaction per 1,000
// frames, the server's shape at one phone), markDurable. The machine's load
// then reaches both arms alike, which the whole bench (bench/live-ingest.ts)
// cannot give at a load of 10: its runs moved live/raw by ±0.1.
//   node --import tsx bench/live-intake-ab.ts A_DIR B_DIR [--normal] [--rounds N]
// Prints the median CPU µs per batch of each arm and B/A per round pair.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { newDeviceKey } from "../src/live/auth.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { median } from "./support/median.ts";
import { recordFrames } from "./support/record-frames.ts";

const [armA, armB] = process.argv.slice(2, 4);
if (armA === undefined || armB === undefined)
  throw new Error("usage: live-intake-ab.ts A_DIR B_DIR [--normal] [--rounds N]");
const full = !process.argv.includes("--normal");
const roundsAt = process.argv.indexOf("--rounds");
const rounds = roundsAt < 0 ? 20 : Number(process.argv[roundsAt + 1]);
const streamBatches = 3_000;
const framesPerCommit = 1_000;
const devicesPerRound = 2;

const silent = { info() {}, warn() {}, error() {}, fatal() {}, debug() {}, child: () => silent };

/** One arm: its own modules, database and core; `device()` streams a fresh device's frames. */
async function loadArm(dir: string, key: Uint8Array, frames: Uint8Array[]) {
  const src = join(resolve(dir), "src");
  const { openDatabase, enrollDevice } = await import(join(src, "live/sqlite-db.ts"));
  const { BlobFiles } = await import(join(src, "live/blob-files.ts"));
  const { createLiveCore } = await import(join(src, "live/core-adapter.ts"));
  const { GroupCommitter } = await import(join(src, "live/group-commit.ts"));
  const { decodeFrame } = await import(join(src, "sync/frame.ts"));
  const { batchMessageView } = await import(join(src, "sync/frame-batch-wire.ts"));
  const data = mkdtempSync(join(tmpdir(), "mc-intake-ab-"));
  const db = openDatabase(data, { synchronousFull: full });
  const blobs = new BlobFiles(join(data, "blobs"), nodeSha256, { fsync: full });
  const core = createLiveCore({
    db,
    blobs,
    sha256: nodeSha256,
    clock: { nowMs: () => Date.now() },
    log: silent,
  });
  const committer = new GroupCommitter(db, (error: unknown) => {
    throw error;
  });
  const setKey = db.prepare("UPDATE devices SET key = ? WHERE device_id = ?");
  let devices = 0;
  const device = () => {
    const id = `phone-${devices++}`;
    enrollDevice(db, id, Date.now());
    setKey.run(key, id); // the stream's level keys are this key's
    const welcome = core.connect(id, "pixel", Date.now());
    if (!welcome.ok) throw new Error(welcome.error.message);
    for (let from = 0; from < frames.length; from += framesPerCommit) {
      for (let i = from; i < Math.min(frames.length, from + framesPerCommit); i++) {
        const bytes = frames[i]!;
        const frame = decodeFrame(bytes);
        if (!frame.ok) throw new Error(frame.error.message);
        const batchBytes = batchMessageView(bytes);
        committer.enqueue({
          apply: () => {
            const reply = core.receive(id, frame.value, Date.now(), batchBytes);
            if (reply.error !== undefined) throw new Error(reply.error.message);
          },
          committed: () => undefined,
        });
      }
      committer.flush();
      core.markDurable(id);
    }
  };
  const close = () => {
    db.close();
    rmSync(data, { recursive: true, force: true });
  };
  return { device, close };
}

const key = newDeviceKey();
const frames = recordFrames(key, streamBatches);
const arms = [await loadArm(armA, key, frames), await loadArm(armB, key, frames)];
for (const arm of arms) for (let i = 0; i < 4; i++) arm.device(); // warm-up: the JIT, the WAL file
const perBatchUs: [number[], number[]] = [[], []];
for (let round = 0; round < rounds; round++) {
  for (const which of round % 2 === 0 ? [0, 1] : [1, 0]) {
    const started = process.cpuUsage();
    for (let d = 0; d < devicesPerRound; d++) arms[which]!.device();
    const spent = process.cpuUsage(started);
    perBatchUs[which as 0 | 1].push((spent.user + spent.system) / (devicesPerRound * frames.length));
  }
}
const [a, b] = perBatchUs.map(median) as [number, number];
console.log(
  `live_intake_ab_${full ? "full" : "normal"}: A ${a.toFixed(2)} us, B ${b.toFixed(2)} us CPU per batch ` +
    `(median of ${rounds} rounds of ${devicesPerRound * frames.length} batches); B/A ${(b / a).toFixed(3)}; ` +
    `pairs ${perBatchUs[0].map((x, i) => (perBatchUs[1][i]! / x).toFixed(2)).join(" ")}`,
);
for (const arm of arms) arm.close();
