// A SHA-256 port that counts its calls and bytes, for the platform benches:
// nodeSha256 with both its faces (bytes, and the binary string the Merkle
// tree keeps, fs-node.ts sha256Binary), so it measures the path the runtimes take.
import { nodeSha256 } from "../src/node/sha256.ts";
import { sha256Binary } from "../src/platform/fs-node.ts";

export const hashed = { calls: 0, bytes: 0 };

export const countingSha256 = Object.assign(
  (data: Uint8Array): Uint8Array => {
    hashed.calls++;
    hashed.bytes += data.length;
    return nodeSha256(data);
  },
  {
    binary: (data: Uint8Array): string => {
      hashed.calls++;
      hashed.bytes += data.length;
      return sha256Binary(nodeSha256, data);
    },
  },
);
