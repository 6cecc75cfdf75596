// Verdicts per (blob SHA-256, database version) (paper §5.2 at fleet scale):
// a blob shared by 1000 mirrors (template files, popular packages) is scanned
// once per database version; a new version misses and rescans lazily. LRU,
// bounded by limits.verdictCacheEntriesMax.
import { assert } from "../../core/assert.ts";
import { limits } from "../../core/limits.ts";
import type { Detection } from "./scan-engine.ts";

export interface BlobVerdict {
  /** Database version the verdict was computed with. */
  version: string;
  detections: readonly Detection[];
}

export class VerdictCache {
  private readonly entries = new Map<string, BlobVerdict>();

  constructor(private readonly capacity: number = limits.verdictCacheEntriesMax) {
    assert(capacity >= 1 && capacity <= limits.verdictCacheEntriesMax, "verdict cache capacity in bounds");
  }

  get size(): number {
    return this.entries.size;
  }

  get(sha256Hex: string, version: string): BlobVerdict | undefined {
    const key = `${version}/${sha256Hex}`;
    const verdict = this.entries.get(key);
    if (verdict !== undefined) {
      this.entries.delete(key);
      this.entries.set(key, verdict);
    }
    return verdict;
  }

  set(sha256Hex: string, verdict: BlobVerdict): void {
    assert(sha256Hex.length === 64, "verdicts are keyed by a SHA-256 hex digest");
    const key = `${verdict.version}/${sha256Hex}`;
    this.entries.delete(key);
    this.entries.set(key, verdict);
    while (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }
}
