// A phone's storage changes, offered to its mirror in the same process (issue
// 4, simulator CPU per input; paper §3.3: the mirror replays the phone's
// inputs in the phone's order and ends with the phone's storage). A storage
// change is a pure function of (start state, operation): a phone records
// each change it makes — the nodes it started from, the operation, the nodes
// it ended on — and a mirror about to make the same operation from the same
// nodes takes the phone's result instead of building its own copy. The
// mirror then holds the phone's own tree nodes: no tree descent, no new
// nodes, and its digest after a batch is the memoized hash the phone
// computed at the cut. Exact, like shared-content.ts: a change is taken only
// when the start state is the identical objects and the operation is equal,
// so a hit changes memory and CPU, never a digest or a file. A mirror that
// replays something else (a divergence, a restore, a repair) computes its
// own nodes as before and stops matching, which the digest check then sees.
//
// Per device, found through the directory level key object the phone and
// its mirror share (key-level.ts; the simulator passes one per device, and
// storage-build.ts's rekey already shares the start tree through it). Off
// until a runtime that holds a phone and its mirror in one process turns it
// on (the simulator, with the shared contents).
import { assert } from "../core/assert.ts";
import { bytesEqual } from "../core/bytes.ts";
import { limits } from "../core/limits.ts";
import type { BlobIndex } from "./blob-index.ts";
import type { DirNode } from "./fs-node.ts";
import type { KeyLevel } from "./merkle-search-tree.ts";

/** What a change did; with its path and argument it names the operation. */
export const changePut = 1;
export const changeRemove = 2;
export const changeMkdir = 3;
export const changeRename = 4;

/** One storage change: the state before (identity), the operation, the state after. */
export class StorageChange {
  constructor(
    readonly kind: number,
    readonly path: string,
    /** put: the content's SHA-256 (32-char binary string); rename: the target path; else "". */
    readonly arg: string,
    readonly rootBefore: DirNode,
    readonly blobsBefore: BlobIndex,
    readonly root: DirNode,
    readonly blobs: BlobIndex,
    readonly files: number,
    readonly bytes: number,
    /** put: the content stored (immutable), so a mirror compares bytes instead of hashing its own. */
    readonly content: Uint8Array | undefined,
  ) {}
}

/**
 * One device's changes not yet taken, oldest first. Bounded: a mirror that
 * never comes (not created yet, stopped, diverged) costs at most
 * `storageChangesQueuedMax` changes' nodes.
 */
export class ChangeQueue {
  private readonly pending: StorageChange[] = [];

  constructor(private readonly counts: ChangeCounts) {}

  get size(): number {
    return this.pending.length;
  }

  offer(change: StorageChange): void {
    assert(change.root !== change.rootBefore, "ChangeQueue: a change that changed nothing");
    if (this.pending.length >= limits.storageChangesQueuedMax) this.pending.shift();
    this.pending.push(change);
    this.counts.offered++;
    assert(this.pending.length <= limits.storageChangesQueuedMax, "ChangeQueue: over its bound");
  }

  /**
   * The change this operation makes from this state, if the phone made it:
   * it and every older change are then dropped (the mirror is past them). A
   * phone that rolled an input back made two changes from one state; the
   * operation picks the right one. `content`: a put named by its bytes, not
   * by `arg` (equal bytes, equal SHA-256: the mirror skips hashing them).
   */
  take(
    root: DirNode,
    blobs: BlobIndex,
    kind: number,
    path: string,
    arg: string,
    content?: Uint8Array,
  ): StorageChange | undefined {
    const pending = this.pending;
    for (let i = 0; i < pending.length; i++) {
      const change = pending[i]!;
      if (change.rootBefore !== root || change.blobsBefore !== blobs) continue;
      if (change.kind !== kind || change.path !== path) continue;
      if (content === undefined ? change.arg !== arg : !sameContent(change.content, content)) continue;
      // the usual case is the oldest: shift() hands back no array of the removed ones
      if (i === 0) pending.shift();
      else pending.splice(0, i + 1);
      this.counts.taken++;
      return change;
    }
    return undefined;
  }

  /** The mirror built nodes of its own: nothing queued can start from its state any more. */
  clear(): void {
    this.pending.length = 0;
    this.counts.left++;
  }
}

/** Contents this long on 4-byte boundaries are compared a word at a time (two views are cheaper than 4x the loop). */
const wordCompareBytesMin = 64;

/**
 * Whether the phone stored exactly these bytes. Every put a mirror takes is
 * compared, photos and packages too: a byte loop cost about what SHA-256 did.
 */
function sameContent(stored: Uint8Array | undefined, content: Uint8Array): boolean {
  if (stored === undefined || stored.length !== content.length) return false;
  if (stored === content) return true;
  const length = content.length;
  if (length < wordCompareBytesMin || ((stored.byteOffset | content.byteOffset) & 3) !== 0) {
    return bytesEqual(stored, content);
  }
  const words = length >>> 2;
  const a = new Int32Array(stored.buffer, stored.byteOffset, words);
  const b = new Int32Array(content.buffer, content.byteOffset, words);
  for (let i = 0; i < words; i++) if (a[i] !== b[i]) return false;
  for (let i = words * 4; i < length; i++) if (stored[i] !== content[i]) return false;
  return true;
}

/** Changes offered and taken, and mirror changes computed apart from a queue ("left"), since creation. */
export interface ChangeCounts {
  offered: number;
  taken: number;
  left: number;
}

/** The process's change queues, one per device (level key object). */
export class SharedChanges {
  private on = false;
  private queues = new WeakMap<KeyLevel, ChangeQueue>();
  readonly counts: ChangeCounts = { offered: 0, taken: 0, left: 0 };

  get enabled(): boolean {
    return this.on;
  }

  /** Turning it off lets go of every queued change. */
  setEnabled(on: boolean): void {
    this.on = on;
    if (!on) this.queues = new WeakMap();
  }

  /** The device's queue; undefined while sharing is off. */
  queueOf(levels: KeyLevel): ChangeQueue | undefined {
    if (!this.on) return undefined;
    let queue = this.queues.get(levels);
    if (queue === undefined) {
      queue = new ChangeQueue(this.counts);
      this.queues.set(levels, queue);
    }
    return queue;
  }
}

export const sharedChanges = new SharedChanges();
