// The shared core (DESIGN.md "Architecture: a pure core, two runtimes"):
// invariants (assert), typed errors with every error code, all bounds
// (limits), the Clock/Rng/Sha256 ports, a seeded RNG and byte helpers.
export { AssertionError, assert, unreachable } from "./assert.ts";
export {
  bytesEqual,
  concatBytes,
  fromHex,
  fromUtf8,
  spansBuffer,
  toHex,
  u64FromBytes,
  u64ToBytes,
  utf8,
} from "./bytes.ts";
export {
  type ErrorCode,
  ErrorCodes,
  exitCodeOf,
  fail,
  httpStatusOf,
  isMirrorcellError,
  MirrorcellError,
  ok,
  type Result,
} from "./errors.ts";
export { limits } from "./limits.ts";
export type { Clock, Rng, Sha256 } from "./ports.ts";
export { SeededRng } from "./rng.ts";
