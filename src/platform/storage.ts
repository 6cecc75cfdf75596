// The phone's storage (paper §3.3.1, DESIGN.md "The phone platform"): a tree
// of directories and files whose contents are content-addressed blobs, with a
// Merkle root digest. Directories are Merkle search trees and the whole tree
// is persistent: a write copies only the nodes on its path (O(depth · log16
// directory size)), a snapshot is a pointer, and
// storages made from one snapshot share every node they have not changed, so
// a mirror cloned from a factory template costs metadata only. Blobs live in
// a reference-counted index (a persistent trie keyed by hash), so
// identical contents are stored once and a deleted file frees its blob.
// New contents go through the process's shared-content table, so a phone and
// its mirror in one simulator thread hold one copy of each file's bytes.
import { assert } from "../core/assert.ts";
import { isSlabView } from "../core/byte-slab.ts";
import { spansBuffer } from "../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import {
  BlobEntry,
  type BlobIndex,
  blobDelete,
  blobEntries,
  blobGet,
  blobSet,
  refsOf,
} from "./blob-index.ts";
import {
  binaryFromBytes,
  bytesFromBinary,
  DirNode,
  dirForEach,
  dirGet,
  dirNames,
  dirSet,
  emptyDir,
  FileNode,
  type FsNode,
  nodeHash,
  sha256Binary,
} from "./fs-node.ts";
import { LevelKey } from "./key-level.ts";
import { type KeyLevel, mstDelete } from "./merkle-search-tree.ts";
import { childPath, parsePath } from "./path.ts";
import { sharedContent } from "./shared-content.ts";
import { buildTree, type TreeFile } from "./storage-build.ts";
import { diffDirs, filesDiffering, type PathChange } from "./storage-diff.ts";
import { StorageSnapshot } from "./storage-snapshot.ts";
import { StepOp, type StepRole, type StepShare, StorageStep } from "./storage-steps.ts";

export type { PathChange } from "./storage-diff.ts";
export { StorageSnapshot } from "./storage-snapshot.ts";

/** A file as listed by walk() and manifest(). */
export interface FileEntry {
  path: string;
  sha256: Uint8Array;
  size: number;
}

export interface StatInfo {
  kind: "file" | "dir";
  /** Bytes for a file; number of children for a directory. */
  size: number;
  /** Content hash; files only. */
  sha256?: Uint8Array;
}

/**
 * How fromFiles builds a storage. `levels` is the device's directory level
 * key (key-level.ts) and has no default: a storage that silently took the
 * public key would let anyone who can name files on the device grind names
 * into one tree node. Factory templates, tests and tools pass publicLevelKey
 * by name.
 */
export interface StorageBuild {
  sha256: Sha256;
  levels: KeyLevel;
  /** Directories that exist without any file in them. */
  emptyDirs?: readonly string[];
}

/** fromManifest's options: StorageBuild plus a snapshot whose (already verified) blobs are reused. */
export interface ManifestBuild extends StorageBuild {
  known?: StorageSnapshot;
}

/** The directories from the root down a path: dirs[0, count) and whether each was just created. */
type Descent = { dirs: DirNode[]; fresh: boolean[]; count: number };

/**
 * The one descent in progress, shared by every storage: a write descends and
 * rebuilds synchronously, with no other descent in between, so its arrays
 * are reused (a new pair and a Result per write were a good part of what a
 * write allocated). They keep their full length and `count` says how much
 * is in use: setting an array's length is a call into the runtime
 * (JSArray::SetLength, ~0.15 % of a fleet run under perf).
 */
const sharedDescent: Descent = {
  dirs: new Array<DirNode>(limits.pathDepthMax + 1).fill(emptyDir),
  fresh: new Array<boolean>(limits.pathDepthMax + 1).fill(false),
  count: 0,
};
const descended: Result<Descent> = Object.freeze({ ok: true as const, value: sharedDescent });
/** The success of every void operation (results are never changed by their receivers). */
const done: Result<void> = Object.freeze(ok(undefined));

