// Compact encoding of one batch's user inputs (paper §3.3.2: the phone sends
// its inputs in batches; DESIGN.md "Sync protocol": a few bytes per event).
// A bit stream: Rice-coded time deltas with a per-batch parameter, (kind,
// app) symbols with a repeat bit, taps in truncated binary over the batch's
// observed range, keys in a fixed Huffman code (key-code.ts), action names
// from a static dictionary, string arguments with a small recent-strings
// table, the events where networkConsumed steps up listed once per batch,
// nondeterminism records (actions only) as raw bytes, clock reads as deltas.
import { assert } from "../core/assert.ts";
import { fromUtf8, u64FromBytes, u64ToBytes, utf8 } from "../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import {
  type AppName,
  appNames,
  type NondetKind,
  type NondetRecord,
  type UserInput,
  type UserInputBody,
} from "../platform/inputs.ts";
import { actionDictionary, actionIndex } from "./action-dictionary.ts";
import { type BitReader, BitsExhausted, type BitWriter, expGolombBits } from "./bits.ts";
import { readKey, writeKey } from "./key-code.ts";

/** What the decoder needs besides the bytes: fields carried by the batch. */
export interface EventContext {
  firstSeq: number;
  windowStartMs: number;
  /** Network inputs the phone had consumed at the end of the batch. */
  networkConsumedEnd: number;
}

const bodyKinds = ["tap", "key", "action"] as const;
const symbolCount = bodyKinds.length * appNames.length;
const nondetKinds: readonly NondetKind[] = ["clock", "random", "sensor", "camera"];
const timeOrderMax = 24;
const recentStringsMax = 16;
const appIndex = new Map<AppName, number>(appNames.map((name, index) => [name, index]));

class CodecError extends Error {
  override name = "CodecError";
}

function symbolOf(input: UserInput): number {
  const app = appIndex.get(input.app);
  assert(app !== undefined, `unknown app ${input.app}`);
  return bodyKinds.indexOf(input.body.kind) * appNames.length + app;
}

// Time deltas are near-exponential (Poisson arrivals), for which a Rice code
// (unary quotient + k low bits) is within a few percent of the entropy; long
// pauses escape to Exp-Golomb after riceQuotientMax.
const riceQuotientMax = 16;

function riceBits(value: number, k: number): number {
  const q = Math.floor(value / 2 ** k);
  if (q < riceQuotientMax) return q + 1 + k;
  return riceQuotientMax + expGolombBits(value - riceQuotientMax * 2 ** k, k);
}

function writeRice(w: BitWriter, value: number, k: number): void {
  const q = Math.floor(value / 2 ** k);
  if (q < riceQuotientMax) {
    for (let i = 0; i < q; i++) w.writeBit(true);
    w.writeBit(false);
    w.writeBits(value - q * 2 ** k, k);
    return;
  }
  for (let i = 0; i < riceQuotientMax; i++) w.writeBit(true);
  w.writeExpGolomb(value - riceQuotientMax * 2 ** k, k);
}

function readRice(r: BitReader, k: number): number {
  let q = 0;
  while (q < riceQuotientMax && r.readBit()) q++;
  if (q === riceQuotientMax) return r.readExpGolomb(k) + riceQuotientMax * 2 ** k;
  return q * 2 ** k + r.readBits(k);
}

function chooseTimeOrder(inputs: readonly UserInput[], windowStartMs: number): number {
  let best = 0;
  let bestBits = Number.POSITIVE_INFINITY;
  for (let k = 0; k <= timeOrderMax; k++) {
    let bits = 0;
    let previous = windowStartMs;
    for (const input of inputs) {
      bits += riceBits(input.timeMs - previous, k);
      previous = input.timeMs;
    }
    if (bits < bestBits) {
      best = k;
      bestBits = bits;
    }
  }
  return best;
}

interface Ranges {
  xRange: number;
  yRange: number;
  keyRange: number;
}

