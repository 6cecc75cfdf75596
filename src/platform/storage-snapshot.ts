// An immutable moment of a storage (DESIGN.md "Mirrors": templates shared
// copy-on-write): the tree root and the blob index, both persistent, so
// taking one is O(1) and holding one pins only what it references. It also
// carries the device's directory level key (key-level.ts): the tree's shape
// follows it, so clones, restores, services' frozen copies and diffs keep
// writing with the device's secret without passing it around.
import type { BlobIndex } from "./blob-index.ts";
import type { DirNode } from "./fs-node.ts";
import type { KeyLevel } from "./merkle-search-tree.ts";

/** Opaque to callers: pass it to Storage.fromSnapshot or Storage.restore. */
export class StorageSnapshot {
  constructor(
    readonly root: DirNode,
    readonly blobs: BlobIndex,
    readonly fileCount: number,
    readonly bytesTotal: number,
    /** The level function (a device's LevelKey) every directory tree under root was built with. */
    readonly levels: KeyLevel,
  ) {}
}
