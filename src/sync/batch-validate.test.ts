import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { deflateSync, inflateSync } from "fflate";
import { batchArbitrary, type DrawnEvent } from "../../test/support/batch-arbitrary.ts";
import { SyncRig } from "../../test/support/sync-rig.ts";
import { limits } from "../core/limits.ts";
import { EventCodec, type SyncBatch } from "../gen/mirrorcell/v1/sync_pb.ts";
import { appNames, type NondetRecord, type UserInputBody } from "../platform/inputs.ts";
import { actionDictionary } from "./action-dictionary.ts";
import { decodeBatch, encodeBatch } from "./batch.ts";
import { summaryOf, validateBatchMessage } from "./batch-validate.ts";
import { BitWriter } from "./bits.ts";
import { batchFrame, decodeFrame, encodeFrame } from "./frame.ts";

type Outcome =
  | { ok: true; value: unknown }
  | { ok: false; code: string; message: string }
  | { threw: string };

function outcome(
  run: () => ReturnType<typeof decodeBatch> | ReturnType<typeof validateBatchMessage>,
): Outcome {
  let result: ReturnType<typeof run>;
  try {
    result = run();
  } catch (error) {
    return { threw: (error as Error).message };
  }
  if (!result.ok) return { ok: false, code: result.error.code, message: result.error.message };
  return { ok: true, value: "inputs" in result.value ? summaryOf(result.value) : result.value };
}

let accepted = 0;
let refused = 0;

/** The property: the validator accepts what decodeBatch accepts, else the same error; the same header facts. */
function assertSame(message: SyncBatch): void {
  const decoded = outcome(() => decodeBatch(message));
  const validated = outcome(() => validateBatchMessage(message));
  assert.deepEqual(validated, decoded);
  if ("ok" in decoded && decoded.ok) accepted++;
  else refused++;
}

/** The same through the wire: frame bytes in, the frame decoder first (protobuf-level damage). */
function assertSameWire(bytes: Uint8Array): void {
  const frame = decodeFrame(bytes);
  if (frame.ok && frame.value.body.case === "batch") assertSame(frame.value.body.value);
}

// Real batches: the SyncClient of a phone running the seeded workload (as in bench/codec-speed.ts).
function captureRealBatches(): SyncBatch[] {
  const out: SyncBatch[] = [];
  for (let i = 0; i < 3; i++) {
    const rig = new SyncRig(700 + i, { syncIntervalMs: 15_000, cameraBytes: 300 });
    rig.tapBatches((batch) => out.push(batch));
    rig.addPhone("phone-000001");
    for (let minute = 1; minute <= 20; minute++) rig.runWorkload("phone-000001", minute * 60_000);
    rig.settle("phone-000001");
  }
  return out;
}

const realBatches = captureRealBatches();

const bodyArb: fc.Arbitrary<UserInputBody> = fc.oneof(
  fc.record({ kind: fc.constant("tap" as const), x: fc.nat({ max: 4000 }), y: fc.nat({ max: 5000 }) }),
  fc.record({ kind: fc.constant("key" as const), code: fc.nat({ max: 70000 }) }),
  fc.record({
    kind: fc.constant("action" as const),
    name: fc.oneof(fc.constantFrom(...actionDictionary), fc.string({ minLength: 1, maxLength: 20 })),
    args: fc.array(
      fc.oneof(
        fc.constantFrom("peer=a", "to=b", "x".repeat(80), "é".repeat(40)),
        fc.string({ maxLength: 30 }),
        fc.string({ unit: "grapheme", maxLength: 8 }),
      ),
      { maxLength: 5 },
    ),
  }),
);

const nondetArb: fc.Arbitrary<NondetRecord[]> = fc.array(
  fc.record({
    kind: fc.constantFrom("clock" as const, "random" as const, "sensor" as const, "camera" as const),
    value: fc.oneof(fc.uint8Array({ maxLength: 40 }), fc.uint8Array({ minLength: 8, maxLength: 8 })),
  }),
  { maxLength: 3 },
);

/** Random inputs encoded by the real encodeBatch (text-heavy ones get deflated). */
const eventArb: fc.Arbitrary<DrawnEvent> = fc
  .record({
    gapMs: fc.oneof(fc.nat({ max: 5000 }), fc.nat({ max: 2 ** 31 })),
    consumedGap: fc.oneof(fc.constant(0), fc.nat({ max: 3 })),
    app: fc.constantFrom(...appNames),
    body: bodyArb,
    nondet: nondetArb,
  })
  .map((e) => {
    const body = { ...e.body } as UserInputBody;
    return { ...e, body, nondet: body.kind === "action" ? e.nondet : [] };
  });
