#!/usr/bin/env python3
# CPU-true cost of named JS functions from a `node --perf-basic-prof` run: a sample counts for a
# pattern when the innermost JS frame of its stack matches it (natives below that frame included,
# so an inlined callee counts for its caller). Patterns are substrings of perf's JS symbol, e.g.
# "randomBytes " or "binary platform" ("JS:*name file:///…" in the script output).
# docs/benchmarks.md "Content and node hashing (session 7)".
# usage: perf script -F comm,tid,period,ip,sym,dso > S.txt; js-leaf-count.py S.txt USER_EVENTS PATTERN...
import collections, re, sys

path, events, patterns = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
assert events > 0 and patterns, "usage: js-leaf-count.py S.txt USER_EVENTS PATTERN..."
FRAME = re.compile(r"\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$")
counts = collections.Counter()
period = collections.Counter()
samples = 0
total_period = 0


def account(head, frames):
    global samples, total_period
    if head is None:
        return
    samples += 1
    total_period += head
    leaf = next((s for s in frames if s.startswith("JS:")), None)
    if leaf is None:
        return
    for p in patterns:
        if p in leaf:
            counts[p] += 1
            period[p] += head


head, frames = None, []
with open(path, errors="replace") as f:
    for line in f:
        if not line.strip():
            account(head, frames)
            head, frames = None, []
        elif not line.startswith((" ", "\t")):
            account(head, frames)
            parts = line.split()
            head, frames = int(parts[2]), []
        else:
            m = FRAME.match(line)
            if m:
                frames.append(m.group(2))
account(head, frames)
assert samples > 0, "no samples: was the script made with -F comm,tid,period,ip,sym,dso?"
# perf's period is in the unit of the event (task-clock: ns; cycles otherwise): per-sample shares
# are exact either way, and µs per user event assume task-clock / cpu-clock ns.
us = lambda p: p / 1000 / events
print(f"total {samples} samples, {us(total_period):.2f} us per user event ({events} user events)")
for p in patterns:
    print(f"{counts[p]:8d} samples {100 * period[p] / total_period:6.2f} %  {us(period[p]):6.3f} us per user event  {p}")
print(f"{sum(counts.values()):8d} samples {100 * sum(period.values()) / total_period:6.2f} %  {us(sum(period.values())):6.3f} us per user event  (all patterns)")
