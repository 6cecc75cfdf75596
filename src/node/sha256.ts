// node:crypto's SHA-256 behind the core's Sha256 port. The one-shot
// crypto.hash (Node ≥ 20.12) costs about a third of createHash for the small
// inputs the Merkle tree hashes all the time.
import { hash } from "node:crypto";
import type { Sha256 } from "../core/ports.ts";

// `binary`: the digest as a 32-char latin1 ("binary") string, the form the
// platform's tree keeps hashes in (src/platform/fs-node.ts sha256Binary): no
// Buffer per hash, about 0.4x the CPU of bytes turned into a string.
export const nodeSha256: Sha256 = Object.assign(
  (data: Uint8Array): Uint8Array => {
    const digest = hash("sha256", data, "buffer");
    return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
  },
  { binary: (data: Uint8Array): string => hash("sha256", data, "binary") },
);
