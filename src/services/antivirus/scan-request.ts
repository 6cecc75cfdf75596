// The antivirus hook app's request and the result text it receives (paper
// §5.2, Table 2): the phone writes /data/antivirus/requests/ID.req
// ("path=/...\n..."); the mirror answers with a "scan-result" network input
// whose payload lists detections in clamscan's format.
import { assert } from "../../core/assert.ts";
import { fromUtf8, utf8 } from "../../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";

export interface ScanRequest {
  id: string;
  /** Absolute path of the tree to scan ("/" for everything). */
  scope: string;
}

export interface StorageDetection {
  path: string;
  name: string;
  inside: readonly string[];
}

export function parseScanRequest(id: string, bytes: Uint8Array): Result<ScanRequest> {
  const text = fromUtf8(bytes);
  if (text === undefined) return fail(ErrorCodes.INPUT_MALFORMED, `scan request ${id}: not UTF-8`);
  const line = text.split("\n").find((l) => l.startsWith("path="));
  const scope = line?.slice("path=".length) ?? "/";
  if (!scope.startsWith("/"))
    return fail(ErrorCodes.INPUT_MALFORMED, `scan request ${id}: path must be absolute`);
  return ok({ id, scope });
}

/** The request id from a request file name, or undefined for other files. */
export function requestIdOf(path: string): string | undefined {
  const m = /^\/data\/antivirus\/requests\/([^/]+)\.req$/.exec(path);
  return m === null ? undefined : m[1];
}

export function formatScanResult(report: {
  version: string;
  filesScanned: number;
  detections: readonly StorageDetection[];
  /** Why the scan did not run (e.g. "E_QUEUE_FULL: ..."): one "ERROR: " line. */
  error?: string;
}): Uint8Array {
  assert(report.filesScanned >= 0, "file count is non-negative");
  assert(report.error === undefined || report.detections.length === 0, "a refused scan found nothing");
  const lines = report.detections.map((d) => `${d.path}: ${d.name} FOUND`);
  if (report.error !== undefined) lines.push(`ERROR: ${report.error.replaceAll("\n", " ")}`);
  lines.push(
    `scanned ${report.filesScanned} files, ${report.detections.length} infected, database ${report.version}`,
  );
  return utf8(`${lines.join("\n")}\n`);
}

/** The error line of a refused scan's result, or undefined. */
export function scanResultError(bytes: Uint8Array): string | undefined {
  const line = (fromUtf8(bytes) ?? "").split("\n").find((l) => l.startsWith("ERROR: "));
  return line?.slice("ERROR: ".length);
}

/** Parses a result payload back into (path, name) pairs. */
export function parseScanResult(bytes: Uint8Array): { path: string; name: string }[] {
  const text = fromUtf8(bytes) ?? "";
  const out: { path: string; name: string }[] = [];
  for (const line of text.split("\n")) {
    const m = /^(.*): (\S+) FOUND$/.exec(line);
    if (m !== null) out.push({ path: m[1]!, name: m[2]! });
  }
  return out;
}
