import assert from "node:assert/strict";
import { test } from "node:test";
import { InvariantChecker } from "./checker.ts";

const device = "phone-0";

/** The phone applies `count` user inputs, a network input before every `networkEvery`-th. */
function phoneRun(checker: InvariantChecker, count: number, networkEvery: number): number[] {
  const consumedBefore: number[] = [0];
  let consumed = 0;
  for (let seq = 1; seq <= count; seq++) {
    if (seq % networkEvery === 0) checker.phoneAppliedNetwork(device, ++consumed);
    checker.phoneAppliedUser(device, seq, consumed);
    consumedBefore.push(consumed);
  }
  return consumedBefore;
}

/** The mirror replays seqs from..to as the phone applied them (network inputs in between). */
function mirrorRun(checker: InvariantChecker, truth: number[], from: number, to: number): void {
  for (let seq = from; seq <= to; seq++) {
    if (truth[seq]! > truth[seq - 1]!) checker.mirrorAppliedNetwork(device, truth[seq]!, seq);
    checker.mirrorAppliedUser(device, seq, truth[seq]!, seq, seq);
  }
}

test("checker: a mirror replaying every input in the phone's interleaving raises nothing (20,000 inputs)", () => {
  const checker = new InvariantChecker({ nominal: true, lagBoundMs: 1_000_000 });
  const truth = phoneRun(checker, 20_000, 7);
  mirrorRun(checker, truth, 1, 20_000);
  assert.equal(checker.violationsTotal, 0);
  assert.ok(checker.caughtUp(device));
});

test("checker: a user input replayed before the network input the phone had consumed is invariant 4, late in a long run", () => {
  const checker = new InvariantChecker({ nominal: true, lagBoundMs: 1_000_000 });
  const truth = phoneRun(checker, 12_000, 20);
  mirrorRun(checker, truth, 1, 11_999);
  // seq 12,000 follows network input 600 on the phone; the mirror skips that network input
  checker.mirrorAppliedUser(device, 12_000, 599, 12_000, 12_000);
  assert.equal(checker.violationsTotal, 1);
  assert.equal(checker.violations[0]!.invariant, 4);
  assert.match(checker.violations[0]!.message, /seq 12000: phone had consumed 600/);
});

test("checker: a re-replay after a restart is checked against the phone's order (runs found again from the start)", () => {
  const checker = new InvariantChecker({ nominal: true, lagBoundMs: 1_000_000 });
  const truth = phoneRun(checker, 6_000, 13);
  mirrorRun(checker, truth, 1, 6_000);
  checker.restoredFrom(device, 2_000, truth[2_000]!);
  mirrorRun(checker, truth, 2_001, 2_599);
  assert.equal(checker.violationsTotal, 0, "a faithful re-replay is clean");
  checker.mirrorAppliedUser(device, 2_600, truth[2_600]! + 1, 2_600, 2_600);
  assert.equal(checker.violationsTotal, 1);
  assert.equal(checker.violations[0]!.invariant, 4);
});

test("checker: truth far behind the mirror is trimmed; the retained span is still checked", () => {
  const checker = new InvariantChecker({ nominal: true, lagBoundMs: 1_000_000 });
  const truth = phoneRun(checker, 30_000, 5);
  mirrorRun(checker, truth, 1, 30_000);
  // 2,000 behind: kept
  checker.restoredFrom(device, 28_000, truth[28_000]!);
  checker.mirrorAppliedUser(device, 28_001, truth[28_001]! + 1, 28_001, 28_001);
  assert.equal(checker.violationsTotal, 1);
  mirrorRun(checker, truth, 28_002, 30_000);
  // 29,000 behind: trimmed, so a re-replay there cannot be checked (as before the runs)
  checker.restoredFrom(device, 1_000, truth[1_000]!);
  checker.mirrorAppliedUser(device, 1_001, truth[1_001]! + 1, 1_001, 1_001);
  assert.equal(checker.violationsTotal, 1);
});

