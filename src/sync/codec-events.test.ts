import assert from "node:assert/strict";
import { test } from "node:test";
import { u64ToBytes } from "../core/bytes.ts";
import type { UserInput } from "../platform/inputs.ts";
import { type BatchData, decodeBatch, encodeBatch } from "./batch.ts";

function batchWithClock(clockMs: number, timeMs: number): BatchData {
  const input: UserInput = {
    seq: 1,
    timeMs,
    networkConsumed: 0,
    app: "email",
    body: { kind: "action", name: "open", args: [] },
    nondet: [{ kind: "clock", value: u64ToBytes(clockMs) }],
  };
  return {
    deviceId: "phone-1",
    batchNo: 1,
    firstSeq: 1,
    windowStartMs: 0,
    windowEndMs: timeMs + 1,
    inputs: [input],
    networkConsumed: 0,
    storageDigest: new Uint8Array(32),
    powerOff: false,
  };
}

test("codec: a clock read too far from its input's time for a delta round-trips as bytes (the encoder used to assert)", () => {
  for (const [clockMs, timeMs] of [
    [2 ** 53 - 1, 1],
    [2 ** 52, 0],
    [0, 2 ** 52],
    [1_700_000_000_123, 1_700_000_000_000],
  ] as const) {
    const batch = batchWithClock(clockMs, timeMs);
    const decoded = decodeBatch(encodeBatch(batch));
    assert.ok(decoded.ok, decoded.ok ? "" : decoded.error.message);
    assert.deepEqual(decoded.value, batch, `clock ${clockMs} at ${timeMs}`);
  }
});
