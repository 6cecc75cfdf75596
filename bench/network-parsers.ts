// Network parser and flow throughput (issue 6): SIP and MSRP parsing of the
// flows' real wire bytes fed one message per call (the baseline, as the bus
// delivers them), as a stream cut into 1460-byte TCP segments, and one byte
// at a time, each as a ratio to the baseline measured in this run; and flows
// simulated per second. Run: node --import tsx bench/network-parsers.ts
import { performance } from "node:perf_hooks";
import { concatBytes } from "../src/core/bytes.ts";
import { type FlowName, flowNames, MsrpParser, runFlow, SipParser } from "../src/network/index.ts";

function wireOf(protocol: "sip" | "msrp", flow: FlowName): Uint8Array[] {
  const result = runFlow(flow, { mirror: true, captureWire: true });
  return result.wire.filter((p) => p.protocol === protocol).map((p) => p.bytes);
}

function segments(stream: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i += size) out.push(stream.subarray(i, i + size));
  return out;
}

/** Runs `feedAll` until `minMs` passed; returns bytes per second and messages per second. */
function measure(
  chunks: Uint8Array[],
  messages: number,
  make: () => { feed(b: Uint8Array): { ok: boolean } },
  minMs = 1500,
) {
  let rounds = 0;
  const start = performance.now();
  let elapsed = 0;
  const bytes = chunks.reduce((sum, c) => sum + c.length, 0);
  while (elapsed < minMs) {
    const parser = make();
    for (const chunk of chunks) if (!parser.feed(chunk).ok) throw new Error("parse failed in bench");
    rounds++;
    elapsed = performance.now() - start;
  }
  const seconds = elapsed / 1000;
  return { bytesPerSecond: (bytes * rounds) / seconds, messagesPerSecond: (messages * rounds) / seconds };
}

function report(
  name: string,
  wire: Uint8Array[],
  make: () => { feed(b: Uint8Array): { ok: boolean } },
  byteLimit: number,
) {
  const stream = concatBytes(wire);
  const messages = wire.length;
  measure(wire, messages, make, 800); // warm-up: let the JIT settle before the baseline
  measure(segments(stream, 1460), messages, make, 800);
  const perMessage = measure(wire, messages, make);
  const tcp = measure(segments(stream, 1460), messages, make);
  const small = stream.subarray(0, Math.min(stream.length, byteLimit));
  const smallMessages = Math.max(1, Math.round((messages * small.length) / stream.length));
  const bytewise = measure(segments(small, 1), smallMessages, make);
  const mb = (v: number) => (v / 1e6).toFixed(1);
  console.log(
    `${name}.per-message: ${mb(perMessage.bytesPerSecond)} MB/s, ${Math.round(perMessage.messagesPerSecond)} messages/s (baseline)`,
  );
  console.log(
    `${name}.tcp-segments-1460: ${mb(tcp.bytesPerSecond)} MB/s (${(tcp.bytesPerSecond / perMessage.bytesPerSecond).toFixed(2)}x vs per-message)`,
  );
  console.log(
    `${name}.byte-at-a-time: ${mb(bytewise.bytesPerSecond)} MB/s (${(bytewise.bytesPerSecond / perMessage.bytesPerSecond).toFixed(3)}x vs per-message)`,
  );
}

const sip = flowNames.flatMap((flow) => wireOf("sip", flow));
report("sip", sip, () => new SipParser(), 64 * 1024);
const msrp = wireOf("msrp", "mms");
report("msrp", msrp, () => new MsrpParser(), 256 * 1024);

for (const flow of flowNames) {
  const start = performance.now();
  let runs = 0;
  while (performance.now() - start < 500) {
    runFlow(flow, { mirror: true });
    runs++;
  }
  const perSecond = runs / ((performance.now() - start) / 1000);
  console.log(`flows.${flow}.mirror: ${perSecond.toFixed(0)} flows/s`);
}
