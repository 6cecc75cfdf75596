// The encoder of the compact event codec (codec-events.ts; paper §3.3.2,
// DESIGN.md "Sync protocol"), fed one input at a time as the Syn-Client
// records it. The phone's open window used to keep every UserInput (body,
// args, nondet records) alive for up to t_syn_int, long enough for nearly all
// of them to be promoted to old space and collected there. An EventWindow
// keeps only what the batch's bits need: per input a (kind, app) symbol and
// tap coordinates or a key code (their codes depend on the batch's ranges,
// known at the window's end), the time deltas and networkConsumed steps
// (codec-scan.ts), and each action already written — name, arguments through
// the batch's recent-strings table, nondet records — into a stream of its
// own as byte-aligned runs of bits, except large nondet values (photos):
// those are kept by reference (inputs are immutable once applied, and the
// phone's storage holds the same array: src/platform/inputs.ts) and written
// once at the window's end, as the one-pass encoder did. write() then emits
// exactly the bits a single pass over the inputs would.
import { assert } from "../core/assert.ts";
import { u64FromBytes } from "../core/bytes.ts";
import { limits } from "../core/limits.ts";
import { type AppName, appNames, type NondetRecord, type UserInput } from "../platform/inputs.ts";
import { actionDictionary, actionIndex } from "./action-dictionary.ts";
import { BitWriter } from "./bits.ts";
import {
  appIndex,
  bodyKinds,
  type EventContext,
  kindOfSymbol,
  nondetKinds,
  symbolCount,
} from "./codec-events.ts";
import { EventScan } from "./codec-scan.ts";
import { RecentStrings, writeString } from "./codec-strings.ts";
import { chooseTimeOrder, writeRice } from "./codec-time.ts";
import { writeKey } from "./key-code.ts";

const initialCapacity = 64;
const piecesInitial = 32;
const actionBytesInitial = 256;
/**
 * Nondet values from this size on are referenced, not copied: an array this
 * large keeps its bytes off the JS heap, so holding it pins no young object
 * worth the name; smaller ones are copied (the split would cost more).
 */
const referencedValueBytesMin = 64;
/** A window's action stream grown past this (long arguments) is let go at reset. */
const actionBytesRetainedMax = 4 * 1024;
const tapKind = bodyKinds.indexOf("tap");
const keyKind = bodyKinds.indexOf("key");
assert(symbolCount <= 256, "a symbol fits a byte");

export class EventWindow {
  /** Time deltas, coordinate ranges, networkConsumed steps. */
  readonly scan = new EventScan();
  /** Literal string bytes written so far: the only part DEFLATE can shrink (deflate-gate.ts). */
  textBytes = 0;
  private symbols = new Uint8Array(initialCapacity);
  /** Per input two numbers: tap x and y, a key's code, or how many pieces an action took. */
  private operands = new Uint32Array(2 * initialCapacity);
  /** The actions' pieces, in input order, each starting on a byte. */
  private readonly actions = new BitWriter(actionBytesInitial);
  /** Per piece: 2 × its length in bits (a run of bits in `actions`), or 1: the next of `values`. */
  private pieces = new Uint32Array(piecesInitial);
  /** The large nondet values of the window's actions, in order. */
  private readonly values: Uint8Array[] = [];
  private pieceCount = 0;
  /** Where the action being written started its current run of bits. */
  private runStartBits = 0;
  /** The batch's recent-strings table as it stands after the inputs added so far. */
  private readonly recent = new RecentStrings();
  private lastApp: AppName | undefined = undefined;
  private lastAppIndex = 0;

  get count(): number {
    return this.scan.count;
  }

  reset(): void {
    this.scan.reset();
    this.textBytes = 0;
    this.actions.reset(actionBytesRetainedMax);
    this.pieceCount = 0;
    this.values.length = 0;
    this.recent.clear();
  }

