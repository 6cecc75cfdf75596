import assert from "node:assert/strict";
import { test } from "node:test";
import { ok } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { nodeSha256 } from "../node/sha256.ts";
import type { MirrorService, OutboundMessage, ServicePorts, StepBudget, StepUsage } from "./api.ts";
import { defaultStepBudget, ServiceHost } from "./service-host.ts";

function ports(sent: OutboundMessage[]): ServicePorts {
  return {
    sha256: nodeSha256,
    outbox: { send: (m) => sent.push(m) },
    fetcher: { fetch: () => {} },
    notices: { queueNotice: () => ok(undefined) },
    network: { deliver: (_d, input) => ok({ ...input, index: 1 }) },
  };
}

class Echo implements MirrorService {
  results: string[] = [];
  constructor(
    readonly name: string,
    private readonly p: ServicePorts,
  ) {}
  sendOne(id: string): void {
    const payload = new Uint8Array([1, 2, 3]);
    this.p.outbox.send({
      deliveryId: id,
      fromDeviceId: "phone",
      to: "r",
      name: "f",
      payload,
      sha256: nodeSha256(payload),
    });
  }
  onDeliveryResult(id: string): void {
    this.results.push(id);
  }
}

test("services: host: results go back to the service that sent, strays are counted", () => {
  const sent: OutboundMessage[] = [];
  const host = new ServiceHost(ports(sent));
  const a = host.register((p) => new Echo("a", p));
  const b = host.register((p) => new Echo("b", p));
  a.sendOne("a:1");
  b.sendOne("b:1");
  host.deliveryResult("b:1", ok(undefined), 0);
  host.deliveryResult("a:1", ok(undefined), 0);
  host.deliveryResult("zzz:1", ok(undefined), 0);
  assert.deepEqual(a.results, ["a:1"]);
  assert.deepEqual(b.results, ["b:1"]);
  assert.deepEqual(host.outboxStats(), { messages: 2, payloadBytes: 6, strayResults: 1 });
  assert.equal(sent.length, 2);
});

test("services: host: a service cannot send under another service's id or register twice", () => {
  const host = new ServiceHost(ports([]));
  const a = host.register((p) => new Echo("a", p));
  assert.throws(() => a.sendOne("b:1"), /not owned/);
  assert.throws(() => host.register((p) => new Echo("a", p)), /twice/);
});

test("services: host: a runtime reporting a result from inside send is a bug", () => {
  let host: ServiceHost | undefined;
  const p = ports([]);
  host = new ServiceHost({
    ...p,
    outbox: { send: (m) => host!.deliveryResult(m.deliveryId, ok(undefined), 0) },
  });
  const a = host.register((scoped) => new Echo("a", scoped));
  assert.throws(() => a.sendOne("a:1"), /from inside Outbox.send/);
});

/** A service with `units` of long work; each step does at most budget.filesMax of it. */
class Worker implements MirrorService {
  readonly name = "worker";
  stepsAt: number[] = [];
  constructor(public units: number) {}
  hasStepWork(): boolean {
    return this.units > 0;
  }
  onStep(nowMs: number, budget: StepBudget): StepUsage {
    const files = Math.min(this.units, budget.filesMax);
    this.units -= files;
    this.stepsAt.push(nowMs);
    return { files, bytes: files * 10 };
  }
}

test("services: host: long work advances one bounded step per call and per due tick", () => {
  const host = new ServiceHost(ports([]));
  const worker = host.register(() => new Worker(10));
  assert.equal(host.hasStepWork(), true);
  assert.equal(host.step(100, { filesMax: 4, bytesMax: 1_000 }), true, "work remains after one step");
  assert.equal(worker.units, 6);
  assert.equal(host.nextDueMs(), 100 + limits.serviceStepIntervalMs, "the next step waits one interval");
  host.tick(100);
  assert.equal(worker.stepsAt.length, 1, "a tick before the step is due runs none");
  host.tick(100 + limits.serviceStepIntervalMs);
  assert.equal(worker.stepsAt.length, 2, "a due tick runs exactly one step");
  for (let guard = 0; guard < 100 && host.hasStepWork(); guard++) host.tick(host.nextDueMs()!);
  assert.equal(worker.units, 0);
  assert.equal(host.nextDueMs(), undefined, "no work, no due time");
  assert.equal(host.step(200), false, "a step without work does nothing");
  const stats = host.stepStats();
  assert.equal(stats.steps, worker.stepsAt.length);
  assert.ok(stats.stepFilesMax <= defaultStepBudget.filesMax && stats.stepFilesMax >= 1);
});
