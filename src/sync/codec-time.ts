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

/**
 * The k in [0, timeOrderMax] that codes `deltas` in the fewest bits (the
 * smallest such k on a tie). Searched exhaustively: a walk from an estimate
 * loses ~14 bits on batches mixing long pauses with quick typing. Once 2^k
 * exceeds every delta, each larger k only adds one bit per delta, so the
 * search stops there.
 */
export function chooseTimeOrder(deltas: Float64Array): number {
  assert(deltas.length > 0, "time deltas to code");
  let deltaMax = 0;
  for (let i = 0; i < deltas.length; i++) {
    assert(deltas[i]! >= 0, "time deltas are non-negative");
    if (deltas[i]! > deltaMax) deltaMax = deltas[i]!;
  }
  const small = deltaMax < 2 ** 31 && deltas.length <= smallDeltas.length;
  if (small) for (let i = 0; i < deltas.length; i++) smallDeltas[i] = deltas[i]!;
  let best = 0;
  let bestBits = Number.POSITIVE_INFINITY;
  for (let k = 0; k <= timeOrderMax; k++) {
    const bits = small ? riceCostBitsSmall(smallDeltas, deltas.length, k) : riceCostBits(deltas, k);
    if (bits < bestBits) {
      best = k;
      bestBits = bits;
    }
    if (pow2[k]! > deltaMax) break;
  }
  assert(best >= 0 && best <= timeOrderMax, "a time order was chosen");
  return best;
}
