// The `mirrorcell serve` process (issue 5): one process hosting the
// Syn-Server, Traffic Monitor and mirrors (through LiveCore), with the HTTP
// API, the WebSocket sync endpoint, the forward proxy, replay timers, durable
// state in SQLite + blob files, and a clean shutdown.
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { FastifyInstance } from "fastify";
import type { Logger } from "pino";
import { assert } from "../core/assert.ts";
import { toHex } from "../core/bytes.ts";
import type { Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Clock, Sha256 } from "../core/ports.ts";
import type { TreeView } from "../mirror/platform-port.ts";
import type { NetworkInput } from "../platform/inputs.ts";
import type { SyncServer } from "../sync/sync-server.ts";
import { loadOrCreateAdminToken, parseDeviceKey, tokenMatches } from "./auth.ts";
import { BlobFiles } from "./blob-files.ts";
import { GroupCommitter } from "./group-commit.ts";
import { buildApp } from "./http-app.ts";
import type { LiveCore } from "./live-core.ts";
import { LagHistogram, type LiveMetricsSnapshot } from "./metrics.ts";
import { type Db, deviceKey, openDatabase } from "./sqlite-db.ts";
import { SyncEndpoint, syncPath } from "./sync-endpoint.ts";
import type { FrameCodec } from "./sync-session.ts";
import { type CacheRoutes, createTrafficProxy } from "./traffic-proxy.ts";
import { serverStartFlags, tuneV8ForServer } from "./v8-tuning.ts";

/**
 * What a mirror service (paper §5) gets from the core: the replay hook, the
 * notice queue, the mirror storage and the Traffic Monitor. recordNetwork only
 * records; the phone fetches recorded inputs through the proxy.
 */
export interface ServiceHooks {
  onReplayedInput: SyncServer["onReplayedInput"];
  queueNotice: SyncServer["queueNotice"];
  view(deviceId: string): TreeView | undefined;
  recordNetwork(deviceId: string, input: Omit<NetworkInput, "index">): Result<NetworkInput>;
  // --- caching service (issue 7): set by startLiveServer around the core's hooks ---
  /** The server's database and data dir, for a service's own durable tables and blob files. */
  durable?: { db: Db; dataDir: string; fsync: boolean };
  /** Serves the phone-facing caching routes on the Traffic Monitor proxy's own host. */
  servePhoneCache?(routes: CacheRoutes): void;
}

export interface CoreFactoryDeps {
  db: Db;
  blobs: BlobFiles;
  sha256: Sha256;
  clock: Clock;
  log: Logger;
  /** Called once each time a core is built, to attach services to it. */
  services?: (hooks: ServiceHooks) => void;
}

export interface LiveServerOptions {
  dataDir: string;
  host: string;
  port: number;
  /** Forward proxy port (Traffic Monitor); undefined = no proxy, 0 = any. */
  proxyPort?: number;
  adminToken?: string;
  synchronousFull?: boolean;
  clock: Clock;
  sha256: Sha256;
  log: Logger;
  codec: FrameCodec;
  makeCore(deps: CoreFactoryDeps): LiveCore;
  services?: CoreFactoryDeps["services"];
}

export interface LiveServer {
  httpUrl: string;
  syncUrl: string;
  proxyUrl: string | undefined;
  adminToken: string;
  adminTokenCreated: boolean;
  core: LiveCore;
  db: Db;
  committer: GroupCommitter;
  endpoint: SyncEndpoint;
  close(): Promise<void>;
}

