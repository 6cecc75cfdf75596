// The deterministic phone platform (paper §3.3.1; DESIGN.md "The phone
// platform"): storage with a Merkle digest, apps, inputs, nondeterminism
// capture, factory templates and a workload generator.
export { stamp } from "./app-context.ts";
export {
  type DriveResult,
  drivePhone,
  ManualClock,
  misorderLog,
  type RecordedInput,
  replayLog,
} from "./drive.ts";
export { factoryTemplate } from "./factory-template.ts";
export {
  type AppName,
  appNames,
  type NetworkInput,
  type NondetKind,
  type NondetRecord,
  type UserInput,
  type UserInputBody,
} from "./inputs.ts";
export { LevelKey, levelKeyFromDeviceKey, levelSecretBytes, publicLevelKey } from "./key-level.ts";
export { type NondetSources, type SeededNondetOptions, seededNondet } from "./nondet.ts";
export { childPath, parsePath } from "./path.ts";
export { type PhoneRun, runPhoneWorkload, treeDifference } from "./phone-run.ts";
export {
  Platform,
  type PlatformMode,
  type PlatformOptions,
  type PlatformSnapshot,
  type UserInputDraft,
} from "./platform.ts";
export { disableSharedContent, enableSharedContent } from "./shared-content.ts";
export {
  type FileEntry,
  type ManifestBuild,
  type PathChange,
  type StatInfo,
  Storage,
  type StorageBuild,
  StorageSnapshot,
} from "./storage.ts";
export type { AppUi, UiState } from "./ui-state.ts";
export { Workload, type WorkloadEvent, type WorkloadOptions } from "./workload.ts";
