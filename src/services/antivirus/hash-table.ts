// Hash signatures (`.hdb`/`.hsb`) indexed by (algorithm, digest); sizes are
// checked on lookup, `*` matches any size (paper §5.2).
import { assert } from "../../core/assert.ts";
import type { HashAlgorithm, HashSignature } from "./signature.ts";

/** Size −1 stands for `*`. */
interface HashEntry {
  size: number;
  name: string;
}

export class HashTable {
  private readonly byDigest = new Map<string, HashEntry[]>();
  readonly algorithms: HashAlgorithm[];
  readonly size: number;

  constructor(signatures: readonly HashSignature[]) {
    const used = new Set<HashAlgorithm>();
    for (const sig of signatures) {
      assert(sig.digestHex === sig.digestHex.toLowerCase(), "digests are stored lower-case");
      const key = `${sig.algorithm}:${sig.digestHex}`;
      const list = this.byDigest.get(key);
      const entry = { size: sig.size ?? -1, name: sig.name };
      if (list === undefined) this.byDigest.set(key, [entry]);
      else list.push(entry);
      used.add(sig.algorithm);
    }
    this.algorithms = (["md5", "sha1", "sha256"] as const).filter((a) => used.has(a));
    this.size = signatures.length;
  }

  /** Names of the signatures matching this digest and size: exact sizes first, then `*`. */
  lookup(algorithm: HashAlgorithm, digestHex: string, size: number): string[] {
    assert(size >= 0, "object size is non-negative");
    const list = this.byDigest.get(`${algorithm}:${digestHex}`);
    if (list === undefined) return [];
    // clamscan checks size-specific signatures before wildcard-size ones.
    const exact = list.filter((e) => e.size === size).map((e) => e.name);
    return [...exact, ...list.filter((e) => e.size === -1).map((e) => e.name)];
  }

  /** Every signature as (algorithm, digest, size or −1, name), for the compiled cache. */
  *entries(): Iterable<[HashAlgorithm, string, number, string]> {
    for (const [key, list] of this.byDigest) {
      const [algorithm, digest] = key.split(":") as [HashAlgorithm, string];
      for (const e of list) yield [algorithm, digest, e.size, e.name];
    }
  }
}
