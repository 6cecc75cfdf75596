import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { toHex, utf8 } from "../core/bytes.ts";
import { limits } from "../core/limits.ts";
import { SeededRng } from "../core/rng.ts";
import { nodeSha256 } from "../node/sha256.ts";
import { ManualClock, type RecordedInput, replayLog } from "./drive.ts";
import { factoryTemplate } from "./factory-template.ts";
import type { AppName, NetworkInput, UserInput, UserInputBody } from "./inputs.ts";
import { LevelKey, levelSecretBytes, publicLevelKey } from "./key-level.ts";
import { seededNondet } from "./nondet.ts";
import { runPhoneWorkload, treeDifference } from "./phone-run.ts";
import { Platform, type UserInputDraft } from "./platform.ts";

const model = "mc-one";

function mirrorOf(seed: number): Platform {
  return Platform.create({
    mode: "mirror",
    deviceId: `phone-${seed}`,
    model,
    sha256: nodeSha256,
    levelKey: publicLevelKey,
  });
}

function newPhone(seed = 1): { phone: Platform; clock: ManualClock } {
  const clock = new ManualClock(1_000);
  const nondet = seededNondet({ rng: new SeededRng(seed), clock, cameraBytes: 64 });
  return {
    phone: Platform.create({
      mode: "phone",
      deviceId: "p",
      model,
      sha256: nodeSha256,
      nondet,
      levelKey: publicLevelKey,
    }),
    clock,
  };
}

/** Applies scripted inputs to a phone and returns the log a Syn-Client and Traffic Monitor would hold. */
function script(
  phone: Platform,
  clock: ManualClock,
  steps: ({ app: AppName; body: UserInputDraft["body"] } | Omit<NetworkInput, "index" | "timeMs">)[],
): RecordedInput[] {
  const log: RecordedInput[] = [];
  let seq = 1;
  for (const step of steps) {
    clock.set(clock.nowMs() + 500);
    if ("body" in step) {
      const r = phone.applyUser({ seq: seq++, timeMs: clock.nowMs(), app: step.app, body: step.body });
      assert.ok(r.ok, r.ok ? "" : r.error.message);
      log.push({ kind: "user", input: r.value });
    } else {
      const input = { ...step, index: phone.networkConsumed + 1, timeMs: clock.nowMs() };
      const r = phone.applyNetwork(input);
      assert.ok(r.ok, r.ok ? "" : r.error.message);
      log.push({ kind: "network", input });
    }
  }
  return log;
}

/** Depth-first name order, the order of walk() and diff(). */
const byPathOrder = (a: string, b: string): number => {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1;
  return x.length - y.length;
};

const act = (app: AppName, name: string, ...args: string[]) => ({
  app,
  body: { kind: "action" as const, name, args },
});
const keys = (app: AppName, text: string) =>
  [...text].map((c) => ({ app, body: { kind: "key" as const, code: c.codePointAt(0)! } }));

