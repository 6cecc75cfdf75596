// Radio energy of a traffic trace: walks the RRC state machine of a
// RadioProfile over timed transmissions (paper §5.1.2: why syncing every
// t_syn_int costs battery even when a batch is a few hundred bytes). Energy is
// counted above the radio's IDLE draw, which battery.ts folds into the phone's
// standby power.
import { assert } from "../core/assert.ts";
import { limits } from "../core/limits.ts";
import { type RadioProfile, validateRadioProfile } from "./radio-profile.ts";

export interface Transmission {
  readonly atMs: number;
  readonly uplinkBytes: number;
  readonly downlinkBytes: number;
}

export interface RadioEnergy {
  readonly energyJ: number;
  readonly horizonMs: number;
  readonly dchMs: number;
  readonly fachMs: number;
  readonly promotionMs: number;
  readonly promotions: number;
  readonly transmissions: number;
}

type RadioState = "idle" | "fach" | "dch";

interface Walk {
  state: RadioState;
  /** Everything before this instant is accounted for. */
  cursorMs: number;
  /** When the current state's inactivity timer started. */
  inactiveSinceMs: number;
  energyMj: number;
  dchMs: number;
  fachMs: number;
  promotionMs: number;
  promotions: number;
}

/** Lets the inactivity timers run from walk.cursorMs to untilMs. */
function decay(p: RadioProfile, walk: Walk, untilMs: number): void {
  assert(untilMs >= walk.cursorMs, "radio walk went back in time");
  if (walk.state === "dch") {
    const endMs = Math.min(untilMs, walk.inactiveSinceMs + p.dchTailMs);
    const spentMs = Math.max(0, endMs - walk.cursorMs);
    walk.dchMs += spentMs;
    walk.energyMj += (spentMs * p.dchPowerMw) / 1000;
    walk.cursorMs += spentMs;
    if (untilMs < walk.inactiveSinceMs + p.dchTailMs) return;
    walk.state = p.fachTailMs > 0 ? "fach" : "idle";
    walk.inactiveSinceMs = walk.inactiveSinceMs + p.dchTailMs;
  }
  if (walk.state === "fach") {
    const endMs = Math.min(untilMs, walk.inactiveSinceMs + p.fachTailMs);
    const spentMs = Math.max(0, endMs - walk.cursorMs);
    walk.fachMs += spentMs;
    walk.energyMj += (spentMs * p.fachPowerMw) / 1000;
    walk.cursorMs += spentMs;
    if (untilMs < walk.inactiveSinceMs + p.fachTailMs) return;
    walk.state = "idle";
  }
  walk.cursorMs = untilMs;
}

function tailsFrom(p: RadioProfile, state: "fach" | "dch"): number {
  return state === "dch" ? p.dchTailMs + p.fachTailMs : p.fachTailMs;
}

function durationMs(bytes: number, kbps: number): number {
  return (bytes * 8) / kbps;
}

/** Promotes if needed, then sends; leaves the radio in the state that sent. */
function send(p: RadioProfile, walk: Walk, tx: Transmission): void {
  const large =
    tx.uplinkBytes > p.fachUplinkThresholdBytes || tx.downlinkBytes > p.fachDownlinkThresholdBytes;
  const promote = (ms: number, powerMw: number) => {
    walk.promotionMs += ms;
    walk.promotions += 1;
    walk.energyMj += (ms * powerMw) / 1000;
    walk.cursorMs += ms;
    walk.state = "dch";
  };
  if (walk.state === "idle") promote(p.promotionIdleToDchMs, p.promotionIdleToDchPowerMw);
  else if (walk.state === "fach" && large) {
    promote(p.promotionFachToDchMs, p.promotionFachToDchPowerMw);
  }
  const onDch = walk.state === "dch";
  const sendMs = Math.max(
    durationMs(tx.uplinkBytes, onDch ? p.dchUplinkKbps : p.fachUplinkKbps),
    durationMs(tx.downlinkBytes, onDch ? p.dchDownlinkKbps : p.fachDownlinkKbps),
  );
  if (onDch) walk.dchMs += sendMs;
  else walk.fachMs += sendMs;
  walk.energyMj += (sendMs * (onDch ? p.dchPowerMw : p.fachPowerMw)) / 1000;
  walk.cursorMs += sendMs;
  walk.inactiveSinceMs = walk.cursorMs;
}

/**
 * Radio energy (above IDLE) of `transmissions`, which must be sorted by time,
 * from 0 to horizonMs (extended if the last transfer ends later), or until the
 * radio is IDLE again. A transmission that arrives while the radio is busy
 * waits for it.
 */
export function radioEnergy(
  profile: RadioProfile,
  transmissions: Iterable<Transmission>,
  horizonMs: number | "until-idle",
): RadioEnergy {
  validateRadioProfile(profile);
  assert(horizonMs === "until-idle" || horizonMs >= 0, `horizon must be non-negative: ${horizonMs}`);
  const walk: Walk = {
    state: "idle",
    cursorMs: 0,
    inactiveSinceMs: 0,
    energyMj: 0,
    dchMs: 0,
    fachMs: 0,
    promotionMs: 0,
    promotions: 0,
  };
  let count = 0;
  let previousAtMs = 0;
  for (const tx of transmissions) {
    assert(tx.atMs >= previousAtMs, "transmissions must be sorted by time");
    assert(tx.uplinkBytes >= 0 && tx.downlinkBytes >= 0, "bytes must be non-negative");
    count += 1;
    assert(count <= limits.modelTransmissionsMax, "radio trace exceeds modelTransmissionsMax");
    previousAtMs = tx.atMs;
    decay(profile, walk, Math.max(tx.atMs, walk.cursorMs));
    send(profile, walk, tx);
  }
  const idleAtMs =
    walk.state === "idle" ? walk.cursorMs : walk.inactiveSinceMs + tailsFrom(profile, walk.state);
  const endMs = horizonMs === "until-idle" ? idleAtMs : Math.max(horizonMs, walk.cursorMs);
  decay(profile, walk, endMs);
  return {
    energyJ: walk.energyMj / 1000,
    horizonMs: endMs,
    dchMs: walk.dchMs,
    fachMs: walk.fachMs,
    promotionMs: walk.promotionMs,
    promotions: walk.promotions,
    transmissions: count,
  };
}

/** One batch every intervalMs from t = 0, over `periods` periods. */
export function* periodicTransmissions(
  intervalMs: number,
  periods: number,
  uplinkBytes: number,
  downlinkBytes: number,
): Generator<Transmission> {
  assert(intervalMs > 0 && Number.isInteger(periods) && periods >= 0, "bad periodic schedule");
  for (let k = 0; k < periods; k++) yield { atMs: k * intervalMs, uplinkBytes, downlinkBytes };
}
