// A scratch directory for one synchronous test body (the SQLite store and
// database tests, property runs included): made fresh, removed afterwards
// whatever the body throws.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export function withTempDir<T>(label: string, body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), `mc-${label}-`));
  try {
    const result = body(dir);
    if (result instanceof Promise) throw new Error("withTempDir takes a synchronous body");
    return result;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
