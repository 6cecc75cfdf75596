// The immutable nodes of the storage tree and their Merkle hashes (DESIGN.md
// "The phone platform"). A file node names its content by SHA-256; a
// directory is a canonical treap of named children. Hashes are 32-char binary
// strings (compact, compared with ===), computed lazily and memoized in the
// nodes, so a write costs no hashing until someone asks for the digest, and
// then only the nodes the write copied are hashed.
import { assert } from "../core/assert.ts";
import type { Sha256 } from "../core/ports.ts";
import { type Treap, type TreapNode, treapGet, treapSet } from "./treap.ts";

export class FileNode {
  constructor(
    /** SHA-256 of the content, as a 32-char binary string. */
    readonly sha: string,
    readonly bytes: Uint8Array,
  ) {}
}

export class DirNode {
  constructor(
    readonly entries: Treap<FsNode>,
    /** Number of direct children. */
    readonly count: number,
  ) {}
}

export type FsNode = FileNode | DirNode;

export const emptyDir = new DirNode(undefined, 0);

const tagFile = 1;
const tagDir = 2;
const tagTreapNode = 3;

export function binaryFromBytes(bytes: Uint8Array): string {
  assert(bytes.length <= 64, "binaryFromBytes: only for digests");
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

export function bytesFromBinary(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function putBinary(out: Uint8Array, offset: number, text: string): void {
  for (let i = 0; i < 32; i++) out[offset + i] = text.charCodeAt(i);
}

const encoder = new TextEncoder();
let emptyDirHashMemo: { sha256: Sha256; hash: string } | undefined;

function emptyDirHash(sha256: Sha256): string {
  if (emptyDirHashMemo?.sha256 !== sha256) {
    emptyDirHashMemo = { sha256, hash: binaryFromBytes(sha256(new Uint8Array([tagDir]))) };
  }
  return emptyDirHashMemo.hash;
}

/** The Merkle hash of any node: a file's is its content hash; a directory's its treap root's. */
export function nodeHash(node: FsNode, sha256: Sha256): string {
  if (node instanceof FileNode) return node.sha;
  return node.entries === undefined ? emptyDirHash(sha256) : treapNodeHash(node.entries, sha256);
}

/**
 * H(tag | left | right | childTag | childHash | name): fixed-size fields
 * first and the name last, so the encoding is unambiguous; zeros stand for an
 * empty subtree; the child tag keeps a file from ever hashing like a directory.
 */
export function treapNodeHash(n: TreapNode<FsNode>, sha256: Sha256): string {
  if (n.hash !== undefined) return n.hash;
  const left = n.left === undefined ? undefined : treapNodeHash(n.left, sha256);
  const right = n.right === undefined ? undefined : treapNodeHash(n.right, sha256);
  const child = nodeHash(n.value, sha256);
  const buffer = encodeTreapNode(left, right, n.value instanceof FileNode ? tagFile : tagDir, child, n.key);
  const hash = binaryFromBytes(sha256(buffer));
  assert(hash.length === 32, "sha256 port must return 32 bytes");
  n.hash = hash;
  return hash;
}

let scratch = new Uint8Array(512);

/** The bytes hashed for one treap node, in a reused buffer (valid until the next call). */
function encodeTreapNode(
  left: string | undefined,
  right: string | undefined,
  childTag: number,
  child: string,
  key: string,
): Uint8Array {
  const keyBytesMax = key.length * 3;
  if (98 + keyBytesMax > scratch.length) scratch = new Uint8Array(98 + keyBytesMax);
  const buffer = scratch;
  buffer[0] = tagTreapNode;
  if (left === undefined) buffer.fill(0, 1, 33);
  else putBinary(buffer, 1, left);
  if (right === undefined) buffer.fill(0, 33, 65);
  else putBinary(buffer, 33, right);
  buffer[65] = childTag;
  putBinary(buffer, 66, child);
  let end = 98;
  let ascii = true;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    if (c >= 0x80) {
      ascii = false;
      break;
    }
    buffer[end++] = c;
  }
  if (!ascii) end = 98 + encoder.encodeInto(key, buffer.subarray(98)).written;
  return buffer.subarray(0, end);
}

export function dirGet(dir: DirNode, name: string): FsNode | undefined {
  return treapGet(dir.entries, name);
}

/** A copy of dir with name bound to child; the caller has checked the entry bound. */
export function dirSet(dir: DirNode, name: string, child: FsNode, isNew: boolean): DirNode {
  return new DirNode(treapSet(dir.entries, name, child), dir.count + (isNew ? 1 : 0));
}