test("platform: phone and mirror fed the same recorded inputs end byte-identical (fast-check over workload seeds)", () => {
  const appsSeen = new Set<string>();
  fc.assert(
    fc.property(fc.integer({ min: 0, max: 2 ** 31 }), (seed) => {
      const { phone, drive } = runPhoneWorkload({
        seed,
        events: 3000,
        sha256: nodeSha256,
        levelKey: publicLevelKey,
      });
      for (const entry of drive.log) appsSeen.add(entry.input.app);
      const mirror = mirrorOf(seed);
      const replayed = replayLog(mirror, drive.log);
      assert.ok(replayed.ok, `seed=${seed}: ${replayed.ok ? "" : replayed.error.message}`);
      assert.equal(treeDifference(phone.storage, mirror.storage), undefined, `seed=${seed}`);
      assert.equal(toHex(mirror.digest()), toHex(phone.digest()), `seed=${seed}`);
      assert.deepEqual(mirror.storage.diff(phone.storage), [], `seed=${seed}`);
      assert.deepEqual(mirror.uiState, phone.uiState, `seed=${seed}`);
      assert.ok(
        phone.storage.fileCount > factoryTemplate(model, nodeSha256).storage.fileCount,
        `seed=${seed}: the workload wrote files`,
      );
      // flip one bit in each of a few files of the mirror: the digest moves and diff names exactly those files
      const rng = new SeededRng(seed);
      const files = mirror.storage.manifest().filter((e) => e.size > 0);
      const touched = new Set<string>();
      for (let i = 0; i < 5; i++) {
        const file = files[rng.int(0, files.length - 1)]!;
        const bytes = (mirror.storage.readFile(file.path) as { ok: true; value: Uint8Array }).value;
        bytes[rng.int(0, bytes.length - 1)]! ^= 1 << rng.int(0, 7);
        assert.ok(mirror.storage.writeFile(file.path, bytes).ok);
        const original = (phone.storage.readFile(file.path) as { ok: true; value: Uint8Array }).value;
        if (toHex(bytes) === toHex(original)) touched.delete(file.path);
        else touched.add(file.path);
      }
      assert.notEqual(toHex(mirror.digest()), toHex(phone.digest()), `seed=${seed}`);
      assert.deepEqual(
        phone.storage.diff(mirror.storage),
        [...touched].sort(byPathOrder).map((path) => ({ path, change: "changed" })),
        `seed=${seed}`,
      );
    }),
    { numRuns: 3, seed: 20261125 },
  );
  assert.deepEqual([...appsSeen].sort(), [
    "antivirus-hook",
    "browser",
    "cache",
    "camera",
    "email",
    "files",
    "installer",
    "messaging",
    "mms",
    "system",
  ]);
});

test("platform: a mirror fed a network input moved across a user input diverges (seed=1)", () => {
  const { phone, clock } = newPhone();
  const page = {
    app: "browser" as const,
    kind: "http-response",
    args: ["url=https://news.example/a", "title=Breaking"],
    payload: utf8("<html>news</html>"),
  };
  const sms = {
    app: "messaging" as const,
    kind: "sms",
    args: ["from=alice"],
    payload: utf8("are you there?"),
  };
  const log = script(phone, clock, [
    act("browser", "open", "url=https://news.example/a"),
    page,
    act("browser", "bookmark"),
    act("messaging", "open-thread", "peer=alice"),
    sms,
    act("messaging", "read-thread"),
  ]);
  const inOrder = mirrorOf(1);
  assert.ok(replayLog(inOrder, log).ok);
  assert.equal(toHex(inOrder.digest()), toHex(phone.digest()));
  // the timestamp-ordering mistake the paper risks: each network input lands one user input later
  const strip = (e: RecordedInput): RecordedInput =>
    e.kind === "user"
      ? { kind: "user", input: { ...e.input, networkConsumed: undefined as unknown as number } }
      : e;
  const swapped = [log[0]!, log[2]!, log[1]!, log[3]!, log[5]!, log[4]!].map(strip);
  const misordered = mirrorOf(1);
  const replayed = replayLog(misordered, swapped);
  assert.ok(replayed.ok);
  assert.notEqual(toHex(misordered.digest()), toHex(phone.digest()));
  assert.deepEqual(
    phone.storage
      .diff(misordered.storage)
      .map((c) => c.path)
      .filter((p) => p.startsWith("/data/browser/bookmarks") || p.endsWith("/.read")),
    phone.storage.diff(misordered.storage).map((c) => c.path),
  );
  // with networkConsumed kept, the mirror refuses the wrong order instead of diverging
  const guarded = mirrorOf(1);
  const refused = replayLog(guarded, [log[0]!, log[2]!, log[1]!]);
  assert.equal(!refused.ok && refused.error.code, "E_NETWORK_INPUT_MISSING");
});

type Probe = { code: string; run: (p: Platform) => { ok: boolean; error?: { code: string } } };

