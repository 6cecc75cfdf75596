import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  type Treap,
  treapDelete,
  treapEntries,
  treapFromSorted,
  treapGet,
  treapSet,
  treapSplit,
} from "./treap.ts";

function shape<V>(t: Treap<V>): unknown {
  return t === undefined ? null : [shape(t.left), t.key, t.value, shape(t.right)];
}

const ops = fc.array(fc.tuple(fc.boolean(), fc.string({ maxLength: 6 })), { maxLength: 200 });

test("treap: the shape depends only on the final key set, not on the history", () => {
  fc.assert(
    fc.property(ops, (sequence) => {
      let t: Treap<string>;
      const model = new Map<string, string>();
      for (const [insert, key] of sequence) {
        if (insert) {
          t = treapSet(t, key, `v${key}`);
          model.set(key, `v${key}`);
        } else {
          t = treapDelete(t, key);
          model.delete(key);
        }
      }
      const sorted = [...model.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      assert.deepEqual(shape(t), shape(treapFromSorted(sorted)));
      assert.deepEqual(
        [...treapEntries(t)].map((n) => n.key),
        sorted.map(([k]) => k),
      );
      for (const [key, value] of model) assert.equal(treapGet(t, key), value);
    }),
  );
});

test("treap: updates leave the old version intact (persistence)", () => {
  let t: Treap<number>;
  for (let i = 0; i < 100; i++) t = treapSet(t, `k${i}`, i);
  const before = shape(t);
  const old = t;
  t = treapSet(t, "k5", 500);
  t = treapDelete(t, "k7");
  assert.deepEqual(shape(old), before);
  assert.equal(treapGet(old, "k5"), 5);
  assert.equal(treapGet(t, "k5"), 500);
  assert.equal(treapGet(t, "k7"), undefined);
});

test("treap: split separates keys below and above and returns the key's node", () => {
  let t: Treap<number>;
  for (let i = 0; i < 50; i++) t = treapSet(t, `k${String(i).padStart(2, "0")}`, i);
  const [below, at, above] = treapSplit(t, "k20");
  assert.equal(at?.value, 20);
  assert.ok([...treapEntries(below)].every((n) => n.key < "k20"));
  assert.ok([...treapEntries(above)].every((n) => n.key > "k20"));
  assert.equal([...treapEntries(below)].length + [...treapEntries(above)].length, 49);
});
