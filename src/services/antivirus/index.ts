// Public surface of the antivirus core (paper §5.2).
export { type BodyMatch, BodyMatcher } from "./body-matcher.ts";
export { compileDatabase } from "./compile.ts";
export { deserializeEngine, serializeEngine } from "./compiled-format.ts";
export {
  databaseKindOf,
  functionalityLevel,
  type ParsedDatabase,
  parseDatabaseText,
} from "./database-parser.ts";
export type { HashFactory, IncrementalHash } from "./hash-ports.ts";
export { HashTable } from "./hash-table.ts";
export { parseHexPattern } from "./hex-pattern.ts";
export { type Detection, ScanEngine, type ScanOptions, type ScanResult } from "./scan-engine.ts";
export type { BodySignature, HashSignature, SkippedLine } from "./signature.ts";
export { looksLikeZip, readZipEntries, type ZipEntry } from "./zip-reader.ts";
