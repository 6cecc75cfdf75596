// Caching settings (paper §5.1): the user's switch and bulk-upload threshold
// on the phone ("use the caching service for files larger than 500KB"), and
// the operator's policy on the server (how long cached files are kept,
// retries). Validated here so both runtimes reject bad values the same way.
import { type ErrorCode, ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";

/** Phone side: chosen by the user. */
export interface CachingSettings {
  /** The user can turn the caching service off: every upload goes direct. */
  enabled: boolean;
  /** Uploads of at least this many bytes go through the mirror. */
  bulkUploadThresholdBytes: number;
}

/** Server side: the operator's (TSP's) policy. */
export interface CachingPolicy {
  /** How long a cached download waits for the phone to fetch it. */
  retentionMs: number;
  /** Attempts per recipient after the first send fails. */
  uploadRetriesMax: number;
  /** First retry delay; doubles per attempt up to uploadRetryDelayMsMax. */
  uploadRetryDelayMsBase: number;
  downloadRetriesMax: number;
}

export const defaultCachingSettings: Readonly<CachingSettings> = {
  enabled: true,
  bulkUploadThresholdBytes: limits.bulkUploadThresholdBytesDefault,
};

export const defaultCachingPolicy: Readonly<CachingPolicy> = {
  retentionMs: limits.cacheRetentionMsDefault,
  uploadRetriesMax: limits.uploadRetriesMax,
  uploadRetryDelayMsBase: limits.uploadRetryDelayMsBase,
  downloadRetriesMax: limits.downloadRetriesMax,
};

const invalid: ErrorCode = ErrorCodes.CONFIG_INVALID;

function inRange(value: number, min: number, max: number): boolean {
  return Number.isSafeInteger(value) && value >= min && value <= max;
}

export function validateCachingSettings(settings: CachingSettings): Result<CachingSettings> {
  if (!inRange(settings.bulkUploadThresholdBytes, 0, limits.fileBytesMax)) {
    return fail(
      invalid,
      `Cannot use bulk upload threshold ${settings.bulkUploadThresholdBytes}: must be an integer in [0, ${limits.fileBytesMax}] bytes`,
    );
  }
  return ok({ ...settings });
}

export function validateCachingPolicy(policy: CachingPolicy): Result<CachingPolicy> {
  if (!inRange(policy.retentionMs, 1, limits.cacheRetentionMsMax)) {
    return fail(
      invalid,
      `Cannot use retention ${policy.retentionMs} ms: must be in [1, ${limits.cacheRetentionMsMax}]`,
    );
  }
  if (!inRange(policy.uploadRetriesMax, 0, limits.uploadRetriesMax)) {
    return fail(
      invalid,
      `Cannot use ${policy.uploadRetriesMax} upload retries: must be in [0, ${limits.uploadRetriesMax}]`,
    );
  }
  if (!inRange(policy.uploadRetryDelayMsBase, 0, limits.uploadRetryDelayMsMax)) {
    return fail(
      invalid,
      `Cannot use retry delay ${policy.uploadRetryDelayMsBase} ms: must be in [0, ${limits.uploadRetryDelayMsMax}]`,
    );
  }
  if (!inRange(policy.downloadRetriesMax, 0, limits.downloadRetriesMax)) {
    return fail(
      invalid,
      `Cannot use ${policy.downloadRetriesMax} download retries: must be in [0, ${limits.downloadRetriesMax}]`,
    );
  }
  return ok({ ...policy });
}

/** Delay before retry number `attempt` (1-based): exponential, capped. */
export function retryDelayMs(attempt: number, policy: CachingPolicy): number {
  const exponent = Math.min(Math.max(attempt - 1, 0), 30);
  return Math.min(policy.uploadRetryDelayMsBase * 2 ** exponent, limits.uploadRetryDelayMsMax);
}
