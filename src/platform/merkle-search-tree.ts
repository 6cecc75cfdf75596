// A persistent Merkle search tree (Auvolat & Taïani, "Merkle Search Trees",
// 2019) keyed by string: the structure behind every directory of Storage.
// Each key has a level drawn from a keyed hash of the key (level ≥ l with
// probability 16^-l; KeyLevel below); a node holds the keys of the highest level in its range
// and, between them, the subtrees of the gaps. So a set of keys has exactly
// one tree whatever the order of inserts and deletes — the digest depends
// only on the content — and nodes have about 16 keys, so a write copies and
// later rehashes about log16(n) nodes: four or five for a million names.
// Old roots stay valid (path copying): snapshots are O(1) and shared.
import { assert } from "../core/assert.ts";

export class MstNode<V> {
  /** Merkle hash as a 32-char binary string, memoized on first use (see fs-node.ts). */
  hash: string | undefined = undefined;

  constructor(
    readonly level: number,
    readonly keys: readonly string[],
    readonly values: readonly V[],
    /** keys.length + 1 gaps: children[i] holds the keys between keys[i-1] and keys[i]. */
    readonly children: readonly Mst<V>[],
  ) {}
}

export type Mst<V> = MstNode<V> | undefined;

/**
 * Where a key sits: level l with probability 16^-l, from a keyed hash of the
 * key (key-level.ts: a per-device secret, so names cannot be ground offline
 * into one node). Part of the digest definition: it fixes the tree's shape.
 * One tree must be built and updated with one KeyLevel throughout.
 */
export interface KeyLevel {
  level(key: string): number;
}