function user(app: string, body: unknown, extra: Partial<UserInput> = {}): UserInputDraft {
  return { seq: 99, timeMs: 5_000, app: app as AppName, body: body as UserInputBody, ...extra };
}

function net(p: Platform, app: string, kind: string, args: string[], payload: Uint8Array): NetworkInput {
  return { index: p.networkConsumed + 1, timeMs: 5_000, app: app as AppName, kind, args, payload };
}

test("platform: bad input is a typed error and leaves storage, UI state and counters unchanged", () => {
  const { phone, clock } = newPhone();
  script(phone, clock, [
    act("email", "compose", "to=bob@mail.example"),
    ...keys("email", "hello"),
    act("files", "mkdir", "path=/sdcard/Docs"),
  ]);
  const probes: Probe[] = [
    { code: "E_APP_UNKNOWN", run: (p) => p.applyUser(user("weather", { kind: "tap", x: 1, y: 1 })) },
    { code: "E_APP_UNKNOWN", run: (p) => p.applyNetwork(net(p, "weather", "sms", [], utf8("x"))) },
    {
      code: "E_APP_UNKNOWN",
      run: (p) => p.applyUser(user("system", { kind: "action", name: "open", args: ["app=weather"] })),
    },
    { code: "E_INPUT_MALFORMED", run: (p) => p.applyUser(user("email", { kind: "swipe" })) },
    { code: "E_INPUT_MALFORMED", run: (p) => p.applyUser(user("email", { kind: "tap", x: -1, y: 5 })) },
    { code: "E_INPUT_MALFORMED", run: (p) => p.applyUser(user("email", { kind: "key", code: 0x110000 })) },
    {
      code: "E_INPUT_MALFORMED",
      run: (p) => p.applyUser(user("email", { kind: "action", name: "teleport", args: [] })),
    },
    {
      code: "E_INPUT_MALFORMED",
      run: (p) => p.applyUser(user("email", { kind: "action", name: "compose", args: ["to"] })),
    },
    {
      code: "E_INPUT_MALFORMED",
      run: (p) => p.applyUser(user("messaging", { kind: "action", name: "send", args: [] })),
    },
    {
      code: "E_INPUT_MALFORMED",
      run: (p) => p.applyUser(user("email", { kind: "tap", x: 1, y: 1 }, { seq: -1 })),
    },
    { code: "E_INPUT_MALFORMED", run: (p) => p.applyNetwork(net(p, "email", "fax", [], utf8("x"))) },
    {
      code: "E_INPUT_MALFORMED",
      run: (p) => p.applyNetwork(net(p, "email", "email", ["from=a", "parts=a.txt:9"], utf8("short"))),
    },
    {
      code: "E_PATH_INVALID",
      run: (p) => p.applyUser(user("files", { kind: "action", name: "delete", args: ["path=/data/system"] })),
    },
    {
      code: "E_PATH_NOT_FOUND",
      run: (p) =>
        p.applyUser(
          user("files", { kind: "action", name: "copy", args: ["from=/sdcard/none", "to=/sdcard/x"] }),
        ),
    },
    {
      code: "E_ARCHIVE_MALFORMED",
      run: (p) =>
        p.applyNetwork(net(p, "installer", "package", ["name=com.bad", "version=1"], utf8("not a zip"))),
    },
    {
      code: "E_PAYLOAD_TOO_LARGE",
      run: (p) =>
        p.applyUser(
          user("messaging", {
            kind: "action",
            name: "send",
            args: [`text=${"x".repeat(limits.actionArgBytesMax + 1)}`],
          }),
        ),
    },
    {
      code: "E_PAYLOAD_TOO_LARGE",
      run: (p) =>
        p.applyNetwork(
          net(p, "messaging", "sms", ["from=bob"], new Uint8Array(limits.userPayloadBytesMax + 1)),
        ),
    },
    {
      code: "E_PAYLOAD_TOO_LARGE",
      run: (p) =>
        p.applyNetwork(
          net(p, "browser", "http-response", ["url=u"], new Uint8Array(limits.networkPayloadBytesMax + 1)),
        ),
    },
    {
      code: "E_SEQ_GAP",
      run: (p) =>
        p.applyNetwork({
          ...net(p, "messaging", "sms", ["from=bob"], utf8("x")),
          index: p.networkConsumed + 2,
        }),
    },
    {
      code: "E_SEQ_CONFLICT",
      run: (p) => p.applyNetwork({ ...net(p, "messaging", "sms", ["from=bob"], utf8("x")), index: 0 }),
    },
  ];
  for (const probe of probes) {
    const digest = toHex(phone.digest());
    const ui = structuredClone(phone.uiState);
    const consumed = phone.networkConsumed;
    const result = probe.run(phone);
    assert.equal(result.ok ? "ok" : result.error!.code, probe.code, probe.run.toString());
    assert.equal(toHex(phone.digest()), digest, probe.run.toString());
    assert.deepEqual(phone.uiState, ui, probe.run.toString());
    assert.equal(phone.networkConsumed, consumed);
  }
});

