import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { toHex, utf8 } from "../core/bytes.ts";
import { SeededRng } from "../core/rng.ts";
import { Workload, type WorkloadEvent } from "./workload.ts";
import { sentence, sentenceBytes } from "./workload-content.ts";

function fingerprint(events: WorkloadEvent[]): string {
  return events
    .map((e) =>
      e.kind === "user"
        ? `${e.atMs}:${e.app}:${JSON.stringify(e.body)}`
        : `${e.atMs}:${e.app}:${e.networkKind}:${e.args.join(",")}:${toHex(e.payload.subarray(0, 16))}:${e.payload.length}`,
    )
    .join("\n");
}

test("workload: the same seed gives the same stream; another seed another (seed=3)", () => {
  const a = new Workload({ rng: new SeededRng(3), sizeScale: 0.01 }).take(2000);
  const b = new Workload({ rng: new SeededRng(3), sizeScale: 0.01 }).take(2000);
  const c = new Workload({ rng: new SeededRng(4), sizeScale: 0.01 }).take(2000);
  assert.equal(fingerprint(a), fingerprint(b));
  assert.notEqual(fingerprint(a), fingerprint(c));
});

test("workload: events are time-ordered and user events arrive at the configured rate (seed=5)", () => {
  for (const eventsPerSecond of [0.5, 2]) {
    const events = new Workload({ rng: new SeededRng(5), eventsPerSecond, sizeScale: 0.01 }).take(10_000);
    for (let i = 1; i < events.length; i++)
      assert.ok(events[i]!.atMs >= events[i - 1]!.atMs, `event ${i} goes back in time`);
    const users = events.filter((e) => e.kind === "user");
    const rate = users.length / ((users[users.length - 1]!.atMs - users[0]!.atMs) / 1000);
    assert.ok(
      Math.abs(rate - eventsPerSecond) / eventsPerSecond < 0.05,
      `rate ${rate} for ${eventsPerSecond}/s`,
    );
  }
});

test("workload: a realistic mix — mostly keys and taps, every app, network deliveries of every kind (seed=6)", () => {
  const events = new Workload({ rng: new SeededRng(6), sizeScale: 0.01 }).take(20_000);
  const users = events.filter((e) => e.kind === "user");
  const volatile = users.filter((e) => e.kind === "user" && e.body.kind !== "action").length;
  assert.ok(volatile / users.length > 0.8, `taps and keys are ${volatile / users.length} of user events`);
  assert.equal(new Set(users.map((e) => e.app)).size, 10);
  const kinds = new Set(events.flatMap((e) => (e.kind === "network" ? [e.networkKind] : [])));
  assert.deepEqual([...kinds].sort(), [
    "cached-file",
    "email",
    "file-cached",
    "http-response",
    "im",
    "mms",
    "package",
    "scan-result",
    "sms",
  ]);
});

test("workload: sizeScale scales payloads down for fleet simulation (seed=8)", () => {
  const bytes = (scale: number) =>
    new Workload({ rng: new SeededRng(8), sizeScale: scale })
      .take(3_000)
      .reduce((sum, e) => sum + (e.kind === "network" ? e.payload.length : 0), 0);
  const full = bytes(1);
  const small = bytes(0.01);
  assert.ok(full > 10_000_000, `full-size payloads total ${full}`);
  assert.ok(small < full / 20, `scaled payloads total ${small} vs ${full}`);
});

test("workload: sentenceBytes is utf8(sentence) with the same draws (property)", () => {
  fc.assert(
    fc.property(fc.nat(2 ** 31), fc.integer({ min: 1, max: 400 }), fc.nat(400), (seed, min, extra) => {
      const a = new SeededRng(seed);
      const b = new SeededRng(seed);
      assert.deepEqual(sentenceBytes(a, min, min + extra), utf8(sentence(b, min, min + extra)));
      assert.equal(a.nextU32(), b.nextU32(), `seed=${seed}: the draws diverged`);
    }),
    { numRuns: 300 },
  );
});
