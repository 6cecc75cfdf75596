// Divergence repair on the server side (DESIGN.md "Sync protocol"): after a
// batch whose mirror digest differs from the phone's, walk the phone's Merkle
// tree top-down through RepairRequest/RepairResponse rounds, descending only
// into directories whose subtree digests differ, and fetch only the differing
// files. The phone answers from its storage snapshot at that same batch, so
// both sides compare the same moment.
import { assert } from "../core/assert.ts";
import { bytesEqual } from "../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import type { RepairResponse } from "../gen/mirrorcell/v1/sync_pb.ts";
import type { TreeStorage, TreeView } from "../mirror/platform-port.ts";
import type { RepairOp, RepairRecord } from "../mirror/store.ts";
import { childOf, decodeListing, encodeListing, type ListingEntry, listingOf } from "./tree-listing.ts";

export type RepairStep =
  | { kind: "request"; paths: string[] }
  | { kind: "done"; ops: RepairOp[]; blobs: Uint8Array[]; bytesReceived: number }
  | { kind: "failed"; reason: string };

const roundsMax = limits.pathDepthMax + 4;

/** "/a/b/" asks for the listing of /a/b; "/a/b" asks for the file's content. */
export function listingPath(dir: string): string {
  return dir === "/" ? "/" : `${dir}/`;
}

export class RepairSession {
  private outstanding = new Set<string>(["/"]);
  private readonly ops: RepairOp[] = [];
  private readonly blobs: Uint8Array[] = [];
  private rounds = 0;
  private bytesReceived = 0;

  constructor(
    readonly batchNo: number,
    private readonly expectedDigest: Uint8Array,
    private readonly mirror: TreeStorage,
    private readonly sha256: Sha256,
  ) {
    assert(batchNo >= 1, "repair targets a replayed batch");
    assert(expectedDigest.length === limits.digestBytes, "expected digest must be 32 bytes");
  }

  get pending(): string[] {
    return [...this.outstanding];
  }

  /** Applies one response to the mirror and says what to ask next. */
  onResponse(response: RepairResponse): Result<RepairStep> {
    if (Number(response.afterSeq) !== this.batchNo) {
      return fail(
        ErrorCodes.SEQ_CONFLICT,
        `Repair response for batch ${response.afterSeq}, expected ${this.batchNo}`,
      );
    }
    if (response.entries.length === 0 && response.storageDigest.length === 0) {
      return ok({ kind: "failed", reason: "phone no longer holds that batch's snapshot" });
    }
    const next = new Set<string>();
    for (const entry of response.entries) {
      if (!this.outstanding.has(entry.path)) continue;
      this.outstanding.delete(entry.path);
      this.bytesReceived += entry.content.length + entry.path.length;
      const step = entry.path.endsWith("/")
        ? this.applyListing(entry.path, entry.present, entry.content, next)
        : this.applyFile(entry.path, entry.present, entry.content);
      if (!step.ok) return step;
    }
    for (const path of next) this.outstanding.add(path);
    if (this.outstanding.size > 0) {
      this.rounds++;
      if (this.rounds > roundsMax) return ok({ kind: "failed", reason: "repair did not converge" });
      return ok({ kind: "request", paths: [...this.outstanding].slice(0, limits.repairPathsMax) });
    }
    if (!bytesEqual(this.mirror.digest(), this.expectedDigest)) {
      return ok({ kind: "failed", reason: "digests still differ after repair" });
    }
    return ok({ kind: "done", ops: this.ops, blobs: this.blobs, bytesReceived: this.bytesReceived });
  }

  private applyFile(path: string, present: boolean, content: Uint8Array): Result<void> {
    if (!present) return this.remove(path);
    const existing = this.mirror.stat(path);
    if (existing.ok && existing.value.kind === "dir") {
      const removed = this.remove(path);
      if (!removed.ok) return removed;
    }
    const written = this.mirror.writeFile(path, content);
    if (!written.ok) return written;
    this.ops.push({ path, kind: "file", sha256: this.sha256(content) });
    this.blobs.push(content);
    return ok(undefined);
  }

  private remove(path: string): Result<void> {
    if (!this.mirror.stat(path).ok) return ok(undefined);
    const removed = this.mirror.removeTree(path);
    if (!removed.ok) return removed;
    this.ops.push({ path, kind: "absent" });
    return ok(undefined);
  }

  private applyListing(path: string, present: boolean, content: Uint8Array, next: Set<string>): Result<void> {
    const dir = path === "/" ? "/" : path.slice(0, -1);
    if (!present) return dir === "/" ? ok(undefined) : this.remove(dir);
    const phone = decodeListing(content);
    if (!phone.ok) return phone;
    const existing = this.mirror.stat(dir);
    if (existing.ok && existing.value.kind === "file") {
      const removed = this.remove(dir);
      if (!removed.ok) return removed;
    }
    if (dir !== "/" && !this.mirror.stat(dir).ok) {
      const made = this.mirror.mkdir(dir);
      if (!made.ok) return made;
      this.ops.push({ path: dir, kind: "dir" });
    }
    const mirror = new Map((listingOf(this.mirror, dir, this.sha256) ?? []).map((e) => [e.name, e]));
    for (const entry of phone.value) {
      const ours = mirror.get(entry.name);
      mirror.delete(entry.name);
      if (ours !== undefined && ours.kind === entry.kind && bytesEqual(ours.digest, entry.digest)) continue;
      const child = childOf(dir, entry.name);
      next.add(entry.kind === "dir" ? listingPath(child) : child);
    }
    for (const extra of mirror.values()) {
      const removed = this.remove(childOf(dir, extra.name));
      if (!removed.ok) return removed;
    }
    return ok(undefined);
  }
}

/** Re-applies a durable repair after re-replaying its batch (restore from an older checkpoint). */
export function applyRepairRecord(
  storage: TreeStorage,
  record: RepairRecord,
  blobOf: (sha256: Uint8Array) => Uint8Array | undefined,
): void {
  for (const op of record.ops) {
    if (op.kind === "absent") storage.removeTree(op.path);
    else if (op.kind === "dir") storage.mkdir(op.path);
    else {
      const bytes = blobOf(op.sha256!);
      assert(bytes !== undefined, "a logged repair's blob is retained");
      storage.writeFile(op.path, bytes);
    }
  }
}

/** Phone side: answers a repair request from a tree view of the batch's moment. */
export function answerRepair(
  view: TreeView,
  paths: readonly string[],
  sha256: Sha256,
): { path: string; present: boolean; content: Uint8Array }[] {
  const out: { path: string; present: boolean; content: Uint8Array }[] = [];
  for (const path of paths.slice(0, limits.repairPathsMax)) {
    if (path.endsWith("/")) {
      const dir = path === "/" ? "/" : path.slice(0, -1);
      const listing: ListingEntry[] | undefined = listingOf(view, dir, sha256);
      out.push({
        path,
        present: listing !== undefined,
        content: listing ? encodeListing(listing) : new Uint8Array(),
      });
    } else {
      const content = view.readFile(path);
      out.push({ path, present: content.ok, content: content.ok ? content.value : new Uint8Array() });
    }
  }
  return out;
}
