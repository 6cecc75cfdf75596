// Compact encoding of one batch's user inputs (paper §3.3.2: the phone sends
// its inputs in batches; DESIGN.md "Sync protocol": a few bytes per event).
// A bit stream: Rice-coded time deltas with a per-batch parameter
// (codec-time.ts), (kind, app) symbols with a repeat bit, taps in truncated
// binary over the batch's observed range, keys in a fixed Huffman code
// (key-code.ts), action names from a static dictionary, string arguments with
// a small recent-strings table (codec-strings.ts), the events where
// networkConsumed steps up listed once per batch, nondeterminism records
// (actions only) as raw bytes, clock reads as deltas.
// This file holds the format's shared tables and the decoder; the encoder,
// which writes each input as it is recorded, is codec-window.ts.
// It runs once per user event on every phone and on the server, so both
// directions make one pass without per-event scratch objects.
import { assert } from "../core/assert.ts";
import { u64ToBytes } from "../core/bytes.ts";
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
import { actionDictionary } from "./action-dictionary.ts";
import { type BitReader, BitsExhausted } from "./bits.ts";
import { CodecError, RecentStrings, readString } from "./codec-strings.ts";
import { readRice, timeOrderMax } from "./codec-time.ts";
import { readKey } from "./key-code.ts";

/** What the decoder needs besides the bytes: fields carried by the batch. */
export interface EventContext {
  firstSeq: number;
  windowStartMs: number;
  /** Network inputs the phone had consumed at the end of the batch. */
  networkConsumedEnd: number;
}

export const bodyKinds = ["tap", "key", "action"] as const;
type BodyKind = (typeof bodyKinds)[number];
/** (kind, app) symbols: kind index * appNames.length + app index (shared with codec-events-skip.ts). */
export const symbolCount = bodyKinds.length * appNames.length;
/**
 * Body kind index of each symbol: a table, not a division per event (the
 * float division and its floor were a third of the intake validator's loop).
 */
export const kindOfSymbol = Uint8Array.from({ length: symbolCount }, (_, s) =>
  Math.floor(s / appNames.length),
);
/** App index of each symbol. */
const appOfSymbol = Uint8Array.from({ length: symbolCount }, (_, s) => s % appNames.length);
export const nondetKinds: readonly NondetKind[] = ["clock", "random", "sensor", "camera"];
/** The 2-bit kind of a clock record, which may carry its value as a delta. */
export const clockKindIndex = nondetKinds.indexOf("clock");
export const appIndex = new Map<AppName, number>(appNames.map((name, index) => [name, index]));
/** Taps and keys make no nondeterministic calls: they share one empty record list. */
const noRecords: readonly NondetRecord[] = Object.freeze([]);
const rangeMax = 2 ** 32;

export interface Ranges {
  xRange: number;
  yRange: number;
  keyRange: number;
}

function readBody(r: BitReader, kind: BodyKind, ranges: Ranges, recent: RecentStrings): UserInputBody {
  if (kind === "tap") {
    if (ranges.xRange === 0 || ranges.yRange === 0) throw new CodecError("tap without a tap range");
    const x = r.readTruncated(ranges.xRange);
    return { kind, x, y: r.readTruncated(ranges.yRange) };
  }
  if (kind === "key") {
    if (ranges.keyRange === 0) throw new CodecError("key without a key range");
    return { kind, code: readKey(r, ranges.keyRange) };
  }
  const index = r.readTruncated(actionDictionary.length + 1);
  const name = actionDictionary[index] ?? readString(r, recent, limits.actionNameBytesMax);
  const argCount = r.readExpGolomb(0);
  if (argCount > limits.actionArgsMax)
    throw new CodecError(`${argCount} args exceed ${limits.actionArgsMax}`);
  const args: string[] = [];
  for (let i = 0; i < argCount; i++) args.push(readString(r, recent, limits.actionArgBytesMax));
  return { kind, name, args };
}

function readNondet(r: BitReader, timeMs: number): readonly NondetRecord[] {
  if (!r.readBit()) return noRecords;
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

/** Reused by every decode with steps (the core runs to completion); larger batches get their own. */
const stepsScratch = new Float64Array(1024);

/**
 * Per-event networkConsumed steps (valid until the next decode), or
 * undefined when nothing arrived mid-batch. About every other batch has a
 * step: a fresh Float64Array each was an off-heap allocation, ~6 % of the
 * intake validator's CPU.
 */
function readConsumedSteps(r: BitReader, count: number): Float64Array | undefined {
  const steps = r.readExpGolomb(0);
  if (steps >= count) throw new CodecError(`${steps} networkConsumed steps in ${count} events`);
  if (steps === 0) return undefined;
  let deltas: Float64Array;
  if (count <= stepsScratch.length) {
    // A loop: fill() is a call into C++ (Builtin_TypedArrayPrototypeFill in the validator's profile).
    deltas = stepsScratch;
    for (let i = 0; i < count; i++) deltas[i] = 0;
  } else {
    deltas = new Float64Array(count);
  }
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
    return eventsFailure(error);
  }
}

