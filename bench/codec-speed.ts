// CPU cost of the sync codec per user event (issue 4: simulator throughput;
// issue 5: live ingest). Captures the real batches of the seeded workload
// (paper §3.3.2: 0.5 events/s, t_syn_int = 60 s, so ~30 events per batch),
// then times the phone's encode (encodeBatch + encodeFrame) and the server's
// decode (decodeFrame + decodeBatch) in CPU microseconds per event, against
// protobuf-es toBinary/fromBinary of the same inputs in the verbose form
// (repeated UserInput), measured in the same run. Also the server's intake
// check (validateBatchMessage: the same acceptance as decodeBatch without
// building the inputs) against decodeBatch on the same messages, same run.
// Run: node --import tsx bench/codec-speed.ts   (PHONES=N HOURS=H ROUNDS=R TRIALS=T)
// A/B of two source trees in this one process (codec-speed-ab.ts: intake
// validate, replay decode, phone encode per event, alternating rounds):
//   node --import tsx bench/codec-speed.ts --ab A_DIR B_DIR [--rounds N]
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { App, NondetKind } from "../src/gen/mirrorcell/v1/input_pb.ts";
import { FrameSchema, SyncBatchSchema } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { appNames, type UserInput } from "../src/platform/inputs.ts";
import { type BatchData, decodeBatch, encodeBatch } from "../src/sync/batch.ts";
import { validateBatchMessage } from "../src/sync/batch-validate.ts";
import { batchFrame, decodeFrame, encodeFrame } from "../src/sync/frame.ts";
import { SyncRig } from "../test/support/sync-rig.ts";
import { runCodecAb } from "./support/codec-speed-ab.ts";

const phones = Number(process.env.PHONES ?? 8);
const hours = Number(process.env.HOURS ?? 1);
const rounds = Number(process.env.ROUNDS ?? 20);
const trials = Number(process.env.TRIALS ?? 5);
// The simulator's default payload scale (0.01) makes a photo 15 kB.
const cameraBytes = 15_000;

function captureBatches(): BatchData[] {
  const batches: BatchData[] = [];
  for (let i = 0; i < phones; i++) {
    const rig = new SyncRig(3000 + i, { syncIntervalMs: 60_000, cameraBytes });
    rig.tapBatches((message, wire) => {
      const batch = decodeBatch(message);
      if (!batch.ok) throw new Error(batch.error.message);
      batches.push({ ...batch.value, deviceId: wire.deviceId });
    });
    rig.addPhone("phone-000001");
    for (let minute = 1; minute <= hours * 60; minute++) rig.runWorkload("phone-000001", minute * 60_000);
    rig.settle("phone-000001");
  }
  return batches;
}

function cpuMicros(): number {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
}

interface Timed<T> {
  items: readonly T[];
  body: (item: T) => unknown;
}

/**
 * CPU µs per event of each body over its items, trials interleaved so that
 * the codec and its baseline see the same noise from other processes; the
 * best trial of each counts.
 */
function measure(events: number, ...timed: Timed<never>[]): number[] {
  const best = timed.map(() => Number.POSITIVE_INFINITY);
  let sink = 0;
  for (let trial = 0; trial < trials; trial++) {
    for (const [i, { items, body }] of timed.entries()) {
      const start = cpuMicros();
      for (let round = 0; round < rounds; round++) {
        for (const item of items) sink += body(item) === undefined ? 0 : 1;
      }
      best[i] = Math.min(best[i]!, (cpuMicros() - start) / (rounds * events));
    }
  }
  if (sink < 0) console.log("unreachable");
  return best;
}

function timed<T>(items: readonly T[], body: (item: T) => unknown): Timed<never> {
  return { items, body } as unknown as Timed<never>;
}

const appOf = new Map(appNames.map((name, i) => [name, (i + 1) as App]));
const nondetOf = {
  clock: NondetKind.CLOCK,
  random: NondetKind.RANDOM,
  sensor: NondetKind.SENSOR,
  camera: NondetKind.CAMERA,
};

function verboseEvent(input: UserInput) {
  const body = input.body;
  return {
    seq: BigInt(input.seq),
    timeMs: BigInt(input.timeMs),
    networkConsumed: BigInt(input.networkConsumed),
    app: appOf.get(input.app) ?? App.UNSPECIFIED,
    kind:
      body.kind === "tap"
        ? { case: "tap" as const, value: { x: body.x, y: body.y } }
        : body.kind === "key"
          ? { case: "key" as const, value: { code: body.code } }
          : { case: "action" as const, value: { name: body.name, args: [...body.args] } },
    nondet: input.nondet.map((r) => ({ kind: nondetOf[r.kind], value: r.value })),
  };
}

/** The same batch as protobuf-es would carry it without our codec (the baseline). */
function verboseFrame(batch: BatchData) {
  const message = create(SyncBatchSchema, {
    deviceId: batch.deviceId,
    firstSeq: BigInt(batch.firstSeq),
    windowStartMs: BigInt(batch.windowStartMs),
    windowEndMs: BigInt(batch.windowEndMs),
    events: batch.inputs.map(verboseEvent),
    networkConsumed: BigInt(batch.networkConsumed),
    storageDigest: batch.storageDigest,
  });
  return create(FrameSchema, { version: 1, body: { case: "batch", value: message } });
}

