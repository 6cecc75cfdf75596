// What an app sees while it handles one input: storage (as throwing helpers,
// because the platform rolls the whole input back on any typed error), its
// volatile UI state, and the nondeterminism port. Apps are deterministic
// functions of (storage, UI state, input, nondet results) — paper §3.3.1.
import { assert } from "../core/assert.ts";
import { slabUtf8 } from "../core/byte-slab.ts";
import { fromUtf8, toHex, utf8 } from "../core/bytes.ts";
import { ErrorCodes, MirrorcellError, type Result } from "../core/errors.ts";
import type { Sha256 } from "../core/ports.ts";
import type { ActionArgs } from "./args.ts";
import type { AppName, NetworkInput } from "./inputs.ts";
import type { NondetPort } from "./nondet.ts";
import type { Storage } from "./storage.ts";
import { type AppUi, appUiWith, blankAppUi, type UiState } from "./ui-state.ts";

export function must<T>(result: Result<T>): T {
  if (!result.ok) throw result.error;
  return result.value;
}

export class AppContext {
  /** Whether ui.apps is this context's own map yet (the platform's rollback keeps the one before). */
  private appsCopied = false;

  constructor(
    readonly app: AppName,
    readonly storage: Storage,
    /** Per-app UI changes go through setAppUi/setField (they keep the rollback's map intact). */
    readonly ui: UiState,
    readonly nondet: NondetPort,
    readonly sha256: Sha256,
  ) {}

  /** Bytes are kept as they are (inputs are immutable, see inputs.ts): apps must not change them later. */
  write(path: string, content: Uint8Array | string): void {
    must(this.storage.writeFileNoCopy(path, typeof content === "string" ? slabUtf8(content) : content));
  }

  read(path: string): Uint8Array {
    return must(this.storage.readFile(path));
  }

  readText(path: string): string {
    const text = fromUtf8(this.read(path));
    if (text === undefined)
      throw new MirrorcellError(ErrorCodes.INPUT_MALFORMED, `${path} is not UTF-8 text`);
    return text;
  }

  exists(path: string): boolean {
    return this.storage.exists(path);
  }

  /** Child names, or none when the directory does not exist yet. */
  list(dir: string): string[] {
    return this.storage.listIfDir(dir) ?? [];
  }

  remove(path: string): void {
    must(this.storage.removeTree(path));
  }

  copy(from: string, to: string): void {
    must(this.storage.copyFile(from, to));
  }

  move(from: string, to: string): void {
    must(this.storage.rename(from, to));
  }

  mkdir(path: string): void {
    must(this.storage.mkdir(path));
  }

  get appUi(): AppUi {
    return this.ui.apps[this.app] ?? blankAppUi;
  }

  setAppUi(patch: Partial<AppUi>): void {
    const next = appUiWith(this.appUi, patch);
    if (!this.appsCopied) {
      this.ui.apps = { ...this.ui.apps };
      this.appsCopied = true;
    }
    this.ui.apps[this.app] = next;
  }

  setField(key: string, value: string | undefined): void {
    const fields = { ...this.appUi.fields };
    if (value === undefined) delete fields[key];
    else fields[key] = value;
    this.setAppUi({ fields });
  }

  /** A fresh id from the (recorded) random source: 16 hex digits. */
  newId(): string {
    return toHex(this.nondet.random(8));
  }

  /** The current time from the (recorded) clock, as a sortable stamp. */
  stampNow(): string {
    return stamp(this.nondet.clockMs());
  }

  /** A short content-derived key for names that come from long strings (URLs). */
  keyOf(text: string): string {
    return toHex(this.sha256(utf8(text)).subarray(0, 8));
  }
}

/** Milliseconds as a fixed-width decimal, so file names sort by time. */
export function stamp(ms: number): string {
  // message built only on failure: stamp runs per action
  if (!(Number.isSafeInteger(ms) && ms >= 0)) assert(false, `stamp: bad time ${ms}`);
  return String(ms).padStart(13, "0");
}

export type ActionHandler = (ctx: AppContext, args: ActionArgs) => void;
export type DeliveryHandler = (ctx: AppContext, input: NetworkInput, args: ActionArgs) => void;

/** An app: named user actions and named network deliveries. */
export interface App {
  readonly name: AppName;
  readonly actions: Readonly<Record<string, ActionHandler>>;
  readonly deliveries: Readonly<Record<string, DeliveryHandler>>;
}
