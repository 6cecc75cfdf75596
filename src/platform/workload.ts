// A seeded workload for one phone (paper §5.1: 0.5 user events/s): a
// time-ordered stream of user inputs from app sessions, and network
// deliveries — unsolicited ones (SMS, email, MMS, cache notices) at their
// own rate, and responses to what the user did (pages, downloads, packages,
// scan results). Deliver network events in stream order with timeMs = atMs;
// the generator predicts their indices from that to name files it refers to
// later (a saved MMS, an attachment).
import { assert } from "../core/assert.ts";
import { concatBytes } from "../core/bytes.ts";
import type { Rng } from "../core/ports.ts";
import { stamp } from "./app-context.ts";
import type { AppName, UserInputBody } from "./inputs.ts";
import { binary, sentence, sentenceBytes, sizeBetween } from "./workload-content.ts";
import {
  asciiKeyCodes,
  contacts,
  keyBody,
  type NetworkSpec,
  type Planned,
  type Planner,
  pick,
  Step,
  sessionPlanners,
  type WorkloadModel,
} from "./workload-sessions.ts";

export type NetworkEvent = {
  atMs: number;
  kind: "network";
  app: AppName;
  networkKind: string;
  args: string[];
  payload: Uint8Array;
};

export type WorkloadEvent = { atMs: number; kind: "user"; app: AppName; body: UserInputBody } | NetworkEvent;

/** A user step without its time: what nextIntent() gives (see there). */
export type UserIntent = { readonly kind: "user"; readonly app: AppName; readonly body: UserInputBody };

/** A user intent, or a network event (nextIntent). */
export type WorkloadIntent = UserIntent | NetworkEvent;

export interface WorkloadOptions {
  rng: Rng;
  /** User events per second (paper §5.1: 0.5). */
  eventsPerSecond?: number;
  /** Unsolicited network deliveries per second (default 0.02: about 70 an hour). */
  networkPerSecond?: number;
  startMs?: number;
  /** Multiplies payload sizes: 1 is realistic, 0.01 suits fleet simulation. */
  sizeScale?: number;
  /** Relative frequency of sessions per app. */
  appWeights?: Partial<Record<AppName, number>>;
}

const defaultWeights: Record<AppName, number> = {
  messaging: 30,
  browser: 18,
  system: 15,
  email: 12,
  camera: 5,
  files: 5,
  mms: 4,
  cache: 4,
  installer: 2,
  "antivirus-hook": 2,
};

const pendingMax = 1024;

/**
 * The intents of typed keys, one per app and ASCII code, shared by every key
 * of that code in that app (inputs are immutable, inputs.ts): keys are most
 * user steps, and one event object per key outlived a scavenge or two in
 * the simulator's step buffer (see nextIntent).
 */
const keyIntents = new Map<AppName, readonly UserIntent[]>();

/** The app's shared key intents, indexed by ASCII code (a session looks them up once). */
function keyIntentsOf(app: AppName): readonly UserIntent[] {
  let intents = keyIntents.get(app);
  if (intents === undefined) {
    intents = Array.from({ length: asciiKeyCodes }, (_, ascii) => ({
      kind: "user",
      app,
      body: keyBody(ascii),
    }));
    keyIntents.set(app, intents);
  }
  return intents;
}

type Pending = { atMs: number; order: number; network: NetworkSpec };

export class Workload {
  private readonly rng: Rng;
  private readonly userRatePerMs: number;
  private readonly networkRatePerMs: number;
  private readonly planner: Planner;
  /** Apps with a positive weight, and their weights at the same index (pickApp). */
  private readonly weightApps: AppName[];
  private readonly weights: number[];
  private readonly weightTotal: number;
  private nextUserMs: number;
  private nextBackgroundMs: number;
  private session: Planned[] = [];
  /** The app the current session was planned for: its typed keys' app. */
  private sessionApp: AppName = "system";
  /** keyIntentsOf(sessionApp). */
  private sessionKeys: readonly UserIntent[] = keyIntentsOf("system");
  /** Next step of `session` to emit (a cursor: shift() would move the rest each time). */
  private sessionAt = 0;
  private pending: Pending[] = [];
  private order = 0;
  private delivered = 0;
  /** The time of the event nextIntent() returned last. */
  intentAtMs = 0;