test("platform: an action failing halfway is rolled back whole (email send with a vanished attachment)", () => {
  const { phone, clock } = newPhone();
  script(phone, clock, [
    { app: "browser", kind: "http-response", args: ["url=u", "save=doc.bin"], payload: utf8("document") },
    act("email", "compose", "to=bob@mail.example"),
    ...keys("email", "see attached"),
    act("email", "attach", "path=/sdcard/Download/doc.bin"),
    act("files", "delete", "path=/sdcard/Download/doc.bin"),
  ]);
  const digest = toHex(phone.digest());
  const ui = structuredClone(phone.uiState);
  const sent = phone.applyUser(user("email", { kind: "action", name: "send", args: [] }));
  assert.equal(!sent.ok && sent.error.code, "E_PATH_NOT_FOUND");
  assert.equal(toHex(phone.digest()), digest);
  assert.deepEqual(phone.uiState, ui);
  assert.deepEqual(phone.storage.list("/data/email/sent"), { ok: true, value: [] });
});

test("platform: mirror replay asking for more or other nondeterminism than recorded is a typed error, state unchanged", () => {
  const { phone, clock } = newPhone();
  const [shot] = script(phone, clock, [act("camera", "shoot")]) as [{ kind: "user"; input: UserInput }];
  assert.deepEqual(
    shot.input.nondet.map((r) => r.kind),
    ["sensor", "camera", "clock", "random"],
  );
  const mirror = mirrorOf(1);
  const digest = toHex(mirror.digest());
  const cases: [UserInput["nondet"], string][] = [
    [shot.input.nondet.slice(0, 2), "E_NONDET_EXHAUSTED"],
    [[shot.input.nondet[1]!, shot.input.nondet[0]!, ...shot.input.nondet.slice(2)], "E_NONDET_MISMATCH"],
    [[...shot.input.nondet, { kind: "random", value: new Uint8Array(8) }], "E_NONDET_MISMATCH"],
    [[...shot.input.nondet.slice(0, 3), { kind: "random", value: new Uint8Array(3) }], "E_NONDET_MISMATCH"],
  ];
  for (const [nondet, code] of cases) {
    const r = mirror.applyUser({ ...shot.input, nondet });
    assert.equal(!r.ok && r.error.code, code);
    assert.equal(toHex(mirror.digest()), digest);
  }
  const tap = mirror.applyUser(user("camera", { kind: "tap", x: 5, y: 500 }, { nondet: shot.input.nondet }));
  assert.equal(!tap.ok && tap.error.code, "E_NONDET_MISMATCH");
  assert.ok(mirror.applyUser(shot.input).ok);
  assert.equal(toHex(mirror.digest()), toHex(phone.digest()));
});

