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

/** A set of positions [0, n) in n/8 bytes: exact verification stays bounded even for huge candidate counts. */
class PositionSet {
  private readonly words: Uint32Array;
  first = -1;
  last = -1;

  constructor(readonly size: number) {
    this.words = new Uint32Array((size >>> 5) + 1);
  }

  add(p: number): void {
    assert(p >= 0 && p < this.size && p > this.last, "positions are added in ascending order");
    this.words[p >>> 5]! |= 1 << (p & 31);
    if (this.first < 0) this.first = p;
    this.last = p;
  }

  has(p: number): boolean {
    return (this.words[p >>> 5]! & (1 << (p & 31))) !== 0;
  }
}

/** Every start in [lo, hi] where the part matches and `keep` agrees, as a set. */
function matchingStarts(
  part: SignaturePart,
  data: Uint8Array,
  lo: number,
  hi: number,
  keep: (p: number) => boolean,
): PositionSet {
  const out = new PositionSet(data.length + 1);
  const run = longestStaticRun(part);
  assert(run.length >= 1, "a verified part needs a static byte");
  const first = part.values[run.at]!;
  const end = Math.min(hi, data.length - part.values.length);
  for (let p = Math.max(0, lo); p <= end; p++) {
    if (data[p + run.at] !== first) continue;
    if (partMatchesAt(part, data, p) && keep(p)) out.add(p);
  }
  return out;
}

/**
 * The smallest end position (exclusive) of any match of the pattern, or -1.
 * Part by part, the set of positions where a chain of matches can end with
 * that part; a sliding pointer finds, for each candidate, the latest earlier
 * chain within the gap. O(parts × n) time, n/8 bytes per live set.
 */
export function earliestMatchEnd(pattern: BodyPattern, offset: SignatureOffset, data: Uint8Array): number {
  const { parts, gaps } = pattern;
  assert(parts.length >= 1 && parts.length === gaps.length, "pattern shape");
  const window = startWindow(offset, data.length, parts[0]!.values.length);
  if (window === undefined) return -1;
  let reachable = matchingStarts(parts[0]!, data, window[0], window[1], () => true);
  for (let i = 1; i < parts.length && reachable.first >= 0; i++) {
    const prev = reachable;
    const prevLength = parts[i - 1]!.values.length;
    const gap = gaps[i]!;
    let scanned = prev.first;
    let latest = -1;
    const keep = (p: number): boolean => {
      const hi = Math.min(p - prevLength - gap.min, prev.last);
      for (; scanned <= hi; scanned++) if (prev.has(scanned)) latest = scanned;
      return latest >= 0 && latest >= p - prevLength - gap.max;
    };
    const lo = prev.first + prevLength + gap.min;
    const hi = Math.min(data.length, prev.last + prevLength + gap.max);
    reachable = matchingStarts(parts[i]!, data, lo, hi, keep);
  }
  if (reachable.first < 0) return -1;
  const end = reachable.first + parts[parts.length - 1]!.values.length;
  assert(end <= data.length, "match ends inside the object");
  return end;
}
