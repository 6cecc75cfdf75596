// The volatile (RAM) state of the phone: which app is in front, what each
// app's screen shows, and the text being typed. Most user inputs change only
// this, which keeps them cheap; it is lost on power-off, exactly like a
// phone's unsaved draft. Replay depends on it (a "send" sends the typed
// draft), so platform snapshots carry it. Values are plain strings and
// numbers: JSON-safe for durable saves. Objects are replaced, never mutated,
// so a snapshot can share them — with one exception for the tap/key path
// (about 80% of inputs): the per-app object it made itself and nobody has
// shared since (OwnedUi below) it changes in place, instead of copying it
// per key press.
import { assert } from "../core/assert.ts";
import type { AppName } from "./inputs.ts";

export interface AppUi {
  readonly screen: string;
  readonly draft: string;
  readonly scrollY: number;
  readonly selected: number;
  /** App-specific fields (compose recipient, current page, attachments...). */
  readonly fields: Readonly<Record<string, string>>;
}

export interface UiState {
  foreground: AppName;
  locked: boolean;
  shadeOpen: boolean;
  apps: Partial<Record<AppName, AppUi>>;
}

/**
 * An AppUi with writable fields: only for the one the tap/key path made and
 * no copy of the state shares yet. Its holder (the platform, beside the
 * state: the state itself is saved as JSON) forgets it whenever the state
 * is copied or handed out.
 */
export type OwnedAppUi = { -readonly [K in keyof AppUi]: AppUi[K] };

/**
 * Which app UI object the tap/key path owns, and whose app it is. While `ui`
 * is set it is `state.apps[app]` (the holder forgets it whenever that could
 * stop being so), so a key or tap in the owning app reads it here: a keyed
 * load `state.apps[app]` per input, over every phone's differently shaped
 * `apps` object, went megamorphic and was ~30 % of the tap/key path's CPU.
 */
export class OwnedUi {
  app: AppName | undefined = undefined;
  ui: OwnedAppUi | undefined = undefined;

  forget(): void {
    this.app = undefined;
    this.ui = undefined;
  }
}

export const blankAppUi: AppUi = Object.freeze({
  screen: "main",
  draft: "",
  scrollY: 0,
  selected: -1,
  fields: Object.freeze({}),
});

/**
 * A copy of an app's UI with some fields replaced. Built as one literal of a
 * fixed shape, not by spreading: every key press makes one, and V8 keeps
 * same-shaped objects cheap.
 */
export function appUiWith(base: AppUi, patch: Partial<AppUi>): AppUi {
  return {
    screen: patch.screen ?? base.screen,
    draft: patch.draft ?? base.draft,
    scrollY: patch.scrollY ?? base.scrollY,
    selected: patch.selected ?? base.selected,
    fields: patch.fields ?? base.fields,
  };
}

export function bootUi(): UiState {
  return { foreground: "system", locked: false, shadeOpen: false, apps: {} };
}

/** A copy that shares the per-app objects (its holder then forgets which one it owned). */
export function copyUi(ui: UiState): UiState {
  return { foreground: ui.foreground, locked: ui.locked, shadeOpen: ui.shadeOpen, apps: { ...ui.apps } };
}

/** The app's current UI (never changed by the caller): the owned one when it is that app's. */
export function appUiOf(ui: UiState, app: AppName, owned: OwnedUi): AppUi {
  if (owned.app === app && owned.ui !== undefined) return owned.ui;
  return ui.apps[app] ?? blankAppUi;
}

/** The app's UI object to change in place: the owned one when it is that app's, else a copy (owned from now on). */
export function ownAppUi(ui: UiState, app: AppName, owned: OwnedUi): OwnedAppUi {
  if (owned.app === app && owned.ui !== undefined) return owned.ui;
  const base = ui.apps[app] ?? blankAppUi;
  const copy: OwnedAppUi = {
    screen: base.screen,
    draft: base.draft,
    scrollY: base.scrollY,
    selected: base.selected,
    fields: base.fields,
  };
  ui.apps[app] = copy;
  assert(copy !== base && ui.apps[app] === copy, "ownAppUi: the copy is not the app's");
  owned.app = app;
  owned.ui = copy;
  return copy;
}
