// Bulk upload through the mirror (paper §5.1.2): the phone applied a "fake"
// completed upload (cache-app action with via=mirror) and sent no file bytes;
// when the mirror replays that action this service reads the file from the
// mirror's storage and sends it to every recipient through the Outbox, with
// the phone as the sender. Failed sends are retried with capped exponential
// backoff (bounded by policy.uploadRetriesMax), then reported to the phone; a
// failed job keeps its bytes on the server until retried, so nothing is lost.
// Delivery ids are stable (device, input seq, recipient index): after a server
// restart the mirror replays from its checkpoint and sends again with the
// same ids, which recipients use to deduplicate (at-least-once delivery).
import { assert } from "../../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import type { UserInput } from "../../platform/inputs.ts";
import type { DeliveryResult, MirrorStorageView, ServicePorts } from "../api.ts";
import type { UploadAction } from "./cache-actions.ts";
import { type NoticeOutlet, textNotice } from "./notices.ts";
import { type CachingPolicy, retryDelayMs } from "./settings.ts";

export type DeliveryState = "sending" | "waiting" | "delivered" | "failed";

export interface DeliveryStatus {
  deliveryId: string;
  to: string;
  state: DeliveryState;
  attempts: number;
  lastError?: string;
  retryAtMs?: number;
}

export interface UploadJob {
  jobId: string;
  deviceId: string;
  path: string;
  size: number;
  sha256: Uint8Array;
  deliveries: DeliveryStatus[];
}

interface ActiveJob extends UploadJob {
  payload: Uint8Array;
}

export class BulkUploads {
  private readonly jobs = new Map<string, ActiveJob>();
  private readonly byDelivery = new Map<string, { job: ActiveJob; delivery: DeliveryStatus }>();
  /** Recently completed job ids, so a repeated replay of the same input does not send again. */
  private readonly completed = new Set<string>();
  private duplicates = 0;

  constructor(
    private readonly serviceName: string,
    private readonly ports: ServicePorts,
    private readonly policy: CachingPolicy,
    private readonly notices: NoticeOutlet,
  ) {}

  /** The mirror replayed an upload action: send the file on the phone's behalf. */
  start(
    deviceId: string,
    input: UserInput,
    action: UploadAction,
    storage: MirrorStorageView,
  ): Result<UploadJob | undefined> {
    assert(
      action.recipients.length > 0 && action.recipients.length <= limits.uploadRecipientsMax,
      "bad recipients",
    );
    if (action.route !== "mirror") return ok(undefined); // the phone sent it itself
    const jobId = `${deviceId}/${input.seq}`;
    if (this.jobs.has(jobId) || this.completed.has(jobId)) {
      this.duplicates++; // the same input replayed twice must not send twice
      return ok(this.jobs.get(jobId));
    }
    if (this.pendingCount(deviceId) >= limits.uploadJobsPerDeviceMax) {
      return fail(
        ErrorCodes.QUEUE_FULL,
        `Cannot upload ${action.path}: ${limits.uploadJobsPerDeviceMax} uploads pending`,
      );
    }
    const file = storage.readFile(action.path);
    if (!file.ok) return file;
    const job: ActiveJob = {
      jobId,
      deviceId,
      path: action.path,
      size: file.value.length,
      sha256: this.ports.sha256(file.value),
      payload: file.value,
      deliveries: action.recipients.map((to, i) => ({
        deliveryId: `${this.serviceName}:${jobId}/${i}`,
        to,
        state: "sending",
        attempts: 0,
      })),
    };
    this.jobs.set(jobId, job);
    for (const delivery of job.deliveries) {
      this.byDelivery.set(delivery.deliveryId, { job, delivery });
      this.send(job, delivery);
    }
    return ok(job);
  }

  onDeliveryResult(deliveryId: string, result: DeliveryResult, nowMs: number): void {
    const found = this.byDelivery.get(deliveryId);
    if (found === undefined || found.delivery.state !== "sending") return; // stale or duplicate result
    const { job, delivery } = found;
    assert(
      delivery.attempts >= 1 && delivery.attempts <= this.policy.uploadRetriesMax + 1,
      "attempts out of bounds",
    );
    assert(this.jobs.get(job.jobId) === job, "a delivery of a forgotten job");
    if (result.ok) {
      delivery.state = "delivered";
      delivery.lastError = undefined;
    } else {
      delivery.lastError = `${result.error.code}: ${result.error.message}`;
      if (delivery.attempts <= this.policy.uploadRetriesMax) {
        delivery.state = "waiting";
        delivery.retryAtMs = nowMs + retryDelayMs(delivery.attempts, this.policy);
      } else {
        delivery.state = "failed";
        this.notify(
          job,
          `upload of ${job.path} to ${delivery.to} failed after ${delivery.attempts} attempts (${delivery.lastError}); kept on the server for a retry`,
        );
      }
    }
    this.settle(job);
  }

