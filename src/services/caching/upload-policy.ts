// The phone-side bulk-upload policy (paper §5.1.2): the Syn-Client or phone
// runtime asks decideUpload before an upload. Large files with the service on
// are replaced by a "fake" completed upload — the phone sends no file bytes,
// the mirror's replay sends them. Small files, or the service off, go direct:
// one radio upload per recipient, as phones do today. Either way the same
// cache-app action is applied, so phone and mirror storage stay equal; only
// its via= tells the mirror whether it must send.
import { assert } from "../../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import type { AppName, UserInputBody } from "../../platform/inputs.ts";
import { cacheAppName, type UploadRoute, uploadActionBody } from "./cache-actions.ts";
import type { CachingSettings } from "./settings.ts";

export type UploadDecision = "direct" | "via-mirror";

export function decideUpload(sizeBytes: number, settings: CachingSettings): UploadDecision {
  assert(Number.isSafeInteger(sizeBytes) && sizeBytes >= 0, `bad upload size ${sizeBytes}`);
  assert(settings.bulkUploadThresholdBytes >= 0, "negative bulk upload threshold");
  return settings.enabled && sizeBytes >= settings.bulkUploadThresholdBytes ? "via-mirror" : "direct";
}

export interface UploadRequest {
  path: string;
  sizeBytes: number;
  recipients: readonly string[];
}

export interface UploadPlan {
  decision: UploadDecision;
  /** The user input the phone applies and the Syn-Client records. */
  input: { app: AppName; body: UserInputBody };
  /** File bytes the phone itself must send over the radio, per recipient. */
  directSends: readonly { to: string; bytes: number }[];
  /** Sum of directSends: 0 when the mirror sends. */
  radioPayloadBytes: number;
}

export function planUpload(request: UploadRequest, settings: CachingSettings): Result<UploadPlan> {
  const count = request.recipients.length;
  if (count === 0 || count > limits.uploadRecipientsMax) {
    return fail(
      ErrorCodes.USAGE,
      `Cannot upload to ${count} recipients: need 1 to ${limits.uploadRecipientsMax}`,
    );
  }
  const bad = request.recipients.find((to) => to === "" || to.includes(","));
  if (bad !== undefined)
    return fail(ErrorCodes.USAGE, `Cannot upload to "${bad}": empty or contains a comma`);
  if (request.sizeBytes > limits.fileBytesMax) {
    return fail(
      ErrorCodes.PAYLOAD_TOO_LARGE,
      `Cannot upload ${request.sizeBytes} bytes: above ${limits.fileBytesMax}`,
    );
  }
  const decision = decideUpload(request.sizeBytes, settings);
  const route: UploadRoute = decision === "via-mirror" ? "mirror" : "phone";
  const directSends =
    decision === "direct" ? request.recipients.map((to) => ({ to, bytes: request.sizeBytes })) : [];
  const radioPayloadBytes = directSends.reduce((sum, send) => sum + send.bytes, 0);
  assert(decision === "direct" || radioPayloadBytes === 0, "a mirror upload must cost no radio payload");
  return ok({
    decision,
    input: {
      app: cacheAppName,
      body: uploadActionBody({ path: request.path, route, recipients: request.recipients }),
    },
    directSends,
    radioPayloadBytes,
  });
}

export interface UploadTotals {
  uploads: number;
  viaMirror: number;
  direct: number;
  /** File bytes the phone sent over the radio. */
  radioPayloadBytes: number;
  /** What it would have sent with the service off (one upload per recipient). */
  radioPayloadBytesWithoutCaching: number;
}

/** Phone-side accounting of what the policy saved. */
export class UploadAccounting {
  private readonly totals: UploadTotals = {
    uploads: 0,
    viaMirror: 0,
    direct: 0,
    radioPayloadBytes: 0,
    radioPayloadBytesWithoutCaching: 0,
  };

  record(plan: UploadPlan, request: UploadRequest): void {
    assert(
      plan.radioPayloadBytes <= request.sizeBytes * request.recipients.length,
      "plan sends more than asked",
    );
    this.totals.uploads++;
    if (plan.decision === "via-mirror") this.totals.viaMirror++;
    else this.totals.direct++;
    this.totals.radioPayloadBytes += plan.radioPayloadBytes;
    this.totals.radioPayloadBytesWithoutCaching += request.sizeBytes * request.recipients.length;
  }

  snapshot(): Readonly<UploadTotals> {
    return { ...this.totals };
  }
}
