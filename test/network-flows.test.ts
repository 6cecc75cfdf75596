// The paper's flows (§4.2, Fig 6–9, plus email), with and without the mirror
// service: message order, methods and responses; configuration-only routing;
// non-subscribers untouched; what the mirror records is what the phone got.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";
import fc from "fast-check";
import { bytesEqual, utf8 } from "../src/core/bytes.ts";
import { ErrorCodes } from "../src/core/errors.ts";
import {
  Cscf,
  type FlowResult,
  flowDocuments,
  flowNames,
  measureOverhead,
  NetworkBus,
  type NodeContext,
  renderOverheadMarkdown,
  runFlow,
  type TraceEntry,
  umts3g,
} from "../src/network/index.ts";

const hop = (t: TraceEntry) => `${t.from}>${t.to} ${t.label}`;
const involving = (r: FlowResult, node: string) => r.trace.filter((t) => t.from === node || t.to === node);
const labelsSent = (r: FlowResult, node: string) =>
  r.trace.filter((t) => t.from === node).map((t) => t.label);
const labelsReceived = (r: FlowResult, node: string) =>
  r.trace.filter((t) => t.to === node).map((t) => t.label);
const firstIndex = (r: FlowResult, predicate: (t: TraceEntry) => boolean) => r.trace.findIndex(predicate);

/** Asserts `wanted` occurs in `items` in this order (other items may sit between). */
function assertSubsequence(items: readonly string[], wanted: readonly string[]): void {
  let at = 0;
  for (const item of items) if (item === wanted[at]) at++;
  assert.equal(at, wanted.length, `missing ${wanted[at]} in order; got:\n${items.join("\n")}`);
}

function assertClean(result: FlowResult): void {
  assert.deepEqual(result.errors, []);
  assert.ok(result.deliveredMs !== undefined, "content never reached the receiving phone");
}

test("flows: Fig 6: the receiver gets INVITE, answers MSRP VISIT and 200 OK, then receives MSRP SEND", () => {
  const r = runFlow("mms", { mirror: false });
  assertClean(r);
  assertSubsequence(
    involving(r, "mobile2").map((t) => `${t.to === "mobile2" ? "in" : "out"} ${t.label}`),
    [
      "in INVITE",
      "out MSRP VISIT",
      "out 200 OK",
      "in ACK",
      "in MSRP SEND",
      "out MSRP 200 OK",
      "out MSRP REPORT",
      "in BYE",
      "out 200 OK",
    ],
  );
  const invite = r.trace.filter((t) => t.label === "INVITE").map((t) => `${t.from}>${t.to}`);
  assert.deepEqual(invite, [
    "mobile1>sgsn",
    "sgsn>cscf1",
    "cscf1>mms-as",
    "mms-as>cscf1",
    "cscf1>cscf2",
    "cscf2>sgsn",
    "sgsn>mobile2",
  ]);
  const ok = r.trace
    .filter((t) => t.label === "200 OK" && t.step < firstIndex(r, (x) => x.label === "ACK"))
    .map((t) => `${t.from}>${t.to}`);
  assert.deepEqual(ok, [
    "mobile2>sgsn",
    "sgsn>cscf2",
    "cscf2>cscf1",
    "cscf1>mms-as",
    "mms-as>cscf1",
    "cscf1>sgsn",
    "sgsn>mobile1",
  ]);
  assert.ok(
    r.trace.some((t) => t.to === "hss" && t.label === "Location-Info-Request"),
    "the HSS locates the callee",
  );
  assert.ok(!r.trace.some((t) => t.from === "mirror" || t.to === "mirror"), "no mirror without the service");
  assert.equal(r.recorded.length, 0);
});

