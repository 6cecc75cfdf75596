// node:crypto's SHA-256 behind the core's Sha256 port. The one-shot
// crypto.hash (Node ≥ 20.12) costs about a third of createHash for the small
// inputs the Merkle tree hashes all the time.
import { hash } from "node:crypto";
import type { Sha256 } from "../core/ports.ts";

export const nodeSha256: Sha256 = (data) => {
  const digest = hash("sha256", data, "buffer");
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
};
