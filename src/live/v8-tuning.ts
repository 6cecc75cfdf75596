// V8 settings for a process that hosts the live mirror server (issue 5:
// durable intake per server CPU-second). The server's work is one thread of
// intake, and when this was measured every queued batch survived
// young-generation GCs (the replay queue held its bytes until session 6), so
// scavenges were a large share of its CPU (perf, 1000 phones: ~12 %). V8's parallel scavenger splits each scavenge over helper
// threads: a shorter pause, more CPU in total (atomic object copies, task
// hand-offs to threads that must be woken). On the main thread alone the
// scavenges cost ~a quarter less (perf, 1000 phones, steady state: 6.0 ->
// 4.6 perf-us per batch, ~3 % of the server's CPU; the bench's run-to-run
// spread does not resolve it: docs/benchmarks.md "Live intake (session 5)"),
// and the pauses stay short (a few ms). Session 11: the same holds for
// marking and sweeping at 1000 phones (helper threads ~20 % of the server's
// CPU, mostly concurrent marking); a server child started with
// --single-threaded-gc took 1.06x the events per server CPU-second (median
// of 20 alternating pairs, 15 up), at ~0.97x wall throughput; live/raw 1.08x
// at load 5-15, 1.00x on a quiet machine (docs/benchmarks.md "Live receive
// path (session 11)"). Concurrent
// compilation stays on.
import { setFlagsFromString } from "node:v8";

/**
 * Flags V8 reads only when the process starts: spawnServer (src/live/server-process.ts) gives them to
 * the server child. --single-threaded-gc: no concurrent marking or sweeping on helper threads,
 * whose hand-offs cost more CPU in total than the same work on the intake thread (issue 5 counts a
 * server's CPU-seconds, every thread's). Set at run time it aborts the process (cppgc's
 * "concurrent_marking_handle_" check at the next full GC), so it cannot go in serverV8Flags.
 */
export const serverStartFlags: readonly string[] = ["--single-threaded-gc"];

/** The node flags a spawned server process starts with; MIRRORCELL_V8_DEFAULTS=1 keeps V8's defaults. */
export function serverNodeFlags(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  return env.MIRRORCELL_V8_DEFAULTS === "1" ? [] : serverStartFlags;
}

/** The flags startLiveServer applies; read per GC, so setting them at run time takes effect. */
export const serverV8Flags: readonly string[] = ["--no-parallel-scavenge"];

/**
 * Applies serverV8Flags to this process (process-wide: the server's process
 * is the server). MIRRORCELL_V8_DEFAULTS=1 keeps V8's defaults (A/B runs).
 */
export function tuneV8ForServer(env: NodeJS.ProcessEnv = process.env): readonly string[] {
  if (env.MIRRORCELL_V8_DEFAULTS === "1") return [];
  for (const flag of serverV8Flags) setFlagsFromString(flag);
  return serverV8Flags;
}
