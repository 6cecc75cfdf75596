// Nondeterminism made replayable (DESIGN.md "The phone platform"; the paper
// §3.3.1 assumes it away, we do not). On the phone every clock read, random
// draw, sensor and camera read goes to the real sources and its result is
// recorded; on the mirror the same calls are answered from the record, in
// call order, and asking for more or for something else is a typed error.
import { assert } from "../core/assert.ts";
import { u64FromBytes, u64ToBytes } from "../core/bytes.ts";
import { ErrorCodes, MirrorcellError } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Clock, Rng } from "../core/ports.ts";
import type { NondetKind, NondetRecord } from "./inputs.ts";
import { randomBytes } from "./random-bytes.ts";

/** The phone's real sources of nondeterminism (phone mode only); each call returns a fresh array the platform keeps. */
export interface NondetSources {
  clockMs(): number;
  random(bytes: number): Uint8Array;
  sensor(name: string): Uint8Array;
  camera(): Uint8Array;
}

/**
 * What app code sees: the same calls in both modes. The arrays returned are
 * the recorded values themselves (no copy per call): read-only for apps, like
 * every input (inputs.ts).
 */
export interface NondetPort {
  clockMs(): number;
  random(bytes: number): Uint8Array;
  sensor(name: string): Uint8Array;
  camera(): Uint8Array;
}

/** Phone mode: call the sources, record each result. */
export class NondetRecorder implements NondetPort {
  readonly records: NondetRecord[] = [];
  private recordedBytes = 0;

  constructor(private readonly sources: NondetSources) {}

  private record(kind: NondetKind, value: Uint8Array): Uint8Array {
    assert(
      this.records.length < limits.nondetRecordsPerInputMax,
      "an app made too many nondeterministic calls",
    );
    // A sensor or camera may hand over more than one input can ship: refuse
    // the input (the platform rolls it back) rather than apply what the
    // Syn-Client could never send to the mirror.
    if (this.recordedBytes + value.length > limits.nondetBytesPerInputMax) {
      throw new MirrorcellError(
        ErrorCodes.PAYLOAD_TOO_LARGE,
        `Recorded ${kind} results of ${this.recordedBytes + value.length} bytes exceed ${limits.nondetBytesPerInputMax} per input`,
      );
    }
    this.recordedBytes += value.length;
    this.records.push({ kind, value });
    return value;
  }

  clockMs(): number {
    const now = Math.floor(this.sources.clockMs());
    this.record("clock", u64ToBytes(now));
    return now;
  }

  random(bytes: number): Uint8Array {
    const value = this.sources.random(bytes);
    assert(value.length === bytes, "random source returned the wrong length");
    return this.record("random", value);
  }

  sensor(name: string): Uint8Array {
    return this.record("sensor", this.sources.sensor(name));
  }

  camera(): Uint8Array {
    return this.record("camera", this.sources.camera());
  }
}

/** Mirror mode: answer from the phone's records, in order. */
export class NondetReplayer implements NondetPort {
  private cursor = 0;

  constructor(private readonly records: readonly NondetRecord[]) {}

  private next(kind: NondetKind): Uint8Array {
    const record = this.records[this.cursor];
    if (record === undefined) {
      throw new MirrorcellError(
        ErrorCodes.NONDET_EXHAUSTED,
        `Replay asked for a ${kind} value beyond the ${this.records.length} recorded`,
      );
    }
    if (record.kind !== kind) {
      throw new MirrorcellError(
        ErrorCodes.NONDET_MISMATCH,
        `Replay asked for ${kind} but record ${this.cursor} is ${record.kind}`,
      );
    }
    this.cursor++;
    return record.value;
  }

  clockMs(): number {
    const value = u64FromBytes(this.next("clock"));
    if (value === undefined)
      throw new MirrorcellError(ErrorCodes.NONDET_MISMATCH, "Recorded clock value is not 8 bytes");
    return value;
  }

  random(bytes: number): Uint8Array {
    const value = this.next("random");
    if (value.length !== bytes) {
      throw new MirrorcellError(
        ErrorCodes.NONDET_MISMATCH,
        `Recorded random value has ${value.length} bytes, replay asked for ${bytes}`,
      );
    }
    return value;
  }

  sensor(_name: string): Uint8Array {
    return this.next("sensor");
  }

  camera(): Uint8Array {
    return this.next("camera");
  }

  /** Throws when the phone recorded calls that replay did not make. */
  finish(): void {
    if (this.cursor !== this.records.length) {
      throw new MirrorcellError(
        ErrorCodes.NONDET_MISMATCH,
        `Replay used ${this.cursor} of ${this.records.length} recorded nondeterministic values`,
      );
    }
  }
}

/** Network handlers get no nondeterminism: their time is the input's timeMs. */
export const noNondet: NondetPort = {
  clockMs: () => assertNever("clock"),
  random: () => assertNever("random"),
  sensor: () => assertNever("sensor"),
  camera: () => assertNever("camera"),
};

function assertNever(kind: string): never {
  assert(false, `a network input handler asked for ${kind}: network handlers must be deterministic`);
}

export interface SeededNondetOptions {
  rng: Rng;
  clock: Clock;
  /** Size of a camera photo in bytes (default 1.5 MB; scale down for fleets). */
  cameraBytes?: number;
}

/**
 * Stand-in phone sources for the simulator and tests: deterministic given
 * the Rng and Clock, but opaque to the platform, which must record them.
 */
export function seededNondet(options: SeededNondetOptions): NondetSources {
  const { rng, clock } = options;
  const cameraBytes = options.cameraBytes ?? 1_500_000;
  assert(
    Number.isSafeInteger(cameraBytes) && cameraBytes > 0 && cameraBytes <= limits.nondetValueBytesMax,
    "bad cameraBytes",
  );
  return {
    clockMs: () => clock.nowMs(),
    random: (bytes) => rng.bytes(bytes),
    sensor: () => rng.bytes(4),
    camera: () => {
      const photo = randomBytes(rng, cameraBytes);
      // a JPEG start-of-image marker, so the photo looks like one to scanners
      photo[0] = 0xff;
      if (cameraBytes > 1) photo[1] = 0xd8;
      return photo;
    },
  };
}