/** The types require a key; this catches an untyped caller (a bug) before it builds a public-key tree. */
function assertLevels(levels: KeyLevel | undefined): void {
  assert(typeof levels?.level === "function", "storage: a directory level key is required");
}

export class Storage {
  private root: DirNode;
  private blobs: BlobIndex;
  private files: number;
  private bytes: number;
  /** The device's directory level key; follows the snapshot (constructor, restore). */
  private levels: KeyLevel;
  /** The steps this storage shares with the device's other storages in this thread (its key's), when it has a role. */
  private steps: StepShare | undefined;

  private constructor(
    private readonly sha256: Sha256,
    from: StorageSnapshot,
    private readonly role?: StepRole,
  ) {
    this.root = from.root;
    this.blobs = from.blobs;
    this.files = from.fileCount;
    this.bytes = from.bytesTotal;
    this.levels = from.levels;
    this.steps = stepsOf(from.levels, role);
  }

  /** `levels`: the device's directory level key (see StorageBuild); no default. */
  static empty(sha256: Sha256, levels: KeyLevel): Storage {
    assertLevels(levels);
    return new Storage(sha256, new StorageSnapshot(emptyDir, undefined, 0, 0, levels));
  }

  /**
   * O(1): the new storage shares every node with the snapshot until it writes.
   * `role`: its part in the steps its key shares (storage-steps.ts; a phone's
   * platform leads, its mirror's follows); without one it shares none.
   */
  static fromSnapshot(snapshot: StorageSnapshot, sha256: Sha256, role?: StepRole): Storage {
    return new Storage(sha256, snapshot, role);
  }

  /** Builds a storage from (path, content) pairs in one pass (templates, benchmarks). */
  static fromFiles(files: Iterable<readonly [string, Uint8Array]>, build: StorageBuild): Result<Storage> {
    const { sha256, levels, emptyDirs = [] } = build;
    assertLevels(levels);
    const prepared: TreeFile[] = [];
    for (const [path, bytes] of files) {
      if (bytes.length > limits.fileBytesMax) {
        return fail(
          ErrorCodes.PAYLOAD_TOO_LARGE,
          `File ${path}: ${bytes.length} bytes exceeds ${limits.fileBytesMax}`,
        );
      }
      const sha = sha256Binary(sha256, bytes);
      prepared.push({ path, sha, bytes: sharedContent.take(sha, bytes, true) });
    }
    const built = buildTree(prepared, emptyDirs, levels);
    if (!built.ok) return built;
    return ok(new Storage(sha256, built.value));
  }

  /**
   * Rebuilds a storage from a manifest and a blob source (durable restore,
   * clone from a phone). Every blob fetched is checked against its hash, once
   * per distinct content. Blobs that `known` (e.g. the model's factory
   * template, already verified) holds are taken from it: no fetch, no hash,
   * no copy — most of a restored mirror's bytes are its template's.
   */
  static fromManifest(
    files: readonly FileEntry[],
    blobOf: (sha256: Uint8Array) => Uint8Array | undefined,
    build: ManifestBuild,
  ): Result<Storage> {
    const { sha256, levels, emptyDirs = [], known } = build;
    assertLevels(levels);
    const prepared: TreeFile[] = [];
    const verified = new Map<string, Uint8Array>();
    for (const entry of files) {
      const sha = entry.sha256.length === limits.digestBytes ? binaryFromBytes(entry.sha256) : "";
      let bytes = verified.get(sha) ?? (known === undefined ? undefined : blobGet(known.blobs, sha)?.bytes);
      if (bytes === undefined) {
        const fetched = blobOf(entry.sha256);
        if (fetched === undefined) return fail(ErrorCodes.BLOB_MISSING, `Blob for ${entry.path} is missing`);
        if (sha256Binary(sha256, fetched) !== sha) {
          return fail(ErrorCodes.BLOB_CORRUPT, `Blob for ${entry.path} does not match its hash`);
        }
        bytes = sharedContent.take(sha, fetched, true);
      }
      if (bytes.length !== entry.size) {
        return fail(ErrorCodes.BLOB_CORRUPT, `Blob for ${entry.path} does not match its size`);
      }
      verified.set(sha, bytes);
      prepared.push({ path: entry.path, sha, bytes });
    }
    assert(verified.size <= prepared.length, "fromManifest: more blobs than files");
    const built = buildTree(prepared, emptyDirs, levels);
    if (!built.ok) return built;
    return ok(new Storage(sha256, built.value));
  }

