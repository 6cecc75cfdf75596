// The mirror server's PlatformFactory (src/mirror/platform-port.ts) over the
// real deterministic platform (src/platform): mirror-mode platforms from a
// per-model factory template (built once, shared copy-on-write) or from a
// durable manifest. Glue only.
import { assert } from "../core/assert.ts";
import { ok, type Result } from "../core/errors.ts";
import type { Sha256 } from "../core/ports.ts";
import type { PlatformFactory, SyncedPlatform, TreeView } from "../mirror/platform-port.ts";
import { factoryTemplate, Platform, type PlatformSnapshot, Storage } from "../platform/index.ts";
import { bootUi } from "../platform/ui-state.ts";

/** Models with a cached template; factory images are a few hundred files each. */
export const templateModelsMax = 64;

/**
 * `networkConsumedOf` tells where a rebuilt mirror stands in its network
 * input log (the checkpoint knows; the factory port does not pass it).
 */
export function livePlatformFactory(
  sha256: Sha256,
  networkConsumedOf: (deviceId: string) => number,
): PlatformFactory {
  const templates = new Map<string, PlatformSnapshot>();
  const templateOf = (model: string): PlatformSnapshot => {
    let template = templates.get(model);
    if (template === undefined) {
      assert(templates.size < templateModelsMax, "too many phone models");
      template = factoryTemplate(model, sha256);
      templates.set(model, template);
    }
    return template;
  };
  return {
    fromTemplate(deviceId, model): Result<SyncedPlatform> {
      return ok(Platform.create({ mode: "mirror", deviceId, model, sha256, from: templateOf(model) }));
    },
    templateView(model): Result<TreeView> {
      return ok(Storage.fromSnapshot(templateOf(model).storage, sha256));
    },
    fromManifest(deviceId, model, files, emptyDirs, blobOf): Result<SyncedPlatform> {
      const storage = Storage.fromManifest(files, blobOf, sha256, emptyDirs);
      if (!storage.ok) return storage;
      const from: PlatformSnapshot = {
        model,
        storage: storage.value.snapshot(),
        ui: bootUi(),
        networkConsumed: networkConsumedOf(deviceId),
        poweredOn: true,
      };
      return ok(Platform.create({ mode: "mirror", deviceId, model, sha256, from }));
    },
  };
}
