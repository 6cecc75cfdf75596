// node:crypto's SHA-256 behind the core's Sha256 port.
import { createHash } from "node:crypto";
import type { Sha256 } from "../core/ports.ts";

export const nodeSha256: Sha256 = (data) => {
  const digest = createHash("sha256").update(data).digest();
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
};
