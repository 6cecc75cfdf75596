// Chooses where the body matcher anchors each signature (paper §5.2): the
// 4-byte exact window with the most distinct, uncommon bytes in any part (a
// signature can only match where every part does, so one anchor suffices),
// or a 2-byte window when no part has 4 exact bytes in a row.
import { assert } from "../../core/assert.ts";
import type { BodyPattern } from "./signature.ts";

export interface Anchor {
  part: number;
  /** Byte offset of the window inside its part. */
  at: number;
  /** 4 (gram index) or 2 or 3 (short table, first 2 bytes used). */
  length: number;
}

const commonBytes = new Uint8Array(256);
for (const b of [0x00, 0xff, 0x20, 0x90, 0xcc]) commonBytes[b] = 1;

/** Score of the exact window values[at, at+length): distinct and uncommon bytes win. */
function windowScore(values: Uint8Array, at: number, length: number): number {
  let distinct = 0;
  let uncommon = 0;
  for (let i = at; i < at + length; i++) {
    let seen = false;
    for (let k = at; k < i && !seen; k++) seen = values[k] === values[i];
    if (!seen) distinct++;
    if (commonBytes[values[i]!] === 0) uncommon++;
  }
  return length * 100 + distinct * 10 + uncommon;
}

/** Picks the anchor: the 4-byte exact window with the most distinct, uncommon bytes. */
export function chooseAnchor(pattern: BodyPattern): Anchor {
  let best = { part: -1, at: 0, length: 0, score: -1 };
  for (let p = 0; p < pattern.parts.length; p++) {
    const part = pattern.parts[p]!;
    let run = 0;
    for (let i = 0; i < part.masks.length; i++) {
      run = part.masks[i] === 0xff ? run + 1 : 0;
      const length = Math.min(run, 4);
      if (length < 2) continue;
      const score = windowScore(part.values, i - length + 1, length);
      if (score > best.score) best = { part: p, at: i - length + 1, length, score };
    }
  }
  assert(best.part >= 0, "a validated pattern has a static run");
  return best;
}
