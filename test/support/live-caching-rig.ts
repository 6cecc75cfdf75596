// The caching service over loopback (paper §5.1): on a live server, and a
// phone with PhoneCaching. The caching live tests, the live services test and
// the caching benchmark share this wiring, so all run and measure the same
// thing; a test keeps only its policy, its files and its checks.
import {
  attachCaching,
  type CachingAttachOptions,
  type LiveCachingRuntime,
  PhoneCaching,
  type PhoneCachingOptions,
  recipientUrlsUnder,
  startTestRecipient,
} from "../../src/live/caching/index.ts";
import type { ServiceHooks } from "../../src/live/live-server.ts";
import type { PhoneRuntime } from "../../src/live/phone-runtime.ts";
import { nodeSha256 } from "../../src/node/sha256.ts";
import { systemClock } from "../../src/node/system-clock.ts";
import { defaultCachingSettings } from "../../src/services/index.ts";
import { LiveRig, type PhoneShape } from "./live-rig.ts";

/**
 * The caching service attached to every core a test server builds (`services`
 * for startTestServer / LiveRig.start); `close` stops their timers.
 */
export function cachingOnServer(options: Omit<CachingAttachOptions, "clock" | "sha256">) {
  const runtimes: LiveCachingRuntime[] = [];
  const services = (hooks: ServiceHooks) => {
    runtimes.push(attachCaching(hooks, { clock: systemClock, sha256: nodeSha256, ...options }));
  };
  const close = () => {
    for (const runtime of runtimes) runtime.close();
  };
  return { runtimes, services, close };
}

/** The phone's caching client: default settings, cached files fetched on the notice, unless `options` say otherwise. */
export function phoneCaching(phone: PhoneRuntime, options: Partial<PhoneCachingOptions> = {}): PhoneCaching {
  return new PhoneCaching(phone, {
    settings: defaultCachingSettings,
    fetchCached: "on-notice",
    sha256: nodeSha256,
    ...options,
  });
}

export interface CachingRigOptions {
  label: string;
  deviceId: string;
  shape: PhoneShape;
  /** The server's caching service: where uploads go (none: no recipient known) and its policy. */
  server: Omit<CachingAttachOptions, "clock" | "sha256">;
  /** The phone's caching client (phoneCaching's defaults otherwise). */
  phone?: Partial<PhoneCachingOptions>;
}

/** An in-process server with the caching service and `deviceId`'s phone with PhoneCaching. */
export async function startCachingRig(options: CachingRigOptions) {
  const onServer = cachingOnServer(options.server);
  const rig = await LiveRig.start(options.label, [options.deviceId], { services: onServer.services });
  try {
    const { phone } = await rig.bootPhone(options.deviceId, options.shape);
    const caching = phoneCaching(phone, options.phone);
    const close = async (): Promise<void> => {
      onServer.close();
      await rig.close();
    };
    return { rig, server: rig.server, runtimes: onServer.runtimes, phone, caching, close };
  } catch (error) {
    onServer.close();
    await rig.close();
    throw error;
  }
}

/** startCachingRig with a test recipient that the server's uploads and the phone's own uploads go to. */
export async function startLiveCachingRig(dataPrefix: string, deviceId: string, shape: PhoneShape) {
  const recipient = await startTestRecipient();
  const rig = await startCachingRig({
    label: dataPrefix,
    deviceId,
    shape,
    server: { recipientUrlOf: recipientUrlsUnder(`${recipient.baseUrl}/inbox`) },
    phone: { recipientUrlOf: (address) => recipient.urlOf(address) },
  });
  const close = async (): Promise<void> => {
    await rig.close();
    await recipient.close();
  };
  return { ...rig, recipient, close };
}