export async function startLiveServer(options: LiveServerOptions): Promise<LiveServer> {
  const { log, clock } = options;
  // The start-only flags count when this process was started with them (spawnServer does).
  const v8Flags = [...process.execArgv.filter((f) => serverStartFlags.includes(f)), ...tuneV8ForServer()];
  const db = openDatabase(options.dataDir, { synchronousFull: options.synchronousFull ?? true });
  // One durability level for the database and the blob files.
  const synchronousFull = options.synchronousFull ?? true;
  const blobs = new BlobFiles(`${options.dataDir}/blobs`, options.sha256, { fsync: synchronousFull });
  const admin = loadOrCreateAdminToken(options.dataDir, options.adminToken);
  let cacheRoutes: CacheRoutes | undefined;
  let core: LiveCore;
  try {
    const services = withServerHooks(
      options.services,
      { db, dataDir: options.dataDir, fsync: synchronousFull },
      (routes) => {
        cacheRoutes = routes;
      },
    );
    core = options.makeCore({ db, blobs, sha256: options.sha256, clock, log, services });
  } catch (error) {
    db.close();
    throw error;
  }
  const fatal = (error: unknown) => {
    log.fatal({ err: error }, "durable write failed; stopping so the store stays the truth");
    process.exit(70);
  };
  const committer = new GroupCommitter(db, fatal);
  const stats = { framesRejected: 0, authFailures: 0, bundles: 0, startedMs: clock.nowMs() };
  const lag = new LagHistogram();
  const endpoint = new SyncEndpoint({
    core,
    committer,
    codec: options.codec,
    clock,
    deviceKey: (id) => deviceKey(db, id),
    onRejected: (code, message) => {
      stats.framesRejected += 1;
      if (code === "E_AUTH_FAILED" || code === "E_AUTH_REQUIRED") stats.authFailures += 1;
      log.warn({ code }, message);
    },
    onBundle: () => {
      stats.bundles += 1;
    },
  });
  const replay = startReplayTimer(core, committer, endpoint, clock);
  const metrics = (): LiveMetricsSnapshot => {
    for (const ms of core.counters.drainLagsMs()) lag.observe(ms);
    // Scraped often: counts only, never a view of every mirror.
    const counts = core.mirrorCounts();
    return {
      ...core.counters,
      framesRejectedTotal: stats.framesRejected,
      bundlesReceivedTotal: stats.bundles,
      authFailuresTotal: stats.authFailures,
      phonesConnected: endpoint.connectedPhones,
      mirrorsTotal: counts.total,
      mirrorsRunning: counts.running,
      lag,
      replayCpuSecondsTotal: replay.cpuSeconds(),
      replayBacklogBytes: core.replayBacklogBytes(),
      commitsTotal: committer.transactions,
      committedFramesTotal: committer.works,
    };
  };
  const app = buildApp({
    adminToken: admin.token,
    listMirrors: () => core.mirrors(),
    mirror: (id) => core.mirror(id),
    files: (id) => core.files(id),
    readFile: (id, path) => core.readFile(id, path),
    control: (id, action) => db.transaction(() => core.control(id, action, clock.nowMs()))(),
    disconnectPhone: (id, reason) => endpoint.disconnect(id, reason),
    metrics,
    health: () => ({
      ok: true,
      mirrors: core.mirrorCounts().total,
      phonesConnected: endpoint.connectedPhones,
      uptimeMs: clock.nowMs() - stats.startedMs,
    }),
  });
  app.server.on("upgrade", (req, socket, head) => endpoint.handleUpgrade(req, socket, head));
  const httpUrl = await app.listen({ host: options.host, port: options.port });
  const proxy =
    options.proxyPort === undefined ? undefined : await startProxy(options, db, core, log, cacheRoutes);
  log.info(
    { httpUrl, proxy: proxy?.url, mirrors: core.mirrorCounts().total, v8Flags },
    "mirror server listening",
  );
  const close = makeClose({ app, proxy: proxy?.server, endpoint, committer, replay, db, log });
  return {
    httpUrl,
    syncUrl: `${httpUrl.replace(/^http/, "ws")}${syncPath}`,
    proxyUrl: proxy?.url,
    adminToken: admin.token,
    adminTokenCreated: admin.created,
    core,
    db,
    committer,
    endpoint,
    close,
  };
}

