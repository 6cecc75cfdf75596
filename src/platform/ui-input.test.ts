import assert from "node:assert/strict";
import { test } from "node:test";
import { SeededRng } from "../core/rng.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { ManualClock } from "./drive.ts";
import type { AppName, UserInput } from "./inputs.ts";
import { publicLevelKey } from "./key-level.ts";
import { seededNondet } from "./nondet.ts";
import { Platform } from "./platform.ts";
import { applyKey, applyTap } from "./ui-input.ts";
import { bootUi, copyUi, OwnedUi } from "./ui-state.ts";

function newPhone(): Platform {
  const clock = new ManualClock(1_000);
  const nondet = seededNondet({ rng: new SeededRng(3), clock, cameraBytes: 64 });
  return Platform.create({
    mode: "phone",
    deviceId: "p",
    model: "mc-one",
    sha256: nodeSha256,
    nondet,
    levelKey: publicLevelKey,
  });
}

let seq = 1;
function type(phone: Platform, app: AppName, text: string): void {
  for (const c of text) {
    const code = c === "\b" ? 8 : c.codePointAt(0)!;
    const r = phone.applyUser({ seq: seq++, timeMs: 2_000, app, body: { kind: "key", code } });
    assert.ok(r.ok, r.ok ? "" : r.error.message);
  }
}

/** The messaging app's open-thread action (it replaces the app's UI object); the input as applied. */
function openThread(phone: Platform, peer: string): UserInput {
  const r = phone.applyUser({
    seq: seq++,
    timeMs: 2_000,
    app: "messaging",
    body: { kind: "action", name: "open-thread", args: [`peer=${peer}`] },
  });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
  return r.value;
}

/** A tap on the scroll area at the screen's right edge (scrolls the app by one step). */
function tapScroll(phone: Platform, app: AppName): void {
  const r = phone.applyUser({ seq: seq++, timeMs: 2_000, app, body: { kind: "tap", x: 1070, y: 500 } });
  assert.ok(r.ok, r.ok ? "" : r.error.message);
}

test("ui: keys typed after a snapshot leave the snapshot's draft (and a platform made from it) as they were", () => {
  const phone = newPhone();
  type(phone, "messaging", "ab");
  const snapshot = phone.snapshot();
  type(phone, "messaging", "cd\b\bxyz");
  assert.equal(snapshot.ui.apps.messaging?.draft, "ab");
  const clone = Platform.create({
    mode: "mirror",
    deviceId: "p",
    model: "mc-one",
    sha256: nodeSha256,
    from: snapshot,
  });
  type(clone, "messaging", "Q");
  assert.equal(snapshot.ui.apps.messaging?.draft, "ab");
  assert.equal(clone.uiState.apps.messaging?.draft, "abQ");
  assert.equal(phone.uiState.apps.messaging?.draft, "abxyz");
});

test("ui: an app's UI object read through uiState does not change under later taps and keys", () => {
  const phone = newPhone();
  type(phone, "email", "hi");
  const seen = phone.uiState.apps.email!;
  type(phone, "email", " there");
  tapScroll(phone, "email");
  assert.deepEqual(seen, { screen: "main", draft: "hi", scrollY: 0, selected: -1, fields: {} });
  assert.equal(phone.uiState.apps.email?.draft, "hi there");
  assert.equal(phone.uiState.apps.email?.scrollY, 160);
});

test("ui: a failed action while typing rolls back to the typed draft, and typing goes on from it", () => {
  const phone = newPhone();
  type(phone, "messaging", "hey");
  const before = JSON.stringify(phone.uiState);
  // no thread open and no peer given: a typed error, all-or-nothing
  const failed = phone.applyUser({
    seq: seq++,
    timeMs: 2_000,
    app: "messaging",
    body: { kind: "action", name: "send", args: [] },
  });
  assert.equal(failed.ok, false);
  assert.equal(JSON.stringify(phone.uiState), before);
  type(phone, "messaging", "!");
  assert.equal(phone.uiState.apps.messaging?.draft, "hey!");
});

