import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { u64FromBytes, u64ToBytes } from "../core/bytes.ts";
import { appNames, type NondetRecord, type UserInput, type UserInputBody } from "../platform/inputs.ts";
import { actionDictionary, actionIndex } from "./action-dictionary.ts";
import {
  type BatchData,
  decodeBatch,
  encodeBatch,
  encodeWindowBatch,
  encodeWindowBatchFrame,
} from "./batch.ts";
import { BitWriter } from "./bits.ts";
import { EventScan } from "./codec-scan.ts";
import { RecentStrings, writeString } from "./codec-strings.ts";
import { chooseTimeOrder, writeRice } from "./codec-time.ts";
import { EventWindow } from "./codec-window.ts";
import { batchFrame, encodeFrame } from "./frame.ts";
import { writeKey } from "./key-code.ts";

/**
 * The events as one pass over the inputs writes them (the encoder before
 * EventWindow): the oracle for the deferred tap/key codes and the copied
 * action segments.
 */
function referenceEvents(
  w: BitWriter,
  inputs: readonly UserInput[],
  windowStartMs: number,
  consumedEnd: number,
): void {
  w.writeExpGolomb(inputs.length, 0);
  if (inputs.length === 0) return;
  const scan = new EventScan();
  for (const input of inputs) scan.add(input);
  const deltas = scan.deltasFrom(windowStartMs);
  const k = chooseTimeOrder(deltas);
  w.writeBits(k, 5);
  w.writeExpGolomb(scan.xRange, 8);
  w.writeExpGolomb(scan.yRange, 8);
  w.writeExpGolomb(scan.keyRange, 6);
  w.writeExpGolomb(consumedEnd - inputs[inputs.length - 1]!.networkConsumed, 0);
  w.writeExpGolomb(scan.stepCount, 0);
  let previous = 0;
  for (let n = 0; n < scan.stepCount; n++) {
    w.writeExpGolomb(scan.stepPosition(n) - previous - 1, 2);
    w.writeExpGolomb(scan.stepSize(n) - 1, 0);
    previous = scan.stepPosition(n);
  }
  const recent = new RecentStrings();
  let previousSymbol = -1;
  inputs.forEach((input, i) => {
    writeRice(w, deltas[i]!, k);
    const kind = ["tap", "key", "action"].indexOf(input.body.kind);
    const symbol = kind * appNames.length + appNames.indexOf(input.app);
    if (i > 0) w.writeBit(symbol === previousSymbol);
    if (i === 0 || symbol !== previousSymbol) w.writeTruncated(symbol, 3 * appNames.length);
    previousSymbol = symbol;
    const body = input.body;
    if (body.kind === "tap") {
      w.writeTruncated(body.x, scan.xRange);
      w.writeTruncated(body.y, scan.yRange);
    } else if (body.kind === "key") {
      writeKey(w, body.code, scan.keyRange);
    } else {
      const index = actionIndex(body.name);
      w.writeTruncated(index ?? actionDictionary.length, actionDictionary.length + 1);
      if (index === undefined) writeString(w, recent, body.name);
      w.writeExpGolomb(body.args.length, 0);
      for (const arg of body.args) writeString(w, recent, arg);
      referenceNondet(w, input.nondet, input.timeMs);
    }
  });
}

function referenceNondet(w: BitWriter, records: readonly NondetRecord[], timeMs: number): void {
  w.writeBit(records.length > 0);
  if (records.length === 0) return;
  w.writeExpGolomb(records.length - 1, 0);
  for (const record of records) {
    w.writeBits(["clock", "random", "sensor", "camera"].indexOf(record.kind), 2);
    const clock = record.kind === "clock" ? u64FromBytes(record.value) : undefined;
    const delta = clock === undefined ? 0 : clock - timeMs;
    const zigzag = delta >= 0 ? delta * 2 : -delta * 2 - 1;
    const asDelta = clock !== undefined && Number.isSafeInteger(zigzag + 4);
    if (record.kind === "clock") w.writeBit(asDelta);
    if (asDelta) {
      w.writeExpGolomb(zigzag, 2);
    } else {
      w.writeExpGolomb(record.value.length, 3);
      w.writeBytes(record.value);
    }
  }
}

