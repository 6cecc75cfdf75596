// Caching service savings (paper §5.1, Fig 11, 14, 15; issue 7). Two parts:
// 1. A run of the real stack (phone platform + Syn-Client, mirror server with
//    the caching service, the phone's radio on the simulator's Table 1 links,
//    test/caching-scenario.ts): the bytes the phone's radio actually carried
//    for a bulk upload to 5 recipients and a bulk download, with and without
//    caching; radio time from those bytes at the link rate; battery from the
//    calibrated energy model (src/model) applied to the measured bytes.
// 2. The model sweep over file sizes (Fig 11: transfer time on EDGE and 3G).
// 3. A fleet run of the simulator with and without caching.
// 4. Live (loopback): a `serve` core with the caching service, one live phone,
//    a test web server and recipient; the phone's real sync uplink bytes for a
//    bulk download and a bulk upload to 5 recipients, service on and off.
// One line per figure: `name: value unit (ratio vs baseline)`.
import { bytesEqual } from "../src/core/bytes.ts";
import { SeededRng } from "../src/core/rng.ts";
import { startTestWebServer } from "../src/live/caching/index.ts";
import { waitFor } from "../src/live/live-harness.ts";
import {
  bulkTransferBattery,
  calibrateBatteryModel,
  type NetworkKind,
  paperBattery,
  syncBattery,
  transferTime,
} from "../src/model/index.ts";
import { defaultCachingSettings, paperSweepSizesBytes, savingsSweep } from "../src/services/index.ts";
import { defaultOptions, runSimulation } from "../src/sim/index.ts";
import { CachingScenario, fileNamed, okOrThrow } from "../test/caching-scenario.ts";
import { startLiveCachingRig } from "../test/support/live-caching-rig.ts";

const model = calibrateBatteryModel();
const minuteMs = 60_000;
const recipients = ["+18145550001", "+18145550002", "+18145550003", "+18145550004", "+18145550005"];

interface Measured {
  uplinkBytes: number;
  uplinkBusyS: number;
  downlinkBytes: number;
  downlinkBusyS: number;
}

function delta(sc: CachingScenario, run: () => void): Measured {
  const before = sc.radioTotals();
  run();
  const after = sc.radioTotals();
  return {
    uplinkBytes: after.uplinkBytes - before.uplinkBytes,
    uplinkBusyS: (after.uplinkBusyMs - before.uplinkBusyMs) / 1000,
    downlinkBytes: after.downlinkBytes - before.downlinkBytes,
    downlinkBusyS: (after.downlinkBusyMs - before.downlinkBusyMs) / 1000,
  };
}

function simulateUpload(network: NetworkKind, sizeBytes: number, enabled: boolean): Measured {
  const sc = new CachingScenario({ seed: 7, network, settings: { ...defaultCachingSettings, enabled } });
  for (const r of recipients) sc.world.addRecipient(r);
  const video = new SeededRng(70).bytes(sizeBytes);
  const mms = ["from=alice", "name=clip.3gp"];
  okOrThrow(
    sc.networkToPhone(sc.deviceId, { timeMs: 0, app: "mms", kind: "mms", args: mms, payload: video }),
  );
  sc.advance(minuteMs + 500);
  const measured = delta(sc, () => {
    okOrThrow(sc.upload(fileNamed(sc.phone, "clip.3gp")!, recipients));
    sc.advance(3 * minuteMs);
  });
  const delivered = recipients.every((r) =>
    bytesEqual(sc.world.inbox(r)[0]?.payload ?? new Uint8Array(), video),
  );
  if (!delivered || !sc.mirrorEqualsPhone())
    throw new Error(`upload run broken (${network}, ${sizeBytes}, ${enabled})`);
  return measured;
}

function simulateCachedDownload(network: NetworkKind, sizeBytes: number): Measured {
  const sc = new CachingScenario({ seed: 8, network, settings: defaultCachingSettings });
  sc.world.publish("http://videos.test/movie.mp4", new SeededRng(80).bytes(sizeBytes));
  okOrThrow(sc.requestDownload("http://videos.test/movie.mp4"));
  sc.advance(2 * minuteMs);
  const notice = sc.phoneNotices.find((n) => n.kind.case === "fileCached");
  if (notice?.kind.case !== "fileCached") throw new Error("no file-cached notice");
  const cacheId = notice.kind.value.cacheId;
  const measured = delta(sc, () => {
    okOrThrow(sc.fetchCached(cacheId));
    sc.advance(4 * minuteMs);
  });
  if (!sc.mirrorEqualsPhone()) throw new Error("download run: mirror differs from phone");
  return measured;
}