test("checker: lag beyond the bound plus the device's uplink allowance is invariant 3; the allowance is asked only past the base bound", () => {
  const asked: string[] = [];
  const checker = new InvariantChecker({
    nominal: true,
    lagBoundMs: 100,
    uplinkDelayMs: (deviceId) => {
      asked.push(deviceId);
      return 50;
    },
  });
  phoneRun(checker, 3, 1_000);
  checker.mirrorAppliedUser(device, 1, 0, 1_000, 1_100); // lag 100: within the base bound
  assert.deepEqual(asked, [], "no allowance look-up within the base bound");
  checker.mirrorAppliedUser(device, 2, 0, 1_000, 1_150); // lag 150: within bound + allowance
  assert.equal(checker.violationsTotal, 0);
  checker.mirrorAppliedUser(device, 3, 0, 1_000, 1_151); // lag 151: beyond
  assert.deepEqual(asked, [device, device]);
  assert.equal(checker.violationsTotal, 1);
  assert.equal(checker.violations[0]!.invariant, 3);
  assert.match(checker.violations[0]!.message, /lag 151 ms for seq 3 exceeds 150 ms/);
  assert.equal(checker.lag.count, 3, "every replayed input's lag is recorded");
});

test("checker: a faulty run records lag but raises no lag violation", () => {
  const checker = new InvariantChecker({ nominal: false, lagBoundMs: 100, uplinkDelayMs: () => 0 });
  phoneRun(checker, 1, 1_000);
  checker.mirrorAppliedUser(device, 1, 0, 0, 10_000);
  assert.equal(checker.violationsTotal, 0);
  assert.equal(checker.lag.max, 10_000);
});

/** A 32-byte digest made from a number. */
function digestOf(n: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (n * 31 + i * 7) & 255);
}

test("checker: batch digests: many unreplayed batches (the ring grows, wraps) are each compared once, in order; a mismatch is invariant 1", () => {
  const checker = new InvariantChecker({ nominal: true, lagBoundMs: 1_000_000 });
  let cut = 0;
  let replayed = 0;
  // Bursts of 1, 7 and 50 batches in flight: the ring wraps, then grows past 4 slots with entries wrapped.
  for (const inFlight of [1, 3, 7, 2, 50, 5]) {
    for (let k = 0; k < inFlight; k++) {
      cut++;
      checker.phoneAppliedUser(device, cut, 0);
      checker.phoneCutBatch(device, cut, cut, 0, digestOf(cut));
    }
    while (replayed < cut) {
      replayed++;
      const digest = replayed === 60 ? digestOf(0) : digestOf(replayed);
      assert.equal(
        checker.mirrorBatchDone(device, replayed, digest, replayed),
        replayed !== 60,
        `batch ${replayed}`,
      );
    }
  }
  assert.equal(checker.batchesChecked, cut);
  assert.equal(checker.divergencesObserved, 1);
  assert.equal(checker.violationsTotal, 1);
  assert.equal(checker.violations[0]!.invariant, 1);
  assert.match(checker.violations[0]!.message, /after batch 60/);
  // A re-replay after a restart was checked the first time: not again, whatever its digest.
  assert.equal(checker.mirrorBatchDone(device, 5, digestOf(999), 100), true);
  assert.equal(checker.batchesChecked, cut);
});

test("checker: batch digests: a batch the mirror skips is dropped with the ones before the next it replays; the digest kept is a copy", () => {
  const checker = new InvariantChecker({ nominal: true, lagBoundMs: 1_000_000 });
  const reused = new Uint8Array(32);
  for (let batch = 1; batch <= 6; batch++) {
    checker.phoneAppliedUser(device, batch, 0);
    reused.set(digestOf(batch));
    checker.phoneCutBatch(device, batch, batch, 0, reused); // the phone reuses its buffer
  }
  assert.equal(checker.mirrorBatchDone(device, 3, digestOf(3), 1), true);
  assert.equal(checker.mirrorBatchDone(device, 6, digestOf(6), 2), true);
  assert.equal(checker.batchesChecked, 2, "batches 1, 2, 4 and 5 left the ring unchecked");
  assert.equal(
    checker.mirrorBatchDone(device, 4, digestOf(0), 3),
    true,
    "batch 4 is gone: nothing to compare",
  );
  assert.throws(() => checker.phoneCutBatch(device, 6, 6, 0, digestOf(6)), /batch 6 cut after batch 6/);
});
