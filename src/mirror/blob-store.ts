// Content-addressed, reference-counted blobs over the MirrorStore (DESIGN.md
// "Mirrors": identical files across the fleet are stored, and later scanned,
// once). The same package fetched by 1000 phones is one blob with 1000 refs.
import { assert } from "../core/assert.ts";
import type { Sha256 } from "../core/ports.ts";
import type { MirrorStore } from "./store.ts";

export class BlobStore {
  constructor(
    private readonly store: MirrorStore,
    private readonly sha256: Sha256,
  ) {}

  /** Stores the bytes if new, adds one reference, returns their hash. */
  add(bytes: Uint8Array): Uint8Array {
    const hash = this.sha256(bytes);
    assert(hash.length === 32, "sha256 port returned a wrong-size digest");
    this.store.putAndRetainBlob(hash, bytes);
    return hash;
  }

  /** Adds a reference to a blob the caller knows exists (or supplies). */
  retain(hash: Uint8Array, bytes?: Uint8Array): void {
    if (bytes !== undefined && !this.store.hasBlob(hash)) this.store.putBlob(hash, bytes);
    this.store.retainBlob(hash);
  }

  release(hash: Uint8Array): void {
    this.store.releaseBlob(hash);
  }

  get(hash: Uint8Array): Uint8Array | undefined {
    return this.store.getBlob(hash);
  }

  has(hash: Uint8Array): boolean {
    return this.store.hasBlob(hash);
  }

  refs(hash: Uint8Array): number {
    return this.store.blobRefs(hash);
  }

  stats(): { blobs: number; bytes: number } {
    return this.store.blobStats();
  }
}
