#!/usr/bin/env python3
"""Summarizes `node --trace-gc-nvp` output per isolate (each worker thread is one).

Usage: gc-nvp.py FILE
Per isolate: scavenges and mark-compacts (count, pause ms on the isolate's
own thread), the mark-compacts' marking split (ephemeron = WeakMap/WeakSet
fixpoint), and the work V8 did for it on helper threads (background.*).
"""
import re, sys
from collections import defaultdict

line_re = re.compile(r"^\[(\d+):(0x[0-9a-f]+)\]\s+(\d+) ms: (.*)$")
stats = defaultdict(lambda: defaultdict(float))
for line in open(sys.argv[1], errors="replace"):
    m = line_re.match(line)
    if not m:
        continue
    iso = m.group(2)
    kv = dict(p.split("=", 1) for p in m.group(4).split() if "=" in p)
    kind = kv.get("gc", "?")
    s = stats[iso]
    s[f"{kind}.count"] += 1
    s[f"{kind}.pause"] += float(kv.get("pause", 0))
    s["last_ms"] = max(s["last_ms"], float(m.group(3)))
    s["mutator"] += float(kv.get("mutator", 0))
    for k in ("mark", "mark.ephemeron.marking", "evacuate", "sweep", "incremental", "scavenge"):
        if k in kv and kind == ("s" if k == "scavenge" else "mc"):
            s[f"{kind}.{k}"] += float(kv[k])
    for k, v in kv.items():
        if k.startswith("background."):
            try:
                s["background"] += float(v)
                s[f"bg.{k[11:]}"] += float(v)
            except ValueError:
                pass
    if kind == "mc":
        s["mc.size_after_max"] = max(s["mc.size_after_max"], float(kv.get("total_size_after", 0)))

for iso, s in sorted(stats.items(), key=lambda kv: -kv[1]["mutator"]):
    if s["mutator"] < 1000:
        continue
    print(f"isolate {iso}: up to {s['last_ms'] / 1000:.0f} s, mutator {s['mutator'] / 1000:.1f} s")
    print(f"  scavenges {s['s.count']:.0f}, pause {s['s.pause'] / 1000:.1f} s")
    print(
        f"  mark-compacts {s['mc.count']:.0f}, pause {s['mc.pause'] / 1000:.1f} s"
        f" (mark {s['mc.mark'] / 1000:.1f} s, of which ephemeron {s['mc.mark.ephemeron.marking'] / 1000:.1f} s;"
        f" evacuate {s['mc.evacuate'] / 1000:.1f}, sweep {s['mc.sweep'] / 1000:.1f}, incremental steps {s['mc.incremental'] / 1000:.1f}),"
        f" largest heap after {s['mc.size_after_max'] / 1e6:.0f} MB"
    )
    bg = ", ".join(f"{k[3:]} {v / 1000:.1f}" for k, v in sorted(s.items()) if k.startswith("bg.") and v >= 100)
    print(f"  helper threads {s['background'] / 1000:.1f} s ({bg})")