  get fileCount(): number {
    return this.files;
  }

  /** Logical bytes of all files (a blob shared by two files counts twice). */
  get bytesTotal(): number {
    return this.bytes;
  }

  /**
   * The Merkle root (32 bytes); hashes only nodes written since the last call.
   * Sharing steps (storage-steps.ts), a leader publishes the state it
   * digested; a follower that digests the same root as another state object
   * takes that one: equal contents, shared nodes.
   */
  digest(): Uint8Array {
    const hash = nodeHash(this.root, this.sha256);
    if (this.steps !== undefined) {
      if (this.role === "lead") this.steps.publish(hash, this.snapshot());
      else {
        const same = this.steps.adopt(hash, this.root, (state) => this.sameContents(state));
        if (same !== undefined) this.restore(same);
      }
    }
    return bytesFromBinary(hash);
  }

  snapshot(): StorageSnapshot {
    return new StorageSnapshot(this.root, this.blobs, this.files, this.bytes, this.levels);
  }

  /** Puts the storage back to a snapshot (rollback, repair). O(1). */
  restore(snapshot: StorageSnapshot): void {
    this.root = snapshot.root;
    this.blobs = snapshot.blobs;
    this.files = snapshot.fileCount;
    this.bytes = snapshot.bytesTotal;
    this.levels = snapshot.levels;
    this.steps = stepsOf(snapshot.levels, this.role);
  }

  /** Sorted child names of a directory. */
  list(dir: string): Result<string[]> {
    const found = this.lookup(dir);
    if (!found.ok) return found;
    if (!(found.value instanceof DirNode)) return fail(ErrorCodes.NOT_A_DIRECTORY, `Not a directory: ${dir}`);
    return ok(dirNames(found.value));
  }

  stat(path: string): Result<StatInfo> {
    const found = this.lookup(path);
    if (!found.ok) return found;
    const node = found.value;
    if (node instanceof DirNode) return ok({ kind: "dir", size: node.count });
    return ok({ kind: "file", size: node.bytes.length, sha256: bytesFromBinary(node.sha) });
  }

  exists(path: string): boolean {
    return this.find(path) !== undefined;
  }

  /** Sorted child names of a directory; undefined when there is none (no error built: apps ask often). */
  listIfDir(dir: string): string[] | undefined {
    const found = this.find(dir);
    return found instanceof DirNode ? dirNames(found) : undefined;
  }

  /** A copy of the file's content. */
  readFile(path: string): Result<Uint8Array> {
    const found = this.lookup(path);
    if (!found.ok) return found;
    if (!(found.value instanceof FileNode)) return fail(ErrorCodes.NOT_A_FILE, `Not a file: ${path}`);
    return ok(found.value.bytes.slice());
  }

  /** Writes (creates or replaces) a file, creating missing parent directories. Copies the bytes. */
  writeFile(path: string, bytes: Uint8Array): Result<void> {
    return this.write(path, bytes, true);
  }

  /**
   * writeFile without the defensive copy, for bytes nobody changes afterwards
   * (the platform's own strings, immutable inputs). A view into a larger
   * buffer is still copied, so a small file never pins a whole frame; a
   * slab view (core/byte-slab.ts) is not: it pins at most one small slab.
   */
  writeFileNoCopy(path: string, bytes: Uint8Array): Result<void> {
    return this.write(path, bytes, !spansBuffer(bytes) && !isSlabView(bytes));
  }

  /** Copies a file without rehashing or duplicating its content. */
  copyFile(from: string, to: string): Result<void> {
    const found = this.lookup(from);
    if (!found.ok) return found;
    if (!(found.value instanceof FileNode)) return fail(ErrorCodes.NOT_A_FILE, `Not a file: ${from}`);
    // a write of the same content: one step kind
    if (this.recall(StepOp.put, to, found.value.sha)) return done;
    const segments = parsePath(to);
    if (!segments.ok) return segments;
    return this.putFile(segments.value, to, found.value.sha, found.value.bytes, false);
  }

