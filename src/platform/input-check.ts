// Envelope checks for inputs, before any app runs: known app, well-formed
// body, everything within limits.ts. The apps then only judge meaning.
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import { type AppName, appNames, type NondetRecord, type UserInputBody } from "./inputs.ts";
import { utf8Length } from "./path.ts";

const knownApps: ReadonlySet<string> = new Set(appNames);

export function checkApp(app: unknown): Result<AppName> {
  if (typeof app !== "string" || !knownApps.has(app)) {
    return fail(ErrorCodes.APP_UNKNOWN, `Unknown app ${JSON.stringify(String(app).slice(0, 64))}`);
  }
  return ok(app as AppName);
}

export function checkTime(name: string, value: unknown): Result<number> {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 0) {
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
      if (!Number.isInteger(b.code) || (b.code as number) < 0 || (b.code as number) > 0x10ffff) {
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
