// A phone that crashes (kill -9, battery pulled) keeps its storage and loses
// its RAM; its mirror never saw the crash. The system app's "boot" input,
// the first input after the restart, drops the mirror's volatile state at the
// same point of the order — without it a draft typed before the crash is
// sent by the mirror but not by the phone.
import assert from "node:assert/strict";
import { test } from "node:test";
import { toHex } from "../core/bytes.ts";
import { SeededRng } from "../core/rng.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { ManualClock, type RecordedInput, replayLog } from "./drive.ts";
import type { AppName, UserInputBody } from "./inputs.ts";
import { publicLevelKey } from "./key-level.ts";
import { seededNondet } from "./nondet.ts";
import { Platform } from "./platform.ts";
import { bootUi } from "./ui-state.ts";

const model = "mc-one";
const clock = new ManualClock(1_000);

function phoneFrom(from?: Platform): Platform {
  const nondet = seededNondet({ rng: new SeededRng(5), clock, cameraBytes: 64 });
  const snapshot = from === undefined ? undefined : { ...from.snapshot(), ui: bootUi() };
  return Platform.create({
    mode: "phone",
    deviceId: "p",
    model,
    sha256: nodeSha256,
    nondet,
    from: snapshot,
    levelKey: publicLevelKey,
  });
}

function apply(phone: Platform, log: RecordedInput[], app: AppName, body: UserInputBody): void {
  clock.set(clock.nowMs() + 500);
  const applied = phone.applyUser({ seq: log.length + 1, timeMs: clock.nowMs(), app, body });
  assert.ok(applied.ok, applied.ok ? "" : applied.error.message);
  log.push({ kind: "user", input: applied.value });
}

/** Types "hi" in a thread, crashes, types "x" and sends; with or without the restart marker. */
function crashRun(marker: boolean): { phoneDigest: string; mirrorDigest: string } {
  const log: RecordedInput[] = [];
  const before = phoneFrom();
  apply(before, log, "messaging", { kind: "action", name: "open-thread", args: ["peer=bob"] });
  for (const code of [104, 105]) apply(before, log, "messaging", { kind: "key", code });
  const after = phoneFrom(before); // the crash: storage kept, RAM lost
  if (marker) apply(after, log, "system", { kind: "action", name: "boot", args: [] });
  apply(after, log, "messaging", { kind: "key", code: 120 });
  apply(after, log, "messaging", { kind: "action", name: "send", args: ["peer=bob"] });
  const mirror = Platform.create({
    mode: "mirror",
    deviceId: "p",
    model,
    sha256: nodeSha256,
    levelKey: publicLevelKey,
  });
  const replayed = replayLog(mirror, log);
  assert.ok(replayed.ok, replayed.ok ? "" : replayed.error.message);
  return { phoneDigest: toHex(after.digest()), mirrorDigest: toHex(mirror.digest()) };
}

test("platform: restart marker: after a crash the system boot input makes the mirror drop the draft the phone lost; phone == mirror", () => {
  const run = crashRun(true);
  assert.equal(run.mirrorDigest, run.phoneDigest);
});

test("platform: restart marker: without it the mirror sends the pre-crash draft and diverges (what the marker prevents)", () => {
  const run = crashRun(false);
  assert.notEqual(run.mirrorDigest, run.phoneDigest);
});
