// What crash safety costs the live phone (issue 5): the same seeded busy
// workload driven through LivePhoneCore with and without its durable
// PhoneStore (SQLite, synchronous=FULL, one commit per closed batch), in the
// same run. Prints CPU per batch and the ratio against no store.
// `node --import tsx bench/live-phone-commit.ts [--quick]`
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LivePhoneCore } from "../src/live/phone-core-adapter.ts";
import { PhoneStore } from "../src/live/phone-state.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { levelKeyFromDeviceKey } from "../src/platform/key-level.ts";
import { ackFrame, encodeFrame } from "../src/sync/frame.ts";

const quick = process.argv.includes("--quick");
const simulatedMs = quick ? 60_000 : 300_000;
const syncIntervalMs = 200;

function run(withStore: boolean): { cpuMs: number; batches: number; commits: number; inputs: number } {
  const dir = mkdtempSync(join(tmpdir(), "mc-bench-phone-"));
  const store = withStore ? PhoneStore.open(dir, nodeSha256) : undefined;
  let nowMs = 1_000_000;
  const core = new LivePhoneCore({
    deviceId: "bench",
    model: "pixel",
    sha256: nodeSha256,
    levelKey: levelKeyFromDeviceKey(new Uint8Array(32).fill(0x5a), nodeSha256),
    clock: { nowMs: () => nowMs },
    seed: 42,
    eventsPerSecond: 20,
    networkPerSecond: 0,
    syncIntervalMs,
    sizeScale: 0.01,
    commit: store === undefined ? undefined : (state, blobOf) => store.commit(state, blobOf),
  });
  const start = process.cpuUsage();
  const endMs = nowMs + simulatedMs;
  while (nowMs < endMs) {
    nowMs += 50;
    core.runWorkload(nowMs);
    core.tick(nowMs);
    // The server acks every batch at once (a phone on a good link).
    const acked = core.receive(encodeFrame(ackFrame("bench", core.batchesMade)), nowMs);
    if (!acked.ok) throw acked.error;
  }
  const used = process.cpuUsage(start);
  const commits = store?.commits ?? 0;
  store?.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    cpuMs: (used.user + used.system) / 1000,
    batches: core.batchesMade,
    commits,
    inputs: core.userInputs,
  };
}

run(false); // warm-up: JIT and the template
const bare = run(false);
const durable = run(true);
const perBatch = (r: { cpuMs: number; batches: number }) => r.cpuMs / r.batches;
console.log(
  `live phone without store: ${perBatch(bare).toFixed(3)} ms CPU per batch (${bare.batches} batches, ${bare.inputs} inputs)`,
);
console.log(
  `live phone with durable store: ${perBatch(durable).toFixed(3)} ms CPU per batch ` +
    `(${(perBatch(durable) / perBatch(bare)).toFixed(2)}x vs without; ${durable.commits} commits for ${durable.batches} batches)`,
);
