// A deliberately tiny stack for the kernel's own tests: a phone whose state is
// a running hash of the inputs it applied, and a server that logs, acks and
// replays them with the Fig 4 schedule. It lets the kernel, the faults and
// the checker be tested without the real platform and sync engine; the real
// runs use core-stack.ts.
import { assert } from "../../core/assert.ts";
import type { Rng } from "../../core/ports.ts";
import type { NetworkInput, UserInput } from "../../platform/inputs.ts";
import type {
  OutgoingFrame,
  ReplayObserver,
  ServerFrame,
  SimPhone,
  SimServer,
  SimStackFactory,
  StackOptions,
  WorkloadStep,
} from "../stack.ts";

type ToyFrame =
  | {
      t: "batch";
      first: number;
      last: number;
      inputs: UserInput[];
      nc: number;
      end: number;
      digest: number[];
    }
  | { t: "ack"; seq: number };

const enc = new TextEncoder();
const dec = new TextDecoder();
const pack = (f: ToyFrame) => enc.encode(JSON.stringify(f));
const unpack = (b: Uint8Array) => JSON.parse(dec.decode(b)) as ToyFrame;

function mix(h: number, a: number, b: number): number {
  h = Math.imul(h ^ a, 0x01000193) >>> 0;
  return Math.imul(h ^ b, 0x01000193) >>> 0;
}
const digestOf = (h: number) => [h & 255, (h >>> 8) & 255, (h >>> 16) & 255, h >>> 24];

class ToyPhone implements SimPhone {
  networkConsumed = 0;
  private seq = 0;
  private hash = 0x811c9dc5;
  private window: UserInput[] = [];
  private readonly unacked: Uint8Array[] = [];
  private unackedLast: number[] = [];
  private unackedAt: number[] = [];
  private lastCutNetwork = 0;

  constructor(
    readonly deviceId: string,
    private readonly o: StackOptions,
    private readonly rng: Rng,
  ) {}

  nextStep(afterMs: number): WorkloadStep | undefined {
    const atMs = afterMs + 1 + Math.floor(-Math.log(1 - this.rng.float()) * (1000 / this.o.eventsPerSec));
    if (this.rng.float() < 0.2) {
      return {
        atMs,
        kind: "network",
        delivery: { app: "messaging", kind: "sms", args: [], payload: new Uint8Array(40) },
      };
    }
    return { atMs, kind: "user", intent: this.rng.int(0, 1000) };
  }

  applyUser(intent: unknown, nowMs: number): UserInput {
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
    return input;
  }

  applyNetwork(input: NetworkInput): void {
    assert(input.index === this.networkConsumed + 1, "toy phone: network input out of order");
    this.networkConsumed = input.index;
    this.hash = mix(this.hash, 2, input.index);
  }

  tick(nowMs: number): OutgoingFrame[] {
    if (this.window.length === 0 && this.networkConsumed === this.lastCutNetwork) return [];
    const inputs = this.window;
    this.window = [];
    this.lastCutNetwork = this.networkConsumed;
    const frame: ToyFrame = {
      t: "batch",
      first: inputs[0]?.seq ?? this.seq + 1,
      last: this.seq,
      inputs,
      nc: this.networkConsumed,
      end: nowMs,
      digest: digestOf(this.hash),
    };
    const bytes = pack(frame);
    this.unacked.push(bytes);
    this.unackedLast.push(this.seq);
    this.unackedAt.push(nowMs);
    return [
      { bytes, batch: { lastSeq: this.seq, networkConsumed: this.networkConsumed, digest: this.digest() } },
    ];
  }

  reconnect(): OutgoingFrame[] {
    return this.unacked.map((bytes) => ({ bytes }));
  }

  receive(frame: Uint8Array): OutgoingFrame[] {
    const f = unpack(frame);
    if (f.t === "ack") {
      while (this.unackedLast.length > 0 && this.unackedLast[0]! <= f.seq && this.unacked.length > 0) {
        this.unacked.shift();
        this.unackedLast.shift();
        this.unackedAt.shift();
      }
    }
    return [];
  }

