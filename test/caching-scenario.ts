// A hand-stepped end-to-end stack for the caching service (paper §5.1): the
// sync rig's phone (phone-mode Platform + SyncClient) and mirror server
// (MirrorServer, Traffic Monitor, SyncServer over one store) with the caching
// service on its ServiceHost, the in-memory outside world (recipients, web),
// and the phone's radio modelled by the simulator's Table 1 links, which count
// every byte the phone sends or receives and its serialization time. Frames
// are delivered at once (the latency does not matter to what is measured
// here). Used by the caching end-to-end tests and by bench/caching.ts.
import { assert } from "../src/core/assert.ts";
import { bytesEqual } from "../src/core/bytes.ts";
import { ok, type Result } from "../src/core/errors.ts";
import type { Clock } from "../src/core/ports.ts";
import { SeededRng } from "../src/core/rng.ts";
import type { Notice } from "../src/gen/mirrorcell/v1/sync_pb.ts";
import type { MirrorServer } from "../src/mirror/index.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import type { Platform } from "../src/platform/index.ts";
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
import type { SyncClient, SyncServer } from "../src/sync/index.ts";
import { SyncRig } from "./support/sync-rig.ts";

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
  /** The phone, the mirror server and the frame queues between them. */
  readonly rig: SyncRig;
  readonly phone: Platform;
  readonly client: SyncClient;
  host!: ServiceHost;
  caching!: CachingService;
  readonly world = new MemoryWorld();
  readonly phoneNotices: Notice[] = [];
  readonly deviceId = deviceId;
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
    this.rig = new SyncRig(options.seed, {
      syncIntervalMs: options.syncIntervalMs ?? 60_000,
      // Each new server (start, crash + restart) gets fresh services before it restores.
      onServer: (rig) => this.attachServices(rig),
    });
    const phone = this.rig.addPhone(deviceId, { model });
    this.phone = phone.platform;
    this.client = phone.client;
    const rates = linkRatesFor(options.network, "tested", rng.fork("rates"));
    this.uplink = new Link(rates.uplinkKbps, 100, rng.fork("up"));
    this.downlink = new Link(rates.downlinkKbps, 100, rng.fork("down"));
    this.deliverFrames();
  }

  get nowMs(): number {
    return this.rig.nowMs;
  }

  set nowMs(value: number) {
    this.rig.nowMs = value;
  }

  get mirrors(): MirrorServer {
    return this.rig.mirrors;
  }

  get server(): SyncServer {
    return this.rig.server;
  }

  /** The ServiceHost and caching service of a new server: only the store survives a crash. */
  private attachServices(rig: SyncRig): void {
    if (this.options.services === undefined) {
      // The wiring a runtime does: attachServices over the core's own objects.
      this.host = attachServices({
        sync: rig.server,
        mirrors: rig.mirrors,
        monitor: rig.monitor,
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
      clock: rig.clock,
      notices: { queueNotice: (id, notice) => rig.server.queueNotice(id, notice) },
      network: { deliver: (id, input) => this.networkToPhone(id, input) },
    });
    this.host = services.host;
    this.caching = services.caching;
    rig.server.onReplayedInput((id, event, replayMs) => {
      if (event.kind !== "user") return;
      const storage = rig.mirrors.view(id);
      assert(storage !== undefined, "a replaying mirror has storage");
      this.host.replayedInput({ deviceId: id, input: event.input, storage, nowMs: replayMs });
    });
  }

  /** A server crash and restart; the phone reconnects and retransmits what is unacked. */
  crashServer(): void {
    this.rig.crashServer(deviceId);
    this.deliverFrames();
  }

  /** The network delivers something to the phone through the Traffic Monitor. */
  networkToPhone(id: string, input: Omit<NetworkInput, "index">): Result<NetworkInput> {
    const recorded = this.rig.monitor.deliver(id, input);
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
    const applied = this.rig.user(deviceId, app, body);
    this.deliverFrames();
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
    const mirror = this.rig.mirrors.view(deviceId);
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
    this.rig.tickPhone(this.rig.phone(deviceId));
    for (const out of this.rig.server.tick(this.nowMs)) this.rig.downlink.push(out);
    this.host.tick(this.nowMs);
    this.world.flush(this.host, this.nowMs);
    this.deliverFrames();
  }

  /** Every queued frame crosses the radio (counted) at once, both ways, until none is left. */
  private deliverFrames(): void {
    for (let guard = 0; guard < 10_000; guard++) {
      const up = this.rig.uplink.splice(0);
      const down = this.rig.downlink.splice(0);
      if (up.length === 0 && down.length === 0) break;
      for (const wire of up) {
        this.radioUp(wire.bytes.length);
        this.rig.toServer(wire);
      }
      for (const wire of down) {
        this.radioDown(wire.bytes.length);
        this.rig.toPhone(wire);
        this.phoneNotices.push(...this.client.takeNotices());
      }
    }
    assert(this.rig.errors.length === 0, `server refused a frame: ${this.rig.errors.join(", ")}`);
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
