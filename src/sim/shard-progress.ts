// Progress of a sharded run (issue 4: use both cores) at a cost that does
// not grow with the shard count. A shard reports its own progress up to
// ~100 times (runPhases), and each report crossed threads as a message and
// was averaged over every shard in the parent: with 10,000 one-phone shards
// that was a million messages, each summing 10,000 fractions, most of the
// extra CPU that small shards cost (docs/benchmarks.md "Small shards
// (session 8)"). A bar shows about `runProgressSteps` steps of the whole
// run, so a shard needs only its share of them, and the parent keeps the
// mean as a running sum.
import { assert } from "../core/assert.ts";

/** Steps of the whole run a progress bar can show (it draws whole per cents). */
export const runProgressSteps = 100;

/**
 * Progress messages one of `shardCount` shards posts: its share of the
 * run's steps (at least 1; its result message marks the shard done).
 */
export function progressStepsPerShard(shardCount: number): number {
  assert(Number.isSafeInteger(shardCount) && shardCount >= 1, `bad shard count ${shardCount}`);
  return Math.max(1, Math.ceil(runProgressSteps / shardCount));
}

/** Worker side: which of a shard's progress fractions are worth a message. */
export class ShardProgressGate {
  /** The step (floor(fraction × steps)) the next message needs: integers, so rounding cannot repeat one. */
  private nextStep = 1;

  constructor(private readonly steps: number) {
    assert(Number.isSafeInteger(steps) && steps >= 1, `bad progress steps ${steps}`);
  }

  /** True when `fraction` reaches the next step below 1 (the shard's end is its result, not a step). */
  due(fraction: number): boolean {
    if (!(fraction >= 0 && fraction <= 1)) assert(false, `progress out of range: ${fraction}`);
    const step = Math.floor(fraction * this.steps);
    if (step < this.nextStep || fraction >= 1) return false;
    assert(step < this.steps, "a step below the end");
    this.nextStep = step + 1;
    return true;
  }
}

/** Progress units per shard: fractions are summed as integers, so the sum is exact (and all done is exactly 1). */
const unitsPerShard = 2 ** 20;

/** Parent side: the mean progress over all shards, updated in O(1) per report. */
export class FleetProgress {
  private readonly units: Float64Array;
  private sum = 0;

  constructor(shardCount: number) {
    assert(Number.isSafeInteger(shardCount) && shardCount >= 1, `bad shard count ${shardCount}`);
    assert(shardCount * unitsPerShard < Number.MAX_SAFE_INTEGER, "progress units stay exact");
    this.units = new Float64Array(shardCount);
  }

  /** Records shard `index` at `fraction` (progress never goes back); returns the run's mean. */
  set(index: number, fraction: number): number {
    assert(index >= 0 && index < this.units.length, `bad shard index ${index}`);
    if (!(fraction >= 0 && fraction <= 1)) assert(false, `progress out of range: ${fraction}`);
    const units = Math.round(fraction * unitsPerShard);
    const old = this.units[index]!;
    if (units > old) {
      this.units[index] = units;
      this.sum += units - old;
    }
    return this.sum / (this.units.length * unitsPerShard);
  }
}
