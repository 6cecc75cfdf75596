// Holds the loaded database and swaps a new version in atomically (issue 8:
// a long-standing ClamAV request). A scan takes the engine once when it
// begins and keeps it to the end, so a swap never stops or mixes a scan in
// flight; the next scan sees the new version, and verdict caches keyed by
// version rescan lazily.
import { assert } from "../../core/assert.ts";
import type { ScanEngine } from "./scan-engine.ts";

export class DatabaseHolder {
  private engine: ScanEngine;
  private swaps = 0;

  constructor(initial: ScanEngine) {
    this.engine = initial;
  }

  get current(): ScanEngine {
    return this.engine;
  }

  get version(): string {
    return this.engine.version;
  }

  /** Number of swaps so far. */
  get generation(): number {
    return this.swaps;
  }

  swap(next: ScanEngine): void {
    assert(next !== this.engine, "swap in a different engine");
    this.engine = next;
    this.swaps++;
    assert(this.engine.version === next.version, "swap is visible at once");
  }
}
