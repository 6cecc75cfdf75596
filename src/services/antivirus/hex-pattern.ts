// Parses the hex body of a ClamAV `.ndb` signature into parts and gaps
// (paper §5.2). Supported: `hh`, `??`, nibbles `h?`/`?h`, `{n}`, `{n-m}`,
// `{-n}`, `{n-}`, `*`, same-length alternatives `(aa|bb)`. Everything else is
// reported as unsupported (the caller skips the line and says so) and
// anything ClamAV itself refuses is malformed.
import { assert } from "../../core/assert.ts";
import { limits } from "../../core/limits.ts";
import type { BodyPattern, PartAlternative, SignatureGap, SignaturePart } from "./signature.ts";

export type HexParse =
  | { kind: "ok"; pattern: BodyPattern }
  | { kind: "unsupported"; reason: string }
  | { kind: "malformed"; reason: string };

interface PartBuilder {
  values: number[];
  masks: number[];
  alternatives: PartAlternative[];
}

const unsupportedOpeners: Readonly<Record<string, string>> = {
  "[": "byte-range jumps [n-m] are not supported",
  "!": "negated alternatives !(..) are not supported",
};

const hexDigitValues = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  hexDigitValues["0123456789abcdef".charCodeAt(i)] = i;
  hexDigitValues["0123456789ABCDEF".charCodeAt(i)] = i;
}

function hexValue(ch: string): number {
  return hexDigitValues[ch.charCodeAt(0)] ?? -1;
}

/** One byte token (`hh`, `??`, `h?`, `?h`) → [value, mask], or undefined. */
function byteToken(hi: string, lo: string): [number, number] | undefined {
  if (hi === "?" && lo === "?") return [0, 0];
  if (hi === "?") return hexValue(lo) < 0 ? undefined : [hexValue(lo), 0x0f];
  if (lo === "?") return hexValue(hi) < 0 ? undefined : [hexValue(hi) << 4, 0xf0];
  if (hexValue(hi) < 0 || hexValue(lo) < 0) return undefined;
  return [(hexValue(hi) << 4) | hexValue(lo), 0xff];
}

function parseGap(body: string): SignatureGap | undefined {
  const m = /^(\d*)(-?)(\d*)$/.exec(body);
  if (m === null || (m[1] === "" && m[3] === "")) return undefined;
  const low = m[1] === "" ? 0 : Number(m[1]);
  if (m[2] === "") return { min: low, max: low };
  const high = m[3] === "" ? Number.POSITIVE_INFINITY : Number(m[3]);
  return high < low ? undefined : { min: low, max: high };
}

function parseAlternative(body: string): Uint8Array[] | string {
  const options: Uint8Array[] = [];
  for (const option of body.split("|")) {
    if (option.length === 0 || option.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(option)) {
      return /^[0-9a-fA-F?]+$/.test(option) ? "wildcards inside alternatives are not supported" : "malformed";
    }
    const bytes = new Uint8Array(option.length / 2);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Number.parseInt(option.slice(i * 2, i * 2 + 2), 16);
    options.push(bytes);
  }
  if (options.length < 2) return "malformed";
  if (options.some((o) => o.length !== options[0]!.length)) {
    return "alternatives of different lengths are not supported";
  }
  return options;
}

/** Longest run of exact (mask 0xff) bytes in a part. */
export function longestStaticRun(part: SignaturePart): { at: number; length: number } {
  let best = { at: 0, length: 0 };
  let runStart = 0;
  for (let i = 0; i <= part.masks.length; i++) {
    if (i < part.masks.length && part.masks[i] === 0xff) continue;
    if (i - runStart > best.length) best = { at: runStart, length: i - runStart };
    runStart = i + 1;
  }
  return best;
}

function finishPart(builder: PartBuilder): SignaturePart {
  return {
    values: Uint8Array.from(builder.values),
    masks: Uint8Array.from(builder.masks),
    alternatives: builder.alternatives,
  };
}