  /**
   * Adds the next input of the batch (seqs contiguous, times and
   * networkConsumed not decreasing). Keeps no reference to the input, its
   * body or its args; only to the arrays of its large nondet values.
   */
  add(input: UserInput): void {
    const i = this.scan.count;
    const body = input.body;
    if (body.kind !== "action" && input.nondet.length > 0)
      assert(false, "a tap or key carries no nondet records");
    this.scan.add(input);
    if (i === this.symbols.length) this.grow();
    const app = this.appIndexOf(input.app);
    const kind = body.kind === "tap" ? tapKind : body.kind === "key" ? keyKind : 2;
    this.symbols[i] = kind * appNames.length + app;
    const operands = this.operands;
    if (body.kind === "tap") {
      if (!isU32(body.x) || !isU32(body.y)) assert(false, "tap coordinates are 32-bit unsigned integers");
      operands[2 * i] = body.x;
      operands[2 * i + 1] = body.y;
    } else if (body.kind === "key") {
      if (!isU32(body.code)) assert(false, "key codes are 32-bit unsigned integers");
      operands[2 * i] = body.code;
    } else {
      const actions = this.actions;
      const firstPiece = this.pieceCount;
      this.runStartBits = actions.lengthBits;
      const index = actionIndex(body.name);
      actions.writeTruncated(index ?? actionDictionary.length, actionDictionary.length + 1);
      let literalBytes = index === undefined ? writeString(actions, this.recent, body.name) : 0;
      const args = body.args;
      actions.writeExpGolomb(args.length, 0);
      for (let a = 0; a < args.length; a++) literalBytes += writeString(actions, this.recent, args[a]!);
      this.writeNondet(input.nondet, input.timeMs);
      this.endRun();
      operands[2 * i] = this.pieceCount - firstPiece;
      assert(this.pieceCount > firstPiece, "an action takes at least one piece");
      this.textBytes += literalBytes;
    }
  }

  /** appIndex's look-up, remembered for the last app (runs of inputs to one app are the rule). */
  private appIndexOf(app: AppName): number {
    if (app === this.lastApp) return this.lastAppIndex;
    const index = appIndex.get(app);
    if (index === undefined) assert(false, `unknown app ${app}`);
    this.lastApp = app;
    this.lastAppIndex = index;
    return index;
  }

  // Clock reads are 8-byte big-endian milliseconds (src/platform/nondet.ts) and
  // sit within a few ms of the input's own time: send the signed difference.
  private writeNondet(records: readonly NondetRecord[], timeMs: number): void {
    const w = this.actions;
    w.writeBit(records.length > 0);
    if (records.length === 0) return;
    w.writeExpGolomb(records.length - 1, 0);
    for (let i = 0; i < records.length; i++) {
      const record = records[i]!;
      w.writeBits(nondetKinds.indexOf(record.kind), 2);
      const zigzag = record.kind === "clock" ? clockZigzag(record.value, timeMs) : undefined;
      if (record.kind === "clock") w.writeBit(zigzag !== undefined);
      if (zigzag !== undefined) {
        w.writeExpGolomb(zigzag, 2);
        continue;
      }
      const value = record.value;
      w.writeExpGolomb(value.length, 3);
      if (value.length < referencedValueBytesMin) {
        w.writeBytes(value);
        continue;
      }
      this.endRun();
      this.values.push(value);
      this.addPiece(1);
      this.runStartBits = w.lengthBits;
    }
  }

  /** Closes the current run of bits as a piece (none if empty) and aligns the stream. */
  private endRun(): void {
    const bits = this.actions.lengthBits - this.runStartBits;
    assert(bits >= 0 && bits < 2 ** 31, "a run of an action's bits fits its piece");
    if (bits > 0) this.addPiece(2 * bits); // even: a run (1 names a value)
    this.actions.alignToByte();
  }

  private addPiece(piece: number): void {
    assert(piece < 2 ** 32, "a piece's length fits 32 bits");
    if (this.pieceCount === this.pieces.length) {
      const grown = new Uint32Array(2 * this.pieces.length);
      grown.set(this.pieces);
      this.pieces = grown;
    }
    this.pieces[this.pieceCount++] = piece;
  }

