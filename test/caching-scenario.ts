// A hand-stepped end-to-end stack for the caching service (paper §5.1): a
// phone-mode Platform + SyncClient, a mirror server (MirrorServer, Traffic
// Monitor, SyncServer) with the caching service on its ServiceHost, the
// in-memory outside world (recipients, web), and the phone's radio modelled
// by the simulator's Table 1 links, which count every byte the phone sends or
// receives and its serialization time. Frames are delivered at once (the
// latency does not matter to what is measured here). Used by the caching
// end-to-end tests and by bench/caching.ts.
import { assert } from "../src/core/assert.ts";
import { bytesEqual } from "../src/core/bytes.ts";
import { ok, type Result } from "../src/core/errors.ts";
import type { Clock } from "../src/core/ports.ts";
import { SeededRng } from "../src/core/rng.ts";
import type { Notice } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import { MemoryMirrorStore, MirrorServer, platformFactory } from "../src/mirror/index.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { Platform, Storage, seededNondet } from "../src/platform/index.ts";
import type { AppName, NetworkInput, UserInput, UserInputBody } from "../src/platform/inputs.ts";
import {
  attachServices,
  type CachingPolicy,
  CachingService,
  type CachingSettings,
  defaultCachingPolicy,
  MemoryWorld,
  type NetworkDelivery,
  type NoticeSink,
  planUpload,
  type ServiceHost,
  type UploadPlan,
} from "../src/services/index.ts";
import { Link } from "../src/sim/link.ts";
import { linkRatesFor, type NetworkKind } from "../src/sim/network-profiles.ts";
import { SyncClient, SyncServer, TrafficMonitor } from "../src/sync/index.ts";

export interface ScenarioOptions {
  seed: number;
  network: NetworkKind;
  settings: CachingSettings;
  policy?: CachingPolicy;
  syncIntervalMs?: number;
  /**
   * Builds the server's services on the given ports; default: the caching
   * service over the in-memory world. The live test passes LiveCachingRuntime.
   */
  services?: (ports: ServerPorts) => { host: ServiceHost; caching: CachingService };
}

export interface ServerPorts {
  clock: Clock;
  notices: NoticeSink;
  network: NetworkDelivery;
}

export interface RadioTotals {
  uplinkBytes: number;
  downlinkBytes: number;
  uplinkBusyMs: number;
  downlinkBusyMs: number;
  /** File bytes the phone uploaded itself (direct uploads). */
  uplinkFileBytes: number;
}

const deviceId = "phone-1";
const model = "g1";
const stepsMax = 1_000_000;

export class CachingScenario {
  nowMs = 0;
  readonly phone: Platform;
  mirrors!: MirrorServer;
  server!: SyncServer;
  readonly client: SyncClient;
  host!: ServiceHost;
  caching!: CachingService;
  readonly world = new MemoryWorld();
  readonly phoneNotices: Notice[] = [];
  readonly deviceId = deviceId;
  private monitor!: TrafficMonitor;
  private readonly store = new MemoryMirrorStore();
  private readonly uplink: Link;
  private readonly downlink: Link;
  private readonly radio: RadioTotals = {
    uplinkBytes: 0,
    downlinkBytes: 0,
    uplinkBusyMs: 0,
    downlinkBusyMs: 0,
    uplinkFileBytes: 0,
  };

  constructor(readonly options: ScenarioOptions) {
    const rng = new SeededRng(options.seed);
    this.startServer();
    assert(this.mirrors.register(deviceId, model).ok, "register the mirror");
    const clock = { nowMs: () => this.nowMs };
    this.phone = Platform.create({
      mode: "phone",
      deviceId,
      model,
      sha256: nodeSha256,
      nondet: seededNondet({ rng: rng.fork("nondet"), clock }),
    });
    this.client = new SyncClient({
      deviceId,
      platform: this.phone,
      snapshot: () => Storage.fromSnapshot(this.phone.storage.snapshot(), nodeSha256),
      sha256: nodeSha256,
      syncIntervalMs: options.syncIntervalMs ?? 60_000,
      startMs: 0,
    });
    const rates = linkRatesFor(options.network, "tested", rng.fork("rates"));
    this.uplink = new Link(rates.uplinkKbps, 100, rng.fork("up"));
    this.downlink = new Link(rates.downlinkKbps, 100, rng.fork("down"));
    this.send(this.client.onConnect(0));
  }

