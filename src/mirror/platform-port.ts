// What the sync engine and mirror server need from the phone platform
// (src/platform, DESIGN.md "The phone platform"), as structural interfaces:
// the real Platform/Storage satisfy them, tests may pass small fakes, and the
// sync core does not depend on how the platform is built.
import type { Result } from "../core/errors.ts";
import type { NetworkInput, UserInput } from "../platform/inputs.ts";

export interface TreeFileEntry {
  path: string;
  sha256: Uint8Array;
  size: number;
}

export interface TreeStat {
  kind: "file" | "dir";
  size: number;
  sha256?: Uint8Array;
}

/** Read access to a storage tree (a live storage or an immutable snapshot of one). */
export interface TreeView {
  digest(): Uint8Array;
  list(dir: string): Result<string[]>;
  stat(path: string): Result<TreeStat>;
  readFile(path: string): Result<Uint8Array>;
  walk(): Iterable<TreeFileEntry>;
  emptyDirs(): string[];
  blob(sha256: Uint8Array): Uint8Array | undefined;
}

/** A writable storage tree: what divergence repair writes to. */
export interface TreeStorage extends TreeView {
  writeFile(path: string, bytes: Uint8Array): Result<void>;
  removeTree(path: string): Result<void>;
  mkdir(path: string): Result<void>;
}

/** A platform instance, phone or mirror mode. */
export interface SyncedPlatform {
  readonly networkConsumed: number;
  readonly storage: TreeStorage;
  applyUser(input: UserInput): Result<UserInput>;
  applyNetwork(input: NetworkInput): Result<void>;
  digest(): Uint8Array;
  powerOff(): void;
  boot(): void;
}

/** How the mirror server makes mirror-mode platforms (runtimes pass the real platform's). */
export interface PlatformFactory {
  /** A fresh mirror from the model's factory template; shares the template copy-on-write. */
  fromTemplate(deviceId: string, model: string): Result<SyncedPlatform>;
  /** The template's files (clone dedupe: blobs the template has never travel). */
  templateView(model: string): Result<TreeView>;
  /** A mirror rebuilt from a manifest and a blob source (restore, clone). */
  fromManifest(
    deviceId: string,
    model: string,
    files: readonly TreeFileEntry[],
    emptyDirs: readonly string[],
    blobOf: (sha256: Uint8Array) => Uint8Array | undefined,
    networkConsumed: number,
    /** Opaque volatile (RAM) state from PhoneState exports; absent = fresh boot. */
    volatileState?: Uint8Array,
  ): Result<SyncedPlatform>;
  /** The platform's volatile state as bytes, for checkpoints of a running mirror. */
  exportVolatile(platform: SyncedPlatform): Uint8Array;
}
