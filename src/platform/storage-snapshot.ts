// An immutable moment of a storage (DESIGN.md "Mirrors": templates shared
// copy-on-write): the tree root and the blob index, both persistent, so
// taking one is O(1) and holding one pins only what it references.
import type { DirNode } from "./fs-node.ts";
import type { Treap } from "./treap.ts";

/** One distinct content and the number of files holding it. */
export class BlobEntry {
  constructor(
    readonly bytes: Uint8Array,
    readonly refs: number,
  ) {}
}

/** Opaque to callers: pass it to Storage.fromSnapshot or Storage.restore. */
export class StorageSnapshot {
  constructor(
    readonly root: DirNode,
    readonly blobs: Treap<BlobEntry>,
    readonly fileCount: number,
    readonly bytesTotal: number,
  ) {}
}