test("flows: Fig 7: the mirror answers as the receiver, records, then starts a new session to the phone through CSCF 2", () => {
  const r = runFlow("mms", { mirror: true });
  assertClean(r);
  const atMirror = involving(r, "mirror").map((t) => `${t.to === "mirror" ? "in" : "out"} ${t.label}`);
  assertSubsequence(atMirror, [
    "in INVITE",
    "out MSRP VISIT",
    "out 200 OK",
    "in ACK",
    "in MSRP SEND",
    "out MSRP REPORT",
    "in BYE",
    "out 200 OK",
    "out INVITE", // zone C: the new session to Mobile 2
    "in MSRP VISIT",
    "in 200 OK",
    "out ACK",
    "out MSRP SEND",
    "in MSRP REPORT",
    "out BYE",
    "in 200 OK",
  ]);
  assert.equal(
    r.trace.find((t) => t.to === "mirror" && t.label === "INVITE")?.from,
    "cscf2",
    "CSCF 2 routes to the mirror by iFC",
  );
  const mirrorInvite = firstIndex(r, (x) => x.from === "mirror" && x.label === "INVITE");
  const secondInvite = r.trace.slice(mirrorInvite).filter((t) => t.label === "INVITE");
  assert.deepEqual(
    secondInvite.map((t) => `${t.from}>${t.to}`),
    ["mirror>cscf2", "cscf2>sgsn", "sgsn>mobile2"],
    "the new session goes through the same CSCF 2",
  );
  const firstToPhone = firstIndex(r, (t) => t.to === "mobile2");
  const mirrorBye = firstIndex(r, (t) => t.to === "mirror" && t.label === "BYE");
  assert.ok(firstToPhone > mirrorBye, "the phone hears nothing before the mirror's session is over");
  const zoneC = r.trace.slice(firstIndex(r, (t) => t.from === "mirror" && t.label === "INVITE"));
  assert.ok(!zoneC.some((t) => t.from === "hss" || t.to === "hss"), "no HSS in zone C");
  const senderSide = zoneC.filter((t) =>
    [t.from, t.to].some((n) => n === "cscf1" || n === "mms-as" || n === "mobile1"),
  );
  assert.ok(
    senderSide.every((t) => t.label === "200 OK"),
    "no sender-side nodes in zone C, except the 200 OK that ends the first session",
  );
  assert.equal(r.recorded.length, 1);
});

test("flows: MMS: the sender sees the same messages with or without the receiver's mirror service", () => {
  const off = runFlow("mms", { mirror: false });
  const on = runFlow("mms", { mirror: true });
  assert.deepEqual(labelsSent(on, "mobile1"), labelsSent(off, "mobile1"));
  assert.deepEqual(labelsReceived(on, "mobile1"), labelsReceived(off, "mobile1"));
});

test("flows: Fig 8: web browsing goes phone → SGSN → GGSN → web server and back", () => {
  const r = runFlow("web", { mirror: false });
  assertClean(r);
  assert.deepEqual(r.trace.map(hop), [
    "mobile1>sgsn HTTP GET /index.html",
    "sgsn>ggsn HTTP GET /index.html",
    "ggsn>web HTTP GET /index.html",
    "web>ggsn HTTP 200 OK",
    "ggsn>sgsn HTTP 200 OK",
    "sgsn>mobile1 HTTP 200 OK",
  ]);
});

test("flows: Fig 9: the SGSN learns the service from the HSS, asks the CSCF for the policy, and routes through the mirror both ways", () => {
  const r = runFlow("web", { mirror: true });
  assertClean(r);
  assert.deepEqual(
    r.trace.filter((t) => t.protocol === "signaling" && (t.from === "sgsn" || t.to === "sgsn")).map(hop),
    [
      "hss>sgsn Insert-Subscriber-Data-Request",
      "sgsn>hss Insert-Subscriber-Data-Answer",
      "sgsn>cscf1 User-Policy-Request",
      "cscf1>sgsn User-Policy-Answer",
    ],
  );
  assert.deepEqual(r.trace.filter((t) => t.protocol === "http").map(hop), [
    "mobile1>sgsn HTTP GET /index.html",
    "sgsn>mirror HTTP GET /index.html",
    "mirror>sgsn HTTP GET /index.html",
    "sgsn>ggsn HTTP GET /index.html",
    "ggsn>web HTTP GET /index.html",
    "web>ggsn HTTP 200 OK",
    "ggsn>sgsn HTTP 200 OK",
    "sgsn>mirror HTTP 200 OK",
    "mirror>sgsn HTTP 200 OK",
    "sgsn>mobile1 HTTP 200 OK",
  ]);
});

test("flows: email (no session control) takes the Fig 8/9 paths with POP3", () => {
  const off = runFlow("email", { mirror: false });
  const on = runFlow("email", { mirror: true });
  assertClean(off);
  assertClean(on);
  assert.deepEqual(off.trace.map(hop), [
    "mobile1>sgsn POP3 RETR 1",
    "sgsn>ggsn POP3 RETR 1",
    "ggsn>mail POP3 RETR 1",
    "mail>ggsn POP3 +OK",
    "ggsn>sgsn POP3 +OK",
    "sgsn>mobile1 POP3 +OK",
  ]);
  assert.deepEqual(
    on.trace.filter((t) => t.protocol === "pop3" && (t.from === "mirror" || t.to === "mirror")).map(hop),
    ["sgsn>mirror POP3 RETR 1", "mirror>sgsn POP3 RETR 1", "sgsn>mirror POP3 +OK", "mirror>sgsn POP3 +OK"],
  );
});