/** First index whose key is ≥ key. */
function lowerBound(keys: readonly string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * A new node. A bottom node's gaps (level 0: no key sits below it) are all
 * empty, so it gets the shared gap list of its length instead of its own.
 */
function node<V>(
  level: number,
  keys: readonly string[],
  values: readonly V[],
  children: readonly Mst<V>[],
): MstNode<V> {
  assert(children.length === keys.length + 1 && values.length === keys.length, "mst: malformed node");
  if (level > 0 || children === emptyGaps[children.length]) return new MstNode(level, keys, values, children);
  if (!children.every((gap) => gap === undefined)) assert(false, "mst: a bottom node with a subtree");
  return new MstNode(level, keys, values, emptyGapsOf(children.length));
}

/** A node, or its only child when it has no keys left (trees stay canonical). */
function make<V>(
  level: number,
  keys: readonly string[],
  values: readonly V[],
  children: readonly Mst<V>[],
): Mst<V> {
  assert(children.length === keys.length + 1, "mst: children must be one more than keys");
  if (keys.length === 0) return children[0];
  return node(level, keys, values, children);
}

export function mstGet<V>(t: Mst<V>, key: string): V | undefined {
  let n = t;
  while (n !== undefined) {
    const i = lowerBound(n.keys, key);
    if (n.keys[i] === key) return n.values[i];
    n = n.children[i];
  }
  return undefined;
}

/** Splits into the keys below and above key; the value at key itself comes apart. */
export function mstSplit<V>(t: Mst<V>, key: string): [Mst<V>, V | undefined, Mst<V>] {
  if (t === undefined) return [undefined, undefined, undefined];
  const i = lowerBound(t.keys, key);
  const { level, keys, values, children } = t;
  if (keys[i] === key) {
    return [
      make(level, keys.slice(0, i), values.slice(0, i), children.slice(0, i + 1)),
      values[i],
      make(level, keys.slice(i + 1), values.slice(i + 1), children.slice(i + 1)),
    ];
  }
  const [below, found, above] = mstSplit(children[i], key);
  const left = children.slice(0, i + 1);
  left[i] = below;
  const right = children.slice(i);
  right[0] = above;
  return [
    make(level, keys.slice(0, i), values.slice(0, i), left),
    found,
    make(level, keys.slice(i), values.slice(i), right),
  ];
}

/**
 * Inserts or replaces key; returns the new root. A key already in the tree
 * keeps its node, so only a new key pays for its (keyed) level.
 */
export function mstSet<V>(t: Mst<V>, key: string, value: V, levels: KeyLevel): MstNode<V> {
  return mstReplace(t, key, value) ?? mstInsert(t, key, value, levels);
}

/**
 * mstSet for a key the caller knows is absent: one descent, not a failed
 * replace first (every new file and directory, Storage.putFile).
 */
export function mstInsert<V>(t: Mst<V>, key: string, value: V, levels: KeyLevel): MstNode<V> {
  const level = levels.level(key);
  assert(level >= 0 && level <= 8, "mst: a key level is 0..8");
  return setAtLevel(t, keptKey(key), level, value);
}

/** mstSet for a key the caller knows is present (a rewritten file, every directory above a write). */
export function mstReplaceExisting<V>(t: Mst<V>, key: string, value: V): MstNode<V> {
  const replaced = mstReplace(t, key, value);
  if (replaced === undefined) assert(false, "mst: replacing a key the tree does not hold");
  return replaced;
}

/** V8 makes a substring of 13 or more characters a slice that keeps its whole source string alive. */
const slicedLengthMin = 13;

/**
 * The key as a new node keeps it: a string of its own. A name parsed out of
 * a path is a slice of the whole path (path.ts), so a stored file name kept
 * its path alive: ~100 bytes per file instead of ~50, in the phone's and the
 * mirror's tree. A JSON round trip makes the copy (~0.3 us, once per new name).
 */
function keptKey(key: string): string {
  if (key.length < slicedLengthMin) return key;
  const copy: unknown = JSON.parse(JSON.stringify(key));
  if (copy !== key) assert(false, "mst: a key changed in its copy");
  return copy as string;
}

/** The tree with key's value replaced (path-copied); undefined when key is absent. */
function mstReplace<V>(t: Mst<V>, key: string, value: V): MstNode<V> | undefined {
  if (t === undefined) return undefined;
  const i = lowerBound(t.keys, key);
  if (t.keys[i] === key) {
    const values = t.values.slice();
    values[i] = value;
    return new MstNode(t.level, t.keys, values, t.children);
  }
  const child = mstReplace(t.children[i], key, value);
  if (child === undefined) return undefined;
  const children = t.children.slice();
  children[i] = child;
  return new MstNode(t.level, t.keys, t.values, children);
}

/**
 * A copy with `item` inserted at index `at`, at its exact size: nodes stay in
 * memory, and copy + splice left 16 or more empty slots per array (an
 * 11-element array in a 32-slot store).
 */
function withInserted<T>(items: readonly T[], at: number, item: T): T[] {
  const count = items.length;
  const out = new Array<T>(count + 1);
  for (let i = 0; i < at; i++) out[i] = items[i]!;
  out[at] = item;
  for (let i = at; i < count; i++) out[i + 1] = items[i]!;
  return out;
}

/** A copy with the `removed` elements from index `at` replaced by `item`s, at its exact size. */
function withSpliced<T>(items: readonly T[], at: number, removed: number, ...added: T[]): T[] {
  const count = items.length - removed + added.length;
  assert(at + removed <= items.length && count >= 0, "mst: splice out of range");
  const out = new Array<T>(count);
  for (let i = 0; i < at; i++) out[i] = items[i]!;
  for (let i = 0; i < added.length; i++) out[at + i] = added[i]!;
  for (let i = at + removed; i < items.length; i++) out[i - removed + added.length] = items[i]!;
  return out;
}

function setAtLevel<V>(t: Mst<V>, key: string, level: number, value: V): MstNode<V> {
  if (t === undefined) return new MstNode(level, [key], [value], emptyGapsOf(2));
  if (level > t.level) {
    const [below, found, above] = mstSplit(t, key);
    assert(found === undefined, "mst: a key above the root level cannot be in the tree");
    return new MstNode(level, [key], [value], [below, above]);
  }
  const i = lowerBound(t.keys, key);
  if (level < t.level) {
    const children = t.children.slice();
    children[i] = setAtLevel(t.children[i], key, level, value);
    return new MstNode(t.level, t.keys, t.values, children);
  }
  if (t.keys[i] === key) {
    const values = t.values.slice();
    values[i] = value;
    return new MstNode(t.level, t.keys, values, t.children);
  }
  const [below, found, above] = mstSplit(t.children[i], key);
  assert(found === undefined, "mst: a key of this level cannot be in a lower gap");
  // a bottom node (most nodes, and most inserts) shares its gap list: node() picks it
  const children =
    t.level === 0 ? emptyGapsOf(t.children.length + 1) : withSpliced(t.children, i, 1, below, above);
  return node(t.level, withInserted(t.keys, i, key), withInserted(t.values, i, value), children);
}

/** Joins two trees where every key of a is below every key of b. */
export function mstMerge<V>(a: Mst<V>, b: Mst<V>): Mst<V> {
  if (a === undefined) return b;
  if (b === undefined) return a;
  assert(a.keys[a.keys.length - 1]! < b.keys[0]!, "mst: merged ranges overlap");
  if (a.level > b.level) {
    const children = a.children.slice();
    children[children.length - 1] = mstMerge(children[children.length - 1], b);
    return new MstNode(a.level, a.keys, a.values, children);
  }
  if (b.level > a.level) {
    const children = b.children.slice();
    children[0] = mstMerge(a, children[0]);
    return new MstNode(b.level, b.keys, b.values, children);
  }
  const middle = mstMerge(a.children[a.children.length - 1], b.children[0]);
  return node(
    a.level,
    withSpliced(a.keys, a.keys.length, 0, ...b.keys),
    withSpliced(a.values, a.values.length, 0, ...b.values),
    withSpliced(
      withSpliced(a.children, a.keys.length, 1, middle),
      a.keys.length + 1,
      0,
      ...b.children.slice(1),
    ),
  );
}

/** Removes key; returns the same root object when the key is absent. */
export function mstDelete<V>(t: Mst<V>, key: string): Mst<V> {
  if (t === undefined) return undefined;
  const i = lowerBound(t.keys, key);
  if (t.keys[i] === key) {
    const merged = mstMerge(t.children[i], t.children[i + 1]);
    const keys = withSpliced(t.keys, i, 1);
    const values = withSpliced(t.values, i, 1);
    return make(t.level, keys, values, withSpliced(t.children, i, 2, merged));
  }
  const child = mstDelete(t.children[i], key);
  if (child === t.children[i]) return t;
  const children = t.children.slice();
  children[i] = child;
  return new MstNode(t.level, t.keys, t.values, children);
}

/**
 * Gap lists of bottom nodes (every gap empty), one shared array per length:
 * most nodes are bottom nodes, and nothing writes a node's arrays in place
 * (every update copies with slice() first), so they can be shared.
 */
const emptyGaps: (readonly undefined[])[] = [];
const emptyGapsShared = 64;

function emptyGapsOf(length: number): readonly undefined[] {
  if (length > emptyGapsShared) return new Array<undefined>(length).fill(undefined);
  let gaps = emptyGaps[length];
  if (gaps === undefined) {
    gaps = new Array<undefined>(length).fill(undefined);
    emptyGaps[length] = gaps;
  }
  return gaps;
}

/**
 * The canonical tree of entries sorted by strictly ascending key, in
 * O(n · levels). Arrays are allocated at their exact size (push leaves
 * slack): bulk builds are templates and restores, which stay in memory.
 */
export function mstFromSorted<V>(entries: readonly (readonly [string, V])[], keyLevels: KeyLevel): Mst<V> {
  const keys = new Array<string>(entries.length);
  const values = new Array<V>(entries.length);
  for (let i = 0; i < entries.length; i++) {
    keys[i] = entries[i]![0];
    values[i] = entries[i]![1];
  }
  return buildRange({ keys, values, levels: levelsOf(keys, keyLevels), like: undefined }, 0, keys.length);
}

/**
 * The keys and values of a tree in key order, with the node holding each
 * key: what mstRekey needs to find the tree's nodes again (taken once per
 * shared template directory, not per rebuild).
 */
export interface MstIndex<V> {
  readonly keys: readonly string[];
  readonly values: readonly V[];
  readonly holders: readonly MstNode<V>[];
}

export function mstIndex<V>(t: Mst<V>): MstIndex<V> {
  const index = { keys: [] as string[], values: [] as V[], holders: [] as MstNode<V>[] };
  indexInto(t, index, Number.POSITIVE_INFINITY);
  assert(index.keys.length === index.holders.length, "mstIndex: a key without its node");
  return index;
}

/** `above`: the parent node's level; levels fall strictly downwards, which bounds the recursion. */
function indexInto<V>(
  t: Mst<V>,
  out: { keys: string[]; values: V[]; holders: MstNode<V>[] },
  above: number,
): void {
  if (t === undefined) return;
  assert(t.level < above && t.children.length === t.keys.length + 1, "mstIndex: malformed tree node");
  for (let i = 0; i < t.keys.length; i++) {
    indexInto(t.children[i], out, t.level);
    out.keys.push(t.keys[i]!);
    out.values.push(t.values[i]!);
    out.holders.push(t);
  }
  indexInto(t.children[t.keys.length], out, t.level);
}

/**
 * The canonical tree of `like`'s keys under `keyLevels` (a device's key over
 * a tree built under another: a shared template), with `values` (like's
 * values in key order, some replaced). Equal to mstFromSorted of the same
 * entries, except that every node which comes out with the same level,
 * keys, values and children (by identity) as a node of `like` IS that node:
 * it is not allocated again and keeps its memoized hash, so a rebuilt tree
 * hashes only the nodes the new key changed.
 */
export function mstRekey<V>(like: MstIndex<V>, values: readonly V[], keyLevels: KeyLevel): Mst<V> {
  assert(values.length === like.keys.length, "mstRekey: one value per key");
  const levels = levelsOf(like.keys, keyLevels);
  return buildRange({ keys: like.keys, values, levels, like }, 0, values.length);
}

function levelsOf(keys: readonly string[], keyLevels: KeyLevel): Uint8Array {
  const levels = new Uint8Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    assert(i === 0 || keys[i - 1]! < key, "mst build: keys not strictly ascending");
    const level = keyLevels.level(key);
    assert(level >= 0 && level <= 8, "mst build: a key level is 0..8");
    levels[i] = level;
  }
  return levels;
}

