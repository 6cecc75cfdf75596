// Taps and keys: the bulk of user inputs (paper §5.1: 0.5 events/s). They
// change only volatile UI state, so they cost no hashing and, while the user
// keeps typing into one app, no copy either (ui-state.ts `owned`); they
// cannot fail once the envelope is checked.
import { limits } from "../core/limits.ts";
import type { AppName } from "./inputs.ts";
import { blankAppUi, ownAppUi, type UiState } from "./ui-state.ts";

const statusBarHeight = 80;
const navBarTop = 1800;
const rowHeight = 160;
const scrollYMax = 1_000_000;

export function applyTap(ui: UiState, app: AppName, x: number, y: number): void {
  if (ui.locked && app !== "system") return;
  if (y < statusBarHeight) {
    ui.shadeOpen = !ui.shadeOpen;
    return;
  }
  const current = ui.apps[app] ?? blankAppUi;
  if (y >= navBarTop) {
    if (x < 360) {
      const back = ownAppUi(ui, app);
      back.screen = "main";
      back.selected = -1;
    } else if (x < 720) ui.foreground = "system";
    else ownAppUi(ui, "system").screen = "recents";
    return;
  }
  ui.foreground = app;
  if (x >= 1000) ownAppUi(ui, app).scrollY = Math.min(current.scrollY + rowHeight, scrollYMax);
  else ownAppUi(ui, app).selected = Math.floor((y - statusBarHeight + current.scrollY) / rowHeight);
}

export function applyKey(ui: UiState, app: AppName, code: number): void {
  if (ui.locked) return;
  ui.foreground = app;
  const draft = (ui.apps[app] ?? blankAppUi).draft;
  if (code === 8) {
    if (draft === "") return;
    const cut = draft.length >= 2 && isLowSurrogate(draft.charCodeAt(draft.length - 1)) ? 2 : 1;
    ownAppUi(ui, app).draft = draft.slice(0, -cut);
    return;
  }
  if (draft.length + 2 > limits.uiDraftCharsMax) return;
  if (code === 10 || code === 13) ownAppUi(ui, app).draft = `${draft}\n`;
  else if (code >= 32 && !(code >= 0xd800 && code <= 0xdfff))
    ownAppUi(ui, app).draft = draft + String.fromCodePoint(code);
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
