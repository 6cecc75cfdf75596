// File contents shared between storages of one process (issue 4, memory per
// phone: the simulator holds each phone and its mirror in one thread, and
// both end up with byte-identical files — the mirror replays the phone's
// writes about a sync interval later). A storage that stores a new blob
// offers it here under its SHA-256; a storage that later stores a blob with
// the same SHA-256 takes the held bytes instead of keeping its own copy.
// Exact: the key is the full SHA-256 the storage has just computed from its
// own bytes, and blobs are immutable (storage.ts never changes stored bytes),
// so a hit changes memory only, never a digest or a file read. Each storage
// still does all its own work: hashing, tree updates, reference counts.
//
// Held strongly, not through WeakRef: WeakRef targets stay alive until the
// current job ends (ECMA-262 KeepDuringJob), and the simulator runs a whole
// fleet in one synchronous job, so weak holding would keep everything
// anyway. Instead an entry is forgotten once another storage took it (the
// usual pair, phone then mirror, is then complete), and the table is bounded
// by bytes and entries, oldest offer forgotten first; forgetting only ends
// sharing, never changes what a storage holds.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import { FileNode } from "./fs-node.ts";

/**
 * The table's key for a SHA-256 (32-char binary string): its first 30 bits,
 * a small integer (a Smi in any V8 build). A string key cost a hash of the new string and a visit
 * to each candidate key's string object per look-up (0.4 % of a fleet's CPU
 * under perf); an integer sits in the table itself. Two contents whose
 * hashes share the prefix are told apart by the full hash: the second is
 * simply not shared (sharing changes memory only).
 */
export function contentKey(sha: string): number {
  if (sha.length !== 32) assert(false, `SharedContent: a SHA-256 is 32 chars, not ${sha.length}`);
  const c0 = sha.charCodeAt(0);
  const c1 = sha.charCodeAt(1);
  const c2 = sha.charCodeAt(2);
  const c3 = sha.charCodeAt(3);
  return (c0 << 22) | (c1 << 14) | (c2 << 6) | (c3 >>> 2);
}

export class SharedContent {
  /**
   * Key of a SHA-256 (contentKey) → a file node of that content; Map order
   * is age, oldest first. Nodes, not bytes: a file node is immutable, so the
   * second storage can put the first one's node in its own tree and keeps
   * neither a node nor a hash string of its own (~64 bytes per file).
   */
  private readonly held = new Map<number, FileNode>();
  private bytesHeld = 0;
  private hitCount = 0;

  constructor(
    private bytesMax: number,
    private entriesMax: number,
  ) {
    assert(bytesMax >= 0 && entriesMax >= 0, "SharedContent: negative bounds");
  }

  /** New bounds; 0, 0 turns sharing off and lets go of everything held. */
  setBounds(bytesMax: number, entriesMax: number): void {
    assert(bytesMax >= 0 && entriesMax >= 0, "SharedContent: negative bounds");
    this.bytesMax = bytesMax;
    this.entriesMax = entriesMax;
    this.evict();
  }

  /**
   * The bytes to store for content `sha` (the SHA-256 of `bytes`): held bytes
   * of another storage when there are some (then no longer held), else `bytes` — copied first when
   * `copy`, because the caller may change them — which are then held for the
   * next storage.
   */
  take(sha: string, bytes: Uint8Array, copy: boolean): Uint8Array {
    return this.takeFile(sha, bytes, copy).bytes;
  }

  /** take() as a file node: another storage's node of this content when one is held, else a new one (then held). */
  takeFile(sha: string, bytes: Uint8Array, copy: boolean): FileNode {
    const key = contentKey(sha);
    const found = this.held.get(key);
    if (found?.sha === sha) {
      assert(found.bytes.length === bytes.length, "SharedContent: one SHA-256 with two lengths");
      // most contents are stored twice, by a phone and a sync interval later by its mirror: once taken, forget
      this.held.delete(key);
      this.bytesHeld -= found.bytes.length;
      this.hitCount++;
      return found;
    }
    const file = new FileNode(sha, copy ? bytes.slice() : bytes);
    // another content under this key keeps its place: this one is not shared
    if (bytes.length > this.bytesMax || found !== undefined) return file;
    this.held.set(key, file);
    this.bytesHeld += bytes.length;
    this.evict();
    return file;
  }

  /** Distinct contents held now. */
  get size(): number {
    return this.held.size;
  }

  get bytes(): number {
    return this.bytesHeld;
  }

  /** Stores that took held bytes instead of keeping their own copy, since creation or clear(). */
  get hits(): number {
    return this.hitCount;
  }

  clear(): void {
    this.held.clear();
    this.bytesHeld = 0;
    this.hitCount = 0;
  }

  private evict(): void {
    if (this.bytesHeld <= this.bytesMax && this.held.size <= this.entriesMax) return;
    // each pass removes one entry, so this ends within size passes
    for (const [key, file] of this.held) {
      if (this.bytesHeld <= this.bytesMax && this.held.size <= this.entriesMax) break;
      this.held.delete(key);
      this.bytesHeld -= file.bytes.length;
    }
    assert(this.bytesHeld >= 0 && this.bytesHeld <= this.bytesMax, "SharedContent: byte count out of step");
  }
}

/**
 * The process's table, used by every Storage: sharing needs no wiring
 * between the phone and mirror platforms a runtime creates. Off until a
 * runtime that holds a phone and its mirror in one process turns it on
 * (the simulator: `enableSharedContent`); a live server's phones are other
 * processes, so there it would only pin bytes nobody takes.
 */
export const sharedContent = new SharedContent(0, 0);

export function enableSharedContent(): void {
  sharedContent.setBounds(limits.sharedContentBytesMax, limits.sharedContentEntriesMax);
}

/** Turns the table off and lets go of what it held. */
export function disableSharedContent(): void {
  sharedContent.setBounds(0, 0);
}