  /** Sends again every failed delivery of a job (the user asked to retry). */
  retryFailed(jobId: string): Result<number> {
    const job = this.jobs.get(jobId);
    if (job === undefined) return fail(ErrorCodes.CACHE_UNKNOWN, `No pending upload ${jobId}`);
    let resent = 0;
    for (const delivery of job.deliveries) {
      if (delivery.state !== "failed") continue;
      delivery.attempts = 0;
      this.send(job, delivery);
      resent++;
    }
    return ok(resent);
  }

  /** Gives up a job whose deliveries all ended (the user discards a failed upload); frees its bytes. */
  discard(jobId: string): Result<void> {
    const job = this.jobs.get(jobId);
    if (job === undefined) return fail(ErrorCodes.CACHE_UNKNOWN, `No pending upload ${jobId}`);
    if (job.deliveries.some((d) => d.state === "sending" || d.state === "waiting")) {
      return fail(ErrorCodes.USAGE, `Cannot discard upload ${jobId}: deliveries still in progress`);
    }
    this.jobs.delete(jobId);
    for (const delivery of job.deliveries) this.byDelivery.delete(delivery.deliveryId);
    assert(!this.jobs.has(jobId), "discarded job still pending");
    return ok(undefined);
  }

  tick(nowMs: number): void {
    for (const job of this.jobs.values()) {
      for (const delivery of job.deliveries) {
        if (delivery.state === "waiting" && delivery.retryAtMs! <= nowMs) this.send(job, delivery);
      }
    }
  }

  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const job of this.jobs.values()) {
      for (const d of job.deliveries) {
        if (d.state === "waiting" && (due === undefined || d.retryAtMs! < due)) due = d.retryAtMs;
      }
    }
    return due;
  }

  /** Jobs still pending or failed (completed jobs are forgotten). */
  jobsOf(deviceId: string): UploadJob[] {
    const out: UploadJob[] = [];
    for (const job of this.jobs.values()) {
      if (job.deviceId === deviceId) out.push(summary(job));
    }
    return out;
  }

  private pendingCount(deviceId: string): number {
    let count = 0;
    for (const job of this.jobs.values()) if (job.deviceId === deviceId) count++;
    return count;
  }

  duplicateReplays(): number {
    return this.duplicates;
  }

  private send(job: ActiveJob, delivery: DeliveryStatus): void {
    assert(delivery.state !== "delivered", `resending delivered ${delivery.deliveryId}`);
    delivery.state = "sending";
    delivery.retryAtMs = undefined;
    delivery.attempts++;
    this.ports.outbox.send({
      deliveryId: delivery.deliveryId,
      fromDeviceId: job.deviceId,
      to: delivery.to,
      name: job.path.slice(job.path.lastIndexOf("/") + 1),
      payload: job.payload,
      sha256: job.sha256,
    });
  }

  /** Forgets a job once every delivery succeeded, and tells the phone. */
  private settle(job: ActiveJob): void {
    if (!job.deliveries.every((d) => d.state === "delivered")) return;
    this.jobs.delete(job.jobId);
    for (const delivery of job.deliveries) this.byDelivery.delete(delivery.deliveryId);
    this.completed.add(job.jobId);
    if (this.completed.size > limits.uploadJobsRememberedMax) {
      this.completed.delete(this.completed.values().next().value as string);
    }
    this.notify(job, `upload of ${job.path} delivered to ${job.deliveries.length} recipients`);
  }

  private notify(job: UploadJob, text: string): void {
    this.notices.send(job.deviceId, textNotice(text));
  }
}

function summary(job: ActiveJob): UploadJob {
  const { payload: _payload, ...rest } = job;
  return { ...rest, deliveries: job.deliveries.map((d) => ({ ...d })) };
}
