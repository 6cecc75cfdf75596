// Multi-pattern body matching for thousands of `.ndb` signatures (paper
// §5.2). Each signature is anchored on 4 exact bytes (2 when it has no 4-byte
// run) and found through the gram prefilter in one pass; a hit is confirmed
// on the spot for single-part signatures and by exact dynamic programming
// (pattern-verify.ts) for signatures with variable gaps. Signatures are kept
// as one source text and parsed lazily on a first hit, so loading 100k
// signatures from the compiled cache allocates almost nothing.
import { assert } from "../../core/assert.ts";
import { concatBytes } from "../../core/bytes.ts";
import type { Anchor } from "./anchor.ts";
import { parseOffset } from "./database-parser.ts";
import { buildGramIndex, type GramIndexArrays, gramAt, scanGrams } from "./gram-index.ts";
import { parseHexPattern } from "./hex-pattern.ts";
import { earliestMatchEnd, partMatchesAt, startWindow } from "./pattern-verify.ts";
import type { BodySignature } from "./signature.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** A loaded body signature: its source fields and its anchor (the pattern itself is not kept). */
export interface BodyEntry {
  name: string;
  offset: string;
  hex: string;
  anchor: Anchor;
  /** The anchor's bytes: 4 for a gram, at least 2 for a short anchor. */
  anchorBytes: Uint8Array;
}

export interface BodyMatcherArrays {
  /** UTF-8 "name\toffset\thex\n" per signature; sourceStarts has count + 1 byte offsets. */
  sources: Uint8Array;
  sourceStarts: Int32Array;
  /** Part index and byte offset inside that part of each signature's anchor. */
  anchorPart: Int32Array;
  anchorAt: Int32Array;
  grams: GramIndexArrays;
  shortGrams: Int32Array;
  shortIds: Int32Array;
}

/** A body signature that matched: its id (database order) and match end. */
export interface BodyMatch {
  id: number;
  /** Start of the earliest match for fully static signatures, -1 for the others. */
  start: number;
  end: number;
}

function isStatic(sig: BodySignature): boolean {
  const parts = sig.pattern.parts;
  return (
    parts.length === 1 && parts[0]!.alternatives.length === 0 && parts[0]!.masks.every((m) => m === 0xff)
  );
}

/** clamscan matches in 128 KiB buffers that overlap by its longest pattern (32 bytes in practice). */
const clamScanBufferBytes = 131_072;
const clamOverlapBytes = 32;

/** The first clamscan buffer that holds a match ending at `end`. */
function bufferOf(end: number): number {
  return Math.max(0, Math.ceil((end - clamScanBufferBytes) / (clamScanBufferBytes - clamOverlapBytes)));
}

/**
 * clamscan's report order (seen in the differential tests): buffer by
 * buffer, fully static signatures (its Boyer-Moore matcher) by start, then
 * the others (its Aho-Corasick matcher) by end. Only the choice among several
 * matching signatures depends on it; the set of matches does not.
 */
function reportOrder(a: BodyMatch, b: BodyMatch): number {
  const buffer = bufferOf(a.end) - bufferOf(b.end);
  if (buffer !== 0) return buffer;
  const aStatic = a.start >= 0;
  if (aStatic !== b.start >= 0) return aStatic ? -1 : 1;
  return aStatic ? a.start - b.start || a.id - b.id : a.end - b.end || a.id - b.id;
}

export class BodyMatcher {
  private readonly parsed: (BodySignature | undefined)[];
  private short: { start: Int32Array; ids: Int32Array } | undefined;

  private constructor(readonly arrays: BodyMatcherArrays) {
    this.parsed = new Array(arrays.anchorPart.length);
  }

  static fromArrays(arrays: BodyMatcherArrays): BodyMatcher {
    assert(arrays.sourceStarts.length === arrays.anchorPart.length + 1, "one source per signature");
    assert(arrays.anchorAt.length === arrays.anchorPart.length, "one anchor per signature");
    return new BodyMatcher(arrays);
  }