const batches = captureBatches();
const abAt = process.argv.indexOf("--ab");
if (abAt >= 0) {
  const roundsAt = process.argv.indexOf("--rounds");
  await runCodecAb(process.argv[abAt + 1], process.argv[abAt + 2], batches, {
    rounds: roundsAt < 0 ? 21 : Number(process.argv[roundsAt + 1]),
  });
  process.exit(0);
}
const events = batches.reduce((sum, b) => sum + b.inputs.length, 0);
const photoEvents = batches.reduce(
  (sum, b) => sum + b.inputs.filter((e) => e.nondet.some((r) => r.kind === "camera")).length,
  0,
);
const wires = batches.map((b) => encodeFrame(batchFrame(encodeBatch(b))));
const wireBytes = wires.reduce((sum, w) => sum + w.length, 0);
for (const [i, wire] of wires.entries()) {
  const frame = decodeFrame(wire);
  if (!frame.ok || frame.value.body.case !== "batch") throw new Error(`batch ${i} does not decode`);
  if (!decodeBatch(frame.value.body.value).ok) throw new Error(`batch ${i} does not decode`);
}
const verbose = batches.map(verboseFrame);
const verboseWires = verbose.map((f) => toBinary(FrameSchema, f));
const verboseBytes = verboseWires.reduce((sum, w) => sum + w.length, 0);

const encode = (b: BatchData) => encodeFrame(batchFrame(encodeBatch(b)));
const decode = (w: Uint8Array) => {
  const frame = decodeFrame(w);
  return frame.ok && frame.value.body.case === "batch" ? decodeBatch(frame.value.body.value) : undefined;
};
const [encodeUs, baseEncodeUs, decodeUs, baseDecodeUs] = measure(
  events,
  timed(batches, encode),
  timed(verbose, (f) => toBinary(FrameSchema, f)),
  timed(wires, decode),
  timed(verboseWires, (w) => fromBinary(FrameSchema, w)),
) as [number, number, number, number];
const plain = batches.flatMap((b, i) =>
  b.inputs.some((e) => e.nondet.some((r) => r.kind === "camera")) ? [] : [i],
);
const plainEvents = plain.reduce((sum, i) => sum + batches[i]!.inputs.length, 0);
const [plainEncodeUs, plainDecodeUs] = measure(
  plainEvents,
  timed(
    plain.map((i) => batches[i]!),
    encode,
  ),
  timed(
    plain.map((i) => wires[i]!),
    decode,
  ),
) as [number, number];

// Intake: the batch messages as the frame decoder hands them over, decoded vs validated.
const messages = wires.map((w) => {
  const frame = decodeFrame(w);
  if (!frame.ok || frame.value.body.case !== "batch") throw new Error("batch does not decode");
  return frame.value.body.value;
});
const [fullDecodeUs, validateUs, frameDecodeUs, frameValidateUs] = measure(
  events,
  timed(messages, (m) => decodeBatch(m)),
  timed(messages, (m) => validateBatchMessage(m)),
  timed(wires, decode),
  timed(wires, (w) => {
    const frame = decodeFrame(w);
    return frame.ok && frame.value.body.case === "batch"
      ? validateBatchMessage(frame.value.body.value)
      : undefined;
  }),
) as [number, number, number, number];
const perBatch = events / batches.length;

console.log(
  `codec.workload: ${events} events in ${batches.length} batches (${(events / batches.length).toFixed(1)} events/batch, ${photoEvents} with a ${cameraBytes} B photo; ${phones} phones x ${hours} h)`,
);
console.log(
  `codec.wireBytes: ${(wireBytes / events).toFixed(2)} B/event incl. photos (ratio ${(wireBytes / verboseBytes).toFixed(3)} vs protobuf verbose ${(verboseBytes / events).toFixed(2)} B/event)`,
);
console.log(
  `codec.encodeCpuMicrosPerEvent: ${encodeUs.toFixed(3)} us/event (ratio ${(encodeUs / baseEncodeUs).toFixed(2)} vs protobuf-es toBinary verbose ${baseEncodeUs.toFixed(3)} us; target <= 1)`,
);
console.log(
  `codec.decodeCpuMicrosPerEvent: ${decodeUs.toFixed(3)} us/event (ratio ${(decodeUs / baseDecodeUs).toFixed(2)} vs protobuf-es fromBinary verbose ${baseDecodeUs.toFixed(3)} us; target <= 0.5)`,
);
console.log(
  `codec.withoutPhotos: encode ${plainEncodeUs.toFixed(3)} us/event, decode ${plainDecodeUs.toFixed(3)} us/event (${plain.length} batches without a photo)`,
);
console.log(
  `codec.intakeValidateCpuMicrosPerBatch: ${(validateUs * perBatch).toFixed(2)} us/batch (ratio ${(validateUs / fullDecodeUs).toFixed(3)} vs decodeBatch ${(fullDecodeUs * perBatch).toFixed(2)} us/batch, same messages, same run)`,
);
console.log(
  `codec.intakeFrameValidateCpuMicrosPerBatch: ${(frameValidateUs * perBatch).toFixed(2)} us/batch (ratio ${(frameValidateUs / frameDecodeUs).toFixed(3)} vs decodeFrame + decodeBatch ${(frameDecodeUs * perBatch).toFixed(2)} us/batch)`,
);
