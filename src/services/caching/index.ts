// The data caching service (paper §5.1): bulk download and bulk upload
// through the mirror.
export { BulkDownloads } from "./bulk-download.ts";
export { BulkUploads, type DeliveryState, type DeliveryStatus, type UploadJob } from "./bulk-upload.ts";
export {
  cacheAppName,
  cachedFileInput,
  cachedFileKind,
  downloadActionBody,
  downloadActionName,
  fileNameOfUrl,
  parseDownloadAction,
  parseUploadAction,
  type UploadAction,
  type UploadRoute,
  uploadActionBody,
  uploadActionName,
} from "./cache-actions.ts";
export {
  type CacheEntry,
  type CacheJournal,
  CacheStore,
  type CacheStoreStats,
  type PendingDownload,
  type RestoredCache,
  type Tombstone,
} from "./cache-store.ts";
export { CachingService, type CachingStats } from "./caching-service.ts";
export { MemoryWorld, type ReceivedFile } from "./memory-world.ts";
export { fileCachedNotice, textNotice } from "./notices.ts";
export {
  type DownloadSavings,
  type DownloadScenario,
  downloadSavings,
  paperSweepSizesBytes,
  type SavingsRow,
  savingsSweep,
  type TransferCost,
  type UploadSavings,
  type UploadSavingsScenario,
  uploadActionBytes,
  uploadSavings,
} from "./savings.ts";
export {
  type CachingPolicy,
  type CachingSettings,
  defaultCachingPolicy,
  defaultCachingSettings,
  retryDelayMs,
  validateCachingPolicy,
  validateCachingSettings,
} from "./settings.ts";
export {
  decideUpload,
  planUpload,
  UploadAccounting,
  type UploadDecision,
  type UploadPlan,
  type UploadRequest,
  type UploadTotals,
} from "./upload-policy.ts";
