// Public surface of the antivirus runtime (paper §5.2): database loading with
// a compiled cache, file scanning in a worker pool, the clamd client, and the
// mirror service hooked to a live server (scan jobs in event-loop steps).

export { nodeHashFactory } from "../../node/hash-factory.ts";
export {
  type AntivirusAttachOptions,
  attachAntivirus,
  type LiveAntivirusOptions,
  LiveAntivirusRuntime,
} from "./antivirus-runtime.ts";
export { type ClamdAnswer, clamdScanBytes, parseClamdReply } from "./clamd-client.ts";
export { defaultCacheDir, type LoadedDatabase, type LoadOptions, loadDatabases } from "./database-loader.ts";
export { type ReloadOutcome, reloadDatabases } from "./database-reload.ts";
export { walkPaths } from "./file-walker.ts";
export { type PathScanOptions, type PathScanReport, scanPaths } from "./path-scanner.ts";
export { type FileVerdict, scanFile } from "./scan-file.ts";
export { defaultWorkerCount, ScanPool } from "./worker-pool.ts";