/** The packed bytes (not deflated) of `batch` by the one-pass encoder: its header, then its events. */
function referencePacked(batch: BatchData): Uint8Array {
  const header = new BitWriter();
  header.writeExpGolomb(batch.batchNo, 0);
  header.writeBit(batch.powerOff);
  header.writeExpGolomb(batch.windowEndMs - batch.windowStartMs, 12);
  referenceEvents(header, batch.inputs, batch.windowStartMs, batch.networkConsumed);
  return header.finish();
}

const bodyArb: fc.Arbitrary<UserInputBody> = fc.oneof(
  fc.record({ kind: fc.constant("tap" as const), x: fc.nat({ max: 1079 }), y: fc.nat({ max: 2 ** 32 - 1 }) }),
  fc.record({
    kind: fc.constant("key" as const),
    code: fc.oneof(fc.nat({ max: 130 }), fc.nat({ max: 70_000 })),
  }),
  fc.record({
    kind: fc.constant("action" as const),
    name: fc.oneof(fc.constantFrom("open", "send"), fc.string({ minLength: 1, maxLength: 12 })),
    args: fc.array(
      fc.oneof(fc.constantFrom("peer=a", "to=b", "é".repeat(20)), fc.string({ maxLength: 12 })),
      {
        maxLength: 4,
      },
    ),
  }),
);

const nondetArb: fc.Arbitrary<NondetRecord[]> = fc.array(
  fc.oneof(
    fc.record({
      kind: fc.constantFrom("random" as const, "camera" as const),
      value: fc.uint8Array({ maxLength: 300 }),
    }),
    fc.record({
      kind: fc.constant("clock" as const),
      value: fc.oneof(
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.nat({ max: 10 ** 9 }).map(u64ToBytes),
      ),
    }),
  ),
  { maxLength: 3 },
);

/** Consecutive windows of one phone: each starts where the previous ended. */
const windowsArb: fc.Arbitrary<BatchData[]> = fc
  .array(
    fc.record({
      events: fc.array(
        fc.record({
          gapMs: fc.oneof(fc.nat({ max: 4000 }), fc.nat({ max: 2 ** 31 })),
          consumedGap: fc.oneof(fc.constant(0), fc.constant(0), fc.nat({ max: 4 })),
          app: fc.constantFrom(...appNames),
          body: bodyArb,
          nondet: nondetArb,
        }),
        { maxLength: 30 },
      ),
      tailMs: fc.integer({ min: 1, max: 60_000 }),
      trailing: fc.nat({ max: 2 }),
    }),
    { minLength: 1, maxLength: 4 },
  )
  .map((windows) => {
    let seq = 1;
    let timeMs = 1_000;
    let consumed = 0;
    return windows.map((w, batchIndex) => {
      const windowStartMs = timeMs;
      const firstSeq = seq;
      const inputs: UserInput[] = w.events.map((e) => {
        timeMs += e.gapMs;
        consumed += e.consumedGap;
        const body = { ...e.body } as UserInputBody;
        return {
          seq: seq++,
          timeMs,
          networkConsumed: consumed,
          app: e.app,
          body,
          nondet: body.kind === "action" ? e.nondet.map((r) => ({ kind: r.kind, value: r.value })) : [],
        };
      });
      consumed += w.trailing;
      timeMs += w.tailMs;
      return {
        deviceId: "phone-1",
        batchNo: batchIndex + 1,
        firstSeq,
        windowStartMs,
        windowEndMs: timeMs,
        inputs,
        networkConsumed: consumed,
        storageDigest: new Uint8Array(32).fill(batchIndex),
        powerOff: batchIndex % 2 === 1,
      };
    });
  });

test("codec-window: frames built over the scratch view are the frames of encodeWindowBatch, and keep their bytes through later encodes", () => {
  fc.assert(
    fc.property(windowsArb, (batches) => {
      const window = new EventWindow();
      const kept: { frame: Uint8Array; expected: Uint8Array }[] = [];
      for (const batch of batches) {
        const { inputs: _inputs, ...fields } = batch;
        for (const input of batch.inputs) window.add(input);
        const expected = encodeFrame(batchFrame(encodeWindowBatch(fields, window)));
        const frame = encodeWindowBatchFrame(fields, window, {}, (b) => encodeFrame(batchFrame(b)));
        window.reset();
        assert.deepEqual(frame, expected);
        kept.push({ frame, expected });
        // another encode reuses the scratch the view pointed into
        encodeBatch(batches[0]!);
      }
      for (const { frame, expected } of kept) assert.deepEqual(frame, expected);
    }),
    { numRuns: 100, seed: 43 },
  );
});