  /**
   * Starts (or, after a crash, restarts) the mirror server: everything
   * volatile is new — Syn-Server, Traffic Monitor, mirrors in memory, the
   * ServiceHost and the caching service — and only the store survives.
   */
  startServer(): void {
    this.mirrors = new MirrorServer({
      store: this.store,
      platforms: platformFactory(nodeSha256),
      sha256: nodeSha256,
    });
    this.monitor = new TrafficMonitor(this.mirrors, nodeSha256);
    this.server = new SyncServer({ mirrors: this.mirrors, monitor: this.monitor, sha256: nodeSha256 });
    if (this.options.services === undefined) {
      // The wiring a runtime does: attachServices over the core's own objects.
      this.host = attachServices({
        sync: this.server,
        mirrors: this.mirrors,
        monitor: this.monitor,
        forwardToPhone: (_id, input) => this.applyOnPhone(input),
        sha256: nodeSha256,
        outbox: this.world,
        fetcher: this.world,
      });
      const policy = this.options.policy ?? defaultCachingPolicy;
      this.caching = this.host.register((p) => new CachingService(p, policy));
      return;
    }
    const services = this.options.services({
      clock: { nowMs: () => this.nowMs },
      notices: { queueNotice: (id, notice) => this.server.queueNotice(id, notice) },
      network: { deliver: (id, input) => this.networkToPhone(id, input) },
    });
    this.host = services.host;
    this.caching = services.caching;
    this.server.onReplayedInput((id, event, replayMs) => {
      if (event.kind !== "user") return;
      const storage = this.mirrors.view(id);
      assert(storage !== undefined, "a replaying mirror has storage");
      this.host.replayedInput({ deviceId: id, input: event.input, storage, nowMs: replayMs });
    });
  }

  /** A server crash and restart; the phone reconnects and retransmits what is unacked. */
  crashServer(): void {
    this.startServer();
    const restored = this.server.restore();
    assert(restored.ok, "the server restores from its store");
    this.client.onDisconnect();
    this.send(this.client.onConnect(this.nowMs));
  }

  /** The network delivers something to the phone through the Traffic Monitor. */
  networkToPhone(id: string, input: Omit<NetworkInput, "index">): Result<NetworkInput> {
    const recorded = this.monitor.deliver(id, input);
    if (recorded.ok) this.applyOnPhone(recorded.value);
    return recorded;
  }

  /** A recorded network input crosses the downlink and the phone applies it. */
  private applyOnPhone(input: NetworkInput): void {
    this.radioDown(input.payload.length + 64);
    const applied = this.phone.applyNetwork(input);
    assert(applied.ok, `phone refused network input: ${applied.ok ? "" : applied.error.message}`);
  }

  /** The user does something on the phone; the Syn-Client records it. */
  user(app: AppName, body: UserInputBody): Result<UserInput> {
    this.send(this.client.tick(this.nowMs));
    const applied = this.phone.applyUser({ seq: this.client.nextSeq, timeMs: this.nowMs, app, body });
    if (!applied.ok) return applied;
    const recorded = this.client.record(applied.value);
    assert(recorded.ok, "the client records an applied input");
    return applied;
  }

  /**
   * The user keeps using the phone (a tap), so the next sync window carries a
   * batch and the server's queued notices ride back on its reply.
   */
  tap(): void {
    const tapped = this.user("system", { kind: "tap", x: 10, y: 20 });
    assert(tapped.ok, "a tap is always accepted");
  }

