// node:crypto behind the antivirus core's HashFactory port (live server, CLI scans and the simulator's antivirus service).
import { createHash } from "node:crypto";
import type { HashFactory } from "../services/antivirus/hash-ports.ts";

export const nodeHashFactory: HashFactory = (algorithm) => {
  const hash = createHash(algorithm);
  return {
    update: (chunk) => {
      hash.update(chunk);
    },
    digestHex: () => hash.digest("hex"),
  };
};
