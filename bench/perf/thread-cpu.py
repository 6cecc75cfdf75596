#!/usr/bin/env python3
"""Per-thread CPU of a running process tree, sampled from /proc (CPU-true).

Usage: thread-cpu.py OUT.tsv -- COMMAND...   (runs COMMAND, samples every 0.5 s)
       thread-cpu.py --summary OUT.tsv        (summarizes a finished sample file)

Why: a sharded simulator run's wall time is decided by its busiest thread
and by idle tails (one shard thread done, the other still running); process
CPU-s alone hides both. Each sample line: t_s, pid, tid, cpu_s (utime+stime).
The summary lists threads by CPU-s with when each was busy (first/last sample
it gained CPU), and the wall time during which fewer than two threads ran.
"""
import os, subprocess, sys, time

TICK = os.sysconf("SC_CLK_TCK")


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


def sample(root):
    rows = []
    for pid in descendants(root):
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
                rows.append((pid, int(tid), (int(fields[11]) + int(fields[12])) / TICK))
        except OSError:
            pass
    return rows


def run(out_path, cmd):
    child = subprocess.Popen(cmd)
    t0 = time.monotonic()
    with open(out_path, "w") as out:
        while child.poll() is None:
            t = time.monotonic() - t0
            for pid, tid, cpu in sample(child.pid):
                out.write(f"{t:.2f}\t{pid}\t{tid}\t{cpu:.2f}\n")
            out.flush()
            time.sleep(0.5)
        out.write(f"{time.monotonic() - t0:.2f}\tend\t0\t0\n")
    return child.returncode


def summary(path):
    last, first_busy, last_busy, prev = {}, {}, {}, {}
    end = 0.0
    busy_by_t = {}
    for line in open(path):
        t, pid, tid, cpu = line.split("\t")
        t = float(t)
        end = max(end, t)
        if pid == "end":
            end = t
            continue
        key = (int(pid), int(tid))
        cpu = float(cpu)
        gained = cpu - prev.get(key, 0.0)
        if gained > 0.1:  # busy in this 0.5 s interval (>20 % of a core)
            first_busy.setdefault(key, t)
            last_busy[key] = t
            busy_by_t.setdefault(t, []).append(key)
        prev[key] = cpu
        last[key] = cpu
    total = sum(last.values())
    print(f"wall {end:.1f} s, CPU {total:.1f} s, {total / end:.2f} cores busy")
    for key, cpu in sorted(last.items(), key=lambda kv: -kv[1])[:14]:
        if cpu < 0.5:
            continue
        span = f"busy {first_busy.get(key, 0):.0f}-{last_busy.get(key, 0):.0f} s" if key in first_busy else "never >20 %"
        print(f"pid {key[0]} tid {key[1]}: {cpu:.1f} CPU-s ({100 * cpu / total:.0f} %), {span}")
    times = sorted({float(l.split("\t")[0]) for l in open(path)})
    one = sum(1 for t in times if len(busy_by_t.get(t, [])) < 2) * 0.5
    print(f"sampled intervals with fewer than 2 busy threads: {one:.1f} s of {end:.1f} s")


if __name__ == "__main__":
    if sys.argv[1] == "--summary":
        summary(sys.argv[2])
    else:
        assert sys.argv[2] == "--", __doc__
        sys.exit(run(sys.argv[1], sys.argv[3:]))
