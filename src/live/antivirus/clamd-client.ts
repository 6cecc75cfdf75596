// The optional clamd backend (paper §5.2: users who want the full official
// ClamAV database): streams an object to a running clamd over its local
// socket with INSTREAM and parses the one-line answer.
import { connect } from "node:net";
import { assert } from "../../core/assert.ts";
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";

export type ClamdAnswer = { infected: false } | { infected: true; name: string };

const unofficialSuffix = /\.UNOFFICIAL$/;

/** Parses `stream: NAME FOUND` / `stream: OK` (NUL-terminated with the z prefix). */
export function parseClamdReply(reply: string): ClamdAnswer {
  const line = reply.replace(/\0$/, "").trim();
  if (line.endsWith(" OK")) return { infected: false };
  const found = /^[^:]*: (.+) FOUND$/.exec(line);
  if (found !== null) return { infected: true, name: found[1]!.replace(unofficialSuffix, "") };
  throw new MirrorcellError(ErrorCodes.SCAN_FAILED, `clamd: ${line}`);
}

export function clamdScanBytes(
  socketPath: string,
  bytes: Uint8Array,
  timeoutMs: number = limits.clamdTimeoutMsDefault,
): Promise<ClamdAnswer> {
  assert(timeoutMs > 0, "a timeout is required");
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    const chunks: Buffer[] = [];
    let length = 0;
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error("timed out")));
    socket.on("connect", () => {
      socket.write("zINSTREAM\0");
      for (let at = 0; at < bytes.length; at += limits.scanChunkBytes) {
        const chunk = bytes.subarray(at, Math.min(bytes.length, at + limits.scanChunkBytes));
        const header = Buffer.alloc(4);
        header.writeUInt32BE(chunk.length);
        socket.write(header);
        socket.write(chunk);
      }
      socket.end(Buffer.alloc(4));
    });
    socket.on("data", (data: Buffer) => {
      length += data.length;
      if (length > limits.clamdReplyBytesMax) socket.destroy(new Error("reply too long"));
      else chunks.push(data);
    });
    socket.on("error", (error) =>
      reject(new MirrorcellError(ErrorCodes.UNAVAILABLE, `clamd at ${socketPath}: ${error.message}`)),
    );
    socket.on("close", (hadError) => {
      if (hadError) return;
      try {
        resolve(parseClamdReply(Buffer.concat(chunks).toString("utf8")));
      } catch (error) {
        reject(error);
      }
    });
  });
}