test("platform: phone mode stamps networkConsumed and records nondet for the Syn-Client", () => {
  const { phone, clock } = newPhone();
  const log = script(phone, clock, [
    { app: "messaging", kind: "sms", args: ["from=bob"], payload: utf8("hi") },
    act("messaging", "open-thread", "peer=bob"),
    ...keys("messaging", "ok"),
    act("messaging", "send"),
  ]);
  const sent = log[log.length - 1]! as { kind: "user"; input: UserInput };
  assert.equal(sent.input.networkConsumed, 1);
  assert.deepEqual(
    sent.input.nondet.map((r) => r.kind),
    ["clock", "random"],
  );
  const files = phone.storage.list("/data/messaging/bob");
  assert.ok(files.ok && files.value.length === 2);
  assert.ok(
    log
      .filter((e) => e.kind === "user" && e.input.body.kind === "key")
      .every((e) => e.kind === "user" && e.input.nondet.length === 0),
  );
});

test("platform: power-off loses the unsaved draft on phone and mirror alike; inputs while off are refused", () => {
  const { phone, clock } = newPhone();
  const log = script(phone, clock, [
    act("messaging", "open-thread", "peer=bob"),
    ...keys("messaging", "lost words"),
  ]);
  const mirror = mirrorOf(1);
  assert.ok(replayLog(mirror, log).ok);
  for (const p of [phone, mirror]) {
    p.powerOff();
    const refused = p.applyUser(user("messaging", { kind: "key", code: 65 }));
    assert.equal(!refused.ok && refused.error.code, "E_PLATFORM_OFF");
    p.boot();
  }
  const after = phone.applyUser(user("messaging", { kind: "action", name: "send", args: [] }));
  assert.equal(!after.ok && after.error.code, "E_INPUT_MALFORMED", "no thread is open after the reboot");
  assert.deepEqual(phone.uiState, mirror.uiState);
  assert.equal(phone.uiState.apps.messaging, undefined);
});

test("platform: a mirror cloned from the phone's snapshot mid-typing continues in sync (paper §3.2)", () => {
  const { phone, clock } = newPhone();
  script(phone, clock, [act("email", "compose", "to=carol@mail.example"), ...keys("email", "first half ")]);
  const clone = Platform.create({
    mode: "mirror",
    deviceId: "p",
    model,
    sha256: nodeSha256,
    from: phone.snapshot(),
  });
  const rest = script(phone, clock, [...keys("email", "second half"), act("email", "send")]);
  assert.ok(replayLog(clone, rest).ok);
  assert.equal(toHex(clone.digest()), toHex(phone.digest()));
  assert.equal(treeDifference(clone.storage, phone.storage), undefined);
});

test("platform: factory templates are deterministic per model, a few hundred files, shared by clones", () => {
  const a = factoryTemplate("mc-one", nodeSha256);
  const b = factoryTemplate("mc-two", nodeSha256);
  const one = Platform.create({
    mode: "mirror",
    deviceId: "x",
    model: "mc-one",
    sha256: nodeSha256,
    levelKey: publicLevelKey,
  });
  const two = Platform.create({
    mode: "mirror",
    deviceId: "y",
    model: "mc-one",
    sha256: nodeSha256,
    levelKey: publicLevelKey,
  });
  assert.equal(toHex(one.digest()), toHex(two.digest()));
  assert.notEqual(
    toHex(one.digest()),
    toHex(
      Platform.create({
        mode: "mirror",
        deviceId: "z",
        model: "mc-two",
        sha256: nodeSha256,
        levelKey: publicLevelKey,
      }).digest(),
    ),
  );
  assert.equal(one.snapshot().storage.root, a.storage.root, "a fresh clone shares the template's tree");
  assert.ok(a.storage.fileCount >= 200 && a.storage.fileCount <= 1000, `${a.storage.fileCount} files`);
  assert.ok(
    a.storage.bytesTotal > 100_000 && a.storage.bytesTotal < 20_000_000,
    `${a.storage.bytesTotal} bytes`,
  );
  assert.notEqual(b.storage.root, a.storage.root);
});

