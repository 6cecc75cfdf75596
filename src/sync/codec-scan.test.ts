import assert from "node:assert/strict";
import { test } from "node:test";
import { appNames, type UserInput, type UserInputBody } from "../platform/inputs.ts";
import { EventScan } from "./codec-scan.ts";

// That a window scanned as recorded encodes the bytes of one pass over its inputs: codec-window.test.ts.
test("codec-scan: ranges and networkConsumed steps are those of the fed inputs", () => {
  const scan = new EventScan();
  const input = (seq: number, timeMs: number, networkConsumed: number, body: UserInputBody): UserInput => ({
    seq,
    timeMs,
    networkConsumed,
    app: appNames[0]!,
    body,
    nondet: [],
  });
  scan.add(input(5, 100, 2, { kind: "tap", x: 7, y: 30 }));
  scan.add(input(6, 150, 2, { kind: "key", code: 12 }));
  scan.add(input(7, 150, 5, { kind: "tap", x: 3, y: 41 }));
  scan.add(input(8, 400, 6, { kind: "action", name: "open", args: [] }));
  assert.deepEqual([scan.xRange, scan.yRange, scan.keyRange], [8, 42, 13]);
  assert.equal(scan.stepCount, 2);
  assert.deepEqual(
    [scan.stepPosition(0), scan.stepSize(0), scan.stepPosition(1), scan.stepSize(1)],
    [2, 3, 3, 1],
  );
  assert.deepEqual([...scan.deltasFrom(60)], [40, 50, 0, 250]);
  scan.reset();
  assert.deepEqual([scan.count, scan.stepCount, scan.xRange], [0, 0, 0]);
});

test("codec-scan: inputs out of order or with a seq gap are refused as bugs", () => {
  const scan = new EventScan();
  const tap: UserInputBody = { kind: "tap", x: 1, y: 1 };
  scan.add({ seq: 1, timeMs: 10, networkConsumed: 0, app: appNames[0]!, body: tap, nondet: [] });
  assert.throws(
    () => scan.add({ seq: 2, timeMs: 9, networkConsumed: 0, app: appNames[0]!, body: tap, nondet: [] }),
    /time-ordered/,
  );
  assert.throws(
    () => scan.add({ seq: 3, timeMs: 11, networkConsumed: 0, app: appNames[0]!, body: tap, nondet: [] }),
    /contiguous/,
  );
  assert.throws(() => scan.deltasFrom(11), /time-ordered/);
});