  deleteFile(path: string): Result<void> {
    const found = this.lookup(path);
    if (!found.ok) return found;
    if (!(found.value instanceof FileNode)) return fail(ErrorCodes.NOT_A_FILE, `Not a file: ${path}`);
    return this.removeNode(path);
  }

  /** Removes a file or a whole directory tree (not the root). */
  removeTree(path: string): Result<void> {
    if (path === "/") return fail(ErrorCodes.PATH_INVALID, "Cannot remove the root directory");
    return this.removeNode(path);
  }

  /** Creates a directory and any missing parents; succeeds when it exists. */
  mkdir(path: string): Result<void> {
    if (this.recall(StepOp.mkdir, path, "")) return done;
    const segments = parsePath(path);
    if (!segments.ok) return segments;
    const existing = this.find(path);
    if (existing !== undefined) {
      return existing instanceof DirNode ? done : fail(ErrorCodes.PATH_EXISTS, `Exists as a file: ${path}`);
    }
    const before = this.root;
    const blobsBefore = this.blobs;
    const descent = this.descend(segments.value, segments.value.length, true);
    if (!descent.ok) return descent;
    this.root = this.rebuild(descent.value, segments.value, descent.value.dirs[descent.value.count - 1]!);
    this.remember(before, blobsBefore, StepOp.mkdir, path, "");
    return done;
  }

  /** Moves a file or directory; the target must not exist, its parents are created. */
  rename(from: string, to: string): Result<void> {
    if (this.recall(StepOp.rename, from, to)) return done;
    const fromSegments = parsePath(from);
    if (!fromSegments.ok) return fromSegments;
    const toSegments = parsePath(to);
    if (!toSegments.ok) return toSegments;
    if (fromSegments.value.length === 0 || toSegments.value.length === 0) {
      return fail(ErrorCodes.PATH_INVALID, "Cannot rename the root directory");
    }
    if (to === from || to.startsWith(`${from}/`)) {
      return fail(ErrorCodes.PATH_INVALID, `Cannot move ${from} into itself (${to})`);
    }
    const found = this.lookup(from);
    if (!found.ok) return found;
    if (this.find(to) !== undefined) return fail(ErrorCodes.PATH_EXISTS, `Target exists: ${to}`);
    const saved = this.snapshot();
    const removed = this.detach(fromSegments.value, from);
    if (!removed.ok) return removed;
    const inserted = this.attach(toSegments.value, to, found.value);
    if (!inserted.ok) this.restore(saved);
    else this.remember(saved.root, saved.blobs, StepOp.rename, from, to);
    return inserted;
  }

  /** Every file, depth-first with children in name order (of the tree at the time of the call). */
  walk(): Iterable<FileEntry> {
    return this.manifest();
  }

  manifest(): FileEntry[] {
    const out: FileEntry[] = [];
    collectFiles(this.root, "/", out);
    assert(out.length === this.files, "manifest: file count out of step");
    return out;
  }

  /** Directories with no children (a manifest lists files only; these complete it). */
  emptyDirs(): string[] {
    const out: string[] = [];
    collectEmptyDirs(this.root, "/", out);
    return out;
  }

  /** A copy of the blob with this hash, if any file holds it. */
  blob(sha256: Uint8Array): Uint8Array | undefined {
    if (sha256.length !== limits.digestBytes) return undefined;
    return blobGet(this.blobs, binaryFromBytes(sha256))?.bytes.slice();
  }

  /** Number of distinct blobs held. */
  get blobCount(): number {
    let count = 0;
    for (const _ of blobEntries(this.blobs)) count++;
    return count;
  }

  /** The paths that differ, skipping subtrees whose Merkle hashes are equal. */
  diff(other: Storage): PathChange[] {
    return diffDirs(this.root, other.root, this.sha256);
  }

