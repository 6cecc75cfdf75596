import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { BitReader, BitWriter } from "./bits.ts";

type Op = { kind: "bits"; value: number; count: number } | { kind: "bytes"; data: Uint8Array };

const op: fc.Arbitrary<Op> = fc.oneof(
  fc.integer({ min: 1, max: 32 }).chain((count) =>
    fc.record({
      kind: fc.constant("bits" as const),
      value: fc.integer({ min: 0, max: 2 ** count - 1 }),
      count: fc.constant(count),
    }),
  ),
  fc.record({ kind: fc.constant("bytes" as const), data: fc.uint8Array({ maxLength: 40 }) }),
);

test("bits: byte runs at any bit offset read back exactly, between fields of any width", () => {
  fc.assert(
    fc.property(fc.array(op, { maxLength: 30 }), (ops) => {
      const w = new BitWriter(1);
      for (const o of ops) {
        if (o.kind === "bits") w.writeBits(o.value, o.count);
        else w.writeBytes(o.data);
      }
      const r = new BitReader(w.finish());
      for (const o of ops) {
        if (o.kind === "bits") assert.equal(r.readBits(o.count), o.value);
        else assert.deepEqual(r.readBytes(o.data.length), o.data);
      }
      assert.ok(r.atPaddedEnd());
    }),
    { numRuns: 500 },
  );
});

test("bits: an unaligned byte run that runs past the end is a truncation, not garbage", () => {
  const w = new BitWriter();
  w.writeBits(1, 3);
  w.writeBytes(Uint8Array.of(1, 2, 3));
  const bytes = w.finish();
  const r = new BitReader(bytes.subarray(0, 3));
  r.readBits(3);
  assert.throws(() => r.readBytes(3), /truncated/);
});

/** The wire format's definition, one bit at a time: what the word-wise writer must match. */
class ReferenceBits {
  readonly bits: number[] = [];
  push(value: number, count: number): void {
    for (let i = count - 1; i >= 0; i--) this.bits.push(Math.floor(value / 2 ** i) % 2);
  }
  expGolomb(value: number, k: number): void {
    const shifted = value + 2 ** k;
    const width = shifted.toString(2).length;
    this.push(0, width - k - 1);
    this.push(shifted, width);
  }
  truncated(value: number, range: number): void {
    if (range === 1) return;
    const k = (range - 1).toString(2).length;
    const short = 2 ** k - range;
    if (value < short) this.push(value, k - 1);
    else this.push(value + short, k);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(Math.ceil(this.bits.length / 8));
    for (const [i, bit] of this.bits.entries()) if (bit) out[i >> 3]! |= 0x80 >> (i & 7);
    return out;
  }
}

type Field =
  | { kind: "bits"; value: number; count: number }
  | { kind: "ones"; count: number }
  | { kind: "expGolomb"; value: number; k: number }
  | { kind: "truncated"; value: number; range: number }
  | { kind: "bytes"; data: Uint8Array };

const field: fc.Arbitrary<Field> = fc.oneof(
  op,
  fc.record({ kind: fc.constant("ones" as const), count: fc.nat({ max: 40 }) }),
  fc.record({
    kind: fc.constant("expGolomb" as const),
    value: fc.oneof(fc.nat({ max: 300 }), fc.nat({ max: 2 ** 45 })),
    k: fc.nat({ max: 20 }),
  }),
  fc
    .tuple(fc.nat({ max: 2 ** 40 }), fc.integer({ min: 1, max: 2 ** 33 }))
    .map(([value, range]) => ({ kind: "truncated" as const, value: value % range, range })),
);

function readField(r: BitReader, f: Field): unknown {
  if (f.kind === "bits") return r.readBits(f.count);
  if (f.kind === "bytes") return r.readBytes(f.data.length);
  if (f.kind === "expGolomb") return r.readExpGolomb(f.k);
  if (f.kind === "truncated") return r.readTruncated(f.range);
  let ones = 0;
  while (ones < f.count) ones += r.readOnes(Math.min(31, f.count - ones));
  return ones;
}

test("bits: the word-wise writer emits exactly the bit-by-bit wire format, and reads it back", () => {
  fc.assert(
    fc.property(fc.array(field, { maxLength: 40 }), (fields) => {
      const w = new BitWriter(1);
      const reference = new ReferenceBits();
      for (const f of fields) {
        if (f.kind === "bits") {
          w.writeBits(f.value, f.count);
          reference.push(f.value, f.count);
        } else if (f.kind === "ones") {
          w.writeOnes(f.count);
          reference.push(2 ** f.count - 1, f.count);
        } else if (f.kind === "expGolomb") {
          w.writeExpGolomb(f.value, f.k);
          reference.expGolomb(f.value, f.k);
        } else if (f.kind === "truncated") {
          w.writeTruncated(f.value, f.range);
          reference.truncated(f.value, f.range);
        } else {
          w.writeBytes(f.data);
          for (const b of f.data) reference.push(b, 8);
        }
      }
      const bytes = w.finish();
      assert.deepEqual(bytes, reference.bytes());
      const r = new BitReader(bytes);
      for (const f of fields) {
        const expected =
          f.kind === "bytes" ? f.data : f.kind === "ones" ? f.count : f.kind === "bits" ? f.value : f.value;
        assert.deepEqual(readField(r, f), expected);
      }
      assert.ok(r.atPaddedEnd());
    }),
    { numRuns: 500 },
  );
});

