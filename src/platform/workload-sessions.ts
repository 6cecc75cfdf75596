// What a user does in one app session, as a list of steps (paper §5.1:
// 0.5 events/s on average). Mostly taps and typed keys, which change only
// volatile state, closed by an action that writes (send, save, shoot...).
// Steps can schedule network deliveries (a page load, a download) and update
// the generator's picture of the phone when emitted, so later sessions refer
// to files that exist.
import { assert } from "../core/assert.ts";
import { utf8 } from "../core/bytes.ts";
import type { Rng } from "../core/ports.ts";
import type { AppName, UserInputBody } from "./inputs.ts";
import { binary, packageArchive, sentence, sentenceBytes, sizeBetween } from "./workload-content.ts";

export interface NetworkSpec {
  app: AppName;
  networkKind: string;
  args: string[];
  payload: Uint8Array;
  /** Called with the predicted delivery index and time when the event is emitted. */
  onDeliver?: (index: number, atMs: number) => void;
}

export type Follow = { delayMs: number; network: NetworkSpec };

/**
 * A planned user step. One class, so every step has one shape (the
 * generator read `follow` and `onEmit` over literals of three), and the
 * step itself is the event the workload emits (workload.ts sets `atMs` and
 * drops `follow` and `onEmit`): a session is planned whole, so its steps
 * live until emitted, and an event object per step on top was one more
 * object per user input to survive a scavenge.
 */
export class Step {
  atMs = 0;
  readonly kind = "user" as const;
  readonly app: AppName;
  readonly body: UserInputBody;
  follow: Follow[] | undefined;
  onEmit: (() => void) | undefined;

  constructor(app: AppName, body: UserInputBody, follow?: Follow[], onEmit?: () => void) {
    this.app = app;
    this.body = body;
    this.follow = follow;
    this.onEmit = onEmit;
  }
}

/**
 * A session's plan entry: a step, or a number, the code of a key typed in
 * the session's app (every step of a session is in the app it was planned
 * for). Typing is planned whole — its typos are drawn with the session —
 * long before it is typed (a 100-character message takes minutes at 0.5
 * events/s), so its keys wait as numbers and become steps when emitted:
 * held as objects they outlived a scavenge or two, ~50 B of survivors per
 * user event (bench/platform-alloc.ts --survivors).
 */
export type Planned = Step | number;

/** The generator's belief about the phone, kept from the events it emitted. */
export interface WorkloadModel {
  userFiles: string[];
  inboxFiles: string[];
  mms: { from: string; name: string }[];
  notices: string[];
  packages: string[];
}

export interface Planner {
  rng: Rng;
  sizeScale: number;
  model: WorkloadModel;
}

export const contacts = [
  "+15550101",
  "+15550102",
  "+15550103",
  "+15550104",
  "+15550105",
  "+15550106",
  "alice",
  "bob",
];
const sites = [
  "news.example",
  "mail.example",
  "video.example",
  "shop.example",
  "wiki.example",
  "maps.example",
];

/**
 * The arguments of an action that has none: inputs are immutable, so they
 * share one array (not frozen: a frozen array has a map of its own, one more
 * shape wherever arguments are read).
 */
const noArgs: readonly string[] = [];

const action = (
  app: AppName,
  name: string,
  args: readonly string[] = noArgs,
  follow?: Follow[],
  onEmit?: () => void,
): Step => new Step(app, { kind: "action", name, args }, follow, onEmit);

/**
 * Key bodies, one per ASCII code: inputs are immutable (inputs.ts), so every
 * typed key of a code can share one body. Typing is most of the steps, and
 * a session's keys are planned whole, long before they are typed.
 */
export const asciiKeyCodes = 128;
const asciiKeyBodies: UserInputBody[] = Array.from({ length: asciiKeyCodes }, (_, code) => ({
  kind: "key" as const,
  code,
}));

export function keyBody(code: number): UserInputBody {
  return code < asciiKeyBodies.length ? asciiKeyBodies[code]! : { kind: "key", code };
}
export const pick = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(0, items.length - 1)]!;

/**
 * Appends min..max taps to `steps` (a loop, not an Array.from with a
 * closure and a spread into the session: sessions are planned every ~30
 * user events).
 */
function addTaps(
  steps: { push(step: Step): unknown },
  p: Planner,
  app: AppName,
  min: number,
  max: number,
): void {
  const count = p.rng.int(min, max);
  for (let i = 0; i < count; i++)
    steps.push(new Step(app, { kind: "tap", x: p.rng.int(0, 1079), y: p.rng.int(100, 1799) }));
}

/**
 * Appends the key codes typed for a sentence to `steps`, typos and their
 * backspaces included (see Planned). The sentence comes as sentenceBytes
 * (the same draws as sentence(), without building the string): its words
 * are ASCII, so each byte is a code point.
 */