const batchArb = batchArbitrary(eventArb, { consumedStartMax: 100, eventsMax: 40 });

/** Strings from a pool larger than the recent-strings table: references at every index, evictions. */
const stringPool = Array.from({ length: 40 }, (_, i) => `arg-${i}`);
const stringHeavyArb: fc.Arbitrary<SyncBatch> = fc
  .array(fc.array(fc.constantFrom(...stringPool), { minLength: 1, maxLength: 8 }), {
    minLength: 1,
    maxLength: 30,
  })
  .map((argLists) =>
    encodeBatch({
      deviceId: "phone-1",
      batchNo: 1,
      firstSeq: 1,
      windowStartMs: 0,
      windowEndMs: argLists.length + 1,
      inputs: argLists.map((args, i) => ({
        seq: 1 + i,
        timeMs: i,
        networkConsumed: 0,
        app: "messaging",
        body: { kind: "action", name: args[0]!, args },
        nondet: [],
      })),
      networkConsumed: 0,
      storageDigest: new Uint8Array(32),
      powerOff: false,
    }),
  );

const messageArb: fc.Arbitrary<SyncBatch> = fc.oneof(
  fc.constantFrom(...realBatches),
  batchArb.map((b) => encodeBatch(b)),
  stringHeavyArb,
);

/** The packed stream as the codec reads it (inflated when deflated; damaged DEFLATE as it is). */
function rawPacked(message: SyncBatch): Uint8Array {
  if (message.codec !== EventCodec.COMPACT_DEFLATE) return message.eventsPacked;
  try {
    return inflateSync(message.eventsPacked);
  } catch {
    return message.eventsPacked;
  }
}

function withPacked(message: SyncBatch, packed: Uint8Array, deflate: boolean): SyncBatch {
  return deflate
    ? { ...message, codec: EventCodec.COMPACT_DEFLATE, eventsPacked: deflateSync(packed) }
    : { ...message, codec: EventCodec.COMPACT, eventsPacked: packed };
}

type Mutation = (message: SyncBatch, other: SyncBatch) => SyncBatch;

const bitFlips = fc.array(fc.nat(), { minLength: 1, maxLength: 3 });
const huge = fc.constantFrom(0n, 1n, 2n ** 53n - 1n, 2n ** 53n, 2n ** 63n - 1n, 2n ** 64n - 1n);

/** Damage at every level: packed bits, the deflated bytes, the message's fields. */
const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  fc.tuple(bitFlips, fc.boolean()).map(
    ([flips, deflate]): Mutation =>
      (m) => {
        const packed = rawPacked(m).slice();
        if (packed.length === 0) return m;
        for (const flip of flips) packed[(flip >>> 3) % packed.length]! ^= 1 << (flip & 7);
        return withPacked(m, packed, deflate);
      },
  ),
  fc.tuple(fc.nat(), fc.boolean()).map(
    ([cut, deflate]): Mutation =>
      (m) => {
        const packed = rawPacked(m);
        return withPacked(m, packed.subarray(0, cut % (packed.length + 1)), deflate);
      },
  ),
  fc.tuple(fc.nat(), fc.nat(), fc.boolean()).map(
    ([at, from, deflate]): Mutation =>
      (m, other) => {
        const head = rawPacked(m);
        const tail = rawPacked(other);
        const a = at % (head.length + 1);
        const b = from % (tail.length + 1);
        const spliced = new Uint8Array(a + tail.length - b);
        spliced.set(head.subarray(0, a));
        spliced.set(tail.subarray(b), a);
        return withPacked(m, spliced, deflate);
      },
  ),
  fc.tuple(fc.uint8Array({ maxLength: 64 }), fc.boolean()).map(
    ([bytes, deflate]): Mutation =>
      (m) =>
        withPacked(m, bytes, deflate),
  ),
  fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 4 }), fc.boolean()).map(
    ([extra, deflate]): Mutation =>
      (m) => {
        const packed = rawPacked(m);
        const longer = new Uint8Array(packed.length + extra.length);
        longer.set(packed);
        longer.set(extra, packed.length);
        return withPacked(m, longer, deflate);
      },
  ),
  fc.tuple(fc.nat(), fc.nat({ max: 255 })).map(
    ([at, byte]): Mutation =>
      (m) => {
        // The deflated bytes themselves (a broken or truncated DEFLATE stream).
        const bytes = m.eventsPacked.slice();
        if (bytes.length > 0) bytes[at % bytes.length] = byte;
        return { ...m, eventsPacked: bytes };
      },
  ),
  fc.integer({ min: -1, max: 5 }).map(
    (codec): Mutation =>
      (m) => ({ ...m, codec }),
  ),
  huge.map(
    (firstSeq): Mutation =>
      (m) => ({ ...m, firstSeq }),
  ),
  huge.map(
    (windowStartMs): Mutation =>
      (m) => ({ ...m, windowStartMs }),
  ),
  fc.oneof(huge, fc.bigInt({ min: 0n, max: 200n })).map(
    (networkConsumed): Mutation =>
      (m) => ({ ...m, networkConsumed }),
  ),
  fc.nat({ max: 40 }).map(
    (length): Mutation =>
      (m) => ({ ...m, storageDigest: new Uint8Array(length) }),
  ),
  fc.nat({ max: 70 }).map(
    (length): Mutation =>
      (m) => ({ ...m, deviceId: "d".repeat(length) }),
  ),
  fc.constant<Mutation>((m) => ({ ...m, events: [{} as never] })),
);