function rangesOf(inputs: readonly UserInput[]): Ranges {
  const ranges = { xRange: 0, yRange: 0, keyRange: 0 };
  for (const { body } of inputs) {
    if (body.kind === "tap") {
      ranges.xRange = Math.max(ranges.xRange, body.x + 1);
      ranges.yRange = Math.max(ranges.yRange, body.y + 1);
    } else if (body.kind === "key") {
      ranges.keyRange = Math.max(ranges.keyRange, body.code + 1);
    }
  }
  return ranges;
}

/** A recent-strings table shared by encoder and decoder (move to front). */
class RecentStrings {
  private readonly items: string[] = [];
  indexOf(text: string): number {
    return this.items.indexOf(text);
  }
  get size(): number {
    return this.items.length;
  }
  at(index: number): string {
    const item = this.items[index];
    if (item === undefined) throw new CodecError(`recent string ${index} out of range`);
    return item;
  }
  use(text: string, index: number): void {
    if (index >= 0) this.items.splice(index, 1);
    this.items.unshift(text);
    if (this.items.length > recentStringsMax) this.items.pop();
  }
}

function writeString(w: BitWriter, recent: RecentStrings, text: string): void {
  const index = recent.indexOf(text);
  w.writeBit(index >= 0);
  if (index >= 0) w.writeTruncated(index, recent.size);
  else {
    const bytes = utf8(text);
    w.writeExpGolomb(bytes.length, 3);
    w.writeBytes(bytes);
  }
  recent.use(text, index);
}

function readString(r: BitReader, recent: RecentStrings, bytesMax: number): string {
  let text: string;
  let index = -1;
  if (r.readBit()) {
    if (recent.size === 0) throw new CodecError("recent-string reference with an empty table");
    index = r.readTruncated(recent.size);
    text = recent.at(index);
  } else {
    const length = r.readExpGolomb(3);
    if (length > bytesMax) throw new CodecError(`string of ${length} bytes exceeds ${bytesMax}`);
    const decoded = fromUtf8(r.readBytes(length));
    if (decoded === undefined) throw new CodecError("string is not valid UTF-8");
    text = decoded;
  }
  recent.use(text, index);
  return text;
}

function writeBody(w: BitWriter, body: UserInputBody, ranges: Ranges, recent: RecentStrings): void {
  if (body.kind === "tap") {
    w.writeTruncated(body.x, ranges.xRange);
    w.writeTruncated(body.y, ranges.yRange);
  } else if (body.kind === "key") {
    writeKey(w, body.code, ranges.keyRange);
  } else {
    const index = actionIndex(body.name);
    w.writeTruncated(index ?? actionDictionary.length, actionDictionary.length + 1);
    if (index === undefined) writeString(w, recent, body.name);
    w.writeExpGolomb(body.args.length, 0);
    for (const arg of body.args) writeString(w, recent, arg);
  }
}

function readBody(r: BitReader, kind: (typeof bodyKinds)[number], ranges: Ranges, recent: RecentStrings) {
  if (kind === "tap") {
    if (ranges.xRange === 0 || ranges.yRange === 0) throw new CodecError("tap without a tap range");
    return { kind, x: r.readTruncated(ranges.xRange), y: r.readTruncated(ranges.yRange) } as const;
  }
  if (kind === "key") {
    if (ranges.keyRange === 0) throw new CodecError("key without a key range");
    return { kind, code: readKey(r, ranges.keyRange) } as const;
  }
  const index = r.readTruncated(actionDictionary.length + 1);
  const name = actionDictionary[index] ?? readString(r, recent, limits.actionNameBytesMax);
  const argCount = r.readExpGolomb(0);
  if (argCount > limits.actionArgsMax)
    throw new CodecError(`${argCount} args exceed ${limits.actionArgsMax}`);
  const args: string[] = [];
  for (let i = 0; i < argCount; i++) args.push(readString(r, recent, limits.actionArgBytesMax));
  return { kind, name, args } as const;
}

