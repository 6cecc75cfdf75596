// CoreServer's final tree check: every phone of a small fleet is walked; a
// large fleet walks a sample, and always a phone whose digests disagree.
import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRng } from "../core/rng.ts";
import type { CorePhone } from "./core-phone.ts";
import { coreStack } from "./core-stack.ts";
import type { ReplayObserver, SimServer, StackOptions } from "./stack.ts";

const options: StackOptions = {
  syncIntervalMs: 60_000,
  latencyMsMax: 100,
  eventsPerSec: 0.5,
  payloadScale: 0.01,
};
const observer: ReplayObserver = { user() {}, network() {}, batchDone() {}, restored() {} };

function fleet(
  phones: number,
  seed: number,
  fleetPhones?: number,
): { server: SimServer; phones: CorePhone[] } {
  const stack = coreStack();
  const server = stack.createServer(
    observer,
    fleetPhones === undefined ? options : { ...options, fleetPhones },
  );
  const rng = new SeededRng(seed);
  const created: CorePhone[] = [];
  for (let i = 0; i < phones; i++) {
    const phoneOptions = { ...options, rng: rng.fork(`phone-${i}`), onBatchCut() {}, startMs: 0 };
    created.push(stack.createPhone(i, phoneOptions) as CorePhone);
  }
  return { server, phones: created };
}

/** A file only the phone has (as if its batch never reached the mirror). */
function phoneOnlyFile(phone: CorePhone): void {
  assert.ok(phone.platform.storage.writeFile("/sim-extra.txt", Uint8Array.of(1, 2, 3)).ok);
}

test("sim: core server: a small fleet's final check walks every phone's tree (seed=61)", () => {
  const { server, phones } = fleet(4, 61);
  for (const phone of phones) assert.deepEqual(server.treeDiff(phone.deviceId, phone), []);
  phoneOnlyFile(phones[3]!);
  assert.deepEqual(server.treeDiff(phones[3]!.deviceId, phones[3]!), ["/sim-extra.txt"]);
});

test("sim: core server: a large fleet's final check still walks a phone whose digests differ (seed=62)", () => {
  const { server, phones } = fleet(300, 62);
  // Phone 1 is outside the sample (every 8th check walks); its digests now disagree.
  phoneOnlyFile(phones[1]!);
  const diffs = phones.map((phone) => server.treeDiff(phone.deviceId, phone));
  assert.deepEqual(diffs[1], ["/sim-extra.txt"]);
  assert.equal(diffs.filter((d) => d.length > 0).length, 1);
});

/** Device ids whose trees treeDiff walked entry by entry. */
function walkedBy(server: SimServer): string[] {
  const walked: string[] = [];
  const spy = server as unknown as { walkDiff(deviceId: string, phone: unknown): string[] };
  const walk = spy.walkDiff.bind(server);
  spy.walkDiff = (deviceId, phone) => {
    walked.push(deviceId);
    return walk(deviceId, phone);
  };
  return walked;
}

test("sim: core server: a 4-phone shard of a 10,000-phone fleet walks a sample like the whole fleet (seed=63)", () => {
  const shard = fleet(4, 63, 10_000);
  const walked = walkedBy(shard.server);
  for (const phone of shard.phones) assert.deepEqual(shard.server.treeDiff(phone.deviceId, phone), []);
  assert.deepEqual(walked, ["phone-0"]);
  phoneOnlyFile(shard.phones[2]!);
  assert.deepEqual(shard.server.treeDiff("phone-2", shard.phones[2]!), ["/sim-extra.txt"]);
  // the same 4 phones as a fleet of their own: every tree walked
  const alone = fleet(4, 63);
  const walkedAlone = walkedBy(alone.server);
  for (const phone of alone.phones) alone.server.treeDiff(phone.deviceId, phone);
  assert.deepEqual(walkedAlone, ["phone-0", "phone-1", "phone-2", "phone-3"]);
});
