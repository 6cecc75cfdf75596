// Notices the caching service puts into the phone's next sync message
// (paper §5.1.1 "file-cached notification via the synchronization message").
import { create } from "@bufbuild/protobuf";
import { FileCachedSchema, type Notice, NoticeSchema } from "../../gen/mirrorcell/v1/sync_pb.ts";
import type { NoticeSink } from "../api.ts";
import type { CacheEntry } from "./cache-store.ts";

/** The notice id is 0: the sync server numbers notices when it queues them. */
export function fileCachedNotice(entry: CacheEntry): Notice {
  const fileCached = create(FileCachedSchema, {
    cacheId: entry.cacheId,
    url: entry.url,
    sha256: entry.sha256,
    size: BigInt(entry.size),
    expiresAtMs: BigInt(entry.expiresAtMs),
  });
  return create(NoticeSchema, { kind: { case: "fileCached", value: fileCached } });
}

export function textNotice(text: string): Notice {
  return create(NoticeSchema, { kind: { case: "text", value: text } });
}

/** Queues notices; a full queue drops the notice (counted): the state they report stays queryable. */
export class NoticeOutlet {
  dropped = 0;

  constructor(private readonly sink: NoticeSink) {}

  send(deviceId: string, notice: Notice): void {
    if (!this.sink.queueNotice(deviceId, notice).ok) this.dropped++;
  }
}
