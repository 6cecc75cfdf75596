// What the server-side services' tests (paper §5: caching, on the pure
// ServiceHost and on the live runtime) give a service in place of a sync
// server and a Traffic Monitor: ports that keep every notice queued for a
// phone and every network input delivered, and a mirror's storage as a
// plain map of files.
import { fail, ok, type Result } from "../../src/core/errors.ts";
import type { Notice } from "../../src/gen/mirrorcell/v1/sync_pb.ts";
import type { NetworkInput } from "../../src/platform/inputs.ts";
import type { NetworkDelivery, NoticeSink } from "../../src/services/index.ts";

export interface RecordingPorts {
  notices: NoticeSink;
  network: NetworkDelivery;
  /** Every notice queued, in order. */
  queued: { deviceId: string; notice: Notice }[];
  /** Every network input delivered, indexed from 1 in delivery order (as the Traffic Monitor does). */
  recorded: NetworkInput[];
  /** The text notices' texts, in order. */
  texts(): string[];
}

export function recordingPorts(): RecordingPorts {
  const queued: { deviceId: string; notice: Notice }[] = [];
  const recorded: NetworkInput[] = [];
  return {
    queued,
    recorded,
    notices: {
      queueNotice: (deviceId, notice) => {
        queued.push({ deviceId, notice });
        return ok(undefined);
      },
    },
    network: {
      deliver: (_deviceId, input) => {
        const indexed = { ...input, index: recorded.length + 1 };
        recorded.push(indexed);
        return ok(indexed);
      },
    },
    texts: () => queued.flatMap((n) => (n.notice.kind.case === "text" ? [n.notice.kind.value] : [])),
  };
}

/** A mirror's storage as a service reads it: these files; any other path is E_PATH_NOT_FOUND. */
export function storageWith(files: Record<string, Uint8Array>): {
  readFile(path: string): Result<Uint8Array>;
} {
  return {
    readFile: (path) =>
      files[path] !== undefined ? ok(files[path]) : fail("E_PATH_NOT_FOUND", `no ${path}`),
  };
}
