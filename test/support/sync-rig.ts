// A hand-stepped rig for sync scenario tests: phones (real Platform in phone
// mode + SyncClient) and one mirror server (MirrorServer + TrafficMonitor +
// SyncServer over a MemoryMirrorStore), joined by frame queues the test can
// drop, duplicate, reorder or hold. No simulator, no timers: time moves only
// when the test calls advance().
import assert from "node:assert/strict";
import { utf8 } from "../../src/core/bytes.ts";
import type { Result } from "../../src/core/errors.ts";
import type { Clock } from "../../src/core/ports.ts";
import { SeededRng } from "../../src/core/rng.ts";
import type { SyncBatch } from "../../src/gen/mirrorcell/v1/sync_pb.ts";
import { exportUiState, MemoryMirrorStore, MirrorServer, platformFactory } from "../../src/mirror/index.ts";
import { nodeSha256 } from "../../src/node/index.ts";
import {
  type AppName,
  LevelKey,
  levelSecretBytes,
  Platform,
  seededNondet,
  type UserInput,
  type UserInputBody,
} from "../../src/platform/index.ts";
import { type FileEntry, Storage } from "../../src/platform/storage.ts";
import { Workload, type WorkloadEvent } from "../../src/platform/workload.ts";
import { decodeFrame, SyncClient, SyncServer, TrafficMonitor } from "../../src/sync/index.ts";

export interface Wire {
  deviceId: string;
  bytes: Uint8Array;
}

export interface RigPhone {
  id: string;
  platform: Platform;
  client: SyncClient;
  online: boolean;
  recorded: number;
  workload: Workload;
  /** The workload's next event, drawn but not yet due. */
  held: WorkloadEvent | undefined;
}

export interface SyncRigOptions {
  syncIntervalMs?: number;
  tMaxMs?: number;
  retransmitMs?: number;
  checkpointEveryBatches?: number;
  /** Workload payload scale (default 0.01) and camera photo bytes (default 2000). */
  sizeScale?: number;
  cameraBytes?: number;
  appWeights?: Partial<Record<AppName, number>>;
  /** Called with each new server, before it restores (services attach their replay hooks here). */
  onServer?: (rig: SyncRig) => void;
}

export class SyncRig {
  nowMs = 0;
  readonly clock: Clock = { nowMs: () => this.nowMs };
  readonly store = new MemoryMirrorStore();
  mirrors!: MirrorServer;
  monitor!: TrafficMonitor;
  server!: SyncServer;
  readonly phones = new Map<string, RigPhone>();
  uplink: Wire[] = [];
  downlink: Wire[] = [];
  errors: string[] = [];
  readonly rng: SeededRng;
  /** Each phone's secret level key, known to the server as an enrolled key would be (outlives server restarts). */
  readonly levelKeys = new Map<string, LevelKey>();

  constructor(
    readonly seed = 42,
    readonly options: SyncRigOptions = {},
  ) {
    this.rng = new SeededRng(seed);
    this.startServer();
  }

  /** A fresh server process over the same durable store (crash + restart). */
  startServer(): void {
    this.mirrors = new MirrorServer({
      store: this.store,
      platforms: platformFactory(nodeSha256, { levelKeyOf: (id) => this.levelKeys.get(id) }),
      sha256: nodeSha256,
    });
    this.monitor = new TrafficMonitor(this.mirrors, nodeSha256);
    this.server = new SyncServer({
      mirrors: this.mirrors,
      monitor: this.monitor,
      sha256: nodeSha256,
      tMaxMs: this.options.tMaxMs ?? 100,
      ...(this.options.checkpointEveryBatches === undefined
        ? {}
        : { checkpointEveryBatches: this.options.checkpointEveryBatches }),
    });
    this.options.onServer?.(this);
    const restored = this.server.restore();
    assert.ok(restored.ok);
  }