// Clock reads are 8-byte big-endian milliseconds (src/platform/nondet.ts) and
// sit within a few ms of the input's own time: send the signed difference.
function writeNondet(w: BitWriter, records: readonly NondetRecord[], timeMs: number): void {
  w.writeBit(records.length > 0);
  if (records.length === 0) return;
  w.writeExpGolomb(records.length - 1, 0);
  for (const record of records) {
    w.writeBits(nondetKinds.indexOf(record.kind), 2);
    const clock = record.kind === "clock" ? u64FromBytes(record.value) : undefined;
    if (record.kind === "clock") w.writeBit(clock !== undefined);
    if (clock !== undefined) {
      const delta = clock - timeMs;
      w.writeExpGolomb(delta >= 0 ? delta * 2 : -delta * 2 - 1, 2);
      continue;
    }
    w.writeExpGolomb(record.value.length, 3);
    w.writeBytes(record.value);
  }
}

function readNondet(r: BitReader, timeMs: number): NondetRecord[] {
  if (!r.readBit()) return [];
  const count = r.readExpGolomb(0) + 1;
  if (count > limits.nondetRecordsPerInputMax) {
    throw new CodecError(`${count} nondet records exceed ${limits.nondetRecordsPerInputMax}`);
  }
  const records: NondetRecord[] = [];
  for (let i = 0; i < count; i++) {
    const kind = nondetKinds[r.readBits(2)]!;
    if (kind === "clock" && r.readBit()) {
      const zigzag = r.readExpGolomb(2);
      const clock = timeMs + (zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2);
      if (!Number.isSafeInteger(clock) || clock < 0) throw new CodecError("clock record out of range");
      records.push({ kind, value: u64ToBytes(clock) });
      continue;
    }
    const length = r.readExpGolomb(3);
    if (length > limits.nondetValueBytesMax) throw new CodecError(`nondet value of ${length} bytes`);
    records.push({ kind, value: r.readBytes(length) });
  }
  return records;
}

/** Appends the events of one batch to `w` (the batch header is the caller's). */
export function writeEvents(w: BitWriter, inputs: readonly UserInput[], ctx: EventContext): void {
  assert(inputs.length <= limits.batchEventsMax, "batch holds too many events");
  w.writeExpGolomb(inputs.length, 0);
  if (inputs.length === 0) return;
  const last = inputs[inputs.length - 1]!;
  assert(last.networkConsumed <= ctx.networkConsumedEnd, "an input consumed more than its batch");
  const timeOrder = chooseTimeOrder(inputs, ctx.windowStartMs);
  const ranges = rangesOf(inputs);
  w.writeBits(timeOrder, 5);
  w.writeExpGolomb(ranges.xRange, 8);
  w.writeExpGolomb(ranges.yRange, 8);
  w.writeExpGolomb(ranges.keyRange, 6);
  w.writeExpGolomb(ctx.networkConsumedEnd - last.networkConsumed, 0);
  writeConsumedSteps(w, inputs);
  const recent = new RecentStrings();
  let previousTimeMs = ctx.windowStartMs;
  let previousSymbol = -1;
  for (const [i, input] of inputs.entries()) {
    assert(input.seq === ctx.firstSeq + i, `seq ${input.seq} breaks contiguity`);
    assert(input.timeMs >= previousTimeMs, "inputs must be time-ordered");
    writeRice(w, input.timeMs - previousTimeMs, timeOrder);
    previousTimeMs = input.timeMs;
    const symbol = symbolOf(input);
    if (i > 0) w.writeBit(symbol === previousSymbol);
    if (i === 0 || symbol !== previousSymbol) w.writeTruncated(symbol, symbolCount);
    previousSymbol = symbol;
    writeBody(w, input.body, ranges, recent);
    // Taps and keys make no nondeterministic calls (src/platform): no bit for them.
    if (input.body.kind === "action") writeNondet(w, input.nondet, input.timeMs);
    else assert(input.nondet.length === 0, "a tap or key carries no nondet records");
  }
}

/**
 * Network inputs arrive rarely next to user inputs (0.02/s vs 0.5/s), so the
 * events where networkConsumed steps up are listed once per batch (position
 * gap, step) instead of spending a bit on every event.
 */
