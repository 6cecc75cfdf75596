// Expands the CLI's PATH arguments into the files to scan, like
// `clamscan -r`: directories recurse (sorted, so runs are reproducible),
// symbolic links inside directories are not followed.
import { lstatSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { assert } from "../../core/assert.ts";
import { limits } from "../../core/limits.ts";

export interface WalkedFile {
  path: string;
  size: number;
}

export interface WalkResult {
  files: WalkedFile[];
  errors: { path: string; message: string }[];
}

function walkDirectory(dir: string, depth: number, out: WalkResult): void {
  assert(depth <= limits.pathDepthMax * 4, "walk depth bound");
  let names: string[];
  try {
    names = readdirSync(dir).sort();
  } catch (error) {
    out.errors.push({ path: dir, message: (error as Error).message });
    return;
  }
  for (const name of names) {
    const path = join(dir, name);
    const stat = lstatSync(path, { throwIfNoEntry: false });
    if (stat === undefined || stat.isSymbolicLink()) continue;
    if (stat.isDirectory()) walkDirectory(path, depth + 1, out);
    else if (stat.isFile()) out.files.push({ path, size: stat.size });
  }
}

export function walkPaths(paths: readonly string[]): WalkResult {
  const out: WalkResult = { files: [], errors: [] };
  for (const path of paths) {
    const stat = statSync(path, { throwIfNoEntry: false });
    if (stat === undefined) out.errors.push({ path, message: "No such file or directory" });
    else if (stat.isDirectory()) walkDirectory(path, 0, out);
    else out.files.push({ path, size: stat.size });
  }
  assert(
    out.files.every((f) => f.size >= 0),
    "sizes are non-negative",
  );
  return out;
}
