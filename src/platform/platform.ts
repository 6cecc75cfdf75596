// The deterministic phone (paper §3.3.1, DESIGN.md "The phone platform"):
// storage plus apps that are deterministic state machines over user and
// network inputs. The same code runs in phone mode (nondeterministic calls
// go to real sources and are recorded) and in mirror mode (they are answered
// from the records), so a mirror fed the phone's inputs in the phone's
// order ends with the phone's storage. Every input is all-or-nothing: on a
// typed error storage and volatile state are exactly as before.
import { assert } from "../core/assert.ts";
import { ErrorCodes, fail, isMirrorcellError, ok, type Result } from "../core/errors.ts";
import { limits } from "../core/limits.ts";
import type { Sha256 } from "../core/ports.ts";
import { AppContext } from "./app-context.ts";
import { apps } from "./apps/index.ts";
import { ActionArgs } from "./args.ts";
import { factoryTemplate } from "./factory-template.ts";
import {
  checkApp,
  checkBody,
  checkNameAndArgs,
  checkNondet,
  checkTime,
  isAppName,
  isTime,
  isValidTouch,
} from "./input-check.ts";
import type { AppName, NetworkInput, NondetRecord, UserInput, UserInputBody } from "./inputs.ts";
import type { LevelKey } from "./key-level.ts";
import { type NondetPort, NondetRecorder, NondetReplayer, type NondetSources, noNondet } from "./nondet.ts";
import { Storage, type StorageSnapshot } from "./storage.ts";
import { rekeySnapshot } from "./storage-build.ts";
import { applyKey, applyTap } from "./ui-input.ts";
import { bootUi, copyUi, OwnedUi, type UiState } from "./ui-state.ts";

export type PlatformMode = "phone" | "mirror";

/** The nondet list of taps, keys and calls without nondeterminism: one shared, frozen empty list. */
const noRecords: readonly NondetRecord[] = Object.freeze([]);

/** Everything replay depends on: storage, volatile UI state, the network count. O(1) to take. */
export interface PlatformSnapshot {
  readonly model: string;
  readonly storage: StorageSnapshot;
  readonly ui: Readonly<UiState>;
  readonly networkConsumed: number;
  readonly poweredOn: boolean;
}

interface PlatformBaseOptions {
  mode: PlatformMode;
  deviceId: string;
  model: string;
  sha256: Sha256;
  /** Required in phone mode; ignored in mirror mode. */
  nondet?: NondetSources;
}

/**
 * `from`: start from this state; default: the model's factory template.
 * `levelKey`: the device's directory level key (key-level.ts); the storage is
 * rebuilt under it when the start state has another. Required unless `from`
 * is given: a snapshot carries its own key, while the factory template is
 * built under the PUBLIC key, which a device must not keep (tests and tools
 * pass publicLevelKey by name).
 */
export type PlatformOptions = PlatformBaseOptions &
  ({ from: PlatformSnapshot; levelKey?: LevelKey } | { from?: PlatformSnapshot; levelKey: LevelKey });

/** A user input as the caller has it: the platform fills nondet and networkConsumed on the phone. */
export type UserInputDraft = Omit<UserInput, "nondet" | "networkConsumed"> &
  Partial<Pick<UserInput, "nondet" | "networkConsumed">>;

export class Platform {
  readonly storage: Storage;
  private ui: UiState;
  /**
   * The app UI object the tap/key path made and nothing shares yet, so it may
   * change it in place (ui-state.ts OwnedUi); forgotten whenever the state
   * is copied or handed out, or an input replaced `ui.apps`. Kept here, not
   * in the state: that is saved as JSON.
   */
  private readonly owned = new OwnedUi();
  private consumed: number;
  private poweredOn: boolean;

  private constructor(
    readonly mode: PlatformMode,
    readonly deviceId: string,
    readonly model: string,
    private readonly sha256: Sha256,
    private readonly sources: NondetSources | undefined,
    from: PlatformSnapshot,
  ) {
    // a phone leads the steps its key shares, its mirror follows (storage-steps.ts)
    this.storage = Storage.fromSnapshot(from.storage, sha256, mode === "phone" ? "lead" : "follow");
    this.ui = copyUi(from.ui);
    this.consumed = from.networkConsumed;
    this.poweredOn = from.poweredOn;
  }

  static create(options: PlatformOptions): Platform {
    const { mode, deviceId, model, sha256 } = options;
    assert(mode === "phone" || mode === "mirror", `unknown platform mode ${String(mode)}`);
    assert(mode === "mirror" || options.nondet !== undefined, "phone mode needs nondet sources");
    assert(deviceId.length > 0 && deviceId.length <= limits.deviceIdBytesMax, "bad device id");
    const { levelKey } = options;
    // the types require one of the two; this catches an untyped caller before it keeps the public key
    assert(
      options.from !== undefined || levelKey !== undefined,
      "a platform from the template needs a level key",
    );
    const base = options.from ?? factoryTemplate(model, sha256);
    const from = levelKey === undefined ? base : { ...base, storage: rekeySnapshot(base.storage, levelKey) };
    assert(from.model === model, `snapshot of model ${from.model} used for a ${model}`);
    return new Platform(mode, deviceId, model, sha256, mode === "phone" ? options.nondet : undefined, from);
  }

