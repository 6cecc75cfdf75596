// Merkle diff of two storage trees (DESIGN.md "Sync protocol": divergence is
// repaired by fetching only what differs). Subtrees with equal hashes, or
// shared outright, are skipped, so the cost follows the number of differences
// times the tree depth, not the tree size. Both directory trees are
// canonical, so splitting both sides at the first key of the higher node
// lines their remaining parts up again, and untouched gaps keep their hashes.
import { assert } from "../core/assert.ts";
import type { Sha256 } from "../core/ports.ts";
import { DirNode, FileNode, type FsNode, nodeHash } from "./fs-node.ts";
import { type Mst, mstEntries, mstSplit } from "./merkle-search-tree.ts";
import { childPath } from "./path.ts";

/** A path that differs between two storages, from the first storage's point of view. */
export type PathChange = { path: string; change: "added" | "removed" | "changed" };

type Out = PathChange[];

/** Changes that turn tree a into tree b, depth-first in name order. */
export function diffDirs(a: DirNode, b: DirNode, sha256: Sha256): PathChange[] {
  const out: Out = [];
  if (a === b || nodeHash(a, sha256) === nodeHash(b, sha256)) return out;
  diffTrees(a.entries, b.entries, "/", out);
  return out;
}

function diffTrees(x: Mst<FsNode>, y: Mst<FsNode>, dir: string, out: Out): void {
  if (x === y) return;
  if (x === undefined || y === undefined) {
    const change = x === undefined ? "added" : "removed";
    for (const [name, node] of mstEntries(x ?? y)) emitSubtree(childPath(dir, name), node, change, out);
    return;
  }
  if (x.hash !== undefined && x.hash === y.hash) return;
  const pivot = (x.level >= y.level ? x : y).keys[0]!;
  const [xBelow, xAt, xAbove] = mstSplit(x, pivot);
  const [yBelow, yAt, yAbove] = mstSplit(y, pivot);
  assert(xAt !== undefined || yAt !== undefined, "diff: the pivot comes from one of the sides");
  diffTrees(xBelow, yBelow, dir, out);
  const path = childPath(dir, pivot);
  if (xAt === undefined) emitSubtree(path, yAt!, "added", out);
  else if (yAt === undefined) emitSubtree(path, xAt, "removed", out);
  else diffEntries(path, xAt, yAt, out);
  diffTrees(xAbove, yAbove, dir, out);
}

function diffEntries(path: string, p: FsNode, q: FsNode, out: Out): void {
  if (p === q) return;
  if (p instanceof FileNode && q instanceof FileNode) {
    if (p.sha !== q.sha) out.push({ path, change: "changed" });
    return;
  }
  if (p instanceof DirNode && q instanceof DirNode) {
    diffTrees(p.entries, q.entries, path, out);
    return;
  }
  // a file became a directory or the reverse: the path changed kind, and
  // everything below the directory side appears or disappears with it
  out.push({ path, change: "changed" });
  const dir = p instanceof DirNode ? p : (q as DirNode);
  const change = p instanceof DirNode ? "removed" : "added";
  for (const [name, node] of mstEntries(dir.entries)) emitSubtree(childPath(path, name), node, change, out);
}

function emitSubtree(path: string, node: FsNode, change: "added" | "removed", out: Out): void {
  out.push({ path, change });
  if (node instanceof FileNode) return;
  for (const [name, child] of mstEntries(node.entries))
    emitSubtree(childPath(path, name), child, change, out);
}
