// The volatile (RAM) state of the phone: which app is in front, what each
// app's screen shows, and the text being typed. Most user inputs change only
// this, which keeps them cheap; it is lost on power-off, exactly like a
// phone's unsaved draft. Replay depends on it (a "send" sends the typed
// draft), so platform snapshots carry it. Values are plain strings and
// numbers: JSON-safe for durable saves. Objects are replaced, never mutated,
// so a snapshot can share them.
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

/** A copy that shares the (immutable) per-app objects. */
export function copyUi(ui: UiState): UiState {
  return { foreground: ui.foreground, locked: ui.locked, shadeOpen: ui.shadeOpen, apps: { ...ui.apps } };
}
