// Taps and keys: the bulk of user inputs (paper §5.1: 0.5 events/s). They
// change only volatile UI state, so they cost no hashing and, while the user
// keeps typing into one app, no copy either: each takes the app UI object
// its caller owns (ui-state.ts ownAppUi) and returns the one it owns after,
// changed in place. They cannot fail once the envelope is checked.
import { limits } from "../core/limits.ts";
import type { AppName } from "./inputs.ts";
import { type AppUi, blankAppUi, ownAppUi, type UiState } from "./ui-state.ts";

const statusBarHeight = 80;
const navBarTop = 1800;
const rowHeight = 160;
const scrollYMax = 1_000_000;

/** Returns the app UI object owned after the tap (`owned` when it made no copy). */
export function applyTap(
  ui: UiState,
  app: AppName,
  x: number,
  y: number,
  owned: AppUi | undefined,
): AppUi | undefined {
  if (ui.locked && app !== "system") return owned;
  if (y < statusBarHeight) {
    ui.shadeOpen = !ui.shadeOpen;
    return owned;
  }
  const current = ui.apps[app] ?? blankAppUi;
  if (y >= navBarTop) {
    if (x >= 360 && x < 720) {
      ui.foreground = "system";
      return owned;
    }
    const target = ownAppUi(ui, x < 360 ? app : "system", owned);
    if (x < 360) {
      target.screen = "main";
      target.selected = -1;
    } else target.screen = "recents";
    return target;
  }
  ui.foreground = app;
  const target = ownAppUi(ui, app, owned);
  if (x >= 1000) target.scrollY = Math.min(current.scrollY + rowHeight, scrollYMax);
  else target.selected = Math.floor((y - statusBarHeight + current.scrollY) / rowHeight);
  return target;
}

/** Returns the app UI object owned after the key (`owned` when it made no copy). */
export function applyKey(
  ui: UiState,
  app: AppName,
  code: number,
  owned: AppUi | undefined,
): AppUi | undefined {
  if (ui.locked) return owned;
  ui.foreground = app;
  const draft = (ui.apps[app] ?? blankAppUi).draft;
  let next: string;
  if (code === 8) {
    if (draft === "") return owned;
    const cut = draft.length >= 2 && isLowSurrogate(draft.charCodeAt(draft.length - 1)) ? 2 : 1;
    next = draft.slice(0, -cut);
  } else if (draft.length + 2 > limits.uiDraftCharsMax) return owned;
  else if (code === 10 || code === 13) next = `${draft}\n`;
  else if (code >= 32 && !(code >= 0xd800 && code <= 0xdfff)) next = draft + String.fromCodePoint(code);
  else return owned;
  const target = ownAppUi(ui, app, owned);
  target.draft = next;
  return target;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
