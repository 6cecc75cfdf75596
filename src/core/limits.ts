// Every bound in mirrorcell, in one place (STYLE.md "Bound everything").
// Relationships between them are asserted when this module loads.
import { assert } from "./assert.ts";

export const limits = {
  // platform storage
  pathBytesMax: 1024,
  pathDepthMax: 32,
  nameBytesMax: 255,
  fileBytesMax: 64 * 1024 * 1024,
  filesPerDirectoryMax: 1_000_000,
  // platform inputs
  actionNameBytesMax: 64,
  actionArgsMax: 16,
  actionArgBytesMax: 4096,
  userPayloadBytesMax: 64 * 1024,
  networkPayloadBytesMax: 64 * 1024 * 1024,
  nondetRecordsPerInputMax: 64,
  nondetValueBytesMax: 3 * 1024 * 1024,
  // all recorded results of one input together (a photo is one record)
  nondetBytesPerInputMax: 3 * 1024 * 1024,
  // sync
  syncIntervalMsMin: 100,
  syncIntervalMsMax: 3_600_000,
  syncIntervalMsDefault: 60_000,
  latencyMsMaxDefault: 100,
  batchEventsMax: 100_000,
  batchBytesMax: 16 * 1024 * 1024,
  /** A deflated batch up to this size inflates in one call (its output can reach ~1032× that, about batchBytesMax). */
  inflateOneShotInputBytesMax: 16 * 1024,
  frameBytesMax: 24 * 1024 * 1024,
  unackedBatchesMax: 1024,
  /** Frames in one FrameBundle (a phone's burst: a whole window of unacked batches fits one). */
  frameBundleFramesMax: 1024,
  /**
   * A phone fills a bundle up to this many bytes (the server takes any up to frameBytesMax). A
   * message longer than a socket read (64 KiB) is copied together by ws into a buffer of its own:
   * ws receive + decode per batch (bench/frame-bundles.ts, one process): 16 KiB 0.35-0.47x of one
   * message per frame, 32 KiB 0.52-0.54x, 64 KiB 0.55-1.07x, a whole 3.7 MB window 1.1-2.5x.
   */
  frameBundleBytesTarget: 16 * 1024,
  replayQueueBatchesMax: 4096,
  repairPathsMax: 10_000,
  digestBytes: 32,
  deviceIdBytesMax: 64,
  noticesPerBatchMax: 256,
  // mirror server
  mirrorsPerServerMax: 1_000_000,
  cloneFreezeMsMax: 10 * 60_000,
  // services
  bulkUploadThresholdBytesDefault: 500 * 1024,
  cacheRetentionMsDefault: 7 * 24 * 3_600_000,
  uploadRecipientsMax: 256,
  uploadRetriesMax: 8,
  uploadRetryDelayMsBase: 1_000,
  uploadRetryDelayMsMax: 60_000,
  uploadJobsPerDeviceMax: 256,
  downloadRetriesMax: 4,
  cacheEntriesPerDeviceMax: 1024,
  /** `--fetch-cached later`: the phone waits this long after the notice (better signal, charging). */
  cacheFetchLaterMsDefault: 5 * 60_000,
  cacheBytesPerDeviceMax: 1024 * 1024 * 1024,
  cacheTombstonesPerDeviceMax: 1024,
  cacheRetentionMsMax: 365 * 24 * 3_600_000,
  downloadsInFlightMax: 4096,
  outboxInFlightMax: 64,
  uploadJobsRememberedMax: 4096,
  // network protocols
  sipMessageBytesMax: 64 * 1024,
  sipHeaderLineBytesMax: 8 * 1024,
  sipHeadersMax: 128,
  msrpChunkBytesMax: 2 * 1024 * 1024,
  httpMessageBytesMax: 64 * 1024 * 1024,
  msrpHeadBytesMax: 16 * 1024,
  msrpHeadersMax: 64,
  msrpMessagesInFlightMax: 64,
  msrpChunksPerMessageMax: 65_536,
  httpHeaderLineBytesMax: 8 * 1024,
  httpHeadersMax: 128,
  mailLineBytesMax: 1000,
  mailMessageBytesMax: 64 * 1024 * 1024,
  signalingMessageBytesMax: 16 * 1024,
  networkDeliveriesMax: 1_000_000,
  networkQueueMax: 100_000,
  sipSessionsPerAgentMax: 1024,
  networkPendingRequestsMax: 1024,
  // antivirus
  signatureLineBytesMax: 64 * 1024,
  signaturesMax: 10_000_000,
  archiveDepthMax: 8,
  archiveEntriesMax: 100_000,
  archiveEntryBytesMax: 256 * 1024 * 1024,
  scanChunkBytes: 1024 * 1024,
  scanFileBytesMax: 100 * 1024 * 1024,
  verdictCacheEntriesMax: 1_000_000,
  scanWorkersMax: 64,
  // feasibility models and report
  modelTransmissionsMax: 10_000_000,
  modelIntervalCandidatesMax: 100_000,
  reportSweepPointsMax: 512,
  // platform apps (volatile UI state and app content)
  uiDraftCharsMax: 16 * 1024,
  uiAttachmentsMax: 16,
  uiScreenCoordinateMax: 4095,
  packageEntriesMax: 4096,
  // sync engine timers and buffers (src/sync)
  retransmitMsDefault: 5_000,
  repairRetryMsDefault: 5_000,
  repairRetriesMax: 8,
  // a repair whose retries all ran out is asked again on the phone's next frames, this many times
  repairReasksMax: 4,
  repairSnapshotsMaxDefault: 16,
  volatileStateBytesMax: 1024 * 1024,
  // unacked notices: timer re-sends to an idle phone (then only beside replies to its frames)
  noticeRetryMsDefault: 5_000,
  noticeResendsMax: 6,
  // default periodic checkpoint: bounds a mirror's input log between power-offs
  checkpointEveryBatchesDefault: 256,
  // live server intake (src/live, sync-server): backpressure, group commit, replay steps
  // a phone's socket send buffer above which the server stops reading it and holds its ack
  socketSendBufferBytesHigh: 1024 * 1024,
  socketResumeCheckMs: 20,
  // frames per SQLite transaction: amortizes the commit, keeps acks prompt
  groupCommitWorkMax: 4096,
  // accepted, not yet replayed batch bytes: per device, and all devices (beyond it a device
  // with a backlog gets QUEUE_FULL; one with none may still add a batch)
  replayBacklogBytesPerDeviceMax: 64 * 1024 * 1024,
  replayBacklogBytesMax: 512 * 1024 * 1024,
  // out-of-order batches held per device until their predecessors arrive
  earlyBatchBytesPerDeviceMax: 32 * 1024 * 1024,
  // batches one live replay step applies before intake gets the thread back
  replayBatchesPerStepMax: 32,
  // longest sleep of the live replay timer (bounds a missed wake-up)
  replayTimerMsMax: 250,
  // live store: a blob up to this size is kept in its SQLite row, not a file of its own (a file
  // create + 2 fsyncs per small blob made checkpoints of a long-lived mirror cost ~1 ms CPU per blob)
  blobInlineBytesMax: 16 * 1024,
  // stopped mirrors whose rebuilt storage the admin API keeps
  stoppedMirrorViewsMax: 64,
  // device level keys the live server keeps derived (one HMAC and one template rebuild saved per
  // mirror load); each pins its rebuilt template (~24 KB), so at most ~24 MB
  levelKeysCachedMax: 1024,
  // replay lags kept between two /metrics scrapes
  lagSamplesMax: 100_000,
  // services in bounded steps (antivirus scan jobs): one step never holds replay longer than this much work
  serviceStepFilesMax: 256,
  // the sync codec's reusable bit-writer buffer: kept between batches up to this size (a photo batch grows it)
  codecScratchBytesMax: 256 * 1024,
  serviceStepBytesMax: 4 * 1024 * 1024,
  // tree entries one step may walk past (out-of-scope files cost a visit, not a scan)
  serviceStepEntriesMax: 4096,
  // pause between two tick-driven steps, so replay and intake run in between
  serviceStepIntervalMs: 1,
  scanJobsActiveMax: 4,
  scanRequestsQueuedMax: 64,
  // files one on-the-fly job collects before a new job opens
  scanOnTheFlyFilesPerJobMax: 4096,
  // antivirus engine and runtimes
  // clamscan does not scan objects of 5 bytes or less (found by the differential tests)
  scanObjectBytesMin: 6,
  // fixed gaps up to this many bytes stay inline as wildcards; longer ones split parts (bounded memory)
  signatureInlineGapBytesMax: 128,
  clamdReplyBytesMax: 4096,
  clamdTimeoutMsDefault: 60_000,
  // below this many bytes a worker pool's start-up costs more than it saves
  scanPoolBytesMin: 16 * 1024 * 1024,
  scanSkippedLinesShownMax: 20,
  scanProgressFilesMin: 200,
  // live phone process (src/live/phone-*): one step's work, its timers and retries
  livePhoneStepEventsMax: 10_000,
  livePhoneStepMsDefault: 50,
  livePhoneCameraBytesRealistic: 1_500_000,
  livePhoneErrorsKeptMax: 100,
  livePhoneFetchAttemptsMax: 50,
  livePhoneFetchRetryMs: 100,
  livePhonePowerOffPollMs: 20,
  livePhonesPerLoadMax: 10_000,
  // reconnect backoff of a phone's sync socket; after an admin stop it waits the longest
  reconnectBackoffMsMin: 50,
  reconnectBackoffMsMax: 2_000,
  // a closing socket that does not finish its close handshake in this time is dropped
  socketCloseWaitMs: 1_000,
  // re-clone of a used mirror from a phone (blobs travel in chunks; the server holds one clone's blobs)
  cloneChunkBytes: 1024 * 1024,
  cloneBlobBytesMax: 256 * 1024 * 1024,
  cloneManifestFilesMax: 100_000,
  // live HTTP admin API request bodies
  httpBodyBytesMax: 64 * 1024,
  // file contents one process shares between storages (src/platform/shared-content.ts): a phone's
  // writes stay offered for its mirror's replay a sync interval later (a 1,000-phone shard writes
  // ~0.1 MB/s, 12 MB in 2 minutes); also what a live server may pin of contents no storage holds any more
  sharedContentBytesMax: 32 * 1024 * 1024,
  sharedContentEntriesMax: 100_000,
  // repair snapshots a Syn-Client keeps of batches the server already acknowledged (the newest ones;
  // unacknowledged batches keep theirs, up to repairSnapshotsMaxDefault): a batch is replayed t_max
  // after its window, so its repair request comes about when its ack does; 16 minutes of old trees
  // were ~9 % of a simulated phone's retained JS heap at 1 h
  repairSnapshotsAckedKeptDefault: 4,
  // due batches replay reads back from the store in one range read (one statement, not one per batch);
  // a replay step of the live server applies at most replayBatchesPerStepMax of them
  replayReadBatchesMax: 32,
  // small immutable byte arrays are carved from slabs of this size (core/byte-slab.ts): a live view pins
  // its slab, so only arrays of at most byteSlabViewBytesMax (1/16 of a slab) are carved
  byteSlabBytes: 16 * 1024,
  byteSlabViewBytesMax: 1024,
} as const;

