// The immutable nodes of the storage tree and their Merkle hashes (DESIGN.md
// "The phone platform"). A file node names its content by SHA-256; a
// directory is a canonical Merkle search tree of named children. Hashes are 32-char binary
// strings (compact, compared with ===), computed lazily and memoized in the
// nodes, so a write costs no hashing until someone asks for the digest, and
// then only the nodes the write copied are hashed.
import { assert } from "../core/assert.ts";
import type { Sha256 } from "../core/ports.ts";
import {
  type KeyLevel,
  type Mst,
  type MstNode,
  mstGet,
  mstInsert,
  mstReplaceExisting,
} from "./merkle-search-tree.ts";

export class FileNode {
  constructor(
    /** SHA-256 of the content, as a 32-char binary string. */
    readonly sha: string,
    readonly bytes: Uint8Array,
  ) {}
}

export class DirNode {
  constructor(
    readonly entries: Mst<FsNode>,
    /** Number of direct children. */
    readonly count: number,
  ) {}
}

export type FsNode = FileNode | DirNode;

export const emptyDir = new DirNode(undefined, 0);

const tagFile = 1;
const tagDir = 2;
const tagTreeNode = 4;

export function binaryFromBytes(bytes: Uint8Array): string {
  assert(bytes.length <= 64, "binaryFromBytes: only for digests");
  if (bytes.length === 32) return binaryFrom32(bytes);
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** The common case, a SHA-256: explicit arguments cost a third of apply() over a typed array. */
// biome-ignore format: 32 arguments read better as two rows
function binaryFrom32(b: Uint8Array): string {
  return String.fromCharCode(
    b[0]!, b[1]!, b[2]!, b[3]!, b[4]!, b[5]!, b[6]!, b[7]!, b[8]!, b[9]!, b[10]!, b[11]!, b[12]!, b[13]!, b[14]!, b[15]!,
    b[16]!, b[17]!, b[18]!, b[19]!, b[20]!, b[21]!, b[22]!, b[23]!, b[24]!, b[25]!, b[26]!, b[27]!, b[28]!, b[29]!, b[30]!, b[31]!,
  );
}

/**
 * SHA-256 of data as a 32-char binary string: the port's binary face when it
 * has one (node:crypto's, src/node/sha256.ts: about 0.4x the CPU of a byte
 * array turned into a string, and no Buffer per hash).
 */
export function sha256Binary(sha256: Sha256, data: Uint8Array): string {
  const binary = sha256.binary;
  const hash = binary === undefined ? binaryFromBytes(sha256(data)) : binary(data);
  if (hash.length !== 32) assert(false, `sha256 port answered ${hash.length} chars, not 32`);
  return hash;
}

export function bytesFromBinary(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Writes a 32-char binary hash; returns the new end. */
function putBinary(out: Uint8Array, offset: number, text: string): number {
  for (let i = 0; i < 32; i++) out[offset + i] = text.charCodeAt(i);
  return offset + 32;
}

const encoder = new TextEncoder();
let emptyDirHashMemo: { sha256: Sha256; hash: string } | undefined;

function emptyDirHash(sha256: Sha256): string {
  if (emptyDirHashMemo?.sha256 !== sha256) {
    emptyDirHashMemo = { sha256, hash: sha256Binary(sha256, new Uint8Array([tagDir])) };
  }
  return emptyDirHashMemo.hash;
}

/** The Merkle hash of any node: a file's is its content hash; a directory's its tree root's. */
export function nodeHash(node: FsNode, sha256: Sha256): string {
  if (node instanceof FileNode) return node.sha;
  return node.entries === undefined ? emptyDirHash(sha256) : treeNodeHash(node.entries, sha256);
}

/**
 * H(tag | level | count | per key: gap, child tag, child hash, name length,
 * name | last gap), a gap being 0 (empty) or 1 and its hash. The child tag
 * keeps a file from ever hashing like a directory.
 */
export function treeNodeHash(n: MstNode<FsNode>, sha256: Sha256): string {
  if (n.hash !== undefined) return n.hash;
  // hash (and memoize) everything below first: encoding reuses one buffer
  for (const child of n.children) if (child !== undefined) treeNodeHash(child, sha256);
  for (const value of n.values) if (value instanceof DirNode) nodeHash(value, sha256);
  const hash = sha256Binary(sha256, encodeTreeNode(n, sha256));
  assert(n.hash === undefined, "treeNodeHash: hashed twice");
  n.hash = hash;
  return hash;
}

let scratch = new Uint8Array(4096);
/**
 * Views of `scratch` by length: hashing a node passes the port an exact-length
 * view, and a fresh subarray per node hash was a tenth of the bytes a replay
 * allocated. Dropped with the buffer when it grows.
 */
let scratchViews: (Uint8Array | undefined)[] = new Array(scratch.length + 1);

function scratchView(end: number): Uint8Array {
  let view = scratchViews[end];
  if (view === undefined) {
    view = scratch.subarray(0, end);
    scratchViews[end] = view;
  }
  assert(view.buffer === scratch.buffer && view.length === end, "scratchView: stale view");
  return view;
}

/** The bytes hashed for one tree node, in a reused buffer (valid until the next call); children are hashed. */
function encodeTreeNode(n: MstNode<FsNode>, sha256: Sha256): Uint8Array {
  let bytesMax = 6 + 33;
  for (const key of n.keys) bytesMax += 68 + key.length * 3;
  if (bytesMax > scratch.length) {
    scratch = new Uint8Array(Math.max(bytesMax, scratch.length * 2));
    scratchViews = new Array(scratch.length + 1);
  }
  const buffer = scratch;
  const count = n.keys.length;
  buffer[0] = tagTreeNode;
  buffer[1] = n.level;
  buffer[2] = count >>> 24;
  buffer[3] = (count >>> 16) & 255;
  buffer[4] = (count >>> 8) & 255;
  buffer[5] = count & 255;
  let end = 6;
  for (let i = 0; i <= count; i++) {
    // a gap is one byte when empty (all of a bottom node's), else 1 and its hash
    const gap = n.children[i];
    buffer[end++] = gap === undefined ? 0 : 1;
    if (gap !== undefined) end = putBinary(buffer, end, gap.hash!);
    if (i === count) break;
    const value = n.values[i]!;
    buffer[end++] = value instanceof FileNode ? tagFile : tagDir;
    end = putBinary(buffer, end, nodeHash(value, sha256));
    end = putName(buffer, end, n.keys[i]!);
  }
  assert(end <= bytesMax, "encodeTreeNode: wrote past its estimate");
  return scratchView(end);
}

/** Two length bytes and the UTF-8 name; returns the new end. */
function putName(buffer: Uint8Array, start: number, name: string): number {
  let end = start + 2;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 0x80) {
      end = start + 2 + encoder.encodeInto(name, buffer.subarray(start + 2)).written;
      break;
    }
    buffer[end++] = c;
  }
  const length = end - start - 2;
  buffer[start] = length >>> 8;
  buffer[start + 1] = length & 255;
  return end;
}