  constructor(options: WorkloadOptions) {
    const eventsPerSecond = options.eventsPerSecond ?? 0.5;
    const networkPerSecond = options.networkPerSecond ?? 0.02;
    assert(eventsPerSecond > 0 && eventsPerSecond <= 1000, "eventsPerSecond out of range");
    assert(networkPerSecond >= 0 && networkPerSecond <= 1000, "networkPerSecond out of range");
    this.rng = options.rng;
    this.userRatePerMs = eventsPerSecond / 1000;
    this.networkRatePerMs = networkPerSecond / 1000;
    const sizeScale = options.sizeScale ?? 1;
    assert(sizeScale > 0 && sizeScale <= 1, "sizeScale must be in (0, 1]");
    this.planner = {
      rng: this.rng,
      sizeScale,
      model: { userFiles: [], inboxFiles: [], mms: [], notices: [], packages: [] },
    };
    const weighted = Object.entries({ ...defaultWeights, ...options.appWeights }).filter(
      ([, w]) => w > 0,
    ) as [AppName, number][];
    this.weightApps = weighted.map(([app]) => app);
    this.weights = weighted.map(([, weight]) => weight);
    this.weightTotal = this.weights.reduce((sum, w) => sum + w, 0);
    assert(this.weightTotal > 0, "at least one app needs a positive weight");
    const startMs = options.startMs ?? 0;
    this.nextUserMs = startMs + this.gap(this.userRatePerMs);
    this.nextBackgroundMs =
      this.networkRatePerMs > 0 ? startMs + this.gap(this.networkRatePerMs) : Number.POSITIVE_INFINITY;
  }

  /** The next event; the stream never ends. */
  next(): WorkloadEvent {
    const intent = this.nextIntent();
    if (intent.kind === "network" || intent instanceof Step) return intent;
    // a typed key: its event of its own
    const step = new Step(intent.app, intent.body);
    step.atMs = this.intentAtMs;
    return step;
  }

  /**
   * next() for a consumer that keeps a user step's time apart from the step
   * (the simulator buffers user steps as intents and times): the same
   * stream, the event's time in `intentAtMs`, and a typed key given as the
   * shared intent of its app and code, not an event object of its own. Other
   * events are what next() returns.
   */
  nextIntent(): WorkloadIntent {
    for (;;) {
      const head = this.pending[0];
      if (
        this.nextBackgroundMs <= this.nextUserMs &&
        (head === undefined || this.nextBackgroundMs < head.atMs)
      ) {
        this.schedule(this.nextBackgroundMs, this.background());
        this.nextBackgroundMs += this.gap(this.networkRatePerMs);
        continue;
      }
      if (head !== undefined && head.atMs <= this.nextUserMs) return this.emitNetwork();
      return this.emitUser();
    }
  }

  /** The next n events. */
  take(count: number): WorkloadEvent[] {
    assert(Number.isSafeInteger(count) && count >= 0, "take: bad count");
    return Array.from({ length: count }, () => this.next());
  }

  /** Exponential inter-arrival time (a Poisson process), whole milliseconds. */
  private gap(ratePerMs: number): number {
    return Math.max(1, Math.round(-Math.log(1 - this.rng.float()) / ratePerMs));
  }

  private schedule(atMs: number, network: NetworkSpec): void {
    assert(this.pending.length < pendingMax, "workload: too many pending deliveries");
    const entry = { atMs, order: this.order++, network };
    let i = this.pending.length;
    while (
      i > 0 &&
      (this.pending[i - 1]!.atMs > atMs ||
        (this.pending[i - 1]!.atMs === atMs && this.pending[i - 1]!.order > entry.order))
    )
      i--;
    this.pending.splice(i, 0, entry);
  }

  private emitNetwork(): NetworkEvent {
    const { atMs, network } = this.pending.shift()!;
    assert(this.pending.length === 0 || this.pending[0]!.atMs >= atMs, "workload: deliveries out of order");
    this.intentAtMs = atMs;
    this.delivered++;
    network.onDeliver?.(this.delivered, atMs);
    return {
      atMs,
      kind: "network",
      app: network.app,
      networkKind: network.networkKind,
      args: network.args,
      payload: network.payload,
    };
  }

  private emitUser(): UserIntent {
    for (let tries = 0; this.sessionAt >= this.session.length; tries++) {
      assert(tries < 100, "workload: sessions keep coming out empty");
      this.sessionApp = this.pickApp();
      this.sessionKeys = keyIntentsOf(this.sessionApp);
      this.session = sessionPlanners[this.sessionApp](this.planner);
      this.sessionAt = 0;
    }
    const planned = this.session[this.sessionAt++]!;
    const atMs = this.nextUserMs;
    this.nextUserMs += this.gap(this.userRatePerMs);
    this.intentAtMs = atMs;
    if (typeof planned === "number")
      return planned < asciiKeyCodes
        ? this.sessionKeys[planned]!
        : { kind: "user", app: this.sessionApp, body: keyBody(planned) };
    const step = planned;
    if (step.app !== this.sessionApp)
      assert(false, `workload: a ${step.app} step in a ${this.sessionApp} session`);
    step.onEmit?.();
    const follows = step.follow;
    if (follows !== undefined)
      for (const follow of follows) this.schedule(atMs + follow.delayMs, follow.network);
    // the planned step is the event: what only the generator needed goes with it
    assert(step.atMs === 0, "workload: a step emitted twice");
    step.atMs = atMs;
    step.follow = undefined;
    step.onEmit = undefined;
    return step;
  }

