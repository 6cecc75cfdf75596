// The hashing port of the antivirus core: whole-object MD5/SHA1/SHA256 for
// `.hdb`/`.hsb` signatures, computed in one pass over each object. The core
// stays sans-IO; runtimes pass node:crypto (src/live/antivirus).
import type { HashAlgorithm } from "./signature.ts";

export interface IncrementalHash {
  update(chunk: Uint8Array): void;
  /** Lower-case hex digest; the hash is finished afterwards. */
  digestHex(): string;
}

export type HashFactory = (algorithm: HashAlgorithm) => IncrementalHash;
