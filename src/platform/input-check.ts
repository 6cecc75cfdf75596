// Envelope checks for inputs, before any app runs: known app, well-formed
// body, everything within limits.ts. The apps then only judge meaning.
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { type AppName, appNames, type NondetRecord, type UserInputBody } from "./inputs.ts";
import { utf8Length } from "./path.ts";

const knownApps: ReadonlySet<string> = new Set(appNames);

export function isAppName(app: unknown): app is AppName {
  return typeof app === "string" && knownApps.has(app);
}

/** A non-negative safe integer (sequence numbers, times). */
export function isTime(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}

export function checkApp(app: unknown): Result<AppName> {
  if (!isAppName(app)) {
    return fail(ErrorCodes.APP_UNKNOWN, `Unknown app ${JSON.stringify(String(app).slice(0, 64))}`);
  }
  return ok(app as AppName);
}

export function checkTime(name: string, value: unknown): Result<number> {
  if (!isTime(value)) {
    return fail(ErrorCodes.INPUT_MALFORMED, `${name} must be a non-negative integer, got ${String(value)}`);
  }
  return ok(value);
}

/** Name and arguments of an action or a delivery: counts and sizes. */
export function checkNameAndArgs(what: string, name: unknown, args: unknown, bytesMax: number): Result<void> {
  if (typeof name !== "string" || name === "" || utf8Length(name) > limits.actionNameBytesMax) {
    return fail(ErrorCodes.INPUT_MALFORMED, `${what}: name must be 1..${limits.actionNameBytesMax} bytes`);
  }
  if (!Array.isArray(args)) return fail(ErrorCodes.INPUT_MALFORMED, `${what}: args must be an array`);
  if (args.length > limits.actionArgsMax) {
    return fail(ErrorCodes.INPUT_MALFORMED, `${what}: ${args.length} args exceeds ${limits.actionArgsMax}`);
  }
  let total = 0;
  for (const arg of args) {
    if (typeof arg !== "string") return fail(ErrorCodes.INPUT_MALFORMED, `${what}: args must be strings`);
    const bytes = utf8Length(arg);
    if (bytes < 0) return fail(ErrorCodes.INPUT_MALFORMED, `${what}: an argument is not valid UTF-16`);
    if (bytes > limits.actionArgBytesMax) {
      return fail(
        ErrorCodes.PAYLOAD_TOO_LARGE,
        `${what}: argument of ${bytes} bytes exceeds ${limits.actionArgBytesMax}`,
      );
    }
    total += bytes;
  }
  if (total > bytesMax)
    return fail(ErrorCodes.PAYLOAD_TOO_LARGE, `${what}: ${total} bytes exceeds ${bytesMax}`);
  return ok(undefined);
}

function coordinate(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= limits.uiScreenCoordinateMax;
}

function keyCode(v: unknown): boolean {
  return Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 0x10ffff;
}

export type TouchBody = Extract<UserInputBody, { kind: "tap" | "key" }>;

/**
 * A tap or key body that checkBody accepts, decided without building a
 * Result: taps and keys are most inputs, and checkBody's answer for
 * anything else (or anything wrong) comes with the error to report.
 */
export function isValidTouch(body: unknown): body is TouchBody {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  if (b.kind === "tap") return coordinate(b.x) && coordinate(b.y);
  return b.kind === "key" && keyCode(b.code);
}

export function checkBody(body: unknown): Result<UserInputBody> {
  if (typeof body !== "object" || body === null)
    return fail(ErrorCodes.INPUT_MALFORMED, "User input body missing");
  const b = body as Record<string, unknown>;
  switch (b.kind) {
    case "tap":
      if (!coordinate(b.x) || !coordinate(b.y))
        return fail(ErrorCodes.INPUT_MALFORMED, "Tap outside the screen");
      return ok(body as UserInputBody);
    case "key":
      if (!keyCode(b.code)) {
        return fail(ErrorCodes.INPUT_MALFORMED, `Key code ${String(b.code)} out of range`);
      }
      return ok(body as UserInputBody);
    case "action": {
      const checked = checkNameAndArgs("Action", b.name, b.args, limits.userPayloadBytesMax);
      return checked.ok ? ok(body as UserInputBody) : checked;
    }
    default:
      return fail(
        ErrorCodes.INPUT_MALFORMED,
        `Unknown user input kind ${JSON.stringify(String(b.kind).slice(0, 32))}`,
      );
  }
}

const nondetKinds: ReadonlySet<string> = new Set(["clock", "random", "sensor", "camera"]);

export function checkNondet(records: unknown): Result<readonly NondetRecord[]> {
  if (!Array.isArray(records))
    return fail(ErrorCodes.INPUT_MALFORMED, "Mirror mode needs the recorded nondet values");
  if (records.length > limits.nondetRecordsPerInputMax) {
    return fail(
      ErrorCodes.INPUT_MALFORMED,
      `${records.length} nondet records exceeds ${limits.nondetRecordsPerInputMax}`,
    );
  }
  for (const record of records as NondetRecord[]) {
    if (!nondetKinds.has(record?.kind) || !(record.value instanceof Uint8Array)) {
      return fail(ErrorCodes.INPUT_MALFORMED, "Malformed nondet record");
    }
    if (record.value.length > limits.nondetValueBytesMax) {
      return fail(
        ErrorCodes.PAYLOAD_TOO_LARGE,
        `Nondet value of ${record.value.length} bytes exceeds ${limits.nondetValueBytesMax}`,
      );
    }
  }
  return ok(records as NondetRecord[]);
}