function fmt(value: number, digits = 3): string {
  return Number(value.toPrecision(digits)).toString();
}

function line(name: string, value: number, unit: string, baseline: number, baselineName: string): void {
  const ratio = baseline === 0 ? "n/a" : fmt(value / baseline);
  const show = (v: number) => (unit === "B" ? String(v) : fmt(v, 4));
  console.log(`${name}: ${show(value)} ${unit} (${ratio} vs ${baselineName} ${show(baseline)} ${unit})`);
}

function upBattery(network: NetworkKind, bytes: number): number {
  return bulkTransferBattery(model, { network, direction: "up", sizeBytes: bytes }).batteryPct;
}

function downBattery(network: NetworkKind, bytes: number): number {
  return bulkTransferBattery(model, { network, direction: "down", sizeBytes: bytes }).batteryPct;
}

const simSizes = [1_000_000, 5_000_000, 20_000_000];
for (const network of ["edge", "3g"] as const) {
  for (const size of simSizes) {
    const tag = `sim.upload.${network}.${size / 1_000_000}MB.x5`;
    const off = simulateUpload(network, size, false);
    const on = simulateUpload(network, size, true);
    line(`${tag}.uplinkBytes`, on.uplinkBytes, "B", off.uplinkBytes, "no caching");
    line(`${tag}.uplinkTime`, on.uplinkBusyS, "s", off.uplinkBusyS, "no caching");
    line(
      `${tag}.battery`,
      upBattery(network, on.uplinkBytes),
      "%",
      upBattery(network, off.uplinkBytes),
      "no caching",
    );
  }
}
for (const size of simSizes) {
  const tag = `sim.download.${size / 1_000_000}MB`;
  const later = simulateCachedDownload("3g", size);
  const now = simulateCachedDownload("edge", size); // same bytes the phone would take now on EDGE
  line(
    `${tag}.downlinkBytes.cached-later-3g`,
    later.downlinkBytes,
    "B",
    now.downlinkBytes,
    "direct-now-edge",
  );
  line(`${tag}.downlinkTime.cached-later-3g`, later.downlinkBusyS, "s", now.downlinkBusyS, "direct-now-edge");
  line(
    `${tag}.battery.cached-later-3g`,
    downBattery("3g", later.downlinkBytes),
    "%",
    downBattery("edge", now.downlinkBytes),
    "direct-now-edge",
  );
}
// Fig 11 / 14 / 15 sweep from the models (one upload, tested Table 1 rates).
for (const row of savingsSweep(model, {
  sizesBytes: paperSweepSizesBytes,
  networks: ["edge", "3g"],
  recipients: 1,
})) {
  const tag = `model.${row.network}.${row.sizeBytes / 1_000_000}MB`;
  line(
    `${tag}.upload.time`,
    row.upload.withCaching.radioTimeS,
    "s",
    row.upload.withoutCaching.radioTimeS,
    "no caching",
  );
  line(
    `${tag}.upload.battery`,
    row.upload.withCaching.batteryPct,
    "%",
    row.upload.withoutCaching.batteryPct,
    "no caching",
  );
  line(
    `${tag}.download.time.later-3g`,
    row.download.withCaching.radioTimeS,
    "s",
    row.download.withoutCaching.radioTimeS,
    "now",
  );
}
// Fig 14 / 15 context: the battery of periodic sync per minute against standby.
const sync = syncBattery(model, { network: "3g", syncIntervalS: 60, eventsPerSecond: 0.5 });
line(
  "model.fig14-15.periodicSync.batteryPerMin",
  sync.totalPctPerMin,
  "%/min",
  sync.standbyPctPerMin,
  "standby",
);
line(
  "model.fig14-15.paper.periodicSync.batteryPerMin",
  paperBattery.periodicSyncPctPerMin,
  "%/min",
  paperBattery.standbyPctPerMin,
  "standby",
);
// Table 1 advertised ranges: the paper's 20 MB file, time at the range's
// midpoint with the range (slowest..fastest) beside it; baseline = tested rate.
for (const network of ["edge", "3g"] as const) {
  for (const direction of ["up", "down"] as const) {
    const advertised = transferTime(20_000_000, network, direction, "advertised");
    const tested = transferTime(20_000_000, network, direction, "tested");
    const name = `model.${network}.20MB.${direction}.time.advertised[${fmt(advertised.timeSMin, 4)}..${fmt(advertised.timeSMax, 4)} s]`;
    line(name, advertised.timeSMid, "s", tested.timeSMid, "tested");
  }
}
// 3. Fleet figure (issue 7): `runSimulation` with the services' workload
// (phones share their largest file with 1-5 recipients, cache URLs, fetch
// them later), the same seed with the phones' caching setting on (services
// all) and off (antivirus only: every share goes over the phone's uplink).
// Bytes are from the reports (deterministic); only the wall ratio is timing.
const fleet = { ...defaultOptions, seed: 7, phones: 30, hours: 1 };
const fleetOff = runSimulation({ ...fleet, services: "antivirus" });
const fleetOn = runSimulation({ ...fleet, services: "all" });
const sOn = fleetOn.services!;
const sOff = fleetOff.services!;
const tagFleet = `fleet.${fleet.phones}x${fleet.hours}h.${fleet.network}`;
line(`${tagFleet}.uplinkBytes`, fleetOn.uplinkBytes, "B", fleetOff.uplinkBytes, "caching off");
line(
  `${tagFleet}.uplinkBytesPerPhoneHour`,
  Math.round(fleetOn.uplinkBytes / (fleet.phones * fleet.hours)),
  "B",
  Math.round(fleetOff.uplinkBytes / (fleet.phones * fleet.hours)),
  "caching off",
);
line(
  `${tagFleet}.uploadsViaMirror`,
  sOn.uploadsViaMirror,
  "uploads",
  sOff.uploadsDirect,
  "direct uploads off",
);
line(`${tagFleet}.radioBytesSaved`, sOn.radioBytesSaved, "B", fleetOff.uplinkBytes, "uplink caching off");
line(`${tagFleet}.cachedDownloads`, sOn.cachedDownloads, "fetches", sOn.downloadsRequested, "requested");
line(`${tagFleet}.detections`, sOn.detections, "files", sOn.cachedDownloads, "fetched downloads");
line(`${tagFleet}.scanRequests`, sOn.scanRequests, "scans", sOff.scanRequests, "caching off");
line(
  `${tagFleet}.invariantViolations`,
  fleetOn.invariantViolations,
  "",
  fleetOff.invariantViolations,
  "caching off",
);
line(`${tagFleet}.wall`, fleetOn.wallSeconds, "s", fleetOff.wallSeconds, "caching off");

