// Storage transitions shared by the storages of one device in one thread: in
// the simulator, a phone and its mirror. A storage's state (tree root, blob
// index, counters) is immutable and a change is a pure function of the state
// and the operation, so when the mirror replays an operation from the very
// state object the phone applied it to, the result is the phone's: the
// mirror takes it instead of copying the same path and hashing the same
// nodes again, and from then on the two share every node, memoized hashes
// included. A replay that differs in any operation, or starts from another
// state (a restored mirror, a divergence), finds nothing and computes its
// own; the digests still decide whether the two agree.
//
// Held in a map keyed by the state before each step, in insertion order and
// bounded: a step nobody takes (a mirror that fell behind or diverged) is
// dropped, oldest first, so what is held stays within `capacity` steps.
//
// Roles: the phone's storage leads (records its steps, publishes the states
// it digests), the mirror's follows (takes steps, never records: a step it
// computes itself is one nobody else will replay). A follower that reached
// equal contents by other objects (restored from its durable copy after a
// crash or a power-off, or past a step dropped for capacity) meets the
// leader again at a digest: at an equal Merkle root whose files and
// directories also compare equal entry by entry, it takes the leader's
// state object (adopt()), the steps made before that state are dropped, and
// sharing resumes from there.
import { assert } from "../core/assert.ts";
import type { BlobIndex } from "./blob-index.ts";
import type { DirNode } from "./fs-node.ts";
import type { KeyLevel } from "./merkle-search-tree.ts";
import { StorageSnapshot } from "./storage-snapshot.ts";

/** A storage's part in its key's share; a storage without one does not share. */
export type StepRole = "lead" | "follow";

/** The operations a step can be: the arguments besides the path go in `arg`. */
export const StepOp = { put: 1, remove: 2, mkdir: 3, rename: 4 } as const;
export type StepOp = (typeof StepOp)[keyof typeof StepOp];

/** Steps kept from one state: more than one only after rollbacks. */
const alternativesMax = 4;
/** States a leader published, by Merkle root: the last few batch cuts of a phone. */
const statesMax = 8;

/** One applied operation: the state it led to, and what it was applied to. */
export class StorageStep extends StorageSnapshot {
  /** Another step from the same state (the first was rolled back): rare, so a chain. */
  other: StorageStep | undefined = undefined;
  /** Order of recording in its share (record() sets it). */
  seq = 0;

  constructor(
    readonly blobsBefore: BlobIndex,
    readonly op: StepOp,
    readonly path: string,
    /** put: the content's hash; rename: the target path; otherwise "". */
    readonly arg: string,
    root: DirNode,
    blobs: BlobIndex,
    fileCount: number,
    bytesTotal: number,
    levels: KeyLevel,
  ) {
    super(root, blobs, fileCount, bytesTotal, levels);
  }
}

export class StepShare {
  private readonly steps = new Map<DirNode, StorageStep>();
  /** Steps recorded so far. */
  private seq = 0;
  /** Digested states by Merkle root (32-char binary), each with the step count when it was digested; oldest first. */
  private readonly states = new Map<string, { state: StorageSnapshot; seq: number }>();

  constructor(readonly capacity: number) {
    assert(Number.isSafeInteger(capacity) && capacity >= 1, "StepShare: capacity must be a positive integer");
  }

  /** Steps held (for tests and diagnostics). */
  get size(): number {
    return this.steps.size;
  }

  /** The step this exact operation took from this exact state, removed from the share; undefined when none. */
  take(root: DirNode, blobs: BlobIndex, op: StepOp, path: string, arg: string): StorageStep | undefined {
    const first = this.steps.get(root);
    let previous: StorageStep | undefined;
    for (let step = first; step !== undefined; previous = step, step = step.other) {
      if (step.blobsBefore !== blobs || step.op !== op || step.path !== path || step.arg !== arg) continue;
      if (previous !== undefined) previous.other = step.other;
      else if (step.other !== undefined) this.steps.set(root, step.other);
      else this.steps.delete(root);
      return step;
    }
    return undefined;
  }

  /** Records a step from the state (root, blobsBefore); drops the oldest state's steps beyond capacity. */
  record(root: DirNode, step: StorageStep): void {
    step.seq = ++this.seq;
    const held = this.steps.get(root);
    if (held !== undefined) {
      // newest first, at most alternativesMax: a state rolled back again and again holds no more
      step.other = held;
      let last = held;
      for (let n = 2; last.other !== undefined; n++) {
        if (n === alternativesMax) last.other = undefined;
        else last = last.other;
      }
      this.steps.set(root, step);
      return;
    }
    this.steps.set(root, step);
    if (this.steps.size > this.capacity) this.steps.delete(this.steps.keys().next().value as DirNode);
  }

  /** The leader digested `state`, whose Merkle root is `hash`: held for a follower that reaches the same contents. */
  publish(hash: string, state: StorageSnapshot): void {
    const held = this.states.get(hash);
    if (held !== undefined && held.state.root === state.root) return;
    this.states.delete(hash);
    this.states.set(hash, { state, seq: this.seq });
    if (this.states.size > statesMax) this.states.delete(this.states.keys().next().value as string);
  }

  /**
   * A follower at `root` digested `hash`. When the leader published another
   * state object with this root and `sameContents` confirms it entry by
   * entry (a hash is not taken on trust: a stale memoized hash must still
   * show as a divergence), returns it for the follower to take and drops the
   * steps the leader made before it.
   */
  adopt(
    hash: string,
    root: DirNode,
    sameContents: (state: StorageSnapshot) => boolean,
  ): StorageSnapshot | undefined {
    const held = this.states.get(hash);
    if (held === undefined || held.state.root === root || !sameContents(held.state)) return undefined;
    // the map is in recording order of each state's first step: stop at the first newer one
    for (const [before, step] of this.steps) {
      if (step.seq > held.seq) break;
      this.steps.delete(before);
    }
    return held.state;
  }
}