  /** Network inputs applied so far (the next one must have index networkConsumed + 1). */
  get networkConsumed(): number {
    return this.consumed;
  }

  get isPoweredOn(): boolean {
    return this.poweredOn;
  }

  /** Read-only view of the volatile state, for inspection, durable saves and tests. */
  get uiState(): Readonly<UiState> {
    // the reader may keep a per-app object: the tap/key path must not change that one in place
    this.owned.forget();
    return this.ui;
  }

  /**
   * Applies a user input. Phone mode: returns the complete input (nondet
   * recorded, networkConsumed stamped) for the Syn-Client to ship. Mirror
   * mode: input.nondet is required and consumed in call order.
   */
  applyUser(input: UserInputDraft): Result<UserInput> {
    if (!this.poweredOn) return fail(ErrorCodes.PLATFORM_OFF, "Platform is powered off");
    const touched = this.applyTouch(input);
    if (touched !== undefined) return touched;
    const app = checkApp(input.app);
    if (!app.ok) return app;
    const body = checkBody(input.body);
    if (!body.ok) return body;
    const seq = checkTime("seq", input.seq);
    if (!seq.ok) return seq;
    const time = checkTime("timeMs", input.timeMs);
    if (!time.ok) return time;
    const consumed = this.checkConsumed(input.networkConsumed);
    if (!consumed.ok) return consumed;
    let records = noRecords;
    if (this.mode === "mirror") {
      const checked = checkNondet(input.nondet ?? noRecords);
      if (!checked.ok) return checked;
      records = checked.value;
    } else {
      assert(input.nondet === undefined || input.nondet.length === 0, "phone mode records nondet itself");
    }
    const applied = this.run(app.value, body.value, records);
    if (!applied.ok) return applied;
    assert(applied.value.length <= limits.nondetRecordsPerInputMax, "too many nondet records");
    return ok({
      seq: seq.value,
      timeMs: time.value,
      networkConsumed: this.consumed,
      app: app.value,
      body: body.value,
      nondet: applied.value,
    });
  }

  /**
   * applyUser for a well-formed tap or key (about 80% of inputs): the same
   * checks as the full path, as predicates, so no Result is built per check.
   * Undefined (nothing applied) sends anything else, and anything the full
   * path would refuse, there — it reports the error.
   */
  private applyTouch(input: UserInputDraft): Result<UserInput> | undefined {
    const { app, body, seq, timeMs, networkConsumed, nondet } = input;
    if (!isValidTouch(body) || !isAppName(app) || !isTime(seq) || !isTime(timeMs)) return undefined;
    if (networkConsumed !== undefined && networkConsumed !== this.consumed) return undefined;
    // mirror: a recorded empty list (or none); phone: the platform records itself
    if (nondet !== undefined && !(Array.isArray(nondet) && nondet.length === 0)) return undefined;
    if (body.kind === "tap") applyTap(this.ui, app, body.x, body.y, this.owned);
    else applyKey(this.ui, app, body.code, this.owned);
    // a replayed input already is the complete input: hand it back rather than a copy
    if (nondet !== undefined && networkConsumed !== undefined) return ok(input as UserInput);
    return ok({ seq, timeMs, networkConsumed: this.consumed, app, body, nondet: noRecords });
  }

  /** Applies a network input; its index must be networkConsumed + 1. */
  applyNetwork(input: NetworkInput): Result<void> {
    if (!this.poweredOn) return fail(ErrorCodes.PLATFORM_OFF, "Platform is powered off");
    if (!Number.isSafeInteger(input.index) || input.index <= this.consumed) {
      return fail(
        ErrorCodes.SEQ_CONFLICT,
        `Network input ${input.index} already consumed (have ${this.consumed})`,
      );
    }
    if (input.index !== this.consumed + 1) {
      return fail(ErrorCodes.SEQ_GAP, `Network input ${input.index} arrived, expected ${this.consumed + 1}`);
    }
    const app = checkApp(input.app);
    if (!app.ok) return app;
    const time = checkTime("timeMs", input.timeMs);
    if (!time.ok) return time;
    const envelope = checkNameAndArgs("Network input", input.kind, input.args, limits.userPayloadBytesMax);
    if (!envelope.ok) return envelope;
    if (!(input.payload instanceof Uint8Array))
      return fail(ErrorCodes.INPUT_MALFORMED, "Network payload must be bytes");
    if (input.payload.length > limits.networkPayloadBytesMax) {
      return fail(
        ErrorCodes.PAYLOAD_TOO_LARGE,
        `Network payload of ${input.payload.length} bytes exceeds ${limits.networkPayloadBytesMax}`,
      );
    }
    const handler = Object.hasOwn(apps[app.value].deliveries, input.kind)
      ? apps[app.value].deliveries[input.kind]
      : undefined;
    if (handler === undefined)
      return fail(
        ErrorCodes.INPUT_MALFORMED,
        `App ${app.value} takes no ${JSON.stringify(input.kind)} deliveries`,
      );
    const applied = this.transaction(app.value, noNondet, (ctx) =>
      handler(ctx, input, ActionArgs.parse(input.args, app.value, input.kind)),
    );
    if (!applied.ok) return applied;
    this.consumed++;
    assert(this.consumed === input.index, "network count out of step with the index");
    return ok(undefined);
  }

