// The server's per-phone outbox of notices (paper §3.3.1: the server tells
// the phone about cached files and scan results). A notice stays until the
// phone acknowledges its id (NoticeAck frame); the phone dedupes by id, so a
// re-send is harmless. Bounded by limits.noticesPerBatchMax at the caller.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import type { Notice } from "../gen/mirrorcell/v1/sync_pb.ts";

interface Entry {
  notice: Notice;
  sentMs: number | undefined;
  sends: number;
}

export class NoticeOutbox {
  private readonly entries = new Map<bigint, Entry>();

  get size(): number {
    return this.entries.size;
  }

  /** Queues a notice; a second notice with an id already queued is ignored. */
  add(notice: Notice): void {
    if (this.entries.has(notice.noticeId)) return;
    assert(this.entries.size < limits.noticesPerBatchMax, "notice outbox over its bound");
    this.entries.set(notice.noticeId, { notice, sentMs: undefined, sends: 0 });
  }

  /** The phone has these ids; unknown ids (already acked, or from before a restart) are ignored. */
  acknowledge(ids: readonly bigint[]): void {
    for (const id of ids.slice(0, limits.noticesPerBatchMax)) this.entries.delete(id);
  }

  /**
   * Notices never sent, or sent at least retryMs ago and fewer than
   * 1 + resendsMax times; marks them sent at nowMs. Oldest first.
   */
  due(nowMs: number, retryMs: number, resendsMax: number): Notice[] {
    assert(retryMs > 0 && resendsMax >= 0, "bad notice retry bounds");
    const out: Notice[] = [];
    for (const entry of this.entries.values()) {
      const fresh = entry.sentMs === undefined;
      const stale = !fresh && nowMs >= entry.sentMs! + retryMs && entry.sends <= resendsMax;
      if (fresh || stale) out.push(this.mark(entry, nowMs));
    }
    return out;
  }

  /** Every unacknowledged notice (a reconnect), marked sent at nowMs. */
  all(nowMs: number): Notice[] {
    return [...this.entries.values()].map((entry) => this.mark(entry, nowMs));
  }

  /** When due() next has a timer re-send, if any notice still has re-sends left. */
  nextResendMs(retryMs: number, resendsMax: number): number | undefined {
    let next: number | undefined;
    for (const entry of this.entries.values()) {
      if (entry.sends > resendsMax) continue;
      const atMs = entry.sentMs === undefined ? 0 : entry.sentMs + retryMs;
      next = next === undefined ? atMs : Math.min(next, atMs);
    }
    return next;
  }

  private mark(entry: Entry, nowMs: number): Notice {
    entry.sentMs = nowMs;
    entry.sends++;
    return entry.notice;
  }
}
