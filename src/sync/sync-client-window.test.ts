import assert from "node:assert/strict";
import test from "node:test";
import { phoneClient } from "../../test/support/phone-client.ts";
import { limits } from "../core/limits.ts";
import type { UserInput } from "../platform/inputs.ts";
import { decodeBatch } from "./batch.ts";
import { decodeFrame } from "./frame.ts";

/** A phone platform and its client at virtual time `clock.timeMs` (set it to move time). */
function windowClient(syncIntervalMs: number, seed: number) {
  const { clock, client } = phoneClient({ seed, syncIntervalMs, retransmitMs: 5_000, withUiState: true });
  const tap = (seq: number): UserInput => ({
    seq,
    timeMs: clock.timeMs,
    networkConsumed: 0,
    app: "messaging",
    body: { kind: "tap", x: seq % 1080, y: 200 },
    nondet: [],
  });
  return { clock, client, tap };
}

test("sync-client: a window holding batchEventsMax inputs is cut at the next tick, so the next input is recorded (seed=5)", () => {
  // a long window: only the count can cut it
  const { clock, client, tap } = windowClient(3_600_000, 5);
  const frames: Uint8Array[] = [];
  const count = limits.batchEventsMax;
  for (let seq = 1; seq <= count; seq++) {
    clock.timeMs = Math.floor((seq - 1) / 100); // 100 inputs per millisecond
    frames.push(...client.tick(clock.timeMs));
    assert.ok(client.canRecord(), `input ${seq} can be recorded`);
    const recorded = client.record(tap(seq));
    assert.ok(recorded.ok, recorded.ok ? "" : `input ${seq}: ${recorded.error.message}`);
  }
  // Full, and still in its last input's millisecond: the input is held, not refused after the fact.
  frames.push(...client.tick(clock.timeMs));
  assert.equal(frames.length, 0, "a full window is not cut inside its last input's millisecond");
  assert.equal(client.canRecord(), false);
  clock.timeMs += 1;
  frames.push(...client.tick(clock.timeMs));
  assert.ok(client.canRecord(), "the next millisecond's tick cut the window");
  const next = client.record(tap(count + 1));
  assert.ok(next.ok, next.ok ? "" : next.error.message);
  const batches = frames.map((bytes) => {
    const frame = decodeFrame(bytes);
    assert.ok(frame.ok && frame.value.body.case === "batch");
    const batch = decodeBatch(frame.value.body.value);
    assert.ok(batch.ok, batch.ok ? "" : batch.error.message);
    return batch.value;
  });
  assert.equal(batches.length, 1, "one batch cut by count, the last input still open");
  assert.equal(batches[0]!.inputs.length, limits.batchEventsMax);
  assert.equal(batches[0]!.inputs.at(-1)!.seq, limits.batchEventsMax);
});

test("sync-client: tick sends nothing before the window's end or a retransmission is due, and exactly then (seed=6)", () => {
  const { clock, client, tap } = windowClient(60_000, 6);
  clock.timeMs = 1_000;
  assert.deepEqual(client.tick(clock.timeMs), []);
  assert.ok(client.record(tap(1)).ok);
  assert.deepEqual(client.tick(59_999), []);
  const cut = client.tick(60_000);
  assert.equal(cut.length, 1, "the window closes at its end");
  const idle = client.tick(64_999);
  assert.equal(idle.length, 0);
  assert.throws(() => idle.push(new Uint8Array(1)), "the shared empty answer cannot be added to");
  assert.deepEqual(client.tick(65_000), cut, "the unacked batch is resent retransmitMs after it was sent");
  assert.deepEqual(client.tick(69_999), []);
});
