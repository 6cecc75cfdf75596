// Building blocks shared by the live tests, `mirrorcell load` and the ingest
// bench: an in-process server on loopback ports, enrolled phones running the
// real platform + SyncClient, and end-to-end comparison of phone and mirror.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { assert } from "../core/assert.ts";
import { bytesEqual, toHex } from "../core/bytes.ts";
import type { Clock } from "../core/ports.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { systemClock } from "../node/system-clock.ts";
import { levelKeyFromDeviceKey } from "../platform/key-level.ts";
import { ContentOrigin } from "./content-origin.ts";
import { createLiveCore } from "./core-adapter.ts";
import { liveFrameCodec } from "./frame-codec.ts";
import type { LiveCore } from "./live-core.ts";
import { type LiveServer, type LiveServerOptions, startLiveServer } from "./live-server.ts";
import { LivePhoneCore, type LivePhoneOptions } from "./phone-core-adapter.ts";
import { PhoneRuntime } from "./phone-runtime.ts";
import type { PhoneStore } from "./phone-state.ts";
import { enrollDevice, openDatabase } from "./sqlite-db.ts";

export const testAdminToken = "test-admin-token-0123456789abcdef";

export function tempDataDir(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `mc-${label}-`));
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export function startTestServer(
  dataDir: string,
  options: {
    port?: number;
    proxyPort?: number;
    synchronousFull?: boolean;
    clock?: Clock;
    services?: LiveServerOptions["services"];
  } = {},
): Promise<LiveServer> {
  return startLiveServer({
    dataDir,
    host: "127.0.0.1",
    port: options.port ?? 0,
    proxyPort: options.proxyPort ?? 0,
    adminToken: testAdminToken,
    synchronousFull: options.synchronousFull ?? false,
    clock: options.clock ?? systemClock,
    sha256: nodeSha256,
    log: pino({ level: process.env.MC_LOG ?? "silent" }, pino.destination(2)),
    codec: liveFrameCodec,
    makeCore: createLiveCore,
    services: options.services,
  });
}

/** Enrolls devices in the data dir's database (works while a server runs: WAL). */
export function enrollDevices(dataDir: string, deviceIds: readonly string[]): Map<string, Uint8Array> {
  const db = openDatabase(dataDir, { synchronousFull: false });
  try {
    return new Map(deviceIds.map((id) => [id, enrollDevice(db, id, systemClock.nowMs())]));
  } finally {
    db.close();
  }
}

export interface PhoneFleetOptions
  extends Omit<LivePhoneOptions, "deviceId" | "sha256" | "clock" | "seed" | "saved" | "commit" | "levelKey"> {
  syncUrl: string;
  proxyUrl: string;
  keys: Map<string, Uint8Array>;
  seed: number;
  stepMs?: number;
  /** Each phone's durable store (its state is loaded at start, committed at every batch). */
  stores?: Map<string, PhoneStore>;
  onLog?(deviceId: string, line: string): void;
}

/** Loopback tests' phones: a busy user, small files, 200 ms sync windows, so a run takes seconds. */
export const quickTestWorkload = {
  model: "pixel",
  eventsPerSecond: 20,
  networkPerSecond: 1,
  syncIntervalMs: 200,
  sizeScale: 0.01,
  stepMs: 20,
} as const;

export async function startPhones(
  options: PhoneFleetOptions,
): Promise<{ phones: PhoneRuntime[]; origin: ContentOrigin }> {
  const origin = new ContentOrigin();
  await origin.start();
  const phones: PhoneRuntime[] = [];
  for (const [deviceId, key] of options.keys) {
    const store = options.stores?.get(deviceId);
    const core = new LivePhoneCore({
      ...options,
      deviceId,
      sha256: nodeSha256,
      clock: systemClock,
      seed: deviceSeed(options.seed, deviceId),
      levelKey: levelKeyFromDeviceKey(key, nodeSha256),
      saved: store?.load(),
      commit: store === undefined ? undefined : (state, blobOf) => store.commit(state, blobOf),
    });
    const phone = new PhoneRuntime({
      core,
      syncUrl: options.syncUrl,
      proxyUrl: options.proxyUrl,
      key,
      clock: systemClock,
      codec: liveFrameCodec,
      origin,
      stepMs: options.stepMs,
      onLog: (line) => options.onLog?.(deviceId, line),
    });
    phone.start();
    phones.push(phone);
  }
  return { phones, origin };
}

/** Each device gets its own workload: the run seed mixed with the device id (FNV-1a). */
export function deviceSeed(seed: number, deviceId: string): number {
  let hash = 0x811c9dc5 ^ seed;
  for (let i = 0; i < deviceId.length; i++) hash = Math.imul(hash ^ deviceId.charCodeAt(i), 0x01000193);
  return hash >>> 0;
}

export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 25,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, stepMs));
  }
  return condition();
}

/** Differences between a phone and its mirror: empty when digests and every file match. */
export function compareWithMirror(phone: PhoneRuntime, core: LiveCore): string[] {
  const id = phone.core.deviceId;
  const problems: string[] = [];
  const mirrorDigest = core.digest(id);
  if (mirrorDigest === undefined) return [`${id}: no mirror`];
  if (!bytesEqual(mirrorDigest, phone.core.digest())) {
    problems.push(
      `${id}: digest phone ${toHex(phone.core.digest()).slice(0, 16)} mirror ${toHex(mirrorDigest).slice(0, 16)}`,
    );
  }
  const files = core.files(id);
  assert(files.ok, "a mirror with a digest has files");
  const phoneFiles = phone.core.files();
  if (files.value.length !== phoneFiles.length)
    problems.push(`${id}: ${phoneFiles.length} files on the phone, ${files.value.length} on the mirror`);
  const mirrorByPath = new Map(files.value.map((f) => [f.path, f]));
  for (const f of phoneFiles) {
    const m = mirrorByPath.get(f.path);
    if (m === undefined || !bytesEqual(m.sha256, f.sha256)) {
      problems.push(`${id}: ${f.path} differs`);
      continue;
    }
    const bytes = core.readFile(id, f.path);
    const mine = phone.core.readFile(f.path);
    if (!bytes.ok || !mine.ok || !bytesEqual(bytes.value, mine.value))
      problems.push(`${id}: ${f.path} bytes differ`);
  }
  return problems.slice(0, 20);
}
