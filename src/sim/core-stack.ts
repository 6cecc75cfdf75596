// Binds the simulator to the real core: CorePhone (src/platform + SyncClient)
// and CoreServer (SyncServer, TrafficMonitor, MirrorServer, MemoryMirrorStore).
// Phones cycle through a few models, so mirrors share a few templates.
import { assert } from "../core/assert.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { disableSharedContent, enableSharedContent } from "../platform/index.ts";
import { CorePhone } from "./core-phone.ts";
import { CoreServer } from "./core-server.ts";
import type { SimStackFactory } from "./stack.ts";

const models = ["mc-phone-a", "mc-phone-b", "mc-phone-c"] as const;

export function coreStack(): SimStackFactory {
  let server: CoreServer | undefined;
  return {
    createServer(observer, options) {
      // Each phone and its mirror live in this thread. A mirror that takes its
      // phone's storage steps holds the phone's file nodes already; otherwise
      // the shared-content table lets it hold the phone's file bytes. With
      // steps shared the table would only pin contents nobody takes (32 MB a
      // thread, evicting on every write).
      if (options.sharedSteps === false) enableSharedContent();
      else disableSharedContent();
      server = new CoreServer(observer, options, nodeSha256);
      return server;
    },
    createPhone(index, options) {
      assert(server !== undefined, "create the server before its phones");
      const deviceId = `phone-${index}`;
      const model = models[index % models.length]!;
      const phone = new CorePhone(deviceId, model, options, nodeSha256);
      server.register(deviceId, model, phone.levelKey);
      return phone;
    },
  };
}