const actionSymbolBase = 2 * appNames.length;
/** Mostly the honest value (null), sometimes one at a limit. */
function sometimes<T>(arb: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: arb });
}
const edgeCount = fc.constantFrom(0, 1, 2, 3, 16, 17, 63, 64, 65, 100_000, 100_001, 2 ** 40);

/** One action event's fields, mostly honest, some at or past the decoder's limits. */
const craftedFieldsArb = fc.record({
  windowStartMs: fc.constantFrom(0, 5, 1_000_000, 2 ** 52),
  nameIndex: fc.constantFrom(0, actionDictionary.length - 1, actionDictionary.length),
  name: fc.uint8Array({ maxLength: 70 }),
  nameLength: sometimes(edgeCount),
  args: fc.array(
    fc.oneof(
      fc.record({
        ref: fc.constant(true as const),
        index: fc.nat({ max: 20 }),
        range: fc.integer({ min: 1, max: 20 }),
      }),
      fc.record({
        ref: fc.constant(false as const),
        bytes: fc.uint8Array({ maxLength: 90 }),
        length: sometimes(edgeCount),
      }),
    ),
    { maxLength: 4 },
  ),
  argCount: sometimes(edgeCount),
  records: fc.array(
    fc.record({
      kind: fc.nat({ max: 3 }),
      delta: fc.boolean(),
      zigzag: fc.constantFrom(0, 1, 2, 11, 2 ** 40 + 1, 2 ** 50, 2 ** 50 + 1),
      bytes: fc.uint8Array({ maxLength: 20 }),
      length: sometimes(
        fc.constantFrom(0, 19, 100, limits.nondetValueBytesMax, limits.nondetValueBytesMax + 1),
      ),
    }),
    { maxLength: 3 },
  ),
  recordCount: sometimes(edgeCount),
  hasNondet: fc.oneof(fc.constant(true), fc.boolean()),
  tailBits: fc.nat({ max: 12 }),
  deflate: fc.boolean(),
});
type Crafted = typeof craftedFieldsArb extends fc.Arbitrary<infer T> ? T : never;

/** The action's name and arguments as writeBody would write them, with the crafted lengths and counts. */
function writeCraftedAction(w: BitWriter, c: Crafted): void {
  w.writeTruncated(c.nameIndex, actionDictionary.length + 1);
  if (c.nameIndex === actionDictionary.length) {
    w.writeBit(false);
    w.writeExpGolomb(c.nameLength ?? c.name.length, 3);
    w.writeBytes(c.name);
  }
  w.writeExpGolomb(c.argCount ?? c.args.length, 0);
  for (const arg of c.args) {
    w.writeBit(arg.ref);
    if (arg.ref) w.writeTruncated(arg.index % arg.range, arg.range);
    else {
      w.writeExpGolomb(arg.length ?? arg.bytes.length, 3);
      w.writeBytes(arg.bytes);
    }
  }
}

/** The nondet records as writeNondet would write them, with the crafted count, lengths and clock deltas. */
function writeCraftedNondet(w: BitWriter, c: Crafted): void {
  w.writeBit(c.hasNondet);
  if (!c.hasNondet) return;
  w.writeExpGolomb(Math.max(0, (c.recordCount ?? c.records.length) - 1), 0);
  for (const record of c.records) {
    w.writeBits(record.kind, 2);
    if (record.kind === 0) w.writeBit(record.delta);
    if (record.kind === 0 && record.delta) w.writeExpGolomb(record.zigzag, 2);
    else {
      w.writeExpGolomb(record.length ?? record.bytes.length, 3);
      w.writeBytes(record.bytes);
    }
  }
}

