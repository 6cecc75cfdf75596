// `mirrorcell load` and `mirrorcell phone`: run one or many live phones
// against a mirror server for a while, power them off, and report (issue 5).
import { assert } from "../core/assert.ts";
import { toHex } from "../core/bytes.ts";
import { MirrorcellError } from "../core/errors.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { systemClock } from "../node/system-clock.ts";
import { defaultCachingSettings } from "../services/caching/index.ts";
import { PhoneCaching, type PhoneCachingOptions, type PhoneCachingStats } from "./caching/phone-caching.ts";
import { startPhones, waitFor } from "./live-harness.ts";
import { PhoneStore } from "./phone-state.ts";

export interface WorkloadProfile {
  eventsPerSecond: number;
  networkPerSecond: number;
  sizeScale: number;
}

/** Named workloads: "paper" is §5.1 (0.5 events/s, realistic sizes); "light" shrinks payloads for fleets. */
export const workloadProfiles: Record<string, WorkloadProfile> = {
  paper: { eventsPerSecond: 0.5, networkPerSecond: 0.02, sizeScale: 1 },
  light: { eventsPerSecond: 0.5, networkPerSecond: 0.02, sizeScale: 0.01 },
  busy: { eventsPerSecond: 20, networkPerSecond: 1, sizeScale: 0.01 },
};

export interface LoadOptions {
  serverUrl: string;
  proxyUrl: string;
  keys: Map<string, Uint8Array>;
  profile: WorkloadProfile;
  syncIntervalMs: number;
  durationMs: number;
  seed: number;
  model: string;
  /** One phone's own data dir: state loaded at start, committed at every batch (survives kill -9). */
  phoneDataDir?: string;
  /** Every everyMs, each phone shares its largest file with the recipients (paper §5.1.2). */
  share?: { everyMs: number; recipients: readonly string[] };
  /** The phone's caching options (issue 7) and URLs each phone asks the server to download at start. */
  caching?: Omit<PhoneCachingOptions, "sha256"> & { downloads: readonly string[] };
  /** Resolves early (SIGINT): power off now. */
  interrupted?: Promise<void>;
  onProgress?(line: string): void;
}

export interface LoadReport {
  phones: number;
  durationMs: number;
  userInputs: number;
  userInputsPerSecond: number;
  userInputsRejected: number;
  networkInputs: number;
  poweredOffAcked: number;
  reconnects: number;
  /** Mirrors re-cloned from their phone (a phone whose state the mirror did not follow). */
  reClones: number;
  errors: string[];
  digests: Record<string, string>;
  /** Shares sent by the mirror (fake uploads) and by the phone itself. */
  sharesViaMirror: number;
  sharesDirect: number;
  /** Caching service counters summed over the phones (issue 7). */
  caching: PhoneCachingStats;
}

/** The WebSocket sync URL of a server's HTTP URL. */
export function syncUrlOf(serverUrl: string): string {
  const url = new URL(serverUrl);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  url.pathname = "/sync";
  return url.toString();
}

/** The proxy's URL by convention: the server's host, the HTTP port + 1. */
export function proxyUrlOf(serverUrl: string): string {
  const url = new URL(serverUrl);
  const port = Number(url.port === "" ? 80 : url.port);
  return `http://${url.hostname}:${port + 1}`;
}

