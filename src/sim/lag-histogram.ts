// A bounded, deterministic histogram of lag samples (ms). A fleet-hour has
// tens of millions of samples, so we keep log-linear buckets: exact below
// 2048 ms, within 0.1 % above — enough for p50/p99 — plus the exact max.
import { assert } from "../core/assert.ts";

const exactBelowMs = 2048;
const mantissaBits = 10;
const exponentsMax = 42;
const bucketCount = exactBelowMs + exponentsMax * (1 << mantissaBits);

/**
 * A shard's histogram crossing a thread: its non-empty buckets in ascending
 * order and their counts in two typed arrays (a structured clone copies them
 * as bytes; an array of [bucket, count] pairs was ~4,000 small arrays per
 * 4-phone shard, each deserialized and then scavenged in the parent).
 */
export interface SparseLagHistogram {
  buckets: Uint32Array;
  counts: Float64Array;
  maxMs: number;
}

/** Buckets allocated at first: lags up to ~8 s; a typical run's (tens of seconds) grow it once or twice. */
const initialBuckets = 8_192;
/**
 * Samples held as bucket numbers before they are counted. A run's lags
 * spread over ~5,000 buckets (40 KB of counts), and between two replayed
 * batches the core's allocation evicts them: counting each sample at once
 * was a cache miss per replayed input (≈ 75 ns of `add` in a 4-phone
 * shard's profile). Counted together, a flush's samples share the lines it
 * brings in.
 */
const pendingSamplesMax = 4_096;
assert(bucketCount <= 0x1_0000, "a pending sample's bucket fits 16 bits");

export class LagHistogram {
  /**
   * Grown on demand to cover the highest bucket recorded: the whole range is
   * 45,056 buckets (360 KB zeroed per shard, and toSparse scanned all of it).
   */
  private counts = new Float64Array(initialBuckets);
  /** Bucket numbers of samples recorded but not yet in `counts` (the first `pendingCount`). */
  private readonly pending = new Uint16Array(pendingSamplesMax);
  private pendingCount = 0;
  /** One past the highest bucket holding a sample (of those counted: see `flush`). */
  private end = 0;
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
    if (this.pendingCount === pendingSamplesMax) this.flush();
    this.pending[this.pendingCount++] = bucketOf(Math.floor(lagMs));
    this.total++;
    if (lagMs > this.maxMs) this.maxMs = lagMs;
  }

  /** Counts the pending samples (`total` has them already). */
  private flush(): void {
    const { pending } = this;
    const n = this.pendingCount;
    this.pendingCount = 0;
    for (let i = 0; i < n; i++) this.count1(pending[i]!);
  }

  private count1(bucket: number): void {
    if (bucket >= this.counts.length) this.grow(bucket);
    this.counts[bucket]! += 1;
    if (bucket >= this.end) this.end = bucket + 1;
  }

  private add(bucket: number, n: number): void {
    if (bucket >= this.counts.length) this.grow(bucket);
    this.counts[bucket]! += n;
    this.total += n;
    if (bucket >= this.end) this.end = bucket + 1;
  }

  private grow(bucket: number): void {
    assert(bucket < bucketCount, `lag bucket ${bucket} beyond the histogram`);
    let size = this.counts.length * 2;
    while (size <= bucket) size *= 2;
    const counts = new Float64Array(Math.min(size, bucketCount));
    counts.set(this.counts);
    this.counts = counts;
    assert(this.counts.length > bucket, "the histogram grew past the bucket");
  }

  /** Non-empty buckets with their counts, plus the max: a shard's histogram crossing a thread. */
  toSparse(): SparseLagHistogram {
    this.flush();
    const { counts, end } = this;
    let used = 0;
    for (let bucket = 0; bucket < end; bucket++) if (counts[bucket]! > 0) used++;
    const sparse = { buckets: new Uint32Array(used), counts: new Float64Array(used), maxMs: this.maxMs };
    let i = 0;
    for (let bucket = 0; bucket < end; bucket++) {
      const n = counts[bucket]!;
      if (n === 0) continue;
      sparse.buckets[i] = bucket;
      sparse.counts[i++] = n;
    }
    assert(i === used, "every non-empty bucket copied once");
    return sparse;
  }

  /** Adds another histogram's samples: merged quantiles are exact, not averaged. */
  merge(other: SparseLagHistogram): void {
    this.flush();
    const { buckets, counts } = other;
    assert(buckets.length === counts.length, "a sparse histogram pairs each bucket with its count");
    for (let i = 0; i < buckets.length; i++) {
      const bucket = buckets[i]!;
      const n = counts[i]!;
      assert(bucket < bucketCount && (i === 0 || bucket > buckets[i - 1]!), `bad lag bucket ${bucket}`);
      assert(Number.isSafeInteger(n) && n > 0, "a sparse bucket holds samples");
      this.add(bucket, n);
    }
    if (other.maxMs > this.maxMs) this.maxMs = other.maxMs;
  }

  /** The q-quantile (0..1) as a bucket's lower bound; 0 for no samples. */
  quantile(q: number): number {
    assert(q >= 0 && q <= 1, `quantile out of range: ${q}`);
    if (this.total === 0) return 0;
    this.flush();
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let bucket = 0; bucket < this.end; bucket++) {
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