  /** The user shares a file: the caching policy decides who sends it. */
  upload(path: string, recipients: readonly string[]): Result<UploadPlan> {
    const stat = this.phone.storage.stat(path);
    if (!stat.ok) return stat;
    const plan = planUpload({ path, sizeBytes: stat.value.size, recipients }, this.options.settings);
    if (!plan.ok) return plan;
    const applied = this.user(plan.value.input.app, plan.value.input.body);
    if (!applied.ok) return applied;
    const file = this.phone.storage.readFile(path);
    assert(file.ok, "the uploaded file exists");
    for (const send of plan.value.directSends) {
      this.radioUp(send.bytes);
      this.radio.uplinkFileBytes += send.bytes;
      const name = path.slice(path.lastIndexOf("/") + 1);
      this.world.receiveFromPhone(
        { fromDeviceId: deviceId, to: send.to, name, payload: file.value },
        this.nowMs,
      );
    }
    return plan;
  }

  /** The user asks the server to cache a URL (a small control request on the uplink). */
  requestDownload(url: string): Result<string> {
    this.radioUp(url.length + 32);
    return this.caching.requestDownload(deviceId, url, this.nowMs);
  }

  /** The user chooses to fetch a cached file now. */
  fetchCached(cacheId: string): Result<NetworkInput> {
    const tapped = this.user("cache", { kind: "action", name: "fetch", args: [`id=${cacheId}`] });
    if (!tapped.ok) return tapped;
    this.radioUp(cacheId.length + 32);
    return this.caching.fetchCached(deviceId, cacheId, this.nowMs);
  }

  /** Runs the stack until untilMs: sync windows, replays, service retries. */
  advance(untilMs: number): void {
    for (let step = 0; step < stepsMax; step++) {
      this.pump();
      const next = Math.min(
        this.client.nextDueMs(),
        this.server.nextDueMs() ?? Infinity,
        this.host.nextDueMs() ?? Infinity,
      );
      if (next > untilMs) {
        this.nowMs = Math.max(this.nowMs, untilMs);
        this.pump();
        return;
      }
      this.nowMs = Math.max(this.nowMs, next);
    }
    assert(false, "scenario did not reach its end time");
  }

  /** Mirror digest and file tree equal the phone's. */
  mirrorEqualsPhone(): boolean {
    const mirror = this.mirrors.view(deviceId);
    assert(mirror !== undefined, "mirror exists");
    if (!bytesEqual(mirror.digest(), this.phone.digest())) return false;
    const phoneFiles = [...this.phone.storage.walk()].map((f) => `${f.path}:${f.size}`);
    const mirrorFiles = [...mirror.walk()].map((f) => `${f.path}:${f.size}`);
    return phoneFiles.join("\n") === mirrorFiles.join("\n");
  }

  radioTotals(): Readonly<RadioTotals> {
    return { ...this.radio };
  }

  private pump(): void {
    this.send(this.client.tick(this.nowMs));
    for (const out of this.server.tick(this.nowMs)) this.toPhone(out.bytes);
    this.host.tick(this.nowMs);
    this.world.flush(this.host, this.nowMs);
  }

  private send(frames: Uint8Array[]): void {
    for (const frame of frames) {
      this.radioUp(frame.length);
      const replies = this.server.receive(deviceId, frame, this.nowMs);
      assert(replies.ok, `server refused a frame: ${replies.ok ? "" : replies.error.message}`);
      for (const reply of replies.value) this.toPhone(reply);
    }
  }

  private toPhone(frame: Uint8Array): void {
    this.radioDown(frame.length);
    const replies = this.client.receive(frame, this.nowMs);
    assert(replies.ok, `phone refused a frame: ${replies.ok ? "" : replies.error.message}`);
    this.phoneNotices.push(...this.client.takeNotices());
    this.send(replies.value);
  }

  private radioUp(bytes: number): void {
    this.radio.uplinkBytes += bytes;
    this.radio.uplinkBusyMs += this.uplink.transmitMs(bytes);
    this.uplink.send(this.nowMs, bytes);
  }

  private radioDown(bytes: number): void {
    this.radio.downlinkBytes += bytes;
    this.radio.downlinkBusyMs += this.downlink.transmitMs(bytes);
    this.downlink.send(this.nowMs, bytes);
  }
}

export function fileNamed(platform: Platform, name: string): string | undefined {
  for (const file of platform.storage.walk()) if (file.path.endsWith(name)) return file.path;
  return undefined;
}

export function okOrThrow<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

export { ok };
