// The live server's device level keys (paper §3.3 mirror storage; DESIGN.md
// keyed directory levels): each mirror's trees are shaped by a key derived
// from its device's enrolled key (an HMAC). Derived once per key BYTES and
// kept, so every load of a mirror gets the SAME key object: the platform's
// rebuilt template is cached per key object (rekeySnapshot), and a fresh
// object per load re-derived the key and rebuilt ~60 directory trees each
// time (~230 us per load, vs ~2 us with the key kept; bench notes in
// docs/benchmarks.md "Live intake (session 4)").
import { assert } from "../core/assert.ts";
import { toHex } from "../core/bytes.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import { type LevelKey, levelKeyFromDeviceKey } from "../platform/key-level.ts";

export class LevelKeyCache {
  /** Insertion order is use order: a hit moves its entry to the end, the oldest leaves first. */
  private readonly keys = new Map<string, LevelKey>();

  constructor(
    private readonly sha256: Sha256,
    private readonly capacity: number = limits.levelKeysCachedMax,
  ) {
    assert(capacity >= 1, "level key cache needs room for one key");
  }

  get size(): number {
    return this.keys.size;
  }

  /** The level key of a device key; the same object for the same bytes while it stays cached. */
  levelKeyOf(deviceKey: Uint8Array): LevelKey {
    const hex = toHex(deviceKey);
    const cached = this.keys.get(hex);
    if (cached !== undefined) {
      this.keys.delete(hex);
      this.keys.set(hex, cached);
      return cached;
    }
    const derived = levelKeyFromDeviceKey(deviceKey, this.sha256);
    if (this.keys.size >= this.capacity) {
      const oldest = this.keys.keys().next().value as string;
      this.keys.delete(oldest);
    }
    this.keys.set(hex, derived);
    assert(this.keys.size <= this.capacity, "level key cache over its bound");
    return derived;
  }
}
