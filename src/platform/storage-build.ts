// Bulk construction of a storage tree from a list of files: one pass into a
// mutable draft, then each directory becomes a canonical tree in O(n). Used
// for factory templates, durable restore (manifest + blobs) and benchmarks,
// where n single writes would path-copy n times. Also rebuilds a snapshot's
// directories under another device's level key (rekeySnapshot): a mirror
// made from a shared factory template gets its own tree shape in O(n) while
// sharing every file node and blob with the template.
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { BlobEntry, type BlobLeaf, blobIndexOf } from "./blob-index.ts";
import { DirNode, FileNode, type FsNode } from "./fs-node.ts";
import { LevelKey } from "./key-level.ts";
import { type KeyLevel, type MstIndex, mstFromSorted, mstIndex, mstRekey } from "./merkle-search-tree.ts";
import { parsePath } from "./path.ts";
import { StorageSnapshot } from "./storage-snapshot.ts";

export interface TreeFile {
  path: string;
  /** Content hash, 32-char binary string. */
  sha: string;
  bytes: Uint8Array;
}

type Draft = Map<string, Draft | FileNode>;

/** Per content: the first file node holding it (its index leaf while one file holds it) and the count. */
type BuildParts = { root: DirNode; blobs: Map<string, { file: FileNode; refs: number }> };

function place(root: Draft, path: string, leaf: FileNode | undefined): Result<void> {
  const segments = parsePath(path);
  if (!segments.ok) return segments;
  let dir = root;
  const names = segments.value;
  const dirDepth = leaf === undefined ? names.length : names.length - 1;
  for (let i = 0; i < dirDepth; i++) {
    const next = dir.get(names[i]!);
    if (next instanceof FileNode)
      return fail(ErrorCodes.NOT_A_DIRECTORY, `Not a directory on the way to ${path}`);
    if (next !== undefined) {
      dir = next;
      continue;
    }
    const created: Draft = new Map();
    dir.set(names[i]!, created);
    dir = created;
  }
  if (leaf === undefined) return ok(undefined);
  const name = names[names.length - 1];
  if (name === undefined) return fail(ErrorCodes.NOT_A_FILE, "The root is a directory");
  if (dir.has(name)) return fail(ErrorCodes.PATH_EXISTS, `Listed twice or both file and directory: ${path}`);
  dir.set(name, leaf);
  return ok(undefined);
}

function freeze(draft: Draft, levels: KeyLevel): Result<DirNode> {
  if (draft.size > limits.filesPerDirectoryMax) {
    return fail(
      ErrorCodes.STORAGE_FULL,
      `Directory full: ${draft.size} entries exceeds ${limits.filesPerDirectoryMax}`,
    );
  }
  const names = [...draft.keys()].sort();
  const entries: [string, FsNode][] = [];
  for (const name of names) {
    const child = draft.get(name)!;
    if (child instanceof FileNode) {
      entries.push([name, child]);
      continue;
    }
    const frozen = freeze(child, levels);
    if (!frozen.ok) return frozen;
    entries.push([name, frozen.value]);
  }
  return ok(new DirNode(mstFromSorted(entries, levels), entries.length));
}

function buildParts(
  files: readonly TreeFile[],
  emptyDirs: readonly string[],
  levels: KeyLevel,
): Result<BuildParts> {
  const root: Draft = new Map();
  const blobs = new Map<string, { file: FileNode; refs: number }>();
  for (const file of files) {
    const held = blobs.get(file.sha);
    // files of one content share one (immutable) node
    const node = held?.file ?? new FileNode(file.sha, file.bytes);
    if (held === undefined) blobs.set(file.sha, { file: node, refs: 1 });
    else held.refs++;
    const placed = place(root, file.path, node);
    if (!placed.ok) return placed;
  }
  for (const dir of emptyDirs) {
    const placed = place(root, dir, undefined);
    if (!placed.ok) return placed;
  }
  const frozen = freeze(root, levels);
  if (!frozen.ok) return frozen;
  return ok({ root: frozen.value, blobs });
}

/** The snapshot holding exactly these files and (possibly empty) directories, shaped by `levels`. */
export function buildTree(
  files: readonly TreeFile[],
  emptyDirs: readonly string[],
  levels: KeyLevel,
): Result<StorageSnapshot> {
  const parts = buildParts(files, emptyDirs, levels);
  if (!parts.ok) return parts;
  let bytesTotal = 0;
  for (const file of files) bytesTotal += file.bytes.length;
  const blobs: BlobLeaf[] = [];
  for (const [sha, held] of parts.value.blobs) {
    assert(held.refs >= 1 && held.file.sha === sha, "buildTree: blob without a reference");
    blobs.push(held.refs === 1 ? held.file : new BlobEntry(sha, held.file.bytes, held.refs));
  }
  return ok(new StorageSnapshot(parts.value.root, blobIndexOf(blobs), files.length, bytesTotal, levels));
}

/**
 * The same files and directories with every directory tree rebuilt under
 * `levels` (a device's key over a shared template). File nodes and the blob
 * index are shared, not copied; the snapshot itself when the key is its own.
 */
export function rekeySnapshot(snapshot: StorageSnapshot, levels: KeyLevel): StorageSnapshot {
  if (snapshot.levels === levels) return snapshot;
  // A phone and its mirror in one process (the simulator) pass the same key
  // object and template: they share one rebuilt tree, as they shared the template.
  const memo = levels instanceof LevelKey ? levels : undefined;
  if (memo?.rekeyed?.from === snapshot) return memo.rekeyed.to;
  const root = rekeyDir(snapshot.root, levels, 0);
  assert(root.count === snapshot.root.count, "rekeySnapshot: the root lost entries");
  const to = new StorageSnapshot(root, snapshot.blobs, snapshot.fileCount, snapshot.bytesTotal, levels);
  if (memo !== undefined) memo.rekeyed = { from: snapshot, to };
  return to;
}

/**
 * Each rebuilt directory's entries in key order with their tree nodes, taken
 * once: the template's directories are rebuilt for every device (a phone
 * and its mirror share one rebuild). Weak: an index lives as long as its
 * directory.
 */
const rekeyIndexes = new WeakMap<DirNode, MstIndex<FsNode>>();

function rekeyIndex(dir: DirNode): MstIndex<FsNode> {
  let index = rekeyIndexes.get(dir);
  if (index === undefined) {
    index = mstIndex(dir.entries);
    rekeyIndexes.set(dir, index);
  }
  assert(index.keys.length === dir.count, "rekeyDir: entry count out of step");
  return index;
}

/**
 * dir under `levels`. Tree nodes the key leaves as they were are the
 * template's own (mstRekey), with their memoized hashes: a device's first
 * digest hashes only what its key changed; a directory that comes out
 * whole is the template's.
 */
function rekeyDir(dir: DirNode, levels: KeyLevel, depth: number): DirNode {
  assert(depth <= limits.pathDepthMax, "rekeyDir: deeper than any path");
  if (dir.entries === undefined) return dir;
  const index = rekeyIndex(dir);
  let values = index.values;
  for (let i = 0; i < values.length; i++) {
    const child = index.values[i]!;
    if (!(child instanceof DirNode)) continue;
    const rekeyed = rekeyDir(child, levels, depth + 1);
    if (rekeyed === child) continue;
    if (values === index.values) values = index.values.slice();
    (values as FsNode[])[i] = rekeyed;
  }
  const entries = mstRekey(index, values, levels);
  return entries === dir.entries ? dir : new DirNode(entries, dir.count);
}
