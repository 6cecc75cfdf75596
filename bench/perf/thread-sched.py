#!/usr/bin/env python3
"""Where a run's wall time went: each thread's CPU, run-queue wait and sleep,
and what OTHER processes took from the machine meanwhile (Linux /proc).

Usage: thread-sched.py OUT.json -- COMMAND...   (runs COMMAND, samples every 0.5 s)
       thread-sched.py --summary OUT.json...   (summarizes finished sample files)

Why: on this shared 2-core VM the wall time of a 10k-phone run follows the
other helpers' load more than anything in the run (docs/benchmarks.md "CLI
and bench at 10k (session 11)"). A shard worker that never sleeps spends
its life running or waiting on the run queue; `schedstat`'s run-queue wait
says how much the machine withheld, and /proc/stat minus this process tree
says who took it. Per sample: t, /proc/stat's first line (ticks), and per
thread [cpu_s (utime+stime), run_s, runqueue_wait_s, slices, voluntary,
involuntary context switches].
"""
import json, os, subprocess, sys, time

TICK = os.sysconf("SC_CLK_TCK")
# /proc/stat's cpu line: user nice system idle iowait irq softirq steal
BUSY = (0, 1, 2, 5, 6, 7)
IDLE = (3, 4)


def tree(root):
    """root and its direct children (node's own processes: npx -> node)."""
    pids = [root]
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open(f"/proc/{p}/stat") as f:
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == root:
                        pids.append(int(p))
            except OSError:
                pass
    return pids


def threads(root):
    out = {}
    for pid in tree(root):
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
        time.sleep(0.5)
    samples.append([time.monotonic() - t0, machine(), {}])
    with open(out_path, "w") as f:
        json.dump(samples, f)
    return child.returncode


def summary(path):
    samples = json.load(open(path))
    first, last = {}, {}
    for t, _, per_thread in samples:
        for key, v in per_thread.items():
            first.setdefault(key, (t, v))
            last[key] = (t, v)
    m0, m1, wall = samples[0][1], samples[-1][1], samples[-1][0]
    busy = sum(m1[i] - m0[i] for i in BUSY)
    idle = sum(m1[i] - m0[i] for i in IDLE)
    own = sum(v[0] for _, v in last.values())
    print(f"{path}: wall {wall:.1f} s; machine busy {busy:.1f} CPU-s, idle {idle:.1f}; "
          f"this run {own:.1f}, other processes {max(0.0, busy - own):.1f}")
    for key in sorted(last, key=lambda k: -last[k][1][1])[:8]:
        (t0, v0), (t1, v1) = first[key], last[key]
        life, ran, waited = t1 - t0, v1[1] - v0[1], v1[2] - v0[2]
        if v1[0] < 0.5:
            continue
        print(f"  {key}: cpu {v1[0]:.1f} s; over its sampled life {life:.0f} s: ran {ran:.1f}, "
              f"run queue {waited:.1f}, asleep {max(0.0, life - ran - waited):.1f}; "
              f"voluntary switches {v1[4]}, involuntary {v1[5]}")


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "--summary":
        for p in sys.argv[2:]:
            summary(p)
    else:
        assert len(sys.argv) >= 4 and sys.argv[2] == "--", __doc__
        sys.exit(run(sys.argv[1], sys.argv[3:]))
