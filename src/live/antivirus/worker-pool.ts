// A pool of worker threads that scan files in parallel (paper §5.2: a 200 MB
// folder should take seconds). Each worker loads the compiled database from
// one SharedArrayBuffer; files are handed out one at a time so a large file
// does not hold up the queue. The calling thread scans too (between event-loop
// turns), so N cores need N−1 workers and scanning starts before they boot.
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { assert } from "../../core/assert.ts";
import { limits } from "../../core/limits.ts";
import type { ScanEngine } from "../../services/antivirus/scan-engine.ts";
import { type FileVerdict, scanFile } from "./scan-file.ts";
import type { ScanTask } from "./scan-worker.ts";

/** Background workers for this machine: one per core besides the calling thread. */
export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(limits.scanWorkersMax, availableParallelism() - 1));
}

/**
 * Node 20 does not apply `--import` loaders to a worker's entry module, so
 * the worker starts from a tiny script that loads the TypeScript entry
 * through tsx's API (resolved here, whatever the working directory).
 */
function workerBootstrap(): string {
  const api = import.meta.resolve("tsx/esm/api");
  const entry = new URL("./scan-worker.ts", import.meta.url).href;
  return `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(entry)}, ${JSON.stringify(import.meta.url)}));`;
}

export class ScanPool {
  private readonly workers: Worker[] = [];
  private readonly pending = new Map<number, (verdict: FileVerdict) => void>();
  private readonly idle: Worker[] = [];
  private readonly queue: ScanTask[] = [];
  private localBusy = false;
  private nextId = 0;

  /** local: the engine the calling thread scans with, or undefined to leave it all to workers. */
  constructor(
    compiled: Uint8Array,
    workerCount: number,
    private readonly local?: ScanEngine,
  ) {
    assert(workerCount >= 0 && workerCount <= limits.scanWorkersMax, "worker count in bounds");
    assert(workerCount > 0 || local !== undefined, "someone must scan");
    const shared = new SharedArrayBuffer(compiled.byteLength);
    new Uint8Array(shared).set(compiled);
    for (let i = 0; i < workerCount; i++) {
      const worker = new Worker(workerBootstrap(), { eval: true, workerData: { compiled: shared } });
      worker.on("message", (reply: { id: number; verdict: FileVerdict }) => this.onReply(worker, reply));
      worker.on("error", (error) => this.failAll(error));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  scan(path: string, size: number, allMatch: boolean): Promise<FileVerdict> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.pending.set(id, resolve);
      this.queue.push({ id, path, size, allMatch });
      this.dispatch();
    });
  }

  async close(): Promise<void> {
    assert(this.pending.size === 0, "close only an idle pool");
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      this.idle.pop()!.postMessage(this.queue.shift()!);
    }
    if (this.local !== undefined && !this.localBusy && this.queue.length > 0) {
      const engine = this.local;
      const task = this.queue.shift()!;
      this.localBusy = true;
      // One file per event-loop turn, so worker replies keep being dispatched.
      setImmediate(() => {
        const verdict = scanFile(engine, task.path, task.size, task.allMatch);
        this.localBusy = false;
        this.settle(task.id, verdict);
        this.dispatch();
      });
    }
  }

  private settle(id: number, verdict: FileVerdict): void {
    const resolve = this.pending.get(id);
    assert(resolve !== undefined, "a verdict answers a pending task");
    this.pending.delete(id);
    resolve(verdict);
  }

  private onReply(worker: Worker, reply: { id: number; verdict: FileVerdict }): void {
    this.idle.push(worker);
    this.settle(reply.id, reply.verdict);
    this.dispatch();
  }

  private failAll(error: Error): void {
    for (const [id, resolve] of this.pending) {
      resolve({ path: `#${id}`, detections: [], bytesScanned: 0, error: `worker failed: ${error.message}` });
    }
    this.pending.clear();
  }
}
