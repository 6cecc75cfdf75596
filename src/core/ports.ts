// The ports through which the sans-IO core meets the world (DESIGN.md
// "Architecture"): time, randomness and hashing are handed in, so the same
// core runs under the simulator and the live runtime.

/** Milliseconds on some monotonic timeline: virtual in sim, wall in live. */
export interface Clock {
  nowMs(): number;
}

/** A deterministic source of randomness. */
export interface Rng {
  /** Uniform 32-bit unsigned integer. */
  nextU32(): number;
  /** Uniform float in [0, 1). */
  float(): number;
  /** Uniform integer in [min, max] (inclusive). */
  int(min: number, max: number): number;
  /** Fill a buffer with random bytes. */
  bytes(length: number): Uint8Array;
  /**
   * Fill target with the next target.length words, exactly as that many
   * nextU32() calls in index order would: a block draw for payloads, with
   * the generator's state kept in locals instead of one port call per word.
   */
  fillWords(target: Uint32Array): void;
  /** An independent stream derived from this one and a label. */
  fork(label: string): Rng;
}

/**
 * SHA-256 of the bytes (32 bytes). Runtimes pass node:crypto's. Optionally
 * also as a 32-char binary (latin1) string, the form the platform's tree
 * keeps hashes in (src/platform/fs-node.ts sha256Binary): node:crypto answers
 * so directly, with no byte array per hash.
 */
export type Sha256 = ((data: Uint8Array) => Uint8Array) & { readonly binary?: (data: Uint8Array) => string };
