// A bounded, deterministic histogram of lag samples (ms). A fleet-hour has
// tens of millions of samples, so we keep log-linear buckets: exact below
// 2048 ms, within 0.1 % above — enough for p50/p99 — plus the exact max.
import { assert } from "../core/assert.ts";

const exactBelowMs = 2048;
const mantissaBits = 10;
const exponentsMax = 42;
const bucketCount = exactBelowMs + exponentsMax * (1 << mantissaBits);

export interface SparseLagHistogram {
  buckets: [number, number][];
  maxMs: number;
}

export class LagHistogram {
  private readonly counts = new Float64Array(bucketCount);
  private total = 0;
  private maxMs = 0;

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxMs;
  }

  record(lagMs: number): void {
    if (!(lagMs >= 0 && lagMs < Number.POSITIVE_INFINITY))
      assert(false, `lag must be finite and non-negative, got ${lagMs}`);
    const v = Math.floor(lagMs);
    this.counts[bucketOf(v)]! += 1;
    this.total++;
    if (lagMs > this.maxMs) this.maxMs = lagMs;
  }

  /** Non-empty buckets as [bucket, count] pairs plus the max: a shard's histogram crossing a thread. */
  toSparse(): SparseLagHistogram {
    const buckets: [number, number][] = [];
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      const n = this.counts[bucket]!;
      if (n > 0) buckets.push([bucket, n]);
    }
    return { buckets, maxMs: this.maxMs };
  }

  /** Adds another histogram's samples: merged quantiles are exact, not averaged. */
  merge(other: SparseLagHistogram): void {
    for (const [bucket, n] of other.buckets) {
      assert(Number.isSafeInteger(bucket) && bucket >= 0 && bucket < bucketCount, `bad lag bucket ${bucket}`);
      assert(n > 0, "a sparse bucket holds samples");
      this.counts[bucket]! += n;
      this.total += n;
    }
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  /** The q-quantile (0..1) as a bucket's lower bound; 0 for no samples. */
  quantile(q: number): number {
    assert(q >= 0 && q <= 1, `quantile out of range: ${q}`);
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let bucket = 0; bucket < bucketCount; bucket++) {
      seen += this.counts[bucket]!;
      if (seen >= rank) return Math.min(lowerBoundOf(bucket), this.maxMs);
    }
    return this.maxMs;
  }
}

function bucketOf(v: number): number {
  if (v < exactBelowMs) return v;
  if (v < 2 ** 32) {
    // Integer bit arithmetic, exactly the float path's result: recorded per replayed user input.
    const exponent = 31 - Math.clz32(v);
    const mantissa = (v >>> (exponent - mantissaBits)) - (1 << mantissaBits);
    return exactBelowMs + (exponent - 11) * (1 << mantissaBits) + mantissa;
  }
  let exponent = Math.floor(Math.log2(v));
  if (2 ** exponent > v) exponent--; // log2 rounds up just below a power of two
  const shift = exponent - mantissaBits;
  const mantissa = Math.floor(v / 2 ** shift) - (1 << mantissaBits);
  const bucket = exactBelowMs + (exponent - 11) * (1 << mantissaBits) + mantissa;
  if (bucket >= bucketCount) assert(false, `lag ${v} ms beyond the histogram`);
  return bucket;
}

function lowerBoundOf(bucket: number): number {
  if (bucket < exactBelowMs) return bucket;
  const offset = bucket - exactBelowMs;
  const exponent = 11 + Math.floor(offset / (1 << mantissaBits));
  const mantissa = (offset % (1 << mantissaBits)) + (1 << mantissaBits);
  return mantissa * 2 ** (exponent - mantissaBits);
}
