// Public surface of the antivirus core (paper §5.2).
export { type Anchor, chooseAnchor } from "./anchor.ts";
export {
  AntivirusService,
  type AntivirusServiceOptions,
  type ScannableStorage,
  StorageScanJob,
  type StorageScanReport,
} from "./antivirus-service.ts";
export { type BodyEntry, type BodyMatch, BodyMatcher } from "./body-matcher.ts";
export { compileDatabase } from "./compile.ts";
export { deserializeEngine, serializeEngine } from "./compiled-format.ts";
export { DatabaseHolder } from "./database-holder.ts";
export {
  databaseKindOf,
  emptyParsedDatabase,
  functionalityLevel,
  type ParsedDatabase,
  parseDatabaseText,
  parseOffset,
} from "./database-parser.ts";
export type { HashFactory, IncrementalHash } from "./hash-ports.ts";
export { type HashBucket, HashTable } from "./hash-table.ts";
export { parseHexPattern } from "./hex-pattern.ts";
export { type AntivirusMirrorOptions, AntivirusMirrorService, type MirrorStorage } from "./mirror-service.ts";
export { earliestMatchEnd } from "./pattern-verify.ts";
export {
  type Detection,
  objectBytesMin,
  ScanEngine,
  type ScanOptions,
  type ScanResult,
} from "./scan-engine.ts";
export { type FinishedScan, ScanQueue, type ScanTask } from "./scan-queue.ts";
export {
  formatScanResult,
  parseScanRequest,
  parseScanResult,
  requestIdOf,
  type ScanRequest,
  type StorageDetection,
  scanResultError,
} from "./scan-request.ts";
export type { BodySignature, HashSignature, SkippedLine } from "./signature.ts";
export { type BlobVerdict, VerdictCache } from "./verdict-cache.ts";
export { type WrittenFile, WrittenFiles } from "./written-files.ts";
export { looksLikeZip, readZipEntries, type ZipEntry } from "./zip-reader.ts";
