import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { LevelKey, publicLevelKey } from "./key-level.ts";
import {
  type KeyLevel,
  type Mst,
  type MstNode,
  mstDelete,
  mstEntries,
  mstFromSorted,
  mstGet,
  mstIndex,
  mstInsert,
  mstRekey,
  mstReplaceExisting,
  mstSet,
  mstSplit,
} from "./merkle-search-tree.ts";

const levels = publicLevelKey;

function shape<V>(t: Mst<V>): unknown {
  return t === undefined ? null : [t.level, t.keys, t.values, t.children.map(shape)];
}

function checkInvariants<V>(t: Mst<V>, lo?: string, hi?: string): void {
  if (t === undefined) return;
  assert.ok(t.keys.length > 0, "no empty nodes");
  assert.equal(t.children.length, t.keys.length + 1);
  t.keys.forEach((k, i) => {
    assert.ok((lo === undefined || k > lo) && (hi === undefined || k < hi), "keys inside the node's range");
    if (i > 0) assert.ok(t.keys[i - 1]! < k, "keys sorted");
  });
  t.children.forEach((c, i) => {
    if (c !== undefined) assert.ok(c.level < t.level, "children are of lower level");
    checkInvariants(c, i === 0 ? lo : t.keys[i - 1], i === t.keys.length ? hi : t.keys[i]);
  });
}

const keyArb = fc.oneof(
  fc.string({ maxLength: 4 }),
  fc.nat({ max: 3000 }).map((n) => `k${n}`),
);
const ops = fc.array(fc.tuple(fc.boolean(), keyArb), { maxLength: 400 });

test("mst: the tree depends only on the final key set, not on the history", () => {
  fc.assert(
    fc.property(ops, (sequence) => {
      let t: Mst<string>;
      const model = new Map<string, string>();
      for (const [insert, key] of sequence) {
        if (insert) {
          t = mstSet(t, key, `v${key}`, levels);
          model.set(key, `v${key}`);
        } else {
          t = mstDelete(t, key);
          model.delete(key);
        }
      }
      checkInvariants(t);
      const sorted = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      assert.deepEqual(shape(t), shape(mstFromSorted(sorted, levels)));
      assert.deepEqual([...mstEntries(t)], sorted);
      for (const [key, value] of model) assert.equal(mstGet(t, key), value);
    }),
    { numRuns: 300 },
  );
});

/** Every bottom node's gap list, by length: one shared array per length (none of its own). */
function bottomGaps<V>(t: Mst<V>, byLength: Map<number, unknown>): void {
  if (t === undefined) return;
  if (t.level === 0) {
    const seen = byLength.get(t.children.length);
    if (seen === undefined) byLength.set(t.children.length, t.children);
    else assert.equal(t.children, seen, "bottom nodes of one length share their gap list");
  }
  for (const child of t.children) bottomGaps(child, byLength);
}

test("mst: insert for absent keys and replace for present ones build mstSet's tree; bottom nodes share gap lists", () => {
  const longKeyArb = fc.oneof(
    keyArb,
    keyArb.map((k) => `${k}-a-name-longer-than-a-slice`),
  );
  const longOps = fc.array(fc.tuple(fc.boolean(), longKeyArb), { maxLength: 300 });
  fc.assert(
    fc.property(longOps, (sequence) => {
      let viaSet: Mst<string>;
      let viaSplit: Mst<string>;
      const model = new Map<string, string>();
      sequence.forEach(([insert, key], i) => {
        if (insert) {
          const value = `v${i}`;
          viaSet = mstSet(viaSet, key, value, levels);
          // a key sliced out of a longer path, as Storage passes names
          const sliced = `/dir/${key}`.slice(5);
          viaSplit = model.has(key)
            ? mstReplaceExisting(viaSplit, sliced, value)
            : mstInsert(viaSplit, sliced, value, levels);
          model.set(key, value);
        } else {
          viaSet = mstDelete(viaSet, key);
          viaSplit = mstDelete(viaSplit, key);
          model.delete(key);
        }
      });
      checkInvariants(viaSplit);
      assert.deepEqual(shape(viaSplit), shape(viaSet));
      bottomGaps(viaSplit, new Map());
      bottomGaps(viaSet, new Map());
    }),
    { numRuns: 200 },
  );
  assert.throws(() => mstReplaceExisting(undefined, "absent", 1), /does not hold/);
});

test("mst: nodes hold about 16 keys, so 100k keys sit about 4 levels deep", () => {
  const entries = Array.from(
    { length: 100_000 },
    (_, i) => [`file-${String(i).padStart(6, "0")}`, i] as const,
  );
  const t = mstFromSorted(entries, levels);
  let depth = 0;
  for (let n: Mst<number> = t; n !== undefined; n = n.children[0]) depth++;
  assert.ok(depth >= 3 && depth <= 7, `depth ${depth}`);
  assert.equal(mstGet(t, "file-054321"), 54321);
});

