// The shard worker's code as one script (issue 4: 10,000 phones × 1 h in
// ≤ 60 s on 2 cores). A worker that registered tsx and imported
// shard-worker.ts resolved and loaded every module of the core through tsx's
// loader-hooks thread: booting two workers took 2.6–3.7 s wall and as many
// CPU-s, before the first shard ran. The same module graph bundled once per
// process by esbuild (the transpiler tsx itself runs) boots two workers in
// ≈ 0.5 s. keepNames as tsx sets it: function names stay what they were.
import { fileURLToPath } from "node:url";
import { buildSync } from "esbuild";
import { assert } from "../core/assert.ts";

let bundled: string | undefined;

/** CommonJS source for `new Worker(source, { eval: true })`, built on first use and kept for the process. */
export function shardWorkerSource(): string {
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
