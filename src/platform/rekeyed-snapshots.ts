// One rebuilt tree per (snapshot, level key) in a process (issue 4, memory
// per phone). Every device rebuilds its factory template's directory trees
// under its own level key (storage-build.ts rekeySnapshot); in the simulator
// a phone and its mirror are made in one thread with the same key, and each
// rebuilt the whole template and hashed it on its first digest. Now the
// second takes the first one's tree: it is immutable (writes path-copy) and a
// deterministic function of the snapshot and the key, so sharing it is exact,
// and its memoized node hashes are computed once per device, not twice.
// Held in WeakMaps keyed by the snapshot and the key objects: an entry lives
// exactly as long as both (the key as long as its device), nothing else pins it.
import { assert } from "../core/assert.ts";
import type { KeyLevel } from "./merkle-search-tree.ts";
import { rekeySnapshot } from "./storage-build.ts";
import type { StorageSnapshot } from "./storage-snapshot.ts";

const rebuilt = new WeakMap<StorageSnapshot, WeakMap<KeyLevel, StorageSnapshot>>();

/** rekeySnapshot(snapshot, levels), built once per pair of objects. */
export function rekeyedSnapshot(snapshot: StorageSnapshot, levels: KeyLevel): StorageSnapshot {
  if (snapshot.levels === levels) return snapshot;
  let byKey = rebuilt.get(snapshot);
  if (byKey === undefined) {
    byKey = new WeakMap();
    rebuilt.set(snapshot, byKey);
  }
  let tree = byKey.get(levels);
  if (tree === undefined) {
    tree = rekeySnapshot(snapshot, levels);
    byKey.set(levels, tree);
  }
  assert(tree.levels === levels, "rekeyedSnapshot: a tree built under another key");
  assert(
    tree.fileCount === snapshot.fileCount && tree.blobs === snapshot.blobs,
    "rekeyedSnapshot: other files",
  );
  return tree;
}