test("bits: a run of ones stops at its limit, and a run cut by the end is a truncation", () => {
  const w = new BitWriter();
  w.writeOnes(20);
  w.writeBit(false);
  w.writeOnes(3);
  const r = new BitReader(w.finish()); // exactly 24 bits: no padding after the last ones
  assert.equal(r.readOnes(16), 16);
  assert.equal(r.readOnes(16), 4);
  assert.throws(() => r.readOnes(16), /truncated/);
  const padded = new BitReader(Uint8Array.of(0xe0)); // three ones, then padding zeros
  assert.equal(padded.readOnes(16), 3);
  assert.ok(padded.atPaddedEnd());
});

test("bits: an Exp-Golomb prefix longer than a safe integer is garbage, not a huge number", () => {
  assert.throws(() => new BitReader(new Uint8Array(8)).readExpGolomb(0), /prefix too long/);
  // 32 zeros and the marker bit, but the 32 value bits after it are missing.
  assert.throws(() => new BitReader(Uint8Array.of(0, 0, 0, 0, 0x80)).readExpGolomb(0), /truncated/);
});

test("bits: segments written byte-aligned in one writer and copied into another give the bits written there directly", () => {
  fc.assert(
    fc.property(
      fc.array(fc.array(op, { maxLength: 6 }), { maxLength: 12 }),
      fc.nat({ max: 31 }),
      (segments, lead) => {
        const direct = new BitWriter(1);
        const store = new BitWriter(1);
        const lengths: number[] = [];
        direct.writeBits(0, lead);
        for (const ops of segments) {
          const start = store.lengthBits;
          for (const o of ops) {
            if (o.kind === "bits") {
              direct.writeBits(o.value, o.count);
              store.writeBits(o.value, o.count);
            } else {
              direct.writeBytes(o.data);
              store.writeBytes(o.data);
            }
          }
          lengths.push(store.lengthBits - start);
          store.alignToByte();
          assert.equal(store.lengthBits % 8, 0);
        }
        const copied = new BitWriter(1);
        copied.writeBits(0, lead);
        const view = store.alignedView();
        let at = 0;
        for (const bits of lengths) {
          copied.writeAlignedBits(view, at, bits);
          at += Math.ceil(bits / 8);
        }
        assert.equal(at, view.length);
        assert.deepEqual(copied.finish(), direct.finish());
      },
    ),
    { numRuns: 400, seed: 7 },
  );
});

test("bits: a byte range is written like the subarray it names, at any bit offset", () => {
  const data = Uint8Array.from({ length: 90 }, (_, i) => (i * 37 + 11) & 0xff);
  for (const lead of [0, 3, 8]) {
    for (const [start, end] of [
      [0, 0],
      [5, 9],
      [0, 90],
      [10, 80],
    ] as const) {
      const a = new BitWriter(1);
      const b = new BitWriter(1);
      a.writeBits(2 ** lead - 1, lead);
      b.writeBits(2 ** lead - 1, lead);
      a.writeByteRange(data, start, end);
      b.writeBytes(data.slice(start, end));
      assert.deepEqual(a.finish(), b.finish(), `lead ${lead}, [${start}, ${end})`);
    }
  }
  assert.throws(() => new BitWriter().writeByteRange(data, 5, 91), /outside/);
});

/** The reader's definition, one bit at a time over the bytes (zeros are never read past the end). */
class ReferenceReader {
  private position = 0;
  constructor(private readonly bytes: Uint8Array) {}
  private get remaining(): number {
    return this.bytes.length * 8 - this.position;
  }
  private bitAt(i: number): number {
    return i < this.bytes.length * 8 ? (this.bytes[i >> 3]! >> (7 - (i & 7))) & 1 : 0;
  }
  private take(count: number): number {
    if (count > this.remaining) throw new Error("bit stream truncated");
    let value = 0;
    for (let i = 0; i < count; i++) value = value * 2 + this.bitAt(this.position++);
    return value;
  }
  readBits(count: number): number {
    return this.take(count);
  }
  get at(): number {
    return this.position;
  }
  readExpGolomb(k: number): number {
    let zeros = 0;
    let windowZero = true;
    for (let i = 0; i < 32; i++) if (this.bitAt(this.position + i) === 1) windowZero = false;
    if (!windowZero) while (this.bitAt(this.position + zeros) === 0) zeros++;
    // 32 zero bits ahead: counted one by one up to 53, and the end of the stream is a truncation.
    for (; windowZero && zeros < 53; zeros++) {
      if (this.position + zeros >= this.bytes.length * 8) throw new Error("bit stream truncated");
      if (this.bitAt(this.position + zeros) === 1) break;
    }
    if (zeros + k >= 53) throw new Error("exp-golomb prefix too long");
    return this.take(2 * zeros + k + 1) - 2 ** k;
  }
  readTruncated(range: number): number {
    if (range === 1) return 0;
    const k = (range - 1).toString(2).length;
    const short = 2 ** k - range;
    const head = this.take(k - 1);
    return head < short ? head : head * 2 + this.take(1) - short;
  }
  readOnes(max: number): number {
    let ones = 0;
    while (ones < max && this.bitAt(this.position + ones) === 1) ones++;
    this.take(ones < max ? ones + 1 : ones);
    return ones;
  }
  readBytes(length: number): Uint8Array {
    if (length * 8 > this.remaining) throw new Error("bit stream truncated");
    return Uint8Array.from({ length }, () => this.take(8));
  }
  atPaddedEnd(): boolean {
    return this.remaining < 8 && this.take(this.remaining) === 0;
  }
}

