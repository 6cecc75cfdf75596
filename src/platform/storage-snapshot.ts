// An immutable moment of a storage (DESIGN.md "Mirrors": templates shared
// copy-on-write): the tree root and the blob index, both persistent, so
// taking one is O(1) and holding one pins only what it references.
import type { BlobIndex } from "./blob-index.ts";
import type { DirNode } from "./fs-node.ts";

/** Opaque to callers: pass it to Storage.fromSnapshot or Storage.restore. */
export class StorageSnapshot {
  constructor(
    readonly root: DirNode,
    readonly blobs: BlobIndex,
    readonly fileCount: number,
    readonly bytesTotal: number,
  ) {}
}