interface Build<V> {
  keys: readonly string[];
  values: readonly V[];
  levels: Uint8Array;
  /** The tree whose equal nodes are reused (mstRekey), if any. */
  like: MstIndex<V> | undefined;
}

/**
 * The tree of keys lo..hi-1: the keys of the range's top level in one node,
 * the ranges between them below it. A module-level function, not a closure
 * per build: a bundled or tsx-loaded build names every closure it creates.
 */
function buildRange<V>(b: Build<V>, lo: number, hi: number): Mst<V> {
  if (lo >= hi) return undefined;
  const { levels } = b;
  let top = 0;
  let count = 0;
  let first = lo;
  for (let i = lo; i < hi; i++) {
    const level = levels[i]!;
    if (level > top) {
      top = level;
      count = 0;
      first = i;
    }
    if (level === top) count++;
  }
  let children: Mst<V>[] | undefined;
  if (top > 0) {
    children = new Array<Mst<V>>(count + 1);
    let start = lo;
    let k = 0;
    for (let i = first; i < hi; i++) {
      if (levels[i] !== top) continue;
      children[k++] = buildRange(b, start, i);
      start = i + 1;
    }
    assert(k === count, "mst build: top-level keys miscounted");
    children[k] = buildRange(b, start, hi);
  }
  const same = b.like === undefined ? undefined : sameNode(b, b.like, first, hi, top, count, children);
  if (same !== undefined) return same;
  const keys = new Array<string>(count);
  const values = new Array<V>(count);
  let k = 0;
  for (let i = first; i < hi; i++) {
    if (levels[i] !== top) continue;
    keys[k] = b.keys[i]!;
    values[k] = b.values[i]!;
    k++;
  }
  assert(k === count, "mst build: top-level keys miscounted");
  return new MstNode(top, keys, values, children ?? emptyGapsOf(count + 1));
}

