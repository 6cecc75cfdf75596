// The storage's reference-counted blob index (DESIGN.md "The phone platform":
// identical contents are stored once): a persistent 16-way trie on the
// nibbles of the content's SHA-256. Hashes are uniform, so the trie stays
// about log16(n) deep without balancing — three levels for thousands of
// blobs — and a write copies those few nodes and compares no strings. Nodes
// keep only their occupied slots (a 16-bit map says which), so the many
// nodes below the second level cost a few slots each, not sixteen. Old roots stay valid, so snapshots are O(1) and a factory
// template's index is shared by every mirror made from it.
// A content held by one file (most) is indexed by that file's own node: no
// entry object of its own per blob (24 bytes in every storage that holds it).
import { assert } from "../core/assert.ts";
import { FileNode } from "./fs-node.ts";

/** One distinct content, its hash (32-char binary string) and the number of files holding it. */
export class BlobEntry {
  constructor(
    readonly sha: string,
    readonly bytes: Uint8Array,
    readonly refs: number,
  ) {}
}

/** What the index holds per content: a file node counts one reference, an entry its `refs`. */
export type BlobLeaf = BlobEntry | FileNode;

export function refsOf(leaf: BlobLeaf): number {
  return leaf instanceof FileNode ? 1 : leaf.refs;
}

/**
 * A trie node: `bitmap` bit n set when nibble n leads somewhere, `slots` the
 * occupied children in nibble order (dense, so a node holding two hashes is
 * two slots, not sixteen: most nodes below the first two levels hold a few).
 */
export class BlobTrie {
  constructor(
    readonly bitmap: number,
    readonly slots: readonly (BlobTrie | BlobLeaf)[],
  ) {}
}

type BlobSlot = BlobTrie | BlobLeaf | undefined;

/** A whole index: empty, a single entry, or a trie. */
export type BlobIndex = BlobSlot;

const depthMax = 64; // nibbles in a SHA-256
const emptyTrie = new BlobTrie(0, []);

function nibble(sha: string, depth: number): number {
  const byte = sha.charCodeAt(depth >>> 1);
  return depth & 1 ? byte & 15 : byte >>> 4;
}

/** Set bits of a 16-bit map below `bit`: the dense index of that nibble's slot. */
function slotIndex(bitmap: number, bit: number): number {
  let x = bitmap & (bit - 1);
  x -= (x >>> 1) & 0x5555;
  x = (x & 0x3333) + ((x >>> 2) & 0x3333);
  x = (x + (x >>> 4)) & 0x0f0f;
  return (x + (x >>> 8)) & 0x1f;
}

export function blobGet(index: BlobIndex, sha: string): BlobLeaf | undefined {
  let slot = index;
  for (let depth = 0; slot instanceof BlobTrie; depth++) {
    const bit = 1 << nibble(sha, depth);
    if ((slot.bitmap & bit) === 0) return undefined;
    slot = slot.slots[slotIndex(slot.bitmap, bit)];
  }
  return slot?.sha === sha ? slot : undefined;
}

/** Inserts or replaces the entry for entry.sha; returns the new index. */
export function blobSet(index: BlobIndex, entry: BlobLeaf): BlobIndex {
  assert(entry.sha.length === 32 && refsOf(entry) >= 1, "blobSet: malformed entry");
  return setAt(index, entry, 0);
}

function setAt(slot: BlobSlot, entry: BlobLeaf, depth: number): BlobTrie | BlobLeaf {
  assert(depth < depthMax, "blob index: two entries with one hash");
  if (slot === undefined) return entry;
  if (!(slot instanceof BlobTrie)) {
    if (slot.sha === entry.sha) return entry;
    // two hashes share this prefix: push both one level down
    return setAt(setAt(emptyTrie, slot, depth), entry, depth);
  }
  const bit = 1 << nibble(entry.sha, depth);
  const at = slotIndex(slot.bitmap, bit);
  const count = slot.slots.length;
  if ((slot.bitmap & bit) !== 0) {
    const slots = slot.slots.slice();
    slots[at] = setAt(slots[at], entry, depth + 1);
    return new BlobTrie(slot.bitmap, slots);
  }
  // built at its final size: no copy-then-grow on the write path
  const slots = new Array<BlobTrie | BlobLeaf>(count + 1);
  for (let i = 0; i < at; i++) slots[i] = slot.slots[i]!;
  slots[at] = entry;
  for (let i = at; i < count; i++) slots[i + 1] = slot.slots[i]!;
  return new BlobTrie(slot.bitmap | bit, slots);
}

/** Removes sha; returns the same index object when it is absent. */
export function blobDelete(index: BlobIndex, sha: string): BlobIndex {
  return deleteAt(index, sha, 0);
}

function deleteAt(slot: BlobSlot, sha: string, depth: number): BlobSlot {
  if (slot === undefined) return undefined;
  if (!(slot instanceof BlobTrie)) return slot.sha === sha ? undefined : slot;
  const bit = 1 << nibble(sha, depth);
  if ((slot.bitmap & bit) === 0) return slot;
  const at = slotIndex(slot.bitmap, bit);
  const child = deleteAt(slot.slots[at], sha, depth + 1);
  if (child === slot.slots[at]) return slot;
  if (child !== undefined) {
    // a node left with one entry and no subtrie collapses into it, so the trie stays shallow
    if (slot.slots.length === 1 && !(child instanceof BlobTrie)) return child;
    const slots = slot.slots.slice();
    slots[at] = child;
    return new BlobTrie(slot.bitmap, slots);
  }
  const count = slot.slots.length - 1;
  if (count === 0) return undefined;
  const slots = new Array<BlobTrie | BlobLeaf>(count);
  for (let i = 0; i < count; i++) slots[i] = slot.slots[i < at ? i : i + 1]!;
  if (count === 1 && !(slots[0] instanceof BlobTrie)) return slots[0];
  return new BlobTrie(slot.bitmap & ~bit, slots);
}

/** Every entry (in hash order). */
export function* blobEntries(index: BlobIndex): Generator<BlobLeaf> {
  if (index === undefined) return;
  if (!(index instanceof BlobTrie)) {
    yield index;
    return;
  }
  for (const slot of index.slots) yield* blobEntries(slot);
}

/** The index holding these entries (distinct hashes). */
export function blobIndexOf(entries: Iterable<BlobLeaf>): BlobIndex {
  let index: BlobIndex;
  for (const entry of entries) {
    assert(blobGet(index, entry.sha) === undefined, "blobIndexOf: a hash listed twice");
    index = blobSet(index, entry);
  }
  return index;
}
