// The action of `mirrorcell enroll` (options in enroll.ts, loaded when the
// command runs): registers a device with the live server's data dir and
// prints its key (issue 5: per-device keys, HMAC challenge on every sync
// connection). Works while the server runs (SQLite WAL allows a second writer
// process).
import { toHex } from "../../core/bytes.ts";
import { enrollDevice, openDatabase } from "../../live/sqlite-db.ts";

export interface EnrollOpts {
  device: string;
  data: string;
  json?: boolean;
}

/** The action of `mirrorcell enroll` (registered in enroll.ts). */
export function enrollAndPrint(opts: EnrollOpts): void {
  const db = openDatabase(opts.data);
  try {
    const key = toHex(enrollDevice(db, opts.device, Date.now()));
    if (opts.json) process.stdout.write(`${JSON.stringify({ deviceId: opts.device, key })}\n`);
    else process.stdout.write(`device ${opts.device} enrolled; key (keep it secret):\n${key}\n`);
  } finally {
    db.close();
  }
}
