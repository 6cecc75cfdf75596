// Does a WAL that grows inside a measured stretch cost the writer CPU? (issue 5: in live-ingest at
// 1000 phones the server's WAL grew inside its windows, 8.4 -> 12.9 MB, the raw's did not.)
// Two arms, a fresh database per round, alternating in one process: both store the same 20,000 rows
// in commits of 1,000 (a WAL of ~4.6 MB), then "grown" pads its WAL to 20 MB with padWal (a rolled-back
// transaction: no rows) and "small" does not. Both then time the same six commits of 4,096 rows x
// 2.2 kB (the server's largest group commit at 1000 phones).
//   node --import tsx bench/live-ingest/wal-growth-ab.ts [ROUNDS] [--normal]
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

const full = !process.argv.includes("--normal");
const roundsArg = process.argv.slice(2).find((a) => !a.startsWith("--"));
const rounds = roundsArg === undefined ? 8 : Number(roundsArg);
const rowBytes = 2200;
const rowsPerCommit = 4096;
const commits = 6;
const payload = new Uint8Array(rowBytes).map((_, i) => (i * 7919) & 255);
function cpu() {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}
function arm(grow: boolean) {
  const dir = mkdtempSync(join(tmpdir(), "mc-wal-growth-"));
  const db = new Database(join(dir, "x.db"));
  db.pragma("journal_mode = WAL");
  db.pragma(`synchronous = ${full ? "FULL" : "NORMAL"}`);
  db.exec(
    "CREATE TABLE batches (id INTEGER PRIMARY KEY, device_id TEXT NOT NULL, batch_no INTEGER NOT NULL, last_seq INTEGER NOT NULL, window_end_ms INTEGER NOT NULL, bytes BLOB NOT NULL, UNIQUE (device_id, batch_no)) STRICT",
  );
  const ins = db.prepare(
    "INSERT INTO batches (device_id, batch_no, last_seq, window_end_ms, bytes) VALUES (?, ?, ?, ?, ?)",
  );
  let n = 0;
  const put = db.transaction((k: number) => {
    for (let i = 0; i < k; i++, n++) ins.run(`phone-${n % 1000}`, n, n, 1_700_000_000_000 + n, payload);
  });
  // before the clock: the same rows in both arms; "grown" then pads its WAL (no rows)
  for (let done = 0; done < 20_000; done += 1000) put(1000);
  if (grow) padWal(db, join(dir, "x.db-wal"), 20e6);
  const walBefore = statSync(join(dir, "x.db-wal")).size;
  const c0 = cpu();
  for (let c = 0; c < commits; c++) put(rowsPerCommit);
  const spent = cpu() - c0;
  const walAfter = statSync(join(dir, "x.db-wal")).size;
  db.close();
  rmSync(dir, { recursive: true, force: true });
  return { us: (1e6 * spent) / (commits * rowsPerCommit), walBefore, walAfter };
}
const res = { grown: [] as number[], small: [] as number[] };
for (let r = 0; r < rounds; r++) {
  for (const g of r % 2 === 0 ? [true, false] : [false, true]) {
    const x = arm(g);
    res[g ? "grown" : "small"].push(x.us);
    if (r === 0)
      console.log(
        g ? "grown" : "small",
        "WAL MB",
        (x.walBefore / 1e6).toFixed(1),
        "->",
        (x.walAfter / 1e6).toFixed(1),
      );
  }
}
/** Grows the WAL to targetBytes with scratch rows that spill from the page cache, rolled back: no row stays. */
function padWal(db: Database.Database, walFile: string, targetBytes: number): void {
  const insert = db.prepare(
    "INSERT INTO batches (device_id, batch_no, last_seq, window_end_ms, bytes) VALUES ('~pad', ?, 0, 0, ?)",
  );
  const pad = new Uint8Array(3_900);
  db.exec("BEGIN IMMEDIATE");
  try {
    for (let row = 0; statSync(walFile).size < targetBytes; row++) insert.run(row, pad);
  } finally {
    db.exec("ROLLBACK");
  }
}

const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1]!;
console.log(
  `${full ? "FULL" : "NORMAL"}: us CPU per row, median of ${rounds}: grown ${med(res.grown).toFixed(2)}, small ${med(res.small).toFixed(2)}; small/grown ${(med(res.small) / med(res.grown)).toFixed(3)}; pairs ${res.grown.map((g, i) => (res.small[i]! / g).toFixed(2)).join(" ")}`,
);
