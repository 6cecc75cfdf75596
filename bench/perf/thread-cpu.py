#!/usr/bin/env python3
"""Per-thread CPU of a run's process tree, and what the machine did meanwhile
(Linux /proc, CPU-true).

Usage: thread-cpu.py OUT.json -- COMMAND...   (runs COMMAND, samples every 0.5 s)
       thread-cpu.py --summary OUT.json...    (summarizes finished sample files)

Why: a sharded simulator run's wall time is decided by its busiest thread,
by idle tails (one shard thread done, the other still running) and, on this
shared 2-core VM, by the other processes' load (docs/benchmarks.md "CLI and
bench at 10k (session 11)"); process CPU-s alone hides all three. A thread
that never sleeps spends its life running or on the run queue: schedstat's
run-queue wait says how much the machine withheld, /proc/stat minus this
tree says who took it. Per sample: t, /proc/stat's first line (seconds), and
per thread [cpu_s (utime+stime), run_s, runqueue_wait_s, slices, voluntary,
involuntary context switches].
"""
import json, os, subprocess, sys, time

TICK = os.sysconf("SC_CLK_TCK")
# /proc/stat's cpu line: user nice system idle iowait irq softirq steal
BUSY = (0, 1, 2, 5, 6, 7)
IDLE = (3, 4)
INTERVAL_S = 0.5


def descendants(root):
    kids, out = {}, [root]
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            with open(f"/proc/{p}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            kids.setdefault(ppid, []).append(int(p))
        except OSError:
            pass
    i = 0
    while i < len(out):
        out += kids.get(out[i], [])
        i += 1
    return out


def threads(root):
    out = {}
    for pid in descendants(root):
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                base = f"/proc/{pid}/task/{tid}/"
                stat = open(base + "stat").read().rsplit(")", 1)[1].split()
                run_ns, wait_ns, slices = open(base + "schedstat").read().split()
                vol = invol = 0
                for line in open(base + "status"):
                    if line.startswith("voluntary_ctxt"):
                        vol = int(line.split()[1])
                    elif line.startswith("nonvoluntary_ctxt"):
                        invol = int(line.split()[1])
                cpu = (int(stat[11]) + int(stat[12])) / TICK
                out[f"{pid}/{tid}"] = [cpu, int(run_ns) / 1e9, int(wait_ns) / 1e9, int(slices), vol, invol]
        except OSError:
            pass  # the thread or process ended between listing and reading
    return out


def machine():
    return [int(x) / TICK for x in open("/proc/stat").readline().split()[1:]]


def run(out_path, cmd):
    child = subprocess.Popen(cmd)
    t0 = time.monotonic()
    samples = []
    while child.poll() is None:
        samples.append([time.monotonic() - t0, machine(), threads(child.pid)])
        time.sleep(INTERVAL_S)
    samples.append([time.monotonic() - t0, machine(), {}])
    with open(out_path, "w") as f:
        json.dump(samples, f)
    return child.returncode


def summary(path):
    samples = json.load(open(path))
    first, last, prev, busy_times, busy_threads = {}, {}, {}, {}, {}
    for t, _, per_thread in samples:
        for key, v in per_thread.items():
            first.setdefault(key, (t, v))
            last[key] = (t, v)
            if v[0] - prev.get(key, 0.0) > 0.1:  # busy in this interval (>20 % of a core)
                busy_times.setdefault(key, []).append(t)
                busy_threads[t] = busy_threads.get(t, 0) + 1
            prev[key] = v[0]
    m0, m1, wall = samples[0][1], samples[-1][1], samples[-1][0]
    busy = sum(m1[i] - m0[i] for i in BUSY)
    idle = sum(m1[i] - m0[i] for i in IDLE)
    own = sum(v[0] for _, v in last.values())
    print(f"{path}: wall {wall:.1f} s, {own:.1f} CPU-s ({own / wall:.2f} cores busy); machine busy "
          f"{busy:.1f} CPU-s, idle {idle:.1f}; other processes {max(0.0, busy - own):.1f}")
    for key in sorted(last, key=lambda k: -last[k][1][0])[:14]:
        (t0, v0), (t1, v1) = first[key], last[key]
        if v1[0] < 0.5:
            continue
        life, ran, waited = t1 - t0, v1[1] - v0[1], v1[2] - v0[2]
        spans = busy_times.get(key)
        span = f"busy {spans[0]:.0f}-{spans[-1]:.0f} s" if spans else "never >20 %"
        print(f"  {key}: cpu {v1[0]:.1f} s ({100 * v1[0] / own:.0f} %), {span}; over its sampled life "
              f"{life:.0f} s: ran {ran:.1f}, run queue {waited:.1f}, asleep "
              f"{max(0.0, life - ran - waited):.1f}; switches voluntary {v1[4]}, involuntary {v1[5]}")
    times = [t for t, _, _ in samples]
    thin = sum(INTERVAL_S for t in times if busy_threads.get(t, 0) < 2)
    print(f"  sampled intervals with fewer than 2 busy threads: {thin:.1f} s of {wall:.1f} s")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--summary":
        for p in sys.argv[2:]:
            summary(p)
    else:
        assert len(sys.argv) >= 4 and sys.argv[2] == "--", __doc__
        sys.exit(run(sys.argv[1], sys.argv[3:]))
