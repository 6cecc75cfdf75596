// The action of `mirrorcell scan` (options in scan.ts, loaded when the
// command runs): a clamscan-compatible scanner (paper §5.2). Prints
// `PATH: NAME FOUND` per infected file and exits 0 clean / 1 found / 2 error,
// like `clamscan -r --no-summary -i`. The builtin engine loads .ndb/.hdb/.hsb
// files (compiled copy cached on disk); --engine clamd streams files to a
// running clamd instead.
import { readFileSync } from "node:fs";
import { SingleBar } from "cli-progress";
import { ErrorCodes, MirrorcellError } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import {
  clamdScanBytes,
  type FileVerdict,
  type LoadedDatabase,
  loadDatabases,
  scanPaths,
  walkPaths,
} from "../../live/antivirus/index.ts";

export interface ScanOpts {
  db: string[];
  json?: boolean;
  engine: string;
  clamdSocket?: string;
  allmatch?: boolean;
  workers?: string;
  cache: boolean;
  cacheDir?: string;
}

function progressBar(): ((done: number, total: number) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  let bar: SingleBar | undefined;
  return (done, total) => {
    if (total < limits.scanProgressFilesMin) return;
    if (bar === undefined) {
      bar = new SingleBar({ stream: process.stderr, format: "scanning [{bar}] {value}/{total} files" });
      bar.start(total, 0);
    }
    bar.update(done);
    if (done === total) bar.stop();
  };
}

async function scanWithClamd(socket: string, paths: string[]): Promise<FileVerdict[]> {
  const walked = walkPaths(paths);
  const verdicts: FileVerdict[] = walked.errors.map((e) => ({
    path: e.path,
    detections: [],
    bytesScanned: 0,
    error: e.message,
  }));
  for (const file of walked.files) {
    if (file.size > limits.scanFileBytesMax) {
      verdicts.push({ path: file.path, detections: [], bytesScanned: 0, skipped: "too large" });
      continue;
    }
    const bytes = readFileSync(file.path);
    const answer = await clamdScanBytes(socket, bytes);
    const detections = answer.infected ? [{ name: answer.name, inside: [] }] : [];
    verdicts.push({ path: file.path, detections, bytesScanned: bytes.length });
  }
  return verdicts;
}

function reportSkipped(database: LoadedDatabase): void {
  for (const s of database.skipped.slice(0, limits.scanSkippedLinesShownMax)) {
    process.stderr.write(`mirrorcell: skipped ${s.file}:${s.line}: ${s.reason}\n`);
  }
  if (database.skipped.length > limits.scanSkippedLinesShownMax) {
    process.stderr.write(
      `mirrorcell: skipped ${database.skipped.length - limits.scanSkippedLinesShownMax} more lines (see --json)\n`,
    );
  }
}

/** The action of `mirrorcell scan` (registered in scan.ts): the exit code, 0 clean, 1 found, 2 error. */
export async function runScan(paths: string[], opts: ScanOpts): Promise<number> {
  const started = performance.now();
  let verdicts: FileVerdict[];
  let database: LoadedDatabase | undefined;
  let loadMs = 0;
  let loadCpuMs = 0;
  if (opts.engine === "clamd") {
    if (opts.clamdSocket === undefined)
      throw new MirrorcellError(ErrorCodes.USAGE, "--engine clamd needs --clamd-socket PATH");
    verdicts = await scanWithClamd(opts.clamdSocket, paths);
  } else if (opts.engine === "builtin") {
    const loadStarted = performance.now();
    const loadCpu = process.cpuUsage();
    database = loadDatabases(opts.db, { cacheDir: opts.cache ? opts.cacheDir : false });
    loadMs = Math.round(performance.now() - loadStarted);
    const cpu = process.cpuUsage(loadCpu);
    loadCpuMs = Math.round((cpu.user + cpu.system) / 1000);
    if (!opts.json) reportSkipped(database);
    const progress = progressBar();
    const workers = opts.workers === undefined ? undefined : Number(opts.workers);
    if (
      workers !== undefined &&
      !(Number.isInteger(workers) && workers >= 0 && workers <= limits.scanWorkersMax)
    ) {
      throw new MirrorcellError(ErrorCodes.USAGE, `--workers must be 0..${limits.scanWorkersMax}`);
    }
    const report = await scanPaths(database, paths, {
      allMatch: opts.allmatch === true,
      ...(workers === undefined ? {} : { workers }),
      ...(progress === undefined ? {} : { onVerdict: (_v, done, total) => progress(done, total) }),
    });
    verdicts = [
      ...report.walkErrors.map((e) => ({ path: e.path, detections: [], bytesScanned: 0, error: e.message })),
      ...report.verdicts,
    ];
  } else {
    throw new MirrorcellError(ErrorCodes.USAGE, `unknown engine '${opts.engine}' (builtin or clamd)`);
  }
  const infected = verdicts.filter((v) => v.detections.length > 0);
  const errors = verdicts.filter((v) => v.error !== undefined);
  if (opts.json) {
    const elapsedMs = Math.round(performance.now() - started);
    const bytesScanned = verdicts.reduce((sum, v) => sum + v.bytesScanned, 0);
    const db =
      database === undefined
        ? undefined
        : {
            version: database.engine.version,
            bodySignatures: database.engine.body.size,
            hashSignatures: database.engine.hashes.size,
            fromCache: database.fromCache,
            loadMs,
            loadCpuMs,
            skipped: database.skipped,
          };
    process.stdout.write(
      `${JSON.stringify({ files: verdicts.length, infected, errors, bytesScanned, elapsedMs, database: db })}\n`,
    );
  } else {
    for (const v of verdicts) {
      for (const d of v.detections) process.stdout.write(`${v.path}: ${d.name} FOUND\n`);
      if (v.error !== undefined) process.stderr.write(`${v.path}: ${v.error} ERROR\n`);
    }
  }
  return errors.length > 0 ? 2 : infected.length > 0 ? 1 : 0;
}
