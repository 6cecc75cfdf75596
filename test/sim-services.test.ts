// The caching and antivirus services inside fleet runs (issues 7, 8): the
// invariants hold with services and every fault on, the caching service takes
// big shares off the phones' uplinks (compared with the same seed and the
// phone's caching setting off), and runs without services are unchanged.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  defaultOptions,
  deterministicPart,
  faultKinds,
  runSimulation,
  type SimulationOptions,
  type SimulationReport,
} from "../src/sim/index.ts";

const base: SimulationOptions = { ...defaultOptions, seed: 42, phones: 6, hours: 0.5 };

function withoutOptions(r: SimulationReport) {
  const { options: _o, reproduce: _r, ...rest } = deterministicPart(r);
  return rest;
}

test("sim services: all services with all faults keep every invariant and do their work (seed=42)", () => {
  const faultRates = { ...defaultOptions.faultRates, crashIntervalMsMean: 5 * 60_000 };
  const r = runSimulation({ ...base, faults: [...faultKinds], faultRates, services: "all" });
  const s = r.services;
  assert.ok(s !== undefined, "the report has the services' figures");
  assert.equal(r.invariantViolations, 0, `${JSON.stringify(r.violations.slice(0, 3))}\n${r.reproduce}`);
  assert.ok(r.converged, r.reproduce);
  assert.ok(r.faults.crashes > 0, "the services were re-attached after at least one crash");
  assert.ok(s.uploadsViaMirror > 0 && s.radioBytesSaved > 0, JSON.stringify(s));
  // Every copy the phones did not send, the mirror sent (re-sends after a crash only add).
  assert.ok(s.sentPayloadBytes >= s.radioBytesSaved, JSON.stringify(s));
  // The cache store is volatile: a crash may lose files before their fetch, so no count of fetches here.
  assert.ok(s.downloadsRequested > 0, JSON.stringify(s));
  assert.ok(s.scanRequests > 0, "the antivirus scanned what replay wrote");
  assert.ok(s.detections <= s.downloadsRequested, "only marked downloads are detected");
});

test("sim services: the caching service saves uplink bytes against the same seed with caching off (seed=42)", () => {
  const off = runSimulation({ ...base, services: "antivirus" });
  const on = runSimulation({ ...base, services: "all" });
  assert.ok(off.services !== undefined && on.services !== undefined);
  assert.equal(off.invariantViolations + on.invariantViolations, 0);
  assert.equal(off.services.uploadsViaMirror, 0, "caching off: every share goes direct");
  assert.ok(off.services.uploadsDirect > 0);
  assert.ok(on.services.cachedDownloads > 0, "phones fetched files the server cached for them");
  assert.equal(on.services.fetchesRefused, 0);
  assert.equal(off.services.detections, 0, "caching off: nothing is downloaded");
  assert.equal(on.services.uploadsDirect, 0, "shares of the largest file are above the threshold");
  const savedBytes = off.uplinkBytes - on.uplinkBytes;
  assert.ok(savedBytes > 0, `uplink off ${off.uplinkBytes} B, on ${on.uplinkBytes} B`);
  assert.ok(
    savedBytes > on.services.radioBytesSaved / 2,
    `saved ${savedBytes} B on the uplink, ${on.services.radioBytesSaved} B of shares went via the mirror`,
  );
});

test("sim services: the antivirus catches marked downloads on the fly when phones fetch them (seed=42)", () => {
  const r = runSimulation({ ...base, phones: 10, hours: 1, services: "all" });
  assert.equal(r.invariantViolations, 0, r.reproduce);
  // One download in five carries a marker of the generated database.
  assert.ok(r.services !== undefined && r.services.detections > 0, JSON.stringify(r.services));
  assert.ok(r.services.detections <= r.services.cachedDownloads, JSON.stringify(r.services));
});

test("sim services: same seed, same report with services on (seed=7)", () => {
  const options = { ...base, seed: 7, phones: 4, faults: [...faultKinds], services: "all" as const };
  const a = JSON.stringify(deterministicPart(runSimulation(options)));
  const b = JSON.stringify(deterministicPart(runSimulation(options)));
  assert.equal(a, b);
});

test("sim services: --services none leaves the run exactly as without services (seed=42)", () => {
  const plain = runSimulation({ ...base, phones: 4, faults: [...faultKinds] });
  const none = runSimulation({ ...base, phones: 4, faults: [...faultKinds], services: "none" });
  assert.equal(plain.services, undefined);
  assert.deepEqual(withoutOptions(none), withoutOptions(plain));
});
