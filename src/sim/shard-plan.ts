// How a fleet run splits into shards (issue 4: use both cores). Each shard is
// an independent fleet with its own mirror server — an operator runs many
// servers — so shards never talk and can run on separate threads. The seed
// and the shard count fix every shard's seed, so `--seed S --workers N`
// reproduces the run exactly; `--workers 1` is the one-fleet run itself.
import { assert } from "../core/assert.ts";
import { SeededRng } from "../core/rng.ts";
import type { SimulationOptions } from "./options.ts";

export interface ShardSpec {
  index: number;
  count: number;
  /** The shard's own seed (the run's seed itself when there is one shard). */
  seed: number;
  phones: number;
  /** Global number of the shard's first phone: device ids stay unique across shards. */
  phoneBase: number;
}

/** Shard seeds stay below 2^47 like seeds typed on the command line. */
const shardSeedMax = 2 ** 47 - 1;

export function shardSeed(seed: number, count: number, index: number): number {
  assert(Number.isSafeInteger(count) && count >= 1, `bad shard count ${count}`);
  assert(Number.isSafeInteger(index) && index >= 0 && index < count, `bad shard index ${index}`);
  if (count === 1) return seed;
  return new SeededRng(seed).fork(`shard-${index}-of-${count}`).int(0, shardSeedMax);
}

/** Splits `options.phones` over `options.workers` shards as evenly as possible. */
export function planShards(options: SimulationOptions): ShardSpec[] {
  const count = options.workers ?? 1;
  assert(Number.isSafeInteger(count) && count >= 1 && count <= options.phones, `bad worker count ${count}`);
  const shards: ShardSpec[] = [];
  let phoneBase = 0;
  for (let index = 0; index < count; index++) {
    const phones = Math.floor(options.phones / count) + (index < options.phones % count ? 1 : 0);
    shards.push({ index, count, seed: shardSeed(options.seed, count, index), phones, phoneBase });
    phoneBase += phones;
  }
  assert(phoneBase === options.phones, "every phone is in exactly one shard");
  return shards;
}

/** The options one shard runs: the resolved run options with the shard's seed and phones. */
export function shardOptions(resolved: SimulationOptions, shard: ShardSpec): SimulationOptions {
  assert(shard.phones >= 1, "a shard has a phone");
  // swarm is already resolved from the run's seed: every shard shares one configuration.
  return { ...resolved, seed: shard.seed, phones: shard.phones, swarm: false, workers: 1 };
}