  /**
   * Every file path whose content or size differs, or that one side lacks,
   * by comparing entries rather than Merkle hashes (storage-diff.ts
   * filesDiffering: the check that no memoized hash is stale).
   */
  filesDiffering(other: Storage): string[] {
    return filesDiffering(this.root, other.root);
  }

  /**
   * The node at a path, or undefined for a missing or malformed one. Walks
   * the string without validating it: a name no write could create (empty,
   * ".", "..") is simply not found. The hot path of exists() and lookup().
   */
  private find(path: string): FsNode | undefined {
    if (typeof path !== "string" || path.charCodeAt(0) !== 47 || path.length > limits.pathBytesMax) {
      return undefined;
    }
    if (path.length === 1) return this.root;
    let node: FsNode = this.root;
    let start = 1;
    // every stored path passed parsePath, so the tree is at most pathDepthMax deep
    for (let depth = 1; depth <= limits.pathDepthMax; depth++) {
      if (!(node instanceof DirNode)) return undefined;
      const slash = path.indexOf("/", start);
      const next = dirGet(node, slash < 0 ? path.slice(start) : path.slice(start, slash));
      if (next === undefined || slash < 0) return next;
      node = next;
      start = slash + 1;
    }
    return undefined;
  }

  /** find() with the reason when there is nothing: typed errors only on the failing path. */
  private lookup(path: string): Result<FsNode> {
    const found = this.find(path);
    if (found !== undefined) return ok(found);
    const segments = parsePath(path);
    if (!segments.ok) return segments;
    let node: FsNode = this.root;
    for (const name of segments.value) {
      if (!(node instanceof DirNode))
        return fail(ErrorCodes.NOT_A_DIRECTORY, `Not a directory on the way to ${path}`);
      const next = dirGet(node, name);
      if (next === undefined) return fail(ErrorCodes.PATH_NOT_FOUND, `No such file or directory: ${path}`);
      node = next;
    }
    return ok(node);
  }

  /** Directories from the root down through the first `depth` segments (created when asked). */
  private descend(segments: readonly string[], depth: number, create: boolean): Result<Descent> {
    assert(depth <= segments.length && depth <= limits.pathDepthMax, "descend: depth beyond path");
    const { dirs, fresh } = sharedDescent;
    // entries past this descent go back to the empty directory: no old tree stays reachable from here
    for (let i = depth + 1; i < sharedDescent.count; i++) dirs[i] = emptyDir;
    dirs[0] = this.root;
    fresh[0] = false;
    // count follows every entry written, also on a failed descent, so the next one clears them
    sharedDescent.count = 1;
    for (let i = 0; i < depth; i++) {
      const parent = dirs[i]!;
      const next = dirGet(parent, segments[i]!);
      if (next instanceof FileNode) {
        return fail(ErrorCodes.NOT_A_DIRECTORY, `Not a directory: /${segments.slice(0, i + 1).join("/")}`);
      }
      if (next === undefined && !create) {
        return fail(ErrorCodes.PATH_NOT_FOUND, `No such directory: /${segments.slice(0, i + 1).join("/")}`);
      }
      if (next === undefined && parent.count >= limits.filesPerDirectoryMax) {
        return fail(ErrorCodes.STORAGE_FULL, `Directory full: ${limits.filesPerDirectoryMax} entries`);
      }
      dirs[i + 1] = next ?? emptyDir;
      fresh[i + 1] = next === undefined;
      sharedDescent.count = i + 2;
    }
    assert(
      sharedDescent.count === depth + 1 &&
        dirs.length === limits.pathDepthMax + 1 &&
        fresh.length === dirs.length,
      "descend: arrays out of step",
    );
    return descended;
  }

  /** Replaces the deepest directory of a descent and path-copies up to a new root. */
  private rebuild(descent: Descent, segments: readonly string[], deepest: DirNode): DirNode {
    const { dirs, fresh, count } = descent;
    assert(count >= 1 && count <= dirs.length, "rebuild: malformed descent");
    let child = deepest;
    for (let i = count - 1; i >= 1; i--)
      child = dirSet(dirs[i - 1]!, segments[i - 1]!, child, fresh[i]!, this.levels);
    return child;
  }