  /** The storage's Merkle root: what phone and mirror compare after each batch. */
  digest(): Uint8Array {
    return this.storage.digest();
  }

  snapshot(): PlatformSnapshot {
    // the snapshot shares the per-app objects: none may change in place any more
    this.owned.forget();
    return {
      model: this.model,
      storage: this.storage.snapshot(),
      ui: copyUi(this.ui),
      networkConsumed: this.consumed,
      poweredOn: this.poweredOn,
    };
  }

  /** Power-off loses everything in RAM (unsaved drafts, screens); storage stays. */
  powerOff(): void {
    this.ui = bootUi();
    this.owned.forget();
    this.poweredOn = false;
  }

  /** Boot (or reboot): fresh volatile state over the stored data. */
  boot(): void {
    this.ui = bootUi();
    this.owned.forget();
    this.poweredOn = true;
  }

  private checkConsumed(claimed: number | undefined): Result<void> {
    if (claimed === undefined || claimed === this.consumed) return ok(undefined);
    if (claimed > this.consumed) {
      return fail(
        ErrorCodes.NETWORK_INPUT_MISSING,
        `Input expects ${claimed} network inputs consumed, mirror has ${this.consumed}`,
      );
    }
    return fail(
      ErrorCodes.SEQ_CONFLICT,
      `Input expects ${claimed} network inputs consumed, mirror already has ${this.consumed}`,
    );
  }

  /** Applies a checked body; returns the nondet records (made on the phone, used on the mirror). */
  private run(
    app: AppName,
    body: UserInputBody,
    records: readonly NondetRecord[],
  ): Result<readonly NondetRecord[]> {
    if (body.kind !== "action") {
      if (records.length > 0)
        return fail(ErrorCodes.NONDET_MISMATCH, `A ${body.kind} makes no nondeterministic calls`);
      if (body.kind === "tap") applyTap(this.ui, app, body.x, body.y, this.owned);
      else applyKey(this.ui, app, body.code, this.owned);
      return ok(records);
    }
    const actions = apps[app].actions;
    const handler = Object.hasOwn(actions, body.name) ? actions[body.name] : undefined;
    if (handler === undefined)
      return fail(ErrorCodes.INPUT_MALFORMED, `App ${app} has no action ${JSON.stringify(body.name)}`);
    const recorder = this.mode === "phone" ? new NondetRecorder(this.sources!) : undefined;
    const replayer = this.mode === "mirror" ? new NondetReplayer(records) : undefined;
    const applied = this.transaction(app, recorder ?? replayer!, (ctx) => {
      if (app !== "system") this.ui.foreground = app;
      handler(ctx, ActionArgs.parse(body.args, app, body.name));
      // leftovers mean replay took another path than the phone did
      replayer?.finish();
    });
    if (!applied.ok) return applied;
    return ok(recorder?.records ?? records);
  }

  /**
   * Runs fn all-or-nothing: on a typed error, storage and volatile state go
   * back. The UI's fields are saved, not the state copied: an app context
   * replaces the per-app map before its first change (app-context.ts), so
   * the saved map stays as it was — most inputs here (network deliveries)
   * change no UI at all.
   */
  private transaction(app: AppName, nondet: NondetPort, fn: (ctx: AppContext) => void): Result<void> {
    const storage = this.storage.snapshot();
    const ui = this.ui;
    const { foreground, locked, shadeOpen, apps } = ui;
    try {
      const ctx = new AppContext(app, this.storage, ui, nondet, this.sha256);
      fn(ctx);
      assert(ctx.ui === this.ui, "an app replaced the UI state object instead of updating it");
      // a new map may hold another object for the owned app (an action's setAppUi, boot)
      if (ui.apps !== apps) this.owned.forget();
      return ok(undefined);
    } catch (error) {
      this.storage.restore(storage);
      ui.foreground = foreground;
      ui.locked = locked;
      ui.shadeOpen = shadeOpen;
      ui.apps = apps;
      assert(this.ui === ui && ui.apps === apps, "transaction: UI state not put back");
      if (isMirrorcellError(error)) return fail(error.code, error.message);
      throw error;
    }
  }
}
