import assert from "node:assert/strict";
import { test } from "node:test";
import type { NetworkInput, UserInput } from "../platform/inputs.ts";
import { coreStack } from "./core-stack.ts";
import { defaultOptions, faultKinds, type SimulationOptions } from "./options.ts";
import { runSimulation } from "./simulation.ts";
import type { SimPhone, SimStackFactory, WorkloadStep } from "./stack.ts";
import { toyStack } from "./testing/toy-stack.ts";

/**
 * Wraps a phone and checks the fleet's burst contract (Fleet.advance): user
 * steps are applied in the order generated, at their own time stamps, each
 * before any later event about the phone and before any other event in its
 * own millisecond (a tick due in a step's millisecond may run before it);
 * steps while the phone is off, and at or after the horizon, never are.
 */
class ObservedPhone implements SimPhone {
  readonly errors: string[] = [];
  applied = 0;
  /** Steps applied right after another step, with no other call about the phone between: a burst. */
  appliedInBursts = 0;
  private lastWasApply = false;
  /** Time stamps of the user steps generated, in order. */
  private readonly generated: number[] = [];
  private nextAt = 0;
  private off = false;
  /** Latest time of a call (other than a tick) that all earlier steps had to precede. */
  private strictMs = -1;
  private tickMs = -1;

  constructor(
    private readonly inner: SimPhone,
    private readonly horizonMs: number,
  ) {}

  get deviceId(): string {
    return this.inner.deviceId;
  }

  get networkConsumed(): number {
    return this.inner.networkConsumed;
  }

  /** The core server compares the mirror's tree with the phone platform's (CoreServer.treeDiff). */
  get platform(): unknown {
    return (this.inner as unknown as { platform: unknown }).platform;
  }

  private error(message: string): void {
    if (this.errors.length < 5) this.errors.push(`${this.deviceId}: ${message}`);
  }

  /** Every generated step before `nowMs` (and at it, when `strict`) was applied already. */
  private seen(nowMs: number, strict: boolean): void {
    const next = this.generated[this.nextAt];
    if (
      !this.off &&
      next !== undefined &&
      next < this.horizonMs &&
      (next < nowMs || (strict && next === nowMs))
    )
      this.error(`step at ${next} not applied before an event at ${nowMs}`);
    this.lastWasApply = false;
    if (strict) this.strictMs = Math.max(this.strictMs, nowMs);
    else this.tickMs = Math.max(this.tickMs, nowMs);
  }

  nextStep(afterMs: number): WorkloadStep | undefined {
    const step = this.inner.nextStep(afterMs);
    if (step?.kind === "user") this.generated.push(step.atMs);
    return step;
  }

  applyUser(intent: unknown, nowMs: number): { input: UserInput | undefined; frames: Uint8Array[] } {
    const expected = this.generated[this.nextAt];
    if (expected !== nowMs) this.error(`applied a step at ${nowMs}, the next generated is at ${expected}`);
    if (this.off) this.error(`applied a step at ${nowMs} while off`);
    if (nowMs <= this.strictMs || nowMs < this.tickMs)
      this.error(`step at ${nowMs} applied after an event at ${Math.max(this.strictMs, this.tickMs)}`);
    if (nowMs >= this.horizonMs) this.error(`step at ${nowMs} applied at or after the horizon`);
    this.nextAt++;
    this.applied++;
    if (this.lastWasApply) this.appliedInBursts++;
    this.lastWasApply = true;
    const dueMs = this.inner.nextTickMs();
    const result = this.inner.applyUser(intent, nowMs);
    // A tick due before the step runs before it (the step's own tick then has nothing to resend).
    if (result.frames.length > 0 && dueMs < nowMs)
      this.error(`the tick due at ${dueMs} ran inside the step at ${nowMs}`);
    return result;
  }

  applyNetwork(input: NetworkInput, nowMs: number): boolean {
    this.seen(nowMs, true);
    return this.inner.applyNetwork(input, nowMs);
  }

  nextTickMs(): number {
    return this.inner.nextTickMs();
  }

  tick(nowMs: number): Uint8Array[] {
    this.seen(nowMs, false);
    return this.inner.tick(nowMs);
  }

  disconnect(): void {
    this.inner.disconnect();
  }

  reconnect(nowMs: number): Uint8Array[] {
    this.seen(nowMs, true);
    return this.inner.reconnect(nowMs);
  }

  receive(frame: Uint8Array, nowMs: number): Uint8Array[] {
    this.seen(nowMs, true);
    return this.inner.receive(frame, nowMs);
  }

  idle(): boolean {
    return this.inner.idle();
  }

  digest(): Uint8Array {
    return this.inner.digest();
  }

  powerOff(nowMs: number): Uint8Array[] {
    this.seen(nowMs, true);
    this.off = true;
    return this.inner.powerOff(nowMs);
  }

  boot(nowMs: number): void {
    // Steps while the phone was off are dropped, never applied.
    while (this.nextAt < this.generated.length && this.generated[this.nextAt]! <= nowMs) this.nextAt++;
    this.off = false;
    this.seen(nowMs, true);
    this.inner.boot(nowMs);
  }
}

function observed(inner: SimStackFactory, horizonMs: number, phones: ObservedPhone[]): SimStackFactory {
  return {
    createServer: (observer, options) => inner.createServer(observer, options),
    createPhone: (index, options) => {
      const phone = new ObservedPhone(inner.createPhone(index, options), horizonMs);
      phones.push(phone);
      return phone;
    },
  };
}

function runObserved(options: SimulationOptions, inner: SimStackFactory) {
  const phones: ObservedPhone[] = [];
  const report = runSimulation(options, { stack: observed(inner, options.hours * 3_600_000, phones) });
  return { report, phones, errors: phones.flatMap((p) => p.errors) };
}

const base: SimulationOptions = {
  ...defaultOptions,
  phones: 6,
  hours: 0.2,
  syncIntervalMs: 10_000,
  eventsPerSec: 2,
  faults: [...faultKinds],
};

for (const seed of [1, 2, 3]) {
  test(`sim kernel: bursts: every user step is applied in order at its own time, before later events about its phone (toy, all faults, seed=${seed})`, () => {
    const { report, phones, errors } = runObserved({ ...base, seed }, toyStack);
    assert.deepEqual(errors, [], `seed=${seed}`);
    assert.equal(report.invariantViolations, 0, `seed=${seed}: ${JSON.stringify(report.violations)}`);
    const applied = phones.reduce((n, p) => n + p.applied, 0);
    assert.equal(applied, report.userEvents, `seed=${seed}: the toy refuses no input`);
    assert.ok(report.faults.powerOffs + report.faults.partitions > 0, `seed=${seed}: faults ran`);
    // Steps between two events about a phone are applied together (the point of bursts).
    const inBursts = phones.reduce((n, p) => n + p.appliedInBursts, 0);
    assert.ok(inBursts > applied / 4, `seed=${seed}: ${inBursts} of ${applied} steps in bursts`);
  });
}

test("sim kernel: bursts: photo-sized inputs cut windows early and resend between buffered steps, in order (core, payload scale 1, seed=9)", () => {
  const options = { ...base, seed: 9, syncIntervalMs: 60_000, eventsPerSec: 0.5, phones: 20, hours: 0.1 };
  const { report, errors } = runObserved({ ...options, payloadScale: 1 }, coreStack());
  assert.deepEqual(errors, [], "seed=9");
  assert.equal(report.invariantViolations, 0, `seed=9: ${JSON.stringify(report.violations)}`);
  assert.ok(report.photoBytes > 0, "seed=9: photos were taken");
});
