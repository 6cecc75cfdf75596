// Exact verification of one body signature against a whole object (paper
// §5.2). The prefilter only proposes candidates; this decides, with the
// semantics clamscan showed in the differential tests: the offset constrains
// the first byte of the match, gaps are inclusive ranges, `*` is unbounded,
// and a signature matches if ANY placement of its parts satisfies them all.
import { assert } from "../../core/assert.ts";
import { longestStaticRun } from "./hex-pattern.ts";
import type { BodyPattern, SignatureOffset, SignaturePart } from "./signature.ts";

export function partMatchesAt(part: SignaturePart, data: Uint8Array, start: number): boolean {
  const { values, masks } = part;
  if (start < 0 || start + values.length > data.length) return false;
  for (let i = 0; i < values.length; i++) {
    if ((data[start + i]! & masks[i]!) !== values[i]) return false;
  }
  for (const alt of part.alternatives) {
    const at = start + alt.at;
    let any = false;
    for (const option of alt.options) {
      let same = true;
      for (let k = 0; k < option.length && same; k++) same = data[at + k] === option[k];
      if (same) {
        any = true;
        break;
      }
    }
    if (!any) return false;
  }
  return true;
}

/** Inclusive window of allowed start positions for the first part, or undefined if none. */
export function startWindow(
  offset: SignatureOffset,
  dataLength: number,
  firstLength: number,
): [number, number] | undefined {
  const last = dataLength - firstLength;
  let lo = 0;
  let hi = last;
  if (offset.kind === "absolute") {
    lo = offset.start;
    hi = offset.start + offset.shift;
  } else if (offset.kind === "eof") {
    if (offset.back > dataLength) return undefined;
    lo = dataLength - offset.back;
    hi = lo + offset.shift;
  }
  hi = Math.min(hi, last);
  return lo > hi ? undefined : [lo, hi];
}

/** Every start in [lo, hi] where the part matches, ascending. */
function occurrences(part: SignaturePart, data: Uint8Array, lo: number, hi: number): number[] {
  const out: number[] = [];
  const run = longestStaticRun(part);
  assert(run.length >= 1, "a verified part needs a static byte");
  const first = part.values[run.at]!;
  const end = Math.min(hi, data.length - part.values.length);
  for (let p = lo; p <= end; p++) {
    if (data[p + run.at] !== first) continue;
    if (partMatchesAt(part, data, p)) out.push(p);
  }
  return out;
}

/**
 * The smallest end position (exclusive) of any match of the pattern, or -1.
 * Dynamic programming over the sorted start positions of each part.
 */
export function earliestMatchEnd(pattern: BodyPattern, offset: SignatureOffset, data: Uint8Array): number {
  const { parts, gaps } = pattern;
  assert(parts.length >= 1 && parts.length === gaps.length, "pattern shape");
  const window = startWindow(offset, data.length, parts[0]!.values.length);
  if (window === undefined) return -1;
  let reachable = occurrences(parts[0]!, data, window[0], window[1]);
  for (let i = 1; i < parts.length && reachable.length > 0; i++) {
    const prevLength = parts[i - 1]!.values.length;
    const gap = gaps[i]!;
    const lo = reachable[0]! + prevLength + gap.min;
    const hi = Math.min(data.length, reachable[reachable.length - 1]! + prevLength + gap.max);
    const candidates = occurrences(parts[i]!, data, lo, hi);
    const next: number[] = [];
    let j = 0;
    for (const p of candidates) {
      while (j < reachable.length && reachable[j]! < p - prevLength - gap.max) j++;
      if (j < reachable.length && reachable[j]! <= p - prevLength - gap.min) next.push(p);
    }
    reachable = next;
  }
  if (reachable.length === 0) return -1;
  const end = reachable[0]! + parts[parts.length - 1]!.values.length;
  assert(end <= data.length, "match ends inside the object");
  return end;
}
