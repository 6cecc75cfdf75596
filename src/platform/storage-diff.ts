// Merkle diff of two storage trees (DESIGN.md "Sync protocol": divergence is
// repaired by fetching only what differs). Subtrees with equal hashes, or
// shared outright, are skipped, so the cost follows the number of differences
// times the tree depth, not the tree size. Both directory trees are
// canonical, so splitting both sides at the first key of the higher node
// lines their remaining parts up again, and untouched gaps keep their hashes.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import { DirNode, dirForEach, FileNode, type FsNode, nodeHash } from "./fs-node.ts";
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

/**
 * Every file path that differs between two trees (content, size, kind, or
 * present on one side only), depth-first in name order. Unlike diffDirs it
 * never looks at a Merkle hash: it is the simulator's final check that no
 * stale memoized hash made unequal trees' digests agree. Only a node both
 * trees share (the same immutable object, e.g. a factory template's
 * directory under the device's key) is skipped, so the walk costs the
 * directories either side wrote, not the whole tree with a path string and
 * a manifest entry per file. Empty directories are not files: compare
 * emptyDirs() for them.
 */
export function filesDiffering(a: DirNode, b: DirNode): string[] {
  const out: string[] = [];
  walkPair(a, b, "/", out, 0);
  return out;
}

function walkPair(a: DirNode, b: DirNode, dir: string, out: string[], depth: number): void {
  assert(depth <= limits.pathDepthMax, "filesDiffering: deeper than any path");
  if (a === b) return;
  const left = entriesOf(a);
  const right = entriesOf(b);
  let i = 0;
  let j = 0;
  while (i < left.names.length || j < right.names.length) {
    const x = left.names[i];
    const y = right.names[j];
    if (y === undefined || (x !== undefined && x < y)) {
      filesUnder(childPath(dir, x!), left.nodes[i++]!, out, depth + 1);
    } else if (x === undefined || y < x) {
      filesUnder(childPath(dir, y), right.nodes[j++]!, out, depth + 1);
    } else {
      comparePair(dir, x, left.nodes[i++]!, right.nodes[j++]!, out, depth + 1);
    }
  }
  assert(i === left.names.length && j === right.names.length, "filesDiffering: merge overran");
}

function comparePair(dir: string, name: string, p: FsNode, q: FsNode, out: string[], depth: number): void {
  if (p === q) return;
  if (p instanceof FileNode && q instanceof FileNode) {
    if (p.sha !== q.sha || p.bytes.length !== q.bytes.length) out.push(childPath(dir, name));
  } else if (p instanceof DirNode && q instanceof DirNode) {
    walkPair(p, q, childPath(dir, name), out, depth);
  } else {
    // a file on one side, a directory on the other: the file and every file below the directory
    const path = childPath(dir, name);
    filesUnder(path, p, out, depth);
    filesUnder(path, q, out, depth);
  }
}

function entriesOf(dir: DirNode): { names: string[]; nodes: FsNode[] } {
  const names: string[] = [];
  const nodes: FsNode[] = [];
  dirForEach(dir, (name, node) => {
    names.push(name);
    nodes.push(node);
  });
  assert(names.length === dir.count, "filesDiffering: entry count out of step");
  return { names, nodes };
}

function filesUnder(path: string, node: FsNode, out: string[], depth: number): void {
  assert(depth <= limits.pathDepthMax, "filesDiffering: deeper than any path");
  if (node instanceof FileNode) {
    out.push(path);
    return;
  }
  dirForEach(node, (name, child) => filesUnder(childPath(path, name), child, out, depth + 1));
}
