// Hash signatures (`.hdb`/`.hsb`) as sorted digest arrays per algorithm
// (paper §5.2): lookup is a binary search, and the arrays go into the
// compiled-database cache as they are, so loading 100k hash signatures from
// the cache allocates a handful of objects. Sizes are checked on lookup;
// `*` (stored as −1) matches any size; exact sizes are reported first, as
// clamscan does.
import { assert } from "../../core/assert.ts";
import { concatBytes, fromHex } from "../../core/bytes.ts";
import type { HashAlgorithm, HashSignature } from "./signature.ts";

export interface HashBucket {
  digestBytes: number;
  /** count × digestBytes, sorted by digest (database order among equal digests). */
  digests: Uint8Array;
  /** Object size per entry, −1 for `*`. */
  sizes: Float64Array;
  /** UTF-8 names, each followed by "\n"; nameStarts has count + 1 byte offsets into it. */
  names: Uint8Array;
  nameStarts: Int32Array;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const hashAlgorithms: readonly HashAlgorithm[] = ["md5", "sha1", "sha256"];
const digestBytesOf: Record<HashAlgorithm, number> = { md5: 16, sha1: 20, sha256: 32 };

function compareAt(a: Uint8Array, at: number, b: Uint8Array, length: number): number {
  for (let i = 0; i < length; i++) {
    const d = a[at + i]! - b[i]!;
    if (d !== 0) return d;
  }
  return 0;
}

function buildBucket(algorithm: HashAlgorithm, signatures: readonly HashSignature[]): HashBucket {
  const length = digestBytesOf[algorithm];
  const entries = signatures
    .map((sig, order) => ({ digest: fromHex(sig.digestHex)!, sig, order }))
    .sort((x, y) => compareAt(x.digest, 0, y.digest, length) || x.order - y.order);
  const digests = new Uint8Array(entries.length * length);
  const sizes = new Float64Array(entries.length);
  const nameStarts = new Int32Array(entries.length + 1);
  const names: Uint8Array[] = [];
  let offset = 0;
  for (const [i, e] of entries.entries()) {
    assert(e.digest.length === length, "digest length fits the algorithm");
    digests.set(e.digest, i * length);
    sizes[i] = e.sig.size ?? -1;
    nameStarts[i] = offset;
    names.push(encoder.encode(`${e.sig.name}\n`));
    offset += names[i]!.length;
  }
  nameStarts[entries.length] = offset;
  return {
    digestBytes: length,
    digests,
    sizes,
    names: concatBytes(names),
    nameStarts,
  };
}

export class HashTable {
  readonly algorithms: HashAlgorithm[];
  readonly size: number;

  private constructor(readonly buckets: Readonly<Record<HashAlgorithm, HashBucket>>) {
    this.algorithms = hashAlgorithms.filter((a) => buckets[a].sizes.length > 0);
    this.size = hashAlgorithms.reduce((sum, a) => sum + buckets[a].sizes.length, 0);
  }

  static build(signatures: readonly HashSignature[]): HashTable {
    const of = (a: HashAlgorithm) =>
      buildBucket(
        a,
        signatures.filter((s) => s.algorithm === a),
      );
    return new HashTable({ md5: of("md5"), sha1: of("sha1"), sha256: of("sha256") });
  }

  static fromBuckets(buckets: Record<HashAlgorithm, HashBucket>): HashTable {
    for (const a of hashAlgorithms) {
      const b = buckets[a];
      assert(b.digests.length === b.sizes.length * b.digestBytes, "cached bucket is consistent");
      assert(b.nameStarts.length === b.sizes.length + 1, "one name per cached entry");
    }
    return new HashTable(buckets);
  }

  /** Names of the signatures matching this digest and size: exact sizes first, then `*`. */
  lookup(algorithm: HashAlgorithm, digestHex: string, size: number): string[] {
    assert(size >= 0, "object size is non-negative");
    const bucket = this.buckets[algorithm];
    const digest = fromHex(digestHex);
    assert(
      digest !== undefined && digest.length === bucket.digestBytes,
      "lookup with a digest of the right length",
    );
    let lo = 0;
    let hi = bucket.sizes.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (compareAt(bucket.digests, mid * bucket.digestBytes, digest, bucket.digestBytes) < 0) lo = mid + 1;
      else hi = mid;
    }
    const exact: string[] = [];
    const wildcard: string[] = [];
    for (
      let i = lo;
      i < bucket.sizes.length &&
      compareAt(bucket.digests, i * bucket.digestBytes, digest, bucket.digestBytes) === 0;
      i++
    ) {
      const name = decoder.decode(bucket.names.subarray(bucket.nameStarts[i], bucket.nameStarts[i + 1]! - 1));
      if (bucket.sizes[i] === size) exact.push(name);
      else if (bucket.sizes[i] === -1) wildcard.push(name);
    }
    return [...exact, ...wildcard];
  }
}
