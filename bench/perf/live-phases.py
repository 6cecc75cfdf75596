#!/usr/bin/env python3
# Where the live server's CPU goes, per batch and per commit, from `perf script -F comm,tid,period,ip,sym,dso`
# of the server child (node --perf-basic-prof) cut to a bench window (see docs/benchmarks.md "Live intake (session 5)":
# MIRRORCELL_BENCH_WINDOW_FILE, perf record -k CLOCK_MONOTONIC, perf script --time START,END).
# Each sample goes to the first phase its stack matches (order below); perf-inflated microseconds.
# usage: live-phases.py PERF_SCRIPT.txt MAIN_TID BATCHES COMMITS
import collections, re, sys

path, main = sys.argv[1], sys.argv[2]
batches, commits = float(sys.argv[3]), float(sys.argv[4])
samples, head, frames = [], None, []
with open(path, errors="replace") as f:
    for line in f:
        if not line.strip():
            if head: samples.append((head, frames))
            head, frames = None, []
            continue
        if not line.startswith((" ", "\t")):
            if head: samples.append((head, frames))
            parts = line.split()
            head, frames = (parts[0], parts[1], int(parts[2])), []
            continue
        m = re.match(r"\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$", line)
        if m: frames.append((m.group(2), m.group(3)))
if head: samples.append((head, frames))

GC = re.compile(r"Scaveng|MarkCompact|ConcurrentMarking|Sweeper|IncrementalMarking|MinorMark|Heap::CollectGarbage|Heap::PerformGarbageCollection")
JIT = re.compile(r"v8::internal::compiler::|maglev::|OptimizingCompileDispatcher|BackgroundCompileTask|Compiler::|baseline::")
INTAKE = re.compile(r"applyFrame|receiveBatch|intakeBatch|sync-server|batch-intake|batch-validate|codec-|frame-batch-wire|sqlite-store|core-adapter|replay-schedule")
ACKS = re.compile(r"sendOwedAcks|markDurable|encodeAck|sender\.js|websocket\.js:4|committed")

def phase(tid, fr):
    j = " | ".join(s for s, _ in fr)
    if tid != main:
        return "helper threads: GC" if GC.search(j) else "helper threads: JIT" if JIT.search(j) else "helper threads: other"
    if GC.search(j): return "main: GC"
    if JIT.search(j): return "main: JIT (compile, deopt)"
    if "Statement::JS_run" in j:
        return "SQLite: fsync" if "fsync" in j else "SQLite: WAL pwrite" if "pwrite" in j else "SQLite: other"
    if "AllocateExternalBackingStore" in j: return "read buffers (node allocates each read: memset, page faults)"
    if "writev" in j.lower(): return "acks: writev (native + loopback TCP)"
    if ACKS.search(j): return "acks: JS, ws"
    if "flush" in j or "sqliteTransaction" in j:
        return "commit: core intake + adapter (JS)" if INTAKE.search(j) else "commit: other JS"
    if "processImmediate" in j: return "setImmediate"
    if "OnUvRead" in j or "onStreamRead" in j: return "read: ws receive, frame decode, session, enqueue"
    if "uv__read" in j or "uv__stream_io" in j: return "read: syscall"
    if "epoll" in j: return "epoll"
    if "uv__run_timers" in j or "listOnTimeout" in j: return "timers"
    return "main: other"

totals, total = collections.Counter(), 0
for (comm, tid, period), fr in samples:
    totals[phase(tid, fr)] += period
    total += period
print(f"total {total / 1e9:.3f} CPU-s (perf), {total / 1e3 / batches:.1f} us per batch, {total / 1e3 / commits:.1f} us per commit")
for name, v in totals.most_common():
    print(f"{100 * v / total:5.1f} %  {v / 1e3 / batches:7.2f} us/batch {v / 1e3 / commits:8.1f} us/commit  {name}")