function addTyping(steps: Planned[], p: Planner, text: Uint8Array): void {
  for (let i = 0; i < text.length; i++) {
    const code = text[i]!;
    if (code >= 0x80) assert(false, `typing: ${code} is not ASCII`);
    if (p.rng.float() < 0.03) steps.push(0x61 + p.rng.int(0, 25), 8);
    steps.push(code);
  }
}

function messaging(p: Planner): Planned[] {
  const steps: Planned[] = [action("messaging", "open-thread", [`peer=${pick(p.rng, contacts)}`])];
  if (p.rng.float() < 0.3) steps.push(action("messaging", "read-thread"));
  addTaps(steps, p, "messaging", 0, 2);
  addTyping(steps, p, sentenceBytes(p.rng, 5, 100));
  steps.push(action("messaging", "send"));
  return steps;
}

function email(p: Planner): Planned[] {
  if (p.rng.float() < 0.3) {
    const steps = [action("email", "open-folder", ["folder=inbox"])];
    addTaps(steps, p, "email", 1, 6);
    return steps;
  }
  const steps: Planned[] = [
    action("email", "compose", [
      `to=${pick(p.rng, contacts)}@mail.example`,
      `subject=${sentence(p.rng, 3, 30)}`,
    ]),
  ];
  addTyping(steps, p, sentenceBytes(p.rng, 10, 160));
  // pick() over inboxFiles then userFiles, without copying both into one array per email
  const { inboxFiles, userFiles } = p.model;
  const attachable = inboxFiles.length + userFiles.length;
  if (attachable > 0 && p.rng.float() < 0.25) {
    const at = p.rng.int(0, attachable - 1);
    const path = at < inboxFiles.length ? inboxFiles[at]! : userFiles[at - inboxFiles.length]!;
    steps.push(action("email", "attach", [`path=${path}`]));
  }
  steps.push(action("email", p.rng.float() < 0.8 ? "send" : "save-draft"));
  return steps;
}

function browser(p: Planner): Step[] {
  const url = `https://${pick(p.rng, sites)}/${sentence(p.rng, 3, 20).replaceAll(" ", "-")}`;
  if (p.rng.float() < 0.08) {
    const name = `file-${p.rng.int(0, 99_999)}.bin`;
    const network: NetworkSpec = {
      app: "browser",
      networkKind: "http-response",
      args: [`url=${url}`, `save=${name}`],
      payload: binary(p.rng, sizeBetween(p.rng, 500_000, 20_000_000, p.sizeScale)),
      onDeliver: fileDelivered(p.model, `/sdcard/Download/${name}`),
    };
    return [action("browser", "open", [`url=${url}`], [{ delayMs: p.rng.int(2_000, 20_000), network }])];
  }
  const page = binary(p.rng, sizeBetween(p.rng, 10_000, 300_000, p.sizeScale));
  const network: NetworkSpec = {
    app: "browser",
    networkKind: "http-response",
    args: [`url=${url}`, `title=${sentence(p.rng, 5, 40)}`],
    payload: page,
  };
  const steps: Step[] = [
    action("browser", "open", [`url=${url}`], [{ delayMs: p.rng.int(200, 3_000), network }]),
  ];
  addTaps(steps, p, "browser", 2, 10);
  if (p.rng.float() < 0.25) steps.push(action("browser", "bookmark"));
  return steps;
}

function system(p: Planner): Step[] {
  const steps: Step[] = [];
  addTaps(steps, p, "system", 2, 6);
  const roll = p.rng.float();
  if (roll < 0.3)
    steps.push(action("system", "open", [`app=${pick(p.rng, ["messaging", "email", "browser", "camera"])}`]));
  else if (roll < 0.5) steps.push(action("system", "home"));
  else if (roll < 0.6) steps.push(action("system", "lock"), action("system", "unlock"));
  else if (roll < 0.65)
    steps.push(action("system", "set", ["name=brightness", `value=${p.rng.int(0, 255)}`]));
  return steps;
}

function camera(p: Planner): Step[] {
  const steps: Step[] = [];
  if (p.rng.float() < 0.1)
    steps.push(action("camera", "mode", [`value=${pick(p.rng, ["photo", "portrait", "night"])}`]));
  const shots = p.rng.int(1, 3);
  for (let i = 0; i < shots; i++) {
    addTaps(steps, p, "camera", 0, 2);
    steps.push(action("camera", "shoot"));
  }
  return steps;
}