  private write(path: string, bytes: Uint8Array, copy: boolean): Result<void> {
    const sha = bytes.length > limits.fileBytesMax ? undefined : sha256Binary(this.sha256, bytes);
    // a step taken needs no parse: the path was valid where the step was made
    if (sha !== undefined && this.recall(StepOp.put, path, sha)) return done;
    const segments = parsePath(path);
    if (!segments.ok) return segments;
    if (sha === undefined) {
      return fail(
        ErrorCodes.PAYLOAD_TOO_LARGE,
        `File ${path}: ${bytes.length} bytes exceeds ${limits.fileBytesMax}`,
      );
    }
    return this.putFile(segments.value, path, sha, bytes, copy);
  }

  /** `copy`: whether a new blob must be copied (false when the bytes are already immutable). */
  private putFile(
    segments: readonly string[],
    path: string,
    sha: string,
    bytes: Uint8Array,
    copy: boolean,
  ): Result<void> {
    if (segments.length === 0) return fail(ErrorCodes.NOT_A_FILE, "The root is a directory");
    const before = this.root;
    const blobsBefore = this.blobs;
    const descent = this.descend(segments, segments.length - 1, true);
    if (!descent.ok) return descent;
    const parent = descent.value.dirs[descent.value.count - 1]!;
    const name = segments[segments.length - 1]!;
    const existing = dirGet(parent, name);
    if (existing instanceof DirNode) return fail(ErrorCodes.NOT_A_FILE, `Is a directory: ${path}`);
    if (existing === undefined && parent.count >= limits.filesPerDirectoryMax) {
      return fail(ErrorCodes.STORAGE_FULL, `Directory full: ${limits.filesPerDirectoryMax} entries`);
    }
    if (existing?.sha === sha) return done;
    const held = blobGet(this.blobs, sha);
    // nodes are immutable: a content's node may be another file's, or another storage's (a mirror's phone's)
    let file: FileNode;
    if (held === undefined) file = sharedContent.takeFile(sha, bytes, copy);
    else file = held instanceof FileNode ? held : new FileNode(held.sha, held.bytes);
    const content = file.bytes;
    // one file holding a content: the index holds its node, no entry object
    this.blobs = blobSet(
      this.blobs,
      held === undefined ? file : new BlobEntry(file.sha, content, refsOf(held) + 1),
    );
    if (existing !== undefined) this.release(existing.sha);
    this.root = this.rebuild(
      descent.value,
      segments,
      dirSet(parent, name, file, existing === undefined, this.levels),
    );
    this.files += existing === undefined ? 1 : 0;
    this.bytes += content.length - (existing?.bytes.length ?? 0);
    assert(content.length === bytes.length, "putFile: a blob with this hash has another length");
    assert(this.files >= 1 && this.bytes >= content.length, "putFile: counters out of step");
    this.remember(before, blobsBefore, StepOp.put, path, sha);
    return done;
  }

  private removeNode(path: string): Result<void> {
    if (this.recall(StepOp.remove, path, "")) return done;
    const segments = parsePath(path);
    if (!segments.ok) return segments;
    const before = this.root;
    const blobsBefore = this.blobs;
    const removed = this.detach(segments.value, path);
    if (!removed.ok) return removed;
    for (const file of filesUnder(removed.value, [])) {
      this.release(file.sha);
      this.files--;
      this.bytes -= file.bytes.length;
    }
    assert(this.files >= 0 && this.bytes >= 0, "removeNode: counters below zero");
    this.remember(before, blobsBefore, StepOp.remove, path, "");
    return done;
  }

  /** Unlinks a node from the tree without touching blob counts; returns it. */
  private detach(segments: readonly string[], path: string): Result<FsNode> {
    if (segments.length === 0) return fail(ErrorCodes.PATH_INVALID, "Cannot detach the root directory");
    const descent = this.descend(segments, segments.length - 1, false);
    if (!descent.ok) return descent;
    const parent = descent.value.dirs[descent.value.count - 1]!;
    const name = segments[segments.length - 1]!;
    const node = dirGet(parent, name);
    if (node === undefined) return fail(ErrorCodes.PATH_NOT_FOUND, `No such file or directory: ${path}`);
    const shrunk = new DirNode(mstDelete(parent.entries, name), parent.count - 1);
    assert(shrunk.count >= 0 && shrunk.entries !== parent.entries, "detach: the entry did not go");
    this.root = this.rebuild(descent.value, segments, shrunk);
    return ok(node);
  }

