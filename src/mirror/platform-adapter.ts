// The real phone platform (src/platform) behind the PlatformFactory port:
// mirrors start from the model's shared factory template (copy-on-write) or
// from a manifest plus blobs (restore, clone) with fresh volatile state.
// Either way the mirror's directory trees are built under its device's level
// key (src/platform/key-level.ts), the same key the phone uses.

import { assert } from "../core/assert.ts";
import { fromUtf8, utf8 } from "../core/bytes.ts";
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import {
  type AppName,
  appNames,
  factoryTemplate,
  type LevelKey,
  Platform,
  Storage,
  type UiState,
} from "../platform/index.ts";
import type { PlatformFactory, SyncedPlatform, TreeFileEntry, TreeView } from "./platform-port.ts";

export interface PlatformFactoryOptions {
  /**
   * The device's directory level key (live: from its enrolled key; sim: its
   * seeded secret). Required, no default: a mirror under the public key
   * could be flooded by names ground against it. Undefined = the device has
   * no key (not enrolled, or deleted since it was looked up): a fact of the
   * world, not a bug, so the mirror is refused with E_DEVICE_UNKNOWN. Tests
   * and tools that want the public key return publicLevelKey by name.
   */
  levelKeyOf(deviceId: string): LevelKey | undefined;
}

export function platformFactory(sha256: Sha256, options: PlatformFactoryOptions): PlatformFactory {
  assert(typeof options?.levelKeyOf === "function", "platformFactory needs levelKeyOf");
  const levelKeyOf = (deviceId: string): Result<LevelKey> => {
    const key = options.levelKeyOf(deviceId);
    if (key === undefined) return fail(ErrorCodes.DEVICE_UNKNOWN, `No level key for device ${deviceId}`);
    return ok(key);
  };
  const template = (model: string): Result<ReturnType<typeof factoryTemplate>> => {
    if (model.length === 0 || model.length > 255)
      return fail(ErrorCodes.TEMPLATE_UNKNOWN, `Bad model ${model}`);
    return ok(factoryTemplate(model, sha256));
  };
  return {
    fromTemplate(deviceId: string, model: string): Result<SyncedPlatform> {
      const from = template(model);
      if (!from.ok) return from;
      const levelKey = levelKeyOf(deviceId);
      if (!levelKey.ok) return levelKey;
      return ok(
        Platform.create({
          mode: "mirror",
          deviceId,
          model,
          sha256,
          from: from.value,
          levelKey: levelKey.value,
        }),
      );
    },
    exportVolatile(platform: SyncedPlatform): Uint8Array {
      assert(platform instanceof Platform, "exportVolatile needs a platform this factory made");
      return exportUiState(platform);
    },
    templateView(model: string): Result<TreeView> {
      const from = template(model);
      if (!from.ok) return from;
      return ok(Storage.fromSnapshot(from.value.storage, sha256));
    },
    fromManifest(
      deviceId: string,
      model: string,
      files: readonly TreeFileEntry[],
      emptyDirs: readonly string[],
      blobOf: (sha: Uint8Array) => Uint8Array | undefined,
      networkConsumed: number,
      volatileState?: Uint8Array,
    ): Result<SyncedPlatform> {
      const base = template(model);
      if (!base.ok) return base;
      const levelKey = levelKeyOf(deviceId);
      if (!levelKey.ok) return levelKey;
      // The template's blobs are already verified in memory: a restore fetches and hashes only the rest.
      const storage = Storage.fromManifest(files, blobOf, {
        sha256,
        levels: levelKey.value,
        emptyDirs,
        known: base.value.storage,
      });
      if (!storage.ok) return storage;
      const ui = volatileState === undefined ? base.value.ui : parseUiState(volatileState);
      if (ui === undefined)
        return fail(ErrorCodes.INPUT_MALFORMED, "Volatile state is not a platform UI state");
      const from = { ...base.value, storage: storage.value.snapshot(), ui, networkConsumed, poweredOn: true };
      assert(from.storage.levels === levelKey.value, "a restored mirror keeps its device's level key");
      return ok(Platform.create({ mode: "mirror", deviceId, model, sha256, from }));
    },
  };
}

/** The phone side of a clone: its volatile state as bytes (JSON; the UI state is JSON-safe). */
export function exportUiState(platform: Platform): Uint8Array {
  return utf8(JSON.stringify(platform.uiState));
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isAppUi(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const { screen, draft, scrollY, selected, fields } = value;
  return (
    typeof screen === "string" &&
    typeof draft === "string" &&
    typeof scrollY === "number" &&
    typeof selected === "number" &&
    isRecord(fields) &&
    Object.values(fields).every((f) => typeof f === "string")
  );
}

/** Parses exported volatile state from a peer; undefined when it is not one. */
export function parseUiState(bytes: Uint8Array): UiState | undefined {
  if (bytes.length > limits.volatileStateBytesMax) return undefined;
  const text = fromUtf8(bytes);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!isRecord(value) || !isRecord(value.apps)) return undefined;
  const { foreground, locked, shadeOpen, apps } = value;
  if (
    !appNames.includes(foreground as AppName) ||
    typeof locked !== "boolean" ||
    typeof shadeOpen !== "boolean"
  ) {
    return undefined;
  }
  for (const [name, ui] of Object.entries(apps))
    if (!appNames.includes(name as AppName) || !isAppUi(ui)) return undefined;
  return value as unknown as UiState;
}
