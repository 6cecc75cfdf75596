#!/usr/bin/env python3
"""CPU-true picture of a node run by THREAD and category, from perf samples.

Usage: thread-breakdown.py PERF_SCRIPT.txt
  PERF_SCRIPT.txt from `perf script -F comm,tid,time,period,ip,sym,dso` of a
  `perf record -g -- node --perf-basic-prof ...` run.

Why: process CPU-s hides which thread pays. Node 20 leaves every thread's
comm as "node", so each thread's role is inferred from what it runs: the
thread with the parent's CLI frames is "main", threads running src/sim's
fleet are "shard worker" (Fleet.runUntil), threads whose samples are mostly GC/JIT with no JS
frame are V8's platform helpers, a thread running tsx/esbuild hooks is the
loader. Per worker, "start" is everything it ran before its first sample
inside the fleet (module loading, tsx transpile, first compiles). A bundled
worker (the default since session 9) names one script ("[worker eval]:LINE");
its lines map back to source files through the cached bundle
(node_modules/.cache/mirrorcell/shard-worker.json: profile the same sources
it was built from), or run with MIRRORCELL_SHARD_WORKER=tsx.
Categories are the first match of: start, GC, JIT, module loading (node's
ESM loader, tsx, esbuild), kernel, then the innermost JS frame's folder.
"""
import bisect, collections, json, os, re, sys

GC = re.compile(r"Scavenger|ScavengerCollector|MarkCompact|ConcurrentMarking|Sweeper|ArrayBufferSweeper|IncrementalMarking|MinorMark|MarkingVisitor|Heap::CollectGarbage|Heap::PerformGarbageCollection|GCTracer|Heap::Scavenge|MemoryAllocator|PagedSpace|LargeObjectSpace::|Evacuat|MemoryReducer|Heap::")
JIT = re.compile(r"v8::internal::compiler::|maglev::|v8::internal::Compiler::|OptimizingCompileDispatcher|BackgroundCompileTask|Parser::|BytecodeGenerator|baseline::|CompileLazy|Runtime_Compile|turboshaft|Deoptimiz|Runtime_NotifyDeoptimized")
LOAD = re.compile(r"node:internal/modules|node_modules/tsx|node_modules/esbuild|node:internal/process/esm_loader|compileSourceTextModule|ModuleWrap|node:internal/vm")
FILE = re.compile(r"file://(/\S+?):\d+:\d+")
# A shard worker's event loop: by file (tsx workers) or by name (a bundled worker's frames name one script).
FLEET = re.compile(r"src/sim/fleet\.ts|JS:\S?runUntil ")


def parse(path):
    head, frames = None, []
    with open(path, errors="replace") as f:
        for line in f:
            if not line.strip():
                if head:
                    yield head, frames
                head, frames = None, []
                continue
            if not line.startswith((" ", "\t")):
                if head:
                    yield head, frames
                p = line.split()
                head = (p[1], float(p[2].rstrip(":")), int(p[3]))
                frames = []
                continue
            m = re.match(r"\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$", line)
            if m:
                frames.append((m.group(1), m.group(2)))
    if head:
        yield head, frames


def load_bundle_map():
    """Line -> source file of the shard worker's bundle (esbuild writes a `// path` line before each module)."""
    repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    path = os.path.join(repo, "node_modules", ".cache", "mirrorcell", "shard-worker.json")
    if not os.path.exists(path):
        return []
    starts = []
    with open(path) as f:
        for i, line in enumerate(json.load(f)["code"].split("\n"), 1):
            m = re.match(r"^// (\S+\.(?:ts|mjs|js|cjs))$", line)
            if m:
                starts.append((i, os.path.normpath(os.path.join("src/sim", m.group(1)))))
    return starts


BUNDLE = load_bundle_map()
BUNDLE_LINES = [line for line, _ in BUNDLE]
WORKER_EVAL = re.compile(r"\[worker eval\]:(\d+):\d+")


def bundle_file(sym):
    m = WORKER_EVAL.search(sym)
    if not m or not BUNDLE:
        return None
    i = bisect.bisect_right(BUNDLE_LINES, int(m.group(1))) - 1
    return BUNDLE[i][1] if i >= 0 else None


