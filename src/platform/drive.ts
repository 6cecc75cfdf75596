// Drives platforms from a workload: the phone applies events in stream order
// and the log keeps what the Syn-Client (user inputs, with their recorded
// nondeterminism and networkConsumed) and the Traffic Monitor (network
// inputs) would hold; a mirror replays that log. Used by the tests, the demo
// and the benchmarks; the sync engine does the same over a real transport.
import { assert } from "../core/assert.ts";
import { fail, ok, type Result } from "../core/errors.ts";
import type { Clock } from "../core/ports.ts";
import type { NetworkInput, UserInput } from "./inputs.ts";
import type { Platform } from "./platform.ts";
import type { WorkloadEvent } from "./workload.ts";

export type RecordedInput = { kind: "user"; input: UserInput } | { kind: "network"; input: NetworkInput };

/** A clock that the driver moves (the phone's clock reads go through nondet sources built on it). */
export class ManualClock implements Clock {
  constructor(private timeMs = 0) {}

  nowMs(): number {
    return this.timeMs;
  }

  set(timeMs: number): void {
    if (!(timeMs >= this.timeMs)) assert(false, `clock moved backwards from ${this.timeMs} to ${timeMs}`);
    this.timeMs = timeMs;
  }
}

export interface DriveResult {
  log: RecordedInput[];
  /** User inputs the phone refused with a typed error (state unchanged, not shipped). */
  rejectedUser: number;
  /** Network inputs the phone refused (not consumed, not recorded). */
  rejectedNetwork: number;
}

export function drivePhone(
  phone: Platform,
  events: Iterable<WorkloadEvent>,
  clock: ManualClock,
  firstSeq = 1,
): DriveResult {
  assert(phone.mode === "phone", "drivePhone needs a phone-mode platform");
  const result: DriveResult = { log: [], rejectedUser: 0, rejectedNetwork: 0 };
  let seq = firstSeq;
  for (const event of events) {
    clock.set(Math.max(clock.nowMs(), event.atMs));
    if (event.kind === "user") {
      const applied = phone.applyUser({ seq, timeMs: event.atMs, app: event.app, body: event.body });
      if (!applied.ok) {
        result.rejectedUser++;
        continue;
      }
      seq++;
      result.log.push({ kind: "user", input: applied.value });
      continue;
    }
    const input: NetworkInput = {
      index: phone.networkConsumed + 1,
      timeMs: event.atMs,
      app: event.app,
      kind: event.networkKind,
      args: event.args,
      payload: event.payload,
    };
    const applied = phone.applyNetwork(input);
    if (!applied.ok) result.rejectedNetwork++;
    else result.log.push({ kind: "network", input });
  }
  return result;
}

/** Applies a recorded log to a mirror, stopping at the first typed error. */
export function replayLog(mirror: Platform, log: readonly RecordedInput[]): Result<number> {
  assert(mirror.mode === "mirror", "replayLog needs a mirror-mode platform");
  for (let i = 0; i < log.length; i++) {
    const entry = log[i]!;
    const applied = entry.kind === "user" ? mirror.applyUser(entry.input) : mirror.applyNetwork(entry.input);
    if (!applied.ok)
      return fail(applied.error.code, `Log entry ${i} (${entry.kind}): ${applied.error.message}`);
  }
  return ok(log.length);
}

/**
 * The log a replayer that orders by timestamps could produce when the phone's
 * and the network's clocks race: every network input lands after the next
 * user action instead of before it, and user inputs lose the networkConsumed
 * guard. Used to show that the order matters.
 */
export function misorderLog(log: readonly RecordedInput[]): RecordedInput[] {
  const out: RecordedInput[] = [];
  let held: RecordedInput[] = [];
  for (const entry of log) {
    if (entry.kind === "network") {
      held.push(entry);
      continue;
    }
    out.push({ kind: "user", input: { ...entry.input, networkConsumed: undefined as unknown as number } });
    if (entry.input.body.kind === "action") {
      out.push(...held);
      held = [];
    }
  }
  out.push(...held);
  assert(out.length === log.length, "misorderLog lost an entry");
  return out;
}