  /** A phone in its factory state; registered (mirror from template) unless told not to. */
  addPhone(id: string, options: { register?: boolean; model?: string } = {}): RigPhone {
    const model = options.model ?? "mc-phone-1";
    const rng = this.rng.fork(id);
    // from the seed and the id, not the rng: the workloads of existing seeds stay as they were
    const levelKey = LevelKey.fromSecret(
      nodeSha256(utf8(`sync-rig/${this.seed}/${id}`)).subarray(0, levelSecretBytes),
    );
    this.levelKeys.set(id, levelKey);
    const platform = Platform.create({
      mode: "phone",
      deviceId: id,
      model,
      sha256: nodeSha256,
      levelKey,
      nondet: seededNondet({
        rng: rng.fork("nondet"),
        clock: this.clock,
        cameraBytes: this.options.cameraBytes ?? 2000,
      }),
    });
    if (options.register !== false) {
      const registered = this.mirrors.register(id, model, {
        syncIntervalMs: this.options.syncIntervalMs ?? 60_000,
      });
      assert.ok(registered.ok, registered.ok ? "" : registered.error.message);
    }
    const client = new SyncClient({
      deviceId: id,
      platform,
      snapshot: () => Storage.fromSnapshot(platform.storage.snapshot(), nodeSha256),
      volatileState: () => exportUiState(platform),
      sha256: nodeSha256,
      syncIntervalMs: this.options.syncIntervalMs ?? 60_000,
      startMs: this.nowMs,
      retransmitMs: this.options.retransmitMs ?? 5_000,
    });
    const workload = new Workload({
      rng: rng.fork("workload"),
      startMs: this.nowMs,
      sizeScale: this.options.sizeScale ?? 0.01,
      ...(this.options.appWeights ? { appWeights: this.options.appWeights } : {}),
    });
    const phone: RigPhone = { id, platform, client, online: false, recorded: 0, workload, held: undefined };
    this.phones.set(id, phone);
    this.connect(id);
    return phone;
  }

  connect(id: string): void {
    const phone = this.phone(id);
    phone.online = true;
    for (const bytes of phone.client.onConnect(this.nowMs)) this.uplink.push({ deviceId: id, bytes });
  }

  /** connect(), then what a runtime sends after the welcome: the server's pending frames (a re-asked repair). */
  reconnect(id: string): void {
    this.connect(id);
    for (const bytes of this.server.pendingFrames(id, this.nowMs))
      this.downlink.push({ deviceId: id, bytes });
  }

  /** The phone powers off: its power-off batch waits on the uplink (pump() delivers it), the platform is off. */
  powerOff(id: string): void {
    const phone = this.phone(id);
    for (const bytes of phone.client.powerOff(this.nowMs)) this.uplink.push({ deviceId: id, bytes });
    phone.platform.powerOff();
  }

  /** Overwrites a /system/ file on the running mirror's disk (a divergence the next digest check finds); the file as it was. */
  corruptMirrorFile(id: string): FileEntry {
    const mirror = this.mirrors.running(id);
    assert.ok(mirror !== undefined, `mirror ${id} is running`);
    const victim = [...mirror.storage.walk()].find((f) => f.path.startsWith("/system/"));
    assert.ok(victim !== undefined, `mirror ${id} holds a /system/ file`);
    assert.ok(mirror.storage.writeFile(victim.path, utf8("corrupted")).ok);
    return victim;
  }

  /** A server crash the phone notices: a fresh server over the same store, and the phone's link drops and comes back (connect, no pending frames). */
  crashServer(id: string): void {
    this.startServer();
    this.disconnect(id);
    this.connect(id);
  }

  /** Queues a text notice for the phone, as a service does; the server's answer (QUEUE_FULL when the outbox is full). */
  queueText(id: string, text: string): Result<void> {
    return this.server.queueNotice(id, { kind: { case: "text", value: text } });
  }

  /** Calls `seen` with each batch (and its wire frame) on the uplink just before the server receives it (tests that capture or damage real batches). */
  tapBatches(seen: (batch: SyncBatch, wire: Wire) => void): void {
    const deliver = this.toServer.bind(this);
    this.toServer = (wire) => {
      const frame = decodeFrame(wire.bytes);
      if (frame.ok && frame.value.body.case === "batch") seen(frame.value.body.value, wire);
      deliver(wire);
    };
  }

  /** Seed, the server's metrics for the phone and the frame errors so far, for assertion messages. */
  report(id: string): string {
    return `seed=${this.seed} metrics=${JSON.stringify(this.server.metrics(id))} errors=${this.errors.join(",")}`;
  }

  disconnect(id: string): void {
    const phone = this.phone(id);
    phone.online = false;
    phone.client.onDisconnect();
  }

  phone(id: string): RigPhone {
    const phone = this.phones.get(id);
    assert.ok(phone, `no phone ${id}`);
    return phone;
  }

  /** The user does something on the phone now; the applied input, or why the phone refused it. */
  user(id: string, app: AppName, body: UserInputBody): Result<UserInput> {
    const phone = this.phone(id);
    this.tickPhone(phone);
    const applied = phone.platform.applyUser({ seq: phone.client.nextSeq, timeMs: this.nowMs, app, body });
    if (!applied.ok) return applied; // the phone refused it: nothing to sync
    const recorded = phone.client.record(applied.value);
    assert.ok(recorded.ok, recorded.ok ? "" : recorded.error.message);
    phone.recorded++;
    return applied;
  }