  /** Links a node at a path that does not exist yet, creating parents. */
  private attach(segments: readonly string[], path: string, node: FsNode): Result<void> {
    const descent = this.descend(segments, segments.length - 1, true);
    if (!descent.ok) return descent;
    const parent = descent.value.dirs[descent.value.count - 1]!;
    const name = segments[segments.length - 1]!;
    if (dirGet(parent, name) !== undefined) assert(false, `attach: ${path} exists`);
    if (parent.count >= limits.filesPerDirectoryMax) {
      return fail(ErrorCodes.STORAGE_FULL, `Directory full: ${limits.filesPerDirectoryMax} entries`);
    }
    this.root = this.rebuild(descent.value, segments, dirSet(parent, name, node, true, this.levels));
    return done;
  }

  /** Whether a state holds exactly this storage's files and empty directories, compared entry by entry (no hash trusted). */
  private sameContents(state: StorageSnapshot): boolean {
    if (state.fileCount !== this.files || state.bytesTotal !== this.bytes) return false;
    if (filesDiffering(this.root, state.root).length > 0) return false;
    const mine: string[] = [];
    const theirs: string[] = [];
    collectEmptyDirs(this.root, "/", mine);
    collectEmptyDirs(state.root, "/", theirs);
    return mine.join("\0") === theirs.join("\0");
  }

  /** A follower: takes the step its leader made with this operation from this state, if any. */
  private recall(op: StepOp, path: string, arg: string): boolean {
    if (this.steps === undefined || this.role !== "follow") return false;
    const step = this.steps.take(this.root, this.blobs, op, path, arg);
    if (step === undefined) return false;
    this.restore(step);
    return true;
  }

  /** A leader: offers the step just made to its follower (nothing when the key shares none). */
  private remember(before: DirNode, blobsBefore: BlobIndex, op: StepOp, path: string, arg: string): void {
    if (this.steps === undefined || this.role !== "lead") return;
    this.steps.record(
      before,
      new StorageStep(blobsBefore, op, path, arg, this.root, this.blobs, this.files, this.bytes, this.levels),
    );
  }

  private release(sha: string): void {
    const held = blobGet(this.blobs, sha);
    assert(held !== undefined, "release: blob not held");
    const refs = refsOf(held);
    assert(refs >= 1, "release: blob without references");
    this.blobs =
      refs === 1
        ? blobDelete(this.blobs, sha)
        : blobSet(this.blobs, new BlobEntry(held.sha, held.bytes, refs - 1));
  }
}

function stepsOf(levels: KeyLevel, role: StepRole | undefined): StepShare | undefined {
  return role !== undefined && levels instanceof LevelKey ? levels.steps : undefined;
}

/** Every file node at or below node (paths bound the depth: every stored path passed parsePath). */
function filesUnder(node: FsNode, out: FileNode[]): FileNode[] {
  if (node instanceof FileNode) out.push(node);
  else dirForEach(node, (_, child) => filesUnder(child, out));
  return out;
}

function collectFiles(dir: DirNode, path: string, out: FileEntry[]): void {
  dirForEach(dir, (name, child) => {
    const childAt = childPath(path, name);
    if (child instanceof FileNode)
      out.push({ path: childAt, sha256: bytesFromBinary(child.sha), size: child.bytes.length });
    else collectFiles(child, childAt, out);
  });
}

function collectEmptyDirs(dir: DirNode, path: string, out: string[]): void {
  if (dir.count === 0 && path !== "/") out.push(path);
  dirForEach(dir, (name, child) => {
    if (child instanceof DirNode) collectEmptyDirs(child, childPath(path, name), out);
  });
}
