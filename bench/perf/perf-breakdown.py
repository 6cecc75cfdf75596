#!/usr/bin/env python3
# CPU-true breakdown of `perf script -F comm,tid,period,ip,sym,dso` output for a node --perf-basic-prof run.
# Categories per sample (first match over the stack), and per source file (innermost JS frame, natives below it included).
# usage: perf-breakdown.py PERF_SCRIPT.txt [MAIN_TID] [TOP]   (see docs/benchmarks.md "Simulator CPU breakdown (session 4)")
import os, re, sys, collections
repo_root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
path = sys.argv[1]
main_tid = sys.argv[2] if len(sys.argv) > 2 else None
GC = re.compile(r"Scavenger|ScavengerCollector|MarkCompact|ConcurrentMarking|Sweeper|ArrayBufferSweeper|IncrementalMarking|MinorMark|MarkingVisitor|Heap::CollectGarbage|Heap::PerformGarbageCollection|GCTracer|Heap::Scavenge|MemoryAllocator|PagedSpace|LargeObjectSpace::|Evacuat")
COMP = re.compile(r"v8::internal::compiler::|maglev::|v8::internal::Compiler::|OptimizingCompileDispatcher|BackgroundCompileTask|Parser::|BytecodeGenerator|baseline::|CompileLazy|Runtime_CompileOptimized|Runtime_CompileLazy|turboshaft")
samples = []
def flush(head, frames):
    if head is not None: samples.append((head, frames))
head = None; frames = []
with open(path, errors="replace") as f:
    for line in f:
        if not line.strip():
            flush(head, frames); head = None; frames = []; continue
        if not line.startswith((" ", "\t")):
            flush(head, frames)
            parts = line.split()
            head = (parts[0], parts[1], int(parts[2])); frames = []; continue
        m = re.match(r"\s*([0-9a-f]+)\s+(.*?)\s+\((.*)\)\s*$", line)
        if m: frames.append((m.group(2), m.group(3)))
flush(head, frames)
total = sum(h[2] for h, _ in samples)
def cat(frames):
    if not frames: return "unknown"
    leafsym, leafdso = frames[0]
    syms = " ".join(s for s, _ in frames)
    if "kernel" in leafdso:
        if GC.search(syms): return "GC (kernel part: page faults, madvise)"
        return "kernel (syscalls, page faults, scheduling)"
    if GC.search(syms): return "GC"
    if COMP.search(syms): return "JIT compiler (TurboFan/Maglev/Sparkplug, parse)"
    if "libcrypto" in leafdso or "sha256" in leafsym: return "crypto (OpenSSL SHA-256)"
    if leafsym.startswith("JS:*"): return "JS, optimized (TurboFan)"
    if leafsym.startswith("JS:+"): return "JS, Maglev"
    if leafsym.startswith("JS:^"): return "JS, baseline (Sparkplug)"
    if leafsym.startswith("JS:~") or leafsym.startswith("JS:"): return "JS, interpreted/other"
    if re.match(r"Builtins_\w*Handler", leafsym) or "BytecodeHandler" in leafsym: return "interpreter bytecode handlers"
    if leafsym.startswith("Builtins_"):
        if "IC" in leafsym: return "V8 builtins: inline caches (ICs)"
        if "RecordWrite" in leafsym: return "V8 builtins: write barrier"
        return "V8 builtins: other (Map/Set, strings, arrays, calls)"
    if "libc" in leafdso:
        if re.search(r"malloc|free|_int_|unlink_chunk|tcache", leafsym): return "libc malloc/free"
        return "libc memmove/memset/other"
    if "[unknown]" in leafdso or leafsym == "[unknown]": return "unknown (unsymbolized)"
    return "V8/Node C++ runtime (non-GC)"
def filekey(frames):
    for sym, dso in frames:
        if sym.startswith("JS:"):
            m = re.search(r"file://(/\S+?):\d+:\d+", sym)
            if m:
                p = m.group(1)
                p = p[len(repo_root) + 1:] if p.startswith(repo_root + "/") else p
                if "node_modules/" in p:
                    q = p.split("node_modules/")[-1].split("/")
                    return "node_modules/" + (q[0] + "/" + q[1] if q[0].startswith("@") else q[0])
                return p
            if "node:" in sym: return "node: internals"
            return "JS (no file: builtin-ish)"
    return None
cats = collections.Counter(); files_incl = collections.Counter(); files_self = collections.Counter(); threads = collections.Counter()
filecat = collections.defaultdict(collections.Counter)
for (comm, tid, period), fr in samples:
    c = cat(fr); cats[c] += period
    threads["main" if tid == main_tid else "other threads (GC helpers, compiler, libuv)"] += period
    fk = filekey(fr)
    if fk is None: fk = "(no JS frame: " + ("GC" if c.startswith("GC") else "compiler" if c.startswith("JIT") else "other") + ")"
    files_incl[fk] += period
    filecat[fk][c] += period
    if fr and fr[0][0].startswith("JS:"): files_self[fk] += period
ms = lambda p: p / 1e6
print(f"total {ms(total)/1000:.2f} CPU-s, {len(samples)} samples")
print("\n## threads"); [print(f"{ms(v)/1000:8.2f} s {100*v/total:5.1f} %  {k}") for k, v in threads.most_common()]
print("\n## categories"); [print(f"{ms(v)/1000:8.2f} s {100*v/total:5.1f} %  {k}") for k, v in cats.most_common()]
print("\n## by source file (innermost JS frame; natives below it included) | JS self")
for k, v in files_incl.most_common(int(sys.argv[3]) if len(sys.argv) > 3 else 40):
    top = ", ".join(f"{c.split(' (')[0].split(':')[0]} {100*n/v:.0f}%" for c, n in filecat[k].most_common(3))
    print(f"{ms(v)/1000:8.2f} s {100*v/total:5.1f} % | self {ms(files_self[k])/1000:6.2f} s  {k}   [{top}]")
