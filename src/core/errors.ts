// Every error code mirrorcell reports for bad input from the world (a peer, a
// user, a file). Bugs are assertions (assert.ts), not codes. The edges map
// codes to HTTP statuses and exit codes (httpStatusOf, exitCodeOf).

export const ErrorCodes = {
  // platform
  APP_UNKNOWN: "E_APP_UNKNOWN",
  INPUT_MALFORMED: "E_INPUT_MALFORMED",
  PAYLOAD_TOO_LARGE: "E_PAYLOAD_TOO_LARGE",
  PATH_INVALID: "E_PATH_INVALID",
  PATH_NOT_FOUND: "E_PATH_NOT_FOUND",
  PATH_EXISTS: "E_PATH_EXISTS",
  NOT_A_DIRECTORY: "E_NOT_A_DIRECTORY",
  NOT_A_FILE: "E_NOT_A_FILE",
  STORAGE_FULL: "E_STORAGE_FULL",
  NONDET_EXHAUSTED: "E_NONDET_EXHAUSTED",
  NONDET_MISMATCH: "E_NONDET_MISMATCH",
  PLATFORM_OFF: "E_PLATFORM_OFF",
  // wire and sync
  FRAME_MALFORMED: "E_FRAME_MALFORMED",
  FRAME_TOO_LARGE: "E_FRAME_TOO_LARGE",
  VERSION_UNSUPPORTED: "E_VERSION_UNSUPPORTED",
  BATCH_MALFORMED: "E_BATCH_MALFORMED",
  BATCH_TOO_LARGE: "E_BATCH_TOO_LARGE",
  SEQ_GAP: "E_SEQ_GAP",
  SEQ_CONFLICT: "E_SEQ_CONFLICT",
  NETWORK_INPUT_MISSING: "E_NETWORK_INPUT_MISSING",
  QUEUE_FULL: "E_QUEUE_FULL",
  MIRROR_FROZEN: "E_MIRROR_FROZEN",
  MIRROR_STOPPED: "E_MIRROR_STOPPED",
  MIRROR_UNKNOWN: "E_MIRROR_UNKNOWN",
  TEMPLATE_UNKNOWN: "E_TEMPLATE_UNKNOWN",
  BLOB_MISSING: "E_BLOB_MISSING",
  BLOB_CORRUPT: "E_BLOB_CORRUPT",
  // auth
  AUTH_REQUIRED: "E_AUTH_REQUIRED",
  AUTH_FAILED: "E_AUTH_FAILED",
  DEVICE_MISMATCH: "E_DEVICE_MISMATCH",
  DEVICE_UNKNOWN: "E_DEVICE_UNKNOWN",
  DEVICE_EXISTS: "E_DEVICE_EXISTS",
  // network protocols
  SIP_MALFORMED: "E_SIP_MALFORMED",
  MSRP_MALFORMED: "E_MSRP_MALFORMED",
  HTTP_MALFORMED: "E_HTTP_MALFORMED",
  MESSAGE_TOO_LARGE: "E_MESSAGE_TOO_LARGE",
  ROUTE_UNKNOWN: "E_ROUTE_UNKNOWN",
  MAIL_MALFORMED: "E_MAIL_MALFORMED",
  SIGNALING_MALFORMED: "E_SIGNALING_MALFORMED",
  // services
  CACHE_EXPIRED: "E_CACHE_EXPIRED",
  CACHE_UNKNOWN: "E_CACHE_UNKNOWN",
  RECIPIENT_UNREACHABLE: "E_RECIPIENT_UNREACHABLE",
  SIGNATURE_MALFORMED: "E_SIGNATURE_MALFORMED",
  DATABASE_EMPTY: "E_DATABASE_EMPTY",
  ARCHIVE_MALFORMED: "E_ARCHIVE_MALFORMED",
  SCAN_FAILED: "E_SCAN_FAILED",
  // user-facing edges (CLI, config, files)
  USAGE: "E_USAGE",
  CONFIG_INVALID: "E_CONFIG_INVALID",
  FILE_CORRUPT: "E_FILE_CORRUPT",
  IO_FAILED: "E_IO_FAILED",
  UNAVAILABLE: "E_UNAVAILABLE",
} as const;

export type ErrorCode = (typeof ErrorCodes)[keyof typeof ErrorCodes];

export class MirrorcellError extends Error {
  override name = "MirrorcellError";
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

export function isMirrorcellError(value: unknown): value is MirrorcellError {
  return value instanceof MirrorcellError;
}

/** A typed outcome for operations whose failure is an expected answer. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: MirrorcellError };

export function ok<T>(value: T): Result<T> {
  return { ok: true, value };
}

export function fail<T = never>(code: ErrorCode, message: string): Result<T> {
  return { ok: false, error: new MirrorcellError(code, message) };
}

const httpStatusByCode: Partial<Record<ErrorCode, number>> = {
  E_PATH_NOT_FOUND: 404,
  E_MIRROR_UNKNOWN: 404,
  E_DEVICE_UNKNOWN: 404,
  E_CACHE_UNKNOWN: 404,
  E_TEMPLATE_UNKNOWN: 404,
  E_AUTH_REQUIRED: 401,
  E_AUTH_FAILED: 401,
  E_DEVICE_MISMATCH: 403,
  E_DEVICE_EXISTS: 409,
  E_PATH_EXISTS: 409,
  E_SEQ_CONFLICT: 409,
  E_MIRROR_FROZEN: 409,
  E_MIRROR_STOPPED: 409,
  E_CACHE_EXPIRED: 410,
  E_PAYLOAD_TOO_LARGE: 413,
  E_FRAME_TOO_LARGE: 413,
  E_BATCH_TOO_LARGE: 413,
  E_MESSAGE_TOO_LARGE: 413,
  E_QUEUE_FULL: 429,
  E_IO_FAILED: 500,
  E_UNAVAILABLE: 503,
  E_RECIPIENT_UNREACHABLE: 502,
};

/** HTTP status for an error code: 400 unless the code says otherwise. */
export function httpStatusOf(code: ErrorCode): number {
  return httpStatusByCode[code] ?? 400;
}

/** Process exit code: 2 for every error, as clamscan and most tools do. */
export function exitCodeOf(_code: ErrorCode): number {
  return 2;
}