test("platform: a camera frame larger than one input can ship is refused, state unchanged", () => {
  const clock = new ManualClock(1_000);
  const sources = seededNondet({ rng: new SeededRng(3), clock, cameraBytes: 64 });
  const oversized = { ...sources, camera: () => new Uint8Array(limits.nondetBytesPerInputMax) };
  const phone = Platform.create({
    mode: "phone",
    deviceId: "p",
    model,
    sha256: nodeSha256,
    levelKey: publicLevelKey,
    nondet: oversized,
  });
  const digest = toHex(phone.digest());
  const shot = phone.applyUser(user("camera", { kind: "action", name: "shoot", args: [] }));
  assert.equal(!shot.ok && shot.error.code, "E_PAYLOAD_TOO_LARGE");
  assert.equal(toHex(phone.digest()), digest);
});

test("platform: a tap or key out of step (claimed network count, recorded nondet, bad envelope) is refused like any input, state unchanged", () => {
  const mirror = mirrorOf(7);
  const key = (over: Partial<UserInput>): UserInput => ({
    seq: 1,
    timeMs: 5,
    networkConsumed: 0,
    app: "messaging",
    body: { kind: "key", code: 65 },
    nondet: [],
    ...over,
  });
  const refused: [string, Partial<UserInput>][] = [
    ["E_NETWORK_INPUT_MISSING", { networkConsumed: 1 }],
    ["E_NONDET_MISMATCH", { nondet: [{ kind: "clock", value: new Uint8Array(8) }] }],
    ["E_INPUT_MALFORMED", { seq: -1 }],
    ["E_INPUT_MALFORMED", { timeMs: 1.5 }],
    ["E_INPUT_MALFORMED", { body: { kind: "tap", x: 1, y: limits.uiScreenCoordinateMax + 1 } }],
    ["E_APP_UNKNOWN", { app: "weather" as AppName }],
  ];
  const ui = structuredClone(mirror.uiState);
  for (const [code, over] of refused) {
    const result = mirror.applyUser(key(over));
    assert.equal(
      result.ok ? "ok" : result.error.code,
      code,
      JSON.stringify(over, (_, v) => String(v)),
    );
    assert.deepEqual(mirror.uiState, ui);
  }
  const replayed = key({});
  const applied = mirror.applyUser(replayed);
  assert.ok(applied.ok);
  assert.deepEqual(applied.value, replayed, "a replayed key comes back complete");
  assert.equal(mirror.uiState.apps.messaging?.draft, "A");
  const { phone } = newPhone();
  const stamped = phone.applyUser({
    seq: 1,
    timeMs: 5,
    app: "messaging",
    body: { kind: "tap", x: 5, y: 300 },
  });
  assert.ok(stamped.ok);
  assert.deepEqual(stamped.value.nondet, []);
  assert.equal(stamped.value.networkConsumed, 0);
});

test("platform: a phone and its mirror sharing one rebuilt template tree stay independent: a write on one leaves the other's digest", () => {
  const levelKey = LevelKey.fromSecret(new Uint8Array(levelSecretBytes).fill(9));
  const mirror = Platform.create({ mode: "mirror", deviceId: "m", model, sha256: nodeSha256, levelKey });
  const twin = Platform.create({ mode: "mirror", deviceId: "m", model, sha256: nodeSha256, levelKey });
  assert.equal(mirror.storage.snapshot().root, twin.storage.snapshot().root, "one rebuilt tree");
  const before = toHex(twin.digest());
  assert.equal(toHex(mirror.digest()), before);
  assert.ok(mirror.storage.writeFile("/sdcard/Download/new.txt", utf8("only on one side")).ok);
  assert.notEqual(toHex(mirror.digest()), before);
  assert.equal(toHex(twin.digest()), before, "the shared tree did not change under the other platform");
});
