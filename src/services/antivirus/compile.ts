// Turns parsed signature files into a ScanEngine (paper §5.2).
import { assert } from "../../core/assert.ts";
import { ErrorCodes, fail, ok, type Result } from "../../core/errors.ts";
import { BodyMatcher } from "./body-matcher.ts";
import type { ParsedDatabase } from "./database-parser.ts";
import { HashTable } from "./hash-table.ts";
import { ScanEngine } from "./scan-engine.ts";

export function compileDatabase(parsed: ParsedDatabase, version: string): Result<ScanEngine> {
  assert(parsed.skipped.length >= 0, "skipped lines are reported by the caller");
  if (parsed.body.length + parsed.hash.length === 0) {
    return fail(ErrorCodes.DATABASE_EMPTY, "the databases hold no usable signature");
  }
  const engine = new ScanEngine(version, BodyMatcher.build(parsed.body), HashTable.build(parsed.hash));
  assert(engine.body.size === parsed.body.length, "every body signature compiled");
  return ok(engine);
}
