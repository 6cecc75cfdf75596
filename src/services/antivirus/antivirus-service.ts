// The antivirus service on mirror storage (paper §5.2, Table 2): scans a
// mirror's storage on request and scans changed blobs as replay writes them,
// with verdicts cached per (blob digest, database version) so a blob shared
// by a whole fleet is scanned once. Sans-IO: storage, hashing and the
// database come in; a scan job advances in bounded steps so the runtime can
// interleave it with other work, and it keeps the engine it started with.
import { assert } from "../../core/assert.ts";
import { toHex } from "../../core/bytes.ts";
import { limits } from "../../core/limits.ts";
import type { StepBudget, StepUsage } from "../api.ts";
import type { DatabaseHolder } from "./database-holder.ts";
import type { HashFactory } from "./hash-ports.ts";
import type { ScanEngine } from "./scan-engine.ts";
import type { StorageDetection } from "./scan-request.ts";
import { type BlobVerdict, VerdictCache } from "./verdict-cache.ts";

/** What the service needs of a storage (src/platform Storage fits). */
export interface ScannableStorage {
  walk(): Iterable<{ path: string; sha256: Uint8Array; size: number }>;
  blob(sha256: Uint8Array): Uint8Array | undefined;
}

export interface StorageScanReport {
  version: string;
  filesScanned: number;
  detections: StorageDetection[];
  /** Blobs this scan actually ran the engine on (the rest were cache hits). */
  blobsScanned: number;
  cacheHits: number;
}

export interface AntivirusServiceOptions {
  database: DatabaseHolder;
  hash: HashFactory;
  cache?: VerdictCache;
}

function inScope(path: string, scope: string): boolean {
  if (scope === "/") return true;
  const prefix = scope.endsWith("/") ? scope : `${scope}/`;
  return path === scope || path.startsWith(prefix);
}

/** A scan of one storage, advanced by step() or advance(); it keeps the engine it began with. */
export class StorageScanJob {
  private readonly files: Iterator<{ path: string; sha256: Uint8Array; size: number }>;
  private finished = false;
  /** A file the last step reached but left for the next one (it would have overrun the byte budget). */
  private held: { path: string; sha256: Uint8Array; size: number } | undefined;
  readonly report: StorageScanReport;
  /** Steps taken and bytes read from storage (cache misses only). */
  steps = 0;
  bytesRead = 0;

  constructor(
    private readonly service: AntivirusService,
    private readonly engine: ScanEngine,
    private readonly storage: ScannableStorage,
    private readonly scope: string,
  ) {
    this.files = storage.walk()[Symbol.iterator]();
    this.report = { version: engine.version, filesScanned: 0, detections: [], blobsScanned: 0, cacheHits: 0 };
  }

  get done(): boolean {
    return this.finished;
  }

  /** Scans up to filesMax more files; returns true when the job is complete. */
  step(filesMax: number): boolean {
    this.advance({ filesMax, bytesMax: Number.POSITIVE_INFINITY });
    return this.finished;
  }

  /**
   * One bounded step: scans files until the budget is spent. Cache hits cost
   * a file but no bytes; the first file of a step is always scanned (unless
   * another job of the same step already scanned one: firstFileFree false),
   * so a step reads at most max(bytesMax, one file). Out-of-scope entries
   * cost a visit (limits.serviceStepEntriesMax).
   */
  advance(budget: StepBudget, firstFileFree = true): StepUsage {
    assert(budget.filesMax >= 1 && budget.bytesMax >= 1, "a step scans at least one file");
    const used: StepUsage = { files: 0, bytes: 0 };
    for (let visits = 0; used.files < budget.filesMax && !this.finished; visits++) {
      if (visits >= limits.serviceStepEntriesMax) break;
      const file = this.held ?? this.nextFile();
      this.held = undefined;
      if (file === undefined) break;
      if (!inScope(file.path, this.scope)) continue;
      const key = toHex(file.sha256);
      const cached = this.service.hasVerdict(key, this.engine.version);
      const free = firstFileFree && used.files === 0;
      if (!cached && !free && used.bytes + file.size > budget.bytesMax) {
        this.held = file;
        break;
      }
      used.files++;
      if (!cached) used.bytes += file.size;
      this.scanOne(file);
    }
    this.steps++;
    this.bytesRead += used.bytes;
    assert(used.files <= budget.filesMax, "a step stays within its file budget");
    return used;
  }

  private nextFile(): { path: string; sha256: Uint8Array; size: number } | undefined {
    const next = this.files.next();
    if (next.done !== true) return next.value;
    this.finished = true;
    return undefined;
  }

  private scanOne(file: { path: string; sha256: Uint8Array }): void {
    this.report.filesScanned++;
    const { verdict, cached } = this.service.verdictWith(this.engine, file.sha256, () =>
      this.storage.blob(file.sha256),
    );
    if (cached) this.report.cacheHits++;
    else this.report.blobsScanned++;
    for (const d of verdict.detections)
      this.report.detections.push({ path: file.path, name: d.name, inside: d.inside });
  }
}

export class AntivirusService {
  readonly database: DatabaseHolder;
  private readonly hash: HashFactory;
  private readonly cache: VerdictCache;
  /** Engine runs over the service's lifetime (cache misses). */
  blobsScanned = 0;
  cacheHits = 0;

  constructor(options: AntivirusServiceOptions) {
    this.database = options.database;
    this.hash = options.hash;
    this.cache = options.cache ?? new VerdictCache();
  }

  /** Whether a verdict for this blob (SHA-256 hex) and engine version is cached. */
  hasVerdict(sha256Hex: string, version: string): boolean {
    return this.cache.get(sha256Hex, version) !== undefined;
  }

  /** The verdict for one blob with a given engine: cached, or scanned once. */
  verdictWith(
    engine: ScanEngine,
    sha256: Uint8Array,
    bytes: () => Uint8Array | undefined,
  ): { verdict: BlobVerdict; cached: boolean } {
    assert(sha256.length === 32, "blobs are named by SHA-256");
    const key = toHex(sha256);
    const hit = this.cache.get(key, engine.version);
    if (hit !== undefined) {
      this.cacheHits++;
      return { verdict: hit, cached: true };
    }
    const data = bytes();
    assert(data !== undefined, `storage lists blob ${key} but does not hold it`);
    const verdict = { version: engine.version, detections: engine.scan(data, this.hash).detections };
    this.cache.set(key, verdict);
    this.blobsScanned++;
    return { verdict, cached: false };
  }

  /** A scan job over the storage under scope, with the database current now. */
  beginScan(storage: ScannableStorage, scope = "/"): StorageScanJob {
    return new StorageScanJob(this, this.database.current, storage, scope);
  }

  /** Scans to completion (the core runs to completion; the runtime may use jobs instead). */
  scanStorage(storage: ScannableStorage, scope = "/"): StorageScanReport {
    const job = this.beginScan(storage, scope);
    let steps = 0;
    while (!job.step(limits.serviceStepFilesMax)) steps++;
    assert(steps >= 0 && job.done, "scan finished");
    return job.report;
  }

  /** On-the-fly mode: the verdicts for files replay just wrote (path, sha256 known). */
  scanWritten(
    storage: ScannableStorage,
    written: readonly { path: string; sha256: Uint8Array }[],
  ): StorageDetection[] {
    const engine = this.database.current;
    const out: StorageDetection[] = [];
    for (const file of written) {
      const { verdict } = this.verdictWith(engine, file.sha256, () => storage.blob(file.sha256));
      for (const d of verdict.detections) out.push({ path: file.path, name: d.name, inside: d.inside });
    }
    return out;
  }
}
