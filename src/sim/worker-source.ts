// The shard worker's code as one script (issue 4: 10,000 phones × 1 h in
// ≤ 60 s on 2 cores). A worker that registered tsx and imported
// shard-worker.ts resolved and loaded every module of the core through tsx's
// loader-hooks thread: booting two workers took 2.6–3.7 s wall and as many
// CPU-s, before the first shard ran. The same module graph bundled once per
// process by esbuild (the transpiler tsx itself runs) boots two workers in
// ≈ 0.5 s. keepNames as tsx sets it: function names stay what they were.
// The bundle is kept on disk (node_modules/.cache/mirrorcell) with the hash
// of every input's content, so a later run with the same sources reads it
// (~0.1 s) instead of building it (0.3–0.9 s wall before the first worker
// could start).
// Profiles of a bundled worker name one script, not the source files:
// MIRRORCELL_SHARD_WORKER=tsx loads the modules one by one again (for
// `perf` by source file, bench/perf/thread-breakdown.py).
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildSync, version } from "esbuild";
import { assert } from "../core/assert.ts";

let bundled: string | undefined;

/** Source for `new Worker(source, { eval: true })`: the bundle, loaded on first use and kept for the process. */
export function shardWorkerSource(): string {
  if (process.env.MIRRORCELL_SHARD_WORKER === "tsx") return tsxBootstrap();
  if (bundled !== undefined) return bundled;
  const entry = fileURLToPath(new URL("./shard-worker.ts", import.meta.url));
  // Beside the installed packages, not in a shared temp directory: the file
  // is code this process runs, so it must be as trusted as the sources.
  const cacheFile = fileURLToPath(
    new URL("../../node_modules/.cache/mirrorcell/shard-worker.json", import.meta.url),
  );
  bundled = cachedBundle(entry, cacheFile).code;
  return bundled;
}

/** A bundle on disk: the code and the content hash of every file it was built from. */
interface CachedBundle {
  key: string;
  /** Absolute path → sha256 of the content the bundle holds. */
  inputs: Record<string, string>;
  code: string;
}

/**
 * `entry` bundled, from `cacheFile` when every input it lists still has the
 * content it was built from (a new import can only come from a changed
 * file), else built and written back. `fromCache` says which (tests).
 */
export function cachedBundle(entry: string, cacheFile: string): { code: string; fromCache: boolean } {
  const key = `esbuild ${version} cjs node20 keepNames ${entry}`;
  const cached = readCache(cacheFile, key);
  if (cached !== undefined) return { code: cached.code, fromCache: true };
  const startedMs = Date.now();
  const { bundle: built, newestInputMs } = build(entry, key);
  // A file written while esbuild read it may hash differently from what was
  // bundled: such a bundle serves this run only.
  if (newestInputMs >= startedMs - inputSettleMs) return { code: built.code, fromCache: false };
  try {
    // Another process may write the same file: each writes its own and renames it over.
    mkdirSync(dirname(cacheFile), { recursive: true });
    const scratch = `${cacheFile}.${process.pid}.${Date.now()}`;
    writeFileSync(scratch, JSON.stringify(built));
    renameSync(scratch, cacheFile);
  } catch {
    // An unwritable cache directory costs the next run a build, nothing else.
  }
  return { code: built.code, fromCache: false };
}

/** Inputs modified this recently before a build (mtime granularity, clock steps) are not trusted to the cache. */
const inputSettleMs = 2_000;

function readCache(cacheFile: string, key: string): CachedBundle | undefined {
  let cached: CachedBundle;
  try {
    cached = JSON.parse(readFileSync(cacheFile, "utf8")) as CachedBundle;
    if (cached.key !== key || typeof cached.code !== "string") return undefined;
    for (const [path, hash] of Object.entries(cached.inputs)) {
      if (sha256Hex(readFileSync(path)) !== hash) return undefined;
    }
  } catch {
    return undefined; // missing, unreadable or from another layout: build anew
  }
  assert(Object.keys(cached.inputs).length > 0, "a cached bundle lists its inputs");
  return cached;
}

function build(entry: string, key: string): { bundle: CachedBundle; newestInputMs: number } {
  const workingDir = dirname(entry);
  const out = buildSync({
    entryPoints: [entry],
    absWorkingDir: workingDir,
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    keepNames: true,
    metafile: true,
    write: false,
    logLevel: "silent",
  });
  assert(out.errors.length === 0, "esbuild reports errors by throwing");
  assert(out.outputFiles.length === 1, `one bundle for the shard worker, got ${out.outputFiles.length}`);
  const inputs: Record<string, string> = {};
  let newestInputMs = 0;
  for (const input of Object.keys(out.metafile.inputs)) {
    const path = resolve(workingDir, input);
    inputs[path] = sha256Hex(readFileSync(path));
    newestInputMs = Math.max(newestInputMs, statSync(path).mtimeMs);
  }
  return { bundle: { key, inputs, code: out.outputFiles[0]!.text }, newestInputMs };
}

function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The worker registers tsx itself (the CLI may run without `--import tsx`), then imports the shard body. */
function tsxBootstrap(): string {
  const tsx = import.meta.resolve("tsx/esm/api");
  const body = new URL("./shard-worker.ts", import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(body)}); });`;
}
