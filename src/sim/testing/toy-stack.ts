// A deliberately tiny stack for the kernel's own tests: a phone whose state is
// a running hash of the inputs it applied, and a server that logs, acks and
// replays them with the Fig 4 schedule. It lets the kernel, the faults and
// the checker be tested without the real platform and sync engine; real runs
// use core-stack.ts. Everything on the toy server is "durable".
import { assert } from "../../core/assert.ts";
import type { Rng } from "../../core/ports.ts";
import type { NetworkInput, UserInput } from "../../platform/inputs.ts";
import { EventQueue } from "../event-queue.ts";
import type {
  PhoneOptions,
  ReplayObserver,
  ServerFrame,
  ServerStats,
  SimPhone,
  SimServer,
  SimStackFactory,
  StackOptions,
  WorkloadStep,
} from "../stack.ts";

interface ToyBatch {
  t: "batch";
  no: number;
  inputs: UserInput[];
  nc: number;
  end: number;
  digest: number[];
}
type ToyFrame = ToyBatch | { t: "ack"; no: number };

const enc = new TextEncoder();
const dec = new TextDecoder();
const pack = (f: ToyFrame) => enc.encode(JSON.stringify(f));
const unpack = (b: Uint8Array) => JSON.parse(dec.decode(b)) as ToyFrame;
const retransmitMs = 5_000;

function mix(h: number, a: number, b: number): number {
  const x = Math.imul(h ^ a, 0x01000193) >>> 0;
  return Math.imul(x ^ b, 0x01000193) >>> 0;
}
const digestOf = (h: number) => [h & 255, (h >>> 8) & 255, (h >>> 16) & 255, h >>> 24];

class ToyPhone implements SimPhone {
  networkConsumed = 0;
  private seq = 0;
  private hash = 0x811c9dc5;
  private window: UserInput[] = [];
  private windowEndMs: number;
  private batchNo = 0;
  private unacked: { no: number; bytes: Uint8Array; sentMs: number }[] = [];
  private lastCutNetwork = 0;
  private connected = true;
  private readonly rng: Rng;

  constructor(
    readonly deviceId: string,
    private readonly o: PhoneOptions,
  ) {
    this.rng = o.rng;
    this.windowEndMs = o.startMs + o.syncIntervalMs;
  }

  nextStep(afterMs: number): WorkloadStep | undefined {
    const gapMs = Math.floor(-Math.log(1 - this.rng.float()) * (1000 / this.o.eventsPerSec));
    const atMs = Math.max(afterMs, this.o.startMs) + 1 + gapMs;
    if (this.rng.float() < 0.2) {
      return {
        atMs,
        kind: "network",
        delivery: { app: "messaging", kind: "sms", args: [], payload: new Uint8Array(40) },
      };
    }
    return { atMs, kind: "user", intent: this.rng.int(0, 1000) };
  }

  applyUser(intent: unknown, nowMs: number): { input: UserInput; frames: Uint8Array[] } {
    const frames = this.tick(nowMs);
    this.seq++;
    this.hash = mix(this.hash, 1, intent as number);
    const input: UserInput = {
      seq: this.seq,
      timeMs: nowMs,
      networkConsumed: this.networkConsumed,
      app: "system",
      body: { kind: "key", code: intent as number },
      nondet: [],
    };
    this.window.push(input);
    return { input, frames };
  }

  applyNetwork(input: NetworkInput): boolean {
    assert(input.index === this.networkConsumed + 1, "toy phone: network input out of order");
    this.networkConsumed = input.index;
    this.hash = mix(this.hash, 2, input.index);
    return true;
  }

  nextTickMs(): number {
    const first = this.unacked[0];
    return first === undefined || !this.connected
      ? this.windowEndMs
      : Math.min(this.windowEndMs, first.sentMs + retransmitMs);
  }

  tick(nowMs: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    if (nowMs >= this.windowEndMs) {
      this.cut(this.windowEndMs, out);
      while (this.windowEndMs <= nowMs) this.windowEndMs += this.o.syncIntervalMs;
    }
    for (const u of this.unacked) {
      if (this.connected && nowMs >= u.sentMs + retransmitMs) {
        u.sentMs = nowMs;
        out.push(u.bytes);
      }
    }
    return out;
  }

  private cut(endMs: number, out: Uint8Array[]): void {
    if (this.window.length === 0 && this.networkConsumed === this.lastCutNetwork) return;
    const batch: ToyBatch = {
      t: "batch",
      no: ++this.batchNo,
      inputs: this.window,
      nc: this.networkConsumed,
      end: endMs,
      digest: digestOf(this.hash),
    };
    this.window = [];
    this.lastCutNetwork = this.networkConsumed;
    const bytes = pack(batch);
    this.unacked.push({ no: batch.no, bytes, sentMs: endMs });
    this.o.onBatchCut(this.deviceId, batch.no, this.seq, this.networkConsumed, this.digest());
    if (this.connected) out.push(bytes);
  }

  disconnect(): void {
    this.connected = false;
  }

