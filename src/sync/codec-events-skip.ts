// The validate-only twin of readEvents (codec-events.ts) for batch intake
// (paper §3.3.2: the Syn-Server accepts a batch, replay applies it later;
// DESIGN.md "Sync protocol"). Intake only needs to know that a batch decodes
// and a few of its facts; building every UserInput to throw it away was
// wasted work (issue 5: the codec's share of a 100-phone live server's busy
// CPU went from 6.7 % to 3.2 % with this pass). This pass
// reads the same bits in the same order and throws the same CodecError /
// BitsExhausted at the same places, but keeps no inputs, strings or nondet
// bytes. Any change to the decoder must be made here too: the property test
// in batch-validate.test.ts compares the two on real and mutated batches.
import { assert } from "../core/assert.ts";
import type { Result } from "../core/errors.ts";
import { ok } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { actionDictionary } from "./action-dictionary.ts";
import type { BitReader } from "./bits.ts";
import {
  clockKindIndex,
  type EventContext,
  eventsFailure,
  kindOfSymbol,
  type Ranges,
  readEventsHeader,
  symbolCount,
} from "./codec-events.ts";
import { CodecError, skipString } from "./codec-strings.ts";
import { readRice } from "./codec-time.ts";
import { skipKey } from "./key-code.ts";

/** What intake needs from a batch's events. */
export interface EventsSummary {
  inputCount: number;
  /** networkConsumed of the first input; undefined without inputs. */
  firstNetworkConsumed: number | undefined;
  /** timeMs of the last input; undefined without inputs. */
  lastTimeMs: number | undefined;
}

const noEvents: EventsSummary = Object.freeze({
  inputCount: 0,
  firstNetworkConsumed: undefined,
  lastTimeMs: undefined,
});
const tapKind = 0;
const keyKind = 1;

/** Validates what writeEvents wrote; the same typed error readEvents gives, or the summary. */
export function skipEvents(r: BitReader, ctx: EventContext): Result<EventsSummary> {
  try {
    return ok(skipEventsOrThrow(r, ctx));
  } catch (error) {
    return eventsFailure(error);
  }
}

function skipEventsOrThrow(r: BitReader, ctx: EventContext): EventsSummary {
  const header = readEventsHeader(r, ctx);
  if (header === undefined) return noEvents;
  const { count, timeOrder, ranges } = header;
  assert(count >= 1 && header.consumedFirst >= 0, "a checked events header");
  let recentSize = 0;
  let timeMs = ctx.windowStartMs;
  let symbol = -1;
  let i = 0;
  for (; i < count; i++) {
    timeMs += readRice(r, timeOrder);
    if (i === 0 || !r.readBit()) symbol = r.readTruncated(symbolCount);
    const kind = kindOfSymbol[symbol]!;
    if (kind === tapKind) skipTap(r, ranges);
    else if (kind === keyKind) {
      if (ranges.keyRange === 0) throw new CodecError("key without a key range");
      skipKey(r, ranges.keyRange);
    } else {
      recentSize = skipAction(r, recentSize);
      skipNondet(r, timeMs);
    }
  }
  if (!Number.isSafeInteger(timeMs)) throw new CodecError("time overflows");
  assert(i === count && recentSize >= 0, "every event skipped");
  // A step lands on an event after the first (readConsumedSteps), so the first event starts at consumedFirst.
  return { inputCount: count, firstNetworkConsumed: header.consumedFirst, lastTimeMs: timeMs };
}

function skipTap(r: BitReader, ranges: Ranges): void {
  if (ranges.xRange === 0 || ranges.yRange === 0) throw new CodecError("tap without a tap range");
  r.readTruncated(ranges.xRange);
  r.readTruncated(ranges.yRange);
}

/** An action's name and arguments; returns the recent-strings table's new size. */
function skipAction(r: BitReader, recentSize: number): number {
  const index = r.readTruncated(actionDictionary.length + 1);
  let size = recentSize;
  if (index === actionDictionary.length) size = skipString(r, size, limits.actionNameBytesMax);
  const argCount = r.readExpGolomb(0);
  if (argCount > limits.actionArgsMax)
    throw new CodecError(`${argCount} args exceed ${limits.actionArgsMax}`);
  for (let i = 0; i < argCount; i++) size = skipString(r, size, limits.actionArgBytesMax);
  return size;
}

/** readNondet without the records: the same bounds, the clock check, the bytes stepped over. */
function skipNondet(r: BitReader, timeMs: number): void {
  if (!r.readBit()) return;
  const count = r.readExpGolomb(0) + 1;
  if (count > limits.nondetRecordsPerInputMax) {
    throw new CodecError(`${count} nondet records exceed ${limits.nondetRecordsPerInputMax}`);
  }
  for (let i = 0; i < count; i++) {
    if (r.readBits(2) === clockKindIndex && r.readBit()) {
      const zigzag = r.readExpGolomb(2);
      const clock = timeMs + (zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2);
      if (!Number.isSafeInteger(clock) || clock < 0) throw new CodecError("clock record out of range");
      continue;
    }
    const length = r.readExpGolomb(3);
    if (length > limits.nondetValueBytesMax) throw new CodecError(`nondet value of ${length} bytes`);
    r.skip(length * 8);
  }
}