  static build(entries: readonly BodyEntry[]): BodyMatcher {
    const n = entries.length;
    const anchorPart = new Int32Array(n);
    const anchorAt = new Int32Array(n);
    const sourceStarts = new Int32Array(n + 1);
    const longGrams: number[] = [];
    const longIds: number[] = [];
    const shortGrams: number[] = [];
    const shortIds: number[] = [];
    const sources: Uint8Array[] = [];
    let offset = 0;
    for (let id = 0; id < n; id++) {
      const e = entries[id]!;
      anchorPart[id] = e.anchor.part;
      anchorAt[id] = e.anchor.at;
      if (e.anchor.length === 4) {
        longGrams.push(gramAt(e.anchorBytes, 0));
        longIds.push(id);
      } else {
        shortGrams.push((e.anchorBytes[0]! << 8) | e.anchorBytes[1]!);
        shortIds.push(id);
      }
      const line = encoder.encode(`${e.name}\t${e.offset}\t${e.hex}\n`);
      sources.push(line);
      sourceStarts[id] = offset;
      offset += line.length;
    }
    sourceStarts[n] = offset;
    return BodyMatcher.fromArrays({
      sources: concatBytes(sources),
      sourceStarts,
      anchorPart,
      anchorAt,
      grams: buildGramIndex(Int32Array.from(longGrams), Int32Array.from(longIds)),
      shortGrams: Int32Array.from(shortGrams),
      shortIds: Int32Array.from(shortIds),
    });
  }

  get size(): number {
    return this.arrays.anchorPart.length;
  }

  private fields(id: number): [string, string, string] {
    const { sources, sourceStarts } = this.arrays;
    const fields = decoder.decode(sources.subarray(sourceStarts[id], sourceStarts[id + 1]! - 1)).split("\t");
    assert(fields.length === 3, "a source line has name, offset and hex");
    return fields as [string, string, string];
  }

  name(id: number): string {
    return this.fields(id)[0];
  }

  signature(id: number): BodySignature {
    const cached = this.parsed[id];
    if (cached !== undefined) return cached;
    const [name, offsetText, hex] = this.fields(id);
    const pattern = parseHexPattern(hex);
    const offset = parseOffset(offsetText);
    assert(
      pattern.kind === "ok" && offset !== undefined && offset !== "unsupported",
      "a loaded signature reparses",
    );
    const sig = { name, offset, pattern: pattern.pattern };
    this.parsed[id] = sig;
    return sig;
  }

  /** Every matching signature with its earliest match, in clamscan's report order. */
  scan(data: Uint8Array): BodyMatch[] {
    const resolved = new Map<number, number>();
    const deferred = new Set<number>();
    const onHit = (id: number, anchorStart: number): void => {
      if (resolved.has(id) || deferred.has(id)) return;
      const sig = this.signature(id);
      const anchored = sig.pattern.parts[this.arrays.anchorPart[id]!]!;
      if (!partMatchesAt(anchored, data, anchorStart - this.arrays.anchorAt[id]!)) return;
      if (sig.pattern.parts.length > 1) {
        // The anchored part is really there: only now pay for exact placement of all parts.
        deferred.add(id);
        return;
      }
      const part = sig.pattern.parts[0]!;
      const start = anchorStart - this.arrays.anchorAt[id]!;
      const window = startWindow(sig.offset, data.length, part.values.length);
      if (window === undefined || start < window[0] || start > window[1]) return;
      if (partMatchesAt(part, data, start)) resolved.set(id, start + part.values.length);
    };
    scanGrams(this.arrays.grams, data, onHit);
    if (this.arrays.shortIds.length > 0) this.scanShort(data, onHit);
    for (const id of deferred) {
      const sig = this.signature(id);
      const end = earliestMatchEnd(sig.pattern, sig.offset, data);
      if (end >= 0) resolved.set(id, end);
    }
    const matches = [...resolved].map(([id, end]) => {
      const sig = this.signature(id);
      return { id, start: isStatic(sig) ? end - sig.pattern.parts[0]!.values.length : -1, end };
    });
    return matches.sort(reportOrder);
  }

  /** Short anchors grouped by their 2-byte gram (CSR), built on first use. */
  private shortTable(): { start: Int32Array; ids: Int32Array } {
    if (this.short !== undefined) return this.short;
    const { shortGrams, shortIds } = this.arrays;
    const start = new Int32Array(65537);
    for (const g of shortGrams) start[g + 1]!++;
    for (let g = 0; g < 65536; g++) start[g + 1]! += start[g]!;
    const ids = new Int32Array(shortIds.length);
    const fill = start.slice(0, 65536);
    for (let k = 0; k < shortGrams.length; k++) ids[fill[shortGrams[k]!]!++] = shortIds[k]!;
    assert(start[65536] === shortIds.length, "every short anchor placed");
    this.short = { start, ids };
    return this.short;
  }

  /** Signatures anchored on 2 bytes: rare, so a direct 64K table and a second pass. */
  private scanShort(data: Uint8Array, onHit: (id: number, anchorStart: number) => void): void {
    const { start, ids } = this.shortTable();
    let gram = 0;
    for (let i = 0; i < data.length; i++) {
      gram = ((gram << 8) | data[i]!) & 0xffff;
      const end = start[gram + 1]!;
      for (let k = start[gram]!; k < end && i >= 1; k++) onHit(ids[k]!, i - 1);
    }
  }
}