  /** The network delivers something to the phone now, through the Traffic Monitor. */
  network(id: string, app: AppName, kind: string, args: string[], payload: Uint8Array): boolean {
    const phone = this.phone(id);
    this.tickPhone(phone);
    const input = { timeMs: this.nowMs, app, kind, args, payload };
    if (this.store.getDevice(id) === undefined) {
      // Not mirrored (yet): the network reaches the phone directly.
      const applied = phone.platform.applyNetwork({ ...input, index: phone.platform.networkConsumed + 1 });
      assert.ok(applied.ok, applied.ok ? "" : applied.error.message);
      return true;
    }
    const recorded = this.monitor.deliver(id, input);
    assert.ok(recorded.ok, recorded.ok ? "" : recorded.error.message);
    const applied = phone.platform.applyNetwork(recorded.value);
    assert.ok(applied.ok, applied.ok ? "" : applied.error.message);
    return true;
  }

  /** Runs the phone's workload until `untilMs`, stepping time event by event. */
  runWorkload(id: string, untilMs: number, pumpFrames = true): void {
    const phone = this.phone(id);
    for (let guard = 0; guard < 1_000_000; guard++) {
      const event = phone.held ?? phone.workload.next();
      phone.held = undefined;
      if (event.atMs >= untilMs) {
        phone.held = event;
        break;
      }
      if (event.atMs < this.nowMs) continue; // the phone was off or the test moved time on
      this.advance(event.atMs - this.nowMs, pumpFrames);
      if (event.kind === "user") this.user(id, event.app, event.body);
      else this.network(id, event.app, event.networkKind, event.args, event.payload);
    }
    this.advance(Math.max(0, untilMs - this.nowMs), pumpFrames);
  }

  tickPhone(phone: RigPhone): void {
    const frames = phone.client.tick(this.nowMs);
    if (phone.online) for (const bytes of frames) this.uplink.push({ deviceId: phone.id, bytes });
  }

  /** Moves time forward in steps no longer than 50 ms of each due event, ticking everyone. */
  advance(ms: number, pumpFrames = true): void {
    assert.ok(ms >= 0);
    const endMs = this.nowMs + ms;
    for (let guard = 0; guard < 1_000_000; guard++) {
      let next = endMs;
      for (const phone of this.phones.values())
        next = Math.min(next, Math.max(this.nowMs, phone.client.nextDueMs()));
      const serverDue = this.server.nextDueMs();
      if (serverDue !== undefined) next = Math.min(next, Math.max(this.nowMs, serverDue));
      this.nowMs = next;
      for (const phone of this.phones.values()) this.tickPhone(phone);
      for (const out of this.server.tick(this.nowMs)) this.downlink.push(out);
      if (pumpFrames) this.pump();
      if (this.nowMs >= endMs) return;
    }
    assert.fail("advance did not reach its end");
  }

  /** Delivers every queued frame both ways until the queues are empty. */
  pump(filter: { uplink?: (w: Wire) => boolean; downlink?: (w: Wire) => boolean } = {}): void {
    for (let guard = 0; guard < 10_000 && (this.uplink.length > 0 || this.downlink.length > 0); guard++) {
      for (const wire of this.uplink.splice(0)) {
        if (filter.uplink && !filter.uplink(wire)) continue;
        this.toServer(wire);
      }
      for (const wire of this.downlink.splice(0)) {
        if (filter.downlink && !filter.downlink(wire)) continue;
        this.toPhone(wire);
      }
    }
  }

  toServer(wire: Wire): void {
    const replies = this.server.receive(wire.deviceId, wire.bytes, this.nowMs);
    if (!replies.ok) {
      this.errors.push(replies.error.code);
      return;
    }
    for (const bytes of replies.value) this.downlink.push({ deviceId: wire.deviceId, bytes });
  }

  toPhone(wire: Wire): void {
    const phone = this.phone(wire.deviceId);
    if (!phone.online) return;
    const replies = phone.client.receive(wire.bytes, this.nowMs);
    assert.ok(replies.ok, replies.ok ? "" : replies.error.message);
    for (const bytes of replies.value) this.uplink.push({ deviceId: wire.deviceId, bytes });
  }

  /** Lets every window close and every replay run (a convergence phase). */
  settle(id: string): void {
    const phone = this.phone(id);
    this.advance(phone.client.syncIntervalMs * 2 + 1_000);
  }

  mirrorDigestEquals(id: string): boolean {
    const mirror = this.mirrors.running(id);
    const phone = this.phone(id);
    if (mirror === undefined) {
      const view = this.mirrors.view(id);
      return view !== undefined && Buffer.from(view.digest()).equals(Buffer.from(phone.platform.digest()));
    }
    return Buffer.from(mirror.digest()).equals(Buffer.from(phone.platform.digest()));
  }
}