type ReadOp =
  | { kind: "bits"; count: number }
  | { kind: "expGolomb"; k: number }
  | { kind: "truncated"; range: number }
  | { kind: "ones"; max: number }
  | { kind: "bytes"; length: number }
  | { kind: "rewind" };

const readOp: fc.Arbitrary<ReadOp> = fc.oneof(
  fc.record({ kind: fc.constant("bits" as const), count: fc.nat({ max: 53 }) }),
  fc.record({ kind: fc.constant("expGolomb" as const), k: fc.nat({ max: 30 }) }),
  fc.record({
    kind: fc.constant("truncated" as const),
    range: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 2 ** 34 })),
  }),
  fc.record({ kind: fc.constant("ones" as const), max: fc.nat({ max: 31 }) }),
  fc.record({ kind: fc.constant("bytes" as const), length: fc.nat({ max: 12 }) }),
  fc.constant({ kind: "rewind" as const }),
);

function outcome(read: () => unknown): unknown {
  try {
    return read();
  } catch (error) {
    return `threw ${(error as Error).message}`;
  }
}

test("bits: the cached-window reader returns what a bit-by-bit reader does and fails where it fails, on any bytes", () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.uint8Array({ maxLength: 24 }),
        fc.uint8Array({ minLength: 1, maxLength: 24 }).map((b) => b.fill(0, 1)),
      ),
      fc.array(readOp, { maxLength: 30 }),
      (bytes, ops) => {
        const r = new BitReader(bytes);
        let reference = new ReferenceReader(bytes);
        const marks: number[] = [];
        let replayed: ReadOp[] = [];
        for (const op of ops) {
          if (op.kind === "rewind") {
            // Back to an earlier mark: the reference replays the reads up to it.
            if (marks.length === 0) continue;
            const back = marks.length >> 1;
            r.rewind(marks[back]!);
            reference = new ReferenceReader(bytes);
            replayed = replayed.slice(0, back);
            for (const earlier of replayed) readWith(reference, earlier);
            marks.length = back;
            continue;
          }
          marks.push(r.mark());
          replayed.push(op);
          const got = outcome(() => readWith(r, op));
          const want = outcome(() => readWith(reference, op));
          assert.deepEqual(got, want, `${JSON.stringify(op)} at bit ${marks[marks.length - 1]}`);
          if (typeof want === "string") return;
          assert.equal(r.mark(), reference.at, `position after ${JSON.stringify(op)}`);
          assert.equal(r.remainingBits, bytes.length * 8 - reference.at);
        }
        assert.equal(r.atPaddedEnd(), reference.atPaddedEnd());
      },
    ),
    { numRuns: 2000, seed: 10 },
  );
});

function readWith(r: BitReader | ReferenceReader, op: ReadOp): unknown {
  if (op.kind === "bits") return r.readBits(op.count);
  if (op.kind === "expGolomb") return r.readExpGolomb(op.k);
  if (op.kind === "truncated") return r.readTruncated(op.range);
  if (op.kind === "ones") return r.readOnes(op.max);
  if (op.kind === "bytes") return r.readBytes(op.length);
  return undefined;
}

test("bits: long byte runs (a word at a time when unaligned) at any bit offset and slice give the bit-by-bit format and read back", () => {
  fc.assert(
    fc.property(
      fc.nat({ max: 7 }),
      fc.uint8Array({ minLength: 60, maxLength: 300 }),
      fc.nat({ max: 9 }),
      (lead, data, cut) => {
        const w = new BitWriter(1);
        const reference = new ReferenceBits();
        w.writeBits(2 ** lead - 1, lead);
        reference.push(2 ** lead - 1, lead);
        w.writeByteRange(data, cut, data.length);
        for (const b of data.subarray(cut)) reference.push(b, 8);
        w.writeBits(5, 3);
        reference.push(5, 3);
        const bytes = w.finish();
        assert.deepEqual(bytes, reference.bytes());
        const r = new BitReader(bytes);
        assert.equal(r.readBits(lead), 2 ** lead - 1);
        assert.deepEqual(r.readBytes(data.length - cut), data.slice(cut));
        assert.equal(r.readBits(3), 5);
        assert.ok(r.atPaddedEnd());
      },
    ),
    { numRuns: 300, seed: 10 },
  );
});
