// Public surface of the mirror server core (paper §3.2; DESIGN.md "Mirrors"):
// mirrors from templates or clones, lifecycle and checkpoints, the durable
// MirrorStore port with its in-memory implementation, the blob store.
export { BlobStore } from "./blob-store.ts";
export { MemoryMirrorStore, type MemoryStoreOptions } from "./memory-store.ts";
export {
  type CloneOffer,
  type CloneReport,
  type MirrorPosition,
  MirrorServer,
  type MirrorServerOptions,
  type MirrorStatus,
} from "./mirror-server.ts";
export { exportUiState, parseUiState, platformFactory } from "./platform-adapter.ts";
export type {
  PlatformFactory,
  SyncedPlatform,
  TreeFileEntry,
  TreeStat,
  TreeStorage,
  TreeView,
} from "./platform-port.ts";
export type {
  Checkpoint,
  CheckpointBase,
  DeviceRecord,
  MirrorStore,
  NetworkRecord,
  RepairOp,
  RepairRecord,
  StoredBatch,
} from "./store.ts";
