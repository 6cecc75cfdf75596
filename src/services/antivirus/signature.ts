// The signature model shared by the antivirus loader, matcher and cache
// (paper §5.2: the mirror scans with ClamAV-compatible databases).
// A body signature is a chain of fixed-length parts joined by variable gaps;
// a hash signature names a whole-object digest with an optional size.

/** Where a body signature's first byte may sit (ClamAV `.ndb` offset field). */
export type SignatureOffset =
  | { kind: "any" }
  | { kind: "absolute"; start: number; shift: number }
  | { kind: "eof"; back: number; shift: number };

/** An alternative `(aa|bb)` whose options all have the same length. */
export interface PartAlternative {
  at: number;
  options: readonly Uint8Array[];
}

/**
 * A fixed-length run of a body signature. Byte i matches `b` when
 * `(b & masks[i]) === values[i]`; positions covered by an alternative have
 * mask 0 and are checked against `alternatives` instead.
 */
export interface SignaturePart {
  values: Uint8Array;
  masks: Uint8Array;
  alternatives: readonly PartAlternative[];
}

/** Bytes allowed between part i-1 and part i: [min, max]; max may be Infinity. */
export interface SignatureGap {
  min: number;
  max: number;
}

export interface BodyPattern {
  parts: readonly SignaturePart[];
  /** gaps[i] sits before parts[i]; gaps[0] is unused ({0,0}). */
  gaps: readonly SignatureGap[];
}

export interface BodySignature {
  name: string;
  offset: SignatureOffset;
  pattern: BodyPattern;
}

export type HashAlgorithm = "md5" | "sha1" | "sha256";

export interface HashSignature {
  name: string;
  algorithm: HashAlgorithm;
  /** Lower-case hex digest. */
  digestHex: string;
  /** Object size in bytes, or undefined for `*` (any size). */
  size: number | undefined;
}

/** A line the loader understood but does not support: skipped, never silently. */
export interface SkippedLine {
  file: string;
  line: number;
  reason: string;
}

export const hashAlgorithmByHexLength: Readonly<Record<number, HashAlgorithm>> = {
  32: "md5",
  40: "sha1",
  64: "sha256",
};
