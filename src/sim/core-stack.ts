// Binds the simulator to the real core: CorePhone (src/platform + SyncClient)
// and CoreServer (SyncServer, TrafficMonitor, MirrorServer, MemoryMirrorStore).
// Phones cycle through a few models, so mirrors share a few templates.
import { assert } from "../core/assert.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { enableSharedContent } from "../platform/index.ts";
import { CorePhone } from "./core-phone.ts";
import { CoreServer } from "./core-server.ts";
import type { SimStackFactory } from "./stack.ts";

const models = ["mc-phone-a", "mc-phone-b", "mc-phone-c"] as const;

export function coreStack(): SimStackFactory {
  // Each phone and its mirror live in this thread: the mirror can hold the phone's file bytes.
  enableSharedContent();
  let server: CoreServer | undefined;
  return {
    createServer(observer, options) {
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
