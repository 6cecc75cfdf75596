// Time deltas of the compact event codec (paper §3.3.2: inputs carry their
// phone time; DESIGN.md "Sync protocol": delta times). Deltas are
// near-exponential (Poisson arrivals), for which a Rice code (unary quotient
// + k low bits) is within a few percent of the entropy; long pauses escape to
// Exp-Golomb after riceQuotientMax. The encoder picks the cheapest k per batch.
import { assert } from "../core/assert.ts";
import { type BitReader, type BitWriter, expGolombBits } from "./bits.ts";

export const timeOrderMax = 24;
const riceQuotientMax = 16;
const pow2 = Array.from({ length: timeOrderMax + 1 }, (_, k) => 2 ** k);

export function writeRice(w: BitWriter, value: number, k: number): void {
  const unit = pow2[k]!;
  const q = Math.floor(value / unit);
  if (q < riceQuotientMax) {
    // q ones and the terminating zero in one field.
    w.writeBits(pow2[q + 1]! - 2, q + 1);
    w.writeBits(value - q * unit, k);
    return;
  }
  w.writeOnes(riceQuotientMax);
  w.writeExpGolomb(value - riceQuotientMax * unit, k);
}

export function readRice(r: BitReader, k: number): number {
  // Fast path: quotient, its zero and the k low bits all in one 32-bit window.
  const word = r.peek32();
  const ones = Math.clz32(~word);
  if (ones < riceQuotientMax && ones + 1 + k <= 32) {
    r.skip(ones + 1 + k);
    // ones < 16 and k <= 24: the quotient's part fits an int32 shift.
    return (ones << k) + (k === 0 ? 0 : (word << (ones + 1)) >>> (32 - k));
  }
  return readRiceSlow(r, k);
}

/** A quotient of 16 and more (an escape) or bits past the 32-bit window: out of line, so readRice inlines. */
function readRiceSlow(r: BitReader, k: number): number {
  const q = r.readOnes(riceQuotientMax);
  const unit = pow2[k]!;
  if (q === riceQuotientMax) return r.readExpGolomb(k) + riceQuotientMax * unit;
  return q * unit + r.readBits(k);
}

function escapeBits(value: number, k: number): number {
  const shifted = value - (riceQuotientMax - 1) * pow2[k]!;
  // expGolombBits without its checks: this runs for most deltas at small k.
  if (shifted < 2 ** 32) return riceQuotientMax + 2 * (32 - Math.clz32(shifted)) - k - 1;
  return riceQuotientMax + expGolombBits(value - riceQuotientMax * pow2[k]!, k);
}

function riceCostBits(deltas: Float64Array, k: number): number {
  const unit = pow2[k]!;
  let bits = deltas.length * (k + 1);
  for (let i = 0; i < deltas.length; i++) {
    const q = Math.floor(deltas[i]! / unit);
    bits += q < riceQuotientMax ? q : escapeBits(deltas[i]!, k) - (k + 1);
  }
  return bits;
}

/** riceCostBits when every delta is below 2^31 (nearly always): shifts instead of divisions, over int32 copies. */
function riceCostBitsSmall(deltas: Int32Array, count: number, k: number): number {
  let bits = count * (k + 1);
  const escapeBase = riceQuotientMax - 2 * k - 2;
  for (let i = 0; i < count; i++) {
    const value = deltas[i]!;
    const q = value >>> k;
    // An escape is riceQuotientMax ones and Exp-Golomb(k) of value - 16 * 2^k (see escapeBits).
    bits +=
      q < riceQuotientMax ? q : escapeBase + 2 * (32 - Math.clz32(value - (riceQuotientMax - 1) * (1 << k)));
  }
  return bits;
}

/** The deltas as int32 for riceCostBitsSmall (reused: the core runs to completion). */
const smallDeltas = new Int32Array(1024);
/** Deltas per bit length (0 for a zero delta, else 32 - clz32), and suffix sums of it (reused). */
const lengthCounts = new Int32Array(33);
const countsFrom = new Int32Array(34);
/** Suffix sums of count(b) * (2b + 13): the escape part of riceCostBound. */
const escapeWeightFrom = new Int32Array(34);
/** riceCostBound per order of the batch being searched. */
const bounds = new Int32Array(timeOrderMax + 1);

/**
 * A lower bound of riceCostBitsSmall(k) from the deltas' bit lengths alone
 * (lengthCounts, countsFrom, escapeWeightFrom filled). A delta v of bit
 * length b costs k + 1 bits when b <= k; q = v >>> k >= 2^(b-1-k) more when
 * b > k, or an escape, which is at least 16 more (Exp-Golomb(k) of
 * v - 15 * 2^k >= 2^k); for b >= k + 6, v - 15 * 2^k >= 2^(b-2), so the
 * escape costs at least 2b - k + 13.
 */
