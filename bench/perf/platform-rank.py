#!/usr/bin/env python3
# src/platform's functions per user event, phone side and mirror side, from a perf script of a
# `node --perf-basic-prof` simulator run (docs/benchmarks.md "Platform per input (session 6)").
# Inclusive: a sample counts once for every src/platform function on its stack (callees and natives
# below it included); "innermost" charges it to the innermost JS frame only when that one is ours.
# Side: mirror when a caller of the outermost src/platform frame is in src/mirror,
# src/sync/replay.ts, batch-replay.ts, repair-* or src/sim/core-server.ts, else phone (the workload
# generator included).
# usage: perf script -F comm,tid,period,ip,sym,dso > S.txt; platform-rank.py S.txt USER_EVENTS [TOP]
import collections, re, sys

path = sys.argv[1]
events = int(sys.argv[2])
top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
JS = re.compile(r"^JS:\S?(\S*) file://(\S+?):\d+:(\d+)")
FRAME = re.compile(r"\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")
MIRROR = ("mirror/", "sync/replay.ts", "sync/batch-replay.ts", "sync/repair", "sim/core-server.ts")
sides = ("phone", "mirror")
inclusive = {s: collections.Counter() for s in sides}
innermost = {s: collections.Counter() for s in sides}
anyframe = collections.Counter()
total = 0


def account(period, frames):
    global total
    total += period
    js = []
    for sym in frames:
        m = JS.match(sym)
        if m:
            file = m.group(2)
            js.append((m.group(1) or "(anonymous)", file.split("/src/")[-1] if "/src/" in file else file))
    if not js:
        return
    # callers only (frames outside the outermost src/platform one): a leaf in reused JIT memory can
    # carry a stale name from the perf map
    ours = [i for i, (_, f) in enumerate(js) if f.startswith("platform/")]
    callers = js[ours[-1] + 1 :] if ours else js
    side = "mirror" if any(f.startswith(MIRROR) for _, f in callers) else "phone"
    seen = set()
    for name, file in js:
        if file.startswith("platform/"):
            key = f"{name} {file}"
            if key not in seen:
                seen.add(key)
                inclusive[side][key] += period
    if seen:
        anyframe[side] += period
    name, file = js[0]
    if file.startswith("platform/"):
        innermost[side][f"{name} {file}"] += period


period = None
frames = []
with open(path, errors="replace") as f:
    for line in f:
        if not line.strip():
            if period is not None:
                account(period, frames)
            period, frames = None, []
        elif not line.startswith((" ", "\t")):
            if period is not None:
                account(period, frames)
            period, frames = int(line.split()[2]), []
        else:
            m = FRAME.match(line)
            if m:
                frames.append(m.group(2))
if period is not None:
    account(period, frames)

us = lambda p: p / 1e3 / events  # perf periods are nanoseconds of CPU
print(f"total {total / 1e9:.2f} CPU-s, {us(total):.2f} us per user event ({events} user events)")
for side in sides:
    print(f"\n## {side}: samples with a src/platform frame {us(anyframe[side]):.2f} us per user event")
    print("  incl us  innermost us  function")
    for key, v in inclusive[side].most_common(top):
        print(f"  {us(v):7.2f}  {us(innermost[side][key]):12.2f}  {key}")