function files(p: Planner): Step[] {
  const known = p.model.userFiles;
  if (known.length === 0) {
    const steps = [action("files", "browse", ["path=/sdcard/Download"])];
    addTaps(steps, p, "files", 1, 4);
    return steps;
  }
  const path = pick(p.rng, known);
  const name = path.slice(path.lastIndexOf("/") + 1);
  const roll = p.rng.float();
  if (roll < 0.4) {
    const to = `/sdcard/Documents/${p.rng.int(0, 9999)}-${name}`;
    return [action("files", "copy", [`from=${path}`, `to=${to}`], undefined, () => known.push(to))];
  }
  if (roll < 0.7) {
    const to = `/sdcard/Archive/${p.rng.int(0, 9999)}-${name}`;
    return [
      action("files", "move", [`from=${path}`, `to=${to}`], undefined, () =>
        known.splice(known.indexOf(path), 1, to),
      ),
    ];
  }
  return [action("files", "delete", [`path=${path}`], undefined, () => known.splice(known.indexOf(path), 1))];
}

function mms(p: Planner): Step[] {
  const items = p.model.mms;
  const steps: Step[] = [];
  if (items.length === 0) {
    addTaps(steps, p, "mms", 1, 3);
    return steps;
  }
  const item = pick(p.rng, items);
  steps.push(action("mms", "open", [`from=${item.from}`]));
  addTaps(steps, p, "mms", 0, 3);
  if (p.rng.float() < 0.5) {
    steps.push(
      action("mms", "save", [`from=${item.from}`, `name=${item.name}`], undefined, () =>
        p.model.userFiles.push(`/sdcard/Pictures/${item.name}`),
      ),
    );
  } else {
    steps.push(
      action("mms", "delete", [`from=${item.from}`, `name=${item.name}`], undefined, () =>
        items.splice(items.indexOf(item), 1),
      ),
    );
  }
  return steps;
}

function installer(p: Planner): Step[] {
  const installed = p.model.packages;
  if (installed.length > 0 && p.rng.float() < 0.3) {
    const name = pick(p.rng, installed);
    return [
      action("installer", "uninstall", [`name=${name}`], undefined, () =>
        installed.splice(installed.indexOf(name), 1),
      ),
    ];
  }
  const name = `com.example.app${p.rng.int(0, 49)}`;
  const version = p.rng.int(1, 9);
  const network: NetworkSpec = {
    app: "installer",
    networkKind: "package",
    args: [`name=${name}`, `version=${version}`],
    payload: packageArchive(p.rng, name, version, p.sizeScale),
    onDeliver: packageDelivered(installed, name),
  };
  return [action("installer", "open", [`name=${name}`], [{ delayMs: p.rng.int(2_000, 30_000), network }])];
}

function antivirusHook(p: Planner): Step[] {
  const id = `scan${p.rng.int(0, 1_000_000)}`;
  const network: NetworkSpec = {
    app: "antivirus-hook",
    networkKind: "scan-result",
    args: [`id=${id}`],
    payload: utf8("verdict=clean\n"),
  };
  return [
    action("antivirus-hook", "scan", ["path=/sdcard"], [{ delayMs: p.rng.int(5_000, 60_000), network }]),
  ];
}

function cache(p: Planner): Step[] {
  const notices = p.model.notices;
  if (notices.length === 0) {
    const steps: Step[] = [];
    addTaps(steps, p, "cache", 1, 2);
    return steps;
  }
  const id = notices[0]!;
  notices.shift();
  if (p.rng.float() < 0.2) return [action("cache", "dismiss", [`id=${id}`])];
  const name = `cached-${id}.bin`;
  const network: NetworkSpec = {
    app: "cache",
    networkKind: "cached-file",
    args: [`id=${id}`, `name=${name}`],
    payload: binary(p.rng, sizeBetween(p.rng, 1_000_000, 20_000_000, p.sizeScale)),
    onDeliver: fileDelivered(p.model, `/sdcard/Download/${name}`),
  };
  return [action("cache", "fetch", [`id=${id}`], [{ delayMs: p.rng.int(1_000, 5_000), network }])];
}

// Delivery callbacks come from functions that return an anonymous arrow, not
// arrows written in the literals: under tsx (esbuild keepNames) an arrow in an
// object literal is named by an Object.defineProperty per call (workload.ts).

function fileDelivered(model: WorkloadModel, path: string): NetworkSpec["onDeliver"] {
  return () => {
    model.userFiles.push(path);
  };
}

function packageDelivered(installed: string[], name: string): NetworkSpec["onDeliver"] {
  return () => {
    if (!installed.includes(name)) installed.push(name);
  };
}

export const sessionPlanners: Readonly<Record<AppName, (p: Planner) => Planned[]>> = {
  messaging,
  email,
  browser,
  system,
  camera,
  files,
  mms,
  installer,
  "antivirus-hook": antivirusHook,
  cache,
};