export function riceCostBound(count: number, k: number, lengthMax: number): number {
  let bits = count * (k + 1);
  const middleEnd = Math.min(k + 5, lengthMax);
  for (let b = k + 1; b <= middleEnd; b++) bits += lengthCounts[b]! * Math.min(1 << (b - 1 - k), 16);
  if (k + 6 <= lengthMax) {
    // count(b) * (2b - k + 13) over b >= k + 6, less what the first term already counted (k + 1 each)
    bits += escapeWeightFrom[k + 6]! - countsFrom[k + 6]! * (2 * k + 1);
  }
  return bits;
}

/** Fills the bit-length tables for riceCostBound from the int32 deltas; returns the largest bit length. */
function fillLengths(deltas: Int32Array, count: number): number {
  // a loop, not fill(): that is a call into the runtime
  for (let b = 0; b < lengthCounts.length; b++) lengthCounts[b] = 0;
  let lengthMax = 0;
  for (let i = 0; i < count; i++) {
    const length = 32 - Math.clz32(deltas[i]!);
    lengthCounts[length]!++;
    if (length > lengthMax) lengthMax = length;
  }
  countsFrom[lengthMax + 1] = 0;
  escapeWeightFrom[lengthMax + 1] = 0;
  for (let b = lengthMax; b >= 0; b--) {
    countsFrom[b] = countsFrom[b + 1]! + lengthCounts[b]!;
    escapeWeightFrom[b] = escapeWeightFrom[b + 1]! + lengthCounts[b]! * (2 * b + 13);
  }
  assert(countsFrom[0] === count, "fillLengths: every delta counted once");
  return lengthMax;
}

/** riceCostBound of random-looking deltas, for tests: fills the tables from `deltas` (all below 2^31). */
export function riceCostBoundOf(deltas: readonly number[], k: number): number {
  assert(deltas.length <= smallDeltas.length, "riceCostBoundOf: too many deltas");
  for (let i = 0; i < deltas.length; i++) {
    assert(deltas[i]! >= 0 && deltas[i]! < 2 ** 31, "riceCostBoundOf: int32 deltas");
    smallDeltas[i] = deltas[i]!;
  }
  return riceCostBound(deltas.length, k, fillLengths(smallDeltas, deltas.length));
}

/**
 * The k in [0, timeOrderMax] that codes `deltas` in the fewest bits (the
 * smallest such k on a tie). Exact: a walk from an estimate loses ~14 bits
 * on batches mixing long pauses with quick typing. Once 2^k exceeds every
 * delta, each larger k only adds one bit per delta, so the search stops
 * there. Int32 deltas (nearly always): the exact cost is counted only for
 * the orders whose lower bound (riceCostBound, from the deltas' bit
 * lengths) could still win, starting from the order with the lowest bound —
 * the exhaustive count of every order was ~13 % of an encode.
 */
export function chooseTimeOrder(deltas: Float64Array): number {
  assert(deltas.length > 0, "time deltas to code");
  let deltaMax = 0;
  for (let i = 0; i < deltas.length; i++) {
    assert(deltas[i]! >= 0, "time deltas are non-negative");
    if (deltas[i]! > deltaMax) deltaMax = deltas[i]!;
  }
  if (deltaMax < 2 ** 31 && deltas.length <= smallDeltas.length) return chooseSmallOrder(deltas);
  let best = 0;
  let bestBits = Number.POSITIVE_INFINITY;
  for (let k = 0; k <= timeOrderMax; k++) {
    const bits = riceCostBits(deltas, k);
    if (bits < bestBits) {
      best = k;
      bestBits = bits;
    }
    if (pow2[k]! > deltaMax) break;
  }
  assert(best >= 0 && best <= timeOrderMax, "a time order was chosen");
  return best;
}

function chooseSmallOrder(deltas: Float64Array): number {
  const count = deltas.length;
  for (let i = 0; i < count; i++) smallDeltas[i] = deltas[i]!;
  const lengthMax = fillLengths(smallDeltas, count);
  // the exhaustive search's range: k up to the first with 2^k > every delta (2^lengthMax > deltaMax)
  const kLast = Math.min(lengthMax, timeOrderMax);
  let start = 0;
  for (let k = 0; k <= kLast; k++) {
    bounds[k] = riceCostBound(count, k, lengthMax);
    if (bounds[k]! < bounds[start]!) start = k;
  }
  const startBound = bounds[start]!;
  let best = start;
  let bestBits = riceCostBitsSmall(smallDeltas, count, start);
  for (let k = 0; k <= kLast; k++) {
    if (k === start) continue;
    // (bits, k) ordered: fewer bits first, then the smaller k; a bound above the best cannot win
    const bound = bounds[k]!;
    if (bound > bestBits || (bound === bestBits && k > best)) continue;
    const bits = riceCostBitsSmall(smallDeltas, count, k);
    if (bits < bestBits || (bits === bestBits && k < best)) {
      best = k;
      bestBits = bits;
    }
  }
  assert(best >= 0 && best <= kLast && bestBits >= startBound, "a time order was chosen");
  return best;
}