  idle(): boolean {
    return this.unacked.length === 0 && this.window.length === 0;
  }

  unackedSinceMs(): number | undefined {
    return this.unackedAt[0];
  }

  digest(): Uint8Array {
    return new Uint8Array(digestOf(this.hash));
  }

  powerOff(nowMs: number): OutgoingFrame[] {
    return this.tick(nowMs);
  }

  boot(): void {}
}

interface ToyDevice {
  network: NetworkInput[];
  acked: number;
  queued: ToyFrame[];
  replayedNetwork: number;
  hash: number;
}

class ToyServer implements SimServer {
  private devices = new Map<string, ToyDevice>();
  private divergences = 0;

  constructor(
    private readonly observer: ReplayObserver,
    private readonly o: StackOptions & { bug?: string },
  ) {}

  private device(id: string): ToyDevice {
    let d = this.devices.get(id);
    if (d === undefined) {
      d = { network: [], acked: 0, queued: [], replayedNetwork: 0, hash: 0x811c9dc5 };
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
    const queuedLast =
      d.queued.length > 0 ? (d.queued[d.queued.length - 1] as { last: number }).last : d.acked;
    if (f.first === queuedLast + 1 || (f.inputs.length === 0 && f.last === queuedLast)) {
      if (f.inputs.length > 0 || f.nc > d.replayedNetwork) d.queued.push(f);
      d.acked = Math.max(d.acked, f.last);
    }
    return [{ deviceId, bytes: pack({ t: "ack", seq: d.acked }) }];
  }

  nextDueMs(): number | undefined {
    let due: number | undefined;
    for (const d of this.devices.values()) {
      const f = d.queued[0];
      if (f?.t === "batch") due = Math.min(due ?? Number.POSITIVE_INFINITY, f.end + this.o.latencyMsMax);
    }
    return due;
  }

  tick(nowMs: number): ServerFrame[] {
    for (const [id, d] of this.devices) {
      while (d.queued.length > 0) {
        const f = d.queued[0]!;
        if (f.t !== "batch" || f.end + this.o.latencyMsMax > nowMs) break;
        d.queued.shift();
        this.replay(id, d, f, nowMs);
      }
    }
    return [];
  }

  private replay(id: string, d: ToyDevice, f: ToyFrame & { t: "batch" }, nowMs: number): void {
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
      const nc =
        this.o.bug === "reorder-network-input" && i === 0 ? input.networkConsumed + 1 : input.networkConsumed;
      applyNetworkUpTo(Math.min(nc, d.network.length));
      d.hash = mix(d.hash, 1, (input.body as { code: number }).code);
      this.observer.user(id, input, nowMs);
    }
    applyNetworkUpTo(f.nc);
    const mirror = new Uint8Array(digestOf(d.hash));
    if (mirror.join() !== f.digest.join()) this.divergences++;
    this.observer.batchDone(id, f.last, f.nc, mirror, nowMs);
  }

  crash(): void {
    for (const d of this.devices.values()) d.queued = d.queued.filter(() => true);
  }

  restart(): void {}

  mirrorDigest(deviceId: string): Uint8Array {
    return new Uint8Array(digestOf(this.device(deviceId).hash));
  }

  treeDiff(deviceId: string, phone: SimPhone): string[] {
    return this.mirrorDigest(deviceId).join() === phone.digest().join() ? [] : ["/"];
  }

  stats() {
    return { divergences: this.divergences, repairs: 0, mirrorOutputsSuppressed: 0, leakedOutputs: 0 };
  }
}

export const toyStack: SimStackFactory = {
  createServer: (observer, options) => new ToyServer(observer, options),
  createPhone: (index, options) => new ToyPhone(`toy-${index}`, options, options.rng),
};