  reconnect(nowMs: number): Uint8Array[] {
    this.connected = true;
    for (const u of this.unacked) u.sentMs = nowMs;
    return this.unacked.map((u) => u.bytes);
  }

  receive(frame: Uint8Array): Uint8Array[] {
    const f = unpack(frame);
    if (f.t === "ack") this.unacked = this.unacked.filter((u) => u.no > f.no);
    return [];
  }

  idle(): boolean {
    return (
      this.unacked.length === 0 && this.window.length === 0 && this.networkConsumed === this.lastCutNetwork
    );
  }

  digest(): Uint8Array {
    return new Uint8Array(digestOf(this.hash));
  }

  powerOff(nowMs: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.cut(nowMs, out);
    return out;
  }

  boot(nowMs: number): void {
    this.windowEndMs = Math.max(this.windowEndMs, nowMs + this.o.syncIntervalMs);
  }
}

interface ToyDevice {
  network: NetworkInput[];
  acked: number;
  early: Map<number, ToyBatch>;
  queued: ToyBatch[];
  replayedNetwork: number;
  hash: number;
}

class ToyServer implements SimServer {
  private readonly devices = new Map<string, ToyDevice>();
  private readonly due = new EventQueue<{ atMs: number; order: number; id: string }>(10_000_000);
  private divergences = 0;

  constructor(
    private readonly observer: ReplayObserver,
    private readonly o: StackOptions,
  ) {}

  private device(id: string): ToyDevice {
    let d = this.devices.get(id);
    if (d === undefined) {
      d = { network: [], acked: 0, early: new Map(), queued: [], replayedNetwork: 0, hash: 0x811c9dc5 };
      this.devices.set(id, d);
    }
    return d;
  }

  deliverNetwork(deviceId: string, delivery: Omit<NetworkInput, "index">): NetworkInput {
    const d = this.device(deviceId);
    const input = { ...delivery, index: d.network.length + 1 };
    d.network.push(input);
    return input;
  }

  receive(deviceId: string, bytes: Uint8Array): ServerFrame[] {
    const f = unpack(bytes);
    const d = this.device(deviceId);
    if (f.t !== "batch") return [];
    if (f.no > d.acked) d.early.set(f.no, f);
    for (let next = d.early.get(d.acked + 1); next; next = d.early.get(d.acked + 1)) {
      d.early.delete(next.no);
      d.acked = next.no;
      d.queued.push(next);
      this.due.push(next.end + this.o.latencyMsMax, { atMs: 0, order: 0, id: deviceId });
    }
    return [{ deviceId, bytes: pack({ t: "ack", no: d.acked }) }];
  }

  nextDueMs(): number | undefined {
    return this.due.peekMs();
  }

  tick(nowMs: number): ServerFrame[] {
    for (let at = this.due.peekMs(); at !== undefined && at <= nowMs; at = this.due.peekMs()) {
      const { id } = this.due.pop()!;
      const d = this.device(id);
      while (d.queued.length > 0 && d.queued[0]!.end + this.o.latencyMsMax <= nowMs) {
        this.replay(id, d, d.queued.shift()!, nowMs);
      }
    }
    return [];
  }

  private replay(id: string, d: ToyDevice, f: ToyBatch, nowMs: number): void {
    const applyNetworkUpTo = (n: number) => {
      while (d.replayedNetwork < n) {
        const input = d.network[d.replayedNetwork]!;
        d.replayedNetwork++;
        d.hash = mix(d.hash, 2, input.index);
        this.observer.network(id, input, nowMs);
      }
    };
    for (const [i, input] of f.inputs.entries()) {
      if (this.o.bug === "drop-replayed-input" && input.seq === 3) continue;
      const shifted = this.o.bug === "reorder-network-input" && i === 0 && input.networkConsumed < f.nc;
      applyNetworkUpTo(shifted ? input.networkConsumed + 1 : input.networkConsumed);
      d.hash = mix(d.hash, 1, (input.body as { code: number }).code);
      this.observer.user(id, input, nowMs);
    }
    applyNetworkUpTo(f.nc);
    const mirror = new Uint8Array(digestOf(d.hash));
    if (mirror.join() !== f.digest.join()) this.divergences++;
    this.observer.batchDone(id, f.no, mirror, nowMs);
  }

  crash(): void {}

  restart(): void {}

  mirrorDigest(deviceId: string): Uint8Array {
    return new Uint8Array(digestOf(this.device(deviceId).hash));
  }

  treeDiff(deviceId: string, phone: SimPhone): string[] {
    return this.mirrorDigest(deviceId).join() === phone.digest().join() ? [] : ["/"];
  }

  stats(): ServerStats {
    return {
      divergences: this.divergences,
      repairs: 0,
      framesRejected: 0,
      leakedOutputs: 0,
      firstRejection: "",
    };
  }
}

export const toyStack: SimStackFactory = {
  createServer: (observer, options) => new ToyServer(observer, options),
  createPhone: (index, options) => new ToyPhone(`toy-${index}`, options),
};