assert(limits.syncIntervalMsMin <= limits.syncIntervalMsDefault, "default sync interval below minimum");
assert(limits.syncIntervalMsDefault <= limits.syncIntervalMsMax, "default sync interval above maximum");
assert(limits.batchBytesMax < limits.frameBytesMax, "a batch must fit in a frame");
assert(limits.frameBundleBytesTarget <= limits.frameBytesMax, "a phone's bundle must fit in a frame");
assert(
  limits.inflateOneShotInputBytesMax * 1032 <= limits.batchBytesMax * 2,
  "a one-shot inflate does at most about a batch's work (DEFLATE expands at most ~1032x)",
);
assert(limits.nondetValueBytesMax <= limits.nondetBytesPerInputMax, "one record must fit an input's budget");
// The Syn-Client cuts a batch once it holds batchBytesMax / 4 and refuses an
// input that would push it past batchBytesMax / 2: so any input the platform
// accepts (it checks the nondet budget first) always fits a batch.
assert(
  limits.nondetBytesPerInputMax + limits.actionArgsMax * limits.actionArgBytesMax + 4096 <=
    limits.batchBytesMax / 4,
  "an accepted input must always fit the open batch",
);
assert(limits.userPayloadBytesMax <= limits.batchBytesMax, "a user payload must fit in a batch");
assert(limits.pathDepthMax * 2 <= limits.pathBytesMax, "path depth bound unreachable");
assert(limits.nameBytesMax <= limits.pathBytesMax, "a name must fit in a path");
assert(limits.fileBytesMax <= limits.networkPayloadBytesMax, "files arrive as network payloads");
assert(limits.msrpChunkBytesMax <= limits.networkPayloadBytesMax, "an MSRP chunk must fit a payload");
assert(limits.mailMessageBytesMax <= limits.networkPayloadBytesMax, "an email must fit a payload");
assert(limits.msrpHeadBytesMax < limits.msrpChunkBytesMax, "MSRP head bound above chunk bound");
assert(limits.scanChunkBytes <= limits.archiveEntryBytesMax, "scan chunk larger than an entry");
assert(limits.fileBytesMax <= limits.cacheBytesPerDeviceMax, "a cached file must fit the cache quota");
assert(limits.uploadRetryDelayMsBase <= limits.uploadRetryDelayMsMax, "retry delay base above its cap");
assert(limits.cacheRetentionMsDefault <= limits.cacheRetentionMsMax, "default retention above its cap");
assert(limits.earlyBatchBytesPerDeviceMax >= limits.batchBytesMax, "one early batch must fit");
assert(limits.replayBacklogBytesPerDeviceMax >= limits.batchBytesMax, "one queued batch must fit");
assert(
  limits.replayBacklogBytesPerDeviceMax <= limits.replayBacklogBytesMax,
  "device backlog above the total",
);
assert(limits.groupCommitWorkMax >= 1 && limits.replayBatchesPerStepMax >= 1, "intake steps need room");
assert(limits.serviceStepFilesMax <= limits.serviceStepEntriesMax, "a step visits every file it scans");
assert(limits.serviceStepBytesMax <= limits.fileBytesMax, "a step's byte budget is at most one file");
assert(limits.scanJobsActiveMax >= 1 && limits.scanRequestsQueuedMax >= 1, "scan jobs need room");
assert(limits.reconnectBackoffMsMin <= limits.reconnectBackoffMsMax, "reconnect backoff bounds reversed");
assert(limits.cloneChunkBytes < limits.frameBytesMax / 2, "a clone chunk must fit a frame");
assert(limits.fileBytesMax <= limits.cloneBlobBytesMax, "one file must fit a clone");
assert(
  limits.repairSnapshotsAckedKeptDefault >= 1 &&
    limits.repairSnapshotsAckedKeptDefault <= limits.repairSnapshotsMaxDefault,
  "a client keeps its newest acknowledged batch's snapshot, within the snapshot bound",
);
assert(limits.sharedContentBytesMax >= limits.batchBytesMax, "shared contents must hold a batch's files");
