// One arm of bench/workload-speed.ts: a source tree's Workload driven as a
// fleet drives it. Imported once per arm under its own query string (--ab),
// so each arm's harness code has type feedback of its own (an arm compiled
// second on shared closures ran slower: bench/support/codec-speed-arm.ts).
import { createHash } from "node:crypto";
import { resolve } from "node:path";

export interface DriveOptions {
  phones: number;
  hours: number;
  seed: number;
  /** Events kept alive per phone (the fleet's user steps held ahead). */
  hold: number;
}

const windowMs = 60_000;

export interface Arm {
  /** The tree's Workload has nextIntent() (CorePhone's entry since session 12); the arm drives that. */
  intents: boolean;
  /** One pass over every phone's hours; returns the events generated. */
  drive(): number;
  /** sha256 over every event next() gives, field by field. */
  digest(): string;
}

interface WorkloadLike {
  next(): { atMs: number; kind: string };
  /** Since session 12: the simulator's entry (a typed key's intent is shared, the time in intentAtMs). */
  nextIntent?: () => unknown;
  intentAtMs?: number;
}
interface Loaded {
  makeWorkload: (phone: number) => WorkloadLike;
  /** The tree's workload has nextIntent(), which CorePhone.nextStep calls: the bench drives that. */
  intents: boolean;
}

async function load(dir: string, seed: number): Promise<Loaded> {
  const rngModule = (await import(resolve(dir, "src/core/rng.ts"))) as typeof import("../../src/core/rng.ts");
  const workloadModule = (await import(
    resolve(dir, "src/platform/workload.ts")
  )) as typeof import("../../src/platform/workload.ts");
  return {
    makeWorkload: (phone) => {
      // CorePhone forks "nondet" first, then "workload" from the phone's Rng
      const rng = new rngModule.SeededRng(seed * 100_003 + phone);
      rng.fork("nondet");
      return new workloadModule.Workload({
        rng: rng.fork("workload"),
        eventsPerSecond: 0.5,
        sizeScale: 0.01,
        startMs: 0,
      });
    },
    intents: typeof (workloadModule.Workload.prototype as WorkloadLike).nextIntent === "function",
  };
}

/**
 * Every phone's events through `hours`, a window of virtual time per phone
 * in turn, each phone's last `hold` events kept alive; `visit` (next()
 * only) sees each event. Returns the number of events generated.
 */
function drive(loaded: Loaded, o: DriveOptions, visit: ((event: unknown) => void) | undefined): number {
  const { phones, hours, hold } = o;
  const useIntents = loaded.intents && visit === undefined;
  const workloads = Array.from({ length: phones }, (_, i) => loaded.makeWorkload(i));
  const held = workloads.map(() => new Array<unknown>(hold).fill(undefined));
  const heldCount = new Array<number>(phones).fill(0);
  let takenAtMs = 0;
  const take = (workload: WorkloadLike): unknown => {
    if (useIntents) {
      const intent = workload.nextIntent!();
      takenAtMs = workload.intentAtMs!;
      return intent;
    }
    const event = workload.next();
    takenAtMs = event.atMs;
    return event;
  };
  const aheadEvent: unknown[] = [];
  const aheadMs: number[] = [];
  for (const workload of workloads) {
    aheadEvent.push(take(workload));
    aheadMs.push(takenAtMs);
  }
  const endMs = hours * 3_600_000;
  let events = phones;
  for (let windowEndMs = windowMs; windowEndMs < endMs + windowMs; windowEndMs += windowMs) {
    const limitMs = Math.min(windowEndMs, endMs);
    for (let i = 0; i < phones; i++) {
      const workload = workloads[i]!;
      while (aheadMs[i]! < limitMs) {
        const event = aheadEvent[i]!;
        if (visit !== undefined) visit(event);
        if (hold > 0) held[i]![heldCount[i]!++ % hold] = event;
        aheadEvent[i] = take(workload);
        aheadMs[i] = takenAtMs;
        events++;
      }
    }
  }
  return events;
}

function digestOf(loaded: Loaded, o: DriveOptions): string {
  const hash = createHash("sha256");
  const put = (value: unknown): void => {
    if (value instanceof Uint8Array) {
      hash.update(`b${value.length}:`);
      hash.update(value);
    } else if (Array.isArray(value)) {
      hash.update(`a${value.length}:`);
      for (const item of value) put(item);
    } else hash.update(`${typeof value}:${String(value)};`);
  };
  drive(loaded, o, (event) => {
    const e = event as Record<string, unknown>;
    put(e.atMs);
    put(e.kind);
    put(e.app);
    if (e.kind === "user") {
      const body = e.body as Record<string, unknown>;
      for (const key of Object.keys(body).sort()) {
        put(key);
        put(body[key]);
      }
    } else {
      put(e.networkKind);
      put(e.args);
      put(e.payload);
    }
  });
  return hash.digest("hex");
}

export async function loadArm(dir: string, options: DriveOptions): Promise<Arm> {
  const loaded = await load(resolve(dir), options.seed);
  return {
    intents: loaded.intents,
    drive: () => drive(loaded, options, undefined),
    digest: () => digestOf(loaded, options),
  };
}