test("flows: a non-subscriber's flows are untouched when another phone has the mirror service", () => {
  for (const flow of flowNames) {
    const none = runFlow(flow, { mirror: false });
    const bystander = runFlow(flow, { mirror: false, bystanderSubscribes: true });
    assertClean(bystander);
    const withoutSetup = bystander.trace.filter((t) => !t.label.startsWith("Insert-Subscriber-Data"));
    assert.ok(
      withoutSetup.length < bystander.trace.length,
      `${flow}: the HSS did push the other phone's profile`,
    );
    assert.deepEqual(withoutSetup.map(hop), none.trace.map(hop), `${flow}: same hops and messages`);
    assert.ok(
      !bystander.trace.some((t) => t.from === "mirror" || t.to === "mirror"),
      `${flow}: nothing touches the mirror`,
    );
    assert.equal(bystander.recorded.length, 0);
    const strip = ({ timeMs: _t, ...rest }: { timeMs: number }) => rest;
    assert.deepEqual(
      bystander.received.map(strip),
      none.received.map(strip),
      `${flow}: the phone receives the same`,
    );
    // MMS: only the other user's own profile download (one more filter criterion) grows by a few bytes
    assert.ok(
      Math.abs(bystander.received[0]!.timeMs - none.received[0]!.timeMs) < 0.01,
      `${flow}: at the same time`,
    );
  }
});

test("flows: what the mirror records equals what the receiving phone got, for every flow", () => {
  for (const flow of flowNames) {
    const r = runFlow(flow, { mirror: true, seed: 7, rounds: 2 });
    assertClean(r);
    assert.equal(r.received.length, 2, `${flow}: both rounds arrive`);
    assert.deepEqual(
      r.recorded.map((x) => x.deviceId),
      [r.receiver, r.receiver],
    );
    const strip = ({ timeMs: _t, ...rest }: { timeMs: number }) => rest;
    assert.deepEqual(
      r.recorded.map((x) => strip(x.input)),
      r.received.map(strip),
      flow,
    );
    const times = r.recorded.map((x) => x.input.timeMs);
    assert.ok(
      times[0]! < times[1]! && times[1]! < r.received[1]!.timeMs + 1000,
      `${flow}: recorded in delivery order`,
    );
  }
});

test("flows: the mirror path adds latency and core bytes but no radio bytes for web and email", () => {
  for (const flow of flowNames) {
    const off = runFlow(flow, { mirror: false });
    const on = runFlow(flow, { mirror: true });
    assert.ok(on.latenciesMs[0]! > off.latenciesMs[0]!, `${flow}: extra latency`);
    assert.ok(on.bytesByLink.core > off.bytesByLink.core, `${flow}: extra core bytes`);
    if (flow !== "mms") {
      assert.equal(on.bytesByLink["radio-down"], off.bytesByLink["radio-down"]);
      assert.equal(on.bytesByLink["radio-up"], off.bytesByLink["radio-up"]);
    }
  }
});

test("flows: same options give the same trace; EDGE is slower than 3G", () => {
  assert.deepEqual(runFlow("mms", { mirror: true, seed: 3 }), runFlow("mms", { mirror: true, seed: 3 }));
  const g3 = runFlow("web", { mirror: true });
  const edge = runFlow("web", { mirror: true, network: "edge" });
  assert.ok(edge.latenciesMs[0]! > 2 * g3.latenciesMs[0]!);
});

test("flows: MMS larger than one chunk arrives intact in many MSRP chunks", () => {
  const r = runFlow("mms", { mirror: true, contentBytes: 300_000, msrpChunkBytes: 16 * 1024 });
  assertClean(r);
  assert.equal(
    r.trace.filter((t) => t.from === "mobile1" && t.label === "MSRP SEND").length,
    Math.ceil(300_000 / 16_384),
  );
  assert.equal(r.received[0]?.payload.length, 300_000);
});