def js_folder(frames):
    for sym, _ in frames:
        if sym.startswith("JS:"):
            m = FILE.search(sym)
            bundled = None if m else bundle_file(sym)
            if bundled:
                if "node_modules/" in bundled:
                    return "JS: node_modules/" + bundled.split("node_modules/")[-1].split("/")[0]
                m2 = re.match(r"(src|bench|test)/(\w+)/", bundled)
                return f"JS: {m2.group(1)}/{m2.group(2)}" if m2 else "JS: bundle (other)"
            if not m:
                return "JS: node internals" if "node:" in sym else "JS: builtin"
            p = m.group(1)
            if "node_modules/" in p:
                return "JS: node_modules/" + p.split("node_modules/")[-1].split("/")[0]
            m2 = re.search(r"/(src|bench|test)/(\w+)/", p)
            return f"JS: {m2.group(1)}/{m2.group(2)}" if m2 else "JS: other"
    return None


def category(frames):
    syms = " ".join(s for s, _ in frames)
    leaf = frames[0] if frames else ("", "")
    if GC.search(syms):
        return "GC"
    if JIT.search(syms):
        return "JIT"
    if LOAD.search(syms):
        return "module loading"
    folder = js_folder(frames)
    if "kernel" in leaf[1]:
        return "kernel" + (" (under JS)" if folder else "")
    if folder:
        return folder
    if "libc" in leaf[1]:
        return "libc (no JS frame)"
    return "V8/node runtime (no JS frame)"


def main(path):
    per = collections.defaultdict(collections.Counter)
    first_fleet, first_t, last_t = {}, {}, {}
    roles = collections.defaultdict(collections.Counter)
    samples = list(parse(path))
    for (tid, t, _), frames in samples:
        syms = " ".join(s for s, _ in frames)
        if tid not in first_fleet and FLEET.search(syms):
            first_fleet[tid] = t
        first_t.setdefault(tid, t)
        last_t[tid] = t
        if "src/cli/" in syms or "sharded.ts" in syms:
            roles[tid]["main"] += 1
        if "tsx" in syms or "esbuild" in syms:
            roles[tid]["loader"] += 1
    total = 0
    for (tid, t, period), frames in samples:
        c = category(frames)
        if tid in first_fleet and t < first_fleet[tid]:
            c = "start (before its first fleet sample)"
        per[tid][c] += period
        total += period
    s = lambda p: p / 1e9
    print(f"total {s(total):.2f} CPU-s (perf periods), {len(samples)} samples")
    by_role = collections.defaultdict(collections.Counter)
    for tid, cats in sorted(per.items(), key=lambda kv: -sum(kv[1].values())):
        tot = sum(cats.values())
        role = role_of(tid, cats, first_fleet, roles)
        by_role[role].update(cats)
        if tot < total * 0.002:
            continue
        span = f"{first_t[tid] - min(first_t.values()):.1f}-{last_t[tid] - min(first_t.values()):.1f} s"
        print(f"\n## tid {tid}: {role}, {s(tot):.2f} CPU-s ({100 * tot / total:.1f} %), samples {span}")
        for c, v in cats.most_common(12):
            if v >= tot * 0.005:
                print(f"  {s(v):7.2f} s {100 * v / tot:5.1f} % of thread {100 * v / total:5.1f} % of run  {c}")
    print("\n# by role (all threads of a role together)")
    for role, cats in sorted(by_role.items(), key=lambda kv: -sum(kv[1].values())):
        tot = sum(cats.values())
        top = ", ".join(f"{c} {s(v):.2f}" for c, v in cats.most_common(8))
        print(f"{s(tot):7.2f} s {100 * tot / total:5.1f} %  {role}: {top}")


def role_of(tid, cats, first_fleet, roles):
    tot = sum(cats.values())
    if tid in first_fleet:
        return "shard worker"
    if roles[tid]["main"]:
        return "main (parent)"
    if cats["GC"] + cats["JIT"] > 0.5 * tot:
        return "V8 platform helper (GC/JIT)"
    if roles[tid]["loader"]:
        return "loader (tsx hooks)"
    return "other"


if __name__ == "__main__":
    main(sys.argv[1])
