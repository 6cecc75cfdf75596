// One live server with the caching service, a test recipient, and one phone
// with PhoneCaching over loopback: the setup the live services test and the
// caching benchmark share, so both measure the same wiring.
import {
  attachCaching,
  type LiveCachingRuntime,
  PhoneCaching,
  recipientUrlsUnder,
  startTestRecipient,
} from "../../src/live/caching/index.ts";
import {
  enrollDevices,
  type PhoneFleetOptions,
  startPhones,
  startTestServer,
  tempDataDir,
} from "../../src/live/live-harness.ts";
import { nodeSha256 } from "../../src/node/sha256.ts";
import { systemClock } from "../../src/node/system-clock.ts";
import { defaultCachingSettings } from "../../src/services/index.ts";

type PhoneShape = Omit<PhoneFleetOptions, "syncUrl" | "proxyUrl" | "keys">;

export async function startLiveCachingRig(dataPrefix: string, deviceId: string, phoneShape: PhoneShape) {
  const recipient = await startTestRecipient();
  const data = tempDataDir(dataPrefix);
  const runtimes: LiveCachingRuntime[] = [];
  const server = await startTestServer(data.dir, {
    services: (hooks) => {
      const recipientUrlOf = recipientUrlsUnder(`${recipient.baseUrl}/inbox`);
      runtimes.push(attachCaching(hooks, { clock: systemClock, sha256: nodeSha256, recipientUrlOf }));
    },
  });
  const keys = enrollDevices(data.dir, [deviceId]);
  const { phones, origin } = await startPhones({
    ...phoneShape,
    syncUrl: server.syncUrl,
    proxyUrl: server.proxyUrl!,
    keys,
  });
  const phone = phones[0]!;
  const caching = new PhoneCaching(phone, {
    settings: defaultCachingSettings,
    fetchCached: "on-notice",
    sha256: nodeSha256,
    recipientUrlOf: (address) => recipient.urlOf(address),
  });
  const close = async (): Promise<void> => {
    for (const r of runtimes) r.close();
    await phone.close();
    await origin.close();
    await server.close();
    await recipient.close();
    data.remove();
  };
  return { recipient, runtimes, server, phone, caching, close };
}
