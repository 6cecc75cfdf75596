// Reloads the signature databases into a running server's DatabaseHolder
// (issue 8: swap a new version in without stopping scans in flight). The new
// engine is fully loaded (from the compiled cache when possible) before the
// swap, which is one assignment; scans that began earlier keep the engine
// they took, and verdict caches keyed by version rescan lazily.
import { assert } from "../../core/assert.ts";
import type { DatabaseHolder, SkippedLine } from "../../services/antivirus/index.ts";
import { type LoadOptions, loadDatabases } from "./database-loader.ts";

export interface ReloadOutcome {
  swapped: boolean;
  version: string;
  skipped: SkippedLine[];
}

/** Loads `paths`; swaps the holder to it when the content changed. Throws typed errors and leaves the holder as it was. */
export function reloadDatabases(
  holder: DatabaseHolder,
  paths: readonly string[],
  options: LoadOptions = {},
): ReloadOutcome {
  const before = holder.version;
  const loaded = loadDatabases(paths, options);
  if (loaded.engine.version === before) return { swapped: false, version: before, skipped: loaded.skipped };
  holder.swap(loaded.engine);
  assert(holder.version === loaded.engine.version && holder.version !== before, "the swap took effect");
  return { swapped: true, version: holder.version, skipped: loaded.skipped };
}
