import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { SyncRig, type Wire } from "../../test/support/sync-rig.ts";
import { ErrorCodes } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { NoticeSchema } from "../gen/mirrorcell/v1/sync_pb.ts";
import { decodeFrame } from "./frame.ts";

function caseOf(wire: Wire): string | undefined {
  const frame = decodeFrame(wire.bytes);
  return frame.ok ? frame.value.body.case : undefined;
}

/** Runs one server tick whose frames travel with the first `frameCase` frame on `link` lost; how many were lost. */
function tickLosingFirst(rig: SyncRig, link: "uplink" | "downlink", frameCase: string): number {
  let lost = 0;
  rig.advance(1, false);
  rig.pump({ [link]: (w: Wire) => !(caseOf(w) === frameCase && lost++ === 0) });
  return lost;
}

function idleRig(seed: number): SyncRig {
  const rig = new SyncRig(seed, { syncIntervalMs: 5_000 });
  rig.addPhone("p1");
  rig.runWorkload("p1", 60_000);
  rig.settle("p1");
  return rig;
}

test("sync: notices: an idle phone gets a queued notice at the next server tick, without a batch (seed=5)", () => {
  const rig = idleRig(5);
  const phone = rig.phone("p1");
  const batchesBefore = phone.client.metrics.batches;
  assert.ok(rig.queueText("p1", "hello").ok);
  rig.advance(1);
  const got = phone.client.takeNotices();
  assert.equal(got.length, 1, `seed=${rig.seed}`);
  assert.equal(got[0]!.kind.value, "hello");
  assert.equal(phone.client.metrics.batches, batchesBefore, "no batch was needed");
  assert.equal(rig.server.unackedNotices("p1"), 0, "the phone acknowledged it");
  assert.deepEqual(rig.errors, []);
});

test("sync: notices: a lost notice frame is re-sent and applied once on the phone (seed=6)", () => {
  const rig = idleRig(6);
  const phone = rig.phone("p1");
  assert.ok(rig.queueText("p1", "lost once").ok);
  assert.equal(tickLosingFirst(rig, "downlink", "notice"), 1, "the first send was dropped");
  assert.equal(phone.client.takeNotices().length, 0);
  assert.equal(rig.server.unackedNotices("p1"), 1);
  rig.advance(limits.noticeRetryMsDefault + 1);
  assert.equal(phone.client.takeNotices().length, 1, `seed=${rig.seed}`);
  assert.equal(rig.server.unackedNotices("p1"), 0);
  rig.advance(limits.noticeRetryMsDefault * 3);
  assert.equal(phone.client.takeNotices().length, 0, "nothing re-sent after the ack");
});

test("sync: notices: a lost NoticeAck makes the server re-send, the phone dedupes by id (seed=8)", () => {
  const rig = idleRig(8);
  const phone = rig.phone("p1");
  assert.ok(rig.queueText("p1", "ack lost").ok);
  assert.equal(tickLosingFirst(rig, "uplink", "noticeAck"), 1);
  assert.equal(rig.server.unackedNotices("p1"), 1, "the server has no ack yet");
  rig.advance(limits.noticeRetryMsDefault + 1);
  assert.equal(rig.server.unackedNotices("p1"), 0, "the re-sent notice was acked");
  assert.equal(phone.client.takeNotices().length, 1, `applied once (seed=${rig.seed})`);
  assert.deepEqual(rig.errors, []);
});

test("sync: notices: an offline phone gets bounded timer re-sends, then everything on reconnect (seed=9)", () => {
  const rig = idleRig(9);
  const phone = rig.phone("p1");
  rig.disconnect("p1");
  for (let i = 0; i < 3; i++) assert.ok(rig.queueText("p1", `n${i}`).ok);
  let sends = 0;
  for (let step = 0; step < 20; step++) {
    rig.advance(limits.noticeRetryMsDefault, false);
    sends += rig.downlink.splice(0).filter((w) => caseOf(w) === "notice").length;
  }
  assert.equal(sends, 3 * (1 + limits.noticeResendsMax), "timer re-sends stop at the bound");
  assert.equal(rig.server.nextDueMs(), undefined, "no timer left for an unreachable phone");
  rig.reconnect("p1");
  rig.pump();
  assert.deepEqual(
    phone.client.takeNotices().map((n) => n.kind.value),
    ["n0", "n1", "n2"],
  );
  assert.equal(rig.server.unackedNotices("p1"), 0);
});

test("sync: notices: the outbox is bounded; a full queue refuses with QUEUE_FULL (seed=10)", () => {
  const rig = idleRig(10);
  rig.disconnect("p1");
  for (let i = 0; i < limits.noticesPerBatchMax; i++) assert.ok(rig.queueText("p1", `n${i}`).ok);
  const refused = rig.queueText("p1", "one too many");
  assert.equal(refused.ok ? "ok" : refused.error.code, ErrorCodes.QUEUE_FULL);
});

test("sync: notices: after a server restart new notices are not mistaken for old ids by the phone (seed=14)", () => {
  const rig = idleRig(14);
  const phone = rig.phone("p1");
  assert.ok(rig.queueText("p1", "before").ok);
  rig.advance(1);
  rig.crashServer("p1"); // volatile notice state is gone
  rig.runWorkload("p1", rig.nowMs + 10_000);
  assert.ok(rig.queueText("p1", "after").ok);
  rig.advance(1);
  assert.deepEqual(
    phone.client.takeNotices().map((n) => n.kind.value),
    ["before", "after"],
    `seed=${rig.seed}`,
  );
});

test("sync: notices: notices built with create() (noticeId 0n, proto3 unset) get distinct ids and all arrive (seed=12)", () => {
  const rig = idleRig(12);
  const phone = rig.phone("p1");
  for (const text of ["first", "second"]) {
    const notice = create(NoticeSchema, { kind: { case: "text", value: text } });
    assert.equal(notice.noticeId, 0n);
    assert.ok(rig.server.queueNotice("p1", notice).ok);
  }
  rig.advance(1);
  const got = phone.client.takeNotices();
  assert.deepEqual(
    got.map((n) => n.kind.value),
    ["first", "second"],
    `seed=${rig.seed}`,
  );
  assert.notEqual(got[0]!.noticeId, got[1]!.noticeId);
  assert.ok(got.every((n) => n.noticeId !== 0n));
});
