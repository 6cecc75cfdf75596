// Scan jobs waiting and running on one mirror server (paper §5.2): a scan is
// never run inside the replay hook; the hook queues a task over a snapshot of
// the mirror's storage and the runtime advances running jobs in bounded steps
// (ServiceHost.step). At most limits.scanJobsActiveMax jobs run at once,
// round-robin; at most limits.scanRequestsQueuedMax requests wait, beyond
// that a request is refused (the caller answers it with an error).
import { assert } from "../../core/assert.ts";
import { limits } from "../../core/limits.ts";
import type { StepBudget, StepUsage } from "../api.ts";
import type { ScannableStorage, StorageScanJob, StorageScanReport } from "./antivirus-service.ts";
import type { WrittenFiles } from "./written-files.ts";

export type ScanTask =
  | { kind: "request"; deviceId: string; requestId: string; source: ScannableStorage; scope: string }
  | { kind: "onthefly"; deviceId: string; source: ScannableStorage; written?: WrittenFiles };

export interface FinishedScan {
  task: ScanTask;
  report: StorageScanReport;
}

interface Running {
  task: ScanTask;
  job: StorageScanJob;
}

export class ScanQueue {
  private readonly waiting: ScanTask[] = [];
  private readonly running: Running[] = [];
  /** Waiting on-the-fly tasks that still take files, by device (O(1) lookup per written file). */
  private readonly open = new Map<string, WrittenFiles>();
  private requestsWaiting = 0;
  private turn = 0;

  /** `begin` starts a job when a task leaves the queue (with the database current then). */
  constructor(private readonly begin: (task: ScanTask) => StorageScanJob) {}

  get size(): number {
    return this.waiting.length + this.running.length;
  }

  /** Queues a task; a request is refused (false) when the request queue is full. */
  offer(task: ScanTask): boolean {
    if (task.kind === "request") {
      if (this.requestsWaiting >= limits.scanRequestsQueuedMax) return false;
      this.requestsWaiting++;
    }
    if (task.kind === "onthefly" && task.written !== undefined) {
      assert(!this.open.has(task.deviceId), "one open on-the-fly task per device");
      this.open.set(task.deviceId, task.written);
    }
    this.waiting.push(task);
    return true;
  }

  /** The device's waiting on-the-fly task that still takes files (at most one per device). */
  openOnTheFly(deviceId: string): WrittenFiles | undefined {
    const written = this.open.get(deviceId);
    if (written === undefined || !written.full) return written;
    this.open.delete(deviceId);
    return undefined;
  }

  /** One bounded step: running jobs in turn share the budget; returns what finished. */
  step(budget: StepBudget): { usage: StepUsage; finished: FinishedScan[] } {
    while (this.running.length < limits.scanJobsActiveMax && this.waiting.length > 0) {
      const task = this.waiting.shift()!;
      if (task.kind === "request") this.requestsWaiting--;
      if (task.kind === "onthefly" && this.open.get(task.deviceId) === task.written)
        this.open.delete(task.deviceId);
      this.running.push({ task, job: this.begin(task) });
    }
    assert(this.requestsWaiting >= 0 && this.requestsWaiting <= this.waiting.length, "request count");
    const usage: StepUsage = { files: 0, bytes: 0 };
    const finished: FinishedScan[] = [];
    // Each step starts with the next job in turn, so every job is sometimes first (and may overrun).
    const start = this.running.length === 0 ? 0 : this.turn++ % this.running.length;
    const order = [...this.running.slice(start), ...this.running.slice(0, start)];
    for (const entry of order) {
      const left = { filesMax: budget.filesMax - usage.files, bytesMax: budget.bytesMax - usage.bytes };
      if (left.filesMax < 1 || left.bytesMax < 1) break;
      const used = entry.job.advance(left, usage.files === 0);
      usage.files += used.files;
      usage.bytes += used.bytes;
      if (entry.job.done) {
        this.running.splice(this.running.indexOf(entry), 1);
        finished.push({ task: entry.task, report: entry.job.report });
      }
    }
    assert(usage.files <= budget.filesMax, "a step stays within its file budget");
    return { usage, finished };
  }
}
