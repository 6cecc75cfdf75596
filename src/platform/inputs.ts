// The inputs a phone consumes (paper §3.3.1; DESIGN.md "The phone platform").
// This file is the contract between the platform (which applies inputs) and
// the sync engine (which captures, ships and replays them): keep its names
// stable; extend it, do not rename.
//
// Inputs are immutable once applied: the platform keeps their byte arrays
// (payloads, nondet values) in storage without copying them, exactly as the
// Syn-Client and the Traffic Monitor keep them for replay. Changing those
// bytes afterwards would change the phone's files and break replay alike.

export const appNames = [
  "system",
  "messaging",
  "email",
  "mms",
  "browser",
  "files",
  "installer",
  "camera",
  "antivirus-hook",
  "cache",
] as const;

export type AppName = (typeof appNames)[number];

/** What the user did: a tap, a key, or an app action with string arguments. */
export type UserInputBody =
  | { kind: "tap"; x: number; y: number }
  | { kind: "key"; code: number }
  | { kind: "action"; name: string; args: readonly string[] };

export type NondetKind = "clock" | "random" | "sensor" | "camera";

/** The result of one nondeterministic platform call, recorded on the phone. */
export interface NondetRecord {
  kind: NondetKind;
  value: Uint8Array;
}

/**
 * A user input as the Syn-Client ships it. `nondet` holds, in call order, the
 * results of the nondeterministic calls the phone made while applying it; the
 * mirror supplies them from this record instead of calling anything.
 */
export interface UserInput {
  /** Device-wide sequence number, contiguous from 1. */
  seq: number;
  /** Phone time of the input, ms since the sync epoch. */
  timeMs: number;
  /** Network inputs the phone had consumed before this input. */
  networkConsumed: number;
  app: AppName;
  body: UserInputBody;
  nondet: readonly NondetRecord[];
}

/**
 * A network input as the Traffic Monitor recorded it: everything the network
 * delivered to one app of the phone. Handlers of network inputs make no
 * nondeterministic calls: the receive time is `timeMs`, stamped by the
 * telecom network's global clock (paper §3.3.1).
 */
export interface NetworkInput {
  /** 1-based delivery index among this device's network inputs. */
  index: number;
  timeMs: number;
  app: AppName;
  /** What arrived, e.g. "sms", "email", "mms", "http-response", "package". */
  kind: string;
  args: readonly string[];
  payload: Uint8Array;
}
