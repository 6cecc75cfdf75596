// Scans files and directories with a loaded database (the engine behind
// `mirrorcell scan`, paper §5.2): in this thread for small jobs, in a worker
// pool for big ones. Verdicts come back in walk order whatever the pool does.
import { assert } from "../../core/assert.ts";
import { limits } from "../../core/limits.ts";
import type { LoadedDatabase } from "./database-loader.ts";
import { walkPaths } from "./file-walker.ts";
import { type FileVerdict, scanFile } from "./scan-file.ts";
import { defaultWorkerCount, ScanPool } from "./worker-pool.ts";

export interface PathScanOptions {
  allMatch?: boolean;
  /** Background worker threads (this thread scans too); 0 scans here only. Default: cores − 1 for big jobs. */
  workers?: number;
  onVerdict?: (verdict: FileVerdict, done: number, total: number) => void;
}

export interface PathScanReport {
  verdicts: FileVerdict[];
  walkErrors: { path: string; message: string }[];
  bytesScanned: number;
  workers: number;
}

export async function scanPaths(
  database: LoadedDatabase,
  paths: readonly string[],
  options: PathScanOptions = {},
): Promise<PathScanReport> {
  const walked = walkPaths(paths);
  const totalBytes = walked.files.reduce((sum, f) => sum + f.size, 0);
  const allMatch = options.allMatch === true;
  const wanted =
    options.workers ??
    (totalBytes >= limits.scanPoolBytesMin && walked.files.length > 1 ? defaultWorkerCount() : 0);
  const verdicts: FileVerdict[] = new Array(walked.files.length);
  let done = 0;
  const record = (index: number, verdict: FileVerdict): void => {
    verdicts[index] = verdict;
    done++;
    options.onVerdict?.(verdict, done, walked.files.length);
  };
  if (wanted === 0) {
    for (const [i, f] of walked.files.entries())
      record(i, scanFile(database.engine, f.path, f.size, allMatch));
  } else {
    const pool = new ScanPool(database.compiled, wanted, database.engine);
    try {
      await Promise.all(
        walked.files.map((f, i) =>
          pool.scan(f.path, f.size, allMatch).then((v) => record(i, { ...v, path: f.path })),
        ),
      );
    } finally {
      await pool.close();
    }
  }
  assert(done === walked.files.length, "every file has a verdict");
  const bytesScanned = verdicts.reduce((sum, v) => sum + v.bytesScanned, 0);
  return { verdicts, walkErrors: walked.errors, bytesScanned, workers: wanted };
}