/** A decoder's CodecError or BitsExhausted as the typed error; anything else is a bug, thrown on. */
export function eventsFailure(error: unknown): Result<never> {
  if (error instanceof CodecError || error instanceof BitsExhausted) {
    return fail(ErrorCodes.BATCH_MALFORMED, `Cannot decode batch events: ${error.message}`);
  }
  throw error;
}

export interface EventsHeader {
  count: number;
  timeOrder: number;
  ranges: Ranges;
  /** networkConsumed at the batch's first event. */
  consumedFirst: number;
  steps: Float64Array | undefined;
}

/** The events' header; undefined for a batch without events. Throws CodecError/BitsExhausted. */
export function readEventsHeader(r: BitReader, ctx: EventContext): EventsHeader | undefined {
  const count = r.readExpGolomb(0);
  if (count > limits.batchEventsMax) throw new CodecError(`${count} events exceed ${limits.batchEventsMax}`);
  // Every event costs at least a few bits: a huge count in a short stream is garbage.
  if (count > r.remainingBits) throw new CodecError(`${count} events cannot fit the stream`);
  if (count === 0) return undefined;
  const timeOrder = r.readBits(5);
  if (timeOrder > timeOrderMax) throw new CodecError(`time order ${timeOrder} invalid`);
  const ranges = { xRange: r.readExpGolomb(8), yRange: r.readExpGolomb(8), keyRange: r.readExpGolomb(6) };
  if (ranges.xRange > rangeMax || ranges.yRange > rangeMax || ranges.keyRange > rangeMax) {
    throw new CodecError("coordinate range exceeds 32 bits");
  }
  const trailing = r.readExpGolomb(0);
  const steps = readConsumedSteps(r, count);
  let consumedFirst = ctx.networkConsumedEnd - trailing;
  if (steps !== undefined) for (let i = 0; i < count; i++) consumedFirst -= steps[i]!;
  if (consumedFirst < 0) throw new CodecError("networkConsumed deltas exceed the batch total");
  return { count, timeOrder, ranges, consumedFirst, steps };
}

function readEventsOrThrow(r: BitReader, ctx: EventContext): UserInput[] {
  const events = new EventCursor(r, ctx);
  const inputs: UserInput[] = [];
  for (let input = events.next(); input !== undefined; input = events.next()) inputs.push(input);
  assert(inputs.length === events.count, "every event decoded");
  return inputs;
}

/**
 * A batch's events decoded one at a time (replay: each input lives while it
 * is applied, where a whole batch decoded at once kept ~30 inputs alive
 * across the scavenges the mirror's own work causes, ~17 B per user event
 * surviving). Throws CodecError/BitsExhausted like readEvents' decoder.
 */
export class EventCursor {
  readonly count: number;
  private readonly header: EventsHeader | undefined;
  /** Own copy: the header's steps live in a scratch the next decode reuses. */
  private readonly steps: number[] | undefined;
  private readonly recent = new RecentStrings();
  private index = 0;
  private timeMs: number;
  private consumed: number;
  private symbol = -1;

  constructor(
    private readonly r: BitReader,
    private readonly ctx: EventContext,
  ) {
    this.header = readEventsHeader(r, ctx);
    this.count = this.header?.count ?? 0;
    this.timeMs = ctx.windowStartMs;
    this.consumed = this.header?.consumedFirst ?? ctx.networkConsumedEnd;
    const steps = this.header?.steps;
    if (steps !== undefined) {
      this.steps = [];
      for (let i = 0; i < this.count; i++) this.steps.push(steps[i]!);
    }
    assert(this.count >= 0 && this.consumed >= 0, "a checked events header");
  }

  /** The next input in the phone's order; undefined after the last. */
  next(): UserInput | undefined {
    const header = this.header;
    const i = this.index;
    if (header === undefined || i === this.count) return undefined;
    const r = this.r;
    this.timeMs += readRice(r, header.timeOrder);
    if (i === 0 || !r.readBit()) this.symbol = r.readTruncated(symbolCount);
    const kind = bodyKinds[kindOfSymbol[this.symbol]!]!;
    const app = appNames[appOfSymbol[this.symbol]!]!;
    const timeMs = this.timeMs;
    const body = readBody(r, kind, header.ranges, this.recent);
    const nondet = kind === "action" ? readNondet(r, timeMs) : noRecords;
    if (this.steps !== undefined) this.consumed += this.steps[i]!;
    this.index = i + 1;
    if (this.index === this.count) {
      if (!Number.isSafeInteger(timeMs)) throw new CodecError("time overflows");
      assert(this.consumed <= this.ctx.networkConsumedEnd, "every event decoded within the batch total");
    }
    return { seq: this.ctx.firstSeq + i, timeMs, networkConsumed: this.consumed, app, body, nondet };
  }
}
