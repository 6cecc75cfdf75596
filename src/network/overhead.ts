// What the mirror path costs per flow (issue 6): extra latency from the
// user's action to the content on the receiving phone, and extra bytes, on
// Table 1 link rates. The first round includes the one-time lookups (HSS
// profile downloads, the SGSN's user-policy query); a second round, 10 s
// later, shows the steady state with those answers cached.
import type { LinkKind } from "./bus.ts";
import { type FlowName, flowNames, runFlow } from "./flows.ts";
import type { NetworkProfileName } from "./profiles.ts";

export interface BytesSummary {
  radio: number;
  core: number;
  internet: number;
  messages: number;
}

export interface OverheadRow {
  flow: FlowName;
  network: NetworkProfileName;
  round: "first" | "later";
  originalMs: number;
  mirrorMs: number;
  extraMs: number;
  original: BytesSummary;
  mirror: BytesSummary;
}

function summary(bytes: Record<LinkKind, number>, messages: number): BytesSummary {
  return {
    radio: bytes["radio-up"] + bytes["radio-down"],
    core: bytes.core,
    internet: bytes.internet,
    messages,
  };
}

function minus(a: BytesSummary, b: BytesSummary): BytesSummary {
  return {
    radio: a.radio - b.radio,
    core: a.core - b.core,
    internet: a.internet - b.internet,
    messages: a.messages - b.messages,
  };
}

export function measureOverhead(
  network: NetworkProfileName,
  flows: readonly FlowName[] = flowNames,
): OverheadRow[] {
  const rows: OverheadRow[] = [];
  for (const flow of flows) {
    const run = (mirror: boolean, rounds: number) => runFlow(flow, { mirror, network, rounds });
    const [off1, off2, on1, on2] = [run(false, 1), run(false, 2), run(true, 1), run(true, 2)];
    const first = (r: typeof off1) => summary(r.bytesByLink, r.trace.length);
    const later = (one: typeof off1, two: typeof off1) => minus(first(two), first(one));
    const latency = (r: typeof off1, round: number) => r.latenciesMs[round] ?? Number.NaN;
    rows.push({
      flow,
      network,
      round: "first",
      originalMs: latency(off1, 0),
      mirrorMs: latency(on1, 0),
      extraMs: latency(on1, 0) - latency(off1, 0),
      original: first(off1),
      mirror: first(on1),
    });
    rows.push({
      flow,
      network,
      round: "later",
      originalMs: latency(off2, 1),
      mirrorMs: latency(on2, 1),
      extraMs: latency(on2, 1) - latency(off2, 1),
      original: later(off1, off2),
      mirror: later(on1, on2),
    });
  }
  return rows;
}

export function renderOverheadMarkdown(rows: readonly OverheadRow[]): string {
  const lines = [
    "| flow | network | round | original ms | mirror ms | extra ms | extra % | radio bytes (orig → mirror) | core bytes (orig → mirror) | messages (orig → mirror) |",
    "|---|---|---|---:|---:|---:|---:|---|---|---|",
  ];
  for (const r of rows) {
    const percent = ((r.extraMs / r.originalMs) * 100).toFixed(1);
    lines.push(
      `| ${r.flow} | ${r.network} | ${r.round} | ${r.originalMs.toFixed(1)} | ${r.mirrorMs.toFixed(1)} | ${r.extraMs.toFixed(1)} | ${percent} | ${r.original.radio} → ${r.mirror.radio} | ${r.original.core} → ${r.mirror.core} | ${r.original.messages} → ${r.mirror.messages} |`,
    );
  }
  return `${lines.join("\n")}\n`;
}