/**
 * Calls fn for each child of dir in name order. A plain recursion over the
 * tree nodes, not mstEntries' generators: walks (manifests, clones, final
 * checks) visit every node of a storage, and a generator per tree node plus
 * a tuple per entry were most of what they allocated.
 */
export function dirForEach(dir: DirNode, fn: (name: string, child: FsNode) => void): void {
  eachEntry(dir.entries, fn, Number.POSITIVE_INFINITY);
}

/** `above`: the parent tree node's level; levels fall strictly downwards, which bounds the recursion. */
function eachEntry(t: Mst<FsNode>, fn: (name: string, child: FsNode) => void, above: number): void {
  if (t === undefined) return;
  const { level, keys, values, children } = t;
  assert(level < above && children.length === keys.length + 1, "dirForEach: malformed tree node");
  for (let i = 0; i < keys.length; i++) {
    eachEntry(children[i], fn, level);
    fn(keys[i]!, values[i]!);
  }
  eachEntry(children[keys.length], fn, level);
}

/** Child names in order. */
export function dirNames(dir: DirNode): string[] {
  const names: string[] = [];
  dirForEach(dir, (name) => names.push(name));
  assert(names.length === dir.count, "dirNames: entry count out of step");
  return names;
}

export function dirGet(dir: DirNode, name: string): FsNode | undefined {
  return mstGet(dir.entries, name);
}

/**
 * A copy of dir with name bound to child; the caller has checked the entry
 * bound and says whether the name is new (then inserted, else replaced: one
 * descent of the directory's tree instead of a replace tried first).
 */
export function dirSet(dir: DirNode, name: string, child: FsNode, isNew: boolean, levels: KeyLevel): DirNode {
  const entries = isNew
    ? mstInsert(dir.entries, name, child, levels)
    : mstReplaceExisting(dir.entries, name, child);
  return new DirNode(entries, dir.count + (isNew ? 1 : 0));
}