/** One action event written by hand around the decoder's limits (names, args, nondet records). */
const craftedArb: fc.Arbitrary<SyncBatch> = craftedFieldsArb.map((c) => {
  const w = new BitWriter();
  w.writeExpGolomb(1, 0); // batchNo
  w.writeBit(false);
  w.writeExpGolomb(1000, 12);
  w.writeExpGolomb(1, 0); // one event
  w.writeBits(0, 5); // time order
  for (const k of [8, 8, 6]) w.writeExpGolomb(0, k); // no tap or key ranges
  w.writeExpGolomb(0, 0); // trailing network inputs
  w.writeExpGolomb(0, 0); // no steps
  w.writeBits(0, 1); // time delta 0
  w.writeTruncated(actionSymbolBase, 3 * appNames.length);
  writeCraftedAction(w, c);
  writeCraftedNondet(w, c);
  w.writeBits(0, c.tailBits);
  const message = encodeBatch({
    deviceId: "phone-1",
    batchNo: 1,
    firstSeq: 1,
    windowStartMs: c.windowStartMs,
    windowEndMs: c.windowStartMs + 1000,
    inputs: [],
    networkConsumed: 0,
    storageDigest: new Uint8Array(32),
    powerOff: false,
  });
  return withPacked(message, w.finish(), c.deflate);
});

/** Random Exp-Golomb / bit fields with values at the limits: varints too long, huge counts, bad orders. */
const fieldStreamArb: fc.Arbitrary<SyncBatch> = fc
  .tuple(
    fc.array(
      fc.oneof(
        fc.record({ k: fc.nat({ max: 12 }), value: fc.oneof(edgeCount, fc.nat({ max: 40 })) }),
        fc.record({ bits: fc.integer({ min: 1, max: 32 }), value: fc.nat() }),
        fc.record({ zeros: fc.integer({ min: 30, max: 70 }) }),
      ),
      { maxLength: 30 },
    ),
    messageArb,
    fc.boolean(),
  )
  .map(([fields, base, deflate]) => {
    const w = new BitWriter();
    for (const field of fields) {
      if ("zeros" in field) for (let i = 0; i < field.zeros; i++) w.writeBit(false);
      else if ("k" in field) w.writeExpGolomb(field.value, field.k);
      else w.writeBits(field.value % 2 ** field.bits, field.bits);
    }
    return withPacked(base, w.finish(), deflate);
  });

test("batch-validate: hand-written streams around the limits get the decoder's outcome", () => {
  fc.assert(
    fc.property(fc.oneof(craftedArb, fieldStreamArb), (message) => {
      assertSame(message);
    }),
    { numRuns: 3000 },
  );
});

test("batch-validate: the validator accepts exactly what decodeBatch accepts, with the same error and header facts", () => {
  assert.ok(realBatches.length > 50, "the workload produced batches");
  assert.ok(
    realBatches.some((m) => m.codec === EventCodec.COMPACT_DEFLATE) ||
      realBatches.every((m) => m.codec === EventCodec.COMPACT),
    "real batches use the compact codecs",
  );
  for (const message of realBatches) {
    const validated = validateBatchMessage(message);
    assert.ok(validated.ok, validated.ok ? "" : validated.error.message);
  }
  fc.assert(
    fc.property(
      messageArb,
      messageArb,
      fc.array(mutationArb, { maxLength: 3 }),
      (message, other, mutations) => {
        assertSame(message);
        let mutated = message;
        for (const mutate of mutations) {
          mutated = mutate(mutated, other);
          assertSame(mutated);
        }
      },
    ),
    { numRuns: 3000 },
  );
  assert.ok(
    accepted > 1000 && refused > 1000,
    `both outcomes exercised: ${accepted} accepted, ${refused} refused`,
  );
});

test("batch-validate: damaged wire frames give the same outcome through the frame decoder", () => {
  fc.assert(
    fc.property(
      messageArb,
      fc.array(fc.nat(), { minLength: 1, maxLength: 4 }),
      fc.nat(),
      (message, flips, cut) => {
        const bytes = encodeFrame(batchFrame(message));
        assertSameWire(bytes);
        const flipped = bytes.slice();
        for (const flip of flips) flipped[(flip >>> 3) % flipped.length]! ^= 1 << (flip & 7);
        assertSameWire(flipped);
        assertSameWire(bytes.subarray(0, cut % (bytes.length + 1)));
      },
    ),
    { numRuns: 1500 },
  );
});
