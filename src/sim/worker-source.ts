// The shard worker's code as one script (issue 4: 10,000 phones × 1 h in
// ≤ 60 s on 2 cores). A worker that registered tsx and imported
// shard-worker.ts resolved and loaded every module of the core through tsx's
// loader-hooks thread: booting two workers took 2.6–3.7 s wall and as many
// CPU-s, before the first shard ran. The same module graph bundled once per
// process by esbuild (the transpiler tsx itself runs) boots two workers in
// ≈ 0.5 s. keepNames as tsx sets it: function names stay what they were.
// Profiles of a bundled worker name one script, not the source files:
// MIRRORCELL_SHARD_WORKER=tsx loads the modules one by one again (for
// `perf` by source file, bench/perf/thread-breakdown.py).
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { assert } from "../core/assert.ts";

let bundled: string | undefined;

/** Source for `new Worker(source, { eval: true })`: the bundle, built on first use and kept for the process. */
export function shardWorkerSource(): string {
  if (process.env.MIRRORCELL_SHARD_WORKER === "tsx") return tsxBootstrap();
  if (bundled !== undefined) return bundled;
  const entry = fileURLToPath(new URL("./shard-worker.ts", import.meta.url));
  const out = buildSync({
    entryPoints: [entry],
    bundle: true,
    format: "cjs",
    platform: "node",
    target: "node20",
    keepNames: true,
    write: false,
    logLevel: "silent",
  });
  assert(out.errors.length === 0, "esbuild reports errors by throwing");
  assert(out.outputFiles.length === 1, `one bundle for the shard worker, got ${out.outputFiles.length}`);
  bundled = out.outputFiles[0]!.text;
  return bundled;
}

/** The worker registers tsx itself (the CLI may run without `--import tsx`), then imports the shard body. */
function tsxBootstrap(): string {
  const tsx = import.meta.resolve("tsx/esm/api");
  const body = new URL("./shard-worker.ts", import.meta.url).href;
  return `import(${JSON.stringify(tsx)}).then((api) => { api.register(); return import(${JSON.stringify(body)}); });`;
}
