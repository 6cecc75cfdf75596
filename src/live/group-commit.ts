// Group commit for the live server's durable ingest (issue 5: "batch many
// devices' inputs per transaction"). Frames that arrive in the same event-loop
// turn are applied inside ONE SQLite transaction; their replies (acks) are
// released only after that transaction committed, so an ack always means
// durable, and one fsync covers many phones.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import type { Db } from "./sqlite-db.ts";

export interface CommitWork {
  /** Runs inside the transaction; writes through the store. Must not await. */
  apply(): void;
  /** Runs after the commit (send acks). */
  committed(): void;
}

/** One endpoint and a few services listen; more is a leak. */
const flushListenersMax = 16;

export class GroupCommitter {
  /** One transaction function for every flush (better-sqlite3 builds a wrapper per call of db.transaction). */
  private readonly applyAll: (works: readonly CommitWork[]) => void;
  private queue: CommitWork[] = [];
  /** Run after every flush's replies (coalesced replies: one ack per phone per commit). */
  private readonly flushed: (() => void)[] = [];
  private scheduled = false;
  private readonly onError: (error: unknown) => void;
  transactions = 0;
  works = 0;
  private readonly flushNow = () => this.flush();

  constructor(db: Db, onError: (error: unknown) => void) {
    this.applyAll = db.transaction((works: readonly CommitWork[]) => {
      for (const work of works) work.apply();
    });
    this.onError = onError;
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(work: CommitWork): void {
    this.queue.push(work);
    if (this.queue.length >= limits.groupCommitWorkMax) {
      this.flush();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushNow);
    }
  }

  /** Runs `fn` after each commit, once its works released their replies. */
  onFlushed(fn: () => void): void {
    this.flushed.push(fn);
    assert(this.flushed.length <= flushListenersMax, "flush listeners leak");
  }

  /**
   * Applies every queued work in one transaction, then releases replies. A
   * failed commit is fatal: in-memory core state would be ahead of the disk,
   * so the server must stop and restore from the store.
   */
  flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    assert(batch.length <= limits.groupCommitWorkMax, "group commit overflow");
    try {
      this.applyAll(batch);
    } catch (error) {
      this.onError(error);
      return;
    }
    this.transactions += 1;
    this.works += batch.length;
    for (const work of batch) work.committed();
    for (const fn of this.flushed) fn();
    assert(this.works >= batch.length, "work counter overflow");
  }
}