/**
 * Replay shares the thread with intake: each step replays at most
 * replayBatchesPerStepMax batches, then yields (a 1 ms timer) so sockets are
 * read and acks leave between steps. Its CPU time is counted apart, so intake
 * and replay costs can be told apart (/metrics, bench/live-ingest).
 */
function startReplayTimer(core: LiveCore, committer: GroupCommitter, endpoint: SyncEndpoint, clock: Clock) {
  const state = { timer: undefined as NodeJS.Timeout | undefined, stopped: false, cpuMicros: 0 };
  const run = () => {
    if (state.stopped) return;
    const nowMs = clock.nowMs();
    const due = core.nextDueMs();
    if (due !== undefined && due <= nowMs) {
      let out: ReturnType<LiveCore["tick"]> = [];
      committer.enqueue({
        apply: () => {
          const started = process.cpuUsage();
          out = core.tick(nowMs, limits.replayBatchesPerStepMax);
          const spent = process.cpuUsage(started);
          state.cpuMicros += spent.user + spent.system;
        },
        committed: () => {
          for (const o of out) endpoint.sendTo(o.deviceId, o.bytes);
        },
      });
    }
    const next = core.nextDueMs();
    const waitMs =
      next === undefined
        ? limits.replayTimerMsMax
        : Math.min(limits.replayTimerMsMax, Math.max(1, next - nowMs));
    state.timer = setTimeout(run, waitMs);
  };
  state.timer = setTimeout(run, 1);
  return {
    cpuSeconds: () => state.cpuMicros / 1e6,
    stop() {
      state.stopped = true;
      if (state.timer !== undefined) clearTimeout(state.timer);
    },
  };
}

/** Caching service (issue 7): the services callback also gets the durable store and the phone routes. */
function withServerHooks(
  services: CoreFactoryDeps["services"],
  durable: NonNullable<ServiceHooks["durable"]>,
  servePhoneCache: NonNullable<ServiceHooks["servePhoneCache"]>,
): CoreFactoryDeps["services"] {
  if (services === undefined) return undefined;
  return (hooks) => services({ ...hooks, durable, servePhoneCache });
}

async function startProxy(
  options: LiveServerOptions,
  db: Db,
  core: LiveCore,
  log: Logger,
  cache: CacheRoutes | undefined,
) {
  assert(options.proxyPort !== undefined, "proxy port");
  const server = createTrafficProxy({
    clock: options.clock,
    authenticate: (deviceId, keyHex) => {
      const key = deviceKey(db, deviceId);
      if (key === undefined) return false;
      try {
        return tokenMatches(toHex(key), toHex(parseDeviceKey(keyHex)));
      } catch {
        return false;
      }
    },
    record: (deviceId, input) => db.transaction(() => core.recordNetwork(deviceId, input))(),
    recorded: (deviceId, index) => core.recordedNetwork(deviceId, index),
    cache:
      cache === undefined
        ? undefined
        : {
            request: (deviceId, url) => db.transaction(() => cache.request(deviceId, url))(),
            fetch: (deviceId, cacheId) => db.transaction(() => cache.fetch(deviceId, cacheId))(),
          },
    onError: (error) => log.error({ err: error }, "proxy failure"),
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.proxyPort, options.host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return { server, url: `http://${options.host}:${port}` };
}

interface CloseParts {
  app: FastifyInstance;
  proxy: Server | undefined;
  endpoint: SyncEndpoint;
  committer: GroupCommitter;
  replay: { stop(): void };
  db: Db;
  log: Logger;
}

function makeClose(parts: CloseParts): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () => {
    closing ??= (async () => {
      parts.replay.stop();
      parts.endpoint.close();
      parts.proxy?.closeAllConnections();
      parts.proxy?.close();
      await parts.app.close();
      parts.committer.flush();
      parts.db.close();
      parts.log.info("mirror server stopped");
    })();
    return closing;
  };
}
