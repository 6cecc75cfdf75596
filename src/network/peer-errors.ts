// Network nodes never throw on a peer's bytes (DESIGN.md "Invariants"): a
// malformed packet is recorded on the node and dropped, like a real element
// that logs and discards it.
import type { MirrorcellError, Result } from "../core/errors.ts";

/** The parsed value, or undefined after recording why the packet was dropped. */
export function valueOrRecord<T>(parsed: Result<T>, errors: MirrorcellError[]): T | undefined {
  if (parsed.ok) return parsed.value;
  errors.push(parsed.error);
  return undefined;
}