  private pickApp(): AppName {
    const { weightApps, weights } = this;
    let roll = this.rng.float() * this.weightTotal;
    for (let i = 0; i < weights.length; i++) {
      roll -= weights[i]!;
      if (roll < 0) return weightApps[i]!;
    }
    return weightApps[weightApps.length - 1]!;
  }

  /** An unsolicited delivery: mostly SMS, then email, MMS, IM and cache notices. */
  private background(): NetworkSpec {
    const { rng, sizeScale, model } = this.planner;
    const from = pick(rng, contacts);
    const roll = rng.float();
    if (roll < 0.5)
      return {
        app: "messaging",
        networkKind: "sms",
        args: [`from=${from}`],
        payload: sentenceBytes(rng, 10, 160),
      };
    if (roll < 0.55)
      return {
        app: "messaging",
        networkKind: "im",
        args: [`from=${from}`],
        payload: sentenceBytes(rng, 5, 200),
      };
    if (roll < 0.8) return this.backgroundEmail(from);
    if (roll < 0.93) {
      const name = `media${rng.int(0, 9999)}.jpg`;
      return {
        app: "mms",
        networkKind: "mms",
        args: [`from=${from}`, `name=${name}`],
        payload: binary(rng, sizeBetween(rng, 30_000, 600_000, sizeScale)),
        onDeliver: mmsDelivered(model, from, name),
      };
    }
    const id = `c${rng.int(0, 1_000_000)}`;
    return {
      app: "cache",
      networkKind: "file-cached",
      args: [`id=${id}`, `name=bulk-${id}.bin`, `size=${sizeBetween(rng, 1_000_000, 50_000_000, sizeScale)}`],
      payload: new Uint8Array(0),
      onDeliver: noticeDelivered(model, id),
    };
  }

  private backgroundEmail(from: string): NetworkSpec {
    const { rng, sizeScale, model } = this.planner;
    const body = sentenceBytes(rng, 100, 3000);
    const parts = [{ name: "body.txt", bytes: body }];
    if (rng.float() < 0.2) {
      const count = rng.int(1, 2);
      for (let i = 0; i < count; i++)
        parts.push({
          name: `attachment${i}.pdf`,
          bytes: binary(rng, sizeBetween(rng, 20_000, 3_000_000, sizeScale)),
        });
    }
    // Four emails in five are the body alone: it is the payload as drawn, not
    // copied into a second buffer (inputs are immutable, src/platform/inputs.ts).
    const payload = parts.length === 1 ? body : concatBytes(parts.map((part) => part.bytes));
    return {
      app: "email",
      networkKind: "email",
      args: [
        `from=${from}@mail.example`,
        `subject=${sentence(rng, 3, 40)}`,
        `parts=${parts.map((p) => `${p.name}:${p.bytes.length}`).join(",")}`,
      ],
      payload,
      // only attachments become files; the body alone leaves nothing to note
      onDeliver: parts.length > 1 ? attachmentsDelivered(model, parts.slice(1)) : undefined,
    };
  }
}

// The delivery callbacks are made by functions that return an anonymous
// arrow, not written as arrows in the literals: under tsx (esbuild keepNames)
// an arrow in an object literal is named by an Object.defineProperty per
// delivery, ~0.3 us each (the simulator runs through tsx).

function mmsDelivered(model: WorkloadModel, from: string, name: string): NetworkSpec["onDeliver"] {
  return (index: number, atMs: number) => {
    model.mms.push({ from, name: `${stamp(atMs)}-${index}-${name}` });
  };
}

function noticeDelivered(model: WorkloadModel, id: string): NetworkSpec["onDeliver"] {
  return () => {
    model.notices.push(id);
  };
}

function attachmentsDelivered(
  model: WorkloadModel,
  attachments: readonly { name: string }[],
): NetworkSpec["onDeliver"] {
  assert(attachments.length >= 1, "workload: an email callback without attachments");
  return (index: number, atMs: number) => {
    for (const part of attachments)
      model.inboxFiles.push(`/data/email/inbox/${stamp(atMs)}-${index}/${part.name}`);
  };
}
