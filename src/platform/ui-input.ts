// Taps and keys: the bulk of user inputs (paper §5.1: 0.5 events/s). They
// change only volatile UI state, so they cost no hashing and, while the user
// keeps typing into one app, no copy either: each changes the app UI object
// its caller owns (ui-state.ts OwnedUi) in place, or a copy that it owns
// from then on. They cannot fail once the envelope is checked. Fields are
// stored only when they change: while the (large) heap is being marked,
// every pointer store into an old object goes through the write barrier.
import { limits } from "../core/limits.ts";
import type { AppName } from "./inputs.ts";
import { appUiOf, type OwnedUi, ownAppUi, type UiState } from "./ui-state.ts";

const statusBarHeight = 80;
const navBarTop = 1800;
const rowHeight = 160;
const scrollYMax = 1_000_000;

/** Applies a tap; `owned` is updated when it takes a copy. */
export function applyTap(ui: UiState, app: AppName, x: number, y: number, owned: OwnedUi): void {
  if (ui.locked && app !== "system") return;
  if (y < statusBarHeight) {
    ui.shadeOpen = !ui.shadeOpen;
    return;
  }
  if (y >= navBarTop) {
    if (x >= 360 && x < 720) {
      if (ui.foreground !== "system") ui.foreground = "system";
      return;
    }
    const target = ownAppUi(ui, x < 360 ? app : "system", owned);
    if (x < 360) {
      if (target.screen !== "main") target.screen = "main";
      target.selected = -1;
    } else if (target.screen !== "recents") target.screen = "recents";
    return;
  }
  if (ui.foreground !== app) ui.foreground = app;
  const current = appUiOf(ui, app, owned);
  const scrollY = current.scrollY;
  const target = ownAppUi(ui, app, owned);
  if (x >= 1000) target.scrollY = Math.min(scrollY + rowHeight, scrollYMax);
  else target.selected = Math.floor((y - statusBarHeight + scrollY) / rowHeight);
}

/** Applies a key; `owned` is updated when it takes a copy. */
export function applyKey(ui: UiState, app: AppName, code: number, owned: OwnedUi): void {
  if (ui.locked) return;
  if (ui.foreground !== app) ui.foreground = app;
  const draft = appUiOf(ui, app, owned).draft;
  let next: string;
  if (code === 8) {
    if (draft === "") return;
    const cut = draft.length >= 2 && isLowSurrogate(draft.charCodeAt(draft.length - 1)) ? 2 : 1;
    next = draft.slice(0, -cut);
  } else if (draft.length + 2 > limits.uiDraftCharsMax) return;
  else if (code === 10 || code === 13) next = `${draft}\n`;
  else if (code >= 32 && !(code >= 0xd800 && code <= 0xdfff)) next = draft + String.fromCodePoint(code);
  else return;
  ownAppUi(ui, app, owned).draft = next;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}
