// Random storage operations for property tests: a few short names, so paths
// collide, files turn into directories' parents and renames land on
// existing names as often as not.
import fc from "fast-check";
import type { Storage } from "../storage.ts";

const names = ["a", "b", "c", "d", "e.txt", "f.bin"];
const pathArb = fc
  .array(fc.constantFrom(...names), { minLength: 1, maxLength: 4 })
  .map((s) => `/${s.join("/")}`);
const contentArb = fc.uint8Array({ maxLength: 24 });

export const storageOpArb = fc.oneof(
  fc.record({ op: fc.constant("write" as const), path: pathArb, bytes: contentArb }),
  fc.record({ op: fc.constant("delete" as const), path: pathArb }),
  fc.record({ op: fc.constant("remove" as const), path: pathArb }),
  fc.record({ op: fc.constant("mkdir" as const), path: pathArb }),
  fc.record({ op: fc.constant("rename" as const), path: pathArb, to: pathArb }),
  fc.record({ op: fc.constant("copy" as const), path: pathArb, to: pathArb }),
);
export type StorageOp = typeof storageOpArb extends fc.Arbitrary<infer T> ? T : never;

/** Applies one operation; a failing one (a missing path, a file in the way) changes nothing. */
export function applyStorageOp(storage: Storage, o: StorageOp): void {
  if (o.op === "write") storage.writeFile(o.path, o.bytes);
  else if (o.op === "delete") storage.deleteFile(o.path);
  else if (o.op === "remove") storage.removeTree(o.path);
  else if (o.op === "mkdir") storage.mkdir(o.path);
  else if (o.op === "rename") storage.rename(o.path, o.to);
  else storage.copyFile(o.path, o.to);
}

export function applyStorageOps(storage: Storage, ops: readonly StorageOp[]): void {
  for (const o of ops) applyStorageOp(storage, o);
}
