// A durable outbox for the caching service's notices on the live server
// (paper §5.1.1: "file-cached" reaches the phone in a sync message). The
// Syn-Server's notice queue lives in memory; this journal keeps each notice
// in SQLite under a stable id, so a restarted server queues it again and the
// phone, which dedupes by id, sees it once. A file-cached notice is kept until
// its file is fetched or expires; other notices (upload reports) only the
// newest limits.noticesPerBatchMax per device.
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import { assert } from "../../core/assert.ts";
import type { Result } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import { type Notice, NoticeSchema } from "../../gen/mirrorcell/v1/sync_pb.ts";
import type { NoticeSink } from "../../services/api.ts";
import type { Db } from "../sqlite-db.ts";

/**
 * Journal ids live above every id the Syn-Server makes (time in ms x 1024
 * stays below 2^52 for millennia), so the two never collide.
 */
export const noticeJournalIdBase = 1n << 60n;

const schema = `
CREATE TABLE IF NOT EXISTS caching_notices (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, device_id TEXT NOT NULL, cache_id TEXT, body BLOB NOT NULL) STRICT;
CREATE INDEX IF NOT EXISTS caching_notices_device ON caching_notices (device_id, seq);
`;

export class NoticeJournal implements NoticeSink {
  private readonly st;

  constructor(
    db: Db,
    private readonly sink: NoticeSink,
  ) {
    db.exec(schema);
    const p = (sql: string) => db.prepare(sql);
    this.st = {
      insert: p("INSERT INTO caching_notices (device_id, cache_id, body) VALUES (?, ?, ?)"),
      pruneTexts: p(
        `DELETE FROM caching_notices WHERE device_id = ? AND cache_id IS NULL AND seq NOT IN (
           SELECT seq FROM caching_notices WHERE device_id = ? AND cache_id IS NULL ORDER BY seq DESC LIMIT ?)`,
      ),
      forgetCache: p("DELETE FROM caching_notices WHERE device_id = ? AND cache_id = ?"),
      all: p("SELECT seq, device_id, body FROM caching_notices ORDER BY seq"),
      count: p("SELECT count(*) AS n FROM caching_notices WHERE device_id = ?"),
    };
  }

  /** Stores the notice under a stable id, then queues it (call inside a transaction). */
  queueNotice(deviceId: string, notice: Notice): Result<void> {
    assert(notice.kind.case !== undefined, "an empty notice");
    const cacheId = notice.kind.case === "fileCached" ? notice.kind.value.cacheId : null;
    const body = toBinary(NoticeSchema, create(NoticeSchema, { kind: notice.kind }));
    const seq = BigInt(this.st.insert.run(deviceId, cacheId, body).lastInsertRowid);
    assert(seq >= 1n, "notice journal rowid starts at 1");
    this.st.pruneTexts.run(deviceId, deviceId, limits.noticesPerBatchMax);
    return this.sink.queueNotice(deviceId, { ...notice, noticeId: noticeJournalIdBase + seq });
  }

  /** The phone fetched the file, or it expired: its file-cached notice is moot. */
  forgetCache(deviceId: string, cacheId: string): void {
    this.st.forgetCache.run(deviceId, cacheId);
  }

  /** Server start: queue every kept notice again under its id; returns how many. */
  requeueAll(): number {
    let queued = 0;
    const rows = this.st.all.iterate() as Iterable<{
      seq: number | bigint;
      device_id: string;
      body: Uint8Array;
    }>;
    for (const row of rows) {
      const kept = fromBinary(NoticeSchema, new Uint8Array(row.body));
      const notice = create(NoticeSchema, {
        kind: kept.kind,
        noticeId: noticeJournalIdBase + BigInt(row.seq),
      });
      // A full Syn-Server queue refuses: the row stays for the next start.
      if (this.sink.queueNotice(row.device_id, notice).ok) queued++;
    }
    return queued;
  }

  kept(deviceId: string): number {
    return (this.st.count.get(deviceId) as { n: number }).n;
  }
}
