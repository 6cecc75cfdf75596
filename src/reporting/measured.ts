// Measured per-mirror inputs for the second cost estimate and the Table 2
// analogue, read from a JSON file (numbers the benchmarks recorded) and
// checked: a wrong file is the user's error, not a crash.
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import type { MeasuredInputs } from "./report-types.ts";

const numericFields = [
  "memoryBytesPerMirror",
  "cpuCoreSecondsPerSecond",
  "uplinkBytesPerUserEvent",
  "scanBytesPerSecond",
] as const;

export function parseMeasuredInputs(text: string, origin: string): Result<MeasuredInputs> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return fail(
      ErrorCodes.FILE_CORRUPT,
      `Cannot parse ${origin}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return fail(ErrorCodes.CONFIG_INVALID, `Cannot use ${origin}: expected a JSON object`);
  }
  const record = value as Record<string, unknown>;
  const out: Record<string, number | string> = {};
  for (const field of numericFields) {
    const v = record[field];
    if (v === undefined) continue;
    if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
      return fail(
        ErrorCodes.CONFIG_INVALID,
        `Cannot use ${origin}: ${field} must be a positive number, got ${JSON.stringify(v)}`,
      );
    }
    out[field] = v;
  }
  if (Object.keys(out).length === 0) {
    return fail(
      ErrorCodes.CONFIG_INVALID,
      `Cannot use ${origin}: none of ${numericFields.join(", ")} is given`,
    );
  }
  const source = typeof record.source === "string" && record.source !== "" ? record.source : origin;
  return ok({ ...out, source } as MeasuredInputs);
}
