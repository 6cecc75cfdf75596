// Shared pieces of the antivirus mirror tests (issue 8 and its stepped-scan
// follow-up): a small database, an infected dex and a known-bad resource,
// APK building, the antivirus service hosted on a SyncRig's server through
// attachServices (as the runtimes host it), and draining its scan jobs.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { zipSync } from "fflate";
import { nodeHashFactory } from "../src/live/antivirus/index.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import {
  AntivirusMirrorService,
  AntivirusService,
  compileDatabase,
  DatabaseHolder,
  emptyParsedDatabase,
  parseDatabaseText,
  parseScanResult,
  type ScanEngine,
} from "../src/services/antivirus/index.ts";
import { attachServices, type ServiceHost, type StepBudget } from "../src/services/index.ts";
import type { Notice } from "../src/sync/index.ts";
import type { SyncRig } from "./support/sync-rig.ts";

const enc = new TextEncoder();
export const evilDex = enc.encode(
  `dex\n035\0${"\u0001".repeat(300)}EVIL-PAYLOAD-9f3a${"\u0002".repeat(300)}`,
);
export const knownBad = enc.encode("a known bad resource, matched by its MD5");

function engine(): ScanEngine {
  const parsed = emptyParsedDatabase();
  const md5 = createHash("md5").update(knownBad).digest("hex");
  assert.ok(
    parseDatabaseText("t.ndb", "Android.Evil.Body:0:*:4556494c2d5041594c4f4144{1-8}3966\n", parsed).ok,
  );
  assert.ok(parseDatabaseText("t.hdb", `${md5}:${knownBad.length}:Android.Evil.Hash\n`, parsed).ok);
  const compiled = compileDatabase(parsed, "db-1");
  assert.ok(compiled.ok);
  return compiled.value;
}

/** The antivirus over the test database, with its own holder and freshly compiled engine. */
export function testAntivirus(): AntivirusService {
  return new AntivirusService({ database: new DatabaseHolder(engine()), hash: nodeHashFactory });
}

export function apk(entries: Record<string, Uint8Array>): Uint8Array {
  return zipSync(Object.fromEntries(Object.entries(entries).map(([k, v]) => [k, [v, { level: 6 }]])));
}

export interface HostedAntivirus {
  host: ServiceHost;
  av: AntivirusMirrorService;
  notices: Notice[];
}

/**
 * The antivirus on the rig's server behind a ServiceHost. Scan results are
 * recorded by the rig's Traffic Monitor and applied to the phone at once.
 * The host forwards user replays only, so network replays are hooked too
 * (on-the-fly mode needs them), as the simulator does.
 */
export function hostAntivirus(rig: SyncRig, onTheFly: boolean): HostedAntivirus {
  const notices: Notice[] = [];
  const host = attachServices({
    sync: {
      onReplayedInput: (hook) => rig.server.onReplayedInput(hook),
      queueNotice: (id, notice) => {
        notices.push(notice);
        return rig.server.queueNotice(id, notice);
      },
    },
    mirrors: { view: (id) => rig.mirrors.view(id) },
    monitor: { deliver: (id, input) => rig.monitor.deliver(id, input) },
    forwardToPhone: (id, input) => {
      const phone = rig.phone(id);
      rig.tickPhone(phone);
      assert.ok(phone.platform.applyNetwork(input).ok);
    },
    sha256: nodeSha256,
    outbox: { send: () => assert.fail("the antivirus sends nothing out of the server") },
    fetcher: { fetch: () => assert.fail("the antivirus fetches nothing") },
  });
  const service = testAntivirus();
  const av = host.register(
    (p) => new AntivirusMirrorService(p, { service, storageOf: (id) => rig.mirrors.view(id), onTheFly }),
  );
  rig.server.onReplayedInput((id, event, nowMs) => {
    if (event.kind === "network") av.replayed(id, nowMs, undefined);
  });
  return { host, av, notices };
}

/** Runs scan steps until no job is left; returns how many steps it took. */
export function drainScans(host: ServiceHost, nowMs: number, budget?: StepBudget): number {
  let steps = 0;
  for (; steps < 100_000 && host.hasStepWork(); steps++) host.step(nowMs, budget);
  assert.equal(host.hasStepWork(), false, "scan jobs finish in a bounded number of steps");
  return steps;
}

/** Replay, every scan step, then replay of the results on the mirror. */
export function settleScanning(rig: SyncRig, host: ServiceHost, id: string, budget?: StepBudget): number {
  rig.settle(id);
  const steps = drainScans(host, rig.nowMs, budget);
  rig.settle(id);
  return steps;
}

/** The (path, signature) pairs of a scan result file on the phone (the latest, or one by id). */
export function resultFile(rig: SyncRig, id: string, requestId?: string): { path: string; name: string }[] {
  const storage = rig.phone(id).platform.storage;
  const dir = storage.list("/data/antivirus/results");
  assert.ok(dir.ok && dir.value.length > 0, "the phone holds a scan result");
  const name = requestId === undefined ? dir.value.at(-1) : `${requestId}.txt`;
  const file = storage.readFile(`/data/antivirus/results/${name}`);
  assert.ok(file.ok, `no result ${name}`);
  return parseScanResult(file.value);
}