function writeConsumedSteps(w: BitWriter, inputs: readonly UserInput[]): void {
  const steps: [number, number][] = [];
  for (let i = 1; i < inputs.length; i++) {
    const delta = inputs[i]!.networkConsumed - inputs[i - 1]!.networkConsumed;
    assert(delta >= 0, "networkConsumed must not decrease");
    if (delta > 0) steps.push([i, delta]);
  }
  w.writeExpGolomb(steps.length, 0);
  let previous = 0;
  for (const [position, delta] of steps) {
    w.writeExpGolomb(position - previous - 1, 2);
    w.writeExpGolomb(delta - 1, 0);
    previous = position;
  }
}

function readConsumedSteps(r: BitReader, count: number): number[] {
  const deltas = new Array<number>(count).fill(0);
  const steps = r.readExpGolomb(0);
  if (steps >= count) throw new CodecError(`${steps} networkConsumed steps in ${count} events`);
  let position = 0;
  for (let i = 0; i < steps; i++) {
    position += r.readExpGolomb(2) + 1;
    if (position >= count) throw new CodecError("networkConsumed step beyond the batch");
    deltas[position] = r.readExpGolomb(0) + 1;
  }
  return deltas;
}

/** Reads what writeEvents wrote; typed error for truncated or garbage input. */
export function readEvents(r: BitReader, ctx: EventContext): Result<UserInput[]> {
  try {
    return ok(readEventsOrThrow(r, ctx));
  } catch (error) {
    if (error instanceof CodecError || error instanceof BitsExhausted) {
      return fail(ErrorCodes.BATCH_MALFORMED, `Cannot decode batch events: ${error.message}`);
    }
    throw error;
  }
}

function readEventsOrThrow(r: BitReader, ctx: EventContext): UserInput[] {
  const count = r.readExpGolomb(0);
  if (count > limits.batchEventsMax) throw new CodecError(`${count} events exceed ${limits.batchEventsMax}`);
  // Every event costs at least a few bits: a huge count in a short stream is garbage.
  if (count > r.remainingBits) throw new CodecError(`${count} events cannot fit the stream`);
  if (count === 0) return [];
  const timeOrder = r.readBits(5);
  if (timeOrder > timeOrderMax) throw new CodecError(`time order ${timeOrder} invalid`);
  const ranges = { xRange: r.readExpGolomb(8), yRange: r.readExpGolomb(8), keyRange: r.readExpGolomb(6) };
  if (ranges.xRange > 2 ** 32 || ranges.yRange > 2 ** 32 || ranges.keyRange > 2 ** 32) {
    throw new CodecError("coordinate range exceeds 32 bits");
  }
  const trailing = r.readExpGolomb(0);
  const deltas = readConsumedSteps(r, count);
  const recent = new RecentStrings();
  const drafts: { input: Omit<UserInput, "networkConsumed">; delta: number }[] = [];
  let timeMs = ctx.windowStartMs;
  let symbol = -1;
  for (let i = 0; i < count; i++) {
    timeMs += readRice(r, timeOrder);
    if (i === 0 || !r.readBit()) symbol = r.readTruncated(symbolCount);
    const kind = bodyKinds[Math.floor(symbol / appNames.length)]!;
    const app = appNames[symbol % appNames.length]!;
    const body = readBody(r, kind, ranges, recent);
    const nondet = kind === "action" ? readNondet(r, timeMs) : [];
    drafts.push({ input: { seq: ctx.firstSeq + i, timeMs, app, body, nondet }, delta: deltas[i]! });
  }
  if (!Number.isSafeInteger(timeMs)) throw new CodecError("time overflows");
  let consumed = ctx.networkConsumedEnd - trailing;
  for (const draft of drafts) consumed -= draft.delta;
  if (consumed < 0) throw new CodecError("networkConsumed deltas exceed the batch total");
  const inputs: UserInput[] = [];
  for (const draft of drafts) {
    consumed += draft.delta;
    inputs.push({ ...draft.input, networkConsumed: consumed });
  }
  return inputs;
}
