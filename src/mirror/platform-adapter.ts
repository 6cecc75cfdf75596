// The real phone platform (src/platform) behind the PlatformFactory port:
// mirrors start from the model's shared factory template (copy-on-write) or
// from a manifest plus blobs (restore, clone) with fresh volatile state.
import { ErrorCodes, fail, ok, type Result } from "../core/errors.ts";
import type { Sha256 } from "../core/ports.ts";
import { factoryTemplate, Platform, Storage } from "../platform/index.ts";
import type { PlatformFactory, SyncedPlatform, TreeFileEntry, TreeView } from "./platform-port.ts";

export function platformFactory(sha256: Sha256): PlatformFactory {
  const template = (model: string): Result<ReturnType<typeof factoryTemplate>> => {
    if (model.length === 0 || model.length > 255)
      return fail(ErrorCodes.TEMPLATE_UNKNOWN, `Bad model ${model}`);
    return ok(factoryTemplate(model, sha256));
  };
  return {
    fromTemplate(deviceId: string, model: string): Result<SyncedPlatform> {
      const from = template(model);
      if (!from.ok) return from;
      return ok(Platform.create({ mode: "mirror", deviceId, model, sha256, from: from.value }));
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
    ): Result<SyncedPlatform> {
      const base = template(model);
      if (!base.ok) return base;
      const storage = Storage.fromManifest(files, blobOf, sha256, emptyDirs);
      if (!storage.ok) return storage;
      const from = { ...base.value, storage: storage.value.snapshot(), networkConsumed, poweredOn: true };
      return ok(Platform.create({ mode: "mirror", deviceId, model, sha256, from }));
    },
  };
}
