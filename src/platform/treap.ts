// A persistent (path-copying) treap keyed by string: the blob index of
// Storage (directories use the wider Merkle search tree, which needs fewer
// hashes per write). Priorities are a function of the key, so a set of keys
// has exactly one shape whatever the order of inserts and deletes. Updates
// copy O(log n) nodes; old roots stay valid, which makes snapshots O(1) and
// lets thousands of mirrors share a template's index.
import { assert } from "../core/assert.ts";

export class TreapNode<V> {
  /** Merkle hash as a 32-char binary string, memoized on first use (see merkle.ts). */
  hash: string | undefined = undefined;

  constructor(
    readonly key: string,
    readonly priority: number,
    readonly value: V,
    readonly left: TreapNode<V> | undefined,
    readonly right: TreapNode<V> | undefined,
  ) {}
}

export type Treap<V> = TreapNode<V> | undefined;

/** A 30-bit priority from a string key (a small integer, so V8 keeps it unboxed). */
export function keyPriority(key: string): number {
  let h1 = 0x811c9dc5;
  let h2 = 0x2545f491;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 15;
  }
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 0x27d4eb2d);
  h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
  return (h1 ^ (h1 >>> 13)) & 0x3fffffff;
}

/** Total order on nodes by priority, ties broken by key: the canonical heap order. */
export function outranks<V>(a: TreapNode<V>, b: TreapNode<V>): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.key < b.key);
}

function withChildren<V>(n: TreapNode<V>, left: Treap<V>, right: Treap<V>): TreapNode<V> {
  return new TreapNode(n.key, n.priority, n.value, left, right);
}

export function treapGet<V>(t: Treap<V>, key: string): V | undefined {
  let n = t;
  while (n !== undefined) {
    if (key === n.key) return n.value;
    n = key < n.key ? n.left : n.right;
  }
  return undefined;
}

/** Inserts or replaces key; returns the new root. */
export function treapSet<V>(t: Treap<V>, key: string, value: V): TreapNode<V> {
  if (t === undefined) return new TreapNode(key, keyPriority(key), value, undefined, undefined);
  if (key === t.key) return new TreapNode(key, t.priority, value, t.left, t.right);
  if (key < t.key) {
    const left = treapSet(t.left, key, value);
    if (left !== t.left && outranks(left, t)) {
      // rotate right: the new node rises above t
      return withChildren(left, left.left, withChildren(t, left.right, t.right));
    }
    return withChildren(t, left, t.right);
  }
  const right = treapSet(t.right, key, value);
  if (right !== t.right && outranks(right, t)) {
    return withChildren(right, withChildren(t, t.left, right.left), right.right);
  }
  return withChildren(t, t.left, right);
}

/** Joins two treaps where every key of a is below every key of b. */
export function treapMerge<V>(a: Treap<V>, b: Treap<V>): Treap<V> {
  if (a === undefined) return b;
  if (b === undefined) return a;
  assert(a.key < b.key, "treapMerge: key ranges overlap");
  if (outranks(a, b)) return withChildren(a, a.left, treapMerge(a.right, b));
  return withChildren(b, treapMerge(a, b.left), b.right);
}

/** Removes key; returns the same root object when the key is absent. */
export function treapDelete<V>(t: Treap<V>, key: string): Treap<V> {
  if (t === undefined) return undefined;
  if (key === t.key) return treapMerge(t.left, t.right);
  if (key < t.key) {
    const left = treapDelete(t.left, key);
    return left === t.left ? t : withChildren(t, left, t.right);
  }
  const right = treapDelete(t.right, key);
  return right === t.right ? t : withChildren(t, t.left, right);
}

/** Splits into keys below and above key; the node with key itself is returned apart. */
export function treapSplit<V>(t: Treap<V>, key: string): [Treap<V>, TreapNode<V> | undefined, Treap<V>] {
  if (t === undefined) return [undefined, undefined, undefined];
  if (key === t.key) return [t.left, t, t.right];
  if (key < t.key) {
    const [l, mid, r] = treapSplit(t.left, key);
    return [l, mid, withChildren(t, r, t.right)];
  }
  const [l, mid, r] = treapSplit(t.right, key);
  return [withChildren(t, t.left, l), mid, r];
}

/** Builds the canonical treap of entries sorted by strictly ascending key, in O(n). */
export function treapFromSorted<V>(entries: readonly (readonly [string, V])[]): Treap<V> {
  // Cartesian tree by a stack of the right spine; nodes are built mutable-first
  // as plain records and frozen into TreapNodes bottom-up.
  type Draft = { key: string; priority: number; value: V; left?: Draft; right?: Draft };
  const spine: Draft[] = [];
  let previous: string | undefined;
  for (const [key, value] of entries) {
    assert(previous === undefined || previous < key, "treapFromSorted: keys not strictly ascending");
    previous = key;
    const draft: Draft = { key, priority: keyPriority(key), value };
    let last: Draft | undefined;
    while (spine.length > 0 && draftOutranks(draft, spine[spine.length - 1]!)) last = spine.pop();
    if (last !== undefined) draft.left = last;
    if (spine.length > 0) spine[spine.length - 1]!.right = draft;
    spine.push(draft);
  }
  const freeze = (d: Draft | undefined): Treap<V> =>
    d === undefined ? undefined : new TreapNode(d.key, d.priority, d.value, freeze(d.left), freeze(d.right));
  return freeze(spine[0]);
}

function draftOutranks(a: { key: string; priority: number }, b: { key: string; priority: number }): boolean {
  return a.priority > b.priority || (a.priority === b.priority && a.key < b.key);
}

/** In-order entries (an explicit stack: no recursion limit to hit on big directories). */
export function* treapEntries<V>(t: Treap<V>): Generator<TreapNode<V>> {
  const stack: TreapNode<V>[] = [];
  let n = t;
  while (n !== undefined || stack.length > 0) {
    while (n !== undefined) {
      stack.push(n);
      n = n.left;
    }
    const top = stack.pop()!;
    yield top;
    n = top.right;
  }
}