test("ui: the tap/key path copies an app's UI object once per run of inputs, and again once its holder forgets it", () => {
  const ui = bootUi();
  const owned = new OwnedUi();
  applyKey(ui, "files", 0x61, owned);
  const first = ui.apps.files;
  assert.equal(owned.ui, first);
  assert.equal(owned.app, "files");
  applyKey(ui, "files", 0x62, owned);
  applyTap(ui, "files", 100, 500, owned);
  assert.equal(owned.ui, first);
  assert.equal(ui.apps.files, first, "changed in place while owned");
  assert.equal(first?.draft, "ab");
  const shared = copyUi(ui);
  // the holder forgets what it owned when the state is copied
  owned.forget();
  applyKey(ui, "files", 0x63, owned);
  assert.notEqual(ui.apps.files, first, "copied once shared");
  assert.equal(owned.ui, ui.apps.files);
  assert.equal(shared.apps.files?.draft, "ab");
  assert.equal(ui.apps.files?.draft, "abc");
  // an input that changes nothing keeps what was owned: control codes, the status bar
  const kept = owned.ui;
  applyKey(ui, "files", 7, owned);
  applyTap(ui, "files", 10, 10, owned);
  assert.equal(owned.ui, kept);
  // another app's input moves ownership to a copy of that app's object
  applyKey(ui, "email", 0x64, owned);
  assert.equal(owned.app, "email");
  assert.equal(owned.ui, ui.apps.email);
  assert.equal(ui.apps.files?.draft, "abc");
  assert.deepEqual(Object.keys(ui), ["foreground", "locked", "shadeOpen", "apps"]);
});

test("ui: an action that replaces the app's UI object between keys: later keys change the new object", () => {
  const phone = newPhone();
  type(phone, "messaging", "ab");
  openThread(phone, "bob");
  type(phone, "messaging", "c");
  tapScroll(phone, "messaging");
  const after = phone.uiState.apps.messaging;
  assert.equal(after?.screen, "thread:bob");
  assert.equal(after?.draft, "c");
  assert.equal(after?.scrollY, 160);
  assert.deepEqual(after?.fields, { peer: "bob" });
});

test("ui: an action that changed the UI and then failed (replay with a left-over nondet record) puts the UI back", () => {
  const phone = newPhone();
  const opened = openThread(phone, "bob");
  const typed: UserInput[] = [];
  for (const code of [0x68, 0x69]) {
    const r = phone.applyUser({ seq: seq++, timeMs: 2_000, app: "messaging", body: { kind: "key", code } });
    assert.ok(r.ok);
    typed.push(r.value);
  }
  const send = phone.applyUser({
    seq: seq++,
    timeMs: 2_000,
    app: "messaging",
    body: { kind: "action", name: "send", args: [] },
  });
  assert.ok(send.ok);
  const mirror = Platform.create({
    mode: "mirror",
    deviceId: "p",
    model: "mc-one",
    sha256: nodeSha256,
    levelKey: publicLevelKey,
  });
  for (const input of [opened, ...typed]) assert.ok(mirror.applyUser(input).ok);
  const before = JSON.stringify(mirror.uiState);
  const digest = mirror.digest();
  // send clears the draft, then the left-over record fails the replay: all of it goes back
  const extra = { kind: "random" as const, value: new Uint8Array(8) };
  const failed = mirror.applyUser({ ...send.value, nondet: [...send.value.nondet, extra] });
  assert.equal(!failed.ok && failed.error.code, "E_NONDET_MISMATCH");
  assert.equal(JSON.stringify(mirror.uiState), before);
  assert.equal(mirror.uiState.apps.messaging?.draft, "hi");
  assert.deepEqual(mirror.digest(), digest);
  assert.ok(mirror.applyUser(send.value).ok);
  assert.deepEqual(mirror.digest(), phone.digest());
  assert.equal(mirror.uiState.apps.messaging?.draft, "");
});
