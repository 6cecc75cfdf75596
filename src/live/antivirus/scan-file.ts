// Scans one file from disk with a loaded engine: the unit of work of both the
// in-thread scanner and each worker thread (paper §5.2). Files are read whole
// up to scanFileBytesMax: body signatures with `*` gaps are unbounded, so an
// exact verdict needs the whole object, and phone files are bounded anyway
// (limits.fileBytesMax). Larger files are skipped and reported, as clamscan
// skips files above its --max-filesize.
import { readFileSync } from "node:fs";
import { assert } from "../../core/assert.ts";
import { limits } from "../../core/limits.ts";
import { nodeHashFactory } from "../../node/hash-factory.ts";
import type { Detection, ScanEngine } from "../../services/antivirus/index.ts";

export interface FileVerdict {
  path: string;
  detections: Detection[];
  bytesScanned: number;
  /** Set when the file could not be scanned. */
  error?: string;
  skipped?: string;
}

export function scanFile(engine: ScanEngine, path: string, size: number, allMatch: boolean): FileVerdict {
  assert(size >= 0, "file size is non-negative");
  if (size > limits.scanFileBytesMax) {
    return { path, detections: [], bytesScanned: 0, skipped: `larger than ${limits.scanFileBytesMax} bytes` };
  }
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    return { path, detections: [], bytesScanned: 0, error: (error as Error).message };
  }
  const result = engine.scan(bytes, nodeHashFactory, { allMatch });
  assert(result.bytesScanned >= 0, "scan accounting");
  return { path, detections: result.detections, bytesScanned: result.bytesScanned };
}