// 4. Live figures: real sockets and processes' code paths, one phone, loopback.
async function liveFigures(): Promise<void> {
  const web = await startTestWebServer();
  const rig = await startLiveCachingRig("bench-caching", "bench-phone", {
    ...{ seed: 7, model: "pixel", eventsPerSecond: 0.5, networkPerSecond: 0 },
    ...{ syncIntervalMs: 1_000, sizeScale: 0.01, stepMs: 20 },
  });
  const { recipient, runtimes, phone, caching } = rig;
  try {
    if (!(await waitFor(() => phone.connected, 20_000))) throw new Error("live phone did not connect");
    const size = 2_000_000;
    const movie = new SeededRng(71).bytes(size);
    let up = phone.uplinkBytes;
    if (!(await caching.requestDownload(web.publish("movie.bin", movie))).ok) throw new Error("refused");
    if (!(await waitFor(() => caching.stats.cachedFetched === 1, 30_000))) throw new Error("not fetched");
    line("live.download.2MB.syncUplinkBytes", phone.uplinkBytes - up, "B", size, "file size");
    line("live.download.2MB.fetchedBytes", caching.stats.cachedFetchedBytes, "B", size, "file size");
    const settle = () => new Promise((resolve) => setTimeout(resolve, 2_500)); // two sync windows
    up = phone.uplinkBytes;
    await caching.share("/sdcard/Download/movie.bin", recipients);
    await settle();
    const viaMirror = phone.uplinkBytes - up + caching.stats.directUploadBytes;
    caching.settings = { ...defaultCachingSettings, enabled: false };
    up = phone.uplinkBytes;
    await caching.share("/sdcard/Download/movie.bin", recipients);
    await settle();
    const direct = phone.uplinkBytes - up + caching.stats.directUploadBytes;
    line("live.upload.2MB.x5.phoneUplinkBytes", viaMirror, "B", direct, "caching off");
    const delivered = recipients.every((r) => recipient.inbox(r).length === 2);
    line(
      "live.upload.2MB.x5.serverSends",
      runtimes[0]!.host.outboxStats().messages,
      "sends",
      delivered ? 5 : 0,
      "recipients",
    );
  } finally {
    await rig.close();
    await web.close();
  }
}
await liveFigures();
