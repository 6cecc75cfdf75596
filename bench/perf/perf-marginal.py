#!/usr/bin/env python3
# Marginal CPU per simulated user event: the difference between a long and a
# short `perf record` run of the same fleet (removes start-up and most JIT
# compilation), by thread, category and source file (perf-breakdown.py).
# usage: perf-marginal.py SHORT.perf.txt SHORT.json LONG.perf.txt LONG.json
#   (*.perf.txt from `perf script -F comm,tid,period,ip,sym,dso`, *.json the
#   run's `simulate --json` report, for its userEvents)
import os, subprocess, sys, json, re
breakdown = os.path.join(os.path.dirname(os.path.abspath(__file__)), "perf-breakdown.py")
repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))) + "/"
def run(txt, tid, n=200):
    out = subprocess.run(["python3",breakdown,txt,tid,str(n)],capture_output=True,text=True).stdout
    sec = None; d = {"cat":{}, "file":{}, "thr":{}}
    for line in out.splitlines():
        if line.startswith("## threads"): sec="thr"; continue
        if line.startswith("## categories"): sec="cat"; continue
        if line.startswith("## by source"): sec="file"; continue
        m = re.match(r"\s*([\d.]+) s\s+[\d.]+ %\s+(?:\| self\s+[\d.]+ s\s+)?(.*?)(\s+\[.*)?$", line)
        if sec and m: d[sec][m.group(2).replace(repo_root,"")] = float(m.group(1))
    return d
a_txt,a_json,b_txt,b_json = sys.argv[1:5]
def tid(t): 
    for l in open(t):
        if l.startswith("node"): return l.split()[1]
ea = json.load(open(a_json))["userEvents"]; eb = json.load(open(b_json))["userEvents"]
A = run(a_txt, tid(a_txt)); B = run(b_txt, tid(b_txt))
de = eb - ea
print(f"events {ea} -> {eb}, delta {de}")
for sec in ("thr","cat","file"):
    print("\n##", sec, "| short run µs/event | long run µs/event | marginal µs/event")
    keys = sorted(set(A[sec])|set(B[sec]), key=lambda k: -(B[sec].get(k,0)-A[sec].get(k,0)))
    ta = sum(A[sec].values()); tb = sum(B[sec].values())
    for k in keys[:30]:
        a = A[sec].get(k,0); b = B[sec].get(k,0)
        print(f"{1e6*a/ea:7.2f} {1e6*b/eb:7.2f} {1e6*(b-a)/de:7.2f}  {k}")
    print(f"{1e6*ta/ea:7.2f} {1e6*tb/eb:7.2f} {1e6*(tb-ta)/de:7.2f}  TOTAL")
