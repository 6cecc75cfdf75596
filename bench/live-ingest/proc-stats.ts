// What the live-ingest bench reads from /proc about a process (CPU, bytes
// written, RSS), and the measured windows it records for perf.
import { appendFileSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

/**
 * Appends a measured window to MIRRORCELL_BENCH_WINDOW_FILE: "<label> <pid> <start>,<end>" in CLOCK_MONOTONIC
 * seconds (as `perf record -k CLOCK_MONOTONIC`; pass <start>,<end> to `perf script --time`).
 */
export function recordWindow(label: string, startNs: bigint, endNs: bigint, pid = process.pid): void {
  const file = process.env.MIRRORCELL_BENCH_WINDOW_FILE;
  const seconds = (ns: bigint) => `${ns / 1_000_000_000n}.${String(ns % 1_000_000_000n).padStart(9, "0")}`;
  if (file !== undefined && file !== "")
    appendFileSync(file, `${label} ${pid} ${seconds(startNs)},${seconds(endNs)}\n`);
}

/** Bytes a process passed to write syscalls (/proc's io wchar: WAL, database file). */
export function writtenBytes(pid: number): number {
  return Number(/^wchar: (\d+)$/m.exec(readFileSync(`/proc/${pid}/io`, "utf8"))?.[1] ?? Number.NaN);
}

/**
 * CPU seconds a process (its live threads) or one thread has run, from /proc's schedstat in
 * nanoseconds (/proc's stat counts 10 ms ticks: a 0.1 CPU-s window read as 7 to 9 ticks).
 */
export function cpuSeconds(pid: number, tid?: number): number {
  const tids = tid === undefined ? readdirSync(`/proc/${pid}/task`) : [String(tid)];
  let ns = 0;
  for (const t of tids) ns += Number(readFileSync(`/proc/${pid}/task/${t}/schedstat`, "utf8").split(" ")[0]);
  return ns / 1e9;
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

/** Sizes of a live data directory's database file and its WAL (0 when absent). */
export function databaseFileBytes(dataDir: string): { db: number; wal: number } {
  const size = (name: string) => statSync(join(dataDir, name), { throwIfNoEntry: false })?.size ?? 0;
  return { db: size("mirrorcell.db"), wal: size("mirrorcell.db-wal") };
}
