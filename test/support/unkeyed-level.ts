// The directory level function of sessions 1-2: an unkeyed FNV-style hash
// anyone can compute, so anyone can grind names that all land at level 0.
// Kept only so the hash-flooding test and bench can show the attack it allowed.
import type { KeyLevel } from "../../src/platform/merkle-search-tree.ts";

export const unkeyedLevel: KeyLevel = {
  level(key: string): number {
    let h1 = 0x811c9dc5;
    let h2 = 0x2545f491;
    for (let i = 0; i < key.length; i++) {
      const c = key.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
      h2 ^= h2 >>> 15;
    }
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 0x27d4eb2d);
    h1 = Math.imul(h1 ^ (h1 >>> 16), 0x85ebca6b);
    const h = (h1 ^ (h1 >>> 13)) & 0x0fffffff;
    let level = 0;
    while (level < 7 && ((h >>> (24 - 4 * level)) & 15) === 0) level++;
    return level;
  },
};
