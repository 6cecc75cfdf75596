// Loads ClamAV database files for the live runtime (paper §5.2) and keeps a
// compiled copy on disk keyed by the databases' content hash, so the next
// load of an unchanged database skips parsing and index building.
import { createHash } from "node:crypto";
import { mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { basename, join } from "node:path";
import { assert } from "../../core/assert.ts";
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import {
  compileDatabase,
  databaseKindOf,
  deserializeEngine,
  emptyParsedDatabase,
  type ParsedDatabase,
  parseDatabaseText,
  type ScanEngine,
  type SkippedLine,
  serializeEngine,
} from "../../services/antivirus/index.ts";

export interface LoadedDatabase {
  engine: ScanEngine;
  skipped: SkippedLine[];
  fromCache: boolean;
  /** The compiled engine as bytes: what worker threads load. */
  compiled: Uint8Array;
}

export interface LoadOptions {
  /** Directory for compiled databases; false disables the cache. */
  cacheDir?: string | false;
}

export function defaultCacheDir(): string {
  const base = process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache");
  return join(base, "mirrorcell", "antivirus");
}

interface DatabaseFile {
  path: string;
  name: string;
  bytes: Buffer;
}

/**
 * Expands directories (like `clamscan -d DIR`) into their database files,
 * sorted; other files in them are reported as skipped, not silently dropped.
 */
function expandPaths(paths: readonly string[], skipped: SkippedLine[]): string[] {
  const out: string[] = [];
  for (const path of paths) {
    if (!statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      out.push(path);
      continue;
    }
    for (const name of readdirSync(path).sort()) {
      if (!statSync(join(path, name), { throwIfNoEntry: false })?.isFile()) continue;
      if (databaseKindOf(name) !== undefined) out.push(join(path, name));
      else
        skipped.push({
          file: join(path, name),
          line: 0,
          reason: "not a supported database type (.ndb, .hdb, .hsb)",
        });
    }
  }
  assert(out.length <= paths.length + limits.signaturesMax, "expansion bound");
  return out;
}

function readAll(paths: readonly string[]): DatabaseFile[] {
  return paths.map((path) => {
    try {
      return { path, name: basename(path), bytes: readFileSync(path) };
    } catch (error) {
      throw new MirrorcellError(
        ErrorCodes.IO_FAILED,
        `cannot read database ${path}: ${(error as Error).message}`,
      );
    }
  });
}

/** The database version: a hash over file names and contents (and the cache format). */
function versionOf(files: readonly DatabaseFile[]): string {
  const hash = createHash("sha256").update("mirrorcell-av-4\n");
  for (const f of files) hash.update(`${f.name}\n${f.bytes.length}\n`).update(f.bytes);
  return hash.digest("hex");
}

function tryCache(
  path: string,
): { engine: ScanEngine; skipped: SkippedLine[]; compiled: Uint8Array } | undefined {
  try {
    const compiled = readFileSync(path);
    const skipped = JSON.parse(readFileSync(`${path}.skipped.json`, "utf8")) as SkippedLine[];
    const engine = deserializeEngine(compiled);
    return engine.ok ? { engine: engine.value, skipped, compiled } : undefined;
  } catch {
    return undefined;
  }
}

function writeCache(path: string, compiled: Uint8Array, skipped: SkippedLine[]): void {
  try {
    const tmp = `${path}.${process.pid}.tmp`;
    writeFileSync(`${path}.skipped.json`, JSON.stringify(skipped));
    writeFileSync(tmp, compiled);
    renameSync(tmp, path);
  } catch {
    // A cache that cannot be written only costs the next load its speed.
  }
}

export function loadDatabases(paths: readonly string[], options: LoadOptions = {}): LoadedDatabase {
  if (paths.length === 0) throw new MirrorcellError(ErrorCodes.USAGE, "no database given (--db FILE)");
  const dirSkipped: SkippedLine[] = [];
  const files = readAll(expandPaths(paths, dirSkipped));
  if (files.length === 0)
    throw new MirrorcellError(ErrorCodes.DATABASE_EMPTY, `no database files in ${paths.join(", ")}`);
  const version = versionOf(files);
  const cacheDir = options.cacheDir === undefined ? defaultCacheDir() : options.cacheDir;
  const cachePath = cacheDir === false ? undefined : join(cacheDir, `${version}.mcdb`);
  const cached = cachePath === undefined ? undefined : tryCache(cachePath);
  if (cached !== undefined) {
    assert(cached.engine.version === version, "cache file matches its key");
    return {
      ...cached,
      skipped: [...dirSkipped, ...cached.skipped.filter((x) => x.line > 0)],
      fromCache: true,
    };
  }
  let parsed: ParsedDatabase = { ...emptyParsedDatabase(), skipped: dirSkipped };
  for (const file of files) {
    const result = parseDatabaseText(file.path, file.bytes.toString("latin1"), parsed);
    if (!result.ok) throw result.error;
    parsed = result.value;
  }
  const engine = compileDatabase(parsed, version);
  if (!engine.ok) throw engine.error;
  const compiled = serializeEngine(engine.value);
  if (cacheDir !== false && cachePath !== undefined) {
    mkdirSync(cacheDir, { recursive: true });
    writeCache(cachePath, compiled, parsed.skipped);
  }
  return { engine: engine.value, skipped: parsed.skipped, fromCache: false, compiled };
}
