// Public surface of the sync engine (paper §3.3; DESIGN.md "Sync protocol"):
// the compact codec and frames, the phone's SyncClient, the server's
// TrafficMonitor and SyncServer (replay scheduler, divergence repair).
export { actionDictionary } from "./action-dictionary.ts";
export { type BatchData, decodeBatch, encodeBatch, lastSeqOf } from "./batch.ts";
export { type BatchSummary, summaryLastSeq, summaryOf, validateBatchMessage } from "./batch-validate.ts";
export {
  ackFrame,
  decodeFrame,
  encodeFrame,
  errorFrame,
  type Frame,
  type FrameBody,
  frameOf,
  type Notice,
  noticeAckFrame,
  noticeFrame,
  PROTOCOL_VERSION,
  repairRequestFrame,
} from "./frame.ts";
export { looksLikeBatchFrame } from "./frame-batch-wire.ts";
export type { ReplayedEvent } from "./replay.ts";
export {
  type ClientResume,
  type PhoneView,
  SyncClient,
  type SyncClientMetrics,
  type SyncClientOptions,
} from "./sync-client.ts";
export {
  type DeviceSyncMetrics,
  type Outbound,
  type ReplayHook,
  SyncServer,
  type SyncServerOptions,
} from "./sync-server.ts";
export { type NetworkInputHook, TrafficMonitor } from "./traffic-monitor.ts";
