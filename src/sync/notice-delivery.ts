// How the Syn-Server's notices reach a phone (paper §5.1: "file cached"
// notices ride on the sync channel): ids that stay above any a restarted
// server handed out, notices riding on replies to the phone's frames, and
// bounded timer re-sends for an idle phone. The per-phone outbox is
// notice-outbox.ts.
import { create } from "@bufbuild/protobuf";
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import { type Notice, NoticeSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { type Frame, noticeFrame } from "./frame.ts";
import type { ReplaySchedule } from "./replay-schedule.ts";
import type { DeviceState, PendingFrame } from "./sync-device-state.ts";

const noticeIdsPerMs = 1024;

export type NoticeDraft = Omit<Notice, "noticeId" | "$typeName"> & { noticeId?: bigint };

/** Server-wide notice ids. */
export class NoticeIds {
  private next = 1;

  /** The notice with its id: the given one, or a fresh id that grows with time. */
  stamp(draft: NoticeDraft, nowMs: number): Notice {
    // Ids grow with time so a restarted server's ids stay above the ones the
    // phone remembers (it dedupes by id); counter for many per millisecond.
    this.next = Math.max(this.next, nowMs * noticeIdsPerMs);
    assert(Number.isSafeInteger(this.next), "notice ids exhausted");
    // 0 is proto3's "unset" (a Notice built with create() carries it), never an id.
    const given = draft.noticeId !== undefined && draft.noticeId !== 0n ? draft.noticeId : undefined;
    const noticeId = given ?? BigInt(this.next++);
    assert(noticeId !== 0n, "a notice id is never 0");
    return create(NoticeSchema, { ...draft, noticeId });
  }
}

/** The phone is talking to us: every notice not sent within the retry time rides along. */
export function ridingNotices(state: DeviceState, nowMs: number, retryMs: number): Frame[] {
  return state.notices.due(nowMs, retryMs, Number.POSITIVE_INFINITY).map(noticeFrame);
}

/** Timer sends of unacked notices, a bounded number of times (an off phone cannot ack). */
export function timedNotices(
  schedule: ReplaySchedule,
  state: DeviceState,
  nowMs: number,
  retryMs: number,
  out: PendingFrame[],
): void {
  const notices = state.notices;
  if (notices.size === 0) return;
  for (const notice of notices.due(nowMs, retryMs, limits.noticeResendsMax))
    out.push({ deviceId: state.deviceId, frame: noticeFrame(notice) });
  const nextMs = notices.nextResendMs(retryMs, limits.noticeResendsMax);
  if (nextMs !== undefined) schedule.wake(state.deviceId, Math.max(nextMs, nowMs + 1));
}