test("flows: a node given a malformed SIP message records a typed error and sends nothing", () => {
  const bus = new NetworkBus(umts3g);
  const cscf = bus.add(new Cscf({ id: "cscf1", hss: "hss", sgsn: "sgsn", registrations: {}, phones: [] }));
  const sent: unknown[] = [];
  const context: NodeContext = { nowMs: 0, send: (_to, packet) => sent.push(packet), note: () => {} };
  cscf.onPacket(
    { src: "x", dst: "cscf1", protocol: "sip", bytes: utf8("INVITE nonsense\r\n\r\n"), label: "INVITE" },
    "x",
    context,
  );
  assert.equal(sent.length, 0);
  assert.equal(cscf.errors[0]?.code, ErrorCodes.SIP_MALFORMED);
});

test("flows: a CSCF answers a request whose Max-Forwards is used up with 483 to the previous hop", () => {
  const bus = new NetworkBus(umts3g);
  const cscf = bus.add(new Cscf({ id: "cscf1", hss: "hss", sgsn: "sgsn", registrations: {}, phones: [] }));
  const sent: Array<{ to: string; bytes: Uint8Array }> = [];
  const context: NodeContext = {
    nowMs: 0,
    send: (to, packet) => sent.push({ to, bytes: packet.bytes }),
    note: () => {},
  };
  const invite = [
    "INVITE sip:bob@ims.example SIP/2.0",
    "Via: SIP/2.0/TCP loopy;branch=z9hG4bK1",
    "Max-Forwards: 0",
    "From: <sip:alice@ims.example>;tag=a",
    "To: <sip:bob@ims.example>",
    "Call-ID: loop@x",
    "CSeq: 1 INVITE",
    "Content-Length: 0",
    "",
    "",
  ].join("\r\n");
  cscf.onPacket(
    { src: "loopy", dst: "cscf1", protocol: "sip", bytes: utf8(invite), label: "INVITE" },
    "loopy",
    context,
  );
  assert.equal(sent.length, 1);
  assert.equal(sent[0]!.to, "loopy");
  assert.match(new TextDecoder().decode(sent[0]!.bytes), /^SIP\/2\.0 483 Too Many Hops\r\n/);
});

test("flows: the mirror hands each record to onRecord as it is made (the Traffic Monitor hook)", () => {
  const seen: string[] = [];
  const r = runFlow("mms", {
    mirror: true,
    rounds: 2,
    onRecord: (record) => seen.push(`${record.deviceId} ${record.input.args.join(" ")}`),
  });
  assert.deepEqual(
    seen,
    r.recorded.map((record) => `${record.deviceId} ${record.input.args.join(" ")}`),
  );
  assert.equal(seen.length, 2);
});

test("flows: docs/flows is generated from the flows and up to date", () => {
  for (const doc of flowDocuments()) {
    const committed = readFileSync(join("docs", "flows", doc.file), "utf8");
    assert.equal(
      committed,
      doc.content,
      `docs/flows/${doc.file} is stale: run npx tsx src/cli/main.ts flows --write-docs docs/flows`,
    );
  }
});

test("flows: for any content size, chunk size, seed and network, every flow delivers the same bytes with and without the mirror", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(...flowNames),
      fc.integer({ min: 64, max: 60_000 }),
      fc.integer({ min: 1_000, max: 70_000 }),
      fc.nat({ max: 1_000 }),
      fc.constantFrom("3g" as const, "edge" as const),
      (flow, contentBytes, msrpChunkBytes, seed, network) => {
        const options = { contentBytes, msrpChunkBytes, seed, network };
        const off = runFlow(flow, { ...options, mirror: false });
        const on = runFlow(flow, { ...options, mirror: true });
        assertClean(off);
        assertClean(on);
        assert.equal(on.recorded.length, 1);
        assert.ok(
          bytesEqual(on.received[0]!.payload, off.received[0]!.payload),
          "same content reaches the phone",
        );
        assert.ok(
          bytesEqual(on.recorded[0]!.input.payload, off.received[0]!.payload),
          "the mirror records it",
        );
        assert.deepEqual(on.recorded[0]!.input.args, off.received[0]!.args);
      },
    ),
    { numRuns: 40 },
  );
});

test("flows: the overhead table in docs/network.md is what the model measures", () => {
  const doc = readFileSync(join("docs", "network.md"), "utf8");
  for (const network of ["3g", "edge"] as const) {
    const rows = renderOverheadMarkdown(measureOverhead(network))
      .split("\n")
      .slice(2)
      .filter((row) => row !== "");
    for (const row of rows) assert.ok(doc.includes(row), `docs/network.md lacks or has a stale row:\n${row}`);
  }
});
