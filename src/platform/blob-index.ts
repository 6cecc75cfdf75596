// The storage's reference-counted blob index (DESIGN.md "The phone platform":
// identical contents are stored once): a persistent 16-way trie on the
// nibbles of the content's SHA-256. Hashes are uniform, so the trie stays
// about log16(n) deep without balancing — three levels for thousands of
// blobs — and a write copies those few 16-slot nodes and compares no
// strings. Old roots stay valid, so snapshots are O(1) and a factory
// template's index is shared by every mirror made from it.
import { assert } from "../core/assert.ts";

/** One distinct content, its hash (32-char binary string) and the number of files holding it. */
export class BlobEntry {
  constructor(
    readonly sha: string,
    readonly bytes: Uint8Array,
    readonly refs: number,
  ) {}
}

export class BlobTrie {
  constructor(readonly slots: readonly BlobSlot[]) {}
}

type BlobSlot = BlobTrie | BlobEntry | undefined;

/** A whole index: empty, a single entry, or a trie. */
export type BlobIndex = BlobSlot;

const fanout = 16;
const depthMax = 64; // nibbles in a SHA-256

// packed, not frozen: V8 copies frozen or holey arrays on a slow path, and every node starts as a copy of this one
const emptySlots: readonly BlobSlot[] = Array.from({ length: fanout }, () => undefined);

function nibble(sha: string, depth: number): number {
  const byte = sha.charCodeAt(depth >>> 1);
  return depth & 1 ? byte & 15 : byte >>> 4;
}

export function blobGet(index: BlobIndex, sha: string): BlobEntry | undefined {
  let slot = index;
  for (let depth = 0; slot instanceof BlobTrie; depth++) slot = slot.slots[nibble(sha, depth)];
  return slot?.sha === sha ? slot : undefined;
}

/** Inserts or replaces the entry for entry.sha; returns the new index. */
export function blobSet(index: BlobIndex, entry: BlobEntry): BlobIndex {
  assert(entry.sha.length === 32 && entry.refs >= 1, "blobSet: malformed entry");
  return setAt(index, entry, 0);
}

function setAt(slot: BlobSlot, entry: BlobEntry, depth: number): BlobSlot {
  assert(depth < depthMax, "blob index: two entries with one hash");
  if (slot === undefined) return entry;
  if (slot instanceof BlobEntry) {
    if (slot.sha === entry.sha) return entry;
    // two hashes share this prefix: push both one level down
    return setAt(setAt(new BlobTrie(emptySlots), slot, depth), entry, depth);
  }
  const slots = slot.slots.slice();
  const at = nibble(entry.sha, depth);
  slots[at] = setAt(slots[at], entry, depth + 1);
  return new BlobTrie(slots);
}

/** Removes sha; returns the same index object when it is absent. */
export function blobDelete(index: BlobIndex, sha: string): BlobIndex {
  return deleteAt(index, sha, 0);
}

function deleteAt(slot: BlobSlot, sha: string, depth: number): BlobSlot {
  if (slot === undefined) return undefined;
  if (slot instanceof BlobEntry) return slot.sha === sha ? undefined : slot;
  const at = nibble(sha, depth);
  const child = deleteAt(slot.slots[at], sha, depth + 1);
  if (child === slot.slots[at]) return slot;
  const slots = slot.slots.slice();
  slots[at] = child;
  // a node left with one entry and no subtrie collapses into it, so the trie stays shallow
  let only: BlobSlot;
  let occupied = 0;
  for (const s of slots) {
    if (s === undefined) continue;
    occupied++;
    only = s;
  }
  if (occupied === 0) return undefined;
  if (occupied === 1 && only instanceof BlobEntry) return only;
  return new BlobTrie(slots);
}

/** Every entry (in hash order). */
export function* blobEntries(index: BlobIndex): Generator<BlobEntry> {
  if (index === undefined) return;
  if (index instanceof BlobEntry) {
    yield index;
    return;
  }
  for (const slot of index.slots) yield* blobEntries(slot);
}

/** The index holding these entries (distinct hashes). */
export function blobIndexOf(entries: Iterable<BlobEntry>): BlobIndex {
  let index: BlobIndex;
  for (const entry of entries) {
    assert(blobGet(index, entry.sha) === undefined, "blobIndexOf: a hash listed twice");
    index = blobSet(index, entry);
  }
  return index;
}