test("mst: updates leave the old version intact; split separates below and above", () => {
  let t: Mst<number>;
  for (let i = 0; i < 500; i++) t = mstSet(t, `k${String(i).padStart(3, "0")}`, i, levels);
  const old = t;
  const before = shape(old);
  t = mstSet(t, "k005", 500, levels);
  t = mstDelete(t, "k007");
  assert.deepEqual(shape(old), before);
  assert.equal(mstGet(old, "k005"), 5);
  assert.equal(mstGet(t, "k005"), 500);
  assert.equal(mstGet(t, "k007"), undefined);
  const [below, at, above] = mstSplit(old, "k200");
  assert.equal(at, 200);
  assert.deepEqual(
    [...mstEntries(below)].map(([, v]) => v),
    Array.from({ length: 200 }, (_, i) => i),
  );
  assert.equal([...mstEntries(above)].length, 299);
});

test("mst: under any level key the tree is canonical; two keys shape the same entries differently (seeded)", () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), ops, (secret, sequence) => {
      const key = LevelKey.fromSecret(secret);
      let t: Mst<string>;
      const model = new Map<string, string>();
      for (const [insert, name] of sequence) {
        if (insert) {
          t = mstSet(t, name, name, key);
          model.set(name, name);
        } else {
          t = mstDelete(t, name);
          model.delete(name);
        }
      }
      checkInvariants(t);
      const sorted = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      assert.deepEqual(shape(t), shape(mstFromSorted(sorted, key)));
    }),
    { numRuns: 100 },
  );
  const entries = Array.from({ length: 2_000 }, (_, i) => [`n${String(i).padStart(4, "0")}`, i] as const);
  const a = mstFromSorted(entries, publicLevelKey);
  const b = mstFromSorted(entries, LevelKey.fromSecret(new Uint8Array(16).fill(7)));
  assert.deepEqual([...mstEntries(a)], [...mstEntries(b)]);
  assert.notDeepEqual(shape(a), shape(b));
});

function nodesOf<V>(t: Mst<V>, out: MstNode<V>[] = []): MstNode<V>[] {
  if (t === undefined) return out;
  out.push(t);
  for (const child of t.children) nodesOf(child, out);
  return out;
}

/** Levels from a table (0 for a name it lacks): tests choose where two keys agree. */
function tableLevels(table: ReadonlyMap<string, number>): KeyLevel {
  return { level: (name) => table.get(name) ?? 0 };
}

const sameParts = <V>(a: MstNode<V>, b: MstNode<V>) =>
  a.level === b.level &&
  a.keys.length === b.keys.length &&
  a.keys.every((k, i) => k === b.keys[i] && a.values[i] === b.values[i]) &&
  a.children.every((c, i) => c === b.children[i]);

test("mst: a rekeyed tree is the canonical tree under the new key, and reuses exactly the old nodes that come out equal (property)", () => {
  const level = fc.oneof(
    { weight: 6, arbitrary: fc.constant(0) },
    { weight: 2, arbitrary: fc.integer({ min: 1, max: 3 }) },
  );
  const entry = fc.tuple(keyArb, level, level, fc.boolean());
  fc.assert(
    fc.property(fc.uniqueArray(entry, { selector: ([key]) => key, maxLength: 120 }), (drawn) => {
      const sorted = [...drawn].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const before = tableLevels(new Map(sorted.map(([key, l]) => [key, l])));
      const after = tableLevels(new Map(sorted.map(([key, , l]) => [key, l])));
      const t = mstFromSorted(
        sorted.map(([key]) => [key, { key }] as const),
        before,
      );
      const index = mstIndex(t);
      assert.deepEqual(
        index.keys,
        sorted.map(([key]) => key),
      );
      // some values replaced (a rebuilt subdirectory): nodes holding them cannot be reused
      const values = index.values.map((v, i) => (sorted[i]![3] ? { key: v.key } : v));
      const r = mstRekey(index, values, after);
      checkInvariants(r);
      const expected = mstFromSorted(
        sorted.map(([key], i) => [key, values[i]!] as const),
        after,
      );
      assert.deepEqual(shape(r), shape(expected));
      assert.deepEqual(
        [...mstEntries(r)].map(([, v]) => v),
        values,
        "the given values, by identity",
      );
      const old = nodesOf(t);
      for (const n of nodesOf(r)) {
        const twin = old.find((m) => sameParts(m, n));
        assert.equal(n, twin ?? n, "a node equal to an old one is the old one");
        if (twin === undefined) assert.ok(!old.includes(n), "a new node is new");
      }
    }),
    { numRuns: 300 },
  );
});

test("mst: a rekey that changes no level and no value returns the old tree itself; one changed level copies only the nodes above it", () => {
  const names = Array.from({ length: 40 }, (_, i) => `n${String(i).padStart(2, "0")}`);
  const table = new Map(names.map((n, i) => [n, i % 8 === 3 ? 1 : 0]));
  const t = mstFromSorted(
    names.map((n) => [n, n] as const),
    tableLevels(table),
  );
  const index = mstIndex(t);
  assert.equal(mstRekey(index, index.values, tableLevels(new Map(table))), t);
  const moved = mstRekey(index, index.values, tableLevels(new Map(table).set("n37", 1)));
  assert.ok(moved !== undefined && t !== undefined && moved !== t);
  assert.equal(moved.keys.length, t.keys.length + 1, "n37 joined the top node");
  assert.ok(
    moved.children.slice(0, 5).every((c, i) => c !== undefined && c === t.children[i]),
    "the gaps before the change are the old nodes",
  );
  assert.notEqual(moved.children[5], t.children[5]);
});
