// The inputs through which the phone's "cache" app and the caching service
// talk (paper §5.1): the bulk-upload action (the "fake" completed upload the
// Syn-Client ships instead of the file), the bulk-download request, and the
// network input that carries a cached file to the phone. Both the phone
// runtime and the mirror service build and parse them here, so the two sides
// cannot disagree on the format. Args are "key=value" strings, each key once
// (src/platform/args.ts); recipients are comma-separated in one to=.
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { limits } from "../../core/limits.ts";
import type { NetworkInput, UserInput, UserInputBody } from "../../platform/inputs.ts";

export const cacheAppName = "cache" as const;
export const uploadActionName = "upload";
export const downloadActionName = "download";
export const cachedFileKind = "cached-file";
export const fileCachedKind = "file-cached";

/** "mirror": the phone faked the upload, the mirror's replay sends it. */
export type UploadRoute = "mirror" | "phone";

export interface UploadAction {
  path: string;
  route: UploadRoute;
  recipients: readonly string[];
}

function values(args: readonly string[], key: string): string[] {
  const prefix = `${key}=`;
  return args.filter((arg) => arg.startsWith(prefix)).map((arg) => arg.slice(prefix.length));
}

function actionOf(input: UserInput, name: string): readonly string[] | undefined {
  if (input.app !== cacheAppName || input.body.kind !== "action" || input.body.name !== name)
    return undefined;
  return input.body.args;
}

export function uploadActionBody(action: UploadAction): UserInputBody {
  return {
    kind: "action",
    name: uploadActionName,
    args: [`path=${action.path}`, `via=${action.route}`, `to=${action.recipients.join(",")}`],
  };
}

/** undefined when the input is not an upload action; a typed error when it is malformed. */
export function parseUploadAction(input: UserInput): Result<UploadAction> | undefined {
  const args = actionOf(input, uploadActionName);
  if (args === undefined) return undefined;
  const [path, ...extraPaths] = values(args, "path");
  // No via=: the cache app's upload is the fake one by definition (the mirror sends).
  const [route = "mirror", ...extraRoutes] = values(args, "via");
  const [to, ...extraTos] = values(args, "to");
  const recipients = to === undefined || extraTos.length > 0 ? [] : to.split(",");
  if (path === undefined || path === "" || extraPaths.length > 0) {
    return fail(ErrorCodes.INPUT_MALFORMED, "Cannot parse upload action: exactly one path= is required");
  }
  if ((route !== "mirror" && route !== "phone") || extraRoutes.length > 0) {
    return fail(
      ErrorCodes.INPUT_MALFORMED,
      `Cannot parse upload action: via= must be mirror or phone, got ${route}`,
    );
  }
  if (recipients.length === 0 || recipients.length > limits.uploadRecipientsMax || recipients.includes("")) {
    return fail(
      ErrorCodes.INPUT_MALFORMED,
      `Cannot parse upload action: need one to= with 1 to ${limits.uploadRecipientsMax} non-empty comma-separated recipients, got ${recipients.length}`,
    );
  }
  return ok({ path, route, recipients });
}

export function downloadActionBody(url: string): UserInputBody {
  return { kind: "action", name: downloadActionName, args: [`url=${url}`] };
}

/** undefined when the input is not a download request. */
export function parseDownloadAction(input: UserInput): Result<{ url: string }> | undefined {
  const args = actionOf(input, downloadActionName);
  if (args === undefined) return undefined;
  const urls = values(args, "url");
  if (urls.length !== 1 || urls[0] === "") {
    return fail(ErrorCodes.INPUT_MALFORMED, "Cannot parse download action: exactly one url= is required");
  }
  return ok({ url: urls[0]! });
}

/** The network input that carries a cached file to the phone's /downloads. */
export function cachedFileInput(
  cached: { cacheId: string; name: string; payload: Uint8Array },
  timeMs: number,
): Omit<NetworkInput, "index"> {
  return {
    timeMs,
    app: cacheAppName,
    kind: cachedFileKind,
    args: [`id=${cached.cacheId}`, `name=${cached.name}`],
    payload: cached.payload,
  };
}

/** The network input that files a "file-cached" notice in the phone's cache app. */
export function fileCachedInput(
  cached: { cacheId: string; name: string; size: number },
  timeMs: number,
): Omit<NetworkInput, "index"> {
  return {
    timeMs,
    app: cacheAppName,
    kind: fileCachedKind,
    args: [`id=${cached.cacheId}`, `name=${cached.name}`, `size=${cached.size}`],
    payload: new Uint8Array(0),
  };
}

/** A safe file name for a URL's last path segment (the phone stores it under /downloads). */
export function fileNameOfUrl(url: string, fallback: string): string {
  const withoutQuery = url.split(/[?#]/, 1)[0] ?? "";
  const last = withoutQuery.slice(withoutQuery.lastIndexOf("/") + 1);
  const safe = last.replace(/[^A-Za-z0-9._-]/g, "_").slice(0, 128);
  return safe === "" || safe === "." || safe === ".." ? fallback : safe;
}
