// Applying one batch to a mirror in the phone's exact interleaving (paper
// §3.3.1; DESIGN.md "Sync protocol", invariant 4): network input i goes
// before the first user input whose networkConsumed >= i, and the inputs the
// phone consumed after its last user input go at the batch's end.
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import type { SyncedPlatform } from "../mirror/platform-port.ts";
import type { NetworkInput, UserInput } from "../platform/inputs.ts";
import type { BatchData } from "./batch.ts";
import type { EventCursor } from "./codec-events.ts";
import type { ReplayHead } from "./replay-schedule.ts";

export type ReplayedEvent = { kind: "user"; input: UserInput } | { kind: "network"; input: NetworkInput };

export interface ReplayOutcome {
  userInputs: number;
  networkInputs: number;
  /** Inputs the mirror rejected although the phone applied them (a divergence follows). */
  rejected: number;
}

/** Checks that every network input the batch needs was recorded, before touching the mirror. */
export function networkInputsAvailable(
  platform: SyncedPlatform,
  batch: BatchData,
  recorded: (index: number) => boolean,
): Result<void> {
  for (let index = platform.networkConsumed + 1; index <= batch.networkConsumed; index++) {
    if (!recorded(index)) {
      return fail(
        ErrorCodes.NETWORK_INPUT_MISSING,
        `Network input ${index} was never recorded for this device`,
      );
    }
  }
  return ok(undefined);
}

/** Applies a batch's inputs as its cursor yields them, each with the network inputs before it. */
export function replayBatch(
  platform: SyncedPlatform,
  { batch, events }: ReplayHead,
  networkInput: (index: number) => NetworkInput | undefined,
  onEvent: (event: ReplayedEvent) => void,
): ReplayOutcome {
  assert(
    platform.networkConsumed <= batch.networkConsumed,
    "mirror consumed more network inputs than the phone",
  );
  const outcome: ReplayOutcome = { userInputs: 0, networkInputs: 0, rejected: 0 };
  for (let input = nextInput(events); input !== undefined; input = nextInput(events)) {
    if (!applyNetworkUpTo(platform, input.networkConsumed, networkInput, onEvent, outcome)) break;
    const applied = platform.applyUser(input);
    if (applied.ok) {
      outcome.userInputs++;
      onEvent({ kind: "user", input });
    } else {
      outcome.rejected++;
    }
  }
  applyNetworkUpTo(platform, batch.networkConsumed, networkInput, onEvent, outcome);
  return outcome;
}

/**
 * Applies network inputs up to `count` consumed; false when the platform
 * refused one without consuming it. A module function, not a closure per
 * batch: under tsx (esbuild keepNames) a named closure costs an
 * Object.defineProperty of its name, ~0.3 us per batch and 0.4 % of a fleet
 * run under perf.
 */
function applyNetworkUpTo(
  platform: SyncedPlatform,
  count: number,
  networkInput: (index: number) => NetworkInput | undefined,
  onEvent: (event: ReplayedEvent) => void,
  outcome: ReplayOutcome,
): boolean {
  assert(Number.isSafeInteger(count), "replay: a network count is an integer");
  while (platform.networkConsumed < count) {
    const input = networkInput(platform.networkConsumed + 1);
    assert(input !== undefined, "availability was checked before replay");
    const applied = platform.applyNetwork(input);
    if (!applied.ok) {
      outcome.rejected++;
      // The platform refused without consuming: stop here; the digest check repairs.
      if (platform.networkConsumed < input.index) return false;
    }
    outcome.networkInputs++;
    onEvent({ kind: "network", input });
  }
  return true;
}

/** Validated at intake: an accepted batch that fails to decode now is a bug. */
function nextInput(events: EventCursor): UserInput | undefined {
  try {
    return events.next();
  } catch (error) {
    assert(false, `an accepted batch decodes again: ${String(error)}`);
  }
}
