// Merkle diff of two storage trees (DESIGN.md "Sync protocol": divergence is
// repaired by fetching only what differs). Subtrees with equal hashes, or
// shared outright, are skipped, so the cost follows the number of differences
// times log of the directory size, not the tree size. Because both treaps are
// canonical, a key at the root of one side with the higher priority cannot
// occur on the other side; splitting the other side at it aligns the rest.
import { assert } from "../core/assert.ts";
import type { Sha256 } from "../core/ports.ts";
import { DirNode, FileNode, type FsNode, nodeHash } from "./fs-node.ts";
import { childPath } from "./path.ts";
import { outranks, type Treap, treapEntries, treapSplit } from "./treap.ts";

/** A path that differs between two storages, from the first storage's point of view. */
export type PathChange = { path: string; change: "added" | "removed" | "changed" };

type Out = PathChange[];

/** Changes that turn tree a into tree b, depth-first in name order. */
export function diffDirs(a: DirNode, b: DirNode, sha256: Sha256): PathChange[] {
  const out: Out = [];
  if (a === b || nodeHash(a, sha256) === nodeHash(b, sha256)) return out;
  diffTreaps(a.entries, b.entries, "/", out);
  return out;
}

function diffTreaps(x: Treap<FsNode>, y: Treap<FsNode>, dir: string, out: Out): void {
  if (x === y) return;
  if (x === undefined || y === undefined) {
    const side = x ?? y;
    const change = x === undefined ? "added" : "removed";
    for (const entry of treapEntries(side)) emitSubtree(childPath(dir, entry.key), entry.value, change, out);
    return;
  }
  if (x.hash !== undefined && x.hash === y.hash) return;
  if (x.key === y.key) {
    diffTreaps(x.left, y.left, dir, out);
    diffEntries(childPath(dir, x.key), x.value, y.value, out);
    diffTreaps(x.right, y.right, dir, out);
    return;
  }
  if (outranks(x, y)) {
    const [below, same, above] = treapSplit(y, x.key);
    assert(same === undefined, "diff: a higher-priority key cannot appear below the other root");
    diffTreaps(x.left, below, dir, out);
    emitSubtree(childPath(dir, x.key), x.value, "removed", out);
    diffTreaps(x.right, above, dir, out);
    return;
  }
  const [below, same, above] = treapSplit(x, y.key);
  assert(same === undefined, "diff: a higher-priority key cannot appear below the other root");
  diffTreaps(below, y.left, dir, out);
  emitSubtree(childPath(dir, y.key), y.value, "added", out);
  diffTreaps(above, y.right, dir, out);
}

function diffEntries(path: string, p: FsNode, q: FsNode, out: Out): void {
  if (p === q) return;
  if (p instanceof FileNode && q instanceof FileNode) {
    if (p.sha !== q.sha) out.push({ path, change: "changed" });
    return;
  }
  if (p instanceof DirNode && q instanceof DirNode) {
    diffTreaps(p.entries, q.entries, path, out);
    return;
  }
  // a file became a directory or the reverse: the path changed kind, and
  // everything below the directory side appears or disappears with it
  out.push({ path, change: "changed" });
  const dir = p instanceof DirNode ? p : (q as DirNode);
  const change = p instanceof DirNode ? "removed" : "added";
  for (const entry of treapEntries(dir.entries))
    emitSubtree(childPath(path, entry.key), entry.value, change, out);
}

function emitSubtree(path: string, node: FsNode, change: "added" | "removed", out: Out): void {
  out.push({ path, change });
  if (node instanceof FileNode) return;
  for (const entry of treapEntries(node.entries))
    emitSubtree(childPath(path, entry.key), entry.value, change, out);
}