export async function runLoad(options: LoadOptions): Promise<LoadReport> {
  assert(options.keys.size > 0, "load needs at least one phone");
  const startedMs = systemClock.nowMs();
  const stores = new Map<string, PhoneStore>();
  if (options.phoneDataDir !== undefined) {
    assert(options.keys.size === 1, "a phone data dir holds one phone");
    const store = PhoneStore.open(options.phoneDataDir, nodeSha256);
    const state = store.load();
    const deviceId = [...options.keys.keys()][0]!;
    if (state !== undefined && state.deviceId !== deviceId) {
      store.close();
      throw new MirrorcellError(
        "E_USAGE",
        `${options.phoneDataDir} holds phone ${state.deviceId}, not this device`,
      );
    }
    options.onProgress?.(
      state === undefined
        ? `no saved state in ${options.phoneDataDir}: first boot`
        : `restored from ${options.phoneDataDir}: batch ${state.resume.lastBatchNo}, ${state.files.length} files`,
    );
    stores.set(deviceId, store);
  }
  const { phones, origin } = await startPhones({
    stores,
    onLog: (deviceId, line) => options.onProgress?.(`${deviceId}: ${line}`),
    syncUrl: syncUrlOf(options.serverUrl),
    proxyUrl: options.proxyUrl,
    keys: options.keys,
    seed: options.seed,
    model: options.model,
    eventsPerSecond: options.profile.eventsPerSecond,
    networkPerSecond: options.profile.networkPerSecond,
    sizeScale: options.profile.sizeScale,
    syncIntervalMs: options.syncIntervalMs,
  });
  const progress = setInterval(() => {
    const inputs = phones.reduce((sum, p) => sum + p.core.userInputs, 0);
    const connected = phones.filter((p) => p.connected).length;
    options.onProgress?.(`${connected}/${phones.length} connected, ${inputs} user inputs`);
  }, 5_000);
  const shares = { viaMirror: 0, direct: 0 };
  const cachingOptions = options.caching ?? {
    settings: defaultCachingSettings,
    fetchCached: "on-notice",
    downloads: [],
  };
  const caching = phones.map(
    (phone) =>
      new PhoneCaching(phone, {
        ...cachingOptions,
        sha256: nodeSha256,
        // --data: notices survive a kill -9 of the phone (phone.db).
        journal: stores.get(phone.core.deviceId),
      }),
  );
  // Downloads are asked once the phone is connected (its mirror exists, so the notice has a queue).
  for (const [i, c] of caching.entries()) {
    void waitFor(() => phones[i]!.connected, options.durationMs).then(async () => {
      for (const url of cachingOptions.downloads) {
        const asked = await c.requestDownload(url);
        if (!asked.ok)
          options.onProgress?.(`download of ${url} refused: ${asked.error.code}: ${asked.error.message}`);
      }
    });
  }
  const sharing =
    options.share === undefined
      ? undefined
      : setInterval(() => {
          for (const c of caching) {
            void c.shareLargest(options.share!.recipients).then((plan) => {
              if (!plan.ok) options.onProgress?.(`share failed: ${plan.error.message}`);
              else if (plan.value?.decision === "via-mirror") shares.viaMirror += 1;
              else if (plan.value !== undefined) shares.direct += 1;
            });
          }
        }, options.share.everyMs);
  await Promise.race([
    new Promise((resolve) => setTimeout(resolve, options.durationMs)),
    options.interrupted ?? new Promise(() => undefined),
  ]);
  clearInterval(progress);
  if (sharing !== undefined) clearInterval(sharing);
  for (const c of caching) c.close();
  const acked = await Promise.all(
    phones.map((p) => p.powerOff(Math.max(10_000, options.syncIntervalMs * 3))),
  );
  await origin.close();
  for (const store of stores.values()) store.close();
  const durationMs = systemClock.nowMs() - startedMs;
  const userInputs = phones.reduce((sum, p) => sum + p.core.userInputs, 0);
  return {
    phones: phones.length,
    durationMs,
    userInputs,
    userInputsPerSecond: Math.round((userInputs / durationMs) * 1000 * 10) / 10,
    userInputsRejected: phones.reduce((sum, p) => sum + p.core.userInputsRejected, 0),
    networkInputs: phones.reduce((sum, p) => sum + p.networkFetches, 0),
    poweredOffAcked: acked.filter(Boolean).length,
    reconnects: phones.reduce((sum, p) => sum + Math.max(0, p.welcomes - 1), 0),
    reClones: phones.reduce((sum, p) => sum + p.core.clones, 0),
    errors: phones.flatMap((p) => p.errors.map((e) => `${p.core.deviceId}: ${e}`)).slice(0, 50),
    digests: Object.fromEntries(phones.map((p) => [p.core.deviceId, toHex(p.core.digest())])),
    sharesViaMirror: shares.viaMirror,
    sharesDirect: shares.direct,
    caching: sumStats(caching.map((c) => c.stats)),
  };
}

function sumStats(all: readonly PhoneCachingStats[]): PhoneCachingStats {
  const total = { ...all[0]! };
  for (const stats of all.slice(1)) {
    for (const key of Object.keys(total) as (keyof PhoneCachingStats)[]) total[key] += stats[key];
  }
  return total;
}