  /**
   * Appends the window's events to `w` (the batch header is the caller's);
   * the same bits writeEvents writes for the inputs added. Returns the
   * literal string bytes among them.
   */
  write(w: BitWriter, ctx: EventContext): number {
    const scan = this.scan;
    const count = scan.count;
    assert(count <= limits.batchEventsMax, "batch holds too many events");
    w.writeExpGolomb(count, 0);
    if (count === 0) return 0;
    assert(scan.lastConsumed <= ctx.networkConsumedEnd, "an input consumed more than its batch");
    assert(scan.firstSeq === ctx.firstSeq, "the window holds exactly the batch's inputs");
    const deltas = scan.deltasFrom(ctx.windowStartMs);
    const timeOrder = chooseTimeOrder(deltas);
    const { xRange, yRange, keyRange } = scan;
    w.writeBits(timeOrder, 5);
    w.writeExpGolomb(xRange, 8);
    w.writeExpGolomb(yRange, 8);
    w.writeExpGolomb(keyRange, 6);
    w.writeExpGolomb(ctx.networkConsumedEnd - scan.lastConsumed, 0);
    writeConsumedSteps(w, scan);
    const actions = this.actions.alignedView();
    const symbols = this.symbols;
    const operands = this.operands;
    const pieces = this.pieces;
    const values = this.values;
    let piece = 0;
    let value = 0;
    let actionAt = 0;
    let previousSymbol = -1;
    for (let i = 0; i < count; i++) {
      writeRice(w, deltas[i]!, timeOrder);
      const symbol = symbols[i]!;
      if (i > 0) w.writeBit(symbol === previousSymbol);
      if (i === 0 || symbol !== previousSymbol) w.writeTruncated(symbol, symbolCount);
      previousSymbol = symbol;
      const kind = kindOfSymbol[symbol]!;
      if (kind === tapKind) {
        w.writeTruncated(operands[2 * i]!, xRange);
        w.writeTruncated(operands[2 * i + 1]!, yRange);
      } else if (kind === keyKind) {
        writeKey(w, operands[2 * i]!, keyRange);
      } else {
        const end = piece + operands[2 * i]!;
        for (; piece < end; piece++) {
          const p = pieces[piece]!;
          if (p === 1) {
            w.writeBytes(values[value++]!);
          } else {
            const bits = p >>> 1;
            w.writeAlignedBits(actions, actionAt, bits);
            actionAt += (bits + 7) >>> 3;
          }
        }
      }
    }
    assert(actionAt === actions.length && piece === this.pieceCount, "every action piece written once");
    assert(value === values.length, "every referenced value written once");
    return this.textBytes;
  }

  private grow(): void {
    const size = Math.min(this.symbols.length * 2, limits.batchEventsMax);
    assert(size > this.symbols.length, "a window holds at most batchEventsMax inputs");
    const symbols = new Uint8Array(size);
    symbols.set(this.symbols);
    const operands = new Uint32Array(2 * size);
    operands.set(this.operands);
    this.symbols = symbols;
    this.operands = operands;
  }
}

function isU32(v: number): boolean {
  return Number.isInteger(v) && v >= 0 && v < 2 ** 32;
}

/** For batches given as inputs (tests, injected bugs, raw phones): reused, the core runs to completion. */
const scratchWindow = new EventWindow();

/**
 * Appends the events of one batch, given as inputs, to `w`; returns the
 * literal string bytes written. The Syn-Client instead feeds an EventWindow
 * as it records and calls its write().
 */
export function writeEvents(w: BitWriter, inputs: readonly UserInput[], ctx: EventContext): number {
  assert(inputs.length <= limits.batchEventsMax, "batch holds too many events");
  scratchWindow.reset();
  try {
    for (let i = 0; i < inputs.length; i++) scratchWindow.add(inputs[i]!);
    return scratchWindow.write(w, ctx);
  } finally {
    scratchWindow.reset();
  }
}

/**
 * The clock read as a zigzag delta from the input's time, or undefined to
 * send its bytes: not a safe integer, or so far from the input's time that
 * the delta would not be one (the encoder asserted on such a record).
 */
function clockZigzag(value: Uint8Array, timeMs: number): number | undefined {
  const clock = u64FromBytes(value);
  if (clock === undefined) return undefined;
  const delta = clock - timeMs;
  const zigzag = delta >= 0 ? delta * 2 : -delta * 2 - 1;
  return Number.isSafeInteger(zigzag + 4) ? zigzag : undefined;
}

/**
 * Network inputs arrive rarely next to user inputs (0.02/s vs 0.5/s), so the
 * events where networkConsumed steps up are listed once per batch (position
 * gap, step) instead of spending a bit on every event.
 */
function writeConsumedSteps(w: BitWriter, scan: EventScan): void {
  const steps = scan.stepCount;
  w.writeExpGolomb(steps, 0);
  let previous = 0;
  for (let n = 0; n < steps; n++) {
    const position = scan.stepPosition(n);
    assert(position > previous && scan.stepSize(n) >= 1, "steps in order, each a step up");
    w.writeExpGolomb(position - previous - 1, 2);
    w.writeExpGolomb(scan.stepSize(n) - 1, 0);
    previous = position;
  }
}