test("codec-window: a window fed per input and reset per batch writes the bits of one pass over the inputs, and they decode to the inputs", () => {
  let compared = 0;
  fc.assert(
    fc.property(windowsArb, (batches) => {
      const window = new EventWindow();
      for (const batch of batches) {
        for (const input of batch.inputs) window.add(input);
        const { inputs: _inputs, ...fields } = batch;
        const fed = encodeWindowBatch(fields, window, { includeDeviceId: false });
        window.reset();
        const plain = encodeBatch(batch, { includeDeviceId: false });
        assert.deepEqual(fed, plain);
        const decoded = decodeBatch(fed);
        assert.ok(decoded.ok, decoded.ok ? "" : decoded.error.message);
        assert.deepEqual(decoded.value.inputs, batch.inputs);
        if (fed.codec === 1) {
          assert.deepEqual(fed.eventsPacked, referencePacked(batch));
          compared++;
        }
      }
    }),
    { numRuns: 200, seed: 41 },
  );
  assert.ok(compared > 100, `only ${compared} batches compared with the one-pass encoder`);
});

test("codec-window: after add() the window holds nothing of the input but large nondet arrays: changing the rest afterwards changes no bit", () => {
  const inputs = (): UserInput[] => [
    {
      seq: 3,
      timeMs: 120,
      networkConsumed: 1,
      app: "messaging",
      body: { kind: "tap", x: 40, y: 900 },
      nondet: [],
    },
    {
      seq: 4,
      timeMs: 180,
      networkConsumed: 1,
      app: "messaging",
      body: { kind: "key", code: 101 },
      nondet: [],
    },
    {
      seq: 5,
      timeMs: 250,
      networkConsumed: 2,
      app: "camera",
      body: { kind: "action", name: "shoot", args: ["mode=photo", "x-custom-arg"] },
      nondet: [
        { kind: "clock", value: u64ToBytes(253) },
        { kind: "camera", value: Uint8Array.from([1, 2, 3, 4, 5]) },
      ],
    },
  ];
  const fields = {
    deviceId: "p",
    batchNo: 2,
    firstSeq: 3,
    windowStartMs: 100,
    windowEndMs: 300,
    networkConsumed: 2,
    storageDigest: new Uint8Array(32),
    powerOff: false,
  };
  const window = new EventWindow();
  const added = inputs();
  for (const input of added) window.add(input);
  for (const input of added) {
    const body = input.body as { x?: number; y?: number; code?: number; args?: string[] };
    if (body.x !== undefined) body.x = 1;
    if (body.code !== undefined) body.code = 7;
    body.args?.splice(0, 2, "changed");
    for (const record of input.nondet) (record.value as Uint8Array).fill(9);
  }
  const expected = encodeBatch({ ...fields, inputs: inputs() });
  assert.deepEqual(encodeWindowBatch(fields, window), expected);
  assert.equal(window.count, 3);
  window.reset();
  assert.equal(window.count, 0);
  assert.equal(window.textBytes, 0);
});

test("codec-window: a tap or key with nondet records, or an app outside the list, is refused as a bug", () => {
  const window = new EventWindow();
  const tap: UserInputBody = { kind: "tap", x: 1, y: 1 };
  assert.throws(
    () =>
      window.add({
        seq: 1,
        timeMs: 1,
        networkConsumed: 0,
        app: "messaging",
        body: tap,
        nondet: [{ kind: "random", value: new Uint8Array(1) }],
      }),
    /no nondet/,
  );
  window.reset();
  const app = "no-such-app" as UserInput["app"];
  assert.throws(
    () => window.add({ seq: 1, timeMs: 1, networkConsumed: 0, app, body: tap, nondet: [] }),
    /unknown app/,
  );
});