function validate(pattern: BodyPattern): HexParse {
  assert(pattern.parts.length === pattern.gaps.length, "one gap per part");
  for (const [i, part] of pattern.parts.entries()) {
    if (part.values.length === 0) return { kind: "malformed", reason: `part ${i + 1} is empty` };
    if (longestStaticRun(part).length < 2) {
      return { kind: "malformed", reason: `part ${i + 1} has no static run of 2 bytes` };
    }
  }
  const only = pattern.parts[0]!;
  const allStatic = pattern.parts.length === 1 && only.masks.every((m) => m === 0xff);
  if (allStatic && only.values.length < 3)
    return { kind: "malformed", reason: "signature shorter than 3 bytes" };
  return { kind: "ok", pattern };
}

type Step = { next: number } | { error: HexParse };

function pushWildcards(part: PartBuilder, count: number): void {
  assert(count >= 0 && count <= limits.signatureInlineGapBytesMax * 2, "inline wildcard run is bounded");
  for (let k = 0; k < count; k++) {
    part.values.push(0);
    part.masks.push(0);
  }
}

/** `*` or `{..}` at i: extends the current part or starts a new one. */
function readGap(
  hex: string,
  i: number,
  state: { parts: SignaturePart[]; gaps: SignatureGap[]; current: PartBuilder },
): Step {
  let gap: SignatureGap | undefined = { min: 0, max: Number.POSITIVE_INFINITY };
  let next = i + 1;
  if (hex[i] === "{") {
    const close = hex.indexOf("}", i);
    if (close < 0) return { error: { kind: "malformed", reason: `unclosed '{' at ${i}` } };
    gap = parseGap(hex.slice(i + 1, close));
    if (gap === undefined)
      return { error: { kind: "malformed", reason: `bad gap '${hex.slice(i, close + 1)}'` } };
    next = close + 1;
  }
  if (gap.min === gap.max && gap.min <= limits.signatureInlineGapBytesMax) {
    pushWildcards(state.current, gap.min);
  } else {
    state.parts.push(finishPart(state.current));
    state.gaps.push(gap);
    state.current = { values: [], masks: [], alternatives: [] };
  }
  assert(next > i, "the parser advances");
  return { next };
}

/** `(..)` at i: an alternative slot in the current part. */
function readAlternative(hex: string, i: number, current: PartBuilder): Step {
  const close = hex.indexOf(")", i);
  if (close < 0) return { error: { kind: "malformed", reason: `unclosed '(' at ${i}` } };
  const body = hex.slice(i + 1, close);
  if (body === "B" || body === "L" || body === "W") {
    return { error: { kind: "unsupported", reason: `boundary anchor (${body}) is not supported` } };
  }
  const options = parseAlternative(body);
  if (typeof options === "string") {
    const error: HexParse =
      options === "malformed"
        ? { kind: "malformed", reason: `bad alternative '(${body})'` }
        : { kind: "unsupported", reason: options };
    return { error };
  }
  assert(options.length >= 2, "an alternative has two options or more");
  current.alternatives.push({ at: current.values.length, options });
  pushWildcards(current, options[0]!.length);
  return { next: close + 1 };
}

export function parseHexPattern(hex: string): HexParse {
  const state = {
    parts: [] as SignaturePart[],
    gaps: [{ min: 0, max: 0 }] as SignatureGap[],
    current: { values: [], masks: [], alternatives: [] } as PartBuilder,
  };
  let i = 0;
  while (i < hex.length) {
    const ch = hex[i]!;
    const unsupported = unsupportedOpeners[ch];
    if (unsupported !== undefined) return { kind: "unsupported", reason: unsupported };
    if (ch === "*" || ch === "{" || ch === "(") {
      const step = ch === "(" ? readAlternative(hex, i, state.current) : readGap(hex, i, state);
      if ("error" in step) return step.error;
      i = step.next;
      continue;
    }
    const token = i + 1 < hex.length ? byteToken(ch, hex[i + 1]!) : undefined;
    if (token === undefined) return { kind: "malformed", reason: `bad hex at ${i}` };
    state.current.values.push(token[0]);
    state.current.masks.push(token[1]);
    i += 2;
  }
  state.parts.push(finishPart(state.current));
  return validate({ parts: state.parts, gaps: state.gaps });
}
