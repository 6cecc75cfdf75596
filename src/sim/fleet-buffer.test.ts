import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRng } from "../core/rng.ts";
import { InvariantChecker } from "./checker.ts";
import { Fleet } from "./fleet.ts";
import { defaultOptions } from "./options.ts";
import { toyStack } from "./testing/toy-stack.ts";

/** A one-phone fleet on the toy stack, driven by hand (no event loop). */
function oneToyPhone(): Fleet {
  const options = { ...defaultOptions, phones: 1, eventsPerSec: 5 };
  const checker = new InvariantChecker({ nominal: true, lagBoundMs: 1_000_000 });
  const stackOptions = { ...options, fleetPhones: 1 };
  const server = toyStack.createServer(
    { user() {}, network() {}, batchDone() {}, restored() {} },
    stackOptions,
  );
  const fleet = new Fleet(options, server, checker, new SeededRng(3).fork("fleet"));
  const phoneOptions = { ...stackOptions, rng: new SeededRng(4), onBatchCut() {}, startMs: 0 };
  fleet.addPhone(toyStack.createPhone(0, phoneOptions), new SeededRng(5), 0);
  return fleet;
}

test("sim kernel: user-step buffer: a drained buffer holds no intent, and refills reuse its arrays (toy, seed=3)", () => {
  const fleet = oneToyPhone();
  const node = fleet.phones[0]!;
  const intents = node.userIntents;
  const times = node.userStepsMs;
  let lengthMax = 0;
  let refills = 0;
  for (let round = 0; round < 200 && refills < 50; round++) {
    fleet.nextStep(0);
    // The buffered steps run up to the workload event's time (a network step's, or the last user step's).
    const eventMs = node.step?.atMs ?? times[node.userStepsEnd - 1] ?? fleet.nowMs;
    node.step = undefined;
    if (node.userStepsEnd === node.userStepsAt) {
      fleet.nowMs = Math.max(fleet.nowMs, eventMs);
      continue;
    }
    refills++;
    fleet.nowMs = Math.max(fleet.nowMs, eventMs);
    if (refills % 5 === 0) node.on = false; // steps while off are skipped, and not kept either
    fleet.advance(0);
    node.on = true;
    assert.equal(node.userStepsAt, 0, "drained");
    assert.equal(node.userStepsEnd, 0, "drained");
    assert.ok(
      intents.every((intent) => intent === undefined),
      `refill ${refills}: the drained buffer keeps no intent alive`,
    );
    lengthMax = Math.max(lengthMax, intents.length);
  }
  assert.equal(refills, 50, "the toy workload buffers user steps between its network steps");
  assert.equal(node.userIntents, intents, "the same intent array throughout");
  assert.equal(node.userStepsMs, times, "the same time array throughout");
  assert.ok(
    lengthMax > 0 && intents.length === lengthMax,
    "a drained buffer keeps its length for the next refill",
  );
  assert.ok(fleet.counters.userEvents > 0, "steps were applied");
});