/** The node of `like` holding exactly the range's top keys with these values and children, if there is one. */
function sameNode<V>(
  b: Build<V>,
  like: MstIndex<V>,
  first: number,
  hi: number,
  top: number,
  count: number,
  children: readonly Mst<V>[] | undefined,
): MstNode<V> | undefined {
  const holder = like.holders[first]!;
  // the holder's keys are sorted and distinct: count of them, all among the range's top keys, are those keys
  if (holder.level !== top || holder.keys.length !== count) return undefined;
  let k = 0;
  for (let i = first; i < hi; i++) {
    if (b.levels[i] !== top) continue;
    if (like.holders[i] !== holder || holder.values[k] !== b.values[i]) return undefined;
    if (children !== undefined && holder.children[k] !== children[k]) return undefined;
    k++;
  }
  if (children !== undefined && holder.children[count] !== children[count]) return undefined;
  assert(k === count && holder.keys[0] === b.keys[first], "mstRekey: a reused node holds other keys");
  return holder;
}

/** Entries in key order. */
export function* mstEntries<V>(t: Mst<V>): Generator<[string, V]> {
  if (t === undefined) return;
  for (let i = 0; i < t.keys.length; i++) {
    yield* mstEntries(t.children[i]);
    yield [t.keys[i]!, t.values[i]!];
  }
  yield* mstEntries(t.children[t.keys.length]);
}
