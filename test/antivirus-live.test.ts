// The antivirus on a live mirror server (paper §5.2; issue 8 follow-up): the
// service hooked to the live core through attachAntivirus, phones syncing
// over loopback. On the fly, the first look at each mirror scans every file
// (in event-loop steps, never inside the replay hook) and finds a template
// file a hash signature names; phones and mirrors stay equal.
import assert from "node:assert/strict";
import { test } from "node:test";
import { attachAntivirus, type LiveAntivirusRuntime, nodeHashFactory } from "../src/live/antivirus/index.ts";
import { quickTestWorkload, waitFor } from "../src/live/live-harness.ts";
import type { ServiceHooks } from "../src/live/live-server.ts";
import { nodeSha256 } from "../src/node/sha256.ts";
import { systemClock } from "../src/node/system-clock.ts";
import {
  AntivirusService,
  compileDatabase,
  DatabaseHolder,
  emptyParsedDatabase,
  parseDatabaseText,
} from "../src/services/antivirus/index.ts";
import { assertMirrorEqualsPhone, LiveRig } from "./support/live-rig.ts";
import { markedTemplateFile } from "./support/marked-template-file.ts";

const seed = Number(process.env.SEED ?? 42);
const model = "pixel";

/** A database whose one hash signature names a file of the model's factory template. */
function templateSignature(): { service: AntivirusService; path: string } {
  const { path, hdbLine } = markedTemplateFile(model, "Live.Template.Marked");
  const parsed = emptyParsedDatabase();
  assert.ok(parseDatabaseText("live.hdb", hdbLine, parsed).ok);
  const compiled = compileDatabase(parsed, "live-db-1");
  assert.ok(compiled.ok);
  const service = new AntivirusService({
    database: new DatabaseHolder(compiled.value),
    hash: nodeHashFactory,
  });
  return { service, path };
}

test(`antivirus live: on the fly, a live server finds a marked template file in steps while phones sync; mirrors equal phones (seed=${seed})`, async () => {
  const { service, path } = templateSignature();
  const notices: Parameters<ServiceHooks["queueNotice"]>[1][] = [];
  const runtimes: LiveAntivirusRuntime[] = [];
  const budget = { filesMax: 8, bytesMax: 64 * 1024 };
  const services = (hooks: ServiceHooks) => {
    const queueNotice: typeof hooks.queueNotice = (id, notice) => {
      notices.push(notice);
      return hooks.queueNotice(id, notice);
    };
    const options = { clock: systemClock, sha256: nodeSha256, service, onTheFly: true, budget };
    runtimes.push(attachAntivirus({ ...hooks, queueNotice }, options));
  };
  const ids = ["phone-v1", "phone-v2"];
  const rig = await LiveRig.start("av-live", ids, { services });
  const server = rig.server;
  try {
    const shape = { seed, ...quickTestWorkload, model, networkPerSecond: 2 };
    const { phones } = await rig.startPhones(shape);
    assert.equal(runtimes.length, 1, "one core, one antivirus runtime");
    const runtime = runtimes[0]!;
    const found = await waitFor(() => runtime.antivirus.onTheFlyAlerts >= ids.length, 15_000);
    assert.ok(found, `every mirror's first look found the marked file (${runtime.antivirus.onTheFlyAlerts})`);
    for (const phone of phones)
      assert.ok(await phone.powerOff(10_000), `${phone.core.deviceId}: power-off acked`);
    const stopped = await waitFor(
      () => ids.every((id) => server.core.mirror(id)?.state === "stopped"),
      10_000,
    );
    assert.ok(stopped, "mirrors replayed the last batches, saved and stopped");
    await runtime.idle();
    const stats = runtime.host.stepStats();
    assert.ok(stats.steps > ids.length, `the scans took several steps (${stats.steps})`);
    assert.ok(stats.stepFilesMax <= budget.filesMax, "no step scanned more files than its budget");
    const detected = notices.flatMap((n) =>
      n.kind.case === "scanResult" ? n.kind.value.detections.map((d) => `${d.path}: ${d.signature}`) : [],
    );
    assert.ok(detected.includes(`${path}: Live.Template.Marked`), JSON.stringify(detected.slice(0, 5)));
    for (const phone of phones) assertMirrorEqualsPhone(phone, server.core, `seed=${seed}`);
  } finally {
    for (const runtime of runtimes) runtime.close();
    await rig.close();
  }
});
